import CGStreamer
import GstSwiftBridge
import Glibc

/// A real pipeline from a gst-launch description, with bounded waits on its
/// bus. Tests own it on one thread.
final class TestPipeline: @unchecked Sendable {
    let pipeline: UnsafeMutablePointer<GstElement>
    let bus: UnsafeMutablePointer<GstBus>
    /// Every message seen by waitFor/drain, as (type, source name, structure name, text).
    private(set) var messages: [SeenMessage] = []

    struct SeenMessage {
        var type: GstMessageType
        var source: String
        var structureName: String?
        var fields: [String: String]
        var text: String?
    }

    init(_ description: String) {
        TestGst.setUp()
        var error: UnsafeMutablePointer<GError>?
        let element = gst_parse_launch(description, &error)
        if let error {
            let text = String(cString: error.pointee.message)
            g_error_free(error)
            fatalError("test pipeline does not parse: \(text): \(description)")
        }
        pipeline = element!
        bus = gst_element_get_bus(pipeline)
    }

    deinit {
        gst_element_set_state(pipeline, GST_STATE_NULL)
        gst_object_unref(UnsafeMutableRawPointer(bus))
        gst_object_unref(UnsafeMutableRawPointer(pipeline))
    }

    func element(_ name: String) -> UnsafeMutablePointer<GstElement>? {
        guard let e = gst_bin_get_by_name(UnsafeMutableRawPointer(pipeline).assumingMemoryBound(to: GstBin.self), name) else { return nil }
        gst_object_unref(UnsafeMutableRawPointer(e))  // the pipeline keeps it alive
        return e
    }

    @discardableResult
    func play() -> GstStateChangeReturn { gst_element_set_state(pipeline, GST_STATE_PLAYING) }

    @discardableResult
    func stop() -> GstStateChangeReturn { gst_element_set_state(pipeline, GST_STATE_NULL) }

    func setState(_ s: GstState) -> GstStateChangeReturn { gst_element_set_state(pipeline, s) }

    /// Waits until the pipeline reached its target state (bounded).
    func waitForState(timeoutMs: UInt64 = 10_000) -> GstState {
        var current = GST_STATE_NULL, pending = GST_STATE_NULL
        gst_element_get_state(pipeline, &current, &pending, GstClockTime(timeoutMs) * 1_000_000)
        return current
    }

    /// Pops bus messages until one of `types` arrives or the time is up.
    func waitFor(_ types: [GstMessageType], timeoutMs: UInt64) -> SeenMessage? {
        let deadline = g_get_monotonic_time() + gint64(timeoutMs) * 1000
        while true {
            let left = deadline - g_get_monotonic_time()
            if left <= 0 { return nil }
            guard let msg = gst_bus_timed_pop(bus, GstClockTime(left) * 1000) else { return nil }
            let seen = record(msg)
            gst_message_unref(msg)
            if types.contains(where: { $0 == seen.type }) { return seen }
        }
    }

    /// Waits for an element message with this structure name.
    func waitForElementMessage(_ name: String, timeoutMs: UInt64) -> SeenMessage? {
        if let m = messages.first(where: { $0.structureName == name }) { return m }
        let deadline = g_get_monotonic_time() + gint64(timeoutMs) * 1000
        while g_get_monotonic_time() < deadline {
            let left = UInt64(max(1, (deadline - g_get_monotonic_time()) / 1000))
            guard let m = waitFor([GST_MESSAGE_ELEMENT], timeoutMs: left) else { return nil }
            if m.structureName == name { return m }
        }
        return nil
    }

    /// Reads what is on the bus now.
    func drain() {
        while let msg = gst_bus_pop(bus) {
            _ = record(msg)
            gst_message_unref(msg)
        }
    }

