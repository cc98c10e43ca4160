import CGStreamer
import GstSwiftBridge
import Synchronization

/// Signal handlers that configure what uridecodebin3 creates for a source:
/// its dynamic video pad, the stream selection, the network source and the
/// decoder.
extension MultiUriSrcBin {
    func configureDecoder(_ branch: SourceBranch, context: SourceContext) {
        let decoder = branch.decoder.raw

        typealias PadAdded = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<GstPad>?, UnsafeMutableRawPointer?) -> Void
        let padAdded: PadAdded = { _, pad, data in
            guard let pad, let context = SourceContext.from(data) else { return }
            context.progress.markExposed()
            context.bin?.linkDecodedPad(pad, slot: context.slot)
        }
        _ = gsb_signal_connect(decoder, "pad-added", unsafeBitCast(padAdded, to: GCallback.self),
                               context.retainedPointer(), SourceContext.releaseClosure)

        if g_signal_lookup("select-stream", gsb_object_type(decoder)) != 0 {
            typealias SelectStream = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<GstStream>?, UnsafeMutableRawPointer?) -> gint
            // Only video is decoded: audio would cost CPU and leave a pad
            // nothing consumes.
            let select: SelectStream = { _, _, stream, _ in
                guard let stream else { return -1 }
                return (gst_stream_get_stream_type(stream).rawValue & GST_STREAM_TYPE_VIDEO.rawValue) != 0 ? 1 : 0
            }
            _ = gsb_signal_connect(decoder, "select-stream", unsafeBitCast(select, to: GCallback.self), nil, nil)
        }

        if g_signal_lookup("source-setup", gsb_object_type(decoder)) != 0 {
            typealias SourceSetup = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<GstElement>?, UnsafeMutableRawPointer?) -> Void
            let setup: SourceSetup = { _, source, data in
                guard let source, let context = SourceContext.from(data) else { return }
                let extras = context.bin?.settings.withLock { $0.deepStream } ?? DeepStreamExtras()
                MultiUriSrcBin.configureNetworkSource(source, options: context.slot.options, extras: extras)
            }
            _ = gsb_signal_connect(decoder, "source-setup", unsafeBitCast(setup, to: GCallback.self),
                                   context.retainedPointer(), SourceContext.releaseClosure)
        }

        typealias DeepAdded = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<GstElement>?, UnsafeMutableRawPointer?) -> Void
        let deepAdded: DeepAdded = { _, _, element, data in
            guard let element, let context = SourceContext.from(data), let bin = context.bin else { return }
            bin.configureChild(element, context: context)
        }
        _ = gsb_signal_connect(branch.bin.raw, "deep-element-added", unsafeBitCast(deepAdded, to: GCallback.self),
                               context.retainedPointer(), SourceContext.releaseClosure)
    }

    /// The RTSP settings, on the source element uridecodebin3 made
    /// (rtspsrc; other sources lack these properties and are left alone).
    static func configureNetworkSource(_ source: UnsafeMutablePointer<GstElement>, options: ResolvedSourceOptions,
                                       extras: DeepStreamExtras) {
        func has(_ name: String) -> Bool { gsb_object_has_property(source, name) != 0 }
        if has("latency") {
            gsb_object_set_uint(source, "latency", options.latencyMs)
        }
        if has("protocols"), let wanted = rtspLowerTransports(options.rtpProtocol) {
            // HTTP tunnelling and TLS that the URI scheme asked for (rtsph://,
            // rtsps://) stay: dropping them would break the connection.
            let fromScheme = gsb_object_get_uint(source, "protocols") & (rtspLowerTransHTTP | rtspLowerTransTLS)
            gsb_object_set_uint(source, "protocols", wanted | fromScheme)
        }
        // rtspsrc's udp-buffer-size is a gint.
        if has("udp-buffer-size") {
            _ = gsb_object_set_from_string(source, "udp-buffer-size", "\(min(extras.udpBufferSize, UInt32(Int32.max)))")
        }
        if has("drop-on-latency") {
            gsb_object_set_bool(source, "drop-on-latency", extras.dropOnLatency.gboolean)
        }
        if has("buffer-mode") {
            _ = gsb_object_set_from_string(source, "buffer-mode", "\(extras.bufferMode)")
        }
    }

    /// GstRTSPLowerTrans flags (gst/rtsp/gstrtsptransport.h).
    static let rtspLowerTransUDP: UInt32 = 1 << 0
    static let rtspLowerTransUDPMcast: UInt32 = 1 << 1
    static let rtspLowerTransTCP: UInt32 = 1 << 2
    static let rtspLowerTransHTTP: UInt32 = 1 << 4
    static let rtspLowerTransTLS: UInt32 = 1 << 5

    /// rtspsrc `protocols` for a select-rtp-protocol value (BinEnum.rtpProtocol);
    /// nil leaves rtspsrc's own choice: rtp-unknown (REST's 0, "UDP then TCP")
    /// and rtp-udp-udpmcast-tcp, which is what rtspsrc tries by default and
    /// lets rtspt:// / rtspu:// URIs narrow it.
    static func rtspLowerTransports(_ rtpProtocol: UInt32) -> UInt32? {
        switch rtpProtocol {
        case 1: rtspLowerTransUDP
        case 2: rtspLowerTransUDPMcast
        case 4: rtspLowerTransTCP
        case 10: rtspLowerTransTCP | rtspLowerTransHTTP
        case 20: rtspLowerTransTCP | rtspLowerTransTLS
        default: nil
        }
    }

    /// uridecodebin3 exposed a pad: the first video one feeds the branch.
    func linkDecodedPad(_ pad: UnsafeMutablePointer<GstPad>, slot: SourceSlot) {
        guard let branch = slot.branch.withLock({ $0 }) else { return }
        let caps = gst_pad_get_current_caps(pad) ?? gst_pad_query_caps(pad, nil)
        var isVideo = false, isSystemMemoryRaw = false
        if let caps {
            if gst_caps_get_size(caps) > 0, let s = gst_caps_get_structure(caps, 0),
               let name = gst_structure_get_name(s) {
                isVideo = String(cString: name).hasPrefix("video/")
                isSystemMemoryRaw = String(cString: name) == "video/x-raw" && gsb_caps_is_system_memory(caps) != 0
            }
            gsb_caps_unref(caps)
        }
        guard isVideo, let sink = gst_element_get_static_pad(branch.entry.ptr, "sink") else { return }
        defer { gst_object_unref(UnsafeMutableRawPointer(sink)) }
        guard gst_pad_is_linked(sink) == 0 else { return }
        // The converter takes any raw video in system memory; checking that
        // would query caps through the whole branch and the muxer on the
        // streaming thread, before the first frame. Other caps get the
        // full check, so that a wrong link fails here with a warning.
        let result = gst_pad_link_full(pad, sink, isSystemMemoryRaw ? GST_PAD_LINK_CHECK_NOTHING : GST_PAD_LINK_CHECK_DEFAULT)
        if result != GST_PAD_LINK_OK {
            binLog.warning(element.raw, "source \(slot.sourceId): cannot link decoded pad (\(result.rawValue))")
        }
    }

    /// Every element uridecodebin3 creates passes here: decoders get the
    /// DeepStream decoder settings where they have them, and a probe in
    /// front that does skip-frames (DecoderTap) and notes where a looped
    /// file's frames end.
    func configureChild(_ child: UnsafeMutablePointer<GstElement>, context: SourceContext) {
        guard isDecoder(child) else { return }
        let s = settings.withLock { $0 }
        let options = context.slot.options
        // skip-frames 0 is every decoder's default: a new decoder is left
        // alone. A libav decoder gets its skip-frame from the probe below,
        // at a frame: avdec writes it straight into its codec context, which
        // a decoder going to NULL right after being added (a pipeline stopped
        // while it autoplugs) has already freed; that write crashed
        // (BinTests.fiftyStateCycles, under load). At a frame the context is
        // open, and the stop waits for the frame's stream lock.
        applyDecoderProperties(child, dropFrameInterval: options.dropFrameInterval,
                               skipFrames: s.decSkipFrames == 0 ? nil : s.decSkipFrames,
                               lowLatency: s.lowLatencyMode, settings: s)
        if let sink = gst_element_get_static_pad(child, "sink") {
            let types = GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER.rawValue | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM.rawValue)
            let tap = DecoderTap(context: context,
                                 takesLibavSkipFrame: gsb_object_has_property(UnsafeMutableRawPointer(child), "skip-frame") != 0
                                     && gsb_object_has_property(UnsafeMutableRawPointer(child), "skip-frames") == 0)
            gst_pad_add_probe(sink, types, { pad, info, data in
                guard let data, let info else { return GST_PAD_PROBE_OK }
                let tap = Unmanaged<DecoderTap>.fromOpaque(data).takeUnretainedValue()
                let context = tap.context
                // The info's data is a buffer or an event: its type says which.
                if gsb_probe_info_type(info).rawValue & GST_PAD_PROBE_TYPE_BUFFER.rawValue == 0 {
                    guard context.slot.loopsFile, let event = gsb_probe_info_event(info) else { return GST_PAD_PROBE_OK }
                    if gsb_event_type(event) == GST_EVENT_SEGMENT {
                        context.decoderInputSegment.withLock { gst_event_copy_segment(event, $0.ptr) }
                    }
                    return GST_PAD_PROBE_OK
                }
                guard let buffer = gsb_probe_info_buffer(info) else { return GST_PAD_PROBE_OK }
                if context.slot.loopsFile { context.noteFrameEnd(buffer, in: context.decoderInputSegment) }
                let skipFrames = context.slot.skipFrames.load(ordering: .relaxed)
                if tap.takesLibavSkipFrame, let pad { tap.applyLibavSkipFrame(skipFrames, decoderOf: pad) }
                guard skipFrames == 2 else { return GST_PAD_PROBE_OK }
                return gst_buffer_has_flags(buffer, GST_BUFFER_FLAG_DELTA_UNIT) != 0 ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK
            }, Unmanaged.passRetained(tap).toOpaque(), { data in
                if let data { Unmanaged<DecoderTap>.fromOpaque(data).release() }
            })
            gst_object_unref(UnsafeMutableRawPointer(sink))
        }
    }

    /// Decoder properties by the names DeepStream's and GStreamer's decoders
    /// use; missing ones are skipped.
    func applyDecoderProperties(_ decoder: UnsafeMutablePointer<GstElement>, dropFrameInterval: UInt32?,
                                skipFrames: UInt32?, lowLatency: Bool?, settings s: Settings) {
        let raw = UnsafeMutableRawPointer(decoder)
        func has(_ name: String) -> Bool { gsb_object_has_property(raw, name) != 0 }
        if let dropFrameInterval, has("drop-frame-interval") {
            gsb_object_set_uint(raw, "drop-frame-interval", dropFrameInterval)
        }
        if let skipFrames {
            // libav decoders (skip-frame) get theirs from the probe in
            // front of them (configureChild).
            if has("skip-frames") {
                _ = gsb_object_set_from_string(raw, "skip-frames", "\(skipFrames)")
            }
        }
        if let lowLatency, has("low-latency-mode") {
            gsb_object_set_bool(raw, "low-latency-mode", lowLatency.gboolean)
        }
        if has("gpu-id") { _ = gsb_object_set_from_string(raw, "gpu-id", "\(s.gpuId)") }
        if has("cudadec-memtype") { _ = gsb_object_set_from_string(raw, "cudadec-memtype", "\(s.cudadecMemtype)") }
        if has("num-extra-surfaces") { _ = gsb_object_set_from_string(raw, "num-extra-surfaces", "\(s.numExtraSurfaces)") }
        if let uuid = s.deepStream.seiUuid, !uuid.isEmpty, has("sei-uuid") { gsb_object_set_string(raw, "sei-uuid", uuid) }
        if s.deepStream.extractSeiType5DataDec, has("extract-sei-type5-data") {
            gsb_object_set_bool(raw, "extract-sei-type5-data", 1)
        }
    }

    /// Every element inside a source's bin, recursively unless told
    /// otherwise (run-time decoder settings, the start order). After a
    /// resync `body` may see an element twice.
    static func forEachElement(in bin: UnsafeMutablePointer<GstElement>, recursive: Bool = true,
                               _ body: (UnsafeMutablePointer<GstElement>) -> Void) {
        let binPtr = cast(bin, to: GstBin.self)
        guard let it = recursive ? gst_bin_iterate_recurse(binPtr) : gst_bin_iterate_elements(binPtr) else { return }
        defer { gst_iterator_free(it) }
        var item = GValue()
        var rounds = 0
        while rounds < 10_000 {
            rounds += 1
            let r = gst_iterator_next(it, &item)
            if r == GST_ITERATOR_OK {
                if let obj = g_value_get_object(&item) {
                    body(obj.assumingMemoryBound(to: GstElement.self))
                }
                g_value_reset(&item)
            } else if r == GST_ITERATOR_RESYNC {
                gst_iterator_resync(it)
            } else {
                break
            }
        }
        g_value_unset(&item)
    }

    func isDecoder(_ e: UnsafeMutablePointer<GstElement>) -> Bool {
        guard let factory = gst_element_get_factory(e),
              let klass = gst_element_factory_get_metadata(factory, GST_ELEMENT_METADATA_KLASS) else { return false }
        return String(cString: klass).contains("Decoder")
    }
}

