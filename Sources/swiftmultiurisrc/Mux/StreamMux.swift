import CGStreamer
import GstSwiftBridge
import Synchronization

let muxLog = DebugCategory("swiftstreammux", description: "swift-multiurisrc default muxer")

/// `swiftstreammux`: the default muxer of swiftmultiurisrcbin.
///
/// Forwards every frame of every `sink_%u` pad to one `src` pad, with
/// timestamps turned into running time and a GstSwiftSourceMeta naming the
/// source. By default it never waits: frames go out in arrival order and a
/// stalled source costs the others nothing. Two of nvstreammux's properties
/// change that, for pipelines that want its behaviour:
///  - `batched-push-timeout` ≥ 0 (µs) collects one frame per active source
///    (not at EOS) and sends the batch when every active source has a frame
///    in it, or when the timeout since the batch's first frame has passed.
///    A source's streaming thread waits until its frame has gone out, so a
///    fast source is paced by the batch as in nvstreammux; a stalled one
///    delays the others by at most the timeout. The frames of a batch go
///    out one after the other in source id order, each with the batch's
///    number and size in its meta (nvstreammux would send one batched
///    buffer; downstream elements here take plain frames).
///  - `max-latency` > 0 (ns) drops frames that arrive later than that past
///    the moment the sinks render them (running time + the pipeline's
///    latency, from the LATENCY event): a late source loses its late frames
///    instead of holding the output back. `frames-dropped` counts them.
///
/// Lock order: the src pad's stream lock (a GStreamer lock, as in funnel),
/// then `batch`, then `pads`. The stream lock serializes pushes; the
/// `output` fields are only touched while holding it. No Swift lock is held
/// while calling into GStreamer.
final class StreamMux: @unchecked Sendable {
    let element: ObjectRef<GstElement>
    let srcPad: ObjectRef<GstPad>

    /// Sink pads by source id (the `%u` of `sink_%u`).
    private let pads = Mutex<[UInt32: MuxPad]>([:])

    /// Guarded by the src pad's stream lock.
    private var output = OutputState()

    /// Property `batched-push-timeout`, µs; -1 = no batching.
    private let batchTimeoutUs = Atomic<Int32>(-1)
    /// Property `max-latency`, ns; 0 = never drop.
    private let maxLatencyNs = Atomic<UInt32>(0)
    /// Property `frames-dropped`: frames dropped for `max-latency`.
    private let framesDropped = Atomic<UInt>(0)
    /// The pipeline's latency, from the last LATENCY event on the src pad.
    private let pipelineLatency = Atomic<UInt>(0)
    /// The batch being collected (batching only).
    private let batch = ConditionLock(Batch())

    private struct Batch {
        /// Frames collected so far with their pads, at most one per pad.
        /// Owned references.
        var frames: [(pad: MuxPad, buffer: UnsafeMutablePointer<GstBuffer>)] = []
        /// Number of the batch being collected; taken batches have lower numbers.
        var number: UInt64 = 0
        /// Batches below this number have been pushed, and their pads'
        /// `batchFlow` holds what the push returned.
        var pushedBelow: UInt64 = 0
        /// When the batch goes out even if incomplete (monotonic µs), set by
        /// its first frame.
        var deadlineUs: Int = 0
    }

    /// How long a waiting streaming thread sleeps at most before looking at
    /// its pad's flushing flag again (deactivation sends no event).
    private static let waitSliceUs: Int = 20_000

    private struct OutputState {
        /// stream-start and the output segment went out.
        var started = false
        /// The caps last pushed (framerate made variable), owned.
        var caps: UnsafeMutablePointer<GstCaps>?
        /// EOS was pushed downstream.
        var eos = false
    }

    init(element: UnsafeMutablePointer<GstElement>) {
        self.element = ObjectRef(element)
        let pad = gst_pad_new_from_template(gst_element_get_pad_template(element, "src"), "src")!
        srcPad = ObjectRef(pad)
        gst_pad_set_event_function_full(pad, { pad, parent, event in
            guard let pad, let parent, let event else { return 0 }
            if gsb_event_type(event) == GST_EVENT_LATENCY,
               let mux: StreamMux = swiftImpl(ofInstance: UnsafeMutableRawPointer(parent)) {
                var latency: GstClockTime = 0
                gst_event_parse_latency(event, &latency)
                mux.pipelineLatency.store(latency, ordering: .relaxed)
            }
            return gst_pad_event_default(pad, parent, event)
        }, nil, nil)
        gst_pad_set_query_function_full(pad, { pad, parent, query in
            guard let pad, let parent, let query else { return 0 }
            guard gst_pad_query_default(pad, parent, query) != 0 else { return 0 }
            if gsb_query_type(query) == GST_QUERY_LATENCY,
               let mux: StreamMux = swiftImpl(ofInstance: UnsafeMutableRawPointer(parent)) {
                mux.addBatchLatency(query)
            }
            return 1
        }, nil, nil)
        gst_element_add_pad(element, pad)
    }

