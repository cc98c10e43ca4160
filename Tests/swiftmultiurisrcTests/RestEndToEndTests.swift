import CGStreamer
import GstSwiftBridge
import Glibc
import Synchronization
import Testing
import swiftcustomevents
@testable import swiftmultiurisrc

extension PipelineSuites {
    /// DeepStream's curl requests, over real HTTP on 127.0.0.1, against
    /// swiftmultiurisrcbin in a PLAYING pipeline; every effect observed
    /// downstream or in the bin.
    @Suite(.serialized) struct RestEndToEndTests {
        let port = freeLocalPort()
        let pipeline: TestPipeline
        let recorder: PadRecorder
        let http: HTTPClient

        init() throws {
            TestGst.setUp()
            pipeline = TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) strict-http-status=true live-source=true "
                + "file-loop=true drop-pipeline-eos=true width=160 height=120 max-batch-size=4 ! "
                + "fakesink name=out sync=false")
            recorder = PadRecorder(pipeline.element("out")!)
            http = HTTPClient(port: port)
            pipeline.play()
            let bin = pipeline.bin()
            #expect(waitUntil(ms: 5_000) { bin?.isReady == true })
        }

        static func addBody(_ id: String, _ uri: String, change: String = "camera_add", extra: String = "") -> String {
            """
            {"key":"sensor","value":{"camera_id":"\(id)","camera_name":"\(id)-name","camera_url":"\(uri)",
            "change":"\(change)","metadata":{"resolution":"320x240","codec":"h264","framerate":30}\(extra)},
            "headers":{"source":"vst","created_at":"2021-06-01T14:34:13.417Z"}}
            """
        }

        func add(_ id: String, _ uri: String, extra: String = "") throws -> HTTPResponse {
            try http.post("/api/v1/stream/add", Self.addBody(id, uri, extra: extra))
        }

        /// GET info from the element itself names this GStreamer and its
        /// video decoders (a control without them once answered "" and []).
        @Test func infoNamesGStreamerAndTheDecoders() throws {
            let body = expectAnswer(try http.get("/api/v1/info"), 200, "GET_INFO_SUCCESS")
            guard case let .object(info)? = body["info"], case let .object(media)? = info["media"] ?? info["host"] else {
                Issue.record("no info object"); return
            }
            let gst = string(info["gstreamer"]) ?? string(media["gstreamer"]) ?? ""
            #expect(gst.hasPrefix("GStreamer 1."), "gstreamer: \(gst)")
            let decoders: [JSONValue]
            if case let .array(list)? = info["decoders"] ?? media["decoders"] { decoders = list } else { decoders = [] }
            #expect(decoders.contains(.string("avdec_h264")), "\(decoders)")
        }

        @Test func addInfoRemoveLikeDeepStreamClients() throws {
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            let added = try add("cam1", uri)
            expectAnswer(added, 200, "STREAM_ADD_SUCCESS")
            #expect(added.header("Content-Type")?.hasPrefix("application/json") == true)
            #expect(waitUntil(ms: 5_000) { recorder.frames(0) > 10 })

            let info = try http.get("/api/v1/stream/get-stream-info")
            #expect(info.status == 200)
            #expect(info.text.contains("\"camera_id\": \"cam1\"") || info.text.contains("\"camera_id\":\"cam1\""))
            #expect(info.text.contains("playing"))

            expectAnswer(try add("cam1", uri), 409, "STREAM_ADD_FAIL", mentions: ["cam1"])
            // DeepStream 6.2/6.3 spelling, without the prefix; remove by camera_id alone.
            let removed = try http.post("/stream/remove", Self.addBody("cam1", "", change: "camera_remove"))
            expectAnswer(removed, 200, "STREAM_REMOVE_SUCCESS")
            let before = recorder.frames(0)
            g_usleep(500_000)
            #expect(recorder.frames(0) <= before + 1)
            expectAnswer(try http.post("/api/v1/stream/remove", Self.addBody("cam1", "", change: "camera_remove")),
                         404, "STREAM_REMOVE_FAIL")
            pipeline.drain()
            #expect(pipeline.errors.isEmpty)
            #expect(pipeline.messages.contains { $0.structureName == "stream-add" && $0.fields["sensor-id"] == "cam1" })
            #expect(pipeline.messages.contains { $0.structureName == "stream-remove" && $0.fields["sensor-id"] == "cam1" })
            #expect(recorder.lifecycle.contains(.padAdded(sourceId: 0)))
            #expect(recorder.lifecycle.contains(.padDeleted(sourceId: 0)))
        }

        @Test func controlEventsReachDownstreamExactly() throws {
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            expectAnswer(try add("cam1", uri), 200, "STREAM_ADD_SUCCESS")
            #expect(waitUntil(ms: 5_000) { recorder.frames(0) > 3 })
            let roi = """
            {"stream":{"stream_id":"0","roi_count":2,"roi":[{"roi_id":"0","left":100,"top":300,"width":400,"height":400},
            {"roi_id":"1","left":550,"top":300,"width":500,"height":500}]}}
            """
            expectAnswer(try http.post("/api/v1/roi/update", roi), 200, "ROI_UPDATE_SUCCESS")
            expectAnswer(try http.post("/api/v1/infer/set-interval", #"{"stream":{"stream_id":"cam1","interval":2}}"#),
                         200, "INFER_INTERVAL_UPDATE_SUCCESS")
            expectAnswer(try http.post("/api/v1/enc/bitrate", #"{"stream":{"stream_id":"0","bitrate":2000000}}"#),
                         200, "BITRATE_UPDATE_SUCCESS")
            expectAnswer(try http.post("/api/v1/roi/update", #"{"stream":{"stream_id":"7","roi_count":0,"roi":[]}}"#),
                         404, "ROI_UPDATE_FAIL", mentions: ["stream_id"])
            #expect(waitUntil(ms: 3_000) { recorder.control.count >= 3 })
            #expect(recorder.control == [
                .roiUpdate(streamId: "0", rois: [RoiRect(roiId: "0", left: 100, top: 300, width: 400, height: 400),
                                                 RoiRect(roiId: "1", left: 550, top: 300, width: 500, height: 500)]),
                .inferIntervalUpdate(streamId: "0", interval: 2),
                .encBitrate(streamId: "0", bitrate: 2_000_000),
            ])
        }

        @Test func dropFrameIntervalKeepsEveryNthFrame() throws {
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            expectAnswer(try add("cam1", uri), 200, "STREAM_ADD_SUCCESS")
            #expect(waitUntil(ms: 10_000) { recorder.frames(0) > 10 })
            // Which frames pass, not how many a second: before the update every
            // frame (gap 1), after it every third (gap 3), on any machine.
            let before = recorder.frameGaps(0)
            #expect(before.count >= 10 && before.allSatisfy { $0 == 1 }, "gaps before: \(before)")
            let mark = recorder.pts(0).count
            expectAnswer(try http.post("/api/v1/dec/drop-frame-interval",
                                       #"{"stream":{"stream_id":"0","drop_frame_interval":3}}"#),
                         200, "DROP_FRAME_INTERVAL_UPDATE_SUCCESS")
            // Frames already past the dropper when the update came still arrive
            // (gaps of 1); one gap of 1 to 3 follows where the interval changed,
            // then every gap is 3.
            var after: [Int] = []
            #expect(waitUntil(ms: 20_000) {
                after = Array(recorder.frameGaps(0, after: mark).drop { $0 == 1 })
                return after.count >= 12
            }, "gaps after the update: \(recorder.frameGaps(0, after: mark))")
            #expect((1...3).contains(after.first ?? 0) && after.dropFirst().allSatisfy { $0 == 3 },
                    "interval 3 let through gaps \(after)")
            expectAnswer(try http.post("/api/v1/dec/drop-frame-interval",
                                       #"{"stream":{"stream_id":"0","drop_frame_interval":31}}"#),
                         400, "DROP_FRAME_INTERVAL_UPDATE_FAIL", mentions: ["drop_frame_interval"])
        }

        @Test func capacityAndBadInputLeaveStreamsPlaying() throws {
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            for i in 0..<4 { expectAnswer(try add("cam\(i)", uri), 200, "STREAM_ADD_SUCCESS") }
            expectAnswer(try add("cam9", uri), 429, "STREAM_ADD_FAIL", mentions: ["max-batch-size"])
            expectAnswer(try http.post("/api/v1/stream/add", "{not json"), 400, "STREAM_ADD_FAIL")
            expectAnswer(try add("", uri), 400, "STREAM_ADD_FAIL", mentions: ["camera_id"])
            // Every stream goes on after the refusals (a bounded wait for the frames, not a rate).
            let before = (0..<4).map { recorder.frames(UInt32($0)) }
            #expect(waitUntil(ms: 15_000) { (0..<4).allSatisfy { recorder.frames(UInt32($0)) > before[$0] + 15 } },
                    "streams stalled: \(before) → \((0..<4).map { recorder.frames(UInt32($0)) })")
            pipeline.drain()
            #expect(pipeline.errors.isEmpty)
        }

        @Test func appQuitPostsForcePipelineEosAndEndsTheStream() throws {
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            expectAnswer(try add("cam1", uri), 200, "STREAM_ADD_SUCCESS")
            #expect(waitUntil(ms: 5_000) { recorder.frames(0) > 3 })
            expectAnswer(try http.post("/api/v1/app/quit", #"{"stream":{"app_quit":1}}"#), 200, "QUIT_SUCCESS")
            let message = pipeline.waitForElementMessage("force-pipeline-eos", timeoutMs: slack(3_000))
            #expect(message?.fields["force_eos"] == "true")
            #expect(waitUntil(ms: 3_000) { recorder.eos })
        }

        /// A bin left at its defaults answers as DeepStream 9.1 does: status
        /// line 200, the outcome (here the duplicate, 409) in the body.
        @Test func aBinAtItsDefaultsAnswersLikeDeepStream() throws {
            let otherPort = freeLocalPort()
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            let other = TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(otherPort) live-source=true "
                + "file-loop=true uri-list=\(uri) sensor-id-list=cam1 ! fakesink sync=false")
            other.play()
            let bin = try #require(other.bin())
            #expect(waitUntil(ms: 5_000) { bin.isReady })
            let client = HTTPClient(port: otherPort)
            let again = try client.post("/api/v1/stream/add", Self.addBody("cam1", uri))
            #expect(again.status == 200, "\(again.text)")
            #expect(string(jsonObject(again)["status"]) == HTTPStatus.line(409), "\(again.text)")
            // DeepStream 9.1's reason first, ours after it.
            #expect(string(jsonObject(again)["reason"])?.hasPrefix("STREAM_ADD_FAIL, Duplicate Camera id, unable to add stream") == true,
                    "\(again.text)")
            #expect(bin.streams().map(\.cameraId) == ["cam1"])
            #expect(other.stop() != GST_STATE_CHANGE_FAILURE)
        }

        @Test func sixteenConcurrentClientsEndInAConsistentState() throws {
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            let port = self.port
            let outcomes = Mutex<[Int: Int]>([:])
            runOnThreads(16) { client in
                let http = HTTPClient(port: port, timeoutMs: 15_000)
                for round in 0..<4 {
                    let id = "c\(client)-\(round)"
                    let codes = [
                        (try? http.post("/api/v1/stream/add", RestEndToEndTests.addBody(id, uri)))?.status ?? -1,
                        (try? http.post("/api/v1/stream/remove", RestEndToEndTests.addBody(id, "", change: "camera_remove")))?.status ?? -1,
                    ]
                    outcomes.withLock { o in codes.forEach { o[$0, default: 0] += 1 } }
                }
            }
            let seen = outcomes.withLock { $0 }
            // Every request answered: adds succeed or meet the capacity (429);
            // removes succeed, or find nothing after a refused add (404).
            #expect(seen[-1] == nil, "unanswered requests: \(seen)")
            #expect(Set(seen.keys).isSubset(of: [200, 404, 429]), "\(seen)")
            #expect((seen[200] ?? 0) >= 32)
            let bin = try #require(pipeline.bin())
            #expect(bin.streams().isEmpty, "left over: \(bin.streams().map(\.cameraId))")
            pipeline.drain()
            #expect(pipeline.errors.isEmpty)
        }

        @Test func twoElementsInOneProcessServeTheirOwnPorts() throws {
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            let otherPort = freeLocalPort()
            let other = TestPipeline("swiftmultiurisrcbin ip-address=127.0.0.1 port=\(otherPort) strict-http-status=true live-source=true "
                + "file-loop=true uri-list=\(uri),\(uri) ! fakesink sync=false")
            #expect(other.play() != GST_STATE_CHANGE_FAILURE)
            expectAnswer(try add("only-here", uri), 200, "STREAM_ADD_SUCCESS")
            let mine = try http.get("/api/v1/stream/get-stream-info")
            let theirs = try HTTPClient(port: otherPort).get("/api/v1/stream/get-stream-info")
            #expect(mine.text.contains("\"stream-count\":1") || mine.text.contains("\"stream-count\": 1"), "\(mine.text)")
            #expect(theirs.text.contains("\"stream-count\":2") || theirs.text.contains("\"stream-count\": 2"), "\(theirs.text)")
            #expect(!theirs.text.contains("only-here"))
            other.stop()
        }

        /// GET info from the bin itself: its media facts reach the answer
        /// (they once stopped at the protocol's default), the CPU model is
        /// one line.
        @Test func infoFromABinCarriesItsPlatform() throws {
            let body = expectAnswer(try http.get("/api/v1/info"), 200, "GET_INFO_SUCCESS")
            guard case let .object(info)? = body["info"], case let .object(host)? = info["host"] else {
                Issue.record("no info: \(body)"); return
            }
            #expect(string(info["gstreamer"])?.hasPrefix("GStreamer 1.") == true, "\(String(describing: info["gstreamer"]))")
            #expect(info["decoders"].map { "\($0)" }?.contains("avdec_h264") == true, "\(String(describing: info["decoders"]))")
            #expect(string(host["cpu_model"])?.contains("\n") == false, "\(String(describing: host["cpu_model"]))")
            #expect(info["state_file"] == .null)
        }

        @Test func aPortInUseFailsTheStateChangeWithAClearError() throws {
            let second = TestPipeline("swiftmultiurisrcbin ip-address=127.0.0.1 port=\(port) strict-http-status=true ! fakesink")
            #expect(second.play() == GST_STATE_CHANGE_FAILURE)
            let error = second.waitFor([GST_MESSAGE_ERROR], timeoutMs: slack(2_000))
            #expect(error?.text?.contains("\(port)") == true, "\(error?.text ?? "no error")")
        }
    }
}

