/* Plain-function wrappers for GStreamer/GLib macros and variadic functions
 * that Swift cannot call directly. */
#pragma once
#include <gst/gst.h>

G_BEGIN_DECLS

/* ---- logging (GST_DEBUG categories) ---- */
GstDebugCategory *gsb_debug_category_new (const gchar * name, guint color,
    const gchar * description);
gboolean gsb_log_enabled (GstDebugCategory * category, GstDebugLevel level);
void gsb_log (GstDebugCategory * category, GstDebugLevel level,
    GObject * object, const gchar * file, const gchar * function, gint line,
    const gchar * message);

/* ---- object casts and accessors ---- */
const gchar *gsb_object_name (gpointer object);   /* GST_OBJECT_NAME */
GstObject *gsb_object_parent (gpointer object);    /* GST_OBJECT_PARENT, no ref */
GType gsb_object_type (gpointer instance);         /* G_OBJECT_TYPE */
const gchar *gsb_object_type_name (gpointer instance);

/* ---- g_object_set / g_object_get for one property ---- */
gboolean gsb_object_has_property (gpointer object, const gchar * name);
void gsb_object_set_bool (gpointer object, const gchar * name, gboolean v);
void gsb_object_set_int (gpointer object, const gchar * name, gint v);
void gsb_object_set_uint (gpointer object, const gchar * name, guint v);
void gsb_object_set_int64 (gpointer object, const gchar * name, gint64 v);
void gsb_object_set_uint64 (gpointer object, const gchar * name, guint64 v);
void gsb_object_set_double (gpointer object, const gchar * name, gdouble v);
void gsb_object_set_string (gpointer object, const gchar * name,
    const gchar * v);
void gsb_object_set_object (gpointer object, const gchar * name, gpointer v);
/* Sets any property from a string, as gst-launch does (enums by nick or
 * number, numbers, booleans). Returns FALSE when the property is missing. */
gboolean gsb_object_set_from_string (gpointer object, const gchar * name,
    const gchar * v);
gboolean gsb_object_get_bool (gpointer object, const gchar * name);
gint gsb_object_get_int (gpointer object, const gchar * name);
guint gsb_object_get_uint (gpointer object, const gchar * name);
guint64 gsb_object_get_uint64 (gpointer object, const gchar * name);
/* Returns a newly allocated string (g_free). */
gchar *gsb_object_get_string (gpointer object, const gchar * name);

/* ---- signals (g_signal_connect) ---- */
gulong gsb_signal_connect (gpointer instance, const gchar * signal,
    GCallback handler, gpointer data, GClosureNotify destroy);

/* ---- buffers ---- */
GstClockTime gsb_buffer_pts (GstBuffer * buffer);
void gsb_buffer_set_pts (GstBuffer * buffer, GstClockTime pts);
GstClockTime gsb_buffer_dts (GstBuffer * buffer);
void gsb_buffer_set_dts (GstBuffer * buffer, GstClockTime dts);
GstClockTime gsb_buffer_duration (GstBuffer * buffer);
gboolean gsb_buffer_is_writable (GstBuffer * buffer);
GstBuffer *gsb_buffer_make_writable (GstBuffer * buffer);

/* ---- mini objects ---- */
GstEvent *gsb_event_ref (GstEvent * event);
void gsb_event_unref (GstEvent * event);
GstEventType gsb_event_type (GstEvent * event);
guint32 gsb_event_seqnum (GstEvent * event);
gboolean gsb_event_is_serialized (GstEvent * event);
GstMessageType gsb_message_type (GstMessage * message);
GstObject *gsb_message_src (GstMessage * message);
void gsb_message_unref (GstMessage * message);
GstMessage *gsb_message_ref (GstMessage * message);
GstQueryType gsb_query_type (GstQuery * query);
void gsb_caps_unref (GstCaps * caps);
/* TRUE when the first structure of caps has no features or system memory. */
gboolean gsb_caps_is_system_memory (const GstCaps * caps);
void gsb_buffer_unref (GstBuffer * buffer);
void gsb_sample_unref (GstSample * sample);

/* ---- pads ---- */
GstPadProbeType gsb_probe_info_type (GstPadProbeInfo * info);
GstBuffer *gsb_probe_info_buffer (GstPadProbeInfo * info);
GstEvent *gsb_probe_info_event (GstPadProbeInfo * info);
GstQuery *gsb_probe_info_query (GstPadProbeInfo * info);
/* Replaces the probe's data (for example a writable copy of the buffer). */
void gsb_probe_info_set_data (GstPadProbeInfo * info, gpointer data);
GstPadDirection gsb_pad_direction (GstPad * pad);