    private func record(_ msg: UnsafeMutablePointer<GstMessage>) -> SeenMessage {
        let type = gsb_message_type(msg)
        let source = gsb_message_src(msg).map { objectNameOf(UnsafeMutableRawPointer($0)) } ?? ""
        var name: String?
        var fields: [String: String] = [:]
        if let s = gst_message_get_structure(msg) {
            name = String(cString: gst_structure_get_name(s))
            let n = gst_structure_n_fields(s)
            for i in 0..<n {
                guard let fname = gst_structure_nth_field_name(s, guint(i)),
                      let value = gst_structure_get_value(s, fname) else { continue }
                if let str = gst_value_serialize(value) {
                    fields[String(cString: fname)] = String(cString: str)
                    g_free(str)
                }
            }
        }
        var text: String?
        if type == GST_MESSAGE_ERROR || type == GST_MESSAGE_WARNING {
            var t: UnsafeMutablePointer<gchar>?, d: UnsafeMutablePointer<gchar>?
            gsb_message_parse_error_or_warning(msg, &t, &d)
            if let t { text = String(cString: t); g_free(t) }
            if let d { g_free(d) }
        }
        let seen = SeenMessage(type: type, source: source, structureName: name, fields: fields, text: text)
        messages.append(seen)
        return seen
    }

    var errors: [SeenMessage] { messages.filter { $0.type == GST_MESSAGE_ERROR } }
    var warnings: [SeenMessage] { messages.filter { $0.type == GST_MESSAGE_WARNING } }
}

func objectNameOf(_ object: UnsafeMutableRawPointer) -> String {
    guard let n = gsb_object_name(object) else { return "" }
    return String(cString: n)
}

/// Pulls frames from an appsink named `name` and tallies them by source id
/// (GstSwiftSourceMeta); frames without the meta count under `nil`.
final class FrameTally: @unchecked Sendable {
    let sink: UnsafeMutablePointer<GstAppSink>
    private(set) var perSource: [UInt32?: Int] = [:]
    private(set) var lastCaps: String?
    private(set) var lastPts: [UInt32?: GstClockTime] = [:]
    private(set) var frameNumbers: [UInt32: [UInt64]] = [:]
    private(set) var sensorIds: [UInt32: String] = [:]
    private(set) var eos = false

    init(_ pipeline: TestPipeline, name: String = "out") {
        sink = UnsafeMutableRawPointer(pipeline.element(name)!).assumingMemoryBound(to: GstAppSink.self)
    }

    /// Pulls for at most `ms` milliseconds; returns frames pulled.
    @discardableResult
    func pull(forMs ms: Int64) -> Int {
        var count = 0
        let deadline = g_get_monotonic_time() + gint64(ms) * 1000
        while g_get_monotonic_time() < deadline {
            if gst_app_sink_is_eos(sink) != 0 { eos = true; break }
            guard let sample = gst_app_sink_try_pull_sample(sink, 20_000_000) else { continue }
            count += 1
            take(sample)
            gst_sample_unref(sample)
        }
        return count
    }

    /// Pulls until `predicate` holds or `ms` × `waitSlack` passes.
    func pull(untilMs ms: Int64, _ predicate: (FrameTally) -> Bool) -> Bool {
        let deadline = g_get_monotonic_time() + gint64(ms * waitSlack) * 1000
        while g_get_monotonic_time() < deadline {
            if predicate(self) { return true }
            if gst_app_sink_is_eos(sink) != 0 { eos = true; return predicate(self) }
            guard let sample = gst_app_sink_try_pull_sample(sink, 20_000_000) else { continue }
            take(sample)
            gst_sample_unref(sample)
        }
        return predicate(self)
    }

    private func take(_ sample: OpaquePointer) {
        guard let buffer = gst_sample_get_buffer(sample) else { return }
        var id: UInt32?
        if let meta = gst_buffer_get_swift_source_meta(buffer) {
            id = meta.pointee.source_id
            frameNumbers[meta.pointee.source_id, default: []].append(UInt64(meta.pointee.frame_number))
            if let s = meta.pointee.sensor_id { sensorIds[meta.pointee.source_id] = String(cString: s) }
        }
        perSource[id, default: 0] += 1
        lastPts[id] = gsb_buffer_pts(buffer)
        if let caps = gst_sample_get_caps(sample), let s = gst_caps_to_string(caps) {
            lastCaps = String(cString: s)
            g_free(s)
        }
    }

    func count(_ id: UInt32?) -> Int { perSource[id] ?? 0 }

    func reset() {
        perSource = [:]
        lastPts = [:]
        frameNumbers = [:]
        eos = false
    }
}
