import CGStreamer
import GstSwiftBridge
import Synchronization
import swiftcustomevents

/// What probes and signal handlers of one source need: the bin (weak: the
/// GObject owns it) and the slot.
final class SourceContext: @unchecked Sendable {
    weak var bin: MultiUriSrcBin?
    let slot: SourceSlot
    /// The progress of the elements these probes and handlers belong to.
    let progress: BranchProgress
    /// The segment of the frames entering the capsfilter (before the offset
    /// on its src pad).
    /// Streaming thread only.
    let segment = Mutex(SegmentBox())
    /// The segment of the frames entering the decoder, for `decodedEnd`
    /// (a decoder holds its segment back until its first output frame).
    /// Streaming thread only.
    let decoderInputSegment = Mutex(SegmentBox())
    /// The latest frame out, for GET stream/snapshot (a reference, kept
    /// only while someone asks; see SnapshotFrames.swift).
    let frame = LatestFrame()

    init(bin: MultiUriSrcBin, slot: SourceSlot, progress: BranchProgress) {
        self.bin = bin
        self.slot = slot
        self.progress = progress
    }

    /// A retained pointer for C user_data, released by `releaseCallback`.
    func retainedPointer() -> UnsafeMutableRawPointer { Unmanaged.passRetained(self).toOpaque() }

    static func from(_ p: UnsafeMutableRawPointer?) -> SourceContext? {
        guard let p else { return nil }
        return Unmanaged<SourceContext>.fromOpaque(p).takeUnretainedValue()
    }

    static let releaseCallback: GDestroyNotify = { p in
        guard let p else { return }
        Unmanaged<SourceContext>.fromOpaque(p).release()
    }

    /// The same for signal handlers (GClosureNotify has another signature).
    static let releaseClosure: GClosureNotify = { p, _ in
        guard let p else { return }
        Unmanaged<SourceContext>.fromOpaque(p).release()
    }
}

extension SourceContext {
    /// A frame enters the decoder or the dropper (streaming thread):
    /// remember where it ends in the source's running time. Both, because
    /// skip-frames drops frames before the decoder, and files without a
    /// decoder (raw video) have only the dropper.
    func noteFrameEnd(_ buffer: UnsafeMutablePointer<GstBuffer>, in segment: borrowing Mutex<SegmentBox>) {
        let pts = gsb_buffer_pts(buffer)
        guard pts != GstClockTime.max else { return }
        let duration = gsb_buffer_duration(buffer)
        let running = segment.withLock { gsb_segment_running_time($0.ptr, pts) }
        guard running != GstClockTime.max else { return }
        let end = running &+ (duration != GstClockTime.max ? duration : 0)
        slot.runtime.withLock { $0.decodedEnd = max($0.decodedEnd, end) }
    }
}

/// A heap GstSegment (the struct has private padding Swift should not copy).
final class SegmentBox: @unchecked Sendable {
    let ptr = gsb_segment_new_time()!
    deinit { gsb_segment_free(ptr) }
}

