import CGStreamer
import GstSwiftBridge
import Synchronization
import swiftcustomevents

let demuxLog = DebugCategory("swiftstreamdemux", description: "swift-multiurisrc demuxer (one src pad per source id)")

/// `swiftstreamdemux`: the open counterpart of nvstreamdemux for the output
/// of swiftmultiurisrcbin (or anything that puts GstSwiftSourceMeta on its
/// buffers; a buffer without the meta belongs to source 0).
///
/// One `src_%u` sometimes pad per source id. A pad appears on the source's
/// PAD_ADDED event or its first frame, whichever comes first, and goes away
/// on PAD_DELETED (after an EOS of its own, so whatever is linked drains).
/// After PAD_DELETED only PAD_ADDED brings that id back: a frame the muxer
/// had in hand when the source left can still come after the event, and
/// must not make a pad (and a branch downstream) for a source that is gone.
/// Each pad has its own stream-start, and gets the caps and segment that
/// were current on the sink pad when a frame of its source went out, so
/// sources with different caps keep theirs. STREAM_EOS ends one pad; a
/// frame of that source after it flushes the pad and starts it anew.
/// DeepStream's control events go to the pad of their `stream_id`, or to
/// every pad for "-1"/"all"/"" (and for the analytics reload, which names
/// no stream); the lifecycle events go to their source's pad.
///
/// Threading: the sink pad's stream lock (taken by GStreamer around chain
/// and serialized events) serializes everything that creates, feeds or
/// removes pads, so `Output` fields are only touched under it. `pads` is a
/// Mutex only so other threads (properties, tests) can read the table.
/// No Swift lock is held while calling into GStreamer.
final class StreamDemux: @unchecked Sendable {
    let element: ObjectRef<GstElement>
    let sinkPad: ObjectRef<GstPad>

    /// One src pad and what it was last sent. Touched under the sink pad's
    /// stream lock only.
    final class Output: @unchecked Sendable {
        let sourceId: UInt32
        let pad: ObjectRef<GstPad>
        /// The sink pad's caps event this pad's caps were last made from
        /// (owned), to send caps again only when its source's frames come
        /// with other caps.
        var caps: UnsafeMutablePointer<GstEvent>?
        /// The segment event last sent (owned).
        var segment: UnsafeMutablePointer<GstEvent>?
        /// EOS went out on this pad (STREAM_EOS or the sink's EOS).
        var eos = false

        init(sourceId: UInt32, pad: UnsafeMutablePointer<GstPad>) {
            self.sourceId = sourceId
            self.pad = ObjectRef(pad)
        }

        deinit {
            if let caps { gsb_event_unref(caps) }
            if let segment { gsb_event_unref(segment) }
            gst_object_unref(pad.raw)
        }
    }

    /// Src pads by source id. Written under the sink stream lock.
    private let pads = Mutex<[UInt32: Output]>([:])

    /// Sink-side state. Touched under the sink pad's stream lock only.
    private struct SinkState {
        /// The latest CAPS event on the sink pad (owned).
        var caps: UnsafeMutablePointer<GstEvent>?
        /// The latest SEGMENT event on the sink pad (owned).
        var segment: UnsafeMutablePointer<GstEvent>?
        /// The upstream stream-start's stream id, the base of ours.
        var upstreamStreamId = "swiftstreamdemux"
        /// Source ids already warned about (frames for a pad that could not be made).
        var warned: Set<UInt32> = []
        /// Ids whose PAD_DELETED came and no PAD_ADDED since: their late
        /// frames and events are dropped.
        var deleted: Set<UInt32> = []
    }
    private var sink = SinkState()

    init(element: UnsafeMutablePointer<GstElement>) {
        self.element = ObjectRef(element)
        // The template exists: class_init added it.
        let pad = gst_pad_new_from_template(gst_element_get_pad_template(element, "sink"), "sink")!
        sinkPad = ObjectRef(pad)
        gst_pad_set_chain_function_full(pad, { pad, parent, buffer in
            guard let parent, let buffer else { return GST_FLOW_ERROR }
            guard let demux: StreamDemux = swiftImpl(ofInstance: UnsafeMutableRawPointer(parent)) else {
                gsb_buffer_unref(buffer)
                return GST_FLOW_FLUSHING
            }
            _ = pad
            return demux.chain(buffer)
        }, nil, nil)
        gst_pad_set_event_function_full(pad, { pad, parent, event in
            guard let pad, let parent, let event else { return 0 }
            guard let demux: StreamDemux = swiftImpl(ofInstance: UnsafeMutableRawPointer(parent)) else {
                gsb_event_unref(event)
                return 0
            }
            return demux.sinkEvent(pad, event).gboolean
        }, nil, nil)
        gst_element_add_pad(element, pad)
    }

