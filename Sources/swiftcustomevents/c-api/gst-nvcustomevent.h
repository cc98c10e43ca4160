/* swiftcustomevents: DeepStream-compatible custom GStreamer events for C.
 *
 * The names, signatures, event type values, structure names and field
 * types are DeepStream's, so that an element written against DeepStream's
 * gst-nvevent.h, gst-nvdscustomevent.h or gst-nvcustomevent.h compiles
 * against this header and exchanges events with DeepStream elements and
 * with swiftmultiurisrcbin. Link with libswiftcustomevents
 * (pkg-config swiftcustomevents); the GStreamer plugin libgstswiftmultiurisrc
 * exports the same symbols.
 *
 * Ownership, as in DeepStream:
 *  - gst_nvevent_new_* / gst_nvevent_<name>_update return a new event (or
 *    NULL for invalid arguments: a NULL roi_dim with roi_count > 0, a NULL
 *    segment). NULL strings are sent as "".
 *  - gst_nvevent_parse_* write their outputs only when the event has the
 *    expected type and a well-formed structure; otherwise they leave them
 *    untouched, so initialise them. NULL output pointers are skipped.
 *    Strings are g_strdup'ed: g_free them. The RoiDimension array is
 *    g_malloc'ed (NULL when roi_count is 0): g_free it. The segment of
 *    gst_nvevent_parse_stream_segment points into the event and is valid
 *    while the event is: do not free it.
 *
 * Lifecycle event structures are named "<stem>-<source_id>" (for example
 * "nv-pad-added-3") with a "source-id" uint field; sticky multi events are
 * told apart by name, so each source keeps its own stored event on a pad.
 * Parsers accept the stem with or without the suffix.
 */
#ifndef __SWIFTCUSTOMEVENTS_GST_NVCUSTOMEVENT_H__
#define __SWIFTCUSTOMEVENTS_GST_NVCUSTOMEVENT_H__

/* DeepStream's own include guards: a translation unit that includes this
 * header and then one of DeepStream's gets no duplicate definitions. */
#define __GST_NVEVENT_H__
#define __GST_NVDSCUSTOMEVENT_H__
#define __GST_NVCUSTOMEVENT_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* ---- event types: GST_EVENT_MAKE_TYPE (number, flags) ---- */

#define SWIFTCUSTOMEVENTS_LIFECYCLE_FLAGS (GST_EVENT_TYPE_DOWNSTREAM \
    | GST_EVENT_TYPE_SERIALIZED | GST_EVENT_TYPE_STICKY \
    | GST_EVENT_TYPE_STICKY_MULTI)
#define SWIFTCUSTOMEVENTS_CONTROL_FLAGS (GST_EVENT_TYPE_DOWNSTREAM \
    | GST_EVENT_TYPE_SERIALIZED)

/* Per-source lifecycle events, sent downstream by the muxer. */
typedef enum
{
  GST_NVEVENT_PAD_ADDED =                                 /* 102430 */
      GST_EVENT_MAKE_TYPE (400, SWIFTCUSTOMEVENTS_LIFECYCLE_FLAGS),
  GST_NVEVENT_PAD_DELETED =                               /* 102686 */
      GST_EVENT_MAKE_TYPE (401, SWIFTCUSTOMEVENTS_LIFECYCLE_FLAGS),
  GST_NVEVENT_STREAM_EOS =                                /* 102942 */
      GST_EVENT_MAKE_TYPE (402, SWIFTCUSTOMEVENTS_LIFECYCLE_FLAGS),
  GST_NVEVENT_STREAM_SEGMENT =                            /* 103198 */
      GST_EVENT_MAKE_TYPE (403, SWIFTCUSTOMEVENTS_LIFECYCLE_FLAGS),
  GST_NVEVENT_STREAM_RESET =                              /* 103454 */
      GST_EVENT_MAKE_TYPE (404, SWIFTCUSTOMEVENTS_LIFECYCLE_FLAGS),
  GST_NVEVENT_STREAM_START =                              /* 103710 */
      GST_EVENT_MAKE_TYPE (405, SWIFTCUSTOMEVENTS_LIFECYCLE_FLAGS)
} GstNvEventType;

/* Control events. DeepStream splits them over two enums in two headers
 * (GstNvDsCustomEventType for 406-410 in newer releases, GstNvCustomEventType
 * for 500-506 and, in older releases, 406-407 too); one enum with both names
 * serves code written for either. */
