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
} GstSwiftSourceMeta;

#define GST_SWIFT_SOURCE_META_API_TYPE (gst_swift_source_meta_api_get_type ())
#define GST_SWIFT_SOURCE_META_INFO (gst_swift_source_meta_get_info ())

GType gst_swift_source_meta_api_get_type (void);
const GstMetaInfo *gst_swift_source_meta_get_info (void);
GstSwiftSourceMeta *gst_buffer_add_swift_source_meta (GstBuffer * buffer,
    guint source_id, const gchar * sensor_id, guint64 frame_number);
GstSwiftSourceMeta *gst_buffer_get_swift_source_meta (GstBuffer * buffer);

G_END_DECLS
