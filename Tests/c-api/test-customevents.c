/* Builds against gst-nvcustomevent.h and libswiftcustomevents the way a C
 * element written for DeepStream would, and checks that events survive a
 * create/parse round trip with DeepStream's type values, structure names
 * and field types. Exits 0 when everything matches, 1 otherwise (each
 * mismatch is printed). */
#include <stddef.h>
#include <string.h>
#include <gst/gst.h>
#include "gst-nvcustomevent.h"
/* DeepStream's other header names must work too. */
#include "gst-nvevent.h"
#include "gst-nvdscustomevent.h"

/* The Swift side reads RoiDimension by these offsets. */
_Static_assert (sizeof (RoiDimension) == 144, "RoiDimension size");
_Static_assert (offsetof (RoiDimension, left) == 128, "left offset");
_Static_assert (offsetof (RoiDimension, top) == 132, "top offset");
_Static_assert (offsetof (RoiDimension, width) == 136, "width offset");
_Static_assert (offsetof (RoiDimension, height) == 140, "height offset");

static int failures = 0;

#define CHECK(cond) do { \
    if (!(cond)) { \
      g_printerr ("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      failures++; \
    } \
  } while (0)

static gboolean
has_name (GstEvent * event, const gchar * name)
{
  const GstStructure *s = gst_event_get_structure (event);
  return s != NULL && gst_structure_has_name (s, name);
}

static GType
field_type (GstEvent * event, const gchar * field)
{
  const GstStructure *s = gst_event_get_structure (event);
  return s ? gst_structure_get_field_type (s, field) : G_TYPE_INVALID;
}

static void
check_type_values (void)
{
  CHECK (GST_NVEVENT_PAD_ADDED == 102430);
  CHECK (GST_NVEVENT_PAD_DELETED == 102686);
  CHECK (GST_NVEVENT_STREAM_EOS == 102942);
  CHECK (GST_NVEVENT_STREAM_SEGMENT == 103198);
  CHECK (GST_NVEVENT_STREAM_RESET == 103454);
  CHECK (GST_NVEVENT_STREAM_START == 103710);
  CHECK (GST_NVEVENT_ROI_UPDATE == 103942);
  CHECK (GST_NVEVENT_INFER_INTERVAL_UPDATE == 104198);
  CHECK (GST_NVEVENT_OSD_PROCESS_MODE_UPDATE == 104454);
  CHECK (GST_NVEVENT_ANALYTICS_RELOAD_CONFIG_UPDATE == 104710);
  CHECK (GST_NVEVENT_NVTRACKER_CONFIG_UPDATE == 104966);
  CHECK (GST_NVEVENT_DEC_DROP_FRAME_INTERVAL_UPDATE == 128006);
  CHECK (GST_NVEVENT_DEC_SKIP_FRAME_UPDATE == 128262);
  CHECK (GST_NVEVENT_DEC_ENABLE_LOW_LATENCY_MODE == 128518);
  CHECK (GST_NVEVENT_ENC_BITRATE_UPDATE == 128774);
  CHECK (GST_NVEVENT_ENC_FORCE_IDR == 129030);
  CHECK (GST_NVEVENT_ENC_FORCE_INTRA == 129286);
  CHECK (GST_NVEVENT_ENC_IFRAME_INTERVAL_UPDATE == 129542);
}

static void
check_roi_update (void)
{
  RoiDimension rois[2];
  GstEvent *event;
  gchar *stream_id = NULL;
  guint count = 0;
  RoiDimension *parsed = NULL;

  memset (rois, 0, sizeof (rois));
  g_strlcpy (rois[0].roi_id, "0", sizeof (rois[0].roi_id));
  rois[0].left = 100;
  rois[0].top = 300;
  rois[0].width = 400;
  rois[0].height = 400;
  /* All 128 bytes used, no NUL: the parser keeps 127 of them. */
  memset (rois[1].roi_id, 'x', sizeof (rois[1].roi_id));
  rois[1].left = 1;
  rois[1].top = 2;
  rois[1].width = 3;
  rois[1].height = 4;

  event = gst_nvevent_new_roi_update ((gchar *) "0", 2, rois);
  CHECK (event != NULL);
  if (event == NULL)
    return;
  CHECK (GST_EVENT_TYPE (event) == (GstEventType) GST_NVEVENT_ROI_UPDATE);
  CHECK (GST_EVENT_IS_DOWNSTREAM (event) && GST_EVENT_IS_SERIALIZED (event));
  CHECK (!GST_EVENT_IS_STICKY (event));
  CHECK (has_name (event, "nv-roi-update"));
  CHECK (field_type (event, "stream_id") == G_TYPE_STRING);
  CHECK (field_type (event, "roi-count") == G_TYPE_UINT);
  CHECK (field_type (event, "roi_id_1") == G_TYPE_STRING);
  CHECK (field_type (event, "left_1") == G_TYPE_UINT);
  CHECK (field_type (event, "height_1") == G_TYPE_UINT);

  gst_nvevent_parse_roi_update (event, &stream_id, &count, &parsed);
  CHECK (g_strcmp0 (stream_id, "0") == 0);
  CHECK (count == 2);
  CHECK (parsed != NULL);
  if (parsed != NULL && count == 2) {
    CHECK (strcmp (parsed[0].roi_id, "0") == 0);
    CHECK (parsed[0].left == 100 && parsed[0].top == 300);
    CHECK (parsed[0].width == 400 && parsed[0].height == 400);
    CHECK (strlen (parsed[1].roi_id) == 127);
    CHECK (parsed[1].left == 1 && parsed[1].top == 2);
    CHECK (parsed[1].width == 3 && parsed[1].height == 4);
  }
  g_free (stream_id);
  g_free (parsed);
  gst_event_unref (event);

  /* No rectangles: count 0 and a NULL array, like g_malloc (0). */
  event = gst_nvevent_new_roi_update ((gchar *) "5", 0, NULL);
  CHECK (event != NULL);
  if (event != NULL) {
    stream_id = NULL;
    count = 99;
    parsed = (RoiDimension *) rois;
    gst_nvevent_parse_roi_update (event, &stream_id, &count, &parsed);
    CHECK (g_strcmp0 (stream_id, "5") == 0);
    CHECK (count == 0);
    CHECK (parsed == NULL);
    g_free (stream_id);
    gst_event_unref (event);
  }
  /* A count without an array is refused. */
  CHECK (gst_nvevent_new_roi_update ((gchar *) "5", 1, NULL) == NULL);
}

static void
check_infer_interval_update (void)
{
  GstEvent *event = gst_nvevent_infer_interval_update ((gchar *) "3", 2);
  gchar *stream_id = NULL;
  guint interval = 0;
  guint untouched = 77;
  gchar *untouched_id = NULL;
  RoiDimension *untouched_rois = NULL;

  CHECK (event != NULL);
  if (event == NULL)
    return;
  CHECK (GST_EVENT_TYPE (event) ==
      (GstEventType) GST_NVEVENT_INFER_INTERVAL_UPDATE);
  CHECK (has_name (event, "nv-infer-interval-update"));
  CHECK (field_type (event, "stream_id") == G_TYPE_STRING);
  CHECK (field_type (event, "interval") == G_TYPE_UINT);

  gst_nvevent_parse_infer_interval_update (event, &stream_id, &interval);
  CHECK (g_strcmp0 (stream_id, "3") == 0);
  CHECK (interval == 2);
  g_free (stream_id);

  /* Another parser leaves its outputs alone. */
  gst_nvevent_parse_roi_update (event, &untouched_id, &untouched,
      &untouched_rois);
  CHECK (untouched_id == NULL && untouched == 77 && untouched_rois == NULL);
  gst_event_unref (event);
}

static void
check_other_control_events (void)
{
  gchar *stream_id = NULL, *text = NULL;
  guint u = 0;
  gint i = 0;
  GstEvent *event;

  event = gst_nvevent_enc_force_idr ((gchar *) "1", 1);
  CHECK (has_name (event, "nv-enc-force-idr"));
  CHECK (field_type (event, "force") == G_TYPE_INT);
  gst_nvevent_parse_enc_force_idr (event, &stream_id, &i);
  CHECK (g_strcmp0 (stream_id, "1") == 0 && i == 1);
  g_clear_pointer (&stream_id, g_free);
  gst_event_unref (event);

  event = gst_nvevent_dec_drop_frame_interval_update ((gchar *) "2", 5);
  CHECK (has_name (event, "nv-dec-drop-frame-interval-update"));
  gst_nvevent_parse_dec_drop_frame_interval_update (event, &stream_id, &u);
  CHECK (g_strcmp0 (stream_id, "2") == 0 && u == 5);
  g_clear_pointer (&stream_id, g_free);
  gst_event_unref (event);

  event = gst_nvevent_analytics_reload_config_update ((gchar *) "/a/b.txt");
  CHECK (has_name (event, "nv-analytics-reload_config-update"));
  gst_nvevent_parse_analytics_reload_config_update (event, &text);
  CHECK (g_strcmp0 (text, "/a/b.txt") == 0);
  g_clear_pointer (&text, g_free);
  gst_event_unref (event);

  event = gst_nvevent_nvtracker_config_update ((gchar *) "0", (gchar *) "t.yml");
  CHECK (has_name (event, "nv-tracker-config-update"));
  gst_nvevent_parse_nvtracker_config_update (event, &stream_id, &text);
  CHECK (g_strcmp0 (stream_id, "0") == 0 && g_strcmp0 (text, "t.yml") == 0);
  g_clear_pointer (&stream_id, g_free);
  g_clear_pointer (&text, g_free);
  gst_event_unref (event);
}

static void
check_lifecycle_events (void)
{
  GstEvent *event;
  guint source_id = 0;
  gchar *stream_id = NULL;
  GstSegment segment, *parsed = NULL;

  event = gst_nvevent_new_pad_added (3);
  CHECK (GST_EVENT_TYPE (event) == (GstEventType) GST_NVEVENT_PAD_ADDED);
  CHECK (GST_EVENT_IS_STICKY (event));
  CHECK (has_name (event, "nv-pad-added-3"));
  CHECK (field_type (event, "source-id") == G_TYPE_UINT);
  gst_nvevent_parse_pad_added (event, &source_id);
  CHECK (source_id == 3);
  gst_event_unref (event);

  event = gst_nvevent_new_stream_start (4, (gchar *) "cam/video");
  gst_nvevent_parse_stream_start (event, &source_id, &stream_id);
  CHECK (source_id == 4 && g_strcmp0 (stream_id, "cam/video") == 0);
  g_free (stream_id);
  gst_event_unref (event);

  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = 42;
  event = gst_nvevent_new_stream_segment (5, &segment);
  CHECK (field_type (event, "segment") == GST_TYPE_SEGMENT);
  gst_nvevent_parse_stream_segment (event, &source_id, &parsed);
  CHECK (source_id == 5 && parsed != NULL);
  if (parsed != NULL)
    CHECK (parsed->format == GST_FORMAT_TIME && parsed->start == 42);
  gst_event_unref (event);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  check_type_values ();
  check_roi_update ();
  check_infer_interval_update ();
  check_other_control_events ();
  check_lifecycle_events ();
  if (failures != 0) {
    g_printerr ("%d check(s) failed\n", failures);
    return 1;
  }
  g_print ("all checks passed\n");
  return 0;
}
