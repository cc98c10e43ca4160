import CGStreamer
import GstSwiftBridge

/// Class-side helpers shared by the GstBaseTransform elements of this folder.
enum TransformClass {
    /// Registers `typeName` as a GstBaseTransform subclass; 0 on failure.
    static func register(_ typeName: String, _ hooks: GsbHooks) -> GType {
        var hooks = hooks
        return gsb_register_subclass(gsb_type_base_transform(), typeName, &hooks)
    }

    /// Element metadata and "sink"/"src" templates with ANY caps: these
    /// elements look at events and metadata only, never at the payload, so
    /// they fit anywhere (raw video, NVMM batches, encoded data).
    static func setUp(_ klass: gpointer, longName: String, classification: String, description: String) {
        let elementClass = klass.assumingMemoryBound(to: GstElementClass.self)
        // Static metadata wants strings that live forever: interned ones do.
        gst_element_class_set_static_metadata(elementClass, g_intern_string(longName),
                                              g_intern_string(classification),
                                              g_intern_string(description),
                                              g_intern_string("swift-multiurisrc project"))
        gsb_element_class_add_template(klass, "sink", GST_PAD_SINK, GST_PAD_ALWAYS, "ANY")
        gsb_element_class_add_template(klass, "src", GST_PAD_SRC, GST_PAD_ALWAYS, "ANY")
    }

    static func install(_ klass: gpointer, _ id: UInt32, _ spec: UnsafeMutablePointer<GParamSpec>) {
        g_object_class_install_property(klass.assumingMemoryBound(to: GObjectClass.self), guint(id), spec)
    }

    /// A read-only string property (PropertySpec covers writable ones only).
    static func readOnlyString(_ name: String, nick: String, blurb: String) -> UnsafeMutablePointer<GParamSpec> {
        g_param_spec_string(g_intern_string(name), g_intern_string(nick), g_intern_string(blurb),
                            nil, gsb_param_flags_readonly())
    }
}

/// The source a buffer belongs to: GstSwiftSourceMeta's source id, or 0 for
/// a buffer without one (a single-stream pipeline).
func sourceId(of buffer: UnsafeMutablePointer<GstBuffer>) -> UInt32 {
    gst_buffer_get_swift_source_meta(buffer)?.pointee.source_id ?? 0
}

/// Which streams a control event's stream_id names: one source id, every
/// stream ("-1", "all" or empty, as DeepStream's REST clients send for
/// "all streams"), or nothing we understand.
enum StreamSelector: Equatable {
    case one(UInt32)
    case all
    case invalid

    init(_ streamId: String) {
        let text = streamId.trimmed(of: " \t")
        if text.isEmpty || text == "-1" || text.lowercased() == "all" {
            self = .all
        } else if let id = UInt32(text) {
            self = .one(id)
        } else {
            self = .invalid
        }
    }
}

private extension String {
    func trimmed(of set: String) -> String {
        let skip = Set(set)
        let start = firstIndex { !skip.contains($0) } ?? endIndex
        let end = lastIndex { !skip.contains($0) }.map { index(after: $0) } ?? start
        return start < end ? String(self[start..<end]) : ""
    }
}
