import CGStreamer
import Dispatch
import GstSwiftBridge
import Glibc
import Synchronization
import Testing
import ChildProcess
@testable import swiftmultiurisrc

extension PipelineSuites {
    /// GET /api/v1/metrics over real HTTP from a playing swiftmultiurisrcbin
    /// with generated clips: DeepStream's JSON, and the Prometheus text read
    /// by the Prometheus project's own parser (prometheus-client, in the venv
    /// scripts/run-tests.sh hands over as SWIFT_MULTIURISRC_PYTHON), its
    /// values checked against what the pipeline and the test did.
    @Suite(.serialized) struct MetricsTests {
        let port = freeLocalPort()
        let pipeline: TestPipeline
        let http: HTTPClient
        static let textAccept = [("Accept", "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")]

        init() throws {
            TestGst.setUp()
            pipeline = TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) strict-http-status=true live-source=true "
                + "file-loop=true drop-pipeline-eos=true width=160 height=120 max-batch-size=8 ! fakesink name=out sync=false")
            http = HTTPClient(port: port)
            pipeline.play()
            let bin = pipeline.bin()
            // In-process waits only: every HTTP request of a test is one it counts.
            #expect(waitUntil(ms: 5_000) { bin?.isReady == true })
        }

        static func addBody(_ id: String, _ uri: String, change: String = "camera_add", labels: String? = nil) -> String {
            let extra = labels.map { #","labels":\#($0)"# } ?? ""
            return #"{"key":"sensor","value":{"camera_id":"\#(id)","camera_name":"\#(id)-name","camera_url":"\#(uri)","change":"\#(change)"\#(extra)}}"#
        }

        /// A roi/update refused before any stream is looked up: 400 naming stream_id.
        static let badRoi = #"{"stream":{"roi_count":1,"roi":[]}}"#

        func add(_ id: String, _ uri: String, labels: String? = nil) throws {
            expectAnswer(try http.post("/api/v1/stream/add", Self.addBody(id, uri, labels: labels)), 200, "STREAM_ADD_SUCCESS")
        }

        /// Waits (in process) until every camera in `ids` has sent `frames` frames.
        func waitForFrames(_ ids: [String], _ frames: UInt64, ms: Int64 = 10_000) -> Bool {
            let bin = pipeline.bin()
            return waitUntil(ms: ms) {
                let streams = bin?.streams() ?? []
                return ids.allSatisfy { id in streams.contains { $0.cameraId == id && $0.framesOut >= frames } }
            }
        }

        func scrape(_ path: String = "/api/v1/metrics", sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            let response = try http.request("GET", path, headers: Self.textAccept)
            #expect(response.status == 200, sourceLocation: sourceLocation)
            #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8", sourceLocation: sourceLocation)
            #expect(response.header("Content-Length") == String(response.body.count), sourceLocation: sourceLocation)
            return response.text
        }

        // MARK: JSON

        @Test func jsonIsDeepStreamsShapeWithLiveValues() throws {
            let empty = jsonObject(try http.get("/api/v1/metrics"))
            #expect(string(empty["reason"]) == "GET_METRICS_INFO_SUCCESS - No data available")
            #expect(string(empty["status"]) == "HTTP/1.1 200 OK")
            let emptyInfo = OpenAPITests.members(empty["metrics-info"])
            #expect(integer(emptyInfo["stream-count"]) == 0)
            #expect(emptyInfo["stream-stats"] == .array([]))

            let uri = TestMedia.h264(pattern: "ball", frames: 300)
            try add("cam-a", uri)
            try add("cam-b", uri)
            let bin = pipeline.bin()
            #expect(waitUntil(ms: 10_000) {
                let streams = bin?.streams() ?? []
                return streams.count == 2 && streams.allSatisfy { $0.fps > 0 }
            })

            let first = try http.get("/api/v1/metrics")
            #expect(first.status == 200)
            #expect(first.header("Content-Type") == "application/json")
            let body = jsonObject(first)
            #expect(body.members.map(\.key) == ["status", "reason", "metrics-info"])
            #expect(string(body["reason"]) == "GET_METRICS_INFO_SUCCESS")
            let info = OpenAPITests.members(body["metrics-info"])
            #expect(info.members.map(\.key) == ["stream-count", "stream-stats", "system-stats"])
            #expect(integer(info["stream-count"]) == 2)
            guard case let .array(stats)? = info["stream-stats"], stats.count == 2 else {
                Issue.record("stream-stats: \(String(describing: info["stream-stats"]))")
                return
            }
            var frameNumbers: [String: Int64] = [:]
            for (entry, (id, sourceId)) in zip(stats.map(OpenAPITests.members), [("cam-a", 0), ("cam-b", 1)]) {
                #expect(entry.members.map(\.key) == ["fps", "frame_number", "latency_ms", "sensor_id", "sensor_name", "source_id"])
                #expect(string(entry["sensor_id"]) == id)
                #expect(string(entry["sensor_name"]) == "\(id)-name")
                #expect(integer(entry["source_id"]) == Int64(sourceId))
                #expect(real(entry["fps"]).map { $0 > 0 } == true, "\(id) fps \(String(describing: entry["fps"]))")
                #expect(real(entry["latency_ms"]).map { $0 >= 0 } == true)
                frameNumbers[id] = integer(entry["frame_number"]) ?? -1
                #expect((frameNumbers[id] ?? 0) > 0)
            }
            let system = OpenAPITests.members(info["system-stats"])
            #expect(system.members.map(\.key) == ["GPU_gb", "RAM_gb", "cpu_util", "gpu_util"])
            #expect(real(system["GPU_gb"]) == 0 && real(system["gpu_util"]) == 0)
            #expect(real(system["RAM_gb"]).map { $0 > 0 } == true)
            #expect(real(system["cpu_util"]).map { (0...100).contains($0) } == true)

            // Frame numbers grow: wait in process for frames past those, then ask again.
            let seen = UInt64(max(frameNumbers.values.max() ?? 0, 0))
            #expect(waitForFrames(["cam-a", "cam-b"], seen + 5))
            let later = jsonObject(try http.get("/metrics"))
            guard case let .array(laterStats)? = OpenAPITests.members(later["metrics-info"])["stream-stats"] else {
                Issue.record("no stream-stats under /metrics")
                return
            }
            for entry in laterStats.map(OpenAPITests.members) {
                let id = string(entry["sensor_id"]) ?? ""
                #expect((integer(entry["frame_number"]) ?? 0) > (frameNumbers[id] ?? Int64.max), "\(id) did not grow")
            }
        }

        // MARK: Prometheus text, parsed by prometheus-client

        @Test(.enabled(if: MetricsTests.pythonOrCI)) func prometheusTextParsesAndCountsWhatHappened() throws {
            guard let parser = try PrometheusParser.make() else { return }
            let uri = TestMedia.h264(pattern: "ball", frames: 300)
            // Label names Prometheus refuses or we use ourselves, and a value to escape.
            let labels = #"{"site":"north gate","rack.row":"3","9lives":"x","camera_id":"clash","quote":"a\"b\\c"}"#
            try add("cam-a", uri, labels: labels)
            try add("cam-b", uri)
            // fps is over a completed second.
            let bin = pipeline.bin()
            #expect(waitUntil(ms: 10_000) {
                let streams = bin?.streams() ?? []
                return streams.count == 2 && streams.allSatisfy { $0.fps > 0 }
            })
            // A 400 and a 404, as the wire sends them (strict-http-status=true).
            expectAnswer(try http.post("/api/v1/roi/update", Self.badRoi), 400, "ROI_UPDATE_FAIL", mentions: ["stream_id"])
            #expect(try http.get("/api/v1/no-such-route").status == 404)
            #expect(try http.get("/api/v1/metrics").status == 200)

            let text1 = try scrape()
            let info = jsonObject(try http.get("/api/v1/stream/get-stream-info"))
            let text2 = try scrape()
            let s1 = try parser.parse(text1), s2 = try parser.parse(text2)

            for scrape in [s1, s2] {
                #expect(scrape.errors.isEmpty, "\(scrape.errors)")
                for (family, type) in Self.expectedFamilies {
                    #expect(scrape.types[family] == type, "family \(family): \(String(describing: scrape.types[family]))")
                }
            }
            // DeepStream's families: app_name first, metric_name next, as 9.1's prometheus-cpp writes them.
            for line in text1.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("swiftmultiurisrc_") {
                #expect(line.contains(#"{app_name="ds",metric_name=""#), "\(line)")
            }

            // Frames: what stream-info counted lies between the two scrapes.
            guard case let .array(entries)? = OpenAPITests.members(info["stream-info"])["stream-info"] else {
                Issue.record("stream-info has no entries")
                return
            }
            for entry in entries.map(OpenAPITests.members) {
                let id = string(entry["camera_id"]) ?? ""
                let out = Double(integer(entry["frames_out"]) ?? -1)
                let before = s1.value("swiftmultiurisrc_stream_frames_out_total", ["camera_id": id]) ?? .infinity
                let after = s2.value("swiftmultiurisrc_stream_frames_out_total", ["camera_id": id]) ?? -1
                #expect(before <= out && out <= after, "\(id): \(before) <= \(out) <= \(after)")
                let dsBefore = s1.value("frame_number_metrics", ["sensor_id": id]) ?? .infinity
                let dsAfter = s2.value("frame_number_metrics", ["sensor_id": id]) ?? -1
                #expect(dsBefore <= out && out <= dsAfter, "\(id): DeepStream's frame_number \(dsBefore) <= \(out) <= \(dsAfter)")
                // Into the branch = dropped + out + what is inside the
                // converter at the moment, plus a frame a loop's flush may take.
                let framesIn = s2.value("swiftmultiurisrc_stream_frames_in_total", ["camera_id": id]) ?? -1
                let dropped = s2.value("swiftmultiurisrc_stream_frames_dropped_total", ["camera_id": id]) ?? -1
                #expect(dropped == 0)
                let inFlight = framesIn - after - dropped
                #expect(inFlight >= 0 && inFlight <= 4, "\(id): in \(framesIn), out \(after), dropped \(dropped)")
                #expect((s2.value("swiftmultiurisrc_stream_frames_per_second", ["camera_id": id]) ?? 0) > 0)
                #expect(s2.value("swiftmultiurisrc_stream_state", ["camera_id": id, "state": "playing"]) == 1)
                #expect(s2.value("swiftmultiurisrc_stream_state", ["camera_id": id, "state": "starting"]) == 0)
                #expect(s2.value("swiftmultiurisrc_stream_reconnects_total", ["camera_id": id]) == 0)
                #expect((s2.value("fps_metrics", ["sensor_id": id, "metric_name": "stream_fps"]) ?? 0) > 0)
            }

            // stream/add's labels on every per-stream family, made valid.
            let camA = s2.samples.filter { $0.name == "swiftmultiurisrc_stream_frames_out_total" && $0.labels["source_id"] == "0" }
            #expect(camA.count == 1)
            #expect(camA.first?.labels == ["source_id": "0", "camera_id": "cam-a", "camera_name": "cam-a-name",
                                           "site": "north gate", "rack_row": "3", "label_9lives": "x",
                                           "label_camera_id": "clash", "quote": #"a"b\c"#])

            // REST requests by route and code: exactly what this test sent
            // before the first scrape, and that scrape once more in the second.
            var expected: [String: Double] = ["/stream/add 200": 2, "/roi/update 400": 1, "unknown 404": 1, "/metrics 200": 1]
            #expect(s1.restRequests == expected)
            expected["/metrics 200"] = 2
            expected["/stream/get-stream-info 200"] = 1
            #expect(s2.restRequests == expected)
            for scrape in [s1, s2] { expectHistogramsConsistent(scrape) }

            #expect(s2.value("swiftmultiurisrc_events_pushed_total", ["type": "nv-pad-added"]) == 2)
            #expect(s2.value("swiftmultiurisrc_events_pushed_total", ["type": "nv-stream-start"]) == 2)
            #expect(s2.value("swiftmultiurisrc_streams", [:]) == 2)
            #expect(s2.value("stream_count", ["metric_name": "stream_count"]) == 2)
            #expect((s2.value("swiftmultiurisrc_process_resident_memory_bytes", [:]) ?? 0) > 1_000_000)
            #expect((s2.value("swiftmultiurisrc_process_threads", [:]) ?? 0) > 1)
            #expect(s2.value("memory_metrics", ["metric_name": "system_gpu_memory_gb"]) == 0)
            #expect((s2.value("memory_metrics", ["metric_name": "system_ram_memory_gb"]) ?? 0) > 0)
            for kind in FailureCause.kinds {
                #expect(s2.value("swiftmultiurisrc_source_errors_total", ["kind": kind]) == 0, "\(kind)")
            }

            // A removed stream leaves every per-stream family.
            expectAnswer(try http.post("/api/v1/stream/remove", Self.addBody("cam-b", "", change: "camera_remove")), 200, "STREAM_REMOVE_SUCCESS")
            let s3 = try parser.parse(try scrape())
            #expect(s3.errors.isEmpty, "\(s3.errors)")
            #expect(!s3.samples.contains { $0.labels["camera_id"] == "cam-b" || $0.labels["sensor_id"] == "cam-b" })
            #expect(s3.samples.contains { $0.labels["camera_id"] == "cam-a" })
            #expect(s3.value("swiftmultiurisrc_streams", [:]) == 1)
            #expect(s3.value("stream_count", ["metric_name": "stream_count"]) == 1)

            // DeepStream's text answers of stream-info and the probes.
            for (path, family, metric, value) in [
                ("/api/v1/stream/get-stream-info", "total_stream_count", "total_stream_count", 1.0),
                ("/api/v1/live", "live_metrics", "ds_liveness", 1), ("/live", "live_metrics", "ds_liveness", 1),
                ("/api/v1/ready", "ready_metrics", "ds_ready", 1), ("/api/v1/startup", "startup_metrics", "ds_startup", 1),
            ] {
                let parsed = try parser.parse(try scrape(path))
                #expect(parsed.errors.isEmpty, "\(path): \(parsed.errors)")
                #expect(parsed.types == [family: "gauge"], "\(path): \(parsed.types)")
                #expect(parsed.samples.count == 1)
                #expect(parsed.samples.first?.labels == ["app_name": "ds", "metric_name": metric], "\(path)")
                #expect(parsed.samples.first?.value == value, "\(path)")
            }
            // Without text/plain in Accept, the JSON answers stay.
            let json = try http.request("GET", "/api/v1/live", headers: [("Accept", "application/json")])
            #expect(json.header("Content-Type") == "application/json")
            #expect(string(jsonObject(json)["reason"]) == "GET_LIVE_INFO_SUCCESS")
        }

        /// Every route's histogram: buckets grow with `le`, +Inf and _count
        /// equal the requests counted for the route, _sum is positive.
        func expectHistogramsConsistent(_ scrape: ParsedScrape, sourceLocation: SourceLocation = #_sourceLocation) {
            let name = "swiftmultiurisrc_rest_request_duration_seconds"
            var perRoute: [String: Double] = [:]
            for (key, count) in scrape.restRequests {
                perRoute[String(key.split(separator: " ").dropLast().joined(separator: " ")), default: 0] += count
            }
            #expect(!perRoute.isEmpty, sourceLocation: sourceLocation)
            for (route, requests) in perRoute {
                let buckets = scrape.samples.filter { $0.name == name + "_bucket" && $0.labels["route"] == route }
                    .map { (Double($0.labels["le"] ?? "") ?? .nan, $0.value) }
                #expect(buckets.count == RestCounters.bucketBounds.count + 1, "\(route)", sourceLocation: sourceLocation)
                let ordered = buckets.sorted { $0.0 < $1.0 }
                #expect(zip(ordered, ordered.dropFirst()).allSatisfy { $0.1 <= $1.1 }, "\(route): \(ordered)", sourceLocation: sourceLocation)
                #expect(ordered.last?.0 == .infinity && ordered.last?.1 == requests, "\(route)", sourceLocation: sourceLocation)
                #expect(scrape.value(name + "_count", ["route": route]) == requests, "\(route)", sourceLocation: sourceLocation)
                #expect((scrape.value(name + "_sum", ["route": route]) ?? 0) > 0, "\(route)", sourceLocation: sourceLocation)
            }
        }

        static let expectedFamilies: [String: String] = [
            "fps_metrics": "gauge", "latency_metrics": "gauge", "frame_number_metrics": "gauge",
            "memory_metrics": "gauge", "utilization_metrics": "gauge", "stream_count": "gauge",
            "swiftmultiurisrc_streams": "gauge",
            "swiftmultiurisrc_stream_frames_in": "counter", "swiftmultiurisrc_stream_frames_out": "counter",
            "swiftmultiurisrc_stream_frames_dropped": "counter", "swiftmultiurisrc_stream_frames_per_second": "gauge",
            "swiftmultiurisrc_stream_latency_seconds": "gauge", "swiftmultiurisrc_stream_reconnects": "counter",
            "swiftmultiurisrc_stream_state": "gauge", "swiftmultiurisrc_source_errors": "counter",
            "swiftmultiurisrc_events_pushed": "counter", "swiftmultiurisrc_rest_requests": "counter",
            "swiftmultiurisrc_rest_request_duration_seconds": "histogram",
            "swiftmultiurisrc_process_resident_memory_bytes": "gauge", "swiftmultiurisrc_process_threads": "gauge",
        ]

        @Test(.enabled(if: MetricsTests.pythonOrCI)) func failuresAndEventsAreCountedByKindAndType() throws {
            guard let parser = try PrometheusParser.make() else { return }
            try add("cam-a", TestMedia.h264(pattern: "ball", frames: 300))
            #expect(waitForFrames(["cam-a"], 5))
            expectAnswer(try http.post("/api/v1/stream/add", Self.addBody("corrupt", TestMedia.garbage())), 200, "STREAM_ADD_SUCCESS")
            let bin = pipeline.bin()
            #expect(waitUntil(ms: 10_000) { bin?.recentlyFailed().contains { $0.cameraId == "corrupt" } == true })
            let roi = #"{"stream":{"stream_id":"0","roi_count":1,"roi":[{"roi_id":"0","left":1,"top":2,"width":3,"height":4}]}}"#
            expectAnswer(try http.post("/api/v1/roi/update", roi), 200, "ROI_UPDATE_SUCCESS")
            #expect(waitUntil(ms: 5_000) { bin?.metrics().eventsPushed["nv-roi-update"] == 1 })

            let parsed = try parser.parse(try scrape())
            #expect(parsed.errors.isEmpty, "\(parsed.errors)")
            for kind in FailureCause.kinds {
                #expect(parsed.value("swiftmultiurisrc_source_errors_total", ["kind": kind]) == (kind == "unknown_format" ? 1 : 0),
                        "\(kind)")
            }
            #expect(parsed.value("swiftmultiurisrc_events_pushed_total", ["type": "nv-roi-update"]) == 1)
            // The failed source's pad came and went.
            #expect(parsed.value("swiftmultiurisrc_events_pushed_total", ["type": "nv-pad-deleted"]).map { $0 >= 1 } == true)
            #expect(!parsed.samples.contains { $0.labels["camera_id"] == "corrupt" })
        }

        // MARK: without waiting on the control queue

        /// A stream/add stuck on the control queue (held here by a job of
        /// the test's, released at the end) holds no scrape: metrics, JSON
        /// and text, answer while the add is still waiting.
        @Test func metricsAnswerWhileAStreamAddIsSlow() throws {
            try add("cam-a", TestMedia.h264(pattern: "ball", frames: 300))
            #expect(waitForFrames(["cam-a"], 5))
            guard let bin = pipeline.bin() else { Issue.record("no bin"); return }
            let release = DispatchSemaphore(value: 0), held = DispatchSemaphore(value: 0)
            bin.controlQueue.async {
                held.signal()
                // Bounded: a failing test must not keep the queue forever.
                _ = release.wait(timeout: .now() + .seconds(60))
            }
            // Released on every way out: a failed scrape must not keep the queue.
            defer { release.signal() }
            #expect(held.wait(timeout: .now() + .seconds(10)) == .success)
            let addDone = Atomic<Int>(0)
            let client = http, body = Self.addBody("cam-slow", TestMedia.h264(pattern: "ball", frames: 300))
            DispatchQueue.global().async {
                let status = (try? client.post("/api/v1/stream/add", body))?.status ?? -1
                addDone.store(status, ordering: .releasing)
            }
            // The add is at the server once the server's side of its
            // connection (the only one open) has received its bytes; it then
            // waits behind the held queue. The scrapes must not.
            let localPort = Int(port)
            #expect(waitUntil(ms: 5_000) {
                ConnectionSocket.accepted(localPort: localPort).contains { s in
                    var got = false
                    ConnectionSocket.onDuplicate(of: s, localPort: localPort) { got = (ConnectionSocket.bytesReceived($0) ?? 0) > 0 }
                    return got
                }
            })

            let json = try http.get("/api/v1/metrics")
            let text = try http.request("GET", "/api/v1/metrics", headers: Self.textAccept)
            let stillWaiting = addDone.load(ordering: .acquiring) == 0
            release.signal()
            #expect(stillWaiting, "the add returned before the scrapes")
            #expect(json.status == 200 && text.status == 200)
            #expect(integer(OpenAPITests.members(jsonObject(json)["metrics-info"])["stream-count"]) == 1)
            #expect(text.text.contains(#"swiftmultiurisrc_stream_frames_out_total{source_id="0",camera_id="cam-a""#))
            #expect(waitUntil(ms: 10_000) { addDone.load(ordering: .acquiring) != 0 })
            #expect(addDone.load(ordering: .acquiring) == 200)
        }

        /// strict-http-status off (DeepStream's wire): a route's 400 goes
        /// out as 200 and is counted as such; a 404 before any route stays.
        @Test func countsTheStatusAsSentOnTheWire() throws {
            let port = freeLocalPort()
            let lenient = TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) live-source=true ! fakesink sync=false")
            lenient.play()
            #expect(waitUntil(ms: 5_000) { lenient.bin()?.isReady == true })
            let client = HTTPClient(port: port)
            let bad = try client.post("/api/v1/roi/update", Self.badRoi)
            #expect(bad.status == 200)
            #expect(string(jsonObject(bad)["status"]) == "HTTP/1.1 400 Bad Request")
            #expect(try client.get("/api/v1/nope").status == 404)
            // The streaming route counts under its own path, not "unknown".
            #expect(try client.post("/api/v1/events", "{}").status == 405)
            let text = try client.request("GET", "/metrics", headers: Self.textAccept).text
            #expect(text.contains("swiftmultiurisrc_rest_requests_total{route=\"/events\",code=\"405\"} 1\n"), "\(text)")
            #expect(text.contains("swiftmultiurisrc_rest_requests_total{route=\"/roi/update\",code=\"200\"} 1\n"))
            #expect(!text.contains("code=\"400\""))
            #expect(text.contains("swiftmultiurisrc_rest_requests_total{route=\"unknown\",code=\"404\"} 1\n"))
            lenient.stop()
        }

        // MARK: the parser

        /// Python is there, or CI says it must be (then the test fails in
        /// `PrometheusParser.make`).
        static let pythonOrCI: Bool = PrometheusParser.pythonPath != nil || PrometheusParser.requiredByCI
    }
}

