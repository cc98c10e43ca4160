import CGStreamer
import GstSwiftBridge
import Glibc
import Synchronization
import Testing
import ChildProcess
import Foundation
@testable import swiftmultiurisrc

extension PipelineSuites {
    /// Removal that cannot block: a source is taken out of the bin and the
    /// muxer at once and stopped on a thread of its own, so a source whose
    /// threads never return (a read that blocks, GStreamer 1.22's typefind
    /// deadlock) costs that source only, never the other streams, the REST API
    /// or the application's exit.
    @Suite(.serialized) struct RemovalTests {
        init() { TestGst.setUp() }

        /// stream/add then stream/remove at once meets the source while it is
        /// still finding its stream's type. Before the teardown moved off the
        /// control queue, this froze the whole bin within a few hundred cycles
        /// (the child then gets no answer and exits 2, or hangs until killed).
        @Test func addThenImmediateRemoveNeverFreezes() throws {
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            let run = try ChildProcess.run("swiftmultiurisrc-soak", ["add-remove", "400", uri],
                                           environment: ["SOAK_IMMEDIATE_REMOVE": "1", "GST_DEBUG": "swiftmultiurisrcbin:2"],
                                           timeoutSeconds: 150)
            #expect(!run.timedOut, "soak hung: \(run.stderr.suffix(1500))")
            #expect(run.status == 0, "soak failed: \(run.stderr.suffix(1500))")
            #expect(run.stdout.contains("cycles=400"))
            // No teardown ran out of time: the typefind grace kept every one clear of the deadlock.
            #expect(!run.stderr.contains("abandoned"), "\(run.stderr.suffix(1500))")
            print("immediate add/remove:", run.stdout.split(separator: "\n").first { $0.hasPrefix("cycles=") } ?? "")
        }

        /// A source whose streaming thread blocks in a read for good (a FIFO
        /// nobody writes to, like /dev/ptmx): its removal answers within the
        /// teardown bound, the source is reported as abandoned, the other stream
        /// keeps flowing, the API keeps answering and the pipeline still stops.
        @Test func sourceBlockedInAReadIsAbandonedNotFatal() throws {
            let fifo = "/tmp/swiftmultiurisrc-fifo-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            #expect(mkfifo(fifo, 0o600) == 0)
            defer { unlink(fifo) }
            // O_RDWR: the FIFO has a writer (so filesrc's open returns) that never writes.
            let writer = open(fifo, O_RDWR | O_NONBLOCK)
            #expect(writer >= 0)
            var writerOpen = true
            defer { if writerOpen { close(writer) } }

            let port = freeLocalPort()
            let file = TestMedia.h264(pattern: "ball", frames: 30)
            let p = TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) strict-http-status=true live-source=true "
                + "file-loop=true width=96 height=64 uri-list=\(file),file://\(fifo) sensor-id-list=playing,stuck "
                + "! fakesink name=out sync=false")
            let recorder = PadRecorder(p.element("out")!)
            p.play()
            #expect(waitUntil(ms: 10_000) { recorder.frames(0) > 5 })
            let http = HTTPClient(port: port, timeoutMs: 10_000)
            #expect(try http.get("/api/v1/stream/get-stream-info").text.contains("\"stuck\""))

            let started = g_get_monotonic_time()
            let removed = try http.post("/api/v1/stream/remove", RestEndToEndTests.addBody("stuck", "", change: "camera_remove"))
            let removalMs = (g_get_monotonic_time() - started) / 1000
            #expect(removed.status == 200, "\(removed.text)")
            // Bounded by the teardown wait (2 s), with room for a loaded machine.
            #expect(removalMs < 8_000, "removal took \(removalMs) ms")

            let before = recorder.frames(0)
            #expect(waitUntil(ms: 10_000) { recorder.frames(0) > before + 10 }, "the other stream stopped")
            let info = try http.get("/api/v1/stream/get-stream-info")
            #expect(info.status == 200)
            #expect(!info.text.contains("\"stuck\""))
            p.drain()
            #expect(p.warnings.contains { ($0.text ?? "").contains("abandoned") }, "\(p.warnings.map { $0.text ?? "" })")
            #expect(p.errors.isEmpty)