/// What the probe in front of one decoder keeps: its source's context, and
/// for a libav decoder the skip-frame it was last given.
final class DecoderTap: Sendable {
    let context: SourceContext
    /// The decoder has libav's skip-frame (and not DeepStream's skip-frames,
    /// which is set directly).
    let takesLibavSkipFrame: Bool
    /// What the decoder has now: libav's default 0 when it is made.
    /// Streaming thread only.
    private let libavSkipFrame = Atomic<Int32>(0)

    init(context: SourceContext, takesLibavSkipFrame: Bool) {
        self.context = context
        self.takesLibavSkipFrame = takesLibavSkipFrame
    }

    /// DeepStream's skip-frames 1 (no non-reference frames) is libav's 1
    /// (skip B-frames); 2 (key frames only) is the probe's drop, so libav
    /// decodes everything it is given.
    func applyLibavSkipFrame(_ skipFrames: UInt32, decoderOf pad: UnsafeMutablePointer<GstPad>) {
        let wanted: Int32 = skipFrames == 1 ? 1 : 0
        guard wanted != libavSkipFrame.load(ordering: .relaxed),
              let decoder = gst_pad_get_parent_element(pad) else { return }
        libavSkipFrame.store(wanted, ordering: .relaxed)
        _ = gsb_object_set_from_string(UnsafeMutableRawPointer(decoder), "skip-frame", "\(wanted)")
        gst_object_unref(UnsafeMutableRawPointer(decoder))
    }
}
