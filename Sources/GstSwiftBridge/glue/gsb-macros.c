#include "gsb-macros.h"
#include <gst/base/base.h>

GstDebugCategory *
gsb_debug_category_new (const gchar * name, guint color,
    const gchar * description)
{
  return _gst_debug_category_new (name, color, description);
}

gboolean
gsb_log_enabled (GstDebugCategory * category, GstDebugLevel level)
{
#ifndef GST_DISABLE_GST_DEBUG
  return level <= _gst_debug_min
      && level <= gst_debug_category_get_threshold (category);
#else
  return FALSE;
#endif
}

void
gsb_log (GstDebugCategory * category, GstDebugLevel level, GObject * object,
    const gchar * file, const gchar * function, gint line,
    const gchar * message)
{
  gst_debug_log_literal (category, level, file, function, line, object,
      message);
}

const gchar *
gsb_object_name (gpointer object)
{
  return GST_OBJECT_NAME (object);
}

GstObject *
gsb_object_parent (gpointer object)
{
  return GST_OBJECT_PARENT (object);
}

GType
gsb_object_type (gpointer instance)
{
  return G_TYPE_FROM_INSTANCE (instance);
}

const gchar *
gsb_object_type_name (gpointer instance)
{
  return G_OBJECT_TYPE_NAME (instance);
}

gboolean
gsb_object_has_property (gpointer object, const gchar * name)
{
  return g_object_class_find_property (G_OBJECT_GET_CLASS (object),
      name) != NULL;
}

#define SETTER(suffix, ctype) \
void gsb_object_set_##suffix (gpointer object, const gchar * name, ctype v) \
{ g_object_set (object, name, v, NULL); }
SETTER (bool, gboolean)
SETTER (int, gint)
SETTER (uint, guint)
SETTER (int64, gint64)
SETTER (uint64, guint64)
SETTER (double, gdouble)
SETTER (string, const gchar *)
SETTER (object, gpointer)
#undef SETTER

gboolean
gsb_object_set_from_string (gpointer object, const gchar * name,
    const gchar * v)
{
  if (!gsb_object_has_property (object, name))
    return FALSE;
  gst_util_set_object_arg (G_OBJECT (object), name, v);
  return TRUE;
}

#define GETTER(suffix, ctype) \
ctype gsb_object_get_##suffix (gpointer object, const gchar * name) \
{ ctype v = 0; g_object_get (object, name, &v, NULL); return v; }
GETTER (bool, gboolean)
GETTER (int, gint)
GETTER (uint, guint)
GETTER (uint64, guint64)
#undef GETTER

gchar *
gsb_object_get_string (gpointer object, const gchar * name)
{
  gchar *v = NULL;
  g_object_get (object, name, &v, NULL);
  return v;
}

gulong
gsb_signal_connect (gpointer instance, const gchar * signal,
    GCallback handler, gpointer data, GClosureNotify destroy)
{
  return g_signal_connect_data (instance, signal, handler, data, destroy, 0);
}

GstClockTime gsb_buffer_pts (GstBuffer * b) { return GST_BUFFER_PTS (b); }
void gsb_buffer_set_pts (GstBuffer * b, GstClockTime t) { GST_BUFFER_PTS (b) = t; }
GstClockTime gsb_buffer_dts (GstBuffer * b) { return GST_BUFFER_DTS (b); }
void gsb_buffer_set_dts (GstBuffer * b, GstClockTime t) { GST_BUFFER_DTS (b) = t; }
GstClockTime gsb_buffer_duration (GstBuffer * b) { return GST_BUFFER_DURATION (b); }
gboolean gsb_buffer_is_writable (GstBuffer * b) { return gst_buffer_is_writable (b); }
GstBuffer *gsb_buffer_make_writable (GstBuffer * b) { return gst_buffer_make_writable (b); }

GstEvent *gsb_event_ref (GstEvent * e) { return gst_event_ref (e); }
void gsb_event_unref (GstEvent * e) { gst_event_unref (e); }
GstEventType gsb_event_type (GstEvent * e) { return GST_EVENT_TYPE (e); }
guint32 gsb_event_seqnum (GstEvent * e) { return GST_EVENT_SEQNUM (e); }
gboolean gsb_event_is_serialized (GstEvent * e) { return GST_EVENT_IS_SERIALIZED (e); }
GstMessageType gsb_message_type (GstMessage * m) { return GST_MESSAGE_TYPE (m); }
GstObject *gsb_message_src (GstMessage * m) { return GST_MESSAGE_SRC (m); }
void gsb_message_unref (GstMessage * m) { gst_message_unref (m); }
GstMessage *gsb_message_ref (GstMessage * m) { return gst_message_ref (m); }
GstQueryType gsb_query_type (GstQuery * q) { return GST_QUERY_TYPE (q); }
void gsb_caps_unref (GstCaps * c) { gst_caps_unref (c); }

