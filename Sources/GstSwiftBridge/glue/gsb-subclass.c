#include "gsb-subclass.h"

typedef struct
{
  GsbHooks hooks;
  GType type;
  gpointer parent_class;        /* peeked in class_init, static afterwards */
  gsize impl_offset;            /* where the Swift pointer lives in the instance */
} GsbTypeInfo;

static GQuark
gsb_info_quark (void)
{
  return g_quark_from_static_string ("gsb-type-info");
}

/* The nearest type in the instance's ancestry that was registered here. */
static GsbTypeInfo *
gsb_info_for_type (GType type)
{
  for (; type != 0; type = g_type_parent (type)) {
    GsbTypeInfo *info = g_type_get_qdata (type, gsb_info_quark ());
    if (info != NULL)
      return info;
  }
  return NULL;
}

static GsbTypeInfo *
gsb_info_for_instance (gpointer instance)
{
  return gsb_info_for_type (G_TYPE_FROM_INSTANCE (instance));
}

static gpointer *
gsb_impl_slot (gpointer instance, GsbTypeInfo * info)
{
  return (gpointer *) ((guint8 *) instance + info->impl_offset);
}

gpointer
gsb_instance_impl (gpointer instance)
{
  GsbTypeInfo *info;
  if (instance == NULL)
    return NULL;
  info = gsb_info_for_instance (instance);
  return info ? *gsb_impl_slot (instance, info) : NULL;
}

#define IMPL_AND_INFO(obj) \
  GsbTypeInfo *info = gsb_info_for_instance (obj); \
  gpointer impl = *gsb_impl_slot (obj, info)

static void
gsb_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  IMPL_AND_INFO (object);
  info->hooks.set_property (impl, object, prop_id, value, pspec);
}

static void
gsb_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  IMPL_AND_INFO (object);
  info->hooks.get_property (impl, object, prop_id, value, pspec);
}

static void
gsb_dispose (GObject * object)
{
  IMPL_AND_INFO (object);
  if (impl != NULL)
    info->hooks.dispose (impl, object);
  G_OBJECT_CLASS (info->parent_class)->dispose (object);
}

static void
gsb_finalize (GObject * object)
{
  GsbTypeInfo *info = gsb_info_for_instance (object);
  gpointer *slot = gsb_impl_slot (object, info);
  if (*slot != NULL && info->hooks.finalize != NULL)
    info->hooks.finalize (*slot);
  *slot = NULL;
  G_OBJECT_CLASS (info->parent_class)->finalize (object);
}

static GstStateChangeReturn
gsb_change_state (GstElement * element, GstStateChange transition)
{
  IMPL_AND_INFO (element);
  return info->hooks.change_state (impl, element, transition);
}

static GstPad *
gsb_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  IMPL_AND_INFO (element);
  return info->hooks.request_new_pad (impl, element, templ, name, caps);
}

static void
gsb_release_pad (GstElement * element, GstPad * pad)
{
  IMPL_AND_INFO (element);
  info->hooks.release_pad (impl, element, pad);
}

static gboolean
gsb_send_event (GstElement * element, GstEvent * event)
{
  IMPL_AND_INFO (element);
  return info->hooks.send_event (impl, element, event);
}

static void
gsb_handle_message (GstBin * bin, GstMessage * message)
{
  IMPL_AND_INFO (bin);
  info->hooks.handle_message (impl, bin, message);
}

static GstFlowReturn
gsb_transform_ip (GstBaseTransform * trans, GstBuffer * buffer)
{
  IMPL_AND_INFO (trans);
  return info->hooks.transform_ip (impl, trans, buffer);
}

static gboolean
gsb_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  IMPL_AND_INFO (trans);
  return info->hooks.sink_event (impl, trans, event);
}

static gboolean
gsb_start (GstBaseTransform * trans)
{
  IMPL_AND_INFO (trans);
  return info->hooks.start (impl, trans);
}

static gboolean
gsb_stop (GstBaseTransform * trans)
{
  IMPL_AND_INFO (trans);
  return info->hooks.stop (impl, trans);
}