    /// A live pipeline waits up to the batch timeout longer for each frame.
    private func addBatchLatency(_ query: UnsafeMutablePointer<GstQuery>) {
        let timeout = batchTimeoutUs.load(ordering: .relaxed)
        guard timeout > 0 else { return }
        var live: gboolean = 0
        var min: GstClockTime = 0
        var max: GstClockTime = 0
        gst_query_parse_latency(query, &live, &min, &max)
        guard live != 0 else { return }
        let extra = GstClockTime(timeout) * 1000
        gst_query_set_latency(query, live, min &+ extra, max == GstClockTime.max ? max : max &+ extra)
    }

    // MARK: properties

    enum Property: UInt32, CaseIterable {
        case batchedPushTimeout = 1
        case maxLatency
        case framesDropped
    }

    fileprivate static func installProperties(_ klass: gpointer) {
        let objectClass = klass.assumingMemoryBound(to: GObjectClass.self)
        let timeout = PropertySpec.int(
            name: "batched-push-timeout", nick: "Batched push timeout",
            blurb: "Microseconds to wait for one frame of every active source before sending the frames "
                + "collected so far as a batch (each source's thread waits until its frame went out, as in "
                + "nvstreammux); -1 forwards every frame at once without batching",
            min: -1, max: Int32.max, defaultValue: -1)
        g_object_class_install_property(objectClass, Property.batchedPushTimeout.rawValue,
                                        timeout.paramSpec(mutablePlaying: true))
        let latency = PropertySpec.uint(
            name: "max-latency", nick: "Maximum latency",
            blurb: "Nanoseconds a frame may arrive after the moment the sinks render it (its running time plus "
                + "the pipeline latency); later frames are dropped and counted in frames-dropped. 0 never drops",
            min: 0, max: UInt32.max, defaultValue: 0)
        g_object_class_install_property(objectClass, Property.maxLatency.rawValue,
                                        latency.paramSpec(mutablePlaying: true))
        g_object_class_install_property(
            objectClass, Property.framesDropped.rawValue,
            g_param_spec_uint64(g_intern_string("frames-dropped"), g_intern_string("Frames dropped"),
                                g_intern_string("Frames dropped because they arrived later than max-latency"),
                                0, guint64.max, 0, gsb_param_flags_readonly()))
    }

    fileprivate func setProperty(_ id: guint, _ value: UnsafePointer<GValue>) {
        switch Property(rawValue: id) {
        case .batchedPushTimeout:
            let timeout = g_value_get_int(value)
            batchTimeoutUs.store(timeout, ordering: .relaxed)
            muxLog.info(element.raw, timeout < 0 ? "batching off" : "batching with a \(timeout) µs timeout")
            // Frames waiting for a batch that is no longer wanted go now.
            if timeout < 0 { flushPendingBatch(force: true) }
        case .maxLatency:
            maxLatencyNs.store(g_value_get_uint(value), ordering: .relaxed)
        case .framesDropped, nil:
            break
        }
    }

    fileprivate func getProperty(_ id: guint, _ value: UnsafeMutablePointer<GValue>) {
        switch Property(rawValue: id) {
        case .batchedPushTimeout: g_value_set_int(value, batchTimeoutUs.load(ordering: .relaxed))
        case .maxLatency: g_value_set_uint(value, maxLatencyNs.load(ordering: .relaxed))
        case .framesDropped: g_value_set_uint64(value, framesDropped.load(ordering: .relaxed))
        case nil: break
        }
    }

    deinit {
        if let caps = output.caps { gsb_caps_unref(caps) }
    }

    /// Sets the sensor id written into the meta of one source's buffers.
    func setSensorId(_ sensorId: String, forSource sourceId: UInt32) {
        let pad = pads.withLock { $0[sourceId] }
        pad?.sensorId.withLock { $0 = sensorId }
    }

    // MARK: request / release

