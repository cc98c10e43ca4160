import CGStreamer
import ChildProcess
import Dispatch
import Foundation
import GstSwiftBridge
import Glibc
import Synchronization
import Testing
@testable import swiftmultiurisrc

/// The encoder policy and the Control API's bodies, without a pipeline.
@Suite struct EncoderPolicyTests {
    @Test func hardwareBelowTheThresholdOnlyWhenPresent() {
        let withHw = EncoderPolicy(softwareList: "x264enc,avenc_h264,openh264enc", hwThreshold: 2, swMax: 3,
                                   maxStreams: 0, exists: { ["vah264enc", "x264enc", "openh264enc"].contains($0) })
        #expect(withHw.choice(for: 0) == .init(factory: "vah264enc", name: "vaapi", hardware: true))
        #expect(withHw.choice(for: 1)?.hardware == true)
        #expect(withHw.choice(for: 2) == .init(factory: "x264enc", name: "x264", hardware: false))
        #expect(withHw.max == 5 && withHw.hwMax == 2)
        // Two hardware ids free, three software ones taken: only hardware fits.
        #expect(withHw.admits(id: 0, inUse: [2, 3, 4]))
        #expect(!withHw.admits(id: 5, inUse: [0, 1, 2, 3, 4]))
        #expect(!withHw.admits(id: 5, inUse: [2, 3, 4]) )

        let noHw = EncoderPolicy(softwareList: "x264enc,avenc_h264,openh264enc", hwThreshold: 8, swMax: 2,
                                 maxStreams: 0, exists: { $0 == "openh264enc" })
        #expect(noHw.hwMax == 0, "no hardware: the threshold counts as 0")
        #expect(noHw.choice(for: 0) == .init(factory: "openh264enc", name: "openh264", hardware: false))
        #expect(noHw.max == 2)
        #expect(noHw.admits(id: 1, inUse: [0]))
        #expect(!noHw.admits(id: 2, inUse: [0, 1]))
        let none = EncoderPolicy(softwareList: "x264enc", hwThreshold: 0, swMax: 4, maxStreams: 1, exists: { _ in false })
        #expect(none.choice(for: 0) == nil)
        #expect(none.max == 1 && !none.admits(id: 1, inUse: [0]))
        #expect(EncoderPolicy.lowestFree([0, 1, 3]) == 2)
        #expect(EncoderPolicy.lowestFree([]) == 0)
    }

    @Test func requestBodiesAndErrorsAsTheSeedWritesThem() {
        #expect(ControlApiV1.parseRequest(Array(" ".utf8)).map { $0.0 == nil && $0.1 == nil } == .success(true))
        #expect(ControlApiV1.parseRequest(Array(#"{"url":"file:///a.mp4","label":"x"}"#.utf8))
            .map { $0.0 == "file:///a.mp4" && $0.1 == "x" } == .success(true))
        for (body, field) in [(#"{"url":1}"#, "url"), (#"{"label":[]}"#, "label"), (#"{"url":""}"#, "url"),
                              ("[1]", "body"), ("{", "body")] {
            guard case let .failure(.invalidParam(message)) = ControlApiV1.parseRequest(Array(body.utf8)) else {
                Issue.record("\(body) accepted"); continue
            }
            #expect(message.hasPrefix(field + ":"), "\(body): \(message)")
        }
        let capacity = ControlApiV1.error(.capacity(max: 64, hwMax: 8, swMax: 56))
        #expect(capacity.status == 429)
        #expect(capacity.body == .object(JSONObject(["error": "capacity_exceeded", "max": 64, "hw_max": 8, "sw_max": 56])))
        #expect(ControlApiV1.error(.notFound).body == .object(JSONObject(["error": "not_found"])))
        #expect(ControlApiV1.error(.conflict).status == 409)
        #expect(ControlApiV1.error(.internalError("x")).body == .object(JSONObject(["error": "internal_error"])))
        #expect(ControlApiV1.iso8601(1_759_485_321) == "2025-10-03T09:55:21Z")
        #expect(RtspPath.streamId("/s12/stream=0") == 12 && RtspPath.streamId("/s") == nil && RtspPath.streamId("/s1x") == nil)
        #expect(RtspOutBin.looksLikeUri("rtsp://cam/1") && !RtspOutBin.looksLikeUri("nope") && !RtspOutBin.looksLikeUri("://x"))
    }
}