extension PipelineSuites {
    /// What the routes change inside the bin, and the REST token.
    @Suite(.serialized) struct RestSettingsEndToEndTests {
        let port = freeLocalPort()
        let pipeline: TestPipeline
        let recorder: PadRecorder
        let http: HTTPClient

        init() throws {
            TestGst.setUp()
            pipeline = TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) strict-http-status=true live-source=true "
                + "file-loop=true width=160 height=120 rest-token=s3cret ! fakesink name=out sync=false")
            recorder = PadRecorder(pipeline.element("out")!)
            http = HTTPClient(port: port)
            pipeline.play()
            let bin = pipeline.bin()
            #expect(waitUntil(ms: 5_000) { bin?.isReady == true })
        }

        func post(_ path: String, _ body: String, token: String? = "s3cret") throws -> HTTPResponse {
            try http.request("POST", path, body: Array(body.utf8),
                             headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
        }

        func sourceElement(_ name: String) throws -> UnsafeMutablePointer<GstElement> {
            let bin = try #require(pipeline.element("source-bin-00"))
            return try #require(gst_bin_get_by_name(UnsafeMutableRawPointer(bin).assumingMemoryBound(to: GstBin.self), name))
        }

        @Test func convDecMuxAndInferenceRoutesTakeEffect() throws {
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            expectAnswer(try post("/api/v1/stream/add", RestEndToEndTests.addBody("cam1", uri)), 200, "STREAM_ADD_SUCCESS")
            #expect(waitUntil(ms: 5_000) { recorder.frames(0) > 5 })
            // Frames keep coming through whatever was linked in.
            func keepsFlowing() -> Bool {
                let before = recorder.frames(0)
                return waitUntil(ms: 5_000) { recorder.frames(0) >= before + 5 }
            }
            // videocrop, videoflip and videobox are linked in on demand only.
            let binElement = try #require(pipeline.element("source-bin-00"))
            let sourceBin = UnsafeMutableRawPointer(binElement).assumingMemoryBound(to: GstBin.self)
            for name in ["crop", "flip", "box"] { #expect(gst_bin_get_by_name(sourceBin, name) == nil, "\(name)") }

            expectAnswer(try post("/api/v1/conv/srccrop", #"{"stream":{"stream_id":"0","src_crop":"10:20:160:120"}}"#),
                         200, "SRC_CROP_UPDATE_SUCCESS")
            #expect(keepsFlowing())
            let crop = try sourceElement("crop")
            defer { gst_object_unref(UnsafeMutableRawPointer(crop)) }
            #expect([gsb_object_get_int(crop, "left"), gsb_object_get_int(crop, "top"),
                     gsb_object_get_int(crop, "right"), gsb_object_get_int(crop, "bottom")] == [10, 20, 150, 100])
            // Past the 320x240 frame: clamped to it, as nvvideoconvert does.
            expectAnswer(try post("/api/v1/conv/srccrop", #"{"stream":{"stream_id":"0","src_crop":"300:0:160:120"}}"#),
                         200, "SRC_CROP_UPDATE_SUCCESS")
            #expect([gsb_object_get_int(crop, "left"), gsb_object_get_int(crop, "top"),
                     gsb_object_get_int(crop, "right"), gsb_object_get_int(crop, "bottom")] == [300, 0, 0, 120])
            #expect(keepsFlowing())
            // Nothing of it inside the frame: refused, naming the field.
            expectAnswer(try post("/api/v1/conv/srccrop", #"{"stream":{"stream_id":"0","src_crop":"320:0:16:16"}}"#),
                         400, "SRC_CROP_UPDATE_FAIL", mentions: ["src_crop", "nothing inside"])

            expectAnswer(try post("/api/v1/conv/flip-method", #"{"stream":{"stream_id":"0","flip_method":2}}"#),
                         200, "FLIP_METHOD_UPDATE_SUCCESS")
            let flip = try sourceElement("flip")
            defer { gst_object_unref(UnsafeMutableRawPointer(flip)) }
            #expect(gsb_object_get_int(flip, "video-direction") == 2)
            #expect(gsb_element_current_state(flip) == GST_STATE_PLAYING)
            #expect(keepsFlowing())

            expectAnswer(try post("/api/v1/conv/interpolation-method", #"{"stream":{"stream_id":"0","interpolation_method":0}}"#),
                         200, "INTERPOLATION_METHOD_UPDATE_SUCCESS")
            let scale = try sourceElement("convert")
            defer { gst_object_unref(UnsafeMutableRawPointer(scale)) }
            #expect(gsb_object_get_int(scale, "method") == 0)

            expectAnswer(try post("/api/v1/conv/destcrop", #"{"stream":{"stream_id":"0","dest_crop":"0:0:80:60"}}"#),
                         200, "DEST_CROP_UPDATE_SUCCESS")
            let box = try sourceElement("box")
            defer { gst_object_unref(UnsafeMutableRawPointer(box)) }
            #expect([gsb_object_get_int(box, "right"), gsb_object_get_int(box, "bottom")] == [-80, -60])
            #expect(keepsFlowing())
            // Scaled into 80x60, bordered back to the 160x120 frame.
            let sink = try #require(pipeline.element("out"))
            let sinkPad = try #require(gst_element_get_static_pad(sink, "sink"))
            defer { gst_object_unref(UnsafeMutableRawPointer(sinkPad)) }
            let caps = try #require(gst_pad_get_current_caps(sinkPad))
            defer { gsb_caps_unref(caps) }
            var width: gint = 0, height: gint = 0
            let structure = try #require(gst_caps_get_structure(caps, 0))
            _ = gst_structure_get_int(structure, "width", &width)
            _ = gst_structure_get_int(structure, "height", &height)
            #expect((width, height) == (160, 120))

            // The default muxer batches once it has a timeout, and stops again at -1.
            expectAnswer(try post("/api/v1/mux/batched-push-timeout", #"{"stream":{"batched_push_timeout":40000}}"#),
                         200, "BATCHED_PUSH_TIMEOUT_UPDATE_SUCCESS")
            let muxer = try #require(pipeline.element("muxer"))
            #expect(gsb_object_get_int(UnsafeMutableRawPointer(muxer), "batched-push-timeout") == 40000)
            expectAnswer(try post("/api/v1/mux/batched-push-timeout", #"{"stream":{"batched_push_timeout":-1}}"#),
                         200, "BATCHED_PUSH_TIMEOUT_UPDATE_SUCCESS")

            expectAnswer(try post("/api/v1/osd/process-mode", #"{"stream":{"stream_id":"0","process_mode":1}}"#),
                         200, "PROCESS_MODE_UPDATE_SUCCESS")
            expectAnswer(try post("/api/v1/nvtracker/config-path", #"{"stream":{"stream_id":"0","config_path":"/tmp/t.yml"}}"#),
                         200, "NVTRACKER_CONFIG_UPDATE_SUCCESS")
            expectAnswer(try post("/api/v1/analytics/reload-config", #"{"stream":{"config_file_path":"/tmp/a.txt"}}"#),
                         200, "RELOAD_CONFIG_UPDATE_SUCCESS")
            #expect(waitUntil(ms: 3_000) { recorder.control.count >= 3 })
            #expect(recorder.control.contains(.osdProcessModeUpdate(streamId: "0", processMode: 1)))
            #expect(recorder.control.contains(.trackerConfigUpdate(streamId: "0", configPath: "/tmp/t.yml")))
            #expect(recorder.control.contains(.analyticsReloadConfig(configFilePath: "/tmp/a.txt")))
            pipeline.drain()
            #expect(pipeline.errors.isEmpty)
        }

        @Test func skipFramesTwoKeepsKeyFramesOnly() throws {
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            expectAnswer(try post("/api/v1/stream/add", RestEndToEndTests.addBody("cam1", uri)), 200, "STREAM_ADD_SUCCESS")
            #expect(waitUntil(ms: 10_000) { recorder.frames(0) > 10 })
            let before = recorder.frameGaps(0)
            #expect(before.count >= 10 && before.allSatisfy { $0 == 1 }, "gaps before: \(before)")
            let mark = recorder.pts(0).count
            expectAnswer(try post("/api/v1/dec/skip-frames", #"{"stream":{"stream_id":"0","skip_frames":2}}"#),
                         200, "SKIP_FRAMES_UPDATE_SUCCESS")
            // The clips have a key frame every 15 frames (key-int-max=15, 30 frames
            // looped): once the decoder skips non-key frames, buffers are 15 frames apart.
            var after: [Int] = []
            #expect(waitUntil(ms: 20_000) {
                after = Array(recorder.frameGaps(0, after: mark).drop { $0 == 1 }.dropFirst())
                return after.count >= 4
            }, "gaps after skip-frames: \(recorder.frameGaps(0, after: mark))")
            #expect(after.allSatisfy { $0 == 15 }, "key frames only should be 15 frames apart: \(after)")
        }

        @Test func theTokenIsRequired() throws {
            let anonymous = try http.get("/api/v1/version")
            #expect(anonymous.status == 401)
            #expect(anonymous.header("WWW-Authenticate") == "Bearer")
            expectAnswer(try post("/api/v1/app/quit", #"{"stream":{"app_quit":1}}"#, token: "wrong"), 401, "REQUEST_FAIL",
                         mentions: ["Authorization"])
            let ok = try http.request("GET", "/api/v1/version", headers: [("Authorization", "Bearer s3cret")])
            #expect(ok.status == 200)
        }
    }
}
