import CGStreamer
import GstSwiftBridge
import Glibc
import Synchronization
import Testing
import Foundation
@testable import swiftmultiurisrc

/// A folder of its own for one test.
func makeStateFolder() throws -> String {
    var template = Array("/tmp/swiftmultiurisrc-statefile-XXXXXX".utf8CString)
    return try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
}

/// The camera ids a state file lists, in order; nil when there is no file.
/// A file that does not decode fails the test that reads it.
func stateFileCameras(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String]? {
    switch SensorStateFile.readFile(path) {
    case .absent: return nil
    case let .failed(why):
        Issue.record("\(path): \(why)", sourceLocation: sourceLocation)
        return nil
    case let .bytes(bytes):
        do { return try SensorStateFile.decode(bytes).map(\.cameraId) } catch {
            Issue.record("\(path) does not decode: \(error.detail): \(String(decoding: bytes.prefix(300), as: UTF8.self))",
                         sourceLocation: sourceLocation)
            return nil
        }
    }
}

func writeFile(_ path: String, _ text: String) {
    guard let f = fopen(path, "w") else { return }
    fputs(text, f)
    fclose(f)
}

/// The format and the atomic write without a pipeline.
@Suite struct StateFileFormatTests {
    @Test func encodeThenDecodeKeepsWhatDescribesTheStream() throws {
        var a = AddStreamRequest(cameraId: "a", cameraName: "front door", uri: "rtsp://u:p@10.0.0.1/s")
        a.labels = ["site": "north", "floor": "2"]
        a.options = SourceOptions(latencyMs: 50, rtpProtocol: 4, dropFrameInterval: 2, fileLoop: true)
        a.stopAfterFrames = 300
        a.stopAfterSeconds = 60
        let b = AddStreamRequest(cameraId: "b", cameraName: "", uri: "file:///x.mp4")
        let bytes = SensorStateFile.encode([a, b])
        #expect(try SensorStateFile.decode(bytes) == [a, b])
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"version":1,"sensors":[{"camera_id":"a""#), "\(text)")
        #expect(!text.contains("wait_for_first_frame_ms"))
    }

    @Test func decodeNamesWhatIsWrong() {
        let cases: [(String, String)] = [
            (#"{"version":1,"sensors":[{"camera_id":"x"}]}"#, "sensors[0].camera_url"),
            (#"{"version":2,"sensors":[]}"#, "version"),
            (#"{"sensors":[]}"#, "version"),
            (#"{"version":1}"#, "sensors"),
            (#"{"version":1,"sensors":[7]}"#, "sensors[0]"),
            (#"{"version":1,"sensors":[{"camera_id":"x","camera_url":"file:///a"},{"camera_id":"x","camera_url":"file:///b"}]}"#,
             "sensors[1].camera_id"),
            (#"{"version":1,"sensors":[{"camera_id":"x","camera_url":"file:///a","change":"camera_remove"}]}"#, "sensors[0].change"),
            (#"{"version":1,"sensors":[{"camera_id":"x","camera_url":"file:///a","options":{"latncy":1}}]}"#, "sensors[0].options.latncy"),
            (#"{"version":1,"sens"#, "malformed"),
            ("", "empty"),
        ]
        for (text, field) in cases {
            do {
                _ = try SensorStateFile.decode(Array(text.utf8))
                Issue.record("decoded: \(text)")
            } catch {
                #expect(error.detail.contains(field), "\(text): \(error.detail)")
            }
        }
        // Positive control: the smallest valid file.
        #expect((try? SensorStateFile.decode(Array(#"{"version":1,"sensors":[]}"#.utf8))) == [])
    }

    @Test func writesAtomicallyAndReportsWhatFailed() throws {
        let folder = try makeStateFolder()
        let path = "\(folder)/state.json"
        #expect(SensorStateFile.writeAtomically(SensorStateFile.encode([]), to: path) == nil)
        #expect(stateFileCameras(path) == [])
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600, "mode \(String(st.st_mode & 0o777, radix: 8))")
        #expect(access(path + ".tmp", F_OK) != 0, "the temporary file stayed")
        // A folder that is gone: the old file is untouched and the reason names the temporary file.
        let missing = "\(folder)/gone/state.json"
        let error = SensorStateFile.writeAtomically(SensorStateFile.encode([]), to: missing)
        #expect(error?.contains("\(missing).tmp") == true, "\(error ?? "no error")")
        #expect(SensorStateFile.directory(of: "state.json") == ".")
        #expect(SensorStateFile.directory(of: "/state.json") == "/")
        #expect(SensorStateFile.directory(of: "/a/b/state.json") == "/a/b")
    }

    @Test func loadTellsAbsentFromUnreadable() throws {
        let folder = try makeStateFolder()
        #expect(try SensorStateFile.load("\(folder)/none.json") == [])
        do {
            _ = try SensorStateFile.load(folder)  // a folder: cannot be read as a file
            Issue.record("a folder loaded as a state file")
        } catch {
            #expect(error.detail.contains("state-file '\(folder)'"), "\(error.detail)")
        }
    }
}

extension PipelineSuites {
    /// state-file in real pipelines over real HTTP: sensors come back after a
    /// restart and play, removals stick, a corrupt file stops the start, a
    /// write failure is reported and mended, and a kill -9 during a burst of
    /// adds never leaves a file that does not parse or lacks an answered add.
    @Suite(.serialized) struct StateFileTests {
        init() { TestGst.setUp() }

        /// A playing pipeline with the state file, its REST port and a recorder.
        struct Running {
            let pipeline: TestPipeline
            let recorder: PadRecorder
            let http: HTTPClient
            let bin: MultiUriSrcBin
        }

        func start(_ path: String, extra: String = "") throws -> Running {
            let port = freeLocalPort()
            let p = TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) strict-http-status=true "
                + "live-source=true file-loop=true width=96 height=64 state-file=\(path) \(extra) ! fakesink name=out sync=false")
            let recorder = PadRecorder(p.element("out")!)
            #expect(p.play() != GST_STATE_CHANGE_FAILURE)
            let bin = try #require(p.bin())
            #expect(waitUntil(ms: 5_000) { bin.isReady })
            return Running(pipeline: p, recorder: recorder, http: HTTPClient(port: port, timeoutMs: 10_000), bin: bin)
        }

        func add(_ r: Running, _ id: String, _ uri: String, extra: String = "") throws {
            expectAnswer(try r.http.post("/api/v1/stream/add", RestEndToEndTests.addBody(id, uri, extra: extra)),
                         200, "STREAM_ADD_SUCCESS")
        }

        func remove(_ r: Running, _ id: String) throws -> HTTPResponse {
            try r.http.post("/api/v1/stream/remove", RestEndToEndTests.addBody(id, "", change: "camera_remove"))
        }

        /// Every listed stream delivers frames.
        func expectPlaying(_ r: Running, _ ids: [String], sourceLocation: SourceLocation = #_sourceLocation) {
            let streams = r.bin.streams()
            #expect(streams.map(\.cameraId) == ids, sourceLocation: sourceLocation)
            let sources = streams.map(\.sourceId)
            #expect(waitUntil(ms: 10_000) { sources.allSatisfy { r.recorder.frames($0) > 5 } },
                    "frames: \(sources.map { r.recorder.frames($0) })", sourceLocation: sourceLocation)
        }

        @Test func sensorsAddedOverRestComeBackAfterARestartAndPlay() throws {
            let folder = try makeStateFolder()
            let path = "\(folder)/sensors.json"
            let clip = TestMedia.h264(pattern: "ball", frames: 30)
            do {
                let r = try start(path)
                try add(r, "cam-a", clip)
                try add(r, "cam-b", clip, extra: #","labels":{"site":"north"},"options":{"drop_frame_interval":2}"#)
                try add(r, "cam-c", clip)
                // Answered means written.
                #expect(stateFileCameras(path) == ["cam-a", "cam-b", "cam-c"])
                #expect(r.pipeline.stop() != GST_STATE_CHANGE_FAILURE)
            }
            do {
                let r = try start(path)
                expectPlaying(r, ["cam-a", "cam-b", "cam-c"])
                #expect(r.bin.streams().first { $0.cameraId == "cam-b" }?.labels == ["site": "north"])
                let info = jsonObject(try r.http.get("/api/v1/info"))
                guard case let .object(infoBody)? = info["info"], case let .object(state)? = infoBody["state_file"] else {
                    Issue.record("no state_file in info: \(info)")
                    return
                }
                #expect(integer(state["sensors"]) == 3)
                #expect(state["last_write_error"] == .null)
                expectAnswer(try remove(r, "cam-b"), 200, "STREAM_REMOVE_SUCCESS")
                #expect(stateFileCameras(path) == ["cam-a", "cam-c"])
                r.pipeline.drain()
                #expect(r.pipeline.errors.isEmpty)
                #expect(r.pipeline.stop() != GST_STATE_CHANGE_FAILURE)
            }
            do {
                // uri-list's sources first; they are never written.
                let r = try start(path, extra: "uri-list=\(clip) sensor-id-list=fixed")
                expectPlaying(r, ["fixed", "cam-a", "cam-c"])
                #expect(r.bin.streams().first?.sourceId == 0)
                try add(r, "cam-d", clip)
                #expect(stateFileCameras(path) == ["cam-a", "cam-c", "cam-d"])
                #expect(r.pipeline.stop() != GST_STATE_CHANGE_FAILURE)
            }
        }

        @Test func aCorruptFileFailsTheStartNamingItAndStaysAsItWas() throws {
            let folder = try makeStateFolder()
            for (index, text) in [#"{"version":1,"sensors":[{"camera_id":"x"}]}"#, #"{"version":1,"sens"#,
                                  #"{"version":9,"sensors":[]}"#].enumerated() {
                let path = "\(folder)/corrupt-\(index).json"
                writeFile(path, text)
                let p = TestPipeline("swiftmultiurisrcbin name=src port=0 state-file=\(path) ! fakesink")
                #expect(p.play() == GST_STATE_CHANGE_FAILURE, "\(text)")
                let error = p.waitFor([GST_MESSAGE_ERROR], timeoutMs: slack(2_000))
                #expect(error?.text?.contains(path) == true, "\(error?.text ?? "no error")")
                #expect(error?.text?.contains("corrupt") == true, "\(error?.text ?? "no error")")
                p.stop()
                var bytes = [UInt8](repeating: 0, count: 256)
                let f = fopen(path, "r")
                let n = f.map { fread(&bytes, 1, bytes.count, $0) } ?? 0
                if let f { fclose(f) }
                #expect(String(decoding: bytes.prefix(n), as: UTF8.self) == text, "the corrupt file was changed")
            }
            // Positive control: the same pipeline starts with a file that parses.
            let good = "\(folder)/good.json"
            writeFile(good, #"{"version":1,"sensors":[]}"#)
            let p = TestPipeline("swiftmultiurisrcbin name=src port=0 state-file=\(good) ! fakesink")
            #expect(p.play() != GST_STATE_CHANGE_FAILURE)
            p.stop()
        }

        /// Failure and EOS do not take a sensor out of the file (it was the
        /// user's request); stream/remove does, also once the sensor left;
        /// a stop condition does.
        @Test func failedAndEndedSensorsStayUntilRemovedOrStopped() throws {
            let folder = try makeStateFolder()
            let path = "\(folder)/sensors.json"
            let clip = TestMedia.h264(pattern: "ball", frames: 30)
            let r = try start(path)
            try add(r, "broken", TestMedia.garbage())
            #expect(r.pipeline.waitForElementMessage("stream-remove", timeoutMs: slack(5_000))?.fields["sensor-id"] == "broken")
            try add(r, "ends", clip, extra: #","options":{"file_loop":false}"#)
            #expect(waitUntil(ms: 10_000) { r.bin.streams().first { $0.cameraId == "ends" }?.state == .eos })
            try add(r, "stops", clip, extra: #","stop_after_frames":5"#)
            #expect(waitUntil(ms: 10_000) { r.bin.streams().allSatisfy { $0.cameraId != "stops" } })
            // Its stop writes later, on the file's queue.
            #expect(waitUntil(ms: 5_000) { stateFileCameras(path) == ["broken", "ends"] }, "\(stateFileCameras(path) ?? [])")
            #expect(r.bin.streams().map(\.cameraId) == ["ends"])
            // Only in the file: 404 as before, and the entry is dropped.
            expectAnswer(try remove(r, "broken"), 404, "STREAM_REMOVE_FAIL", mentions: ["state-file"])
            #expect(stateFileCameras(path) == ["ends"])
            expectAnswer(try remove(r, "broken"), 404, "STREAM_REMOVE_FAIL")
            expectAnswer(try remove(r, "ends"), 200, "STREAM_REMOVE_SUCCESS")
            #expect(stateFileCameras(path) == [])
            #expect(r.pipeline.stop() != GST_STATE_CHANGE_FAILURE)
        }

        @Test func aSensorThatCannotBeAddedAgainStaysInTheFile() throws {
            let folder = try makeStateFolder()
            let path = "\(folder)/sensors.json"
            let clip = TestMedia.h264(pattern: "ball", frames: 30)
            writeFile(path, #"{"version":1,"sensors":[{"camera_id":"one","camera_url":"\#(clip)"},{"camera_id":"two","camera_url":"\#(clip)"}]}"#)
            let r = try start(path, extra: "max-batch-size=1")
            expectPlaying(r, ["one"])
            r.pipeline.drain()
            #expect(r.pipeline.warnings.contains { ($0.text ?? "").contains("state-file sensor 'two' not added") },
                    "\(r.pipeline.warnings.map { $0.text ?? "" })")
            expectAnswer(try remove(r, "one"), 200, "STREAM_REMOVE_SUCCESS")
            #expect(stateFileCameras(path) == ["two"])
            #expect(r.pipeline.stop() != GST_STATE_CHANGE_FAILURE)
        }

        /// Four clients add and remove at once, also one camera id they all
        /// fight over: once every request is answered, the file lists
        /// exactly the sensors the bin has (the changes went to the file in
        /// the order they were made).
        @Test func concurrentAddsAndRemovesEndWithTheFileAsTheBin() throws {
            let folder = try makeStateFolder()
            let path = "\(folder)/sensors.json"
            let clip = TestMedia.h264(pattern: "ball", frames: 30)
            let r = try start(path, extra: "max-batch-size=64")
            let port = r.http.port
            let outcomes = Mutex<[Int: Int]>([:])
            runOnThreads(4) { client in
                let http = HTTPClient(port: port, timeoutMs: 15_000)
                for i in 0..<6 {
                    let own = "c\(client)-\(i)"
                    var codes = [(try? http.post("/api/v1/stream/add", RestEndToEndTests.addBody(own, clip)))?.status ?? -1]
                    if i % 2 == 0 {
                        codes.append((try? http.post("/api/v1/stream/remove", RestEndToEndTests.addBody(own, "", change: "camera_remove")))?.status ?? -1)
                    }
                    let add = (client + i) % 2 == 0
                    codes.append((try? http.post(add ? "/api/v1/stream/add" : "/api/v1/stream/remove",
                                                 RestEndToEndTests.addBody("shared", add ? clip : "", change: add ? "camera_add" : "camera_remove")))?.status ?? -1)
                    outcomes.withLock { o in codes.forEach { o[$0, default: 0] += 1 } }
                }
            }
            let seen = outcomes.withLock { $0 }
            #expect(Set(seen.keys).isSubset(of: [200, 404, 409]), "\(seen)")
            let inBin = Set(r.bin.streams().map(\.cameraId))
            #expect(inBin.isSuperset(of: (0..<4).flatMap { c in [1, 3, 5].map { "c\(c)-\($0)" } }), "\(inBin.sorted())")
            #expect(Set(stateFileCameras(path) ?? []) == inBin, "file \(stateFileCameras(path) ?? []) bin \(inBin.sorted())")
            #expect(r.pipeline.stop() != GST_STATE_CHANGE_FAILURE)
        }

        /// The folder vanishes under a running pipeline: the add stands and
        /// is answered, the failure is a bus warning and in GET info, and the
        /// next write after the folder is back carries both changes.
        @Test func aWriteFailureIsReportedAndTheNextWriteMendsIt() throws {
            let parent = try makeStateFolder()
            let folder = "\(parent)/state"
            #expect(mkdir(folder, 0o700) == 0)
            let path = "\(folder)/sensors.json"
            let clip = TestMedia.h264(pattern: "ball", frames: 30)
            let r = try start(path)
            #expect(rmdir(folder) == 0)
            try add(r, "first", clip)
            func stateError() -> JSONValue? {
                guard let answer = try? r.http.get("/api/v1/info"), case let .object(body)? = jsonObject(answer)["info"],
                      case let .object(state)? = body["state_file"] else { return nil }
                return state["last_write_error"]
            }
            #expect(string(stateError())?.contains("cannot create") == true, "\(String(describing: stateError()))")
            r.pipeline.drain()
            #expect(r.pipeline.warnings.contains { ($0.text ?? "").contains("state-file not written") },
                    "\(r.pipeline.warnings.map { $0.text ?? "" })")
            #expect(r.pipeline.errors.isEmpty)
            #expect(mkdir(folder, 0o700) == 0)
            try add(r, "second", clip)
            #expect(stateError() == .null)
            #expect(stateFileCameras(path) == ["first", "second"])
            expectPlaying(r, ["first", "second"])
            #expect(r.pipeline.stop() != GST_STATE_CHANGE_FAILURE)
        }

        /// gst-launch-1.0 in a child process, two clients adding sensors as
        /// fast as it answers, SIGKILL after a different number of answers
        /// each round, then at once when the next write starts or after a
        /// delay: the file always parses, every answered add is in it, and
        /// it lists nothing that was not sent.
        @Test func killedDuringABurstOfAddsTheFileStaysConsistent() throws {
            guard let pluginDir = ProcessInfo.processInfo.environment["SWIFT_MULTIURISRC_PLUGIN_DIR"] else {
                Issue.record("SWIFT_MULTIURISRC_PLUGIN_DIR is not set (scripts/run-tests.sh sets it): no plugin for gst-launch-1.0")
                return
            }
            let folder = try makeStateFolder()
            let clip = TestMedia.h264(pattern: "ball", frames: 30)
            let registry = "\(folder)/registry.bin"
            // Ballast the element cannot add back (a scheme it refuses) and
            // keeps: a file of about 350 KB, so a write lasts long enough for
            // a kill to land inside it.
            let ballast = (0..<100).map { i in
                var r = AddStreamRequest(cameraId: "ballast-\(i)", cameraName: "", uri: "ftp://ballast.invalid/\(i)")
                r.labels = Dictionary(uniqueKeysWithValues: (0..<16).map { ("l\($0)", String(repeating: "x", count: 200)) })
                return r
            }
            let ballastIds = Set(ballast.map(\.cameraId))
            var listedTotal = 0, inFlightListed = 0
            for round in 0..<10 {
                let roundFolder = "\(folder)/round-\(round)"
                #expect(mkdir(roundFolder, 0o700) == 0)
                let path = "\(roundFolder)/sensors.json"
                #expect(SensorStateFile.writeAtomically(SensorStateFile.encode(ballast), to: path) == nil)
                let port = freeLocalPort()
                let child = Process()
                child.executableURL = URL(fileURLWithPath: "/usr/bin/gst-launch-1.0")
                child.arguments = ["swiftmultiurisrcbin", "ip-address=127.0.0.1", "port=\(port)", "strict-http-status=true",
                                   "max-batch-size=500", "drop-pipeline-eos=true", "state-file=\(path)", "!", "fakesink", "sync=false"]
                var env = ProcessInfo.processInfo.environment
                env["GST_PLUGIN_PATH"] = pluginDir
                env["GST_REGISTRY"] = registry
                child.environment = env
                child.standardOutput = FileHandle.nullDevice
                child.standardError = FileHandle.nullDevice
                try child.run()
                let pid = child.processIdentifier
                defer {
                    if child.isRunning { kill(pid, SIGKILL) }
                    child.waitUntilExit()
                }
                let up = waitUntil(ms: 15_000) {
                    (try? HTTPClient(port: port, timeoutMs: 1_000).get("/api/v1/version"))?.status == 200
                }
                try #require(up, "round \(round): the child's server did not answer")

                let tally = BurstTally()
                let killAfter = round * 3
                // Odd rounds kill as soon as anything is written into the
                // folder (the write under way: the moment a write in place
                // would show), even rounds at a different point of the
                // clients' cycles (an add takes 100-300 ms here).
                let writes = round % 2 == 1 ? inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK)) : -1
                if writes >= 0 { _ = inotify_add_watch(writes, roundFolder, UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO)) }
                defer { if writes >= 0 { close(writes) } }
                runOnThreads(3) { thread in
                    if thread == 0 {
                        _ = waitUntil(ms: 20_000) { tally.answered.withLock { $0.count } >= killAfter }
                        if writes >= 0 {
                            var events = [UInt8](repeating: 0, count: 4096)
                            while read(writes, &events, events.count) > 0 {}
                            var next = pollfd(fd: writes, events: Int16(POLLIN), revents: 0)
                            tally.killedOnWrite.withLock { $0 = poll(&next, 1, Int32(20_000 * waitSlack)) == 1 }
                        } else {
                            g_usleep(gulong((round * 23_000) % 200_000))
                        }
                        kill(pid, SIGKILL)
                        return
                    }
                    let http = HTTPClient(port: port, timeoutMs: 5_000)
                    for i in 0..<100 {
                        let id = "r\(round)-t\(thread)-\(i)"
                        tally.sent.withLock { _ = $0.insert(id) }
                        guard let answer = try? http.post("/api/v1/stream/add", RestEndToEndTests.addBody(id, clip)) else { return }
                        guard answer.status == 200 else {
                            tally.refusals.withLock { $0.append("\(id): \(answer.status) \(answer.text)") }
                            return
                        }
                        tally.answered.withLock { _ = $0.insert(id) }
                    }
                }
                child.waitUntilExit()
                #expect(child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGKILL,
                        "round \(round): the child ended otherwise (\(child.terminationStatus))")
                let acknowledged = tally.answered.withLock { $0 }, attempted = tally.sent.withLock { $0 }
                #expect(tally.refusals.withLock { $0 }.isEmpty, "round \(round): \(tally.refusals.withLock { $0 })")
                let listed = stateFileCameras(path)
                let all = Set(listed ?? [])
                #expect(all.isSuperset(of: ballastIds), "round \(round): ballast lost")
                let inFile = all.subtracting(ballastIds)
                #expect(acknowledged.isSubset(of: inFile),
                        "round \(round): answered but not in the file: \(acknowledged.subtracting(inFile).sorted())")
                #expect(inFile.isSubset(of: attempted), "round \(round): in the file, never sent: \(inFile.subtracting(attempted).sorted())")
                #expect(acknowledged.count >= killAfter)
                if writes >= 0 { #expect(tally.killedOnWrite.withLock { $0 }, "round \(round): no write seen before the kill") }
                listedTotal += inFile.count
                inFlightListed += inFile.subtracting(acknowledged).count
            }
            print("kill -9 during adds: 10 rounds, \(listedTotal) added sensors in the files, \(inFlightListed) of them in flight at the kill")
        }
    }
}

/// What the clients of one kill round sent and got, shared with their threads.
final class BurstTally: Sendable {
    let sent = Mutex<Set<String>>([])
    let answered = Mutex<Set<String>>([])
    let refusals = Mutex<[String]>([])
    let killedOnWrite = Mutex(false)
}
