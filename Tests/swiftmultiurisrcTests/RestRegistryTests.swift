import Synchronization
import Testing
@testable import swiftmultiurisrc

/// Routes that other elements register on a server by port.
@Suite struct RestRegistryTests {
    @Test func registeredRouteIsServedNextToBuiltIns() throws {
        let registry = RestRouteRegistry()
        let server = try makeTestServer(RecordingControl(), registry: registry)
        defer { server.stop() }
        let seen = Mutex<[String]>([])
        let registration = try registry.register(port: server.boundPort, pathPrefix: "/rtsp-out", owner: "rtspout0") { request in
            seen.withLock { $0.append(request.method) }
            guard case let .object(o)? = try? request.json(), case let .string(id)? = o["camera_id"] else {
                return .failure("RTSP_OUT", status: 400, detail: "camera_id: missing")
            }
            return .success("RTSP_OUT", extra: JSONObject(["rtsp_url": .string("rtsp://127.0.0.1:8554/\(id)"),
                                                           "path": .string(request.path)]))
        }
        defer { registration.remove() }
        let client = HTTPClient(port: server.boundPort)
        let body = expectAnswer(try client.post("/api/v1/rtsp-out/start", #"{"camera_id":"cam1"}"#), 200, "RTSP_OUT_SUCCESS")
        #expect(string(body["rtsp_url"]) == "rtsp://127.0.0.1:8554/cam1")
        #expect(string(body["path"]) == "/rtsp-out/start")
        expectAnswer(try client.post("/rtsp-out", #"{"nope":1}"#), 400, "RTSP_OUT_FAIL, ", mentions: ["camera_id"])
        #expect(seen.withLock { $0 } == ["POST", "POST"])
        // Built-ins still answer, and near-miss paths are not captured.
        expectAnswer(try client.get("/api/v1/version"), 200, "GET_VERSION_SUCCESS")
        expectAnswer(try client.get("/api/v1/rtsp-outside"), 404, "ROUTE_FAIL, ")
        #expect(registry.prefixes(port: server.boundPort) == ["/rtsp-out"])
    }

    @Test func methodRestrictionAndHeaders() throws {
        let registry = RestRouteRegistry()
        let server = try makeTestServer(RecordingControl(), registry: registry)
        defer { server.stop() }
        let registration = try registry.register(port: server.boundPort, pathPrefix: "/api/v1/out/", methods: ["get"],
                                                 owner: "out") { _ in
            RestResponse(status: 200, body: .object(JSONObject(["ok": true])),
                         headers: [RestHeader(name: "X-Out", value: "1"), RestHeader(name: "X-Bad", value: "a\r\nInjected: yes")])
        }
        defer { registration.remove() }
        #expect(registration.prefix == "/out")
        let client = HTTPClient(port: server.boundPort)
        let ok = try client.get("/out/list")
        #expect(ok.status == 200)
        #expect(ok.header("X-Out") == "1")
        #expect(ok.header("X-Bad") == nil)
        #expect(ok.header("Injected") == nil)
        let wrong = try client.post("/api/v1/out/list", "{}")
        expectAnswer(wrong, 405, "REQUEST_FAIL, ")
        #expect(wrong.header("Allow") == "GET, HEAD")
    }

    @Test func removalByTokenAndByDeinit() throws {
        let registry = RestRouteRegistry()
        let server = try makeTestServer(RecordingControl(), registry: registry)
        defer { server.stop() }
        let client = HTTPClient(port: server.boundPort)
        let handler: RestRouteRegistry.Handler = { _ in .success("X") }
        let explicit = try registry.register(port: server.boundPort, pathPrefix: "/a", owner: "a", handler: handler)
        expectAnswer(try client.get("/a"), 200, "X_SUCCESS")
        explicit.remove()
        explicit.remove()
        expectAnswer(try client.get("/a"), 404, "ROUTE_FAIL, ")

        var scoped: RestRouteRegistration? = try registry.register(port: server.boundPort, pathPrefix: "/b", owner: "b", handler: handler)
        expectAnswer(try client.get("/api/v1/b/c"), 200, "X_SUCCESS")
        #expect(scoped?.port == server.boundPort)
        scoped = nil   // the registering element went away
        expectAnswer(try client.get("/api/v1/b/c"), 404, "ROUTE_FAIL, ")
        #expect(registry.prefixes(port: server.boundPort).isEmpty)
    }

    @Test func routesAreKeyedByPort() throws {
        let registry = RestRouteRegistry()
        let s1 = try makeTestServer(RecordingControl(), registry: registry)
        let s2 = try makeTestServer(RecordingControl(), registry: registry)
        defer { s1.stop(); s2.stop() }
        let r1 = try registry.register(port: s1.boundPort, pathPrefix: "/mine", owner: "one") { _ in .success("ONE") }
        let r2 = try registry.register(port: s2.boundPort, pathPrefix: "/mine", owner: "two") { _ in .success("TWO") }
        defer { r1.remove(); r2.remove() }
        expectAnswer(try HTTPClient(port: s1.boundPort).get("/mine"), 200, "ONE_SUCCESS")
        expectAnswer(try HTTPClient(port: s2.boundPort).get("/mine"), 200, "TWO_SUCCESS")
    }

    @Test func registrationBeforeTheServerStarts() throws {
        let registry = RestRouteRegistry()
        let control = RecordingControl()
        // Find a port, register on it, then start the server there.
        var server: RestServer?
        var registration: RestRouteRegistration?
        for _ in 0..<5 where server == nil {
            let port = freeLocalPort()
            registration = try registry.register(port: port, pathPrefix: "/early", owner: "early") { _ in .success("EARLY") }
            server = try? RestServer(configuration: RestServerConfiguration(address: "127.0.0.1", port: port),
                                     control: control, category: restTestCategory, registry: registry)
            if server == nil { registration?.remove() }
        }
        guard let server, let registration else { Issue.record("no free port"); return }
        defer { server.stop(); registration.remove() }
        expectAnswer(try HTTPClient(port: server.boundPort).get("/early"), 200, "EARLY_SUCCESS")
        withExtendedLifetime(control) {}
    }

    @Test func theSharedRegistryServesTheSharedServer() throws {
        let control = RecordingControl()
        let server = try RestServer(configuration: RestServerConfiguration(address: "127.0.0.1", port: 0),
                                    control: control, category: restTestCategory)
        defer { server.stop() }
        let registration = try RestRouteRegistry.shared.register(port: server.boundPort, pathPrefix: "/shared-test",
                                                                 owner: "test") { _ in .success("SHARED") }
        defer { registration.remove() }
        expectAnswer(try HTTPClient(port: server.boundPort).get("/api/v1/shared-test"), 200, "SHARED_SUCCESS")
        withExtendedLifetime(control) {}
    }

    @Test func invalidAndOverlappingPrefixesAreRefused() throws {
        let registry = RestRouteRegistry()
        let handler: RestRouteRegistry.Handler = { _ in .success("X") }
        #expect(throws: RestRouteError.invalidPrefix("nope")) {
            _ = try registry.register(port: 9, pathPrefix: "nope", owner: "t", handler: handler)
        }
        #expect(throws: RestRouteError.invalidPrefix("/")) {
            _ = try registry.register(port: 9, pathPrefix: "/", owner: "t", handler: handler)
        }
        #expect(throws: RestRouteError.invalidPrefix("/api/v1/")) {
            _ = try registry.register(port: 9, pathPrefix: "/api/v1/", owner: "t", handler: handler)
        }
        #expect(throws: RestRouteError.invalidPort) {
            _ = try registry.register(port: 0, pathPrefix: "/x", owner: "t", handler: handler)
        }
        for builtIn in ["/stream", "/api/v1/stream/add", "/version", "/stream/add/extra", "/health"] {
            #expect(throws: RestRouteError.self, "\(builtIn)") {
                _ = try registry.register(port: 9, pathPrefix: builtIn, owner: "t", handler: handler)
            }
        }
        let kept = try registry.register(port: 9, pathPrefix: "/out/cam1", owner: "first", handler: handler)
        #expect(throws: RestRouteError.overlaps(existing: "/out/cam1", owner: "first")) {
            _ = try registry.register(port: 9, pathPrefix: "/out/cam1", owner: "second", handler: handler)
        }
        #expect(throws: RestRouteError.overlaps(existing: "/out/cam1", owner: "first")) {
            _ = try registry.register(port: 9, pathPrefix: "/out", owner: "second", handler: handler)
        }
        #expect(throws: RestRouteError.overlaps(existing: "/out/cam1", owner: "first")) {
            _ = try registry.register(port: 9, pathPrefix: "/out/cam1/x", owner: "second", handler: handler)
        }
        // A sibling and another port are fine.
        let sibling = try registry.register(port: 9, pathPrefix: "/out/cam2", owner: "second", handler: handler)
        let otherPort = try registry.register(port: 10, pathPrefix: "/out/cam1", owner: "third", handler: handler)
        #expect(registry.prefixes(port: 9) == ["/out/cam1", "/out/cam2"])
        kept.remove(); sibling.remove(); otherPort.remove()
        #expect(registry.prefixes(port: 9).isEmpty)
    }
}
