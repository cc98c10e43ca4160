import CGStreamer
import GstSwiftBridge
import Dispatch
import Glibc
import Synchronization
import Testing
import swiftcustomevents
@testable import swiftmultiurisrc

extension PipelineSuites {
    /// The routes no other real-pipeline test observes, over real HTTP on
    /// 127.0.0.1 against swiftmultiurisrcbin in real pipelines: readiness,
    /// low-latency decoding, the inference-server and encoder events, the
    /// muxer's max-latency, the array form of stream/add, the helper elements
    /// chained after the bin, and enable-padding's black bars.
    @Suite(.serialized) struct RouteEffectsTests {
        init() { TestGst.setUp() }

        /// A bin with its REST server on `port`, looping live sources, then
        /// `tail` (elements ending in "! "), then `fakesink name=out`.
        func restBin(_ port: UInt16, properties: String = "", tail: String = "") -> TestPipeline {
            TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) strict-http-status=true live-source=true "
                + "file-loop=true drop-pipeline-eos=true width=160 height=120 max-batch-size=4 \(properties) ! "
                + "\(tail)fakesink name=out sync=false")
        }

        /// Plays `p` and waits until the bin says it is ready.
        func start(_ p: TestPipeline) throws {
            #expect(p.play() != GST_STATE_CHANGE_FAILURE)
            let bin = try #require(p.bin())
            #expect(waitUntil(ms: 5_000) { bin.isReady }, "the bin never reached PLAYING")
        }

        func add(_ http: HTTPClient, _ id: String, _ uri: String) throws -> HTTPResponse {
            try http.post("/api/v1/stream/add", RestEndToEndTests.addBody(id, uri))
        }

        /// Frames of `source` keep arriving at `recorder` (a bounded wait for five more).
        func keepsFlowing(_ recorder: PadRecorder, _ source: UInt32) -> Bool {
            let before = recorder.frames(source)
            return waitUntil(ms: 5_000) { recorder.frames(source) >= before + 5 }
        }

        /// `ds-ready` of a health answer (records an issue when it is missing).
        func dsReady(_ response: HTTPResponse, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
            let body = expectAnswer(response, 200, "GET_READY_INFO_SUCCESS", sourceLocation: sourceLocation)
            guard case let .object(info)? = body["health-info"] else {
                Issue.record("no health-info object: \(response.text)", sourceLocation: sourceLocation)
                return nil
            }
            return string(info["ds-ready"])
        }

        // MARK: health/get-dsready-state

        /// NO while the server runs but the bin is not PLAYING (READY, PAUSED),
        /// YES while it plays, with or without sources; the server goes away
        /// with the bin's NULL state.
        @Test func dsReadyStateFollowsThePlayingState() throws {
            let port = freeLocalPort()
            let p = restBin(port)
            let recorder = PadRecorder(try #require(p.element("out")))
            let http = HTTPClient(port: port)
            #expect(p.setState(GST_STATE_READY) == GST_STATE_CHANGE_SUCCESS)
            #expect(dsReady(try http.get("/api/v1/health/get-dsready-state")) == "NO")
            // DeepStream 6.2/6.3 spelling, without the prefix.
            #expect(dsReady(try http.get("/health/get-dsready-state")) == "NO")

            try start(p)
            #expect(dsReady(try http.get("/api/v1/health/get-dsready-state")) == "YES")
            expectAnswer(try add(http, "cam1", TestMedia.h264(pattern: "ball", frames: 30)), 200, "STREAM_ADD_SUCCESS")
            #expect(waitUntil(ms: 10_000) { recorder.frames(0) > 10 })
            #expect(dsReady(try http.get("/api/v1/health/get-dsready-state")) == "YES")

            #expect(try http.get("/api/v1/live").status == 200)
            #expect(try http.get("/ready").status == 200)

            // A live bin pauses without preroll: the state is PAUSED at once.
            #expect(p.setState(GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE)
            #expect(p.waitForState() == GST_STATE_PAUSED)
            #expect(dsReady(try http.get("/api/v1/health/get-dsready-state")) == "NO")
            // Paused: not live, still ready and started (DeepStream 9.1's probes).
            #expect(try http.get("/api/v1/live").status == 503)
            #expect(try http.get("/api/v1/ready").status == 200)
            #expect(try http.get("/startup").status == 200)
            #expect(p.setState(GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE)
            let bin = try #require(p.bin())
            #expect(waitUntil(ms: 5_000) { bin.isReady })
            #expect(dsReady(try http.get("/api/v1/health/get-dsready-state")) == "YES")
            p.drain()
            #expect(p.errors.isEmpty, "\(p.errors.map { $0.text ?? "" })")

            #expect(p.stop() == GST_STATE_CHANGE_SUCCESS)
            #expect(throws: HTTPClientError.connect(ECONNREFUSED)) {
                try http.get("/api/v1/health/get-dsready-state")
            }
        }

        /// After PLAYING → PAUSED → PLAYING (three times) the stream goes on,
        /// as it does in a plain live pipeline (`videotestsrc is-live=true !
        /// fakesink`). It used to freeze nearly every time: the bin answered
        /// NO_PREROLL to PAUSED→PLAYING, so the pipeline completed PLAYING
        /// without waiting for the sink, which then committed its pending
        /// PAUSED on the next frame and stayed there.
        @Test func pauseAndResumeKeepsTheStreamFlowing() throws {
            let port = freeLocalPort()
            let p = restBin(port)
            let recorder = PadRecorder(try #require(p.element("out")))
            let http = HTTPClient(port: port)
            try start(p)
            expectAnswer(try add(http, "cam1", TestMedia.h264(pattern: "ball", frames: 30)), 200, "STREAM_ADD_SUCCESS")
            #expect(waitUntil(ms: 10_000) { recorder.frames(0) > 10 })
            let bin = try #require(p.bin())
            let sink = try #require(p.element("out"))
            for cycle in 0..<3 {
                #expect(p.setState(GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE)
                #expect(p.waitForState() == GST_STATE_PAUSED)
                #expect(p.setState(GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE)
                #expect(waitUntil(ms: 5_000) { bin.isReady })
                let before = recorder.frames(0)
                #expect(waitUntil(ms: 5_000) { recorder.frames(0) >= before + 10 },
                        "cycle \(cycle): frames after resuming: \(recorder.frames(0) - before)")
                #expect(gsb_element_current_state(sink) == GST_STATE_PLAYING, "cycle \(cycle): the sink stayed paused")
            }
            p.drain()
            #expect(p.errors.isEmpty, "\(p.errors.map { $0.text ?? "" })")
            #expect(p.stop() == GST_STATE_CHANGE_SUCCESS)
        }

        // MARK: dec/low-latency-mode

        /// The bin sets `low-latency-mode` on the source's decoders that have
        /// it (applyDecoderProperties) and sends no event. The decoder
        /// uridecodebin3 picks here (avdec_h264) has no such property, so
        /// nothing changes: the answer is the 409 that mux/max-latency gives for
        /// a muxer without the property (compositor) (README: 409 "a setting the current
        /// pipeline cannot apply"), not a 200 that changed nothing.
        @Test func lowLatencyModeOnADecoderWithoutItIsNotApplied() throws {
            let port = freeLocalPort()
            let p = restBin(port)
            let recorder = PadRecorder(try #require(p.element("out")))
            let http = HTTPClient(port: port)
            try start(p)
            expectAnswer(try add(http, "cam1", TestMedia.h264(pattern: "ball", frames: 30)), 200, "STREAM_ADD_SUCCESS")
            #expect(waitUntil(ms: 10_000) { recorder.frames(0) > 5 })

            // What decodes the stream, and whether it can take the setting.
            let bin = try #require(p.bin())
            let sourceBin = try #require(p.element("source-bin-00"))
            var decoders: [(factory: String, hasProperty: Bool)] = []
            MultiUriSrcBin.forEachElement(in: sourceBin) { e in
                guard bin.isDecoder(e) else { return }
                let factory = gst_element_get_factory(e).map { objectName(UnsafeMutableRawPointer($0)) } ?? "?"
                decoders.append((factory, gsb_object_has_property(UnsafeMutableRawPointer(e), "low-latency-mode") != 0))
            }
            // uridecodebin3 and decodebin3 count as decoders too (their class
            // says Decoder); the one that decodes is avdec_h264.
            #expect(decoders.contains { $0.factory == "avdec_h264" }, "decoders: \(decoders)")
            #expect(decoders.allSatisfy { !$0.hasProperty }, "decoders: \(decoders)")

            let answer = try http.post("/api/v1/dec/low-latency-mode",
                                       #"{"stream":{"stream_id":"0","low_latency_mode":true}}"#)
            expectAnswer(answer, 409, "LOW_LATENCY_MODE_UPDATE_FAIL, ", mentions: ["low-latency-mode"])
            // Whatever the answer: the stream goes on, and no event left the bin
            // (the decoder is inside it, not downstream).
            #expect(keepsFlowing(recorder, 0))
            #expect(recorder.control.isEmpty, "\(recorder.control)")

            // Bad input and unknown streams are refused as for every route.
            expectAnswer(try http.post("/api/v1/dec/low-latency-mode", #"{"stream":{"stream_id":"0","low_latency_mode":"fast"}}"#),
                         400, "LOW_LATENCY_MODE_UPDATE_FAIL, ", mentions: ["low_latency_mode"])
            expectAnswer(try http.post("/api/v1/dec/low-latency-mode", #"{"stream":{"stream_id":"9","low_latency_mode":1}}"#),
                         404, "LOW_LATENCY_MODE_UPDATE_FAIL, ", mentions: ["stream_id"])
            p.drain()
            #expect(p.errors.isEmpty, "\(p.errors.map { $0.text ?? "" })")
            #expect(p.stop() == GST_STATE_CHANGE_SUCCESS)
        }

        // MARK: inferserver/set-interval, enc/*

        /// Each route's event arrives downstream, in order, with the source id
        /// the stream_id (source id or camera id) resolves to and the posted value.
        @Test func inferServerAndEncoderEventsArriveWithTheirValues() throws {
            let port = freeLocalPort()
            let p = restBin(port)
            let recorder = PadRecorder(try #require(p.element("out")))
            let http = HTTPClient(port: port)
            try start(p)
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            expectAnswer(try add(http, "cam0", uri), 200, "STREAM_ADD_SUCCESS")
            expectAnswer(try add(http, "cam1", uri), 200, "STREAM_ADD_SUCCESS")
            #expect(waitUntil(ms: 10_000) { recorder.frames(0) > 3 && recorder.frames(1) > 3 })

            expectAnswer(try http.post("/api/v1/inferserver/set-interval", #"{"stream":{"stream_id":"cam1","interval":3}}"#),
                         200, "INFERSERVER_INTERVAL_UPDATE_SUCCESS")
            expectAnswer(try http.post("/api/v1/enc/force-idr", #"{"stream":{"stream_id":"1","force_idr":true}}"#),
                         200, "FORCE_IDR_UPDATE_SUCCESS")
            expectAnswer(try http.post("/api/v1/enc/force-idr", #"{"stream":{"stream_id":"0","force_idr":0}}"#),
                         200, "FORCE_IDR_UPDATE_SUCCESS")
            expectAnswer(try http.post("/api/v1/enc/force-intra", #"{"stream":{"stream_id":"cam0","force_intra":1}}"#),
                         200, "FORCE_INTRA_UPDATE_SUCCESS")
            expectAnswer(try http.post("/api/v1/enc/iframe-interval", #"{"stream":{"stream_id":"1","iframeinterval":45}}"#),
                         200, "IFRAME_INTERVAL_UPDATE_SUCCESS")
            // Refusals send nothing.
            expectAnswer(try http.post("/api/v1/enc/iframe-interval", #"{"stream":{"stream_id":"1","iframeinterval":-1}}"#),
                         400, "IFRAME_INTERVAL_UPDATE_FAIL, ", mentions: ["iframeinterval"])
            expectAnswer(try http.post("/api/v1/enc/force-intra", #"{"stream":{"stream_id":"1","force_intra":"yes"}}"#),
                         400, "FORCE_INTRA_UPDATE_FAIL, ", mentions: ["force_intra"])
            expectAnswer(try http.post("/api/v1/inferserver/set-interval", #"{"stream":{"stream_id":"cam7","interval":1}}"#),
                         404, "INFERSERVER_INTERVAL_UPDATE_FAIL, ", mentions: ["stream_id"])
            expectAnswer(try http.post("/api/v1/enc/force-idr", #"{"stream":{"stream_id":"0"}}"#),
                         400, "FORCE_IDR_UPDATE_FAIL, ", mentions: ["force_idr"])

            let expected: [ControlEvent] = [
                .inferIntervalUpdate(streamId: "1", interval: 3),
                .encForceIdr(streamId: "1", force: 1),
                .encForceIdr(streamId: "0", force: 0),
                .encForceIntra(streamId: "0", force: 1),
                .encIframeInterval(streamId: "1", interval: 45),
            ]
            #expect(waitUntil(ms: 3_000) { recorder.control.count >= expected.count })
            // Frames after the last event: nothing more is on its way.
            #expect(keepsFlowing(recorder, 0) && keepsFlowing(recorder, 1))
            #expect(recorder.control == expected)
            p.drain()
            #expect(p.errors.isEmpty, "\(p.errors.map { $0.text ?? "" })")
            #expect(p.stop() == GST_STATE_CHANGE_SUCCESS)
        }

        // MARK: conv/* while a source's pad is busy

        /// A conv/* request that must link elements in waits (at most 2 s)
        /// for the source's pad to be between two frames. It waits on that
        /// source's own settings gate: a stream/add sent meanwhile answers
        /// first, and removing the busy source ends the wait at once with a
        /// 409 saying so. Source 0's pad is kept busy by a blocking probe on
        /// its muxer pad (its streaming thread then sits inside a push).
        @Test func aWaitingRelinkHoldsUpNoOtherRequest() throws {
            let port = freeLocalPort()
            let p = restBin(port)
            let recorder = PadRecorder(try #require(p.element("out")))
            let http = HTTPClient(port: port)
            try start(p)
            let clip = TestMedia.h264(pattern: "ball", frames: 30)
            expectAnswer(try add(http, "cam0", clip), 200, "STREAM_ADD_SUCCESS")
            #expect(waitUntil(ms: 10_000) { recorder.frames(0) > 3 })

            let muxer = try #require(p.element("muxer"))
            let muxPad = try #require(gst_element_get_static_pad(muxer, "sink_0"))
            defer { gst_object_unref(UnsafeMutableRawPointer(muxPad)) }
            final class Flag: Sendable { let set = Atomic<Bool>(false) }
            let blocked = Flag()
            let probe = gst_pad_add_probe(muxPad, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM, { _, _, data in
                if let data { Unmanaged<Flag>.fromOpaque(data).takeUnretainedValue().set.store(true, ordering: .releasing) }
                return GST_PAD_PROBE_OK
            }, Unmanaged.passRetained(blocked).toOpaque(), { data in
                if let data { Unmanaged<Flag>.fromOpaque(data).release() }
            })
            #expect(waitUntil(ms: 5_000) { blocked.set.load(ordering: .acquiring) }, "source 0 is held at its muxer pad")

            // Answers in the order they arrive.
            let order = Mutex<[String]>([])
            func request(_ name: String, _ path: String, _ body: String) -> DispatchSemaphore {
                let done = DispatchSemaphore(value: 0)
                DispatchQueue.global().async {
                    let r = try? HTTPClient(port: port).post(path, body)
                    order.withLock { $0.append("\(name) \(r?.status ?? 0) \(r?.text ?? "")") }
                    done.signal()
                }
                return done
            }
            let flip = request("flip", "/api/v1/conv/flip-method", #"{"stream":{"stream_id":"0","flip_method":1}}"#)
            // The request is waiting once its videoflip is in source 0's branch.
            #expect(waitUntil(ms: 5_000) { p.element("flip") != nil }, "the flip request began")
            let added = request("add", "/api/v1/stream/add", RestEndToEndTests.addBody("cam1", clip))
            #expect(added.wait(timeout: .now() + .seconds(Int(10 * waitSlack))) == .success)
            // Removing the busy source ends the wait.
            let removed = request("remove", "/api/v1/stream/remove", RestEndToEndTests.addBody("cam0", clip, change: "camera_remove"))
            #expect(flip.wait(timeout: .now() + .seconds(Int(10 * waitSlack))) == .success)
            #expect(removed.wait(timeout: .now() + .seconds(Int(10 * waitSlack))) == .success)
            if probe != 0 { gst_pad_remove_probe(muxPad, probe) }

            let answers = order.withLock { $0 }
            #expect(answers.count == 3, "\(answers)")
            #expect(answers.first?.hasPrefix("add 200") == true, "stream/add answered before the flip: \(answers)")
            let flipAnswer = answers.first { $0.hasPrefix("flip") } ?? ""
            #expect(flipAnswer.hasPrefix("flip 409") && flipAnswer.contains("left while the request waited"), "\(answers)")
            #expect(answers.contains { $0.hasPrefix("remove 200") }, "\(answers)")
            // The other source plays on.
            #expect(keepsFlowing(recorder, 1))
            p.drain()
            #expect(p.errors.isEmpty, "\(p.errors.map { $0.text ?? "" })")
            #expect(p.stop() == GST_STATE_CHANGE_SUCCESS)
        }

        // MARK: mux/max-latency

        /// The default muxer takes max-latency (and reads it back); a mosaic
        /// (compositor) has no such property: an honest 409 naming the muxer
        /// and the property, and nothing changes. stream_id is ignored.
        @Test(arguments: [("default", "swiftstreammux"), ("compositor", "compositor")])
        func maxLatencyReachesTheMuxerOrIsRefused(_ muxer: String, _ factory: String) throws {
            let port = freeLocalPort()
            let p = restBin(port, properties: "muxer=\(muxer)")
            let recorder = PadRecorder(try #require(p.element("out")))
            let http = HTTPClient(port: port)
            try start(p)
            expectAnswer(try add(http, "cam1", TestMedia.h264(pattern: "ball", frames: 30)), 200, "STREAM_ADD_SUCCESS")
            // A mosaic carries no source meta: its frames count under UInt32.max.
            let source: UInt32 = muxer == "compositor" ? UInt32.max : 0
            #expect(waitUntil(ms: 10_000) { recorder.frames(source) > 5 })
            let element = try #require(p.element("muxer"))
            let raw = UnsafeMutableRawPointer(element)
            #expect(gst_element_get_factory(element).map { objectName(UnsafeMutableRawPointer($0)) } == factory)

            if muxer == "default" {
                // 10 s: far more than any frame here is late, so nothing is dropped.
                expectAnswer(try http.post("/api/v1/mux/max-latency", #"{"stream":{"max_latency":4000000000}}"#),
                             200, "MAX_LATENCY_UPDATE_SUCCESS")
                #expect(gsb_object_get_uint(raw, "max-latency") == 4_000_000_000)
                expectAnswer(try http.post("/mux/max-latency", #"{"stream":{"stream_id":"7","max_latency":0}}"#),
                             200, "MAX_LATENCY_UPDATE_SUCCESS")
                #expect(gsb_object_get_uint(raw, "max-latency") == 0)
            } else {
                #expect(gsb_object_has_property(raw, "max-latency") == 0)
                let reason = "MAX_LATENCY_UPDATE_FAIL, the muxer (\(factory)) has no property max-latency"
                expectAnswer(try http.post("/api/v1/mux/max-latency", #"{"stream":{"max_latency":100000}}"#), 409, reason)
                // stream_id is not needed and ignored: an unknown one is not a 404.
                expectAnswer(try http.post("/mux/max-latency", #"{"stream":{"stream_id":"7","max_latency":0}}"#), 409, reason)
            }
            expectAnswer(try http.post("/api/v1/mux/max-latency", #"{"stream":{"max_latency":-5}}"#),
                         400, "MAX_LATENCY_UPDATE_FAIL, ", mentions: ["max_latency"])
            #expect(keepsFlowing(recorder, source))
            #expect(recorder.control.isEmpty, "\(recorder.control)")
            p.drain()
            #expect(p.errors.isEmpty, "\(p.errors.map { $0.text ?? "" })")
            #expect(p.stop() == GST_STATE_CHANGE_SUCCESS)
        }

        // MARK: stream/add with an array

        /// Two sensors in one request on a playing bin: one answer with a
        /// result each, and both sources really play.
        @Test func arrayAddPlaysEverySensor() throws {
            let port = freeLocalPort()
            let p = restBin(port)
            let recorder = PadRecorder(try #require(p.element("out")))
            let http = HTTPClient(port: port)
            try start(p)
            let a = TestMedia.h264(pattern: "ball", frames: 30)
            let b = TestMedia.h264(pattern: "smpte", frames: 30)
            let body = expectAnswer(try http.post("/api/v1/stream/add", """
                {"key":"sensor","value":[{"camera_id":"camA","camera_name":"A","camera_url":"\(a)","change":"camera_add"},
                {"camera_id":"camB","camera_name":"B","camera_url":"\(b)","change":"camera_add"}],
                "headers":{"source":"vst"}}
                """), 200, "STREAM_ADD_SUCCESS")
            guard case let .array(results)? = body["results"], results.count == 2 else {
                Issue.record("no results array of two: \(body)")
                return
            }
            var answered: [(String?, Int64?, String?)] = []
            for result in results {
                guard case let .object(o) = result else { Issue.record("result is not an object: \(result)"); return }
                answered.append((string(o["camera_id"]), integer(o["source_id"]), string(o["reason"])))
            }
            #expect(answered.map(\.0) == ["camA", "camB"])
            #expect(answered.map(\.1) == [0, 1])
            #expect(answered.map(\.2) == ["STREAM_ADD_SUCCESS", "STREAM_ADD_SUCCESS"])

            #expect(waitUntil(ms: 15_000) { recorder.frames(0) > 20 && recorder.frames(1) > 20 },
                    "frames: \(recorder.frames(0)), \(recorder.frames(1))")
            let bin = try #require(p.bin())
            #expect(bin.streams().map(\.cameraId) == ["camA", "camB"])
            #expect(bin.streams().map(\.state) == [.playing, .playing])
            #expect(recorder.lifecycle.contains(.padAdded(sourceId: 0)) && recorder.lifecycle.contains(.padAdded(sourceId: 1)))
            p.drain()
            #expect(p.errors.isEmpty, "\(p.errors.map { $0.text ?? "" })")
            #expect(p.stop() == GST_STATE_CHANGE_SUCCESS)
            let adds = p.messages.filter { $0.structureName == "stream-add" }
            #expect(adds.map { $0.fields["sensor-id"] } == ["camA", "camB"])
            #expect(adds.map { $0.fields["source-id"] } == ["0", "1"])
        }

        // MARK: swiftroimeta and swiftinferinterval after the bin

        /// roi/update: every buffer of that stream after the event carries the
        /// posted rectangles, none before, none of the other stream.
        /// infer/set-interval 2: from the event on, that stream's count
        /// restarts, so the next frame passes and then every third one
        /// (frame numbers n+1, n+4, n+7, ...); the other stream keeps every frame.
        @Test func roiMetaAndInferIntervalFollowTheRoutes() throws {
            let port = freeLocalPort()
            let p = restBin(port, tail: "swiftroimeta ! swiftinferinterval ! ")
            let log = PassLog(try #require(p.element("out")))
            let http = HTTPClient(port: port)
            try start(p)
            expectAnswer(try add(http, "camA", TestMedia.h264(pattern: "ball", frames: 30)), 200, "STREAM_ADD_SUCCESS")
            expectAnswer(try add(http, "camB", TestMedia.h264(pattern: "smpte", frames: 30)), 200, "STREAM_ADD_SUCCESS")
            #expect(waitUntil(ms: 10_000) { log.numbers(0).count >= 10 && log.numbers(1).count >= 10 })

            expectAnswer(try http.post("/api/v1/roi/update", """
                {"stream":{"stream_id":"0","roi_count":2,"roi":[{"roi_id":"0","left":10,"top":20,"width":40,"height":30},
                {"roi_id":"1","left":80,"top":50,"width":60,"height":40}]}}
                """), 200, "ROI_UPDATE_SUCCESS")
            expectAnswer(try http.post("/api/v1/infer/set-interval", #"{"stream":{"stream_id":"camB","interval":2}}"#),
                         200, "INFER_INTERVAL_UPDATE_SUCCESS")
            let rois = [RoiRect(roiId: "0", left: 10, top: 20, width: 40, height: 30),
                        RoiRect(roiId: "1", left: 80, top: 50, width: 60, height: 40)]
            let roiEvent = ControlEvent.roiUpdate(streamId: "0", rois: rois)
            let intervalEvent = ControlEvent.inferIntervalUpdate(streamId: "1", interval: 2)

            var entries: [PassLog.Entry] = []
            #expect(waitUntil(ms: 10_000) {
                entries = log.entries
                guard let r = entries.firstIndex(of: .control(roiEvent)),
                      let i = entries.firstIndex(of: .control(intervalEvent)) else { return false }
                return PassLog.frames(1, entries[i...]).count >= 8 && PassLog.frames(0, entries[r...]).count >= 8
            }, "events or frames missing: \(entries.count) entries")
            // Both events travelled on through both elements, in order.
            #expect(entries.compactMap { if case let .control(e) = $0 { e } else { nil } } == [roiEvent, intervalEvent])
            guard let roiAt = entries.firstIndex(of: .control(roiEvent)),
                  let intervalAt = entries.firstIndex(of: .control(intervalEvent)) else {
                Issue.record("the events never reached the sink")
                return
            }

            let metas = [PassLog.Roi(type: "0", index: 0, x: 10, y: 20, w: 40, h: 30),
                         PassLog.Roi(type: "1", index: 1, x: 80, y: 50, w: 60, h: 40)]
            let before0 = PassLog.frames(0, entries[..<roiAt]), after0 = PassLog.frames(0, entries[roiAt...])
            #expect(!before0.isEmpty && before0.allSatisfy { $0.rois.isEmpty })
            #expect(after0.allSatisfy { $0.rois == metas }, "\(after0.map(\.rois))")
            #expect(PassLog.frames(1, entries[...]).allSatisfy { $0.rois.isEmpty })

            // Stream 0: every frame, numbered from 0 without a gap.
            let all0 = PassLog.frames(0, entries[...]).map(\.number)
            #expect(all0 == Array(0..<UInt64(all0.count)))
            // Stream 1: every frame up to the event, then n+1, n+4, n+7, ...
            let before1 = PassLog.frames(1, entries[..<intervalAt]).map(\.number)
            let after1 = PassLog.frames(1, entries[intervalAt...]).map(\.number)
            #expect(before1 == Array(0..<UInt64(before1.count)))
            let first = UInt64(before1.count)
            #expect(after1 == (0..<UInt64(after1.count)).map { first + 3 * $0 }, "after interval 2: \(after1)")

            p.drain()
            #expect(p.errors.isEmpty, "\(p.errors.map { $0.text ?? "" })")
            #expect(p.stop() == GST_STATE_CHANGE_SUCCESS)
        }

        // MARK: enable-padding

        /// A 320x240 clip into 160x160: with enable-padding it is scaled to
        /// 160x120 and bordered with 20 black rows (luma 16) above and below;
        /// without, it is stretched and the top rows show SMPTE bars.
        @Test(arguments: [true, false])
        func enablePaddingAddsBlackBars(_ padding: Bool) throws {
            let clip = TestMedia.h264(pattern: "smpte", frames: 10)
            let p = binPipeline("uri-list=\(clip) width=160 height=160 enable-padding=\(padding)")
            #expect(p.play() != GST_STATE_CHANGE_FAILURE)
            let sink = UnsafeMutableRawPointer(try #require(p.element("out"))).assumingMemoryBound(to: GstAppSink.self)
            let sample = try #require(gst_app_sink_try_pull_sample(sink, GstClockTime(slack(10_000)) * 1_000_000),
                                      "no frame")
            defer { gst_sample_unref(sample) }
            let caps = try #require(gst_sample_get_caps(sample))
            var info = GstVideoInfo()
            try #require(gst_video_info_from_caps(&info, caps) != 0)
            #expect(info.finfo.pointee.format == GST_VIDEO_FORMAT_I420)
            #expect((info.width, info.height) == (160, 160))
            #expect((info.par_n, info.par_d) == (1, 1))
            let buffer = try #require(gst_sample_get_buffer(sample))
            var frame = GstVideoFrame()
            try #require(gst_video_frame_map(&frame, &info, buffer, GST_MAP_READ) != 0)
            defer { gst_video_frame_unmap(&frame) }
            let luma = try #require(frame.data.0).assumingMemoryBound(to: UInt8.self)
            let stride = Int(frame.info.stride.0)
            func row(_ y: Int) -> [UInt8] { (0..<160).map { luma[y * stride + $0] } }
            func black(_ y: Int) -> Bool { row(y).allSatisfy { $0 == 16 } }

            if padding {
                #expect((0..<20).allSatisfy(black), "top rows: \(row(0).prefix(8)), row 19: \(row(19).prefix(8))")
                #expect((140..<160).allSatisfy(black), "bottom rows: \(row(159).prefix(8)), row 140: \(row(140).prefix(8))")
                #expect(!black(20) && !black(139), "the picture starts at row 20 and ends at row 139")
            } else {
                // No bar of the top of SMPTE is near black (its darkest, blue, is ~35).
                #expect((0..<20).allSatisfy { row($0).allSatisfy { $0 > 24 } }, "top row: \(row(0))")
                #expect(!black(159))
            }
            // Bars across the middle in both cases.
            #expect(row(80).allSatisfy { $0 > 24 }, "middle row: \(row(80))")
            p.drain()
            #expect(p.errors.isEmpty, "\(p.errors.map { $0.text ?? "" })")
            #expect(p.stop() == GST_STATE_CHANGE_SUCCESS)
        }
    }
}

/// What passed a pad, in order: each buffer (source id and frame number from
/// GstSwiftSourceMeta, region-of-interest metas) and each control event.
private final class PassLog: @unchecked Sendable {
    struct Roi: Equatable, Sendable {
        var type: String
        var index: Int32
        var x: UInt32, y: UInt32, w: UInt32, h: UInt32
    }
    struct Frame: Equatable, Sendable {
        var source: UInt32
        var number: UInt64
        var rois: [Roi]
    }
    enum Entry: Equatable, Sendable {
        case frame(Frame)
        case control(ControlEvent)
    }

    private let log = Mutex<[Entry]>([])

    init(_ element: UnsafeMutablePointer<GstElement>, pad name: String = "sink") {
        guard let pad = gst_element_get_static_pad(element, name) else {
            Issue.record("no \(name) pad to watch")
            return
        }
        let types = GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER.rawValue | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM.rawValue)
        gst_pad_add_probe(pad, types, { _, info, data in
            guard let info, let data else { return GST_PAD_PROBE_OK }
            let passLog = Unmanaged<PassLog>.fromOpaque(data).takeUnretainedValue()
            let type = gsb_probe_info_type(info).rawValue
            if type & GST_PAD_PROBE_TYPE_BUFFER.rawValue != 0, let buffer = gsb_probe_info_buffer(info) {
                let meta = gst_buffer_get_swift_source_meta(buffer)
                var rois: [Roi] = []
                var state: gpointer?
                while let m = gst_buffer_iterate_meta_filtered(buffer, &state, gst_video_region_of_interest_meta_api_get_type()) {
                    let roi = UnsafeMutableRawPointer(m).assumingMemoryBound(to: GstVideoRegionOfInterestMeta.self).pointee
                    let roiType = g_quark_to_string(roi.roi_type).map { String(cString: $0) } ?? ""
                    rois.append(Roi(type: roiType, index: roi.id, x: roi.x, y: roi.y, w: roi.w, h: roi.h))
                }
                let frame = Frame(source: meta?.pointee.source_id ?? UInt32.max,
                                  number: UInt64(meta?.pointee.frame_number ?? 0), rois: rois)
                passLog.log.withLock { $0.append(.frame(frame)) }
            } else if let event = gsb_probe_info_event(info), let control = ControlEvent(parsing: event) {
                passLog.log.withLock { $0.append(.control(control)) }
            }
            return GST_PAD_PROBE_OK
        }, Unmanaged.passRetained(self).toOpaque(), { data in
            guard let data else { return }
            Unmanaged<PassLog>.fromOpaque(data).release()
        })
        gst_object_unref(UnsafeMutableRawPointer(pad))
    }

    var entries: [Entry] { log.withLock { $0 } }

    /// Frame numbers of `source` so far.
    func numbers(_ source: UInt32) -> [UInt64] { Self.frames(source, entries[...]).map(\.number) }

    /// The frames of `source` among `entries`.
    static func frames(_ source: UInt32, _ entries: ArraySlice<Entry>) -> [Frame] {
        entries.compactMap { entry in
            if case let .frame(f) = entry, f.source == source { return f }
            return nil
        }
    }
}