static void
gsb_class_init (gpointer g_class, gpointer class_data)
{
  GsbTypeInfo *info = class_data;
  GObjectClass *object_class = G_OBJECT_CLASS (g_class);
  const GsbHooks *h = &info->hooks;

  info->parent_class = g_type_class_peek_parent (g_class);

  object_class->finalize = gsb_finalize;
  if (h->dispose)
    object_class->dispose = gsb_dispose;
  if (h->set_property)
    object_class->set_property = gsb_set_property;
  if (h->get_property)
    object_class->get_property = gsb_get_property;

  if (g_type_is_a (info->type, GST_TYPE_ELEMENT)) {
    GstElementClass *element_class = GST_ELEMENT_CLASS (g_class);
    if (h->change_state)
      element_class->change_state = gsb_change_state;
    if (h->request_new_pad)
      element_class->request_new_pad = gsb_request_new_pad;
    if (h->release_pad)
      element_class->release_pad = gsb_release_pad;
    if (h->send_event)
      element_class->send_event = gsb_send_event;
  }
  if (g_type_is_a (info->type, GST_TYPE_BIN) && h->handle_message)
    GST_BIN_CLASS (g_class)->handle_message = gsb_handle_message;
  if (g_type_is_a (info->type, GST_TYPE_BASE_TRANSFORM)) {
    GstBaseTransformClass *bt_class = GST_BASE_TRANSFORM_CLASS (g_class);
    if (h->transform_ip)
      bt_class->transform_ip = gsb_transform_ip;
    if (h->sink_event)
      bt_class->sink_event = gsb_sink_event;
    if (h->start)
      bt_class->start = gsb_start;
    if (h->stop)
      bt_class->stop = gsb_stop;
  }

  if (h->class_init)
    h->class_init (g_class);
}

static void
gsb_instance_init (GTypeInstance * instance, gpointer g_class)
{
  GsbTypeInfo *info = gsb_info_for_type (G_TYPE_FROM_CLASS (g_class));
  gpointer *slot;
  /* Runs once per gsb level of the hierarchy; the most derived one owns the
   * slot, so only the first call fills it. */
  if (info == NULL || info->hooks.instance_init == NULL)
    return;
  slot = gsb_impl_slot (instance, info);
  if (*slot == NULL)
    *slot = info->hooks.instance_init (G_OBJECT (instance));
}

GType
gsb_register_subclass (GType parent, const gchar * type_name,
    const GsbHooks * hooks)
{
  GTypeQuery query;
  GTypeInfo type_info = { 0, };
  GsbTypeInfo *info;
  GType type;

  if (g_type_from_name (type_name) != 0)
    return 0;
  g_type_query (parent, &query);
  if (query.type == 0)
    return 0;

  info = g_new0 (GsbTypeInfo, 1);
  info->hooks = *hooks;
  info->impl_offset = GST_ROUND_UP_8 (query.instance_size);

  type_info.class_size = query.class_size;
  type_info.class_init = gsb_class_init;
  type_info.class_data = info;
  type_info.instance_size = info->impl_offset + sizeof (gpointer);
  type_info.instance_init = gsb_instance_init;

  /* class_init runs lazily, after the type and qdata exist. */
  type = g_type_register_static (parent, type_name, &type_info, 0);
  if (type == 0) {
    g_free (info);
    return 0;
  }
  info->type = type;
  g_type_set_qdata (type, gsb_info_quark (), info);
  return type;
}

GstStateChangeReturn
gsb_parent_change_state (GstElement * self, GstStateChange transition)
{
  GsbTypeInfo *info = gsb_info_for_instance (self);
  return GST_ELEMENT_CLASS (info->parent_class)->change_state (self,
      transition);
}

GstPad *
gsb_parent_request_new_pad (GstElement * self, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GsbTypeInfo *info = gsb_info_for_instance (self);
  GstElementClass *parent = GST_ELEMENT_CLASS (info->parent_class);
  return parent->request_new_pad ? parent->request_new_pad (self, templ, name,
      caps) : NULL;
}

void
gsb_parent_release_pad (GstElement * self, GstPad * pad)
{
  GsbTypeInfo *info = gsb_info_for_instance (self);
  GstElementClass *parent = GST_ELEMENT_CLASS (info->parent_class);
  if (parent->release_pad)
    parent->release_pad (self, pad);
}

gboolean
gsb_parent_send_event (GstElement * self, GstEvent * event)
{
  GsbTypeInfo *info = gsb_info_for_instance (self);
  return GST_ELEMENT_CLASS (info->parent_class)->send_event (self, event);
}

void
gsb_parent_handle_message (GstBin * self, GstMessage * message)
{
  GsbTypeInfo *info = gsb_info_for_instance (self);
  GST_BIN_CLASS (info->parent_class)->handle_message (self, message);
}

gboolean
gsb_parent_sink_event (GstBaseTransform * self, GstEvent * event)
{
  GsbTypeInfo *info = gsb_info_for_instance (self);
  return GST_BASE_TRANSFORM_CLASS (info->parent_class)->sink_event (self,
      event);
}
