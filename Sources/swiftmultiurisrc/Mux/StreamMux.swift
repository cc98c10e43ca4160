import CGStreamer
import GstSwiftBridge
import Synchronization

let muxLog = DebugCategory("swiftstreammux", description: "swift-multiurisrc default muxer")

/// `swiftstreammux`: the default muxer of swiftmultiurisrcbin.
///
/// Forwards every frame of every `sink_%u` pad, in arrival order, to one
/// `src` pad, with timestamps turned into running time and a
/// GstSwiftSourceMeta naming the source. Unlike nvstreammux it never batches,
/// waits or drops: a stalled source costs the others nothing.
///
/// Lock order: `pads` mutex, then nothing. The src pad's stream lock (a
/// GStreamer lock, as in funnel) serializes pushes; the `output` fields are
/// only touched while holding it. No Swift lock is held while calling into
/// GStreamer.
final class StreamMux: @unchecked Sendable {
    let element: ObjectRef<GstElement>
    let srcPad: ObjectRef<GstPad>

    /// Sink pads by source id (the `%u` of `sink_%u`).
    private let pads = Mutex<[UInt32: MuxPad]>([:])

    /// Guarded by the src pad's stream lock.
    private var output = OutputState()

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
        gst_element_add_pad(element, pad)
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
            return mux.chain(state, buffer)
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
        if othersEnded { pushEos() }
    }

    // MARK: data flow

    private func chain(_ pad: MuxPad, _ input: UnsafeMutablePointer<GstBuffer>) -> GstFlowReturn {
        guard let buffer = gsb_buffer_make_writable(input) else { return GST_FLOW_ERROR }
        let pts = gsb_buffer_pts(buffer)
        if pts != GstClockTime.max {
            let running = gst_segment_to_running_time(&pad.segment, GST_FORMAT_TIME, pts)
            // Outside the segment: clipped, as every muxer does.
            if running == GstClockTime.max {
                gsb_buffer_unref(buffer)
                return GST_FLOW_OK
            }
            gsb_buffer_set_pts(buffer, running)
            gsb_buffer_set_dts(buffer, GstClockTime.max)
        }
        let sensorId = pad.sensorId.withLock { $0 }
        gst_buffer_add_swift_source_meta(buffer, pad.sourceId, sensorId, pad.frameNumber)
        pad.frameNumber &+= 1

        let src = srcPad.ptr
        gsb_pad_stream_lock(src)
        defer { gsb_pad_stream_unlock(src) }
        prepareOutput(for: pad)
        return gst_pad_push(src, buffer)
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
        case GST_EVENT_STREAM_START, GST_EVENT_FLUSH_START, GST_EVENT_GAP, GST_EVENT_TAG,
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
                g_intern_string("Forwards every frame of every sink pad with a GstSwiftSourceMeta naming its source"),
                g_intern_string("swift-multiurisrc authors"))
            gsb_element_class_add_template(klass, "sink_%u", GST_PAD_SINK, GST_PAD_REQUEST, "video/x-raw(ANY)")
            gsb_element_class_add_template(klass, "src", GST_PAD_SRC, GST_PAD_ALWAYS, "video/x-raw(ANY)")
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