private func real(_ v: JSONValue?) -> Double? {
    switch v {
    case let .real(d)?: d
    case let .integer(i)?: Double(i)
    default: nil
    }
}

/// One scrape as prometheus_client read it.
struct ParsedScrape {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }
    /// Family name (as the parser names it: counters without "_total") -> type.
    var types: [String: String] = [:]
    var samples: [Sample] = []
    /// Exposition-format rules the parser does not enforce, checked by the script.
    var errors: [String] = []

    /// The one sample named `name` whose labels include `labels`.
    func value(_ name: String, _ labels: [String: String]) -> Double? {
        let found = samples.filter { s in s.name == name && labels.allSatisfy { s.labels[$0.key] == $0.value } }
        return found.count == 1 ? found[0].value : nil
    }

    /// swiftmultiurisrc_rest_requests_total as "route code" -> count.
    var restRequests: [String: Double] {
        var out: [String: Double] = [:]
        for s in samples where s.name == "swiftmultiurisrc_rest_requests_total" {
            out["\(s.labels["route"] ?? "?") \(s.labels["code"] ?? "?")"] = s.value
        }
        return out
    }
}

/// prometheus_client.parser.text_string_to_metric_families in the venv's
/// python, through a script written at test time that prints every family
/// as JSON, plus checks of the format's rules the parser lets pass (name
/// syntax, one TYPE per family before its samples, final newline).
struct PrometheusParser {
    let python: String
    let directory: String

