import CGStreamer
import GstSwiftBridge
import Testing
@testable import swiftmultiurisrc

extension PipelineSuites {
    /// Real RTSP cameras (gst-rtsp-server on 127.0.0.1) that fail and come back.
    @Suite(.serialized) struct RtspTests {
        init() { TestGst.setUp() }

        @Test func aCameraPlays() throws {
            let camera = TestRtspCamera(port: freeLocalPort())
            #expect(camera.start())
            let p = TestPipeline("swiftmultiurisrcbin name=src port=0 live-source=true width=160 height=120 "
                + "uri-list=\(camera.uri) latency=50 ! fakesink name=out sync=false")
            let recorder = PadRecorder(p.element("out")!)
            p.play()
            #expect(waitUntil(ms: 10_000) { recorder.frames(0) > 15 })
            #expect(p.bin()?.streams().first?.state == .playing)
            p.stop()
        }

        @Test func aKilledCameraReconnectsWhileOthersPlayOn() throws {
            let camera = TestRtspCamera(port: freeLocalPort())
            #expect(camera.start())
            let file = TestMedia.h264(pattern: "smpte", frames: 30)
            let p = TestPipeline("swiftmultiurisrcbin name=src port=0 live-source=true file-loop=true width=160 height=120 "
                + "rtsp-reconnect-interval=1 latency=50 uri-list=\(file),\(camera.uri) sensor-id-list=file,cam "
                + "! fakesink name=out sync=false")
            let recorder = PadRecorder(p.element("out")!)
            p.play()
            let bin = try #require(p.bin())
            #expect(waitUntil(ms: 10_000) { recorder.frames(1) > 15 && recorder.frames(0) > 15 })

            camera.stop()
            #expect(waitUntil(ms: 8_000) { bin.resolveStream("cam")?.state == .reconnecting },
                    "state: \(bin.resolveStream("cam")?.state.rawValue ?? "gone")")
            // The file source goes on meanwhile, in order (the camera stays down
            // until this wait ends, so a muxer waiting for it would fail here).
            let f0 = recorder.frames(0), mark = recorder.pts(0).count
            #expect(waitUntil(ms: 15_000) { recorder.frames(0) - f0 >= 20 }, "file source stalled while the camera was down")
            let gaps = recorder.frameGaps(0, after: mark)
            #expect(gaps.allSatisfy { $0 == 1 }, "file source skipped frames while the camera was down: \(gaps)")

            #expect(camera.start())
            let c0 = recorder.frames(1)
            #expect(waitUntil(ms: 15_000) { recorder.frames(1) > c0 + 15 }, "camera frames did not come back")
            #expect(bin.resolveStream("cam")?.state == .playing)
            #expect(recorder.lifecycle.contains(.streamReset(sourceId: 1)))
            p.drain()
            #expect(p.errors.isEmpty, "\(p.errors.map { $0.text ?? "" })")
            p.stop()
        }

        @Test func attemptsRunOutWithAnAttemptExceededMessage() throws {
            let deadPort = freeLocalPort()
            let p = TestPipeline("swiftmultiurisrcbin name=src port=0 live-source=true width=160 height=120 "
                + "rtsp-reconnect-interval=1 rtsp-reconnect-attempts=2 latency=50 "
                + "uri-list=rtsp://127.0.0.1:\(deadPort)/cam sensor-id-list=gone ! fakesink sync=false")
            p.play()
            let message = p.waitForElementMessage("attempt-exceeded", timeoutMs: 20_000)
            #expect(message?.fields["source-id"] == "0")
            #expect(message?.fields["attempt_exceeded"] == "true")
            let bin = try #require(p.bin())
            #expect(waitUntil(ms: 2_000) { bin.resolveStream("gone") == nil })
            let failed = bin.recentlyFailed().first { $0.cameraId == "gone" }
            #expect(failed?.state == .error)
            #expect(failed?.lastError?.contains("reconnection attempts") == true)
            p.drain()
            #expect(p.errors.isEmpty)
            p.stop()
        }

        @Test func anUnreachableCameraWithoutReconnectionIsAnErrorNotASuccess() throws {
            let deadPort = freeLocalPort()
            let p = TestPipeline("swiftmultiurisrcbin name=src port=0 live-source=true "
                + "uri-list=rtsp://127.0.0.1:\(deadPort)/cam sensor-id-list=gone ! fakesink sync=false")
            p.play()
            let bin = try #require(p.bin())
            #expect(waitUntil(ms: 10_000) { bin.recentlyFailed().contains { $0.cameraId == "gone" } })
            #expect(bin.resolveStream("gone") == nil)
            let lastError = bin.recentlyFailed().first { $0.cameraId == "gone" }?.lastError ?? ""
            #expect(lastError.hasPrefix("could not connect"), "\(lastError)")
            p.drain()
            #expect(p.errors.isEmpty)
            p.stop()
        }
    }
}