extension MultiUriSrcBin {
    /// Pad probes of one source; see SourceBranch for where each sits.
    func installProbes(_ branch: SourceBranch, context: SourceContext) {

        // drop-frame-interval, before any conversion work is spent; and where
        // each decoded frame ends, for file loops.
        if let pad = gst_element_get_static_pad(branch.convertScale.ptr, "sink") {
            gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, { _, info, data in
                guard let context = SourceContext.from(data) else { return GST_PAD_PROBE_OK }
                if context.slot.loopsFile, let info, let buffer = gsb_probe_info_buffer(info) {
                    context.noteFrameEnd(buffer, in: context.segment)
                }
                guard context.slot.dropper.withLock({ $0.keep() }) else { return GST_PAD_PROBE_DROP }
                context.slot.enteredConverterAt.store(monotonicNs(), ordering: .relaxed)
                return GST_PAD_PROBE_OK
            }, context.retainedPointer(), SourceContext.releaseCallback)
            gst_object_unref(UnsafeMutableRawPointer(pad))
        }
        // The segment, as it is before the offset set on the capsfilter's src pad.
        if let pad = gst_element_get_static_pad(branch.capsfilter.ptr, "sink") {
            gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, { _, info, data in
                guard let context = SourceContext.from(data), let info,
                      let event = gsb_probe_info_event(info) else { return GST_PAD_PROBE_OK }
                if gsb_event_type(event) == GST_EVENT_SEGMENT {
                    context.segment.withLock { gst_event_copy_segment(event, $0.ptr) }
                }
                return GST_PAD_PROBE_OK
            }, context.retainedPointer(), SourceContext.releaseCallback)
            gst_object_unref(UnsafeMutableRawPointer(pad))
        }
        // Frames out, first frame, start offset, EOS and loops; the frame
        // kept for snapshots, found through the capsfilter.
        context.frame.attach(to: branch.capsfilter.ptr)
        if let pad = gst_element_get_static_pad(branch.capsfilter.ptr, "src") {
            let types = GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER.rawValue | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM.rawValue)
            gst_pad_add_probe(pad, types, { pad, info, data in
                guard let context = SourceContext.from(data), let info, let pad,
                      let bin = context.bin else { return GST_PAD_PROBE_OK }
                // The info's data is a buffer or an event: its type says which.
                let type = gsb_probe_info_type(info).rawValue
                if type & GST_PAD_PROBE_TYPE_BUFFER.rawValue != 0, let buffer = gsb_probe_info_buffer(info) {
                    return bin.sourceBuffer(context, pad: pad, buffer: buffer)
                } else if type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM.rawValue != 0, let event = gsb_probe_info_event(info) {
                    return bin.sourceEvent(context, event: event)
                }
                return GST_PAD_PROBE_OK
            }, context.retainedPointer(), SourceContext.releaseCallback)
            gst_object_unref(UnsafeMutableRawPointer(pad))
        }
        // stop_after_frames, counted where frames leave for the muxer (after
        // clocksync): exactly that many get there, the stream goes after the
        // last, and any that come before it has gone are dropped.
        if context.slot.stopAfterFrames != nil {
            gst_pad_add_probe(branch.srcPad.ptr, GST_PAD_PROBE_TYPE_BUFFER, { _, _, data in
                guard let context = SourceContext.from(data), let bin = context.bin,
                      let limit = context.slot.stopAfterFrames else { return GST_PAD_PROBE_OK }
                return bin.frameDelivered(context.slot, limit: limit)
            }, context.retainedPointer(), SourceContext.releaseCallback)
        }
        // Flushes from file loops stay inside the source: a flush reaching
        // the muxer would flush every other source too.
        gst_pad_add_probe(branch.srcPad.ptr, GST_PAD_PROBE_TYPE_EVENT_FLUSH, { _, _, _ in
            GST_PAD_PROBE_DROP
        }, nil, nil)
    }

    /// A frame of a stream with stop_after_frames leaves for the muxer
    /// (streaming thread). The stream is stopped at the first frame past the
    /// limit, not at the last one: that one's push to the muxer is then over,
    /// where stopping at once could unlink it mid-push and lose it.
    func frameDelivered(_ slot: SourceSlot, limit: UInt64) -> GstPadProbeReturn {
        let (pass, stop) = slot.runtime.withLock { rt -> (Bool, Bool) in
            if rt.framesDelivered < limit {
                rt.framesDelivered += 1
                return (true, false)
            }
            defer { rt.stopRequested = true }
            return (false, !rt.stopRequested)
        }
        if stop {
            controlQueue.async { [weak self] in
                self?.stopStream(slot, reason: "stop_after_frames: \(limit) frames delivered")
            }
        }
        return pass ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP
    }

    /// A frame leaves the source's branch (streaming thread).
    func sourceBuffer(_ context: SourceContext, pad: UnsafeMutablePointer<GstPad>,
                      buffer: UnsafeMutablePointer<GstBuffer>) -> GstPadProbeReturn {
        let slot = context.slot
        let pts = gsb_buffer_pts(buffer)
        let running = context.segment.withLock { gsb_segment_running_time($0.ptr, pts) }
        let needsOffset = slot.runtime.withLock { !$0.offsetSet && $0.needsStartOffset }
        // Only the first frame asks the clock: a late source starts now.
        var newOffset: Int64?
        if needsOffset, running != GstClockTime.max {
            let now = gsb_element_running_time(element.ptr)
            if now != GstClockTime.max {
                let start = Self.firstTick(after: now, frameDuration: gsb_buffer_duration(buffer))
                newOffset = Int64(bitPattern: UInt64(start)) - Int64(bitPattern: UInt64(running))
            }
        }
        // One clock read per frame: fps window, last-frame time and latency.
        let leftAt = monotonicNs()
        context.frame.offer(buffer, nowNs: leftAt)
        let monotonic = GstClockTime(leftAt)
        let entered = slot.enteredConverterAt.load(ordering: .relaxed)
        let firstFrame = slot.runtime.withLock { rt -> Bool in
            if entered != 0 && leftAt >= entered { rt.latencyNs = leftAt - entered }
            if let newOffset {
                rt.offset = newOffset
            }
            if needsOffset { rt.offsetSet = true }
            rt.countFrame(now: monotonic)
            rt.lastFrameAt = gint64(monotonic / 1000)
            rt.reconnectAttempts = 0
            let first = rt.state == .starting || rt.state == .reconnecting
            if first { rt.state = .playing }
            return first
        }
        if let newOffset {
            gst_pad_set_offset(pad, gint64(newOffset))
            binLog.debug(element.raw, "source \(slot.sourceId) starts at running time offset \(newOffset)")
        }
        if firstFrame {
            slot.firstFrame.signal()
            binLog.info(element.raw, "source \(slot.sourceId) playing")
            announceState(slot)
        }
        return GST_PAD_PROBE_OK
    }

    /// Where a late source's first frame goes: the next multiple of its
    /// frame duration. Sources of one rate then tick together, as those
    /// added at start do: the streaming threads wake at the same instants,
    /// not at eight phases of a frame period. Phases spread out cost 23%
    /// more CPU for the same frames (8 sources 320x240@30 into fakesink,
    /// 10 s: 1.63 against 1.26 CPU s aligned; most of R1's gap), because
    /// every wake-up from idle meets cold caches. A frame period is the
    /// most a source starts later; no duration means no grid.
    static func firstTick(after now: GstClockTime, frameDuration: GstClockTime) -> GstClockTime {
        guard frameDuration != GstClockTime.max, frameDuration > 0,
              now < GstClockTime.max - 2 * frameDuration else { return now }
        return (now / frameDuration + 1) * frameDuration
    }

    /// An event leaves the source's branch (streaming thread). EOS is where
    /// file loops restart and ended sources leave the muxer.
    func sourceEvent(_ context: SourceContext, event: UnsafeMutablePointer<GstEvent>) -> GstPadProbeReturn {
        let slot = context.slot
        switch gsb_event_type(event) {
        case GST_EVENT_CAPS:
            var caps: UnsafeMutablePointer<GstCaps>?
            gst_event_parse_caps(event, &caps)
            if let caps { context.frame.setCaps(caps) }
            return GST_PAD_PROBE_OK
        case GST_EVENT_STREAM_START:
            var idPtr: UnsafePointer<gchar>?
            gst_event_parse_stream_start(event, &idPtr)
            let streamId = idPtr.map { String(cString: $0) } ?? ""
            // Sticky events come again after every loop's flush: a new
            // stream is a new id.
            let isNew = slot.runtime.withLock { rt -> Bool in
                defer { rt.lastStreamStartId = streamId }
                return rt.lastStreamStartId != streamId
            }
            guard isNew else { return GST_PAD_PROBE_OK }
            controlQueue.async { [weak self] in
                self?.pushLifecycle(.streamStart(sourceId: slot.sourceId, streamId: streamId))
            }
            return GST_PAD_PROBE_OK
        case GST_EVENT_EOS:
            // Asked to end: straight to the muxer, which ends the output once
            // every source did.
            if state.withLock({ $0?.eosRequested ?? false }) {
                slot.runtime.withLock { $0.state = .eos }
                announceState(slot)
                return GST_PAD_PROBE_OK
            }
            // A camera that ends its stream is a camera to reconnect.
            if slot.isNetworkCamera, settings.withLock({ $0.rtspReconnectInterval > 0 }) {
                cameraLost(slot, reason: "the camera ended its stream", byError: false)
                return GST_PAD_PROBE_DROP
            }
            if slot.loopsFile {
                controlQueue.async { [weak self] in self?.restartLoop(slot) }
                return GST_PAD_PROBE_DROP
            }
            slot.runtime.withLock { $0.state = .eos }
            announceState(slot)
            let dropEos = settings.withLock { $0.dropPipelineEos }
            binLog.info(element.raw, "source \(slot.sourceId) ended")
            controlQueue.async { [weak self] in
                guard let self else { return }
                self.pushLifecycle(.streamEos(sourceId: slot.sourceId))
                if dropEos {
                    // Leaving the muxer instead of ending its pad keeps the
                    // muxer from ever seeing every pad at EOS.
                    self.detach(slot, pushLifecycle: false)
                    self.pushLifecycle(.padDeleted(sourceId: slot.sourceId))
                    self.applyLayout()
                }
            }
            return dropEos ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK
        default:
            return GST_PAD_PROBE_OK
        }
    }

    /// file-loop: back to the start, continuing the running time past the
    /// last frame of the file (`decodedEnd`), not past the last frame
    /// drop-frame-interval or skip-frames kept, which would play the next
    /// loop early (control queue).
    func restartLoop(_ slot: SourceSlot) {
        guard let branch = slot.branch.withLock({ $0 }) else { return }
        // Upstream from the converter, through videocrop and videoflip when
        // they are there, to the decoder.
        guard let sink = gst_element_get_static_pad(branch.convertScale.ptr, "sink") else { return }
        defer { gst_object_unref(UnsafeMutableRawPointer(sink)) }
        let end = slot.runtime.withLock { rt -> GstClockTime in
            rt.offset = max(0, rt.offset + Int64(bitPattern: UInt64(rt.decodedEnd)))
            rt.decodedEnd = 0
            return GstClockTime(UInt64(rt.offset))
        }
        if let pad = gst_element_get_static_pad(branch.capsfilter.ptr, "src") {
            gst_pad_set_offset(pad, gint64(Int64(bitPattern: UInt64(end))))
            gst_object_unref(UnsafeMutableRawPointer(pad))
        }
        let flags = GstSeekFlags(GST_SEEK_FLAG_FLUSH.rawValue | GST_SEEK_FLAG_KEY_UNIT.rawValue)
        let seek = gst_event_new_seek(1.0, GST_FORMAT_TIME, flags, GST_SEEK_TYPE_SET, 0,
                                      GST_SEEK_TYPE_NONE, gint64(-1))
        if gst_pad_push_event(sink, seek) == 0 {
            slot.runtime.withLock { $0.state = .eos }
            announceState(slot, reason: "cannot loop, seek refused")
            postWarning(.stream, code: GST_STREAM_ERROR_FAILED.rawValue,
                        text: "source \(slot.sourceId) (\(slot.sensorId)): cannot loop, seek refused", debug: nil)
        } else {
            binLog.debug(element.raw, "source \(slot.sourceId) loops, continuing at \(end)")
        }
    }
}