    static var pythonPath: String? {
        guard let p = getenv("SWIFT_MULTIURISRC_PYTHON").map({ String(cString: $0) }), !p.isEmpty,
              access(p, X_OK) == 0 else { return nil }
        return p
    }

    static var requiredByCI: Bool { getenv("CI").map { String(cString: $0) } == "true" }

    /// nil (test skipped) without python, unless CI=true: then it fails.
    static func make(sourceLocation: SourceLocation = #_sourceLocation) throws -> PrometheusParser? {
        guard let python = pythonPath else {
            Issue.record("SWIFT_MULTIURISRC_PYTHON is not set or not executable and CI=true: run scripts/run-tests.sh",
                         sourceLocation: sourceLocation)
            return nil
        }
        var template = Array("/tmp/swiftmultiurisrc-metrics-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { buf -> String? in
            guard let p = mkdtemp(buf.baseAddress!) else { return nil }
            return String(cString: p)
        }
        guard let dir else {
            Issue.record("mkdtemp failed", sourceLocation: sourceLocation)
            return nil
        }
        try write(script, to: "\(dir)/parse.py")
        return PrometheusParser(python: python, directory: dir)
    }

    static func write(_ text: String, to path: String) throws {
        guard let f = fopen(path, "w") else { throw ParseFailure("cannot write \(path)") }
        defer { fclose(f) }
        let bytes = Array(text.utf8)
        guard fwrite(bytes, 1, bytes.count, f) == bytes.count else { throw ParseFailure("short write to \(path)") }
    }

