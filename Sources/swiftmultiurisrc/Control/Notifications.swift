import Glibc
import Synchronization

/// What a notification says happened (the SSE `event:` name and the JSON `type`).
enum NotificationKind: String, Sendable {
    case streamAdded = "stream-added"
    case streamRemoved = "stream-removed"
    case streamState = "stream-state"
    case reconnect
    case appQuit = "app-quit"
}

/// One published notification. Immutable, shared by every subscriber: its
/// JSON is made once, when it is published, not once per client.
final class Notification: Sendable {
    /// 1, 2, 3, ... for the life of the hub (the element): what an SSE
    /// client sends back as Last-Event-ID.
    let id: UInt64
    let kind: NotificationKind
    /// Wall clock, ms since the Unix epoch.
    let timeMs: Int64
    let stream: StreamInfo?
    /// Why: a failure's or reconnection's last error, a stop condition.
    let reason: String?
    /// The reconnection attempt (reconnect only).
    let attempt: Int?
    /// The whole notification as one line of compact JSON.
    let json: [UInt8]
    /// The same as one Server-Sent Event (`id:`, `event:`, `data:`), made
    /// once here rather than once per GET events client.
    let sseFrame: [UInt8]

    init(id: UInt64, kind: NotificationKind, timeMs: Int64, stream: StreamInfo?, reason: String?, attempt: Int?) {
        self.id = id
        self.kind = kind
        self.timeMs = timeMs
        self.stream = stream
        self.reason = reason
        self.attempt = attempt
        var object = JSONObject([
            "id": .integer(Int64(clamping: id)),
            "type": .string(kind.rawValue),
            "time_ms": .integer(timeMs),
        ])
        if let attempt { object["attempt"] = .integer(Int64(attempt)) }
        if let stream {
            object["stream"] = .object(JSONObject([
                "source_id": .integer(Int64(stream.sourceId)),
                "camera_id": .string(stream.cameraId),
                "camera_name": .string(stream.cameraName),
                "uri": .string(stream.maskedUri),
                "state": .string(stream.state.rawValue),
                "reason": reason.map { .string($0) } ?? .null,
                "labels": .object(labelsJSON(stream.labels)),
            ]))
        } else if let reason {
            object["reason"] = .string(reason)
        }
        json = JSONCodec.serialize(.object(object)) ?? []
        // Compact JSON holds no raw line break: one data line.
        var frame: [UInt8] = []
        frame.reserveCapacity(json.count + 48)
        frame.append(contentsOf: "id: ".utf8)
        JSONCodec.appendDecimal(Int64(clamping: id), to: &frame)
        frame.append(contentsOf: "\nevent: \(kind.rawValue)\ndata: ".utf8)
        frame.append(contentsOf: json)
        frame.append(contentsOf: "\n\n".utf8)
        sseFrame = frame
    }
}

/// A Last-Event-ID the hub can no longer answer exactly: the events after
/// it were dropped from the ring, or it is newer than any event (the
/// element restarted and counts from 1 again). The client gets everything
/// still kept, after one `reset` notice.
struct NotificationGap: Sendable, Equatable {
    var lastEventId: UInt64
    /// The oldest id still kept (the replay starts there), and the newest.
    var oldestId: UInt64
    var latestId: UInt64

    var reason: String {
        lastEventId > latestId
            ? "Last-Event-ID \(lastEventId) is newer than the latest event \(latestId) (the element restarted); replaying every event kept"
            : "events \(lastEventId + 1) to \(oldestId - 1) are no longer kept; replaying from \(oldestId)"
    }
}

/// What the hub tells a subscriber, outside its lock. Must not block.
enum NotificationSignal: Sendable {
    /// Something to take (sent when the subscriber had caught up).
    case ready
    /// More than its queue limit waits: the subscriber is to be cut.
    case overflow
}

/// Live notifications of one element (GET /api/v1/events): a bounded ring of
/// the last `ringSize` notifications, for Last-Event-ID replay, and the
/// subscribers reading it, each with a cursor and a queue limit.
///
/// Publishing never blocks and never waits for a subscriber: under the lock
/// it stores the notification and checks each cursor; the signals (a byte
/// written to a pipe, a socket shut down) are sent after the lock. A
/// subscriber more than its limit behind is flagged and signalled once, and
/// takes nothing more. The lock is never held while calling GStreamer or a
/// subscriber.
final class NotificationHub: Sendable {
    static let defaultRingSize = 1024
    let ringSize: Int

    private struct Subscriber {
        /// The id of the next notification to take.
        var cursor: UInt64
        /// The first id published after subscribing: a replay backlog does
        /// not count against the queue limit, only what piles up live.
        var liveFrom: UInt64
        var limit: Int
        var overflowed = false
        let signal: @Sendable (NotificationSignal) -> Void
    }

