/* GstSwiftSourceMeta: which source a muxed buffer came from.
 *
 * swiftmultiurisrcbin's default muxer attaches it to every buffer it
 * forwards. C elements read it with gst_buffer_get_swift_source_meta(). */
#pragma once
#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _GstSwiftSourceMeta
{
  GstMeta meta;
  guint source_id;              /* the bin's source id (mux pad index) */
  gchar *sensor_id;             /* the sensor (camera) id, owned by the meta */
  guint64 frame_number;         /* 0-based count of this source's frames */
  /* Batching (swiftstreammux batched-push-timeout >= 0): the frames of one
   * batch go out one after the other, in source id order, each with the
   * batch's number and size. Without batching batch_id is G_MAXUINT64 and
   * num_frames_in_batch 0. */
  guint64 batch_id;             /* 0-based number of the batch */
  guint num_frames_in_batch;    /* frames in that batch (<= active sources) */
} GstSwiftSourceMeta;

#define GST_SWIFT_SOURCE_META_API_TYPE (gst_swift_source_meta_api_get_type ())
#define GST_SWIFT_SOURCE_META_INFO (gst_swift_source_meta_get_info ())

GType gst_swift_source_meta_api_get_type (void);
const GstMetaInfo *gst_swift_source_meta_get_info (void);
GstSwiftSourceMeta *gst_buffer_add_swift_source_meta (GstBuffer * buffer,
    guint source_id, const gchar * sensor_id, guint64 frame_number);
GstSwiftSourceMeta *gst_buffer_get_swift_source_meta (GstBuffer * buffer);

G_END_DECLS