gboolean
gsb_caps_is_system_memory (const GstCaps * c)
{
  GstCapsFeatures *f;

  if (gst_caps_get_size (c) == 0)
    return FALSE;
  f = gst_caps_get_features (c, 0);
  return f == NULL || gst_caps_features_is_equal (f, GST_CAPS_FEATURES_MEMORY_SYSTEM_MEMORY);
}
void gsb_buffer_unref (GstBuffer * b) { gst_buffer_unref (b); }
void gsb_sample_unref (GstSample * s) { gst_sample_unref (s); }

GstPadProbeType gsb_probe_info_type (GstPadProbeInfo * i) { return GST_PAD_PROBE_INFO_TYPE (i); }
GstBuffer *gsb_probe_info_buffer (GstPadProbeInfo * i) { return GST_PAD_PROBE_INFO_BUFFER (i); }
GstEvent *gsb_probe_info_event (GstPadProbeInfo * i) { return GST_PAD_PROBE_INFO_EVENT (i); }
GstQuery *gsb_probe_info_query (GstPadProbeInfo * i) { return GST_PAD_PROBE_INFO_QUERY (i); }
void gsb_probe_info_set_data (GstPadProbeInfo * i, gpointer d) { GST_PAD_PROBE_INFO_DATA (i) = d; }
GstPadDirection gsb_pad_direction (GstPad * p) { return GST_PAD_DIRECTION (p); }

static GQuark
gsb_domain_quark (GsbErrorDomain domain)
{
  switch (domain) {
    case GSB_ERROR_RESOURCE:
      return GST_RESOURCE_ERROR;
    case GSB_ERROR_STREAM:
      return GST_STREAM_ERROR;
    case GSB_ERROR_CORE:
    default:
      return GST_CORE_ERROR;
  }
}

static void
gsb_element_post (GstElement * element, GstMessageType type,
    GsbErrorDomain domain, gint code, const gchar * text, const gchar * debug)
{
  gst_element_message_full (element, type, gsb_domain_quark (domain), code,
      g_strdup (text), g_strdup (debug), __FILE__, G_STRFUNC, __LINE__);
}

void
gsb_element_post_error (GstElement * element, GsbErrorDomain domain,
    gint code, const gchar * text, const gchar * debug)
{
  gsb_element_post (element, GST_MESSAGE_ERROR, domain, code, text, debug);
}

void
gsb_element_post_warning (GstElement * element, GsbErrorDomain domain,
    gint code, const gchar * text, const gchar * debug)
{
  gsb_element_post (element, GST_MESSAGE_WARNING, domain, code, text, debug);
}

void
gsb_message_parse_error_or_warning (GstMessage * message, gchar ** text,
    gchar ** debug)
{
  GError *err = NULL;
  *text = NULL;
  *debug = NULL;
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    gst_message_parse_error (message, &err, debug);
  else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_WARNING)
    gst_message_parse_warning (message, &err, debug);
  if (err != NULL) {
    *text = g_strdup (err->message);
    g_error_free (err);
  }
}

void
gsb_element_class_add_template (gpointer klass, const gchar * name,
    GstPadDirection direction, GstPadPresence presence,
    const gchar * caps_string)
{
  GstCaps *caps = gst_caps_from_string (caps_string);
  gst_element_class_add_pad_template (GST_ELEMENT_CLASS (klass),
      gst_pad_template_new (name, direction, presence, caps));
  gst_caps_unref (caps);
}

GValue *
gsb_value_new (GType type)
{
  GValue *v = g_new0 (GValue, 1);
  g_value_init (v, type);
  return v;
}

void
gsb_value_free (GValue * value)
{
  g_value_unset (value);
  g_free (value);
}

GType gsb_type_bin (void) { return GST_TYPE_BIN; }
GType gsb_type_element (void) { return GST_TYPE_ELEMENT; }
GType gsb_type_base_transform (void) { return GST_TYPE_BASE_TRANSFORM; }
GType gsb_type_string (void) { return G_TYPE_STRING; }
GType gsb_type_uint (void) { return G_TYPE_UINT; }
GType gsb_type_int (void) { return G_TYPE_INT; }
GType gsb_type_boolean (void) { return G_TYPE_BOOLEAN; }
GType gsb_type_segment (void) { return GST_TYPE_SEGMENT; }

GType
gsb_enum_register (const gchar * type_name, guint n_values,
    const gint * values, const gchar * const *names,
    const gchar * const *nicks)
{
  GType existing = g_type_from_name (type_name);
  GEnumValue *table;
  guint i;
  if (existing != 0)
    return existing;
  table = g_new0 (GEnumValue, n_values + 1);
  for (i = 0; i < n_values; i++) {
    table[i].value = values[i];
    table[i].value_name = g_intern_string (names[i]);
    table[i].value_nick = g_intern_string (nicks[i]);
  }
  return g_enum_register_static (g_intern_string (type_name), table);
}