/* ---- element messages (GST_ELEMENT_ERROR / GST_ELEMENT_WARNING) ---- */
typedef enum
{
  GSB_ERROR_CORE,
  GSB_ERROR_RESOURCE,
  GSB_ERROR_STREAM
} GsbErrorDomain;
void gsb_element_post_error (GstElement * element, GsbErrorDomain domain,
    gint code, const gchar * text, const gchar * debug);
void gsb_element_post_warning (GstElement * element, GsbErrorDomain domain,
    gint code, const gchar * text, const gchar * debug);
/* Reads an error or warning message; strings newly allocated (g_free). */
void gsb_message_parse_error_or_warning (GstMessage * message,
    gchar ** text, gchar ** debug);

/* ---- element class helpers ---- */
void gsb_element_class_add_template (gpointer klass, const gchar * name,
    GstPadDirection direction, GstPadPresence presence,
    const gchar * caps_string);

/* ---- GValue ---- */
GValue *gsb_value_new (GType type);       /* zeroed and initialised */
void gsb_value_free (GValue * value);

/* ---- GType constants that are macros ---- */
GType gsb_type_bin (void);
GType gsb_type_element (void);
GType gsb_type_base_transform (void);
GType gsb_type_string (void);
GType gsb_type_uint (void);
GType gsb_type_int (void);
GType gsb_type_boolean (void);
GType gsb_type_segment (void);

G_END_DECLS

G_BEGIN_DECLS
/* Registers an enum GType; the arrays are copied (GLib keeps the copy). */
GType gsb_enum_register (const gchar * type_name, guint n_values,
    const gint * values, const gchar * const *names,
    const gchar * const *nicks);
/* GST_PARAM_MUTABLE_PLAYING and friends, which are macros. */
GParamFlags gsb_param_flags_readwrite (gboolean mutable_playing);
GParamFlags gsb_param_flags_readonly (void);
G_END_DECLS

G_BEGIN_DECLS
/* GST_PAD_STREAM_LOCK / UNLOCK: the lock GStreamer itself uses to serialize
 * data flow on a pad (funnel-style elements take it on their src pad). */
void gsb_pad_stream_lock (GstPad * pad);
void gsb_pad_stream_unlock (GstPad * pad);
void gsb_pad_set_proxy_caps (GstPad * pad);
gboolean gsb_pad_is_eos (GstPad * pad);
gboolean gsb_pad_is_flushing (GstPad * pad);
/* The running time of an element now (clock time - base time), or
 * GST_CLOCK_TIME_NONE without a clock. */
GstClockTime gsb_element_running_time (GstElement * element);
/* GST_STATE_TRANSITION_CURRENT / NEXT */
GstState gsb_transition_current (GstStateChange transition);
GstState gsb_transition_next (GstStateChange transition);
G_END_DECLS

G_BEGIN_DECLS
/* A copy of caps with framerate=0/1 in every structure (interleaved output
 * of several sources has no single frame rate). */
GstCaps *gsb_caps_with_variable_framerate (const GstCaps * caps);
/* When caps carry framerate 0/1 and duration_ns is a frame duration: a copy
 * with the rate that duration gives (one source's frames, as after a
 * demuxer); otherwise NULL. */
GstCaps *gsb_caps_with_framerate_of_duration (const GstCaps * caps, GstClockTime duration_ns);
/* video/x-raw caps for a capsfilter: format may be NULL, width/height 0 to
 * leave them free. */
GstCaps *gsb_caps_new_video (const gchar * format, gint width, gint height,
    gboolean square_pixels);
G_END_DECLS

G_BEGIN_DECLS
/* The GstSegment a SEGMENT event carries, copied into a heap box the caller
 * frees with gsb_segment_free (so Swift can keep it without layout games). */
GstSegment *gsb_segment_new_time (void);
void gsb_segment_free (GstSegment * segment);
/* Running time of a buffer timestamp in a segment, NONE when outside. */
GstClockTime gsb_segment_running_time (const GstSegment * segment,
    GstClockTime ts);
G_END_DECLS

G_BEGIN_DECLS
GstState gsb_element_current_state (GstElement * element);    /* GST_STATE */
G_END_DECLS

G_BEGIN_DECLS
/* malloc_trim(0): glibc's malloc.h is not part of Swift's Glibc module. */
void gsb_release_free_memory (void);
/* Bytes malloc has handed out and not got back (mallinfo2, main arena only:
 * run with MALLOC_ARENA_MAX=1 to see all). For the soak tool. */
gsize gsb_heap_in_use (void);
G_END_DECLS

G_BEGIN_DECLS
/* GST_OBJECT_FLAG_SET (element, GST_ELEMENT_FLAG_SOURCE) */
void gsb_element_mark_source (GstElement * element);
/* GST_OBJECT_FLAG_UNSET (element, GST_ELEMENT_FLAG_PROVIDE_CLOCK), under the
 * object lock */
void gsb_element_unset_provide_clock (GstElement * element);
G_END_DECLS