    func requestPad(template: UnsafeMutablePointer<GstPadTemplate>, name: String?) -> UnsafeMutablePointer<GstPad>? {
        let requested: UInt32? = name.flatMap { n in
            n.hasPrefix("sink_") ? UInt32(n.dropFirst(5)) : nil
        }
        let id: UInt32? = pads.withLock { table in
            if let requested { return table[requested] == nil ? requested : nil }
            var candidate: UInt32 = 0
            while table[candidate] != nil { candidate += 1 }
            return candidate
        }
        guard let id else {
            muxLog.warning(element.raw, "pad \(name ?? "?") already exists")
            return nil
        }
        guard let pad = gst_pad_new_from_template(template, "sink_\(id)") else { return nil }
        let state = MuxPad(sourceId: id)
        pads.withLock { $0[id] = state }
        gst_pad_set_element_private(pad, Unmanaged.passRetained(state).toOpaque())
        gst_pad_set_chain_function_full(pad, { pad, parent, buffer in
            guard let pad, let parent, let buffer else { return GST_FLOW_ERROR }
            guard let mux: StreamMux = swiftImpl(ofInstance: UnsafeMutableRawPointer(parent)),
                  let state = MuxPad.of(pad) else {
                gsb_buffer_unref(buffer)
                return GST_FLOW_FLUSHING
            }
            return mux.chain(state, pad, buffer)
        }, nil, nil)
        gst_pad_set_event_function_full(pad, { pad, parent, event in
            guard let pad, let parent, let event else { return 0 }
            guard let mux: StreamMux = swiftImpl(ofInstance: UnsafeMutableRawPointer(parent)),
                  let state = MuxPad.of(pad) else {
                gsb_event_unref(event)
                return 0
            }
            return mux.sinkEvent(pad, state, event).gboolean
        }, nil, nil)
        gsb_pad_set_proxy_caps(pad)
        gst_element_add_pad(element.ptr, pad)
        muxLog.info(element.raw, "added pad sink_\(id)")
        return pad
    }

    func releasePad(_ pad: UnsafeMutablePointer<GstPad>) {
        guard let state = MuxPad.of(pad) else { return }
        // Removing the pad deactivates it, which waits for its streaming
        // thread to leave chain/event: only then is the state free to go.
        gst_element_remove_pad(element.ptr, pad)
        // The pad that leaves may be the last one that had not ended: the
        // output ends now, as it would have on that pad's EOS.
        let othersEnded = pads.withLock { table -> Bool in
            if table[state.sourceId] === state { table[state.sourceId] = nil }
            return !table.isEmpty && table.values.allSatisfy { $0.eos }
        }
        if let raw = gst_pad_get_element_private(pad) {
            gst_pad_set_element_private(pad, nil)
            Unmanaged<MuxPad>.fromOpaque(raw).release()
        }
        muxLog.info(element.raw, "released pad sink_\(state.sourceId)")
        flushPendingBatch()
        if othersEnded { pushEos() }
    }

    // MARK: data flow

    private func chain(_ pad: MuxPad, _ gstPad: UnsafeMutablePointer<GstPad>,
                       _ input: UnsafeMutablePointer<GstBuffer>) -> GstFlowReturn {
        guard let buffer = gsb_buffer_make_writable(input) else { return GST_FLOW_ERROR }
        let pts = gsb_buffer_pts(buffer)
        if pts != GstClockTime.max {
            let running = gst_segment_to_running_time(&pad.segment, GST_FORMAT_TIME, pts)
            // Outside the segment: clipped, as every muxer does.
            if running == GstClockTime.max {
                gsb_buffer_unref(buffer)
                return GST_FLOW_OK
            }
            if isLate(running) {
                framesDropped.wrappingAdd(1, ordering: .relaxed)
                muxLog.debug(element.raw, "sink_\(pad.sourceId): frame at \(running) ns later than max-latency: dropped")
                gsb_buffer_unref(buffer)
                return GST_FLOW_OK
            }
            gsb_buffer_set_pts(buffer, running)
            gsb_buffer_set_dts(buffer, GstClockTime.max)
        }
        let sensorId = pad.sensorId.withLock { $0 }
        gst_buffer_add_swift_source_meta(buffer, pad.sourceId, sensorId, pad.frameNumber)
        pad.frameNumber &+= 1

        let timeout = batchTimeoutUs.load(ordering: .relaxed)
        if timeout >= 0 { return batched(pad, gstPad, buffer, timeoutUs: Int(timeout)) }

        let src = srcPad.ptr
        gsb_pad_stream_lock(src)
        defer { gsb_pad_stream_unlock(src) }
        prepareOutput(for: pad)
        return gst_pad_push(src, buffer)
    }

