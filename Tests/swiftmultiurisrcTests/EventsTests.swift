import CGStreamer
import GstSwiftBridge
import Glibc
import Synchronization
import Testing
@testable import swiftmultiurisrc

extension PipelineSuites {
    /// GET /api/v1/events: real streaming clients (SSEClient, a plain socket
    /// read as EventSource reads it) against swiftmultiurisrcbin in a
    /// PLAYING pipeline, over 127.0.0.1.
    @Suite(.serialized) struct EventsTests {
        /// A playing bin with its REST server; `extra` adds properties.
        final class Fixture {
            let port = freeLocalPort()
            let pipeline: TestPipeline
            let recorder: PadRecorder
            let http: HTTPClient

            init(_ extra: String = "") {
                TestGst.setUp()
                pipeline = TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) strict-http-status=true "
                    + "live-source=true file-loop=true drop-pipeline-eos=true width=160 height=120 max-batch-size=8 \(extra) ! "
                    + "fakesink name=out sync=false")
                recorder = PadRecorder(pipeline.element("out")!)
                http = HTTPClient(port: port)
                pipeline.play()
                let bin = pipeline.bin()
                #expect(waitUntil(ms: 5_000) { bin?.isReady == true })
            }

            var bin: MultiUriSrcBin? { pipeline.bin() }

            var server: RestServer? { bin?.state.withLock { $0?.server } as? RestServer }

            /// A connected, admitted event stream (head read).
            func client(_ headers: [(String, String)] = [], receiveBuffer: Int32? = nil) throws -> SSEClient {
                let c = try SSEClient(port: port, headers: headers, receiveBuffer: receiveBuffer)
                let head = try c.readHead()
                #expect(head.status == 200, "\(head.text)")
                #expect(head.header("Content-Type") == "text/event-stream")
                return c
            }

