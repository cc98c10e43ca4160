#include "gsb-property.h"

GParamSpec *
gsb_object_find_property (gpointer object, const gchar * name)
{
  if (!G_IS_OBJECT (object) || name == NULL)
    return NULL;
  return g_object_class_find_property (G_OBJECT_GET_CLASS (object), name);
}

GstState
gsb_param_spec_mutable_state (const GParamSpec * pspec)
{
  if (pspec->flags & GST_PARAM_MUTABLE_READY)
    return GST_STATE_READY;
  if (pspec->flags & GST_PARAM_MUTABLE_PAUSED)
    return GST_STATE_PAUSED;
  if (pspec->flags & GST_PARAM_MUTABLE_PLAYING)
    return GST_STATE_PLAYING;
  return GST_STATE_VOID_PENDING;
}

gboolean
gsb_type_is_reference (GType type)
{
  GType f = G_TYPE_FUNDAMENTAL (type);
  return f == G_TYPE_OBJECT || f == G_TYPE_INTERFACE || f == G_TYPE_POINTER
      || f == G_TYPE_PARAM;
}
