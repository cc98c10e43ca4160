import CGStreamer
import Dispatch
import GstSwiftBridge
import Synchronization
import swiftcustomevents

/// Sends the bin's own events downstream (lifecycle events, REST control
/// events, EOS after app/quit) without making the caller wait on data flow.
///
/// Pushing a serialized event takes the downstream pad's stream lock, which a
/// sink holds while it waits for preroll: a REST thread pushing directly
/// would hang there (and with it the control queue). So events are queued
/// here and pushed by a sender queue of their own, which may be the one to
/// wait; or, when a buffer leaves the bin first, from the streaming thread
/// just before that buffer. Before the stream started they wait for it,
/// retried every `fallbackMs`.
final class DownstreamEvents: @unchecked Sendable {
    private struct EventRef: @unchecked Sendable { let ptr: UnsafeMutablePointer<GstEvent> }

    private let pad: ObjectRef<GstPad>
    private let pending = Mutex<[EventRef]>([])
    /// Fast check for the buffer probe, which runs for every frame.
    private let hasPending = Atomic<Bool>(false)
    private let sender = DispatchQueue(label: "swiftmultiurisrcbin.events")
    private let fallbackMs = 100
    /// Events pushed, by type (GET metrics).
    private let pushed = Mutex<[String: UInt64]>([:])

    init(pad: UnsafeMutablePointer<GstPad>) {
        self.pad = ObjectRef(pad)
        let types = GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER.rawValue | GST_PAD_PROBE_TYPE_BUFFER_LIST.rawValue)
        gst_pad_add_probe(pad, types, { pad, _, data in
            guard let pad, let data else { return GST_PAD_PROBE_OK }
            let events = Unmanaged<DownstreamEvents>.fromOpaque(data).takeUnretainedValue()
            events.flush(on: pad)
            return GST_PAD_PROBE_OK
        }, Unmanaged.passRetained(self).toOpaque(), { data in
            guard let data else { return }
            Unmanaged<DownstreamEvents>.fromOpaque(data).release()
        })
    }

    /// Queues `event` (taking ownership). Once the stream has started, the
    /// sender queue pushes it at once (a sink that is not prerolling takes it
    /// between two buffers); the next buffer takes it with it if that comes
    /// first.
    func send(_ event: UnsafeMutablePointer<GstEvent>) {
        pending.withLock { $0.append(EventRef(ptr: event)) }
        hasPending.store(true, ordering: .releasing)
        if streamStarted() {
            sender.async { [weak self] in
                guard let self else { return }
                self.flush(on: self.pad.ptr)
            }
        } else {
            scheduleFallback()
        }
    }

    /// Pushes `event` (taking ownership) from the sender queue even before
    /// the stream started: EOS of a bin that never had a source.
    func sendUnordered(_ event: UnsafeMutablePointer<GstEvent>) {
        let ref = EventRef(ptr: event)
        sender.async { [weak self] in
            guard let self else { gsb_event_unref(ref.ptr); return }
            self.push(ref.ptr, on: self.pad.ptr)
        }
    }

    func pushedCounts() -> [String: UInt64] { pushed.withLock { $0 } }

    /// Pushes `event` (taking it) and counts it under its type's name,
    /// taken before the push gives the event away.
    private func push(_ event: UnsafeMutablePointer<GstEvent>, on pad: UnsafeMutablePointer<GstPad>) {
        let type = gsb_event_type(event)
        let name = CustomEventType(eventType: type.rawValue)?.structureName
            ?? String(cString: gst_event_type_get_name(type))
        gst_pad_push_event(pad, event)
        pushed.withLock { $0[name, default: 0] &+= 1 }
    }

    /// A custom sticky event before stream-start would be misordered.
    private func streamStarted() -> Bool {
        guard let started = gst_pad_get_sticky_event(pad.ptr, GST_EVENT_STREAM_START, 0) else { return false }
        gsb_event_unref(started)
        return true
    }

    /// Drops what was not sent (the bin stops).
    func clear() {
        let dropped = take()
        dropped.forEach { gsb_event_unref($0.ptr) }
    }

    private func take() -> [EventRef] {
        pending.withLock { list in
            hasPending.store(false, ordering: .releasing)
            defer { list.removeAll() }
            return list
        }
    }

    /// Pushes what is queued, in order. Two threads flush (the sender queue,
    /// and the streaming thread before a frame); each taking its batch and
    /// pushing it outside any lock let a later batch overtake an earlier one.
    /// The pad's stream lock (recursive, GStreamer's own way to serialize
    /// what goes out of a pad; nothing else takes it on a ghost src pad)
    /// makes taking and pushing one step. The sender may wait on it while a
    /// sink prerolls, as the streaming thread would.
    private func flush(on pad: UnsafeMutablePointer<GstPad>) {
        guard hasPending.load(ordering: .acquiring) else { return }
        gsb_pad_stream_lock(pad)
        defer { gsb_pad_stream_unlock(pad) }
        for event in take() { push(event.ptr, on: pad) }
    }

    /// Nothing flows: push from the sender queue, but only once the stream
    /// has started (a custom sticky event before stream-start is misordered).
    private func scheduleFallback() {
        sender.asyncAfter(deadline: .now() + .milliseconds(fallbackMs)) { [weak self] in
            guard let self, self.hasPending.load(ordering: .acquiring) else { return }
            guard self.streamStarted() else {
                self.scheduleFallback()
                return
            }
            self.flush(on: self.pad.ptr)
        }
    }
}