    deinit {
        if let caps = sink.caps { gsb_event_unref(caps) }
        if let segment = sink.segment { gsb_event_unref(segment) }
    }

    /// The sink pad got EOS (the whole input ended), as opposed to one
    /// source's EOS: a bin around the demux tells the two apart with it.
    let inputEnded = Atomic<Bool>(false)

    /// Source ids that have a pad now, sorted.
    var sourceIds: [UInt32] { pads.withLock { Array($0.keys) }.sorted() }

    // MARK: data flow

    private func chain(_ buffer: UnsafeMutablePointer<GstBuffer>) -> GstFlowReturn {
        let id = sourceId(of: buffer)
        guard let output = output(for: id) else {
            gsb_buffer_unref(buffer)
            return GST_FLOW_OK
        }
        if output.eos { restart(output) }
        sendSticky(to: output, before: buffer)
        let flow = gst_pad_push(output.pad.ptr, buffer)
        // One branch that is not linked, ended or failed must not stop the
        // other sources: only flushing (a seek, a state change) goes up.
        if flow == GST_FLOW_FLUSHING { return flow }
        if flow.rawValue < GST_FLOW_OK.rawValue && flow != GST_FLOW_NOT_LINKED && flow != GST_FLOW_EOS {
            demuxLog.debug(element.raw, "src_\(id): push returned \(String(cString: gst_flow_get_name(flow)))")
        }
        return GST_FLOW_OK
    }

    /// The pad of `id`, made on first use; nil for an id whose PAD_DELETED
    /// came and no PAD_ADDED since (its late frames and events are dropped).
    private func output(for id: UInt32) -> Output? {
        if let existing = pads.withLock({ $0[id] }) { return existing }
        if sink.deleted.contains(id) {
            demuxLog.debug(element.raw, "source \(id) after its PAD_DELETED: dropped")
            return nil
        }
        guard let template = gst_element_get_pad_template(element.ptr, "src_%u"),
              let pad = gst_pad_new_from_template(template, "src_\(id)") else {
            if sink.warned.insert(id).inserted { demuxLog.warning(element.raw, "could not make pad src_\(id)") }
            return nil
        }
        // The Output keeps a reference of its own: the element's goes with
        // gst_element_remove_pad.
        gst_object_ref(UnsafeMutableRawPointer(pad))
        let output = Output(sourceId: id, pad: pad)
        gsb_pad_set_proxy_caps(pad)
        gst_pad_use_fixed_caps(pad)
        gst_pad_set_active(pad, 1)
        let streamId = "\(sink.upstreamStreamId)/\(id)"
        gst_pad_push_event(pad, gst_event_new_stream_start(streamId))
        pads.withLock { $0[id] = output }
        // pad-added handlers link here, on this thread; the sticky
        // stream-start stored above reaches them on link.
        gst_element_add_pad(element.ptr, pad)
        demuxLog.info(element.raw, "added pad src_\(id)")
        return output
    }

    /// Sends the sink's current caps and segment if this pad did not get them yet.
    ///
    /// A muxer's output says framerate=0/1 (its sources interleave), but one
    /// pad carries one source: with the frame `buffer` about to go out, the
    /// pad's caps get the rate its duration gives. An encoder told 0/1 takes
    /// variable-rate input, which x264 pays for with one frame of delay
    /// (x264enc reported 40 ms of latency, 0 with the rate; R2's first frame
    /// at a viewer came that much later, and every sink after it waited for
    /// it too). A source whose later frames last longer or shorter keeps its
    /// timestamps; only the nominal rate is this first frame's.
    private func sendSticky(to output: Output, before buffer: UnsafeMutablePointer<GstBuffer>? = nil) {
        if let caps = sink.caps, caps != output.caps {
            if let old = output.caps { gsb_event_unref(old) }
            output.caps = gsb_event_ref(caps)
            var parsed: UnsafeMutablePointer<GstCaps>?
            gst_event_parse_caps(caps, &parsed)
            if let buffer, let parsed,
               let withRate = gsb_caps_with_framerate_of_duration(parsed, gsb_buffer_duration(buffer)) {
                gst_pad_push_event(output.pad.ptr, gst_event_new_caps(withRate))
                gsb_caps_unref(withRate)
            } else {
                gst_pad_push_event(output.pad.ptr, gsb_event_ref(caps))
            }
        }
        if let segment = sink.segment, segment != output.segment {
            if let old = output.segment { gsb_event_unref(old) }
            output.segment = gsb_event_ref(segment)
            gst_pad_push_event(output.pad.ptr, gsb_event_ref(segment))
        }
    }

