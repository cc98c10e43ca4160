import CGStreamer
import CGstApp
import GstSwiftBridge
import Glibc
import Synchronization
import Testing
@testable import swiftmultiurisrc

/// The console's page and files, and the snapshot route's parsing, over real
/// HTTP against a server with a fake control (in parallel with the pipeline
/// suites). The page itself runs in a browser in Tests/Browser/console_test.py.
@Suite struct ConsoleRouteTests {
    static let pages = ["/", "/ui", "/ui/", "/ui/console.js", "/ui/api.js", "/ui/roi.js", "/ui/console.css", "/ui/icon.svg"]

    @Test func pageAndFilesAreServedWithAStrictPolicyAndNoToken() throws {
        let control = RecordingControl()
        let server = try makeTestServer(control) { $0.token = "t0k" }
        defer { server.stop() }
        let http = HTTPClient(port: server.boundPort)
        for path in Self.pages {
            let r = try http.get(path)
            #expect(r.status == 200, "\(path): \(r.status)")
            let type = r.header("Content-Type") ?? ""
            let want = path.hasSuffix(".js") ? "text/javascript" : path.hasSuffix(".css") ? "text/css"
                : path.hasSuffix(".svg") ? "image/svg+xml" : "text/html"
            #expect(type.hasPrefix(want), "\(path): \(type)")
            let csp = r.header("Content-Security-Policy") ?? ""
            #expect(csp.contains("default-src 'none'") && csp.contains("script-src 'self'")
                    && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe"), "\(path): \(csp)")
            #expect(r.header("X-Content-Type-Options") == "nosniff")
            // Nothing the page loads comes from elsewhere (the SVG's
            // xmlns is a name, not a place, and it links nothing).
            let text = path.hasSuffix(".svg") ? r.text.replacing("xmlns=\"http://www.w3.org/2000/svg\"", with: "") : r.text
            #expect(!text.contains("http://") && !text.contains("https://") && !text.contains("//cdn"), "\(path) names an absolute URL")
        }
        // The API itself still wants the token.
        #expect(try http.get("/api/v1/stream/get-stream-info").status == 401)
        #expect(try http.get("/api/v1/stream/snapshot?stream_id=0").status == 401)
        let wrong = try http.request("GET", "/api/v1/stream/snapshot?stream_id=0", headers: [("Authorization", "Bearer nope")])
        #expect(wrong.status == 401)
    }

    /// CSP-friendly: no inline script, no inline style, no event attributes.
    @Test func pageHasNoInlineCode() {
        let html = ConsoleAssets.indexHTML
        #expect(html.contains(#"<script type="module" src="/ui/console.js"></script>"#))
        var rest = Substring(html)
        while let open = rest.range(of: "<script") {
            let tag = rest[open.lowerBound...].prefix { $0 != ">" }
            #expect(tag.contains("src="), "inline script: \(tag)")
            rest = rest[open.upperBound...]
        }
        #expect(!html.contains("style="))
        for attribute in ["onclick=", "onload=", "onerror=", "onsubmit=", "javascript:"] {
            #expect(!html.lowercased().contains(attribute), "\(attribute) in the page")
        }
        // Data from the API is put in as text, never parsed as markup.
        for js in [ConsoleAssets.consoleJS, ConsoleAssets.apiJS, ConsoleAssets.roiJS] {
            #expect(!js.contains("innerHTML") && !js.contains("outerHTML") && !js.contains("eval("))
        }
    }