    /// True when a frame of running time `running` reaches the muxer more
    /// than `max-latency` after the sinks render it.
    private func isLate(_ running: GstClockTime) -> Bool {
        let bound = maxLatencyNs.load(ordering: .relaxed)
        guard bound > 0 else { return false }
        let now = gsb_element_running_time(element.ptr)
        guard now != GstClockTime.max else { return false }
        let due = running &+ pipelineLatency.load(ordering: .relaxed) &+ GstClockTime(bound)
        return now > due
    }

    private enum BatchStep {
        case again
        case flush(UInt64)
        case done(GstFlowReturn)
    }

    /// Puts the frame into the batch being collected and returns once the
    /// batch has gone out (pushed by whichever streaming thread completed
    /// it or saw its deadline), with what the push of this frame returned.
    /// Every wait is at most `waitSliceUs`; the loop ends when the batch is
    /// pushed or the pad flushes.
    private func batched(_ pad: MuxPad, _ gstPad: UnsafeMutablePointer<GstPad>,
                         _ buffer: UnsafeMutablePointer<GstBuffer>, timeoutUs: Int) -> GstFlowReturn {
        var joined: UInt64? = nil
        while true {
            let step: BatchStep = batch.withLock { b, waiter in
                let now = g_get_monotonic_time()
                guard let n = joined else {
                    // A frame of this pad still waits in the batch (cannot
                    // happen while chain waits for its push, but a frame must
                    // never be lost): send that batch first.
                    if b.frames.contains(where: { $0.pad === pad }) { return .flush(b.number) }
                    if gsb_pad_is_flushing(gstPad) != 0 {
                        gsb_buffer_unref(buffer)
                        return .done(GST_FLOW_FLUSHING)
                    }
                    if b.frames.isEmpty { b.deadlineUs = now + timeoutUs }
                    b.frames.append((pad, buffer))
                    pad.batchFlow = GST_FLOW_OK
                    joined = b.number
                    return isComplete(b) || now >= b.deadlineUs ? .flush(b.number) : .again
                }
                if b.pushedBelow > n { return .done(pad.batchFlow) }
                if b.number == n {
                    if gsb_pad_is_flushing(gstPad) != 0, let index = b.frames.firstIndex(where: { $0.pad === pad }) {
                        gsb_buffer_unref(b.frames.remove(at: index).buffer)
                        waiter.broadcast()
                        return .done(GST_FLOW_FLUSHING)
                    }
                    if now >= b.deadlineUs || isComplete(b) { return .flush(n) }
                    waiter.wait(untilMonotonicUs: min(b.deadlineUs, now + Self.waitSliceUs))
                } else {
                    // Taken and being pushed by another thread.
                    waiter.wait(untilMonotonicUs: now + Self.waitSliceUs)
                }
                return .again
            }
            switch step {
            case .again: continue
            case let .flush(n): flushBatch(n)
            case let .done(flow): return flow
            }
        }
    }

    /// Every source that has not ended has a frame in the batch. Called
    /// with the batch lock held (then `pads`, as the lock order says).
    private func isComplete(_ b: Batch) -> Bool {
        guard !b.frames.isEmpty else { return false }
        let waiting = Set(b.frames.map { ObjectIdentifier($0.pad) })
        return pads.withLock { table in
            table.values.allSatisfy { $0.eos || waiting.contains(ObjectIdentifier($0)) }
        }
    }

    /// Pushes batch `n` if it is still the one being collected (another
    /// thread may have sent it meanwhile).
    private func flushBatch(_ n: UInt64) {
        let src = srcPad.ptr
        gsb_pad_stream_lock(src)
        defer { gsb_pad_stream_unlock(src) }
        let taken: [(pad: MuxPad, buffer: UnsafeMutablePointer<GstBuffer>)]? = batch.withLock { b, _ in
            guard b.number == n, !b.frames.isEmpty else { return nil }
            let frames = b.frames
            b.frames = []
            b.number += 1
            return frames
        }
        guard let taken else { return }
        let ordered = taken.sorted { $0.pad.sourceId < $1.pad.sourceId }
        var flows: [GstFlowReturn] = []
        flows.reserveCapacity(ordered.count)
        for frame in ordered {
            if let meta = gst_buffer_get_swift_source_meta(frame.buffer) {
                meta.pointee.batch_id = guint64(n)
                meta.pointee.num_frames_in_batch = guint(ordered.count)
            }
            prepareOutput(for: frame.pad)
            flows.append(gst_pad_push(src, frame.buffer))
        }
        batch.withLock { b, waiter in
            for (frame, flow) in zip(ordered, flows) { frame.pad.batchFlow = flow }
            b.pushedBelow = n + 1
            waiter.broadcast()
        }
    }