    /// A frame after EOS: flush the pad so it takes data again, then a new
    /// stream-start; caps and segment follow with the frame.
    private func restart(_ output: Output) {
        let pad = output.pad.ptr
        gst_pad_push_event(pad, gst_event_new_flush_start())
        gst_pad_push_event(pad, gst_event_new_flush_stop(1))
        gst_pad_push_event(pad, gst_event_new_stream_start("\(sink.upstreamStreamId)/\(output.sourceId)"))
        if let caps = output.caps { gsb_event_unref(caps) }
        if let segment = output.segment { gsb_event_unref(segment) }
        output.caps = nil
        output.segment = nil
        output.eos = false
        demuxLog.info(element.raw, "src_\(output.sourceId): frames after EOS, pad restarted")
    }

    private func endStream(_ output: Output) {
        guard !output.eos else { return }
        output.eos = true
        // A pad that never got caps would make downstream complain about
        // EOS before caps only if it had caps to wait for: send what we have.
        sendSticky(to: output)
        gst_pad_push_event(output.pad.ptr, gst_event_new_eos())
    }

    private func removePad(_ id: UInt32) {
        guard let output = pads.withLock({ $0.removeValue(forKey: id) }) else { return }
        endStream(output)
        gst_pad_set_active(output.pad.ptr, 0)
        gst_element_remove_pad(element.ptr, output.pad.ptr)
        demuxLog.info(element.raw, "removed pad src_\(id)")
    }

    private func allOutputs() -> [Output] {
        pads.withLock { Array($0.values) }.sorted { $0.sourceId < $1.sourceId }
    }

    // MARK: events

    private func sinkEvent(_ pad: UnsafeMutablePointer<GstPad>, _ event: UnsafeMutablePointer<GstEvent>) -> Bool {
        switch gsb_event_type(event) {
        case GST_EVENT_STREAM_START:
            var id: UnsafePointer<gchar>?
            gst_event_parse_stream_start(event, &id)
            if let id { sink.upstreamStreamId = String(cString: id) }
            gsb_event_unref(event)
            return true
        case GST_EVENT_CAPS:
            if let old = sink.caps { gsb_event_unref(old) }
            sink.caps = event
            return true
        case GST_EVENT_SEGMENT:
            if let old = sink.segment { gsb_event_unref(old) }
            sink.segment = event
            return true
        case GST_EVENT_EOS:
            inputEnded.store(true, ordering: .releasing)
            for output in allOutputs() { endStream(output) }
            gsb_event_unref(event)
            return true
        case GST_EVENT_FLUSH_STOP:
            inputEnded.store(false, ordering: .releasing)
            for output in allOutputs() {
                output.eos = false
                gst_pad_push_event(output.pad.ptr, gsb_event_ref(event))
            }
            gsb_event_unref(event)
            return true
        default:
            break
        }
        if let lifecycle = LifecycleEvent(parsing: event) {
            routeLifecycle(lifecycle, event)
            return true
        }
        if let control = ControlEvent(parsing: event) {
            routeControl(control, event)
            return true
        }
        return gst_pad_event_default(pad, cast(element.ptr, to: GstObject.self), event) != 0
    }