extension PipelineSuites {
    /// swiftrtspoutbin after swiftmultiurisrcbin in a playing pipeline, driven
    /// through the seed's Control API over real HTTP, watched by real RTSP
    /// clients: rtspsrc in this process and ffmpeg/ffprobe as children.
    @Suite(.serialized) struct RtspOutTests {
        init() { TestGst.setUp() }

        struct Service {
            let pipeline: TestPipeline
            let http: HTTPClient
            let rtspPort: UInt16
            let out: RtspOutBin
            let bin: MultiUriSrcBin
        }

        /// The one-liner of gst-launch-examples/control-api-v1.sh, on free ports.
        static func service(_ outProperties: String) throws -> Service {
            let port = freeLocalPort()
            let p = TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) live-source=true "
                + "file-loop=true source-id-allocation=lowest-free width=320 height=240 max-batch-size=8 ! "
                + "swiftrtspoutbin name=out rtsp-port=0 rtsp-address=127.0.0.1 public-host=127.0.0.1 hw-threshold=0 "
                + outProperties)
            p.play()
            let bin = try #require(p.bin())
            #expect(waitUntil(ms: 5_000) { bin.isReady })
            let element = try #require(p.element("out"))
            let out = try #require(swiftImpl(ofInstance: UnsafeMutableRawPointer(element), as: RtspOutBin.self))
            #expect(out.boundPort != 0)
            return Service(pipeline: p, http: HTTPClient(port: port, timeoutMs: 20_000), rtspPort: out.boundPort,
                           out: out, bin: bin)
        }

        static func request(_ s: Service, _ body: String) throws -> (Int, JSONObject) {
            let r = try s.http.post("/requestStream", body, contentType: "application/json")
            return (r.status, jsonObject(r))
        }

        static func streams(_ s: Service) throws -> [UInt32: JSONObject] {
            let r = try s.http.get("/streams")
            #expect(r.status == 200)
            guard case let .array(list)? = jsonObject(r)["streams"] else { return [:] }
            var out: [UInt32: JSONObject] = [:]
            for case let .object(o) in list { if let id = integer(o["id"]) { out[UInt32(id)] = o } }
            return out
        }

        static func viewers(_ s: Service, _ id: UInt32) -> Int64 {
            ((try? streams(s))?[id]).flatMap { integer($0["viewers"]) } ?? -1
        }

        @Test func requestedStreamsPlayTheirOwnPictureToIndependentClients() throws {
            let s = try Self.service("udp-egress=true base-udp-port=\(freeLocalPort()) sw-max=2 idle-ttl-secs=0")
            let base = UInt16(gsb_object_get_uint(s.pipeline.element("out")!, "base-udp-port"))
            let ball = TestMedia.h264(pattern: "ball", frames: 60)
            let smpte = TestMedia.h264(pattern: "smpte", frames: 60)

            let (status0, first) = try Self.request(s, #"{"url":"\#(ball)","label":"ball"}"#)
            #expect(status0 == 200, "\(first)")
            #expect(integer(first["streamId"]) == 0)
            #expect(string(first["rtspUrl"]) == "rtsp://127.0.0.1:\(s.rtspPort)/s0")
            #expect(string(first["path"]) == "/s0")
            #expect(integer(first["udp"]) == Int64(base))
            #expect(string(first["encoder"]) == "x264")
            let (status1, second) = try Self.request(s, #"{"url":"\#(smpte)"}"#)
            #expect(status1 == 200 && integer(second["streamId"]) == 1, "\(second)")

            // Capacity: the three numbers, and nothing was added.
            let (full, refused) = try Self.request(s, #"{"url":"\#(ball)"}"#)
            #expect(full == 429)
            #expect(refused == JSONObject(["error": "capacity_exceeded", "max": 2, "hw_max": 0, "sw_max": 2]))
            // Bad input: 400 naming the field; the pipeline plays on.
            for (body, field) in [(#"{"url":"not a uri"}"#, "url"), (#"{"url":7}"#, "url"), (#"{"label":{}}"#, "label")] {
                let (code, answer) = try Self.request(s, body)
                #expect(code == 400 && string(answer["error"]) == "invalid_param", "\(body): \(answer)")
                #expect(string(answer["message"])?.hasPrefix(field) == true, "\(body): \(answer)")
            }
            #expect(s.bin.streams().count == 2)

            // Each path shows its own source: ball's corner is black, smpte's white.
            let viewer0 = RtspViewer("rtsp://127.0.0.1:\(s.rtspPort)/s0")
            let viewer1 = RtspViewer("rtsp://127.0.0.1:\(s.rtspPort)/s1")
            // On a miss, the streams' states say whether the source or the output stalled.
            func states() -> String { "\((try? Self.streams(s)).map { "\($0)" } ?? "?"); bin: \(s.bin.streams())" }
            #expect(viewer0.pull(untilFrames: 45, ms: 10_000), "s0: \(viewer0.frames) frames; \(states())")
            #expect(viewer1.pull(untilFrames: 45, ms: 10_000), "s1: \(viewer1.frames) frames; \(states())")
            #expect(viewer0.width == 320 && viewer0.height == 240)
            #expect(viewer0.cornerBrightness < 60, "s0 corner \(viewer0.cornerBrightness)")
            #expect(viewer1.cornerBrightness > 150, "s1 corner \(viewer1.cornerBrightness)")
            // At the source's rate: no burst (frames 33 ms apart, not 0), nothing stalls.
            #expect((20...100).contains(viewer0.medianGapMs), "s0 median gap \(viewer0.medianGapMs) ms")
            #expect((20...100).contains(viewer1.medianGapMs), "s1 median gap \(viewer1.medianGapMs) ms")
            #expect(waitUntil(ms: 2_000) { Self.viewers(s, 0) == 1 && Self.viewers(s, 1) == 1 })
            let listed = try Self.streams(s)
            #expect(string(listed[0]?["label"]) == "ball" && string(listed[0]?["state"]) == "ready", "\(listed)")
            #expect(string(listed[1]?["lastActive"])?.hasSuffix("Z") == true)

            // An independent client (ffmpeg) joins s0 late: viewers 2, it decodes frames.
            let ffmpeg = Mutex<ChildProcess.Output?>(nil)
            let done = DispatchSemaphore(value: 0)
            let url = "rtsp://127.0.0.1:\(s.rtspPort)/s0"
            DispatchQueue.global().async {
                let run = try? ChildProcess.run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-stats", "-rtsp_transport", "tcp",
                                                                  "-i", url, "-t", "3", "-f", "null", "-"],
                                                timeoutSeconds: Double(20 * waitSlack))
                ffmpeg.withLock { $0 = run }
                done.signal()
            }
            #expect(waitUntil(ms: 5_000) { Self.viewers(s, 0) == 2 }, "viewers \(Self.viewers(s, 0))")
            done.wait()
            let run = ffmpeg.withLock { $0 }
            #expect(run?.status == 0, "\(run?.stderr ?? "ffmpeg did not run")")
            let decoded = run?.stderr.components(separatedBy: "frame=").last
                .flatMap { Int($0.trimmingCharacters(in: .whitespaces).prefix { $0.isNumber }) } ?? 0
            #expect(decoded >= 45, "ffmpeg decoded \(decoded) frames")
            #expect(waitUntil(ms: 3_000) { Self.viewers(s, 0) == 1 })
            // The client that leaves mid-stream: 0 viewers, the stream stays.
            viewer0.stop()
            #expect(waitUntil(ms: 3_000) { Self.viewers(s, 0) == 0 })

            let probe = try ChildProcess.run("/usr/bin/ffprobe", ["-v", "error", "-rtsp_transport", "tcp", "-select_streams", "v",
                                                                 "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0",
                                                                 "rtsp://127.0.0.1:\(s.rtspPort)/s1"], timeoutSeconds: Double(15 * waitSlack))
            #expect(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "h264,320,240", "\(probe.stdout) \(probe.stderr)")

            // enc/bitrate over the bin's own REST route reaches stream 1's encoder only.
            let enc1 = try #require(s.pipeline.element("s1-enc"))
            let enc0 = try #require(s.pipeline.element("s0-enc"))
            let bitrate = try s.http.post("/api/v1/enc/bitrate", #"{"stream":{"stream_id":"1","bitrate":700000}}"#)
            #expect(bitrate.status == 200, "\(bitrate.text)")
            #expect(waitUntil(ms: 3_000) { gsb_object_get_uint(enc1, "bitrate") == 700 })
            #expect(gsb_object_get_uint(enc0, "bitrate") == 2000)

            // UDP egress reaches base+1; DELETE while viewer1 plays frees everything.
            let udp = UDPCounter(port: base + 1)
            #expect(udp.bound)
            #expect(udp.count(forMs: 500) > 0, "no RTP on UDP port \(base + 1)")
            #expect(rtspDescribeStatus(port: s.rtspPort, path: "/s1") == 200)
            let deleted = try s.http.request("DELETE", "/deleteStream/1")
            #expect(deleted.status == 200 && jsonObject(deleted) == JSONObject(["deleted": 1]), "\(deleted.text)")
            #expect(rtspDescribeStatus(port: s.rtspPort, path: "/s1") == 404)
            _ = udp.count(forMs: 100)
            #expect(udp.count(forMs: 300) == 0, "RTP still sent after DELETE")
            #expect(s.pipeline.element("s1-enc") == nil && s.pipeline.element("s1-udpsink") == nil)
            #expect(s.bin.streams().map(\.sourceId) == [0])
            let again = try s.http.request("DELETE", "/deleteStream/1")
            #expect(again.status == 404 && jsonObject(again) == JSONObject(["error": "not_found"]))
            let junk = try s.http.request("DELETE", "/deleteStream/abc")
            #expect(junk.status == 400 && string(jsonObject(junk)["message"])?.hasPrefix("id") == true)
            // The freed id is the lowest free one again.
            let (status2, third) = try Self.request(s, #"{"url":"\#(smpte)"}"#)
            #expect(status2 == 200 && integer(third["streamId"]) == 1, "\(third)")
            viewer1.stop()
            s.pipeline.drain()
            #expect(s.pipeline.errors.isEmpty, "\(s.pipeline.errors.map { $0.text ?? "" })")
            s.pipeline.stop()
        }

        @Test func thirtyTwoRequestDeleteCyclesLeaveNothingBehindWhileAnotherPlays() throws {
            let s = try Self.service("udp-egress=true base-udp-port=\(freeLocalPort()) idle-ttl-secs=0")
            let ball = TestMedia.h264(pattern: "ball", frames: 60)
            let smpte = TestMedia.h264(pattern: "smpte", frames: 60)
            let (status, _) = try Self.request(s, #"{"url":"\#(ball)"}"#)
            #expect(status == 200)
            let viewer = RtspViewer("rtsp://127.0.0.1:\(s.rtspPort)/s0")
            #expect(viewer.pull(untilFrames: 10, ms: 10_000))
            // A first cycle warms up thread pools and caches before counting.
            for _ in 0..<2 {
                _ = try Self.request(s, #"{"url":"\#(smpte)"}"#)
                _ = try s.http.request("DELETE", "/deleteStream/1")
            }
            let fds = openDescriptorCount(), threads = processThreadCount(), kinds = descriptorKinds()
            for cycle in 0..<32 {
                let (code, answer) = try Self.request(s, #"{"url":"\#(smpte)","label":"c\#(cycle)"}"#)
                #expect(code == 200 && integer(answer["streamId"]) == 1, "cycle \(cycle): \(answer)")
                if cycle % 8 == 0 {
                    // Once in a while a viewer (a child process: its own
                    // descriptors and threads are not counted) plays it first.
                    let probe = try ChildProcess.run("/usr/bin/ffprobe", ["-v", "error", "-rtsp_transport", "tcp",
                                                                         "-show_entries", "stream=codec_name", "-of", "csv=p=0",
                                                                         "rtsp://127.0.0.1:\(s.rtspPort)/s1"],
                                                     timeoutSeconds: Double(15 * waitSlack))
                    #expect(probe.stdout.hasPrefix("h264"), "cycle \(cycle): \(probe.stderr)")
                }
                let deleted = try s.http.request("DELETE", "/deleteStream/1")
                #expect(deleted.status == 200, "cycle \(cycle): \(deleted.text)")
                viewer.pull(untilFrames: viewer.frames + 2, ms: 2_000)
                // As an application's bus watch would: queued messages hold
                // their sources (a removed udpsink and its descriptor).
                s.pipeline.drain()
            }
            #expect(rtspDescribeStatus(port: s.rtspPort, path: "/s1") == 404)
            // The stream that stayed kept playing its own picture.
            let before = viewer.frames
            #expect(viewer.pull(untilFrames: before + 30, ms: 5_000))
            #expect(viewer.cornerBrightness < 60)
            // ChildProcess's Foundation run loops bring one eventpoll, eventfd
            // and timerfd each; they are not ours.
            let runLoops = { (descriptorKinds()["anon_inode:[eventpoll]"] ?? 0) - (kinds["anon_inode:[eventpoll]"] ?? 0) }
            #expect(waitUntil(ms: 3_000) { openDescriptorCount() - 3 * runLoops() <= fds + 2 },
                    "fds \(fds) → \(openDescriptorCount()): \(kinds) → \(descriptorKinds())")
            #expect(waitUntil(ms: 3_000) { processThreadCount() <= threads + 4 }, "threads \(threads) → \(processThreadCount())")
            #expect(s.pipeline.element("s1-queue") == nil)
            #expect(waitUntil(ms: 2_000) { RtspOutBranch.alive.load(ordering: .relaxed) == 1 },
                    "branches alive: \(RtspOutBranch.alive.load(ordering: .relaxed))")
            viewer.stop()
            s.pipeline.drain()
            #expect(s.pipeline.errors.isEmpty, "\(s.pipeline.errors.map { $0.text ?? "" })")
            s.pipeline.stop()
        }

        @Test func idleStreamsGoAfterTheirTtlWatchedOnesStay() throws {
            let s = try Self.service("idle-ttl-secs=1 encoders=avenc_h264,openh264enc")
            let ball = TestMedia.h264(pattern: "ball", frames: 60)
            let smpte = TestMedia.h264(pattern: "smpte", frames: 60)
            // x264enc is not on the list: the fallback chain skips the missing
            // avenc_h264 and lands on openh264enc, which plays.
            let (_, watched) = try Self.request(s, #"{"url":"\#(ball)"}"#)
            #expect(string(watched["encoder"]) == "openh264", "\(watched)")
            let viewer = RtspViewer("rtsp://127.0.0.1:\(s.rtspPort)/s0")
            let (_, idle) = try Self.request(s, #"{"url":"\#(smpte)"}"#)
            #expect(integer(idle["streamId"]) == 1)
            #expect(viewer.pull(untilFrames: 30, ms: 10_000), "openh264 stream: \(viewer.frames) frames")
            #expect(viewer.cornerBrightness < 60)
            #expect(s.pipeline.element("s0-enc").map { String(cString: gsb_object_type_name($0)) } == "GstOpenh264Enc")
            #expect(waitUntil(ms: 5_000) { (try? Self.streams(s))?[1] == nil }, "idle stream 1 not deleted")
            #expect(waitUntil(ms: 2_000) { !s.bin.streams().contains { $0.sourceId == 1 } })
            #expect(rtspDescribeStatus(port: s.rtspPort, path: "/s1") == 404)
            // Stream 0 had a viewer all along.
            viewer.pull(untilFrames: viewer.frames + 30, ms: 3_000)
            #expect(try Self.streams(s)[0] != nil)
            viewer.stop()
            s.pipeline.stop()
        }

        /// Hostile clients on the Control API: a deep and a huge body, a page
        /// of another origin, four clients requesting at once and then racing
        /// to delete one id. Every answer is a refusal or one winner, ids stay
        /// distinct, and the stream that was playing plays on.
        @Test func hostileClientsOnTheControlApiLoseNothing() throws {
            let s = try Self.service("idle-ttl-secs=0")
            let clip = TestMedia.h264(pattern: "ball", frames: 60)
            let (first, _) = try Self.request(s, #"{"url":"\#(clip)"}"#)
            #expect(first == 200)
            let viewer = RtspViewer("rtsp://127.0.0.1:\(s.rtspPort)/s0")
            #expect(viewer.pull(untilFrames: 10, ms: 10_000))

            let deep = try s.http.post("/requestStream", String(repeating: "[", count: 10_000), contentType: "application/json")
            #expect(deep.status == 400, "\(deep.status) \(deep.text.prefix(200))")
            let huge = try s.http.post("/requestStream", #"{"url":""# + String(repeating: "a", count: 2_000_000) + #""}"#,
                                       contentType: "application/json")
            #expect(huge.status == 413 || huge.status == 400, "\(huge.status)")
            let foreign = try s.http.request("POST", "/requestStream", body: Array(#"{"url":"\#(clip)"}"#.utf8),
                                             headers: [("Content-Type", "application/json"), ("Origin", "http://evil.example")])
            #expect(foreign.status == 403, "\(foreign.status)")
            #expect(try Self.streams(s).count == 1)

            let port = s.http.port
            let ids = Mutex<[Int64]>([])
            runOnThreads(4) { _ in
                let http = HTTPClient(port: port, timeoutMs: 20_000)
                if let r = try? http.post("/requestStream", #"{"url":"\#(clip)"}"#, contentType: "application/json"),
                   r.status == 200, let id = integer(jsonObject(r)["streamId"]) {
                    ids.withLock { $0.append(id) }
                }
            }
            let got = ids.withLock { $0 }
            #expect(got.count == 4 && Set(got).count == 4 && !got.contains(0), "\(got)")
            let codes = Mutex<[Int]>([])
            runOnThreads(4) { _ in
                let http = HTTPClient(port: port, timeoutMs: 20_000)
                let status = (try? http.request("DELETE", "/deleteStream/1"))?.status ?? -1
                codes.withLock { $0.append(status) }
            }
            let answered = codes.withLock { $0 }
            #expect(answered.filter { $0 == 200 }.count == 1
                    && answered.allSatisfy { [200, 404, 409].contains($0) }, "\(answered)")
            #expect(try Self.streams(s)[1] == nil)
            #expect(viewer.pull(untilFrames: viewer.frames + 15, ms: 5_000))
            viewer.stop()
            s.pipeline.stop()
        }

        @Test func aSourceThatFailsShowsErrorWhileTheOthersPlayAndDeletes() throws {
            let s = try Self.service("idle-ttl-secs=0")
            let (status0, _) = try Self.request(s, #"{"url":"\#(TestMedia.h264(pattern: "ball", frames: 60))"}"#)
            #expect(status0 == 200)
            let viewer = RtspViewer("rtsp://127.0.0.1:\(s.rtspPort)/s0")
            #expect(viewer.pull(untilFrames: 10, ms: 10_000))
            // A missing file is refused up front, nothing is listed.
            let (missing, refused) = try Self.request(s, #"{"url":"file:///nonexistent-\#(getpid()).mp4"}"#)
            #expect(missing == 400 && string(refused["error"]) == "invalid_param", "\(refused)")
            #expect(try Self.streams(s).count == 1)
            // A file that is there but no media: accepted, the source then fails on its own.
            let junk = "/tmp/swiftmultiurisrc-junk-\(getpid()).mp4"
            let bytes = Array(String(repeating: "not a video ", count: 400).utf8)
            #expect(FileManager.default.createFile(atPath: junk, contents: Data(bytes)))
            defer { unlink(junk) }
            let (status1, bad) = try Self.request(s, #"{"url":"file://\#(junk)","label":"gone"}"#)
            #expect(status1 == 200 && integer(bad["streamId"]) == 1, "\(bad)")
            #expect(waitUntil(ms: 5_000) { string((try? Self.streams(s))?[1]?["state"]) == "error" },
                    "\((try? Self.streams(s))?[1].map { "\($0)" } ?? "not listed")")
            let listed = try Self.streams(s)
            #expect(string(listed[0]?["state"]) == "ready" && string(listed[1]?["label"]) == "gone", "\(listed)")
            // Stream 0 plays on, its own picture.
            #expect(viewer.pull(untilFrames: viewer.frames + 15, ms: 5_000))
            #expect(viewer.cornerBrightness < 60)
            let deleted = try s.http.request("DELETE", "/deleteStream/1")
            #expect(deleted.status == 200 && jsonObject(deleted) == JSONObject(["deleted": 1]), "\(deleted.text)")
            #expect(try Self.streams(s)[1] == nil)
            #expect(try s.http.request("DELETE", "/deleteStream/1").status == 404)
            #expect(viewer.pull(untilFrames: viewer.frames + 5, ms: 3_000))
            viewer.stop()
            s.pipeline.stop()
        }

        @Test func iframeIntervalOverTheBinsRouteChangesThatStreamsEncoder() throws {
            let s = try Self.service("idle-ttl-secs=0")
            let (status, _) = try Self.request(s, #"{"url":"\#(TestMedia.h264(pattern: "ball", frames: 60))"}"#)
            #expect(status == 200)
            let viewer = RtspViewer("rtsp://127.0.0.1:\(s.rtspPort)/s0")
            #expect(viewer.pull(untilFrames: 5, ms: 10_000))
            // Frames between key frames as they leave whichever encoder s0 has.
            var gaps = try KeyFrameGaps(#require(s.pipeline.element("s0-enc")))
            // Positive control: the default interval (30) shows first.
            #expect(waitUntil(ms: 5_000) { gaps.gaps.contains(30) }, "\(gaps.gaps)")
            let r = try s.http.post("/api/v1/enc/iframe-interval", #"{"stream":{"stream_id":"0","iframeinterval":10}}"#)
            #expect(r.status == 200, "\(r.text)")
            #expect(waitUntil(ms: 3_000) { s.pipeline.element("s0-enc").map { gsb_object_get_uint($0, "key-int-max") } == 10 })
            // Count again at the encoder that now runs: every gap is at most 10.
            gaps = try KeyFrameGaps(#require(s.pipeline.element("s0-enc")))
            #expect(waitUntil(ms: 5_000) { gaps.gaps.count >= 4 }, "\(gaps.gaps)")
            #expect(gaps.gaps.allSatisfy { $0 <= 10 }, "\(gaps.gaps)")
            #expect(viewer.pull(untilFrames: viewer.frames + 20, ms: 5_000), "the client plays on")
            viewer.stop()
            s.pipeline.drain()
            #expect(s.pipeline.errors.isEmpty, "\(s.pipeline.errors.map { $0.text ?? "" })")
            s.pipeline.stop()
        }

        @Test func noEncoderIsAnInternalErrorAndABusyRtspPortAnElementError() throws {
            let s = try Self.service("encoders=no-such-encoder")
            let (code, answer) = try Self.request(s, #"{"url":"\#(TestMedia.h264(pattern: "ball", frames: 60))"}"#)
            #expect(code == 500 && answer == JSONObject(["error": "internal_error"]))
            #expect(s.bin.streams().isEmpty)
            let busy = s.rtspPort
            let p = TestPipeline("videotestsrc is-live=true ! swiftrtspoutbin rtsp-port=\(busy) rtsp-address=127.0.0.1")
            #expect(p.setState(GST_STATE_READY) == GST_STATE_CHANGE_FAILURE)
            let error = p.waitFor([GST_MESSAGE_ERROR], timeoutMs: 2_000)
            #expect(error?.text?.contains("\(busy)") == true, "\(error?.text ?? "no error")")
            p.stop()
            s.pipeline.stop()
        }
    }
}

/// Frames from one key frame to the next at an encoder's src pad (from the
/// first key frame the probe sees); the probe lives as long as the pad.
final class KeyFrameGaps: Sendable {
    private let state = Mutex<(sinceKey: Int, gaps: [Int])>((-1, []))
    var gaps: [Int] { state.withLock { $0.gaps } }

    init(_ encoder: UnsafeMutablePointer<GstElement>) {
        guard let pad = gst_element_get_static_pad(encoder, "src") else { return }
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, { _, info, data in
            guard let info, let data, let buffer = gsb_probe_info_buffer(info) else { return GST_PAD_PROBE_OK }
            let key = gst_buffer_has_flags(buffer, GST_BUFFER_FLAG_DELTA_UNIT) == 0
            Unmanaged<KeyFrameGaps>.fromOpaque(data).takeUnretainedValue().state.withLock { g in
                if key {
                    if g.sinceKey >= 0 { g.gaps.append(g.sinceKey) }
                    g.sinceKey = 1
                } else if g.sinceKey >= 0 {
                    g.sinceKey += 1
                }
            }
            return GST_PAD_PROBE_OK
        }, Unmanaged.passRetained(self).toOpaque(), { data in
            guard let data else { return }
            Unmanaged<KeyFrameGaps>.fromOpaque(data).release()
        })
        gst_object_unref(UnsafeMutableRawPointer(pad))
    }
}
