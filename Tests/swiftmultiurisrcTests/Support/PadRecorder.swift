import CGStreamer
import GstSwiftBridge
import Synchronization
import swiftcustomevents

/// A probe on a pad that counts frames per source (GstSwiftSourceMeta) and
/// keeps every custom event passing, parsed. Thread-safe; for pipelines
/// whose sink drops rather than waits for a puller.
final class PadRecorder: @unchecked Sendable {
    struct Seen {
        var frames: [UInt32: Int] = [:]
        /// Each source's buffer timestamps, in order (the last `ptsLimit`).
        var pts: [UInt32: [UInt64]] = [:]
        var control: [ControlEvent] = []
        var lifecycle: [LifecycleEvent] = []
        var eos = false
    }
    let seen = Mutex(Seen())

    init(_ element: UnsafeMutablePointer<GstElement>, pad name: String = "sink") {
        guard let pad = gst_element_get_static_pad(element, name) else { return }
        let types = GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER.rawValue | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM.rawValue)
        gst_pad_add_probe(pad, types, { _, info, data in
            guard let info, let data else { return GST_PAD_PROBE_OK }
            let recorder = Unmanaged<PadRecorder>.fromOpaque(data).takeUnretainedValue()
            let type = gsb_probe_info_type(info).rawValue
            if type & GST_PAD_PROBE_TYPE_BUFFER.rawValue != 0, let buffer = gsb_probe_info_buffer(info) {
                let id = gst_buffer_get_swift_source_meta(buffer)?.pointee.source_id ?? UInt32.max
                let pts = UInt64(gsb_buffer_pts(buffer))
                recorder.seen.withLock { s in
                    s.frames[id, default: 0] += 1
                    s.pts[id, default: []].append(pts)
                    if s.pts[id]!.count > PadRecorder.ptsLimit { s.pts[id]!.removeFirst(PadRecorder.ptsLimit / 2) }
                }
            } else if let event = gsb_probe_info_event(info) {
                let control = ControlEvent(parsing: event)
                let lifecycle = LifecycleEvent(parsing: event)
                let eos = gsb_event_type(event) == GST_EVENT_EOS
                recorder.seen.withLock { s in
                    if let control { s.control.append(control) }
                    if let lifecycle { s.lifecycle.append(lifecycle) }
                    if eos { s.eos = true }
                }
            }
            return GST_PAD_PROBE_OK
        }, Unmanaged.passRetained(self).toOpaque(), { data in
            guard let data else { return }
            Unmanaged<PadRecorder>.fromOpaque(data).release()
        })
        gst_object_unref(UnsafeMutableRawPointer(pad))
    }

    static let ptsLimit = 8192

    func frames(_ id: UInt32) -> Int { seen.withLock { $0.frames[id] ?? 0 } }
    /// Source `id`'s buffer timestamps so far.
    func pts(_ id: UInt32) -> [UInt64] { seen.withLock { $0.pts[id] ?? [] } }
    /// The distance between consecutive buffers of source `id`, in frames of
    /// `frameNs` (the test clips are 30 fps), for the buffers after the first
    /// `after`: which frames a drop interval or skip-frames let through,
    /// whatever the machine's speed.
    func frameGaps(_ id: UInt32, after: Int = 0, frameNs: Double = 1e9 / 30) -> [Int] {
        let all = pts(id)
        guard all.count > after + 1 else { return [] }
        let tail = all[after...]
        return zip(tail, tail.dropFirst()).map { Int((Double(Int64($1) - Int64($0)) / frameNs).rounded()) }
    }
    var control: [ControlEvent] { seen.withLock { $0.control } }
    var lifecycle: [LifecycleEvent] { seen.withLock { $0.lifecycle } }
    var eos: Bool { seen.withLock { $0.eos } }
}
