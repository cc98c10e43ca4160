/// GET events (ours): what happens to the streams, live, as Server-Sent
/// Events (text/event-stream), from the element's NotificationHub.
///
///     GET /api/v1/events                       from now on
///     GET /api/v1/events  Last-Event-ID: 41    everything after notification 41 still kept (0: all kept)
///     GET /api/v1/events?last_event_id=41      the same, for clients that cannot set headers
///
/// Each notification is one event: `id:` (1, 2, 3, ... for the life of the
/// element), `event:` its type, `data:` one line of JSON:
///
///     {"id": 7, "type": "stream-state", "time_ms": <wall clock ms>,
///      "stream": {"source_id", "camera_id", "camera_name", "uri", "state", "reason", "labels"}}
///
/// Types: stream-added, stream-removed (reason: why it left, when known),
/// stream-state (starting, playing, reconnecting, error, eos; reason for
/// error and reconnecting), reconnect (an RTSP attempt, with "attempt"),
/// app-quit (no stream). A Last-Event-ID older than the kept ones (or newer
/// than the latest: the element restarted) gets an `event: reset` without id
/// first ({"type": "reset", "last_event_id", "oldest_id", "latest_id",
/// "reason"}), then everything kept. `retry:` once at the start; a comment
/// line after `keepAliveMs` without an event.
///
/// A client more than `events-queue-size` notifications behind is cut (its
/// connection closes; it resumes with Last-Event-ID). Refusals are JSON:
/// 400 (Last-Event-ID not a decimal number), 503 (events-max-clients
/// streams open, or an element without notifications), and whatever the
/// server refuses before any route (401, 403, 405, ...).
enum EventsRoute {
    static let operation = "GET_EVENTS"
    static let route = StreamingRoute(path: "/events", operation: operation, serve: serve)
    /// What EventSource waits before reconnecting after the stream ends.
    static let retryMs = 2_000
    /// Notifications written per write.
    static let batch = 64

    static func serve(_ ctx: StreamingContext) -> Int {
        guard let hub = ctx.control.notifications else {
            return ctx.refuse(.failure(operation, status: 503, detail: "this element publishes no events"))
        }
        let lastEventId: UInt64?
        do { lastEventId = try Self.lastEventId(ctx.request) } catch {
            return ctx.refuse(.failure(operation, error))
        }
        guard ctx.limits.maxClients > 0 else {
            return ctx.refuse(.failure(operation, status: 503, detail: "events-max-clients is 0: event streams are off"))
        }
        if ctx.head {
            _ = ctx.write(head(ctx.extraHeaders))
            return 200
        }
        guard let session = ctx.open() else {
            return ctx.refuse(.failure(operation, status: 503,
                                       detail: "events-max-clients (\(ctx.limits.maxClients)) event streams are open, or the server is stopping",
                                       headers: [RestHeader(name: "Retry-After", value: "5")]))
        }
        let (subscription, gap) = hub.subscribe(after: lastEventId, limit: ctx.limits.queueSize) { signal in
            switch signal {
            case .ready: session.wake()
            case .overflow:
                // Also ends a write blocked on a client that stopped reading.
                session.markCutBehind()
                session.end()
            }
        }
        defer {
            subscription.cancel()
            if session.wasCutBehind {
                ctx.log.info(nil, "events: \(ctx.request.remoteAddress) fell more than \(ctx.limits.queueSize) notifications behind; stream closed")
            }
        }
        var opening = head(ctx.extraHeaders)
        opening.append(contentsOf: "retry: \(retryMs)\n\n".utf8)
        if let gap { opening.append(contentsOf: resetEvent(gap)) }
        guard ctx.write(opening) else { return 200 }
        ctx.log.debug(nil, "events: stream opened for \(ctx.request.remoteAddress) after \(lastEventId.map(String.init) ?? "now")")

        var lastWriteMs = monotonicMs()
        // Ends when the client goes, falls behind, or the server stops
        // (which shuts the socket down); every wait is bounded by the
        // keep-alive interval.
        while true {
            let taken = subscription.take(max: batch)
            if taken.overflowed {
                session.markCutBehind()
                return 200
            }
            if let first = taken.notifications.first {
                // One write per batch; the usual batch of one goes as made.
                var bytes = first.sseFrame
                for n in taken.notifications.dropFirst() { bytes.append(contentsOf: n.sseFrame) }
                guard ctx.write(bytes) else { return 200 }
                lastWriteMs = monotonicMs()
                continue
            }
            if session.isEnded { return 200 }
            let left = Int64(ctx.limits.keepAliveMs) - (monotonicMs() - lastWriteMs)
            if left <= 0 {
                guard ctx.write(Array(": keep-alive\n\n".utf8)) else { return 200 }
                lastWriteMs = monotonicMs()
                continue
            }
            if session.wait(timeoutMs: Int(left)) == .clientGone { return 200 }
        }
    }

    /// Last-Event-ID (header first, then the query's last_event_id): a
    /// decimal id, or nil when neither is given.
    static func lastEventId(_ request: RestRequest) throws(ControlError) -> UInt64? {
        if let header = request.header("Last-Event-ID") {
            return try decimal(restTrimmed(header), field: "Last-Event-ID")
        }
        for pair in (request.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.first == "last_event_id" else { continue }
            return try decimal(parts.count > 1 ? String(parts[1]) : "", field: "last_event_id")
        }
        return nil
    }

    private static func decimal(_ text: String, field: String) throws(ControlError) -> UInt64 {
        guard !text.isEmpty, text.utf8.count <= 20, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let value = UInt64(text) else {
            throw .badRequest(field: field, detail: "\"\(text.prefix(40))\" is not a decimal event id")
        }
        return value
    }

    static func head(_ extra: [RestHeader]) -> [UInt8] {
        var text = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
            + "X-Accel-Buffering: no\r\nDate: \(httpDate())\r\n"
        for h in extra { text += "\(h.name): \(h.value)\r\n" }
        text += "Connection: close\r\n\r\n"
        return Array(text.utf8)
    }

    static func resetEvent(_ gap: NotificationGap) -> [UInt8] {
        let json = JSONCodec.serialize(.object(JSONObject([
            "type": "reset",
            "last_event_id": .integer(Int64(clamping: gap.lastEventId)),
            "oldest_id": .integer(Int64(clamping: gap.oldestId)),
            "latest_id": .integer(Int64(clamping: gap.latestId)),
            "reason": .string(gap.reason),
        ]))) ?? []
        return Array("event: reset\ndata: ".utf8) + json + Array("\n\n".utf8)
    }
}