    /// Sends the batch being collected if it is now complete (a source
    /// ended or left) or batching was switched off.
    private func flushPendingBatch(force: Bool = false) {
        let n: UInt64? = batch.withLock { b, _ in
            !b.frames.isEmpty && (force || isComplete(b)) ? b.number : nil
        }
        if let n { flushBatch(n) }
    }

    /// Sends stream-start, caps and segment before the first buffer, and caps
    /// again when a source with other caps takes its turn. Called with the src
    /// stream lock held.
    private func prepareOutput(for pad: MuxPad) {
        let src = srcPad.ptr
        if !output.started {
            output.started = true
            let streamId = "swiftstreammux-\(UInt(bitPattern: element.raw))"
            gst_pad_push_event(src, gst_event_new_stream_start(streamId))
        }
        // Same caps object as last pushed (the common case: one caps event
        // per pad, shared output caps): nothing to compare.
        if let wanted = pad.outputCaps, wanted != output.caps {
            if let current = output.caps, gst_caps_is_equal(current, wanted) != 0 {
                gst_caps_ref(wanted)
                gsb_caps_unref(current)
                output.caps = wanted
            } else {
                gst_caps_ref(wanted)
                if let old = output.caps { gsb_caps_unref(old) }
                output.caps = wanted
                gst_pad_push_event(src, gst_event_new_caps(wanted))
                var segment = GstSegment()
                gst_segment_init(&segment, GST_FORMAT_TIME)
                gst_pad_push_event(src, gst_event_new_segment(&segment))
            }
        }
    }

    private func sinkEvent(_ gstPad: UnsafeMutablePointer<GstPad>, _ pad: MuxPad,
                           _ event: UnsafeMutablePointer<GstEvent>) -> Bool {
        let type = gsb_event_type(event)
        switch type {
        case GST_EVENT_CAPS:
            var caps: UnsafeMutablePointer<GstCaps>?
            gst_event_parse_caps(event, &caps)
            if let caps, let output = gsb_caps_with_variable_framerate(caps) {
                if let old = pad.outputCaps { gsb_caps_unref(old) }
                pad.outputCaps = output
            }
            gsb_event_unref(event)
            return true
        case GST_EVENT_SEGMENT:
            gst_event_copy_segment(event, &pad.segment)
            gsb_event_unref(event)
            return true
        case GST_EVENT_FLUSH_STOP:
            gst_segment_init(&pad.segment, GST_FORMAT_TIME)
            gsb_event_unref(event)
            return true
        case GST_EVENT_FLUSH_START:
            // Wakes this pad's streaming thread if it waits for a batch.
            batch.withLock { _, waiter in waiter.broadcast() }
            gsb_event_unref(event)
            return true
        case GST_EVENT_STREAM_START, GST_EVENT_GAP, GST_EVENT_TAG,
             GST_EVENT_STREAM_COLLECTION, GST_EVENT_STREAM_GROUP_DONE:
            // The output is one stream of our own; per-source flushes must
            // not flush the others.
            gsb_event_unref(event)
            return true
        case GST_EVENT_EOS:
            gsb_event_unref(event)
            let allEos = pads.withLock { table in
                pad.eos = true
                return table.values.allSatisfy { $0.eos }
            }
            // The batch no longer waits for this source.
            flushPendingBatch()
            if allEos { pushEos() }
            return true
        default:
            if gsb_event_is_serialized(event) != 0 {
                let src = srcPad.ptr
                gsb_pad_stream_lock(src)
                defer { gsb_pad_stream_unlock(src) }
                return gst_pad_push_event(src, event) != 0
            }
            return gst_pad_push_event(srcPad.ptr, event) != 0
        }
    }

    private func pushEos() {
        let src = srcPad.ptr
        gsb_pad_stream_lock(src)
        defer { gsb_pad_stream_unlock(src) }
        guard !output.eos else { return }
        output.eos = true
        muxLog.info(element.raw, "every source ended: EOS")
        gst_pad_push_event(src, gst_event_new_eos())
    }