typedef enum
{
  GST_NVEVENT_ROI_UPDATE =                                /* 103942 */
      GST_EVENT_MAKE_TYPE (406, SWIFTCUSTOMEVENTS_CONTROL_FLAGS),
  GST_NVEVENT_INFER_INTERVAL_UPDATE =                     /* 104198 */
      GST_EVENT_MAKE_TYPE (407, SWIFTCUSTOMEVENTS_CONTROL_FLAGS),
  GST_NVEVENT_OSD_PROCESS_MODE_UPDATE =                   /* 104454 */
      GST_EVENT_MAKE_TYPE (408, SWIFTCUSTOMEVENTS_CONTROL_FLAGS),
  GST_NVEVENT_ANALYTICS_RELOAD_CONFIG_UPDATE =            /* 104710 */
      GST_EVENT_MAKE_TYPE (409, SWIFTCUSTOMEVENTS_CONTROL_FLAGS),
  GST_NVEVENT_NVTRACKER_CONFIG_UPDATE =                   /* 104966 */
      GST_EVENT_MAKE_TYPE (410, SWIFTCUSTOMEVENTS_CONTROL_FLAGS),
  GST_NVEVENT_DEC_DROP_FRAME_INTERVAL_UPDATE =            /* 128006 */
      GST_EVENT_MAKE_TYPE (500, SWIFTCUSTOMEVENTS_CONTROL_FLAGS),
  GST_NVEVENT_DEC_SKIP_FRAME_UPDATE =                     /* 128262 */
      GST_EVENT_MAKE_TYPE (501, SWIFTCUSTOMEVENTS_CONTROL_FLAGS),
  GST_NVEVENT_DEC_ENABLE_LOW_LATENCY_MODE =               /* 128518 */
      GST_EVENT_MAKE_TYPE (502, SWIFTCUSTOMEVENTS_CONTROL_FLAGS),
  GST_NVEVENT_ENC_BITRATE_UPDATE =                        /* 128774 */
      GST_EVENT_MAKE_TYPE (503, SWIFTCUSTOMEVENTS_CONTROL_FLAGS),
  GST_NVEVENT_ENC_FORCE_IDR =                             /* 129030 */
      GST_EVENT_MAKE_TYPE (504, SWIFTCUSTOMEVENTS_CONTROL_FLAGS),
  GST_NVEVENT_ENC_FORCE_INTRA =                           /* 129286 */
      GST_EVENT_MAKE_TYPE (505, SWIFTCUSTOMEVENTS_CONTROL_FLAGS),
  GST_NVEVENT_ENC_IFRAME_INTERVAL_UPDATE =                /* 129542 */
      GST_EVENT_MAKE_TYPE (506, SWIFTCUSTOMEVENTS_CONTROL_FLAGS)
} GstNvCustomEventType;

typedef GstNvCustomEventType GstNvDsCustomEventType;

/* One rectangle of a ROI update (144 bytes). roi_id is NUL-terminated when
 * shorter than 128 bytes; longer ids are cut to 127 bytes by the parser. */
typedef struct RoiDimension
{
  gchar roi_id[128];
  guint left;
  guint top;
  guint width;
  guint height;
} RoiDimension;

/* ---- lifecycle: structure "nv-<event>-<source_id>", "source-id" (uint) ---- */

GstEvent *gst_nvevent_new_pad_added (guint source_id);
GstEvent *gst_nvevent_new_pad_deleted (guint source_id);
GstEvent *gst_nvevent_new_stream_eos (guint source_id);
/* Stores a copy of segment in the "segment" field (GstSegment). */
GstEvent *gst_nvevent_new_stream_segment (guint source_id,
    GstSegment * segment);
GstEvent *gst_nvevent_new_stream_reset (guint source_id);
/* stream_id goes to the "stream-id" field (string). */
GstEvent *gst_nvevent_new_stream_start (guint source_id, gchar * stream_id);

void gst_nvevent_parse_pad_added (GstEvent * event, guint * source_id);
void gst_nvevent_parse_pad_deleted (GstEvent * event, guint * source_id);
void gst_nvevent_parse_stream_eos (GstEvent * event, guint * source_id);
void gst_nvevent_parse_stream_segment (GstEvent * event, guint * source_id,
    GstSegment ** segment);