            let stopStarted = g_get_monotonic_time()
            #expect(p.stop() != GST_STATE_CHANGE_FAILURE)
            let stopMs = (g_get_monotonic_time() - stopStarted) / 1000
            #expect(stopMs < 8_000, "stopping took \(stopMs) ms")
            print("blocked source: removal answered in \(removalMs) ms, pipeline stopped in \(stopMs) ms")
            // The blocked read ends (EOF) and its teardown finishes.
            close(writer)
            writerOpen = false
        }

        /// A FIFO nobody writes to: filesrc's open() blocks inside READY→PAUSED
        /// and never returns. Before sources changed state on threads of their
        /// own, this kept the whole pipeline from ever reaching PLAYING (the
        /// application thread waited in the bin's change_state, and gst-launch
        /// never saw SIGINT). Now the stuck source leaves as a failed one within
        /// the bound, the other source plays, EOS and NULL still end it all.
        @Test(arguments: [true, false])
        func sourceThatNeverOpensLeavesAndThePipelinePlays(live: Bool) throws {
            let fifo = try makeFifo()
            defer { releaseFifoReader(fifo); unlink(fifo) }
            let file = TestMedia.h264(pattern: "ball", frames: 30)
            let p = TestPipeline("swiftmultiurisrcbin name=src port=0 live-source=\(live) file-loop=true width=96 height=64 "
                + "uri-list=\(file),file://\(fifo) sensor-id-list=playing,stuck ! fakesink name=out sync=false")
            let recorder = PadRecorder(p.element("out")!)
            let started = g_get_monotonic_time()
            #expect(p.play() != GST_STATE_CHANGE_FAILURE)
            #expect(p.waitForState(timeoutMs: slack(8_000)) == GST_STATE_PLAYING)
            let playingMs = (g_get_monotonic_time() - started) / 1000
            #expect(waitUntil(ms: 10_000) { recorder.frames(0) > 5 }, "the other source does not play")
            let bin = try #require(p.bin())
            #expect(bin.streams().map(\.cameraId) == ["playing"])
            #expect(p.waitForElementMessage("stream-remove", timeoutMs: slack(2_000))?.fields["sensor-id"] == "stuck")
            p.drain()
            #expect(p.warnings.contains { ($0.text ?? "").contains("did not reach") }, "\(p.warnings.map { $0.text ?? "" })")
            #expect(p.errors.isEmpty)

            gst_element_send_event(p.pipeline, gst_event_new_eos())
            #expect(p.waitFor([GST_MESSAGE_EOS], timeoutMs: slack(5_000)) != nil, "EOS did not come")
            let stopStarted = g_get_monotonic_time()
            #expect(p.stop() != GST_STATE_CHANGE_FAILURE)
            let stopMs = (g_get_monotonic_time() - stopStarted) / 1000
            #expect(UInt64(max(0, stopMs)) < slack(4_000), "stopping took \(stopMs) ms")
            print("source that never opens (live-source=\(live)): PLAYING after \(playingMs) ms, stopped in \(stopMs) ms")
        }

        /// The application's EOS (gst-launch -e) while a source is stuck in a
        /// read: that source cannot deliver its EOS, so it is taken out after
        /// the grace and the output ends anyway. Before, the EOS waited on it
        /// for good.
        @Test func applicationEosEndsPastASourceStuckInARead() throws {
            let fifo = try makeFifo()
            defer { unlink(fifo) }
            // O_RDWR: the FIFO has a writer (so filesrc's open returns) that never writes.
            let writer = open(fifo, O_RDWR | O_NONBLOCK)
            #expect(writer >= 0)
            defer { close(writer) }
            let file = TestMedia.h264(pattern: "ball", frames: 30)
            let p = TestPipeline("swiftmultiurisrcbin name=src port=0 live-source=true file-loop=true width=96 height=64 "
                + "uri-list=\(file),file://\(fifo) sensor-id-list=playing,stuck ! fakesink name=out sync=false")
            let recorder = PadRecorder(p.element("out")!)
            p.play()
            #expect(waitUntil(ms: 10_000) { recorder.frames(0) > 5 })
            let started = g_get_monotonic_time()
            gst_element_send_event(p.pipeline, gst_event_new_eos())
            #expect(p.waitFor([GST_MESSAGE_EOS], timeoutMs: slack(6_000)) != nil, "EOS did not come")
            let eosMs = (g_get_monotonic_time() - started) / 1000
            p.drain()
            #expect(p.warnings.contains { ($0.text ?? "").contains("did not end within") }, "\(p.warnings.map { $0.text ?? "" })")
            #expect(p.errors.isEmpty)
            #expect(p.stop() != GST_STATE_CHANGE_FAILURE)
            print("application EOS past a source stuck in a read: EOS after \(eosMs) ms")
        }

        /// The application's EOS right after PLAYING, while the file sources
        /// still look for their streams: such a source fails on the EOS
        /// ("no playable streams") and leaves instead of ending; once none is
        /// left the output ends at once. Before, the EOS went nowhere and
        /// gst-launch-1.0 -e waited for good.
        @Test func applicationEosWhileSourcesStartStillEnds() throws {
            let file = TestMedia.h264(pattern: "ball", frames: 30)
            for round in 0..<5 {
                let p = TestPipeline("swiftmultiurisrcbin name=src port=0 live-source=true file-loop=true width=96 height=64 "
                    + "uri-list=\(file),\(file) ! fakesink name=out sync=false")
                p.play()
                gst_element_send_event(p.pipeline, gst_event_new_eos())
                #expect(p.waitFor([GST_MESSAGE_EOS], timeoutMs: slack(8_000)) != nil, "round \(round): EOS did not come")
                p.drain()
                #expect(p.errors.isEmpty, "\(p.errors.map { $0.text ?? "" })")
                #expect(p.stop() != GST_STATE_CHANGE_FAILURE)
            }
        }

        /// gst-launch-1.0 -e itself, Ctrl-C (SIGINT) while one source never
        /// opens: it ends with EOS and exit status 0. Before, the process
        /// never reached PLAYING and ignored SIGINT until killed.
        @Test func gstLaunchEndsOnSigintWithASourceThatNeverOpens() throws {
            guard let pluginDir = ProcessInfo.processInfo.environment["SWIFT_MULTIURISRC_PLUGIN_DIR"] else {
                Issue.record("SWIFT_MULTIURISRC_PLUGIN_DIR is not set (scripts/run-tests.sh sets it): no plugin for gst-launch-1.0")
                return
            }
            let fifo = try makeFifo()
            defer { releaseFifoReader(fifo); unlink(fifo) }
            let file = TestMedia.h264(pattern: "ball", frames: 30)
            let run = try ChildProcess.run("/usr/bin/gst-launch-1.0", [
                "-e", "swiftmultiurisrcbin", "port=0", "live-source=true", "file-loop=true", "width=96", "height=64",
                "uri-list=\(file),file://\(fifo)", "!", "fakesink", "sync=false",
            ], environment: ["GST_PLUGIN_PATH": pluginDir,
                             "GST_REGISTRY": "/tmp/swiftmultiurisrc-gstlaunch-\(getpid()).registry"],
            timeoutSeconds: 40, interruptAfterSeconds: 6)
            #expect(!run.timedOut, "gst-launch-1.0 did not end after SIGINT: \(run.stdout.suffix(800))")
            #expect(run.status == 0, "status \(run.status): \(run.stdout.suffix(800)) \(run.stderr.suffix(800))")
            #expect(run.stdout.contains("Got EOS from element"), "\(run.stdout.suffix(800))")
        }

        /// In live-source mode each source paces with clocksync, which offers
        /// the system clock. When the pipeline had picked a source's clocksync
        /// as its clock, removing that source posted CLOCK_LOST, which
        /// gst-launch (and most applications) answer by pausing and restarting
        /// the whole pipeline. No source provides the clock now.
        @Test func removingASourceLosesNoClock() throws {
            let file = TestMedia.h264(pattern: "ball", frames: 30)
            let p = TestPipeline("swiftmultiurisrcbin name=src port=0 live-source=true file-loop=true width=96 height=64 "
                + "uri-list=\(file),\(file),\(file) sensor-id-list=a,b,c ! fakesink name=out sync=true")
            let recorder = PadRecorder(p.element("out")!)
            p.play()
            #expect(waitUntil(ms: 10_000) { recorder.frames(0) > 5 && recorder.frames(2) > 5 })
            let bin = try #require(p.bin())
            for id in ["c", "b", "a"] { _ = try bin.removeStream(cameraId: id, url: nil) }
            #expect(p.waitFor([GST_MESSAGE_CLOCK_LOST], timeoutMs: 1_000) == nil, "a removal lost the pipeline's clock")
            p.drain()
            #expect(!p.messages.contains { $0.type == GST_MESSAGE_CLOCK_LOST })
            #expect(p.errors.isEmpty)
            #expect(p.stop() != GST_STATE_CHANGE_FAILURE)
        }

        /// Eight clients add and remove one camera id at once: every request is
        /// answered with a defined outcome, the bin ends with zero or one source
        /// under that id, and the other stream plays throughout.
        @Test func racingClientsOnOneCameraId() throws {
            let port = freeLocalPort()
            let file = TestMedia.h264(pattern: "ball", frames: 30)
            let p = TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) strict-http-status=true live-source=true "
                + "file-loop=true width=96 height=64 uri-list=\(file) sensor-id-list=playing ! fakesink name=out sync=false")
            let recorder = PadRecorder(p.element("out")!)
            p.play()
            let bin = try #require(p.bin())
            #expect(waitUntil(ms: 10_000) { recorder.frames(0) > 5 })

            let outcomes = Mutex<[Int: Int]>([:])
            let before = recorder.frames(0)
            runOnThreads(8) { client in
                let http = HTTPClient(port: port, timeoutMs: 15_000)
                for round in 0..<25 {
                    let add = (client + round) % 2 == 0
                    let body = RestEndToEndTests.addBody("contested", add ? file : "", change: add ? "camera_add" : "camera_remove")
                    let status = (try? http.post(add ? "/api/v1/stream/add" : "/api/v1/stream/remove", body))?.status ?? 0
                    outcomes.withLock { $0[status, default: 0] += 1 }
                }
            }
            let seen = outcomes.withLock { $0 }
            #expect(seen.values.reduce(0, +) == 200)
            // 200 added/removed, 404 nothing to remove, 409 already there.
            #expect(Set(seen.keys).isSubset(of: [200, 404, 409]), "outcomes: \(seen)")
            #expect(seen[200, default: 0] > 0)
            let contested = bin.streams().filter { $0.cameraId == "contested" }
            #expect(contested.count <= 1)
            #expect(bin.streams().contains { $0.cameraId == "playing" })
            #expect(waitUntil(ms: 10_000) { recorder.frames(0) > before + 10 }, "the other stream stopped")
            p.drain()
            #expect(p.errors.isEmpty)
            print("one camera id, 8 clients: \(seen)")
        }
    }
}

/// A FIFO of its own for one test.
private func makeFifo() throws -> String {
    let path = "/tmp/swiftmultiurisrc-fifo-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try #require(mkfifo(path, 0o600) == 0)
    return path
}

/// Lets a reader blocked in open() of `fifo` go: a writer comes and leaves,
/// so its open returns and its read ends (EOF), and the thread that was
/// stuck finishes the source's teardown.
private func releaseFifoReader(_ fifo: String) {
    let writer = open(fifo, O_WRONLY | O_NONBLOCK)
    if writer >= 0 { close(writer) }
}
