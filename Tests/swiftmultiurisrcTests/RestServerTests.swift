import Glibc
import Synchronization
import Testing
@testable import swiftmultiurisrc

/// The server itself over real HTTP: lifecycle, ports, HTTP-level failures
/// (405, 404, 413, malformed requests), concurrency and stopping.
@Suite struct RestServerTests {
    // MARK: lifecycle and ports

    @Test func bindsExactlyTheConfiguredPortOnLocalhost() throws {
        let control = RecordingControl()
        // A free port may be taken by someone else in between: retry a few times.
        var server: RestServer?
        var port: UInt16 = 0
        for _ in 0..<5 where server == nil {
            port = freeLocalPort()
            server = try? RestServer(configuration: RestServerConfiguration(address: "localhost", port: port),
                                     control: control, category: restTestCategory, registry: RestRouteRegistry())
        }
        guard let server else { Issue.record("no free port found"); return }
        defer { server.stop() }
        #expect(server.boundPort == port)
        #expect(server.boundAddress == "127.0.0.1")
        #expect(server.isRunning)
        expectAnswer(try HTTPClient(port: port).get("/api/v1/version"), 200, "GET_VERSION_SUCCESS")
        withExtendedLifetime(control) {}
    }

    // MARK: DeepStream's status lines

    /// By default (strict-http-status=false) every outcome of DeepStream's
    /// routes leaves with status line 200, as DeepStream 9.1 sends it, and the
    /// body's `status` tells the outcome: a client that re-adds its sensors
    /// after a restart reads the duplicate there instead of raising on a 409.
    /// What is refused before any route runs keeps its real status line.
    @Test func deepStreamRoutesAnswer200WithTheOutcomeInTheBody() throws {
        let control = RecordingControl()
        _ = control.seed("cam1")
        let server = try makeTestServer(control) { $0.strictHttpStatus = false; $0.token = "t0k" }
        defer { server.stop() }
        let http = HTTPClient(port: server.boundPort)
        let auth = [("Authorization", "Bearer t0k")]
        func post(_ path: String, _ body: String) throws -> HTTPResponse {
            try http.request("POST", path, body: Array(body.utf8), headers: auth)
        }
        func outcome(_ r: HTTPResponse) -> String? { string(jsonObject(r)["status"]) }
        let cases: [(String, String, Int)] = [
            ("/api/v1/stream/add", #"{"value":{"camera_id":"cam1","camera_url":"rtsp://x","change":"camera_add"}}"#, 409),
            ("/api/v1/stream/add", #"{"value":{"camera_id":"","camera_url":"rtsp://x","change":"camera_add"}}"#, 400),
            ("/api/v1/stream/remove", #"{"value":{"camera_id":"nobody","change":"camera_remove"}}"#, 404),
            ("/api/v1/roi/update", "{not json", 400),
            ("/api/v1/stream/add", #"{"value":{"camera_id":"cam2","camera_url":"rtsp://x","change":"camera_add"}}"#, 200),
        ]
        for (path, body, code) in cases {
            let r = try post(path, body)
            #expect(r.status == 200, "\(path) \(body): status line \(r.status)")
            #expect(outcome(r) == HTTPStatus.line(code), "\(path) \(body): \(r.text)")
            #expect(r.header("Content-Type") == "application/json")
        }
        // Before any route: real status lines.
        #expect(try http.post("/api/v1/stream/add", "{}").status == 401)
        #expect(try http.request("GET", "/api/v1/no/such/route", headers: auth).status == 404)
        #expect(try http.request("GET", "/api/v1/stream/add", headers: auth).status == 405)
        // The same failure, strict: the status line says it.
        let strict = try makeTestServer(control) { $0.strictHttpStatus = true }
        defer { strict.stop() }
        expectAnswer(try HTTPClient(port: strict.boundPort).post("/api/v1/stream/add",
                     #"{"value":{"camera_id":"cam1","camera_url":"rtsp://x","change":"camera_add"}}"#),
                     409, "STREAM_ADD_FAIL, ", mentions: ["Duplicate"])
    }

    @Test func portInUseIsATypedError() throws {
        let control = RecordingControl()
        let first = try makeTestServer(control)
        defer { first.stop() }
        let config = RestServerConfiguration(address: "127.0.0.1", port: first.boundPort)
        do {
            _ = try RestServer(configuration: config, control: control, category: restTestCategory)
            Issue.record("second server on the same port started")
        } catch {
            guard case let .portInUse(address, port, _) = error else {
                Issue.record("expected portInUse, got \(error)"); return
            }
            #expect(address == "127.0.0.1")
            #expect(port == first.boundPort)
        }
        // The first one still serves.
        expectAnswer(try HTTPClient(port: first.boundPort).get("/version"), 200, "GET_VERSION_SUCCESS")
    }

    @Test func portHeldByAPlainSocketIsInUse() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
                bind(fd, p, len) == 0 && listen(fd, 1) == 0 && getsockname(fd, p, &len) == 0
            }
        }
        #expect(ok)
        let port = UInt16(bigEndian: addr.sin_port)
        let control = RecordingControl()
        for address in ["127.0.0.1", "localhost"] {
            do {
                _ = try RestServer(configuration: RestServerConfiguration(address: address, port: port),
                                   control: control, category: restTestCategory)
                Issue.record("started on a port in use")
            } catch {
                if case .portInUse(_, port, _) = error {} else { Issue.record("expected portInUse, got \(error)") }
            }
        }
    }

    @Test func invalidAddressIsATypedError() {
        let control = RecordingControl()
        #expect(throws: RestServerError.invalidAddress("::1 (IPv6 is not supported by this civetweb)")) {
            _ = try RestServer(configuration: RestServerConfiguration(address: "::1", port: 0),
                               control: control, category: restTestCategory)
        }
    }

    @Test func twoServersInOneProcess() throws {
        let a = RecordingControl(), b = RecordingControl()
        a.seed("a0")
        b.seed("b0")
        b.seed("b1")
        let sa = try makeTestServer(a), sb = try makeTestServer(b)
        defer { sa.stop(); sb.stop() }
        #expect(sa.boundPort != sb.boundPort)
        let infoA = jsonObject(try HTTPClient(port: sa.boundPort).get("/api/v1/stream/get-stream-info"))
        let infoB = jsonObject(try HTTPClient(port: sb.boundPort).get("/api/v1/stream/get-stream-info"))
        if case let .object(i)? = infoA["stream-info"] { #expect(integer(i["stream-count"]) == 1) } else { Issue.record("a") }
        if case let .object(i)? = infoB["stream-info"] { #expect(integer(i["stream-count"]) == 2) } else { Issue.record("b") }
        expectAnswer(try HTTPClient(port: sb.boundPort).post("/api/v1/infer/set-interval", #"{"stream":{"stream_id":"1","interval":5}}"#),
                     200, "INFER_INTERVAL_UPDATE_SUCCESS")
        #expect(a.calls.isEmpty)
        #expect(b.calls == [.push(.inferIntervalUpdate(streamId: "1", interval: 5))])
        // Stopping one leaves the other running.
        sa.stop()
        #expect(throws: HTTPClientError.self) { _ = try HTTPClient(port: sa.boundPort).get("/version") }
        expectAnswer(try HTTPClient(port: sb.boundPort).get("/version"), 200, "GET_VERSION_SUCCESS")
    }

    @Test func stopIsIdempotentAndFreesThePort() throws {
        let control = RecordingControl()
        let server = try makeTestServer(control)
        let port = server.boundPort
        server.stop()
        server.stop()
        #expect(!server.isRunning)
        #expect(throws: HTTPClientError.connect(ECONNREFUSED)) { _ = try HTTPClient(port: port).get("/version") }
        // The port can be bound again at once.
        let again = try RestServer(configuration: RestServerConfiguration(address: "127.0.0.1", port: port),
                                   control: control, category: restTestCategory, registry: RestRouteRegistry())
        #expect(again.boundPort == port)
        again.stop()
    }

    /// The server holds the control weakly; once the element is gone the
    /// routes answer 503 rather than touch freed memory.
    @Test func controlGoneAnswers503() throws {
        var control: RecordingControl? = RecordingControl()
        let server = try RestServer(configuration: RestServerConfiguration(address: "127.0.0.1", port: 0),
                                    control: control!, category: restTestCategory, registry: RestRouteRegistry())
        defer { server.stop() }
        control = nil
        expectAnswer(try HTTPClient(port: server.boundPort).get("/api/v1/health/get-dsready-state"),
                     503, "GET_READY_INFO_FAIL, ")
        _ = control
    }

    // MARK: HTTP-level failures

    @Test func wrongMethodIs405WithAllow() throws {
        let control = RecordingControl()
        let server = try makeTestServer(control)
        defer { server.stop() }
        let client = HTTPClient(port: server.boundPort)
        var r = try client.get("/api/v1/stream/add")
        expectAnswer(r, 405, "STREAM_ADD_FAIL, ", mentions: ["GET"])
        #expect(r.header("Allow") == "POST")
        r = try client.post("/version", "{}")
        expectAnswer(r, 405, "GET_VERSION_FAIL, ")
        #expect(r.header("Allow") == "GET, HEAD")
        r = try client.request("DELETE", "/api/v1/roi/update")
        expectAnswer(r, 405, "ROI_UPDATE_FAIL, ")
        r = try client.request("PUT", "/stream/remove", body: Array(#"{"value":{"camera_id":"x"}}"#.utf8))
        expectAnswer(r, 405, "STREAM_REMOVE_FAIL, ")
        #expect(control.calls.isEmpty)
    }

    @Test func unknownRouteIs404() throws {
        let server = try makeTestServer(RecordingControl())
        defer { server.stop() }
        let client = HTTPClient(port: server.boundPort)
        expectAnswer(try client.get("/api/v1/nope"), 404, "ROUTE_FAIL, ", mentions: ["/api/v1/nope"])
        expectAnswer(try client.post("/api/v2/stream/add", "{}"), 404, "ROUTE_FAIL, ")
        expectAnswer(try client.get("/ui/nope.js"), 404, "ROUTE_FAIL, ")
        // "/" is the web console's page (ConsoleRoutes), under both spellings like every route.
        for path in ["/", "/api/v1"] {
            let page = try client.get(path)
            #expect(page.status == 200 && page.header("Content-Type") == "text/html; charset=utf-8", "\(path): \(page.status)")
        }
    }

    @Test func trailingSlashQueryAndHead() throws {
        let server = try makeTestServer(RecordingControl())
        defer { server.stop() }
        let client = HTTPClient(port: server.boundPort)
        expectAnswer(try client.get("/api/v1/version/"), 200, "GET_VERSION_SUCCESS")
        expectAnswer(try client.get("/api/v1/version?pretty=1"), 200, "GET_VERSION_SUCCESS")
        let head = try client.request("HEAD", "/api/v1/version")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(Int(head.header("Content-Length") ?? "") ?? 0 > 0)
    }

    @Test func bodyCapIs413() throws {
        let control = RecordingControl()
        let server = try makeTestServer(control) { $0.maxBodyBytes = 1024 }
        defer { server.stop() }
        let client = HTTPClient(port: server.boundPort)
        // Declared too large: refused before the body is sent.
        let conn = try HTTPConnection(port: server.boundPort)
        try conn.send("POST /api/v1/stream/add HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10000000\r\n\r\n")
        let declared = try conn.readResponse()
        expectAnswer(declared, 413, "STREAM_ADD_FAIL, ", mentions: ["body", "1024"])
        #expect(declared.header("Connection") == "close")
        // Chunked (no length): read up to the cap, then refused.
        var chunked = "POST /api/v1/stream/add HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        let piece = String(repeating: " ", count: 500)
        for _ in 0..<4 { chunked += "1f4\r\n\(piece)\r\n" }
        chunked += "0\r\n\r\n"
        expectAnswer(try client.raw(chunked), 413, "STREAM_ADD_FAIL, ", mentions: ["body"])
        // Exactly at the cap is fine (a valid body padded with spaces).
        let json = #"{"value":{"camera_id":"big","camera_url":"rtsp://x"}}"#
        let padded = json + String(repeating: " ", count: 1024 - json.utf8.count)
        expectAnswer(try client.post("/api/v1/stream/add", padded), 200, "STREAM_ADD_SUCCESS")
        // A chunked body under the cap is read.
        let small = #"{"value":{"camera_id":"chunky","camera_url":"rtsp://x"}}"#
        let hex = String(small.utf8.count, radix: 16)
        let r = try client.raw("POST /stream/add HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\(hex)\r\n\(small)\r\n0\r\n\r\n")
        expectAnswer(r, 200, "STREAM_ADD_SUCCESS")
        #expect(control.calls.count == 2)
    }

    @Test func defaultCapIs64KiB() throws {
        let server = try makeTestServer(RecordingControl())
        defer { server.stop() }
        let big = #"{"value":{"camera_id":"a","camera_url":"rtsp://x"},"pad":""# + String(repeating: "x", count: 70_000) + #""}"#
        expectAnswer(try HTTPClient(port: server.boundPort).post("/stream/add", big), 413, "STREAM_ADD_FAIL, ", mentions: ["65536"])
    }

    @Test func incompleteBodyIs400() throws {
        let server = try makeTestServer(RecordingControl())
        defer { server.stop() }
        let r = try HTTPClient(port: server.boundPort).raw(
            "POST /api/v1/stream/add HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{\"value\":", shutdownAfterSend: true)
        expectAnswer(r, 400, "STREAM_ADD_FAIL, ", mentions: ["body"])
    }

    @Test func getBodyIsIgnored() throws {
        let server = try makeTestServer(RecordingControl())
        defer { server.stop() }
        let r = try HTTPClient(port: server.boundPort).request("GET", "/api/v1/stream/get-stream-info",
                                                               body: Array("this is not json".utf8))
        expectAnswer(r, 200, "GET_LIVE_STREAM_INFO_SUCCESS")
    }

    @Test func anyContentTypeIsAccepted() throws {
        let control = RecordingControl()
        control.seed("c")
        let server = try makeTestServer(control)
        defer { server.stop() }
        let client = HTTPClient(port: server.boundPort)
        for type in [nil, "application/json", "application/x-www-form-urlencoded", "text/plain; charset=utf-8"] {
            expectAnswer(try client.post("/api/v1/infer/set-interval", #"{"stream":{"stream_id":"0","interval":1}}"#,
                                         contentType: type), 200, "INFER_INTERVAL_UPDATE_SUCCESS")
        }
        #expect(control.calls.count == 4)
    }

    @Test func expectContinueGetsAnInterimAnswer() throws {
        let server = try makeTestServer(RecordingControl())
        defer { server.stop() }
        let body = #"{"value":{"camera_id":"e","camera_url":"rtsp://x"}}"#
        let conn = try HTTPConnection(port: server.boundPort, timeoutMs: 2_000)
        try conn.send("POST /api/v1/stream/add HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
        // The interim answer arrives before the body is sent.
        #expect(try conn.readHead().hasPrefix("HTTP/1.1 100 Continue"))
        try conn.send(body)
        expectAnswer(try conn.readResponse(), 200, "STREAM_ADD_SUCCESS")
    }

    @Test func keepAliveServesSeveralRequests() throws {
        let server = try makeTestServer(RecordingControl())
        defer { server.stop() }
        let conn = try HTTPConnection(port: server.boundPort)
        for _ in 0..<3 {
            try conn.send("GET /api/v1/version HTTP/1.1\r\nHost: localhost\r\n\r\n")
            expectAnswer(try conn.readResponse(), 200, "GET_VERSION_SUCCESS")
        }
        let body = #"{"stream":{"app_quit":true}}"#
        try conn.send("POST /api/v1/app/quit HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        expectAnswer(try conn.readResponse(), 200, "QUIT_SUCCESS")
    }

    @Test func malformedRequestsDoNotHurtTheServer() throws {
        let server = try makeTestServer(RecordingControl())
        defer { server.stop() }
        let client = HTTPClient(port: server.boundPort, timeoutMs: 3_000)
        let garbage: [String] = [
            "GARBAGE\r\n\r\n",
            "GET\r\n\r\n",
            "POST /api/v1/stream/add HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
            "POST /api/v1/stream/add HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
            "POST /api/v1/stream/add HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            "POST /api/v1/stream/add HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "GET /api/v1/version HTTP/9.9\r\n\r\n",
            "GET /%00%ff/../../etc/passwd HTTP/1.1\r\n\r\n",
            "POST /api/v1/stream/add HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n\r\n\u{0}\u{1}\u{2}\u{3}",
            String(repeating: "A", count: 20_000) + "\r\n\r\n",
        ]
        for g in garbage {
            // An error answer (JSON like every other, even when civetweb
            // itself found the fault) or a closed connection is fine; a
            // crash or a hang is not.
            do {
                let r = try client.raw(g, shutdownAfterSend: true)
                #expect((400...599).contains(r.status), "\(g.prefix(40)) -> \(r.status)")
                let body = jsonObject(r)
                #expect(string(body["status"]) == HTTPStatus.line(r.status))
                #expect(r.header("Content-Type") == "application/json")
            } catch .closed, .receive(ECONNRESET) {
                // Closed without an answer: allowed.
            } catch {
                // A timeout is a hang; anything else a fault of the server.
                Issue.record("\(g.prefix(40).debugDescription) -> \(error)")
            }
        }
        expectAnswer(try client.raw("GET /api/v1/version HTTP/9.9\r\n\r\n"), 505, "REQUEST_FAIL, ")
        expectAnswer(try client.raw("POST /api/v1/stream/add HTTP/1.1\r\nContent-Length: abc\r\n\r\n"), 411, "REQUEST_FAIL, ")
        expectAnswer(try client.get("/api/v1/version"), 200, "GET_VERSION_SUCCESS")
    }

    // MARK: concurrency and stopping

    @Test func sixteenConcurrentClients() throws {
        let control = RecordingControl(capacity: 64)
        control.seed("cam0")
        let server = try makeTestServer(control) { $0.workerThreads = 8 }
        defer { server.stop() }
        let port = server.boundPort
        let perClient = 12
        let failures = Mutex<[String]>([])
        runOnThreads(16) { i in
            let client = HTTPClient(port: port)
            for j in 0..<perClient {
                let result: Result<HTTPResponse, HTTPClientError>
                switch j % 4 {
                case 0: result = Result { () throws(HTTPClientError) in try client.get("/api/v1/version") }
                case 1: result = Result { () throws(HTTPClientError) in try client.get("/stream/get-stream-info") }
                case 2: result = Result { () throws(HTTPClientError) in
                    try client.post("/api/v1/infer/set-interval", #"{"stream":{"stream_id":"0","interval":\#(j)}}"#)
                }
                default: result = Result { () throws(HTTPClientError) in
                    try client.post("/api/v1/stream/add", #"{"value":{"camera_id":"c\#(i)-\#(j)","camera_url":"rtsp://x"}}"#)
                }
                }
                switch result {
                case let .success(r) where r.status == 200: break
                case let .success(r): failures.withLock { $0.append("\(i)/\(j): \(r.status) \(r.text)") }
                case let .failure(e): failures.withLock { $0.append("\(i)/\(j): \(e)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(control.calls.count == 16 * perClient / 2)
        #expect(control.streams().count == 1 + 16 * perClient / 4)
    }

    @Test func stopWaitsForRequestsInFlight() throws {
        let control = RecordingControl(capacity: 64)
        control.setDelay(ms: 400)
        let server = try makeTestServer(control)
        let port = server.boundPort
        let answers = Mutex<[Int]>([])
        let stopDuration = Mutex<Double>(0)
        runOnThreads(5) { i in
            if i == 4 {
                // Wait until the four requests are inside the control, then stop. A request
                // that never gets there fails the answers check below instead of hanging here.
                _ = waitUntil(ms: 15_000) { control.calls.count >= 4 }
                var t0 = timespec(), t1 = timespec()
                clock_gettime(CLOCK_MONOTONIC, &t0)
                server.stop()
                clock_gettime(CLOCK_MONOTONIC, &t1)
                stopDuration.withLock { $0 = Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) / 1e9 }
                return
            }
            let client = HTTPClient(port: port)
            let status = (try? client.post("/api/v1/stream/add", #"{"value":{"camera_id":"f\#(i)","camera_url":"rtsp://x"}}"#))?.status ?? -1
            answers.withLock { $0.append(status) }
        }
        #expect(answers.withLock { $0 } == [200, 200, 200, 200])
        #expect(!server.isRunning)
        // The 200s show stop() waited for the delayed handlers; and not long.
        let waited = stopDuration.withLock { $0 }
        #expect(waited < 5, "stop took \(waited) s")
        #expect(control.streams().count == 4)
        // New requests after stop: refused.
        #expect(throws: HTTPClientError.self) { _ = try HTTPClient(port: port).get("/version") }
    }

    /// A handler that stops its own server (say, an element tearing down on
    /// app/quit) must not deadlock civetweb, and still gets its answer out.
    @Test func stopFromInsideAHandlerDoesNotDeadlock() throws {
        let registry = RestRouteRegistry()
        let server = try makeTestServer(RecordingControl(), registry: registry)
        let port = server.boundPort
        let box = Mutex<RestServer?>(server)
        let registration = try registry.register(port: port, pathPrefix: "/selfstop", owner: "test") { _ in
            let s = box.withLock { $0 }
            s?.stop()
            return .success("SELF_STOP")
        }
        expectAnswer(try HTTPClient(port: port).post("/selfstop", "{}"), 200, "SELF_STOP_SUCCESS")
        #expect(!server.isRunning)
        // The asynchronous stop completes: the port refuses connections soon.
        var refused = false
        for _ in 0..<250 where !refused {
            if case .failure(.connect) = Result(catching: { () throws(HTTPClientError) in
                try HTTPClient(port: port, timeoutMs: 500).get("/version")
            }) { refused = true } else { usleep(20_000) }
        }
        #expect(refused)
        registration.remove()
        box.withLock { $0 = nil }
    }
}