    struct ParseFailure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    func parse(_ text: String) throws -> ParsedScrape {
        let input = "\(directory)/scrape.txt"
        try Self.write(text, to: input)
        let run = try ChildProcess.run(python, ["\(directory)/parse.py", input], timeoutSeconds: 60)
        guard run.status == 0, !run.timedOut else {
            throw ParseFailure("prometheus_client refused the scrape (status \(run.status)): \(run.stderr)\n\(text)")
        }
        guard case let .object(root) = try JSONCodec.parse(Array(run.stdout.utf8)) else {
            throw ParseFailure("parser output is not a JSON object: \(run.stdout)")
        }
        var scrape = ParsedScrape()
        if case let .array(errors)? = root["errors"] { scrape.errors = errors.compactMap(string) }
        guard case let .array(families)? = root["families"] else { throw ParseFailure("no families: \(run.stdout)") }
        for family in families {
            guard case let .object(f) = family, let name = string(f["name"]), let type = string(f["type"]),
                  case let .array(samples)? = f["samples"] else { throw ParseFailure("odd family \(family)") }
            if scrape.types[name] != nil { scrape.errors.append("family \(name) twice") }
            scrape.types[name] = type
            for sample in samples {
                guard case let .object(s) = sample, let sampleName = string(s["name"]),
                      case let .object(labelObject)? = s["labels"], let value = string(s["value"]).flatMap(Double.init) else {
                    throw ParseFailure("odd sample \(sample)")
                }
                var labels: [String: String] = [:]
                for (k, v) in labelObject.members { labels[k] = string(v) ?? "" }
                scrape.samples.append(.init(name: sampleName, labels: labels, value: value))
            }
        }
        return scrape
    }