    /// Forget EOS and output state for a new run (READY→PAUSED).
    func reset() {
        let src = srcPad.ptr
        gsb_pad_stream_lock(src)
        output.started = false
        output.eos = false
        if let caps = output.caps { gsb_caps_unref(caps) }
        output.caps = nil
        gsb_pad_stream_unlock(src)
        pads.withLock { table in table.values.forEach { $0.eos = false } }
    }
}

/// State of one sink pad.
final class MuxPad: @unchecked Sendable {
    /// The `%u` of the pad name: the bin's source id.
    let sourceId: UInt32
    /// Written into each buffer's meta; set by the bin after requesting the pad.
    let sensorId = Mutex<String>("")
    /// Touched only from the pad's streaming thread (stream lock held).
    var segment = GstSegment()
    /// The pad's caps with a variable frame rate, as the src pad would
    /// carry them; made once per caps event, not per buffer. Touched only
    /// from the pad's streaming thread. Owned reference.
    var outputCaps: UnsafeMutablePointer<GstCaps>?
    /// Touched only from the pad's streaming thread.
    var frameNumber: guint64 = 0
    /// Guarded by StreamMux.pads.
    var eos = false
    /// What pushing this pad's last batched frame returned. Guarded by
    /// StreamMux.batch.
    var batchFlow = GST_FLOW_OK

    init(sourceId: UInt32) {
        self.sourceId = sourceId
        gst_segment_init(&segment, GST_FORMAT_TIME)
    }

    deinit {
        if let outputCaps { gsb_caps_unref(outputCaps) }
    }

    static func of(_ pad: UnsafeMutablePointer<GstPad>) -> MuxPad? {
        guard let raw = gst_pad_get_element_private(pad) else { return nil }
        return Unmanaged<MuxPad>.fromOpaque(raw).takeUnretainedValue()
    }
}

// MARK: - GObject type

extension StreamMux {
    static let typeName = "GstSwiftStreamMux"

    static func register(_ plugin: OpaquePointer?) -> Bool {
        var hooks = GsbHooks()
        hooks.class_init = { klass in
            guard let klass else { return }
            let k = cast(klass, to: GstElementClass.self)
            gst_element_class_set_static_metadata(
                k, g_intern_string("Swift stream muxer"), g_intern_string("Video/Muxer"),
                g_intern_string("Forwards every frame of every sink pad with a GstSwiftSourceMeta naming its source; "
                                + "optionally in batches of one frame per source, dropping frames later than max-latency"),
                g_intern_string("swift-multiurisrc authors"))
            gsb_element_class_add_template(klass, "sink_%u", GST_PAD_SINK, GST_PAD_REQUEST, "video/x-raw(ANY)")
            gsb_element_class_add_template(klass, "src", GST_PAD_SRC, GST_PAD_ALWAYS, "video/x-raw(ANY)")
            StreamMux.installProperties(klass)
        }
        hooks.set_property = { impl, _, id, value, _ in
            guard let value, let mux: StreamMux = swiftImpl(impl) else { return }
            mux.setProperty(id, value)
        }
        hooks.get_property = { impl, _, id, value, _ in
            guard let value, let mux: StreamMux = swiftImpl(impl) else { return }
            mux.getProperty(id, value)
        }
        hooks.instance_init = { object in
            guard let object else { return nil }
            let mux = StreamMux(element: cast(object, to: GstElement.self))
            return Unmanaged.passRetained(mux).toOpaque()
        }
        hooks.finalize = { impl in
            guard let impl else { return }
            Unmanaged<StreamMux>.fromOpaque(impl).release()
        }
        hooks.request_new_pad = { impl, _, templ, name, _ in
            guard let mux: StreamMux = swiftImpl(impl), let templ else { return nil }
            return mux.requestPad(template: templ, name: name.map { String(cString: $0) })
        }
        hooks.release_pad = { impl, _, pad in
            guard let mux: StreamMux = swiftImpl(impl), let pad else { return }
            mux.releasePad(pad)
        }
        hooks.change_state = { impl, element, transition in
            guard let element else { return GST_STATE_CHANGE_FAILURE }
            if transition == GST_STATE_CHANGE_READY_TO_PAUSED, let mux: StreamMux = swiftImpl(impl) {
                mux.reset()
            }
            return gsb_parent_change_state(element, transition)
        }
        let type = gsb_register_subclass(gst_element_get_type(), typeName, &hooks)
        guard type != 0 else { return false }
        return gst_element_register(plugin, "swiftstreammux", UInt32(GST_RANK_NONE.rawValue), type) != 0
    }
}