void gst_nvevent_parse_stream_reset (GstEvent * event, guint * source_id);
void gst_nvevent_parse_stream_start (GstEvent * event, guint * source_id,
    gchar ** stream_id);

/* ---- control events; structure names and fields in the comments ---- */

/* "nv-roi-update": stream_id (string), roi-count (uint), then per ROI i
 * roi_id_<i> (string), left_<i>, top_<i>, width_<i>, height_<i> (uint). */
GstEvent *gst_nvevent_new_roi_update (gchar * stream_id, guint roi_count,
    RoiDimension * roi_dim);
void gst_nvevent_parse_roi_update (GstEvent * event, gchar ** stream_id,
    guint * roi_count, RoiDimension ** roi_dim);

/* "nv-infer-interval-update": stream_id (string), interval (uint). */
GstEvent *gst_nvevent_infer_interval_update (gchar * stream_id,
    guint interval);
void gst_nvevent_parse_infer_interval_update (GstEvent * event,
    gchar ** stream_id, guint * interval);

/* "nv-osd-process-mode-update": stream_id (string), process_mode (uint). */
GstEvent *gst_nvevent_osd_process_mode_update (gchar * stream_id,
    guint process_mode);
void gst_nvevent_parse_osd_process_mode_update (GstEvent * event,
    gchar ** stream_id, guint * process_mode);

/* "nv-analytics-reload_config-update": config_file_path (string). */
GstEvent *gst_nvevent_analytics_reload_config_update (gchar *
    config_file_path);
void gst_nvevent_parse_analytics_reload_config_update (GstEvent * event,
    gchar ** config_file_path);

/* "nv-tracker-config-update": stream_id (string), config_path (string). */
GstEvent *gst_nvevent_nvtracker_config_update (gchar * stream_id,
    gchar * config_path);
void gst_nvevent_parse_nvtracker_config_update (GstEvent * event,
    gchar ** stream_id, gchar ** config_path);

/* "nv-dec-drop-frame-interval-update": stream_id (string), interval (uint). */
GstEvent *gst_nvevent_dec_drop_frame_interval_update (gchar * stream_id,
    guint interval);
void gst_nvevent_parse_dec_drop_frame_interval_update (GstEvent * event,
    gchar ** stream_id, guint * interval);

/* "nv-dec-skip-frame-update": stream_id (string), frame_type (uint). */
GstEvent *gst_nvevent_dec_skip_frame_update (gchar * stream_id,
    guint frame_type);
void gst_nvevent_parse_dec_skip_frame_update (GstEvent * event,
    gchar ** stream_id, guint * frame_type);

/* "nv-dec-enable-low-latency-mode": stream_id (string), enable (int). */
GstEvent *gst_nvevent_dec_enable_low_latency_mode (gchar * stream_id,
    gint enable);
void gst_nvevent_parse_dec_enable_low_latency_mode (GstEvent * event,
    gchar ** stream_id, gint * enable);

/* "nv-enc-bitrate-update": stream_id (string), bitrate (uint). */
GstEvent *gst_nvevent_enc_bitrate_update (gchar * stream_id, guint bitrate);
void gst_nvevent_parse_enc_bitrate_update (GstEvent * event,
    gchar ** stream_id, guint * bitrate);

/* "nv-enc-force-idr": stream_id (string), force (int). */
GstEvent *gst_nvevent_enc_force_idr (gchar * stream_id, gint force);
void gst_nvevent_parse_enc_force_idr (GstEvent * event, gchar ** stream_id,
    gint * force);

/* "nv-enc-force-intra": stream_id (string), force (int). */
GstEvent *gst_nvevent_enc_force_intra (gchar * stream_id, gint force);
void gst_nvevent_parse_enc_force_intra (GstEvent * event, gchar ** stream_id,
    gint * force);

/* "nv-enc-iframeinterval-update": stream_id (string), interval (uint). */
GstEvent *gst_nvevent_enc_iframeinterval_update (gchar * stream_id,
    guint interval);
void gst_nvevent_parse_enc_iframeinterval_update (GstEvent * event,
    gchar ** stream_id, guint * interval);

G_END_DECLS

#endif /* __SWIFTCUSTOMEVENTS_GST_NVCUSTOMEVENT_H__ */
