import CGStreamer
import GstSwiftBridge

/// The media side of GET info, read once per process from GStreamer's
/// registry (a full scan costs milliseconds; the registry does not change
/// under a running pipeline in practice).
enum PlatformProbe {
    /// The hardware H.264 encoders an RTSP output would try, in its order.
    static let hardwareEncoderNames = ["nvh264enc", "nvv4l2h264enc", "vah264enc", "vaapih264enc", "qsvh264enc", "v4l2h264enc"]

    static let current: PlatformInfo = {
        var info = PlatformInfo()
        if let version = gst_version_string() {
            info.gstreamer = String(cString: version)
            g_free(version)
        }
        // GST_ELEMENT_FACTORY_TYPE_DECODER | GST_ELEMENT_FACTORY_TYPE_MEDIA_VIDEO
        let decoderVideo: GstElementFactoryListType = (1 << 0) | (1 << 49)
        if let list = gst_element_factory_list_get_elements(decoderVideo, GstRank(GST_RANK_MARGINAL.rawValue)) {
            var node: UnsafeMutablePointer<GList>? = list
            var names: [String] = []
            while let n = node {
                if let data = n.pointee.data {
                    names.append(objectName(data))
                }
                node = n.pointee.next
            }
            gst_plugin_feature_list_free(list)
            info.decoders = names.sorted()
        }
        info.hardwareEncoders = hardwareEncoderNames.filter { name in
            guard let factory = gst_element_factory_find(name) else { return false }
            gst_object_unref(UnsafeMutableRawPointer(factory))
            return true
        }
        return info
    }()
}