    static let script = #"""
    import json, re, sys
    from prometheus_client.parser import text_string_to_metric_families

    text = open(sys.argv[1], encoding="utf-8").read()
    errors = []
    metric_name = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
    label_name = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
    if not text.endswith("\n"):
        errors.append("no final newline")
    typed, helped, seen_samples = {}, set(), set()
    for line in text.split("\n"):
        if line.startswith("# TYPE "):
            parts = line.split(" ")
            if len(parts) != 4 or parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                errors.append("bad TYPE line: " + line)
            elif parts[2] in typed:
                errors.append("TYPE twice: " + parts[2])
            elif any(s == parts[2] or s.startswith(parts[2] + "_") for s in seen_samples):
                errors.append("TYPE after samples: " + parts[2])
            else:
                typed[parts[2]] = parts[3]
        elif line.startswith("# HELP "):
            helped.add(line.split(" ")[2])
        elif line and not line.startswith("#"):
            seen_samples.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    for name in typed:
        if name not in helped:
            errors.append("no HELP: " + name)
    families = []
    for family in text_string_to_metric_families(text):
        samples = []
        for s in family.samples:
            if not metric_name.match(s.name):
                errors.append("metric name: " + s.name)
            for k in s.labels:
                if not label_name.match(k) or k.startswith("__"):
                    errors.append("label name: " + k)
            samples.append({"name": s.name, "labels": s.labels, "value": repr(float(s.value))})
        families.append({"name": family.name, "type": family.type, "samples": samples})
    print(json.dumps({"families": families, "errors": errors}))
    """#
}
