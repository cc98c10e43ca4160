#include "gsb-source-meta.h"

GType
gst_swift_source_meta_api_get_type (void)
{
  static GType type;
  static const gchar *tags[] = { NULL };
  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register ("GstSwiftSourceMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

static gboolean
source_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  GstSwiftSourceMeta *m = (GstSwiftSourceMeta *) meta;
  m->source_id = 0;
  m->sensor_id = NULL;
  m->frame_number = 0;
  m->batch_id = G_MAXUINT64;
  m->num_frames_in_batch = 0;
  return TRUE;
}

static void
source_meta_free (GstMeta * meta, GstBuffer * buffer)
{
  g_free (((GstSwiftSourceMeta *) meta)->sensor_id);
}

static gboolean
source_meta_transform (GstBuffer * dest, GstMeta * meta, GstBuffer * buffer,
    GQuark type, gpointer data)
{
  GstSwiftSourceMeta *m = (GstSwiftSourceMeta *) meta;
  GstSwiftSourceMeta *copy;
  /* Copies and region changes keep the origin of the frame. */
  copy = gst_buffer_add_swift_source_meta (dest, m->source_id, m->sensor_id,
      m->frame_number);
  if (copy == NULL)
    return FALSE;
  copy->batch_id = m->batch_id;
  copy->num_frames_in_batch = m->num_frames_in_batch;
  return TRUE;
}

const GstMetaInfo *
gst_swift_source_meta_get_info (void)
{
  static const GstMetaInfo *info;
  if (g_once_init_enter ((GstMetaInfo **) & info)) {
    const GstMetaInfo *i =
        gst_meta_register (GST_SWIFT_SOURCE_META_API_TYPE,
        "GstSwiftSourceMeta", sizeof (GstSwiftSourceMeta), source_meta_init,
        source_meta_free, source_meta_transform);
    g_once_init_leave ((GstMetaInfo **) & info, (GstMetaInfo *) i);
  }
  return info;
}

GstSwiftSourceMeta *
gst_buffer_add_swift_source_meta (GstBuffer * buffer, guint source_id,
    const gchar * sensor_id, guint64 frame_number)
{
  GstSwiftSourceMeta *m = (GstSwiftSourceMeta *)
      gst_buffer_add_meta (buffer, GST_SWIFT_SOURCE_META_INFO, NULL);
  if (m == NULL)
    return NULL;
  m->source_id = source_id;
  m->sensor_id = g_strdup (sensor_id);
  m->frame_number = frame_number;
  m->batch_id = G_MAXUINT64;
  m->num_frames_in_batch = 0;
  return m;
}

GstSwiftSourceMeta *
gst_buffer_get_swift_source_meta (GstBuffer * buffer)
{
  return (GstSwiftSourceMeta *) gst_buffer_get_meta (buffer,
      GST_SWIFT_SOURCE_META_API_TYPE);
}