    private struct State {
        var nextId: UInt64 = 1
        /// Notification `id` lives at `id % ringSize` while kept.
        var ring: [Notification?]
        var subscribers: [Int: Subscriber] = [:]
        var nextSubscriber = 0

        func oldest(ringSize: Int) -> UInt64 {
            nextId > UInt64(ringSize) ? nextId - UInt64(ringSize) : 1
        }
    }

    private let state: Mutex<State>

    init(ringSize: Int = NotificationHub.defaultRingSize) {
        self.ringSize = max(1, ringSize)
        state = Mutex(State(ring: Array(repeating: nil, count: max(1, ringSize))))
    }

    /// The id of the latest notification (0: none yet).
    var latestId: UInt64 { state.withLock { $0.nextId - 1 } }

    @discardableResult
    func publish(_ kind: NotificationKind, stream: StreamInfo? = nil, reason: String? = nil,
                 attempt: Int? = nil) -> Notification {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let timeMs = Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
        let ringSize = self.ringSize
        let (notification, signals) = state.withLock { s -> (Notification, [(@Sendable (NotificationSignal) -> Void, NotificationSignal)]) in
            // Made under the lock so ids enter the ring in order; a few
            // hundred bytes of JSON, microseconds.
            let n = Notification(id: s.nextId, kind: kind, timeMs: timeMs, stream: stream, reason: reason, attempt: attempt)
            s.ring[Int(n.id % UInt64(ringSize))] = n
            s.nextId += 1
            let oldest = s.oldest(ringSize: ringSize)
            var signals: [(@Sendable (NotificationSignal) -> Void, NotificationSignal)] = []
            for (key, var sub) in s.subscribers where !sub.overflowed {
                let pending = s.nextId - max(sub.cursor, sub.liveFrom)
                if pending > UInt64(sub.limit) || sub.cursor < oldest {
                    sub.overflowed = true
                    signals.append((sub.signal, .overflow))
                } else if sub.cursor == n.id {
                    signals.append((sub.signal, .ready))
                }
                s.subscribers[key] = sub
            }
            return (n, signals)
        }
        for (signal, what) in signals { signal(what) }
        return notification
    }

    /// Adds a subscriber. `lastEventId` nil: only what is published from
    /// now on; otherwise everything after that id still kept (0: the whole
    /// ring), with a gap when that is not exactly what followed it.
    func subscribe(after lastEventId: UInt64?, limit: Int,
                   signal: @escaping @Sendable (NotificationSignal) -> Void) -> (NotificationSubscription, NotificationGap?) {
        let ringSize = self.ringSize
        let (key, gap) = state.withLock { s -> (Int, NotificationGap?) in
            let oldest = s.oldest(ringSize: ringSize)
            var cursor = s.nextId
            var gap: NotificationGap?
            if let last = lastEventId {
                if last >= s.nextId || last + 1 < oldest {
                    cursor = oldest
                    gap = NotificationGap(lastEventId: last, oldestId: oldest, latestId: s.nextId - 1)
                } else {
                    cursor = last + 1
                }
            }
            let key = s.nextSubscriber
            s.nextSubscriber += 1
            s.subscribers[key] = Subscriber(cursor: cursor, liveFrom: s.nextId, limit: max(1, limit), signal: signal)
            return (key, gap)
        }
        return (NotificationSubscription(hub: self, key: key), gap)
    }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    struct Taken: Sendable {
        var notifications: [Notification] = []
        /// Cut: the subscriber fell more than its limit behind.
        var overflowed = false
    }

    fileprivate func take(_ key: Int, max count: Int) -> Taken {
        let ringSize = self.ringSize
        return state.withLock { s in
            guard var sub = s.subscribers[key] else { return Taken(overflowed: true) }
            if sub.overflowed { return Taken(overflowed: true) }
            var taken = Taken()
            while sub.cursor < s.nextId && taken.notifications.count < count {
                guard let n = s.ring[Int(sub.cursor % UInt64(ringSize))], n.id == sub.cursor else {
                    // Dropped from the ring before it was sent.
                    sub.overflowed = true
                    break
                }
                taken.notifications.append(n)
                sub.cursor += 1
            }
            taken.overflowed = sub.overflowed
            s.subscribers[key] = sub
            return taken
        }
    }

    fileprivate func cancel(_ key: Int) {
        // The closure (and what it holds) is released after the lock.
        let removed = state.withLock { $0.subscribers.removeValue(forKey: key) }
        _ = removed
    }
}

/// One reader of a hub; ends with `cancel()` or when released.
final class NotificationSubscription: Sendable {
    private let hub: NotificationHub
    private let key: Int

    fileprivate init(hub: NotificationHub, key: Int) {
        self.hub = hub
        self.key = key
    }

    /// The next notifications in order, at most `count`.
    func take(max count: Int = 64) -> NotificationHub.Taken { hub.take(key, max: count) }

    func cancel() { hub.cancel(key) }

    deinit { hub.cancel(key) }
}
