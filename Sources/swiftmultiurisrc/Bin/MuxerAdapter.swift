import CGStreamer
import GstSwiftBridge

/// What the bin needs to know about its muxer, whatever element it is.
struct MuxerAdapter: @unchecked Sendable {
    enum Kind: Sendable, Equatable {
        /// swiftstreammux: every frame, with GstSwiftSourceMeta.
        case streamMux
        /// compositor: a tiled mosaic of `width`×`height`.
        case compositor
        /// Any other element with sink_%u request pads (nvstreammux, funnel...).
        case generic(String)
    }

    let kind: Kind
    /// The muxer element itself (in the bin).
    let element: ObjectRef<GstElement>
    /// The element whose src pad is the bin's src target (the muxer, or the
    /// capsfilter fixing the mosaic size after a compositor).
    let output: ObjectRef<GstElement>
    /// Elements to add to the bin (the muxer and anything after it).
    let elements: [ObjectRef<GstElement>]
    /// Size of the whole mosaic (compositor only).
    let mosaicWidth: UInt32
    let mosaicHeight: UInt32
    /// Muxer properties of the bin set to a value other than their default
    /// that this muxer has no property for (reported once when it is made).
    var unappliedProperties: [String] = []

    enum MakeError: Error { case missingFactory(String), noRequestPads(String) }

    static func make(_ setting: String, settings: Settings) throws(MakeError) -> MuxerAdapter {
        let name = setting.isEmpty ? "default" : setting
        switch name {
        case "default", "swiftstreammux":
            guard let mux = makeElement("swiftstreammux", name: "muxer") else {
                throw .missingFactory("swiftstreammux")
            }
            return MuxerAdapter(kind: .streamMux, element: ObjectRef(mux), output: ObjectRef(mux),
                                elements: [ObjectRef(mux)], mosaicWidth: 0, mosaicHeight: 0,
                                unappliedProperties: forward(settings, to: mux))
        case "compositor":
            guard let mux = makeElement("compositor", name: "muxer") else { throw .missingFactory("compositor") }
            guard let caps = makeElement("capsfilter", name: "mosaic-caps") else {
                gst_object_unref(UnsafeMutableRawPointer(mux))
                throw .missingFactory("capsfilter")
            }
            let w = settings.width > 0 ? settings.width : 1280
            let h = settings.height > 0 ? settings.height : 720
            // Black where no source is, rather than compositor's checkerboard.
            gsb_object_set_from_string(mux, "background", "black")
            if let c = gsb_caps_new_video(nil, Int32(w), Int32(h), 1) {
                gsb_object_set_object(caps, "caps", UnsafeMutableRawPointer(c))
                gsb_caps_unref(c)
            }
            return MuxerAdapter(kind: .compositor, element: ObjectRef(mux), output: ObjectRef(caps),
                                elements: [ObjectRef(mux), ObjectRef(caps)], mosaicWidth: w, mosaicHeight: h,
                                unappliedProperties: forward(settings, to: mux))
        default:
            guard let mux = makeElement(name, name: "muxer") else { throw .missingFactory(name) }
            guard gst_element_get_pad_template(mux, "sink_%u") != nil else {
                gst_object_unref(UnsafeMutableRawPointer(mux))
                throw .noRequestPads(name)
            }
            // nvstreammux-style properties, where the element has them.
            if settings.width > 0, gsb_object_has_property(mux, "width") != 0 {
                gsb_object_set_from_string(mux, "width", "\(settings.width)")
            }
            if settings.height > 0, gsb_object_has_property(mux, "height") != 0 {
                gsb_object_set_from_string(mux, "height", "\(settings.height)")
            }
            if gsb_object_has_property(mux, "batch-size") != 0 {
                gsb_object_set_from_string(mux, "batch-size", "\(settings.maxBatchSize)")
            }
            if gsb_object_has_property(mux, "live-source") != 0 {
                gsb_object_set_bool(mux, "live-source", settings.liveSource.gboolean)
            }
            return MuxerAdapter(kind: .generic(name), element: ObjectRef(mux), output: ObjectRef(mux),
                                elements: [ObjectRef(mux)], mosaicWidth: 0, mosaicHeight: 0,
                                unappliedProperties: forward(settings, to: mux))
        }
    }

    /// The bin's muxer properties (batched-push-timeout, config-file-path,
    /// sync-inputs, ..., and gpu-id, nvbuf-memory-type, compute-hw,
    /// interpolation-method) with a value other than their default, on a
    /// muxer that has a property of that name. Returns the muxer properties
    /// the muxer lacks.
    private static func forward(_ settings: Settings, to mux: UnsafeMutablePointer<GstElement>) -> [String] {
        var unapplied: [String] = []
        for property in BinProperty.allCases {
            guard let argument = property.muxerArgument(settings) else { continue }
            let name = property.name
            if gsb_object_has_property(mux, name) != 0 {
                if property == .configFilePath {
                    gsb_object_set_string(mux, name, argument)
                } else {
                    _ = gsb_object_set_from_string(mux, name, argument)
                }
            } else if property.isMuxerProperty {
                unapplied.append("\(name)=\(argument)")
            }
        }
        return unapplied
    }

    /// The swiftstreammux behind the element, when it is one.
    var streamMux: StreamMux? {
        kind == .streamMux ? swiftImpl(ofInstance: element.raw) : nil
    }

    /// Tiles: for n sources a grid of ceil(sqrt(n)) columns. Returns the cell
    /// of the index-th source (in source id order).
    func cell(index: Int, count: Int) -> (x: Int32, y: Int32, width: UInt32, height: UInt32) {
        let n = max(count, 1)
        var columns = 1
        while columns * columns < n { columns += 1 }
        let rows = (n + columns - 1) / columns
        let w = mosaicWidth / UInt32(columns)
        let h = mosaicHeight / UInt32(rows)
        let col = index % columns
        let row = index / columns
        return (Int32(clamping: UInt32(col) * w), Int32(clamping: UInt32(row) * h), w, h)
    }
}