    /// The console's own page may call the API (its Origin is the server
    /// itself); a page anywhere else may not, also when it rebinds a DNS name
    /// to us.
    @Test func sameOriginIsAllowedOtherOriginsAreNot() throws {
        let control = RecordingControl()
        let server = try makeTestServer(control)
        defer { server.stop() }
        let port = server.boundPort
        let http = HTTPClient(port: port)
        let body = Array(#"{"key":"sensor","value":{"camera_id":"c1","camera_url":"rtsp://cam/x","change":"camera_add"}}"#.utf8)
        func add(_ headers: [(String, String)]) throws -> HTTPResponse {
            try http.request("POST", "/api/v1/stream/add", body: body, headers: headers)
        }
        let same = try add([("Origin", "http://127.0.0.1:\(port)")])
        #expect(same.status == 200, "same origin: \(same.text)")
        #expect(same.header("Access-Control-Allow-Origin") == nil)
        for origin in ["http://127.0.0.1:\(port &+ 1)", "https://127.0.0.1:\(port)", "http://evil.example:\(port)", "null",
                       "http://127.0.0.1:\(port)/x"] {
            let r = try add([("Origin", origin)])
            #expect(r.status == 403, "\(origin): \(r.status) \(r.text)")
            #expect(r.text.contains("Origin"), "\(origin): \(r.text)")
        }
        // DNS rebinding: Origin and Host agree, but the name is not ours.
        let rebound = try http.raw("POST /api/v1/stream/add HTTP/1.1\r\nHost: evil.example:\(port)\r\nOrigin: http://evil.example:\(port)\r\n"
            + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n" + String(decoding: body, as: UTF8.self))
        #expect(rebound.status == 403, "rebound: \(rebound.text)")
        #expect(control.streams().map(\.cameraId) == ["c1"])
    }

    /// A control that keeps no frames (the protocol's default) answers 409
    /// naming snapshots; every bad query is 400 naming its parameter.
    @Test func snapshotQueryIsCheckedParameterByParameter() throws {
        let control = RecordingControl()
        _ = control.seed("cam1")
        let server = try makeTestServer(control)
        defer { server.stop() }
        let http = HTTPClient(port: server.boundPort)
        expectAnswer(try http.get("/api/v1/stream/snapshot?stream_id=cam1"), 409, "SNAPSHOT_FAIL", mentions: ["snapshots"])
        expectAnswer(try http.get("/api/v1/stream/snapshot?stream_id=0&width=320"), 409, "SNAPSHOT_FAIL")
        let long = String(repeating: "x", count: 300)
        let bad: [(String, Int, String)] = [
            ("", 400, "stream_id"),
            ("width=320", 400, "stream_id"),
            ("stream_id=", 400, "stream_id"),
            ("stream_id=\(long)", 400, "stream_id"),
            ("stream_id=nobody", 404, "stream_id"),
            ("stream_id=7", 404, "stream_id"),
            ("stream_id=0&widht=320", 400, "widht"),
            ("stream_id=0&width=", 400, "width"),
            ("stream_id=0&width=abc", 400, "width"),
            ("stream_id=0&width=15", 400, "width"),
            ("stream_id=0&width=3841", 400, "width"),
            ("stream_id=0&width=-1", 400, "width"),
            ("stream_id=0&width=1e3", 400, "width"),
            ("stream_id=0&width=320.5", 400, "width"),
            ("stream_id=0&width=99999999999999999999999999", 400, "width"),
            ("stream_id=0&width=%00", 400, "width"),
            ("stream_id=0&width=%zz", 400, "width"),
            ("stream_id=%ff%fe", 400, "stream_id"),
        ]
        for (query, status, field) in bad {
            let r = try http.get("/api/v1/stream/snapshot?" + query)
            expectAnswer(r, status, "SNAPSHOT_FAIL", mentions: [field])
        }
        #expect(try http.request("POST", "/api/v1/stream/snapshot?stream_id=0", body: []).status == 405)
    }

    @Test func outputSizeKeepsTheAspectAndNeverUpscales() {
        #expect(SnapshotEncoder.outputSize(frame: (1280, 720), requested: 320) == (320, 180))
        #expect(SnapshotEncoder.outputSize(frame: (1280, 720), requested: nil) == (1280, 720))
        #expect(SnapshotEncoder.outputSize(frame: (320, 240), requested: 3840) == (320, 240))
        #expect(SnapshotEncoder.outputSize(frame: (320, 240), requested: 16) == (16, 12))
        #expect(SnapshotEncoder.outputSize(frame: (4, 4096), requested: 16) == (4, 4096))
        #expect(SnapshotEncoder.outputSize(frame: (3840, 2), requested: 16) == (16, 1))
    }
}

/// The width and height a JPEG says it has (its SOFn segment); nil when
/// the bytes are no baseline or progressive JPEG.
func jpegSize(_ bytes: [UInt8]) -> (Int, Int)? {
    guard bytes.count > 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return nil }
    var i = 2
    while i + 9 < bytes.count {
        guard bytes[i] == 0xFF else { return nil }
        let marker = bytes[i + 1]
        let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
        if marker == 0xC0 || marker == 0xC1 || marker == 0xC2 {
            return (Int(bytes[i + 7]) << 8 | Int(bytes[i + 8]), Int(bytes[i + 5]) << 8 | Int(bytes[i + 6]))
        }
        i += 2 + length
    }
    return nil
}

/// The mean colour of a JPEG's pixels, decoded by GStreamer's jpegdec in a
/// pipeline of its own (filesrc ! jpegdec ! videoconvert ! appsink).
func jpegMeanRGB(_ bytes: [UInt8]) -> (Int, Int, Int)? {
    guard let (w, h) = jpegSize(bytes) else { return nil }
    var template = Array("/tmp/swift-multiurisrc-snapshot-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { p in p.baseAddress.map { mkstemp($0) } ?? -1 }
    guard fd >= 0 else { return nil }
    let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    defer { unlink(path) }
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    guard written == bytes.count else { return nil }
    let pipeline = TestPipeline("filesrc location=\(path) ! jpegdec ! videoconvert ! video/x-raw,format=RGB ! appsink name=rgb sync=false")
    defer { _ = pipeline.stop() }
    _ = pipeline.play()
    guard let element = pipeline.element("rgb") else { return nil }
    let sink = UnsafeMutableRawPointer(element).assumingMemoryBound(to: GstAppSink.self)
    guard let sample = gst_app_sink_try_pull_sample(sink, GstClockTime(5_000_000_000 * UInt64(max(1, waitSlack)))) else { return nil }
    defer { gst_sample_unref(sample) }
    guard let buffer = gst_sample_get_buffer(sample) else { return nil }
    // Rows of RGB are padded to 4 bytes.
    let stride = (w * 3 + 3) / 4 * 4
    var pixels = [UInt8](repeating: 0, count: stride * h)
    let n = Int(pixels.withUnsafeMutableBytes { gst_buffer_extract(buffer, 0, $0.baseAddress, gsize($0.count)) })
    guard n >= stride * h else { return nil }
    var sum = (0, 0, 0)
    for y in 0..<h {
        for x in 0..<w {
            let o = y * stride + x * 3
            sum.0 += Int(pixels[o]); sum.1 += Int(pixels[o + 1]); sum.2 += Int(pixels[o + 2])
        }
    }
    let count = w * h
    return (sum.0 / count, sum.1 / count, sum.2 / count)
}

extension PipelineSuites {
    /// GET stream/snapshot against a playing bin with a red and a blue
    /// source: what the picture shows, its size, the cache, and hostile
    /// clients on raw sockets while the streams go on.
    @Suite(.serialized) struct SnapshotTests {
        let port = freeLocalPort()
        let pipeline: TestPipeline
        let recorder: PadRecorder
        let http: HTTPClient

        init() throws {
            TestGst.setUp()
            let red = TestMedia.h264(pattern: "red", frames: 30)
            let blue = TestMedia.h264(pattern: "blue", frames: 30)
            pipeline = TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) strict-http-status=true "
                + "live-source=true file-loop=true width=320 height=240 uri-list=\(red),\(blue) sensor-id-list=red,blue ! "
                + "fakesink name=out sync=false")
            recorder = PadRecorder(pipeline.element("out")!)
            http = HTTPClient(port: port, timeoutMs: 10_000)
            pipeline.play()
            let bin = pipeline.bin()
            #expect(waitUntil(ms: 5_000) { bin?.isReady == true && recorder.frames(0) > 0 && recorder.frames(1) > 0 })
        }

        @Test func snapshotShowsTheStreamsFrameAtTheAskedWidth() throws {
            for (id, expected) in [("0", "red"), ("blue", "blue")] {
                let r = try http.get("/api/v1/stream/snapshot?stream_id=\(id)")
                #expect(r.status == 200, "\(id): \(r.text.prefix(200))")
                #expect(r.header("Content-Type") == "image/jpeg")
                #expect(r.header("Cache-Control") == "no-store")
                #expect(r.header("X-Frame-Width") == "320" && r.header("X-Frame-Height") == "240")
                let size = jpegSize(r.body)
                #expect(size.map { $0 == (320, 240) } == true, "\(id): \(String(describing: size))")
                let rgb = jpegMeanRGB(r.body)
                let ok = rgb.map { expected == "red" ? $0.0 > 180 && $0.1 < 80 && $0.2 < 80 : $0.2 > 180 && $0.0 < 80 && $0.1 < 80 }
                #expect(ok == true, "\(id) should be \(expected): \(String(describing: rgb))")
            }
            for (width, want) in [(160, (160, 120)), (16, (16, 12)), (321, (320, 240)), (3840, (320, 240)), (100, (100, 75))] {
                let r = try http.get("/api/v1/stream/snapshot?stream_id=1&width=\(width)")
                #expect(r.status == 200)
                let size = jpegSize(r.body)
                #expect(size.map { $0 == want } == true, "width \(width): \(String(describing: size))")
            }
            expectAnswer(try http.get("/api/v1/stream/snapshot?stream_id=5"), 404, "SNAPSHOT_FAIL", mentions: ["stream_id"])
            expectAnswer(try http.get("/api/v1/stream/snapshot?stream_id=0&width=4000"), 400, "SNAPSHOT_FAIL", mentions: ["width"])
        }

        /// Many viewers at once cost one encode per width and cache period.
        @Test func concurrentViewersShareOneEncode() throws {
            // Warm: the frame is kept from the first request on.
            #expect(try http.get("/api/v1/stream/snapshot?stream_id=0&width=240").status == 200)
            g_usleep(300_000)
            let before = SnapshotEncoder.encodesDone.load(ordering: .relaxed)
            let statuses = Mutex<[Int]>([])
            let bodies = Mutex<Set<[UInt8]>>([])
            let client = http
            runOnThreads(12) { _ in
                let r = try? client.get("/api/v1/stream/snapshot?stream_id=0&width=240")
                statuses.withLock { $0.append(r?.status ?? -1) }
                if let r { bodies.withLock { _ = $0.insert(r.body) } }
            }
            let made = SnapshotEncoder.encodesDone.load(ordering: .relaxed) - before
            #expect(statuses.withLock { $0 } == Array(repeating: 200, count: 12))
            // 12 requests arrive within well under a cache period; a slow
            // machine may straddle two.
            #expect(made >= 1 && made <= 2, "\(made) encodes for 12 concurrent requests")
            #expect(bodies.withLock { $0.count } <= made)
        }

        /// Raw sockets: malformed and huge parameters, a flood of
        /// connections; every one answered or refused with a status, the
        /// streams going on, nothing on the bus.
        @Test func hostileClientsGetStatusesAndTheStreamsPlayOn() throws {
            let raw: [(String, Int)] = [
                ("GET /api/v1/stream/snapshot?stream_id=0&width=\(String(repeating: "9", count: 1000)) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 400),
                ("GET /api/v1/stream/snapshot?stream_id=\(String(repeating: "%41", count: 1000)) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 400),
                ("GET /api/v1/stream/snapshot?stream_id=0&width=0x140 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 400),
                ("GET /api/v1/stream/snapshot?stream_id=0&stream_id=1&width=64 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 200),
                ("GET /api/v1/stream/snapshot?stream_id=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\nConnection: close\r\n\r\n", 403),
            ]
            for (request, status) in raw {
                let r = try http.raw(request)
                #expect(r.status == status, "\(request.prefix(80)): \(r.status) \(r.text.prefix(200))")
            }
            let head = try http.request("HEAD", "/api/v1/stream/snapshot?stream_id=0&width=64")
            #expect(head.status == 200 && head.header("Content-Type") == "image/jpeg" && head.body.isEmpty)
            let framesBefore = (recorder.frames(0), recorder.frames(1))
            let statuses = Mutex<[Int: Int]>([:])
            let client = http
            // 16 connections from one address at once, each asking 4 widths
            // 5 times: the per-client cap and the encode budget hold them.
            runOnThreads(16) { i in
                for k in 0..<5 {
                    let width = [64, 128, 200, 320][(i + k) % 4]
                    let status = (try? client.get("/api/v1/stream/snapshot?stream_id=\(i % 2)&width=\(width)"))?.status ?? -1
                    statuses.withLock { $0[status, default: 0] += 1 }
                }
            }
            let seen = statuses.withLock { $0 }
            #expect(Set(seen.keys).isSubset(of: [200, 429, 503]), "\(seen)")
            #expect((seen[200] ?? 0) > 0, "\(seen)")
            #expect(waitUntil(ms: 3_000) { recorder.frames(0) > framesBefore.0 + 10 && recorder.frames(1) > framesBefore.1 + 10 })
            expectAnswer(try http.get("/api/v1/ready"), 200, "GET_READY_INFO_SUCCESS")
            pipeline.drain()
            #expect(pipeline.errors.isEmpty, "\(pipeline.errors.map { $0.text ?? "" })")
        }

        /// A removed stream has no snapshot; the others keep theirs.
        @Test func removedStreamIsNotFound() throws {
            let green = TestMedia.h264(pattern: "green", frames: 30)
            let add = try http.post("/api/v1/stream/add", PipelineSuites.RestEndToEndTests.addBody("green", green, extra: #","wait_for_first_frame_ms":5000"#))
            expectAnswer(add, 200, "STREAM_ADD_SUCCESS")
            let r = try http.get("/api/v1/stream/snapshot?stream_id=green&width=32")
            #expect(r.status == 200 && jpegSize(r.body).map { $0 == (32, 24) } == true)
            expectAnswer(try http.post("/api/v1/stream/remove", PipelineSuites.RestEndToEndTests.addBody("green", "", change: "camera_remove")),
                         200, "STREAM_REMOVE_SUCCESS")
            expectAnswer(try http.get("/api/v1/stream/snapshot?stream_id=green"), 404, "SNAPSHOT_FAIL", mentions: ["stream_id"])
            #expect(try http.get("/api/v1/stream/snapshot?stream_id=red&width=32").status == 200)
        }
    }
}