    private func routeLifecycle(_ lifecycle: LifecycleEvent, _ event: UnsafeMutablePointer<GstEvent>) {
        let id = lifecycle.sourceId
        switch lifecycle {
        case .padDeleted:
            sink.deleted.insert(id)
            if let output = pads.withLock({ $0[id] }) {
                gst_pad_push_event(output.pad.ptr, event)
            } else {
                gsb_event_unref(event)
            }
            removePad(id)
        case .streamEos:
            if let output = pads.withLock({ $0[id] }) {
                gst_pad_push_event(output.pad.ptr, event)
                endStream(output)
            } else {
                gsb_event_unref(event)
            }
        default:
            // PAD_ADDED makes the pad before the first frame; the others
            // (STREAM_START, STREAM_SEGMENT, STREAM_RESET) go to the pad
            // of their source, made for them if needed, unless it left.
            if case .padAdded = lifecycle { sink.deleted.remove(id) }
            if let output = output(for: id) {
                if output.eos, case .streamStart = lifecycle { restart(output) }
                gst_pad_push_event(output.pad.ptr, event)
            } else {
                gsb_event_unref(event)
            }
        }
    }

    private func routeControl(_ control: ControlEvent, _ event: UnsafeMutablePointer<GstEvent>) {
        let selector = control.streamId.map(StreamSelector.init) ?? .all
        switch selector {
        case let .one(id):
            if let output = pads.withLock({ $0[id] }) {
                gst_pad_push_event(output.pad.ptr, event)
            } else {
                demuxLog.debug(element.raw, "\(control.type.name) for stream \(id), which has no pad: dropped")
                gsb_event_unref(event)
            }
        case .all:
            for output in allOutputs() { gst_pad_push_event(output.pad.ptr, gsb_event_ref(event)) }
            gsb_event_unref(event)
        case .invalid:
            demuxLog.warning(element.raw, "\(control.type.name) for stream '\(control.streamId ?? "")': "
                + "not a source id, \"-1\" or \"all\": dropped")
            gsb_event_unref(event)
        }
    }

    /// PAUSED→READY: every pad goes (a new run starts with none, as sources
    /// are added anew).
    fileprivate func stop() {
        let src = sinkPad.ptr
        gsb_pad_stream_lock(src)
        for id in pads.withLock({ Array($0.keys) }) { removePad(id) }
        if let caps = sink.caps { gsb_event_unref(caps) }
        if let segment = sink.segment { gsb_event_unref(segment) }
        sink = SinkState()
        inputEnded.store(false, ordering: .releasing)
        gsb_pad_stream_unlock(src)
    }
}

// MARK: - GObject type

extension StreamDemux {
    static let typeName = "GstSwiftStreamDemux"

    static func register(_ plugin: OpaquePointer?) -> Bool {
        var hooks = GsbHooks()
        hooks.class_init = { klass in
            guard let klass else { return }
            let k = cast(klass, to: GstElementClass.self)
            gst_element_class_set_static_metadata(
                k, g_intern_string("Swift stream demuxer"), g_intern_string("Video/Demuxer"),
                g_intern_string("One src_%u pad per source id of GstSwiftSourceMeta, with its own caps, segment "
                                + "and EOS; DeepStream's per-stream events go to their stream's pad"),
                g_intern_string("swift-multiurisrc authors"))
            gsb_element_class_add_template(klass, "sink", GST_PAD_SINK, GST_PAD_ALWAYS, "ANY")
            gsb_element_class_add_template(klass, "src_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, "ANY")
        }
        hooks.instance_init = { object in
            guard let object else { return nil }
            return Unmanaged.passRetained(StreamDemux(element: cast(object, to: GstElement.self))).toOpaque()
        }
        hooks.finalize = { impl in
            guard let impl else { return }
            Unmanaged<StreamDemux>.fromOpaque(impl).release()
        }
        hooks.change_state = { impl, element, transition in
            guard let element else { return GST_STATE_CHANGE_FAILURE }
            let result = gsb_parent_change_state(element, transition)
            // After chaining up: the sink pad is inactive, no streaming
            // thread is inside chain or an event any more.
            if transition == GST_STATE_CHANGE_PAUSED_TO_READY, let demux: StreamDemux = swiftImpl(impl) {
                demux.stop()
            }
            return result
        }
        let type = gsb_register_subclass(gst_element_get_type(), typeName, &hooks)
        guard type != 0 else { return false }
        return gst_element_register(plugin, "swiftstreamdemux", UInt32(GST_RANK_NONE.rawValue), type) != 0
    }
}