            func add(_ id: String, _ uri: String, labels: [String: String] = [:]) throws -> HTTPResponse {
                let labelText = labels.isEmpty ? "" : ",\"labels\":{" + labels.sorted { $0.key < $1.key }
                    .map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",") + "}"
                return try http.post("/api/v1/stream/add", PipelineSuites.RestEndToEndTests.addBody(id, uri, extra: labelText))
            }

            func remove(_ id: String) throws -> HTTPResponse {
                try http.post("/api/v1/stream/remove", PipelineSuites.RestEndToEndTests.addBody(id, "", change: "camera_remove"))
            }
        }

        static func ids(_ events: [SSEEvent]) -> [UInt64] { events.compactMap(\.id) }

        static func consecutive(_ ids: [UInt64]) -> Bool {
            zip(ids, ids.dropFirst()).allSatisfy { $1 == $0 + 1 }
        }

        @Test func addAndRemoveAreSeenInOrderWithLabels() throws {
            let f = Fixture()
            let client = try f.client()
            #expect(client.headers.contains { $0.name == "Cache-Control" && $0.value == "no-cache" })
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            expectAnswer(try f.add("cam1", uri, labels: ["site": "north", "lane": "2"]), 200, "STREAM_ADD_SUCCESS")
            #expect(waitUntil(ms: 5_000) { f.recorder.frames(0) > 3 })
            expectAnswer(try f.remove("cam1"), 200, "STREAM_REMOVE_SUCCESS")
            let events = client.events(3, timeoutMs: Int(slack(5_000)))
            #expect(events.map(\.event) == ["stream-added", "stream-state", "stream-removed"], "\(events.map(\.data))")
            #expect(client.retries == [String(EventsRoute.retryMs)])
            guard events.count == 3 else { return }
            let ids = Self.ids(events)
            #expect(ids.count == 3 && Self.consecutive(ids), "\(ids)")
            for e in events {
                #expect(integer(e.json["id"]).map(UInt64.init) == e.id, "data id matches the SSE id")
                #expect(string(e.json["type"]) == e.event)
                #expect(integer(e.json["time_ms"]) ?? 0 > 1_600_000_000_000)
                #expect(string(e.stream["camera_id"]) == "cam1")
                #expect(integer(e.stream["source_id"]) == 0)
                #expect(e.stream["labels"] == .object(JSONObject(["lane": "2", "site": "north"])), "\(e.data)")
            }
            #expect(string(events[0].stream["state"]) == "starting")
            #expect(string(events[1].stream["state"]) == "playing")
            #expect(events[1].stream["reason"] == .null)

            // app/quit is announced too.
            expectAnswer(try f.http.post("/api/v1/app/quit", #"{"stream":{"app_quit":1}}"#), 200, "QUIT_SUCCESS")
            let quit = client.next(timeoutMs: Int(slack(5_000)))
            #expect(quit?.event == "app-quit")
            #expect(quit?.id == ids.last.map { $0 + 1 })
            #expect(quit?.json["stream"] == nil)
            f.pipeline.drain()
            #expect(f.pipeline.errors.isEmpty)
        }

        @Test func lastEventIdResumesWithExactlyTheMissedOnes() throws {
            let f = Fixture()
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            let watcher = try f.client()
            var resumeAfter: UInt64 = 0
            do {
                let leaver = try f.client()
                expectAnswer(try f.add("cam1", uri), 200, "STREAM_ADD_SUCCESS")
                let first = leaver.events(2, timeoutMs: Int(slack(5_000)))
                #expect(first.map(\.event) == ["stream-added", "stream-state"])
                resumeAfter = first.last?.id ?? 0
            }
            #expect(resumeAfter == 2)
            // The leaver is gone; more happens while it is away.
            expectAnswer(try f.remove("cam1"), 200, "STREAM_REMOVE_SUCCESS")
            expectAnswer(try f.add("cam2", uri), 200, "STREAM_ADD_SUCCESS")
            expectAnswer(try f.remove("cam2"), 200, "STREAM_REMOVE_SUCCESS")
            // added, playing, removed, added, [playing], removed: cam2 may leave before its first frame.
            var seen = watcher.events(5, timeoutMs: Int(slack(5_000)))
            if seen.last?.event != "stream-removed", let more = watcher.next(timeoutMs: Int(slack(5_000))) { seen.append(more) }
            #expect(seen.last?.event == "stream-removed")
            let missed = seen.filter { ($0.id ?? 0) > resumeAfter }

            let back = try f.client([("Last-Event-ID", String(resumeAfter))])
            let replay = back.events(missed.count, timeoutMs: Int(slack(5_000)))
            #expect(Self.ids(replay) == Self.ids(missed), "replay \(Self.ids(replay)) vs missed \(Self.ids(missed))")
            #expect(replay.map(\.data) == missed.map(\.data))
            #expect(back.next(timeoutMs: 300) == nil, "nothing but the missed ones")

            // The query spelling, and 0 for everything kept.
            let all = try SSEClient(port: f.port, path: "/api/v1/events?last_event_id=0")
            #expect(try all.readHead().status == 200)
            #expect(Self.ids(all.events(seen.count, timeoutMs: Int(slack(5_000)))) == Array(1...UInt64(seen.count)))

            // Newer than anything published: the element restarted; a reset, then everything.
            let future = try f.client([("Last-Event-ID", "999999")])
            let reset = future.next(timeoutMs: Int(slack(5_000)))
            #expect(reset?.event == "reset")
            #expect(reset?.id == nil)
            #expect(integer(reset?.json["last_event_id"]) == 999_999)
            #expect(integer(reset?.json["oldest_id"]) == 1)
            #expect(future.next(timeoutMs: Int(slack(5_000)))?.id == 1)

            // A malformed id is refused, naming the field.
            for bad in ["abc", "-1", "1.5", "99999999999999999999999"] {
                let c = try SSEClient(port: f.port, headers: [("Last-Event-ID", bad)])
                expectAnswer(try c.readHead(), 400, "GET_EVENTS_FAIL, Last-Event-ID")
            }
            let badQuery = try SSEClient(port: f.port, path: "/api/v1/events?last_event_id=x")
            expectAnswer(try badQuery.readHead(), 400, "GET_EVENTS_FAIL, last_event_id")
        }

        /// The hub's ring, on its own: a Last-Event-ID older than what it
        /// keeps gets the gap and the replay from the oldest kept.
        @Test func aLastEventIdOlderThanTheRingGetsAGap() {
            let hub = NotificationHub(ringSize: 4)
            for i in 0..<10 { hub.publish(.appQuit, reason: "n\(i)") }
            let (sub, gap) = hub.subscribe(after: 2, limit: 16) { _ in }
            #expect(gap == NotificationGap(lastEventId: 2, oldestId: 7, latestId: 10))
            #expect(sub.take().notifications.map(\.id) == [7, 8, 9, 10])
            let (exact, none) = hub.subscribe(after: 8, limit: 16) { _ in }
            #expect(none == nil)
            #expect(exact.take().notifications.map(\.id) == [9, 10])
            // A live subscriber more than its limit behind is cut once.
            let signals = Mutex<[NotificationSignal]>([])
            let (slow, _) = hub.subscribe(after: nil, limit: 2) { s in signals.withLock { $0.append(s) } }
            for _ in 0..<4 { hub.publish(.appQuit) }
            #expect(signals.withLock { $0 }.map { "\($0)" } == ["ready", "overflow"])
            #expect(slow.take().overflowed)
        }

        /// A client with a small receive buffer that stops reading: its queue
        /// fills and it is cut, while frames keep flowing, another event
        /// client gets every notification and ordinary requests answer.
        @Test func aClientThatStopsReadingIsCutAndNobodyElseWaits() throws {
            let f = Fixture("events-queue-size=4")
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            expectAnswer(try f.add("steady", uri), 200, "STREAM_ADD_SUCCESS")
            #expect(waitUntil(ms: 5_000) { f.recorder.frames(0) > 3 })
            let reader = try f.client()
            let stuck = try f.client(receiveBuffer: 2048)
            // Big labels: each notification is about 4 KB, so the socket
            // buffers fill after a few of them.
            var labels: [String: String] = [:]
            for i in 0..<16 { labels["label\(i)"] = String(repeating: "x", count: 240) }
            var received: [SSEEvent] = []
            var cycles = 0
            while f.server?.eventStreams.cutBehind ?? 0 == 0 && cycles < 60 {
                expectAnswer(try f.add("churn", uri, labels: labels), 200, "STREAM_ADD_SUCCESS")
                expectAnswer(try f.remove("churn"), 200, "STREAM_REMOVE_SUCCESS")
                expectAnswer(try f.http.get("/api/v1/stream/get-stream-info"), 200, "GET_LIVE_STREAM_INFO_SUCCESS")
                while let e = reader.next(timeoutMs: 20) { received.append(e) }
                cycles += 1
            }
            #expect(f.server?.eventStreams.cutBehind == 1, "after \(cycles) add/remove cycles")
            #expect(stuck.waitForEnd(timeoutMs: Int(slack(3_000))), "the stuck client's stream was closed")
            // Frames still flow, the reader still hears, the API still answers.
            let frames = f.recorder.frames(0)
            #expect(waitUntil(ms: 3_000) { f.recorder.frames(0) > frames + 10 })
            expectAnswer(try f.add("after", uri), 200, "STREAM_ADD_SUCCESS")
            let latest = f.bin?.notificationHub.latestId ?? 0
            let deadline = monotonicMs() + slack(5_000).asInt64
            while (received.last?.id ?? 0) < latest && monotonicMs() < deadline {
                if let e = reader.next(timeoutMs: 100) { received.append(e) }
            }
            let ids = Self.ids(received)
            #expect(ids.last == latest)
            #expect(Self.consecutive(ids), "the reader missed nothing: \(ids)")
            #expect(f.server?.eventStreams.open == 1)
            print("EventsTests.aClientThatStopsReadingIsCut: cut after \(cycles) add/remove cycles (\(latest) notifications)")
        }

        /// 100 event clients from one address (more than its 16 ordinary
        /// connections): all served, beside 16 concurrent ordinary requests;
        /// the limit answers 503 with its reason; a freed place is taken again.
        @Test func hundredClientsAreServedAndTheLimitAnswers() throws {
            let f = Fixture("events-max-clients=100")
            var clients: [SSEClient] = []
            for _ in 0..<100 { clients.append(try f.client()) }
            #expect(f.server?.eventStreams.open == 100)
            let refused = try SSEClient(port: f.port)
            let answer = try refused.readHead()
            expectAnswer(answer, 503, "GET_EVENTS_FAIL, events-max-clients (100)")
            #expect(answer.header("Retry-After") == "5")

            let ok = Atomic<Int>(0)
            let port = f.port
            runOnThreads(16) { _ in
                if let r = try? HTTPClient(port: port).get("/api/v1/stream/get-stream-info"), r.status == 200 {
                    ok.add(1, ordering: .relaxed)
                }
            }
            #expect(ok.load(ordering: .relaxed) == 16)
            // Streams are not counted against the address's 16 ordinary
            // connections: an ordinary one that idles past the cap check
            // (every 100 ms) is still served, not cut with 429.
            let idle = try HTTPConnection(port: f.port)
            usleep(400_000)
            try idle.send("GET /api/v1/version HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            expectAnswer(try idle.readResponse(), 200, "GET_VERSION_SUCCESS")

            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            expectAnswer(try f.add("cam1", uri), 200, "STREAM_ADD_SUCCESS")
            var heard = 0
            for c in clients {
                if let e = c.next(timeoutMs: Int(slack(3_000))), e.event == "stream-added", string(e.stream["camera_id"]) == "cam1" {
                    heard += 1
                }
            }
            #expect(heard == 100)

            // A client that leaves frees its place (its worker notices the hang-up).
            clients.removeLast()
            #expect(waitUntil(ms: 2_000) { f.server?.eventStreams.open == 99 })
            _ = try f.client()
        }

        /// Stopping the pipeline with event clients attached ends their
        /// streams at once: the stop does not wait out the server's 10 s
        /// grace for requests in flight.
        @Test func stopEndsStreamsPromptly() throws {
            let f = Fixture()
            var clients: [SSEClient] = []
            for _ in 0..<10 { clients.append(try f.client()) }
            let grace = RestServerConfiguration().stopGraceMs
            let t0 = monotonicMs()
            f.pipeline.stop()
            let took = monotonicMs() - t0
            #expect(took < Int64(grace), "stop took \(took) ms, the grace is \(grace) ms")
            for c in clients { #expect(c.waitForEnd(timeoutMs: 2_000)) }
            print("EventsTests.stopEndsStreamsPromptly: NULL in \(took) ms with 10 event streams")
        }

        /// A source that fails (a missing file in uri-list) is announced with
        /// its error and reason, then its removal; replayed from 0, since it
        /// failed before any client could connect.
        @Test func aFailingSourceIsAnnouncedWithItsReason() throws {
            let f = Fixture("uri-list=file:///nonexistent/events-missing.mp4")
            #expect(waitUntil(ms: 5_000) { f.bin?.recentlyFailed().isEmpty == false })
            let client = try f.client([("Last-Event-ID", "0")])
            let events = client.events(3, timeoutMs: Int(slack(5_000)))
            #expect(events.map(\.event) == ["stream-added", "stream-state", "stream-removed"], "\(events.map(\.data))")
            guard events.count == 3 else { return }
            #expect(string(events[1].stream["state"]) == "error")
            let reason = string(events[1].stream["reason"]) ?? ""
            #expect(reason.hasPrefix("file not found"), "reason: \(reason)")
            #expect(string(events[2].stream["reason"]) == reason)
            #expect(string(events[2].stream["camera_id"]) == "0")
        }

        /// An unreachable RTSP camera with reconnection on: reconnecting, each
        /// attempt, then the error once they run out, and its removal.
        @Test func reconnectAttemptsAreAnnounced() throws {
            let deadPort = freeLocalPort()
            let f = Fixture("rtsp-reconnect-interval=1 rtsp-reconnect-attempts=2 latency=50 "
                + "uri-list=rtsp://127.0.0.1:\(deadPort)/cam sensor-id-list=gone")
            let client = try f.client([("Last-Event-ID", "0")])
            var events: [SSEEvent] = []
            let deadline = monotonicMs() + Int64(slack(15_000))
            while events.last?.event != "stream-removed" && monotonicMs() < deadline {
                if let e = client.next(timeoutMs: 200) { events.append(e) }
            }
            let kinds = events.map { $0.event == "stream-state" ? "state:" + (string($0.stream["state"]) ?? "") : $0.event }
            #expect(kinds.first == "stream-added", "\(kinds)")
            #expect(kinds.contains("state:reconnecting"), "\(kinds)")
            #expect(events.filter { $0.event == "reconnect" }.compactMap { integer($0.json["attempt"]) } == [1, 2], "\(kinds)")
            #expect(Array(kinds.suffix(2)) == ["state:error", "stream-removed"], "\(kinds)")
            let reason = events.last.flatMap { string($0.stream["reason"]) } ?? ""
            #expect(reason.contains("2 reconnection attempts"), "reason: \(reason)")
            #expect(Self.consecutive(Self.ids(events)))
        }

        /// The token, Host and Origin checks apply as to any route; HEAD
        /// answers the head only; POST is 405.
        @Test func tokenHostAndOriginApply() throws {
            let f = Fixture("rest-token=s3cret cors-origins=http://ui.example")
            let anonymous = try SSEClient(port: f.port)
            expectAnswer(try anonymous.readHead(), 401, "REQUEST_FAIL, Authorization")
            let foreign = try SSEClient(port: f.port, headers: [("Authorization", "Bearer s3cret"), ("Origin", "http://evil.example")])
            expectAnswer(try foreign.readHead(), 403, "REQUEST_FAIL, Origin")
            let rebound = try SSEClient(port: f.port, headers: [("Authorization", "Bearer s3cret"), ("Host", "evil.example")])
            expectAnswer(try rebound.readHead(), 403, "REQUEST_FAIL, Host")
            let browser = try f.client([("Authorization", "Bearer s3cret"), ("Origin", "http://ui.example")])
            #expect(browser.headers.contains { $0.name == "Access-Control-Allow-Origin" && $0.value == "http://ui.example" })
            let head = try f.http.request("HEAD", "/api/v1/events", headers: [("Authorization", "Bearer s3cret")])
            #expect(head.status == 200)
            #expect(head.header("Content-Type") == "text/event-stream")
            let post = try f.http.request("POST", "/events", body: [], headers: [("Authorization", "Bearer s3cret")])
            #expect(post.status == 405)
            #expect(post.header("Allow") == "GET, HEAD")
            #expect(f.server?.eventStreams.open == 1)
        }
    }
}

private extension UInt64 {
    var asInt64: Int64 { Int64(clamping: self) }
}
