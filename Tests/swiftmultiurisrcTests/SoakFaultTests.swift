import CGStreamer
import GstSwiftBridge
import Glibc
import Synchronization
import Testing
@testable import swiftmultiurisrc

extension PipelineSuites {
    /// Bounded soak and fault runs: many clients, many state cycles, sources
    /// that fail while others play. Each asserts that the playing streams keep
    /// their frame rate, the pipeline never posts an error and every request
    /// gets an answer.
    @Suite(.serialized) struct SoakFaultTests {
        init() { TestGst.setUp() }

        @Test func sixteenClientsOverEightPlayingStreams() throws {
            let port = freeLocalPort()
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            let list = (0..<8).map { _ in uri }.joined(separator: ",")
            let p = TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) strict-http-status=true live-source=true "
                + "file-loop=true width=96 height=64 uri-list=\(list) ! fakesink name=out sync=false")
            let recorder = PadRecorder(p.element("out")!)
            p.play()
            let bin = try #require(p.bin())
            #expect(waitUntil(ms: 10_000) { (0..<8).allSatisfy { recorder.frames(UInt32($0)) > 5 } })

            let unanswered = Atomic<Int>(0)
            let answered = Atomic<Int>(0)
            let stop = Atomic<Bool>(false)
            let before = (0..<8).map { recorder.frames(UInt32($0)) }
            let marks = (0..<8).map { recorder.pts(UInt32($0)).count }
            let started = g_get_monotonic_time()
            let flowed = Atomic<Bool>(false)
            runOnThreads(17) { client in
                if client == 16 {
                    // The churn lasts until every stream has delivered 90 more frames
                    // (3 s of video) and the clients have had 64 answers; at most 60 s.
                    flowed.store(waitUntil(ms: 60_000) {
                        (0..<8).allSatisfy { recorder.frames(UInt32($0)) >= before[$0] + 90 }
                            && answered.load(ordering: .relaxed) >= 64
                    }, ordering: .relaxed)
                    stop.store(true, ordering: .relaxed)
                    return
                }
                let http = HTTPClient(port: port, timeoutMs: 15_000)
                var round = 0
                while !stop.load(ordering: .relaxed) && round < 2_000 {
                    let id = "soak-\(client)-\(round)"
                    for (path, change) in [("/api/v1/stream/add", "camera_add"), ("/api/v1/stream/remove", "camera_remove")] {
                        let body = RestEndToEndTests.addBody(id, change == "camera_add" ? uri : "", change: change)
                        if let r = try? http.post(path, body), [200, 404, 429].contains(r.status) {
                            answered.add(1, ordering: .relaxed)
                        } else {
                            unanswered.add(1, ordering: .relaxed)
                        }
                    }
                    round += 1
                }
            }
            let seconds = Double(g_get_monotonic_time() - started) / 1e6
            let didFlow = flowed.load(ordering: .relaxed)
            let delivered = zip((0..<8).map { recorder.frames(UInt32($0)) }, before).map { $0 - $1 }
            #expect(unanswered.load(ordering: .relaxed) == 0)
            #expect(didFlow, "under churn, streams delivered \(delivered) frames and clients had \(answered.load(ordering: .relaxed)) answers in \(seconds) s")
            // Every playing stream kept every frame in order, and none fell behind the others.
            for id in 0..<8 {
                let odd = recorder.frameGaps(UInt32(id), after: marks[id]).filter { $0 != 1 }
                #expect(odd.isEmpty, "stream \(id) skipped frames under churn: gaps \(odd)")
            }
            #expect(Double(delivered.min() ?? 0) >= 0.8 * Double(delivered.max() ?? 1), "unequal streams: \(delivered)")
            #expect(bin.streams().map(\.cameraId) == (0..<8).map { "\($0)" })
            p.drain()
            #expect(p.errors.isEmpty)
            print("soak: \(answered.load(ordering: .relaxed)) requests in \(seconds) s; playing streams at \(delivered.map { Int(Double($0) / seconds) }) fps")
        }

        @Test func hundredStateCyclesWithRequestsInFlightReleaseThePort() throws {
            let port = freeLocalPort()
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            let p = TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) strict-http-status=true live-source=true "
                + "file-loop=true width=96 height=64 uri-list=\(uri) ! fakesink sync=false")
            let client = ClientLoop(port: port)
            var thread = pthread_t()
            pthread_create(&thread, nil, { arg in
                guard let arg else { return nil }
                Unmanaged<ClientLoop>.fromOpaque(arg).takeRetainedValue().run()
                return nil
            }, Unmanaged.passRetained(client).toOpaque())
            var failures: [String] = []
            for cycle in 0..<100 {
                if p.play() == GST_STATE_CHANGE_FAILURE { failures.append("cycle \(cycle): PLAYING failed"); break }
                g_usleep(20_000)
                if p.stop() != GST_STATE_CHANGE_SUCCESS { failures.append("cycle \(cycle): NULL failed"); break }
                if !portIsFree(port) { failures.append("cycle \(cycle): port still bound"); break }
            }
            client.stop.store(true, ordering: .relaxed)
            pthread_join(thread, nil)
            // No connection of the stopped servers stays open (civetweb left the
            // ones it had queued but not served open, and their clients hanging).
            #expect(waitUntil(ms: 5_000) { socketCount(port: port) == 0 }, "sockets on the port: \(socketCount(port: port))")
            #expect(failures.isEmpty, "\(failures)")
            // Requests were in flight through the cycles: answered while the server
            // ran, refused between runs, none left hanging.
            let answered = client.answered.load(ordering: .relaxed)
            let refused = client.refused.load(ordering: .relaxed)
            #expect(answered >= 50, "answered \(answered), refused \(refused)")
            #expect(client.failed.load(ordering: .relaxed) == 0, "requests that timed out or failed otherwise: \(client.failures.withLock { $0 })")
            p.drain()
            #expect(p.errors.isEmpty, "\(p.errors.map { $0.text ?? "" })")
        }

        @Test func failingSourcesWhileOthersPlay() throws {
            let port = freeLocalPort()
            let good = TestMedia.h264(pattern: "ball", frames: 30)
            let corrupt = TestMedia.garbage()
            let p = TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) strict-http-status=true live-source=true "
                + "file-loop=true width=96 height=64 uri-list=\(good),\(good) ! fakesink name=out sync=false")
            let recorder = PadRecorder(p.element("out")!)
            p.play()
            let bin = try #require(p.bin())
            #expect(waitUntil(ms: 10_000) { recorder.frames(0) > 5 && recorder.frames(1) > 5 })
            let marks = [recorder.pts(0).count, recorder.pts(1).count]
            let http = HTTPClient(port: port, timeoutMs: 15_000)
            let camera = TestRtspCamera(port: freeLocalPort())
            #expect(camera.start())
            let deadCamera = "rtsp://127.0.0.1:\(freeLocalPort())/cam"
            let wait = #", "wait_for_first_frame_ms": 5000"#
            // A missing file is refused at once (the source policy looks for it).
            let missing = try http.post("/api/v1/stream/add", RestEndToEndTests.addBody("missing", "file:///nonexistent/clip.mp4"))
            #expect(missing.status == 400 && missing.text.contains("camera_url: no such file"), "\(missing.text)")
            for (id, uri) in [("corrupt", corrupt), ("unreachable", deadCamera), ("killed", camera.uri)] {
                let r = try http.post("/api/v1/stream/add", RestEndToEndTests.addBody(id, uri, extra: wait))
                #expect(r.status == 200, "\(id): \(r.text)")
            }
            #expect(waitUntil(ms: 5_000) { bin.resolveStream("killed")?.state == .playing })
            camera.stop()
            #expect(waitUntil(ms: 8_000) { bin.recentlyFailed().contains { $0.cameraId == "killed" } })
            // The good streams went on through all of it, every frame in order,
            // and still go on (bounded waits for frames, not rates).
            let counts = [recorder.frames(0), recorder.frames(1)]
            #expect(waitUntil(ms: 15_000) { recorder.frames(0) > counts[0] + 20 && recorder.frames(1) > counts[1] + 20 },
                    "good streams stalled after the failures: \(counts)")
            for id in [UInt32(0), 1] {
                let gaps = recorder.frameGaps(id, after: marks[Int(id)])
                #expect(gaps.count > 20 && gaps.allSatisfy { $0 == 1 }, "stream \(id) skipped or lost frames: \(gaps.filter { $0 != 1 })")
            }
            let states = Dictionary(uniqueKeysWithValues: bin.streams().map { ($0.cameraId, $0.state) })
            #expect(states == ["0": .playing, "1": .playing], "\(states)")
            let failed = Set(bin.recentlyFailed().filter { $0.state == .error }.map(\.cameraId))
            #expect(failed == ["corrupt", "unreachable", "killed"], "\(failed)")
            let info = try http.get("/api/v1/stream/get-stream-info")
            #expect(info.status == 200 && info.text.contains("\"failed-streams\"") && info.text.contains("\"error\""))
            p.drain()
            #expect(p.errors.isEmpty, "\(p.errors.map { $0.text ?? "" })")
            p.stop()
        }
    }
}

