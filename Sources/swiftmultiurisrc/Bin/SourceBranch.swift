import CGStreamer
import GstSwiftBridge

/// The elements of one source inside the bin, in a bin of their own
/// (`source-bin-<id>`) so that the whole source is added, set to NULL and
/// removed as one:
///
///     decoder ─▶ [videocrop ─▶ videoflip ─▶] videoconvertscale ─▶ capsfilter ─▶ [videobox ─▶] [clocksync ─▶] ghost "src"
///
/// Only what every source needs is built: the converter and the capsfilter
/// that give the muxer one format and size, and clocksync in live-source mode
/// (to pace files in real time). videocrop and videoflip (conv/srccrop,
/// conv/flip-method) and videobox (conv/destcrop) are linked in by
/// `MultiUriSrcBin.insertOptionalElements` the first time a request needs
/// them: each element in the chain costs caps queries at every start (about
/// 0.3 ms per source) even when it passes frames through untouched.
///
/// Probes (SourceProbes.swift): drop-frame-interval on the converter's sink
/// pad; the segment on the capsfilter's sink pad; frames, start offset, EOS
/// and loops on the capsfilter's src pad, which also carries the running-time
/// offset. Optional elements never move them.
struct SourceBranch: @unchecked Sendable {
    // GStreamer objects are thread-safe to reference; the bin owns them all
    // (one ref each held by `bin`). Pointers stay valid while `bin` lives.
    let bin: ObjectRef<GstElement>
    let decoder: ObjectRef<GstElement>
    /// videoconvertscale: format, size and interpolation-method.
    let convertScale: ObjectRef<GstElement>
    /// Fixes format, width and height (layout, dest_crop).
    let capsfilter: ObjectRef<GstElement>
    let clocksync: ObjectRef<GstElement>?
    /// videocrop and videoflip in front of the converter; nil until a
    /// conv/srccrop or conv/flip-method request.
    var crop: ObjectRef<GstElement>?
    var flip: ObjectRef<GstElement>?
    /// videobox after the capsfilter; nil until a conv/destcrop request.
    var box: ObjectRef<GstElement>?
    /// The ghost src pad of `bin`, linked to the muxer.
    let srcPad: ObjectRef<GstPad>
    /// The muxer's request pad this source feeds; nil once released.
    var muxPad: ObjectRef<GstPad>?
    /// Whether the decoder exposed a pad yet (the teardown waits for it).
    let progress = BranchProgress()
    /// Runs every call that takes `bin`'s state lock (state changes, events
    /// sent to it, the teardown), in order, off the caller's thread.
    let driver: SourceStateDriver

    enum BuildError: Error {
        case missingElement(String)
        case linkFailed(String)
    }

    /// The element the decoded pad links to.
    var entry: ObjectRef<GstElement> { crop ?? convertScale }

    /// Builds the elements (not yet added to the parent bin).
    static func build(sourceId: UInt32, uri: String, factory: String, live: Bool) throws(BuildError) -> SourceBranch {
        guard let bin = gst_bin_new("source-bin-\(String(format2: sourceId))") else {
            throw .missingElement("bin")
        }
        // Until the bin is in a parent, it is ours to free on failure.
        gst_object_ref_sink(UnsafeMutableRawPointer(bin))
        var created: [UnsafeMutablePointer<GstElement>] = []
        func make(_ name: String, _ elementName: String) throws(BuildError) -> UnsafeMutablePointer<GstElement> {
            guard let e = makeElement(name, name: elementName) else {
                throw .missingElement(name)
            }
            created.append(e)
            return e
        }
        do throws(BuildError) {
            let decoder = try make(factory, "decoder")
            if gsb_object_has_property(decoder, "uri") != 0 {
                gsb_object_set_string(decoder, "uri", uri)
            }
            let convertScale = try make("videoconvertscale", "convert")
            let capsfilter = try make("capsfilter", "caps")
            // The size changes at run time (dest_crop, compositor cells) from a
            // request's thread; a frame of the old size may be past the
            // converter then. Immediate mode refuses it (not-negotiated, and
            // the source fails); delayed mode lets it through until the
            // converter renegotiates.
            _ = gsb_object_set_from_string(capsfilter, "caps-change-mode", "delayed")
            let clocksync = live ? try make("clocksync", "pace") : nil
            // clocksync offers the system clock; as the pipeline's clock
            // provider, a removed source would post CLOCK_LOST, and
            // gst-launch and most applications answer that by pausing and
            // restarting the whole pipeline.
            if let clocksync { gsb_element_unset_provide_clock(clocksync) }
            for e in created { gst_bin_add(cast(bin, to: GstBin.self), e) }
            created.removeAll()

            var chain = [convertScale, capsfilter]
            if let clocksync { chain.append(clocksync) }
            try linkChain(chain)
            let last = chain[chain.count - 1]
            guard let target = gst_element_get_static_pad(last, "src") else { throw .linkFailed("src") }
            let ghost = gst_ghost_pad_new("src", target)
            gst_object_unref(UnsafeMutableRawPointer(target))
            guard let ghost else { throw .linkFailed("ghost pad") }
            gst_pad_set_active(ghost, 1)
            gst_element_add_pad(bin, ghost)

            return SourceBranch(
                bin: ObjectRef(bin), decoder: ObjectRef(decoder), convertScale: ObjectRef(convertScale),
                capsfilter: ObjectRef(capsfilter), clocksync: clocksync.map { ObjectRef($0) },
                crop: nil, flip: nil, box: nil, srcPad: ObjectRef(ghost), muxPad: nil,
                driver: SourceStateDriver(sourceId: sourceId))
        } catch {
            for e in created { gst_object_unref(UnsafeMutableRawPointer(e)) }
            gst_object_unref(UnsafeMutableRawPointer(bin))
            throw error
        }
    }

    /// Links src to sink pads in order, without the caps check: every
    /// element here takes and gives raw video, and checking queries caps
    /// through the whole chain already linked (about 10 ms for six
    /// elements).
    static func linkChain(_ chain: [UnsafeMutablePointer<GstElement>]) throws(BuildError) {
        for (a, b) in zip(chain, chain.dropFirst())
        where gst_element_link_pads_full(a, "src", b, "sink", GST_PAD_LINK_CHECK_NOTHING) == 0 {
            throw .linkFailed("\(objectName(UnsafeMutableRawPointer(a))) → \(objectName(UnsafeMutableRawPointer(b)))")
        }
    }

    /// The size each frame is scaled to (0×0: keep the source's).
    func setOutputSize(width: UInt32, height: UInt32, keepAspect: Bool) {
        gsb_object_set_bool(convertScale.raw, "add-borders", keepAspect.gboolean)
        let caps = gsb_caps_new_video("I420", Int32(clamping: width), Int32(clamping: height),
                                      (width > 0 && height > 0).gboolean)
        gsb_object_set_object(capsfilter.raw, "caps", caps.map { UnsafeMutableRawPointer($0) })
        if let caps { gsb_caps_unref(caps) }
    }

    /// Drops the reference taken in `build` (after the bin was added to a
    /// parent, or when it was removed again).
    func releaseBuildReference() {
        gst_object_unref(bin.raw)
    }
}

extension String {
    /// Two-digit zero padded, like DeepStream's source bin names.
    init(format2 value: UInt32) {
        self = value < 10 ? "0\(value)" : "\(value)"
    }
}
