import CGStreamer
import GstSwiftBridge
import Synchronization
import swiftcustomevents

/// gst_init once per test process (Swift Testing runs tests in parallel;
/// a static let is initialised exactly once, thread-safely).
enum EventsTestGst {
    private static let initialized: Bool = {
        gst_init(nil, nil)
        return true
    }()

    static func setUp() { _ = initialized }
}

/// An event as a probe saw it, copied into Sendable values.
struct SeenEvent: Sendable, Equatable {
    var typeValue: UInt32
    var structureName: String
    var control: ControlEvent?
    var lifecycle: LifecycleEvent?
}

/// What to push: values, turned into GstEvents in the streaming thread.
enum Injected: Sendable {
    case control(ControlEvent)
    case lifecycle(LifecycleEvent)

    func makeEvent() -> UnsafeMutablePointer<GstEvent> {
        switch self {
        case let .control(event): event.makeEvent()
        case let .lifecycle(event): event.makeEvent()
        }
    }
}

/// Shared between a test and the probes of its pipeline.
final class ProbeState: Sendable {
    let toInject: [Injected]
    let injectAtBuffer: Int
    let buffersSeen = Mutex(0)
    let seen = Mutex<[String: [SeenEvent]]>([:])

    init(toInject: [Injected], injectAtBuffer: Int) {
        self.toInject = toInject
        self.injectAtBuffer = injectAtBuffer
    }
}

func cast<T>(_ p: UnsafeMutableRawPointer, to: T.Type = T.self) -> UnsafeMutablePointer<T> {
    p.assumingMemoryBound(to: T.self)
}

func element(_ bin: UnsafeMutablePointer<GstElement>, _ name: String) -> UnsafeMutablePointer<GstElement>? {
    gst_bin_get_by_name(cast(UnsafeMutableRawPointer(bin)), name)
}

func unref(_ object: UnsafeMutableRawPointer) { gst_object_unref(object) }

/// A custom event's structure name ("" without a structure).
func structureName(_ event: UnsafeMutablePointer<GstEvent>) -> String {
    guard let s = gst_event_get_structure(event), let name = gst_structure_get_name(s) else { return "" }
    return String(cString: name)
}

/// Runs `description` to EOS (or error, or 20 s), pushing `inject` from a
/// buffer probe on the src pad of the element named "src" when its
/// `atBuffer`th buffer goes out, and records the custom events reaching the
/// sink pads of the elements named in `sinks`. Returns the events per sink,
/// or an error text.
func runEventPipeline(_ description: String, inject: [Injected], atBuffer: Int,
                      sinks: [String]) -> Result<[String: [SeenEvent]], PipelineFailure> {
    EventsTestGst.setUp()
    var error: UnsafeMutablePointer<GError>? = nil
    guard let pipeline = gst_parse_launch(description, &error) else {
        let text = error.map { String(cString: $0.pointee.message) } ?? "?"
        if let error { g_error_free(error) }
        return .failure(PipelineFailure("parse: \(text)"))
    }
    defer { unref(UnsafeMutableRawPointer(pipeline)) }
    let state = ProbeState(toInject: inject, injectAtBuffer: atBuffer)

    guard let src = element(pipeline, "src"), let srcPad = gst_element_get_static_pad(src, "src") else {
        return .failure(PipelineFailure("no element named src"))
    }
    gst_pad_add_probe(srcPad, GST_PAD_PROBE_TYPE_BUFFER, injectProbe,
                      Unmanaged.passRetained(state).toOpaque(), releaseState)
    unref(UnsafeMutableRawPointer(srcPad))
    unref(UnsafeMutableRawPointer(src))

    for name in sinks {
        guard let sink = element(pipeline, name), let pad = gst_element_get_static_pad(sink, "sink") else {
            return .failure(PipelineFailure("no sink named \(name)"))
        }
        let context = SinkContext(state: state, sink: name)
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, recordProbe,
                          Unmanaged.passRetained(context).toOpaque(), releaseSinkContext)
        unref(UnsafeMutableRawPointer(pad))
        unref(UnsafeMutableRawPointer(sink))
    }

    let failure = playToEos(pipeline)
    if let failure { return .failure(failure) }
    return .success(state.seen.withLock { $0 })
}

struct PipelineFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Sets PLAYING, waits for EOS (20 s at most), sets NULL.
func playToEos(_ pipeline: UnsafeMutablePointer<GstElement>) -> PipelineFailure? {
    defer { gst_element_set_state(pipeline, GST_STATE_NULL) }
    guard gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE else {
        return PipelineFailure("cannot go to PLAYING")
    }
    guard let bus = gst_element_get_bus(pipeline) else { return PipelineFailure("no bus") }
    defer { unref(UnsafeMutableRawPointer(bus)) }
    let wanted = GstMessageType(rawValue: GST_MESSAGE_EOS.rawValue | GST_MESSAGE_ERROR.rawValue)
    guard let message = gst_bus_timed_pop_filtered(bus, 20_000_000_000, wanted) else {
        return PipelineFailure("no EOS within 20 s")
    }
    defer { gsb_message_unref(message) }
    if gsb_message_type(message) == GST_MESSAGE_ERROR {
        var text: UnsafeMutablePointer<gchar>? = nil
        var debug: UnsafeMutablePointer<gchar>? = nil
        gsb_message_parse_error_or_warning(message, &text, &debug)
        defer { g_free(text); g_free(debug) }
        return PipelineFailure("error: \(text.map { String(cString: $0) } ?? "?")")
    }
    return nil
}

final class SinkContext: Sendable {
    let state: ProbeState
    let sink: String
    init(state: ProbeState, sink: String) {
        self.state = state
        self.sink = sink
    }
}

private let releaseState: GDestroyNotify = { p in
    guard let p else { return }
    Unmanaged<ProbeState>.fromOpaque(p).release()
}

private let releaseSinkContext: GDestroyNotify = { p in
    guard let p else { return }
    Unmanaged<SinkContext>.fromOpaque(p).release()
}

private let injectProbe: GstPadProbeCallback = { pad, info, userData in
    guard let pad, let userData else { return GST_PAD_PROBE_OK }
    let state = Unmanaged<ProbeState>.fromOpaque(userData).takeUnretainedValue()
    let index = state.buffersSeen.withLock { count in
        defer { count += 1 }
        return count
    }
    if index == state.injectAtBuffer {
        // Pushed from the streaming thread before this buffer, so the events
        // are serialized between buffer index-1 and buffer index.
        for item in state.toInject {
            gst_pad_push_event(pad, item.makeEvent())
        }
    }
    return GST_PAD_PROBE_OK
}

private let recordProbe: GstPadProbeCallback = { _, info, userData in
    guard let info, let userData, let event = gsb_probe_info_event(info) else { return GST_PAD_PROBE_OK }
    let context = Unmanaged<SinkContext>.fromOpaque(userData).takeUnretainedValue()
    let type = gsb_event_type(event).rawValue
    guard CustomEventType(eventType: type) != nil else { return GST_PAD_PROBE_OK }
    let seen = SeenEvent(typeValue: type, structureName: structureName(event),
                         control: ControlEvent(parsing: event),
                         lifecycle: LifecycleEvent(parsing: event))
    context.state.seen.withLock { $0[context.sink, default: []].append(seen) }
    return GST_PAD_PROBE_OK
}