/// A client that keeps asking a server that comes and goes; each request
/// either gets an answer or a refused connection, never a hang (bounded by
/// the client's timeout).
private final class ClientLoop: Sendable {
    let port: UInt16
    let stop = Atomic<Bool>(false)
    /// Requests that got an HTTP answer.
    let answered = Atomic<Int>(0)
    /// Requests whose connection was refused or closed: the server was
    /// between runs. Anything else (a timeout: a hang) is counted apart.
    let refused = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let failures = Mutex<[String]>([])
    init(port: UInt16) { self.port = port }

    func run() {
        let http = HTTPClient(port: port, timeoutMs: 5_000)
        var n = 0
        while !stop.load(ordering: .relaxed) && n < 100_000 {
            n += 1
            let body = PipelineSuites.RestEndToEndTests.addBody("flight-\(n)", "file:///nonexistent/\(n).mp4")
            count { () throws(HTTPClientError) in _ = try http.post("/api/v1/stream/add", body) }
            count { () throws(HTTPClientError) in _ = try http.get("/api/v1/stream/get-stream-info") }
        }
    }

    private func count(_ request: () throws(HTTPClientError) -> Void) {
        do {
            try request()
            answered.add(1, ordering: .relaxed)
        } catch .connect, .closed, .receive(ECONNRESET), .send {
            refused.add(1, ordering: .relaxed)
        } catch {
            failed.add(1, ordering: .relaxed)
            failures.withLock { if $0.count < 10 { $0.append("\(error)") } }
        }
    }
}

/// Nobody listens on the port: it binds with SO_REUSEADDR, as servers
/// (civetweb too) do; connections of the last run in TIME_WAIT don't count.
private func portIsFree(_ port: UInt16) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