GParamFlags
gsb_param_flags_readwrite (gboolean mutable_playing)
{
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  return mutable_playing ? flags | GST_PARAM_MUTABLE_PLAYING
      : flags | GST_PARAM_MUTABLE_READY;
}

GParamFlags
gsb_param_flags_readonly (void)
{
  return G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
}

void gsb_pad_stream_lock (GstPad * pad) { GST_PAD_STREAM_LOCK (pad); }
void gsb_pad_stream_unlock (GstPad * pad) { GST_PAD_STREAM_UNLOCK (pad); }
void gsb_pad_set_proxy_caps (GstPad * pad) { GST_PAD_SET_PROXY_CAPS (pad); }
gboolean gsb_pad_is_eos (GstPad * pad) { return GST_PAD_IS_EOS (pad); }
gboolean gsb_pad_is_flushing (GstPad * pad) { return GST_PAD_IS_FLUSHING (pad); }

GstClockTime
gsb_element_running_time (GstElement * element)
{
  GstClock *clock = gst_element_get_clock (element);
  GstClockTime now, base;
  if (clock == NULL)
    return GST_CLOCK_TIME_NONE;
  now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  base = gst_element_get_base_time (element);
  return now > base ? now - base : 0;
}

GstState gsb_transition_current (GstStateChange t) { return GST_STATE_TRANSITION_CURRENT (t); }
GstState gsb_transition_next (GstStateChange t) { return GST_STATE_TRANSITION_NEXT (t); }

GstCaps *
gsb_caps_with_variable_framerate (const GstCaps * caps)
{
  GstCaps *out = gst_caps_copy (caps);
  guint i;
  for (i = 0; i < gst_caps_get_size (out); i++)
    gst_structure_set (gst_caps_get_structure (out, i), "framerate",
        GST_TYPE_FRACTION, 0, 1, NULL);
  return out;
}

GstCaps *
gsb_caps_with_framerate_of_duration (const GstCaps * caps, GstClockTime duration_ns)
{
  GstCaps *out;
  GstStructure *s;
  gint n = 0, d = 1;
  guint i;
  if (caps == NULL || gst_caps_get_size (caps) == 0
      || !GST_CLOCK_TIME_IS_VALID (duration_ns) || duration_ns == 0)
    return NULL;
  s = gst_caps_get_structure (caps, 0);
  if (!gst_structure_get_fraction (s, "framerate", &n, &d) || n != 0)
    return NULL;
  gst_util_double_to_fraction ((gdouble) GST_SECOND / (gdouble) duration_ns, &n, &d);
  if (n <= 0 || d <= 0)
    return NULL;
  out = gst_caps_copy (caps);
  for (i = 0; i < gst_caps_get_size (out); i++)
    gst_structure_set (gst_caps_get_structure (out, i), "framerate",
        GST_TYPE_FRACTION, n, d, NULL);
  return out;
}

GstCaps *
gsb_caps_new_video (const gchar * format, gint width, gint height,
    gboolean square_pixels)
{
  GstCaps *caps = gst_caps_new_empty_simple ("video/x-raw");
  GstStructure *s = gst_caps_get_structure (caps, 0);
  if (format != NULL)
    gst_structure_set (s, "format", G_TYPE_STRING, format, NULL);
  if (width > 0 && height > 0)
    gst_structure_set (s, "width", G_TYPE_INT, width, "height", G_TYPE_INT,
        height, NULL);
  if (square_pixels)
    gst_structure_set (s, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
  return caps;
}

GstSegment *
gsb_segment_new_time (void)
{
  GstSegment *s = gst_segment_new ();
  gst_segment_init (s, GST_FORMAT_TIME);
  return s;
}

void
gsb_segment_free (GstSegment * segment)
{
  gst_segment_free (segment);
}

GstClockTime
gsb_segment_running_time (const GstSegment * segment, GstClockTime ts)
{
  if (segment->format != GST_FORMAT_TIME || !GST_CLOCK_TIME_IS_VALID (ts))
    return GST_CLOCK_TIME_NONE;
  return gst_segment_to_running_time (segment, GST_FORMAT_TIME, ts);
}

GstState
gsb_element_current_state (GstElement * element)
{
  GstState s;
  GST_OBJECT_LOCK (element);
  s = GST_STATE (element);
  GST_OBJECT_UNLOCK (element);
  return s;
}

#include <malloc.h>

void
gsb_release_free_memory (void)
{
  malloc_trim (0);
}

gsize
gsb_heap_in_use (void)
{
  return mallinfo2 ().uordblks;
}

void
gsb_element_mark_source (GstElement * element)
{
  GST_OBJECT_FLAG_SET (element, GST_ELEMENT_FLAG_SOURCE);
}

void
gsb_element_unset_provide_clock (GstElement * element)
{
  GST_OBJECT_LOCK (element);
  GST_OBJECT_FLAG_UNSET (element, GST_ELEMENT_FLAG_PROVIDE_CLOCK);
  GST_OBJECT_UNLOCK (element);
}
