import Glibc
import Testing
import swiftcustomevents
@testable import swiftmultiurisrc

/// Every DeepStream route over real HTTP on 127.0.0.1, with and without the
/// /api/v1 prefix: the right control call with the right values, the right
/// status, body and content type; and every class of failure with its code
/// and a reason naming the field.
@Suite struct RestRouteTests {
    static let prefixes = ["/api/v1", ""]

    /// A server with two seeded sources: cam0 (id 0) and cam1 (id 1).
    func setUp() throws -> (RecordingControl, RestServer, HTTPClient) {
        let control = RecordingControl()
        control.seed("cam0")
        control.seed("cam1", uri: "rtsp://user:***@cam1/stream")
        let server = try makeTestServer(control)
        return (control, server, HTTPClient(port: server.boundPort))
    }

    // MARK: control routes, success

    struct ControlCase: Sendable, CustomTestStringConvertible {
        var path: String
        var body: String
        var reason: String
        var call: RecordingControl.Call
        var testDescription: String { path }
    }

    static let controlCases: [ControlCase] = [
        ControlCase(path: "/roi/update",
                    body: #"{"stream":{"stream_id":"1","roi_count":2,"roi":[{"roi_id":"0","left":100,"top":300,"width":400,"height":400},{"roi_id":7,"left":0,"top":0,"width":10,"height":20}]}}"#,
                    reason: "ROI_UPDATE_SUCCESS",
                    call: .push(.roiUpdate(streamId: "1", rois: [RoiRect(roiId: "0", left: 100, top: 300, width: 400, height: 400),
                                                                RoiRect(roiId: "7", left: 0, top: 0, width: 10, height: 20)]))),
        ControlCase(path: "/dec/drop-frame-interval", body: #"{"stream":{"stream_id":"cam1","drop_frame_interval":2}}"#,
                    reason: "DROP_FRAME_INTERVAL_UPDATE_SUCCESS", call: .sourceSetting(1, .dropFrameInterval(2))),
        ControlCase(path: "/dec/skip-frames", body: #"{"stream":{"stream_id":"1","skip_frames":2}}"#,
                    reason: "SKIP_FRAMES_UPDATE_SUCCESS", call: .sourceSetting(1, .skipFrames(2))),
        ControlCase(path: "/dec/low-latency-mode", body: #"{"stream":{"stream_id":1,"low_latency_mode":true}}"#,
                    reason: "LOW_LATENCY_MODE_UPDATE_SUCCESS", call: .sourceSetting(1, .lowLatencyMode(true))),
        ControlCase(path: "/infer/set-interval", body: #"{"stream":{"stream_id":"0","interval":3}}"#,
                    reason: "INFER_INTERVAL_UPDATE_SUCCESS", call: .push(.inferIntervalUpdate(streamId: "0", interval: 3))),
        ControlCase(path: "/inferserver/set-interval", body: #"{"stream":{"stream_id":"cam0","interval":4}}"#,
                    reason: "INFERSERVER_INTERVAL_UPDATE_SUCCESS", call: .push(.inferIntervalUpdate(streamId: "0", interval: 4))),
        ControlCase(path: "/enc/bitrate", body: #"{"stream":{"stream_id":"1","bitrate":4000000}}"#,
                    reason: "BITRATE_UPDATE_SUCCESS", call: .push(.encBitrate(streamId: "1", bitrate: 4_000_000))),
        ControlCase(path: "/enc/force-idr", body: #"{"stream":{"stream_id":"1","force_idr":true}}"#,
                    reason: "FORCE_IDR_UPDATE_SUCCESS", call: .push(.encForceIdr(streamId: "1", force: 1))),
        ControlCase(path: "/enc/force-intra", body: #"{"stream":{"stream_id":"1","force_intra":1}}"#,
                    reason: "FORCE_INTRA_UPDATE_SUCCESS", call: .push(.encForceIntra(streamId: "1", force: 1))),
        ControlCase(path: "/enc/iframe-interval", body: #"{"stream":{"stream_id":"1","iframeinterval":30}}"#,
                    reason: "IFRAME_INTERVAL_UPDATE_SUCCESS", call: .push(.encIframeInterval(streamId: "1", interval: 30))),
        ControlCase(path: "/conv/srccrop", body: #"{"stream":{"stream_id":"1","src_crop":"10:20:640:480"}}"#,
                    reason: "SRC_CROP_UPDATE_SUCCESS",
                    call: .sourceSetting(1, .sourceCrop(CropRect(left: 10, top: 20, width: 640, height: 480)))),
        ControlCase(path: "/conv/destcrop", body: #"{"stream":{"stream_id":"1","dest_crop":"0:0:320:240"}}"#,
                    reason: "DEST_CROP_UPDATE_SUCCESS",
                    call: .sourceSetting(1, .destinationCrop(CropRect(left: 0, top: 0, width: 320, height: 240)))),
        ControlCase(path: "/conv/flip-method", body: #"{"stream":{"stream_id":"1","flip_method":7}}"#,
                    reason: "FLIP_METHOD_UPDATE_SUCCESS", call: .sourceSetting(1, .flipMethod(7))),
        ControlCase(path: "/conv/interpolation-method", body: #"{"stream":{"stream_id":"1","interpolation_method":6}}"#,
                    reason: "INTERPOLATION_METHOD_UPDATE_SUCCESS", call: .sourceSetting(1, .interpolationMethod(6))),
        ControlCase(path: "/mux/batched-push-timeout", body: #"{"stream":{"batched_push_timeout":40000}}"#,
                    reason: "BATCHED_PUSH_TIMEOUT_UPDATE_SUCCESS", call: .muxer(.batchedPushTimeout(40000))),
        ControlCase(path: "/mux/max-latency", body: #"{"stream":{"max_latency":100000}}"#,
                    reason: "MAX_LATENCY_UPDATE_SUCCESS", call: .muxer(.maxLatency(100_000))),
        ControlCase(path: "/osd/process-mode", body: #"{"stream":{"stream_id":"1","process_mode":1}}"#,
                    reason: "PROCESS_MODE_UPDATE_SUCCESS", call: .push(.osdProcessModeUpdate(streamId: "1", processMode: 1))),
        ControlCase(path: "/nvtracker/config-path", body: #"{"stream":{"stream_id":"1","config_path":"/cfg/tracker.yml"}}"#,
                    reason: "NVTRACKER_CONFIG_UPDATE_SUCCESS",
                    call: .push(.trackerConfigUpdate(streamId: "1", configPath: "/cfg/tracker.yml"))),
        ControlCase(path: "/analytics/reload-config", body: #"{"stream":{"config_file_path":"/cfg/analytics.txt"}}"#,
                    reason: "RELOAD_CONFIG_UPDATE_SUCCESS", call: .push(.analyticsReloadConfig(configFilePath: "/cfg/analytics.txt"))),
        ControlCase(path: "/app/quit", body: #"{"stream":{"app_quit":1}}"#, reason: "QUIT_SUCCESS", call: .quit),
    ]

    @Test(arguments: controlCases, prefixes)
    func controlRouteSucceeds(_ c: ControlCase, _ prefix: String) throws {
        let (control, server, client) = try setUp()
        defer { server.stop() }
        let response = try client.post(prefix + c.path, c.body)
        let body = expectAnswer(response, 200, c.reason)
        #expect(string(body["reason"]) == c.reason)
        #expect(control.calls == [c.call])
    }

    /// Any root key name works, as in DeepStream; stream_id may be a camera id.
    @Test func anyRootKeyAndCameraIdAsStreamId() throws {
        let (control, server, client) = try setUp()
        defer { server.stop() }
        expectAnswer(try client.post("/api/v1/infer/set-interval", #"{"whatever":{"stream_id":"cam1","interval":0}}"#),
                     200, "INFER_INTERVAL_UPDATE_SUCCESS")
        #expect(control.lastCall == .push(.inferIntervalUpdate(streamId: "1", interval: 0)))
        expectAnswer(try client.post("/api/v1/mux/batched-push-timeout", #"{"stream":{"batched_push_timeout":-1}}"#),
                     200, "BATCHED_PUSH_TIMEOUT_UPDATE_SUCCESS")
        #expect(control.lastCall == .muxer(.batchedPushTimeout(-1)))
    }

    // MARK: control routes, failures

    struct FailCase: Sendable, CustomTestStringConvertible {
        var path: String
        var body: String
        var status: Int
        var reasonPrefix: String
        var mentions: String
        var testDescription: String { "\(path) \(status) \(mentions)" }
    }

    static let failCases: [FailCase] = [
        // wrong types
        FailCase(path: "/dec/drop-frame-interval", body: #"{"stream":{"stream_id":"1","drop_frame_interval":"2"}}"#,
                 status: 400, reasonPrefix: "DROP_FRAME_INTERVAL_UPDATE_FAIL", mentions: "drop_frame_interval"),
        FailCase(path: "/dec/low-latency-mode", body: #"{"stream":{"stream_id":"1","low_latency_mode":"on"}}"#,
                 status: 400, reasonPrefix: "LOW_LATENCY_MODE_UPDATE_FAIL", mentions: "low_latency_mode"),
        FailCase(path: "/enc/bitrate", body: #"{"stream":{"stream_id":"1","bitrate":1.5}}"#,
                 status: 400, reasonPrefix: "BITRATE_UPDATE_FAIL", mentions: "bitrate"),
        FailCase(path: "/conv/srccrop", body: #"{"stream":{"stream_id":"1","src_crop":[1,2,3,4]}}"#,
                 status: 400, reasonPrefix: "SRC_CROP_UPDATE_FAIL", mentions: "src_crop"),
        FailCase(path: "/nvtracker/config-path", body: #"{"stream":{"stream_id":"1","config_path":5}}"#,
                 status: 400, reasonPrefix: "NVTRACKER_CONFIG_UPDATE_FAIL", mentions: "config_path"),
        FailCase(path: "/infer/set-interval", body: #"{"stream":{"stream_id":{"id":1},"interval":1}}"#,
                 status: 400, reasonPrefix: "INFER_INTERVAL_UPDATE_FAIL", mentions: "stream_id"),
        // out of range
        FailCase(path: "/dec/drop-frame-interval", body: #"{"stream":{"stream_id":"1","drop_frame_interval":31}}"#,
                 status: 400, reasonPrefix: "DROP_FRAME_INTERVAL_UPDATE_FAIL", mentions: "drop_frame_interval"),
        FailCase(path: "/dec/skip-frames", body: #"{"stream":{"stream_id":"1","skip_frames":3}}"#,
                 status: 400, reasonPrefix: "SKIP_FRAMES_UPDATE_FAIL", mentions: "skip_frames"),
        FailCase(path: "/conv/flip-method", body: #"{"stream":{"stream_id":"1","flip_method":8}}"#,
                 status: 400, reasonPrefix: "FLIP_METHOD_UPDATE_FAIL", mentions: "flip_method"),
        FailCase(path: "/conv/interpolation-method", body: #"{"stream":{"stream_id":"1","interpolation_method":7}}"#,
                 status: 400, reasonPrefix: "INTERPOLATION_METHOD_UPDATE_FAIL", mentions: "interpolation_method"),
        FailCase(path: "/osd/process-mode", body: #"{"stream":{"stream_id":"1","process_mode":3}}"#,
                 status: 400, reasonPrefix: "PROCESS_MODE_UPDATE_FAIL", mentions: "process_mode"),
        FailCase(path: "/enc/iframe-interval", body: #"{"stream":{"stream_id":"1","iframeinterval":4294967296}}"#,
                 status: 400, reasonPrefix: "IFRAME_INTERVAL_UPDATE_FAIL", mentions: "iframeinterval"),
        FailCase(path: "/enc/bitrate", body: #"{"stream":{"stream_id":"1","bitrate":0}}"#,
                 status: 400, reasonPrefix: "BITRATE_UPDATE_FAIL", mentions: "bitrate"),
        FailCase(path: "/mux/batched-push-timeout", body: #"{"stream":{"batched_push_timeout":-2}}"#,
                 status: 400, reasonPrefix: "BATCHED_PUSH_TIMEOUT_UPDATE_FAIL", mentions: "batched_push_timeout"),
        FailCase(path: "/mux/batched-push-timeout", body: #"{"stream":{"batched_push_timeout":2147483648}}"#,
                 status: 400, reasonPrefix: "BATCHED_PUSH_TIMEOUT_UPDATE_FAIL", mentions: "batched_push_timeout"),
        FailCase(path: "/conv/destcrop", body: #"{"stream":{"stream_id":"1","dest_crop":"1:2:3"}}"#,
                 status: 400, reasonPrefix: "DEST_CROP_UPDATE_FAIL", mentions: "dest_crop"),
        // negative numbers for uint fields
        FailCase(path: "/infer/set-interval", body: #"{"stream":{"stream_id":"1","interval":-1}}"#,
                 status: 400, reasonPrefix: "INFER_INTERVAL_UPDATE_FAIL", mentions: "interval"),
        FailCase(path: "/mux/max-latency", body: #"{"stream":{"max_latency":-100}}"#,
                 status: 400, reasonPrefix: "MAX_LATENCY_UPDATE_FAIL", mentions: "max_latency"),
        FailCase(path: "/roi/update", body: #"{"stream":{"stream_id":"1","roi":[{"roi_id":"0","left":-5,"top":0,"width":1,"height":1}]}}"#,
                 status: 400, reasonPrefix: "ROI_UPDATE_FAIL", mentions: "roi[0].left"),
        FailCase(path: "/roi/update", body: #"{"stream":{"stream_id":"1","roi_count":2,"roi":[{"roi_id":"0","left":5,"top":0,"width":1,"height":1}]}}"#,
                 status: 400, reasonPrefix: "ROI_UPDATE_FAIL", mentions: "roi_count"),
        // missing fields
        FailCase(path: "/enc/bitrate", body: #"{"stream":{"stream_id":"1"}}"#,
                 status: 400, reasonPrefix: "BITRATE_UPDATE_FAIL", mentions: "bitrate"),
        FailCase(path: "/enc/force-idr", body: #"{"stream":{"force_idr":true}}"#,
                 status: 400, reasonPrefix: "FORCE_IDR_UPDATE_FAIL", mentions: "stream_id"),
        FailCase(path: "/analytics/reload-config", body: #"{"stream":{"config_file_path":""}}"#,
                 status: 400, reasonPrefix: "RELOAD_CONFIG_UPDATE_FAIL", mentions: "config_file_path"),
        FailCase(path: "/app/quit", body: #"{"stream":{"app_quit":0}}"#,
                 status: 400, reasonPrefix: "QUIT_FAIL", mentions: "app_quit"),
        FailCase(path: "/app/quit", body: #"{"stream":{}}"#,
                 status: 400, reasonPrefix: "QUIT_FAIL", mentions: "app_quit"),
        // unknown stream ids
        FailCase(path: "/enc/force-intra", body: #"{"stream":{"stream_id":"9","force_intra":true}}"#,
                 status: 404, reasonPrefix: "FORCE_INTRA_UPDATE_FAIL", mentions: "stream_id"),
        FailCase(path: "/roi/update", body: #"{"stream":{"stream_id":"nosuchcam","roi":[]}}"#,
                 status: 404, reasonPrefix: "ROI_UPDATE_FAIL", mentions: "stream_id"),
        // body shape
        FailCase(path: "/osd/process-mode", body: #"{"stream":{"stream_id":"1","process_mode":1}"#,
                 status: 400, reasonPrefix: "PROCESS_MODE_UPDATE_FAIL", mentions: "body"),
        FailCase(path: "/osd/process-mode", body: #"[{"stream_id":"1"}]"#,
                 status: 400, reasonPrefix: "PROCESS_MODE_UPDATE_FAIL", mentions: "body"),
        FailCase(path: "/osd/process-mode", body: #"{"a":{"stream_id":"1","process_mode":1},"b":{}}"#,
                 status: 400, reasonPrefix: "PROCESS_MODE_UPDATE_FAIL", mentions: "body"),
        FailCase(path: "/osd/process-mode", body: #"{"stream":"1"}"#,
                 status: 400, reasonPrefix: "PROCESS_MODE_UPDATE_FAIL", mentions: "stream"),
        FailCase(path: "/osd/process-mode", body: "",
                 status: 400, reasonPrefix: "PROCESS_MODE_UPDATE_FAIL", mentions: "body"),
        FailCase(path: "/infer/set-interval", body: #"{"stream":{"stream_id":"1","interval":123456789012345678901234567890}}"#,
                 status: 400, reasonPrefix: "INFER_INTERVAL_UPDATE_FAIL", mentions: "body"),
    ]

    /// DeepStream 9.1's own failure texts lead the reason, spelling and
    /// spacing as 9.1 has them (../shared/reference/deepstream-9.1.md §1.2);
    /// our detail, naming the field, follows in parentheses.
    static let deepStreamTexts: [FailCase] = [
        FailCase(path: "/roi/update", body: #"{"stream":{"stream_id":"nosuchcam","roi":[]}}"#, status: 404,
                 reasonPrefix: "ROI_UPDATE_FAIL, Unable to find stream id for ROI updation (", mentions: "stream_id"),
        FailCase(path: "/roi/update", body: #"{"stream":{"stream_id":[1],"roi":[]}}"#, status: 400,
                 reasonPrefix: "ROI_UPDATE_FAIL, stream_id value not parsed correctly (", mentions: "stream.stream_id"),
        FailCase(path: "/dec/drop-frame-interval", body: #"{"stream":{"stream_id":"1","drop_frame_interval":31}}"#, status: 400,
                 reasonPrefix: "DROP_FRAME_INTERVAL_UPDATE_FAIL, drop_frame_interval value not parsed correctly, Range: 0 - 30 (",
                 mentions: "stream.drop_frame_interval"),
        FailCase(path: "/dec/skip-frames", body: #"{"stream":{"stream_id":"1","skip_frames":"x"}}"#, status: 400,
                 reasonPrefix: "SKIP_FRAMES_UPDATE_FAIL, skip_frames value not parsed correctly, Range: 0-2 (", mentions: "skip_frames"),
        FailCase(path: "/enc/iframe-interval", body: #"{"stream":{"stream_id":"1","iframeinterval":257}}"#, status: 400,
                 reasonPrefix: "IFRAME_INTERVAL_UPDATE_FAIL, iframeinterval value not parsed correctly, Unsigned Integer Range: 0 - 4294967295 (",
                 mentions: "iframeinterval"),
        FailCase(path: "/enc/bitrate", body: #"{"stream":{"stream_id":"9","bitrate":1000}}"#, status: 404,
                 reasonPrefix: "BITRATE_UPDATE_FAIL, Not able to find source id (", mentions: "stream_id"),
        FailCase(path: "/infer/set-interval", body: #"{"stream":{"stream_id":"1","interval":33}}"#, status: 400,
                 reasonPrefix: "INFER_INTERVAL_UPDATE_FAIL, interval value not parsed correctly, Unsigned Integer. Range: 0 - 32 (",
                 mentions: "stream.interval"),
        FailCase(path: "/infer/set-interval", body: #"{"stream":{"stream_id":"9","interval":3}}"#, status: 404,
                 reasonPrefix: "INFER_INTERVAL_UPDATE_FAIL, Unable to find stream id for infer property updation (", mentions: "stream_id"),
        FailCase(path: "/inferserver/set-interval", body: #"{"stream":{"stream_id":"9","interval":3}}"#, status: 404,
                 reasonPrefix: "INFERSERVER_INTERVAL_UPDATE_FAIL, Unable to find stream id for infer (inferserver) property updation (",
                 mentions: "stream_id"),
        FailCase(path: "/nvtracker/config-path", body: #"{"stream":{"stream_id":"9","config_path":"a.yml"}}"#, status: 404,
                 reasonPrefix: "NVTRACKER_CONFIG_UPDATE_FAIL, Unable to find stream id for nvTracker property updation (", mentions: "stream_id"),
        FailCase(path: "/osd/process-mode", body: #"{"stream":{"stream_id":"9","process_mode":1}}"#, status: 404,
                 reasonPrefix: "PROCESS_MODE_UPDATE_FAIL, Unable to find stream id for osd property updation (", mentions: "stream_id"),
        FailCase(path: "/conv/srccrop", body: #"{"stream":{"stream_id":"1","src_crop":"1:2"}}"#, status: 400,
                 reasonPrefix: "SRC_CROP_UPDATE_FAIL, src_crop value not parsed correctly,  Use string with values of crop location to set the property. e.g. 20:20:40:50 (",
                 mentions: "src_crop"),
        FailCase(path: "/conv/destcrop", body: #"{"stream":{"stream_id":"1","dest_crop":"1:2"}}"#, status: 400,
                 reasonPrefix: "DEST_CROP_UPDATE_FAIL, dest_crop value not parsed correctly, Use string with values of crop location to set the property. e.g. 20:20:40:50 (",
                 mentions: "dest_crop"),
        FailCase(path: "/conv/flip-method", body: #"{"stream":{"stream_id":"1","flip_method":8}}"#, status: 400,
                 reasonPrefix: "FLIP_METHOD_UPDATE_FAIL, flip_method value not parsed correctly, Enum value range 0-7 (", mentions: "flip_method"),
        FailCase(path: "/conv/interpolation-method", body: #"{"stream":{"stream_id":"1","interpolation_method":7}}"#, status: 400,
                 reasonPrefix: "INTERPOLATION_METHOD_UPDATE_FAIL, interpolation_method value not parsed correctly, Enum value range 0-6 (",
                 mentions: "interpolation_method"),
        FailCase(path: "/conv/flip-method", body: #"{"stream":{"stream_id":true,"flip_method":1}}"#, status: 400,
                 reasonPrefix: "FLIP_METHOD_UPDATE_FAIL, stream_id value not parsed correctly (", mentions: "stream_id"),
        FailCase(path: "/mux/batched-push-timeout", body: #"{"stream":{"batched_push_timeout":-2}}"#, status: 400,
                 reasonPrefix: "BATCHED_PUSH_TIMEOUT_UPDATE_FAIL, batched_push_timeout value not parsed correctly,  Range: -1 - 2147483647 (",
                 mentions: "batched_push_timeout"),
        FailCase(path: "/stream/add", body: #"{"key":"sensor","value":{"camera_id":"c","camera_url":"file:///x","change":"rename"}}"#,
                 status: 400, reasonPrefix: "STREAM_ADD_FAIL, Sensor API change string not supported (", mentions: "value.change"),
    ]

    @Test(arguments: deepStreamTexts)
    func reasonsLeadWithDeepStreamsText(_ c: FailCase) throws {
        let (control, server, client) = try setUp()
        defer { server.stop() }
        expectAnswer(try client.post("/api/v1" + c.path, c.body), c.status, c.reasonPrefix, mentions: [c.mentions])
        #expect(control.calls.isEmpty, "no control call on bad input")
    }

    @Test(arguments: failCases)
    func controlRouteFails(_ c: FailCase) throws {
        let (control, server, client) = try setUp()
        defer { server.stop() }
        expectAnswer(try client.post("/api/v1" + c.path, c.body), c.status, c.reasonPrefix + ", ", mentions: [c.mentions])
        #expect(control.calls.isEmpty, "no control call on bad input")
    }

    /// ControlError from the element maps to its status; the reason keeps the detail.
    @Test(arguments: [
        (ControlError.unsupported("no encoder downstream"), 409),
        (ControlError.internalError("push refused"), 500),
        (ControlError.unavailable("element not running"), 503),
        (ControlError.notFound("stream went away"), 404),
        (ControlError.badRequest(field: "bitrate", detail: "too high for the encoder"), 400),
    ])
    func controlErrorsMapToStatus(_ error: ControlError, _ status: Int) throws {
        let (control, server, client) = try setUp()
        defer { server.stop() }
        control.failNext(error)
        expectAnswer(try client.post("/enc/bitrate", #"{"stream":{"stream_id":"1","bitrate":1000}}"#),
                     status, "BITRATE_UPDATE_FAIL, ", mentions: [error.detail])
    }

    // MARK: stream add / remove

    @Test(arguments: prefixes)
    func streamAddSucceeds(_ prefix: String) throws {
        let (control, server, client) = try setUp()
        defer { server.stop() }
        let response = try client.post(prefix + "/stream/add", #"""
        {"key":"sensor","value":{"camera_id":"cam9","camera_name":"gate","camera_url":"rtsp://u:p@gate/s","change":"camera_add",
         "metadata":{"resolution":"1920 x1080","codec":"h264","framerate":30}},"headers":{"source":"vst","created_at":"2021-06-01T14:34:13.417Z"}}
        """#)
        let body = expectAnswer(response, 200, "STREAM_ADD_SUCCESS")
        #expect(string(body["reason"]) == "STREAM_ADD_SUCCESS")
        #expect(integer(body["source_id"]) == 2)
        #expect(control.calls == [.add(AddStreamRequest(cameraId: "cam9", cameraName: "gate", uri: "rtsp://u:p@gate/s"))])
    }

    @Test func streamAddWithOptionsEventAndWait() throws {
        let (control, server, client) = try setUp()
        defer { server.stop() }
        expectAnswer(try client.post("/api/v1/stream/add", #"""
        {"event":{"camera_id":"c","camera_url":"rtsp://x","change":"camera_streaming",
                  "options":{"latency":200,"rtp_protocol":4,"drop_frame_interval":2,"file_loop":false},
                  "wait_for_first_frame_ms":2500}}
        """#, contentType: "application/json"), 200, "STREAM_ADD_SUCCESS")
        #expect(control.lastCall == .add(AddStreamRequest(
            cameraId: "c", cameraName: "", uri: "rtsp://x",
            options: SourceOptions(latencyMs: 200, rtpProtocol: 4, dropFrameInterval: 2, fileLoop: false),
            waitForFirstFrameMs: 2500)))
    }

    @Test func streamAddFailures() throws {
        let (control, server, client) = try setUp()
        defer { server.stop() }
        expectAnswer(try client.post("/stream/add", #"{"value":{"camera_id":"","camera_url":"rtsp://x"}}"#),
                     400, "STREAM_ADD_FAIL, ", mentions: ["camera_id"])
        expectAnswer(try client.post("/stream/add", #"{"value":{"camera_id":"z","camera_url":""}}"#),
                     400, "STREAM_ADD_FAIL, ", mentions: ["camera_url"])
        expectAnswer(try client.post("/stream/add", #"{"value":{"camera_id":"z","camera_url":"x","change":"camera_update"}}"#),
                     400, "STREAM_ADD_FAIL, ", mentions: ["change", "not supported"])
        expectAnswer(try client.post("/stream/add", #"{"value":{"camera_id":"z","camera_url":"x","options":{"latency":"200"}}}"#),
                     400, "STREAM_ADD_FAIL, ", mentions: ["options.latency"])
        expectAnswer(try client.post("/stream/add", #"{"value":{"camera_id":"z","camera_url":"x","options":{"buffer":1}}}"#),
                     400, "STREAM_ADD_FAIL, ", mentions: ["options.buffer"])
        expectAnswer(try client.post("/stream/add", #"{"key":"sensor"}"#), 400, "STREAM_ADD_FAIL, ", mentions: ["value"])
        #expect(control.calls.isEmpty)
        // From the control: duplicate camera id (409), capacity (429).
        expectAnswer(try client.post("/stream/add", #"{"value":{"camera_id":"cam1","camera_url":"rtsp://x"}}"#),
                     409, "STREAM_ADD_FAIL, ", mentions: ["Duplicate"])
        expectAnswer(try client.post("/stream/add", #"{"value":{"camera_id":"a","camera_url":"rtsp://x"}}"#), 200, "STREAM_ADD_SUCCESS")
        expectAnswer(try client.post("/stream/add", #"{"value":{"camera_id":"b","camera_url":"rtsp://x"}}"#), 200, "STREAM_ADD_SUCCESS")
        expectAnswer(try client.post("/stream/add", #"{"value":{"camera_id":"c","camera_url":"rtsp://x"}}"#),
                     429, "STREAM_ADD_FAIL, Active sources exceded max-batch-size of nvstreammux", mentions: ["max-batch-size (4)"])
    }

    @Test(arguments: prefixes)
    func streamRemove(_ prefix: String) throws {
        let (control, server, client) = try setUp()
        defer { server.stop() }
        // By camera_id alone.
        let body = expectAnswer(try client.post(prefix + "/stream/remove",
                                                #"{"key":"sensor","value":{"camera_id":"cam0","change":"camera_remove"}}"#),
                                200, "STREAM_REMOVE_SUCCESS")
        #expect(integer(body["source_id"]) == 0)
        #expect(control.lastCall == .remove(cameraId: "cam0", url: nil))
        // The url is checked when given.
        expectAnswer(try client.post(prefix + "/stream/remove", #"{"value":{"camera_id":"cam1","camera_url":"rtsp://other"}}"#),
                     409, "STREAM_REMOVE_FAIL, ", mentions: ["camera_url"])
        expectAnswer(try client.post(prefix + "/stream/remove",
                                     #"{"value":{"camera_id":"cam1","camera_url":"rtsp://user:***@cam1/stream"}}"#),
                     200, "STREAM_REMOVE_SUCCESS")
        #expect(control.lastCall == .remove(cameraId: "cam1", url: "rtsp://user:***@cam1/stream"))
        expectAnswer(try client.post(prefix + "/stream/remove", #"{"value":{"camera_id":"cam1"}}"#),
                     404, "STREAM_REMOVE_FAIL, ", mentions: ["camera_id"])
        expectAnswer(try client.post(prefix + "/stream/remove", #"{"value":{"camera_id":"cam1","change":"camera_moved"}}"#),
                     400, "STREAM_REMOVE_FAIL, ", mentions: ["change"])
        // A removal sent to stream/add is a removal, and answers as one.
        _ = control.seed("cam7")
        expectAnswer(try client.post(prefix + "/stream/add", #"{"value":{"camera_id":"cam7","change":"camera_remove"}}"#),
                     200, "STREAM_REMOVE_SUCCESS")
        #expect(!control.streams().contains { $0.cameraId == "cam7" })
    }

    @Test func multiSensorAdd() throws {
        let (control, server, client) = try setUp()
        defer { server.stop() }
        // All succeed.
        var body = expectAnswer(try client.post("/api/v1/stream/add", #"""
        {"value":[{"camera_id":"a","camera_url":"rtsp://a"},{"camera_id":"b","camera_url":"rtsp://b"}]}
        """#), 200, "STREAM_ADD_SUCCESS")
        guard case let .array(all)? = body["results"], all.count == 2 else { Issue.record("results"); return }
        guard case let .object(first) = all[0] else { Issue.record("results[0] is not an object: \(all[0])"); return }
        #expect(string(first["camera_id"]) == "a")
        #expect(string(first["reason"]) == "STREAM_ADD_SUCCESS")
        #expect(integer(first["source_id"]) == 2)
        // Mixed: a bad item, a duplicate and a good one (capacity 4: cam0, cam1, a after removing b).
        _ = try client.post("/stream/remove", #"{"value":{"camera_id":"b"}}"#)
        body = expectAnswer(try client.post("/api/v1/stream/add", #"""
        {"value":[{"camera_id":"x"},{"camera_id":"a","camera_url":"rtsp://a"},{"camera_id":"c","camera_url":"rtsp://c"}]}
        """#), 200, "STREAM_ADD_PARTIAL_SUCCESS, 2 of 3 failed")
        guard case let .array(mixed)? = body["results"], mixed.count == 3 else { Issue.record("results"); return }
        let statuses = mixed.map { v -> String in
            if case let .object(o) = v { return string(o["status"]) ?? "" }
            return ""
        }
        #expect(statuses == [HTTPStatus.line(400), HTTPStatus.line(409), HTTPStatus.line(200)])
        guard case let .object(o) = mixed[0] else { Issue.record("results[0] is not an object: \(mixed[0])"); return }
        #expect(string(o["reason"])?.contains("value[0].camera_url") == true)
        // All fail: the first failure's code (409 duplicate, then 429 capacity).
        expectAnswer(try client.post("/api/v1/stream/add", #"""
        {"value":[{"camera_id":"a","camera_url":"rtsp://a"},{"camera_id":"q","camera_url":"rtsp://q"}]}
        """#), 409, "STREAM_ADD_FAIL, all 2 failed; first: ", mentions: ["Duplicate"])
        #expect(control.calls.filter { if case .add = $0 { true } else { false } }.count == 6)
    }

    // MARK: GET routes

    @Test(arguments: prefixes)
    func streamInfo(_ prefix: String) throws {
        let (_, server, client) = try setUp()
        defer { server.stop() }
        let body = expectAnswer(try client.get(prefix + "/stream/get-stream-info"), 200, "GET_LIVE_STREAM_INFO_SUCCESS")
        guard case let .object(info)? = body["stream-info"] else { Issue.record("stream-info"); return }
        #expect(integer(info["stream-count"]) == 2)
        guard case let .array(list)? = info["stream-info"], list.count == 2, case let .object(s1) = list[1] else {
            Issue.record("list"); return
        }
        #expect(integer(s1["source_id"]) == 1)
        #expect(string(s1["camera_id"]) == "cam1")
        #expect(string(s1["camera_name"]) == "name-cam1")
        #expect(string(s1["uri"]) == "rtsp://user:***@cam1/stream")
        #expect(string(s1["state"]) == "playing")
        #expect(integer(s1["frames_out"]) == 42)
        #expect(s1["fps"] == .real(25))
        #expect(s1["last_error"] == .null)
    }

    @Test(arguments: prefixes)
    func healthAndVersion(_ prefix: String) throws {
        let (control, server, client) = try setUp()
        defer { server.stop() }
        var body = expectAnswer(try client.get(prefix + "/health/get-dsready-state"), 200, "GET_READY_INFO_SUCCESS")
        #expect(body["health-info"] == .object(JSONObject(["ds-ready": "YES"])))
        control.setReady(false)
        body = expectAnswer(try client.get(prefix + "/health/get-dsready-state"), 200, "GET_READY_INFO_SUCCESS")
        #expect(body["health-info"] == .object(JSONObject(["ds-ready": "NO"])))
        body = expectAnswer(try client.get(prefix + "/version"), 200, "GET_VERSION_SUCCESS")
        #expect(string(body["version"])?.contains("REST API Version v1") == true)
    }

    /// DeepStream 9.1's probes: its bodies, and a NO goes out as 503 (what a
    /// Kubernetes probe reads), with strict-http-status on or off.
    @Test(arguments: prefixes, [true, false])
    func probesAnswer503ForNo(_ prefix: String, _ strict: Bool) throws {
        let control = RecordingControl()
        let server = try makeTestServer(control) { $0.strictHttpStatus = strict }
        defer { server.stop() }
        let client = HTTPClient(port: server.boundPort)
        let probes = [("/live", "GET_LIVE_INFO", "live-info", "ds-liveness"),
                      ("/ready", "GET_READY_INFO", "ready-info", "ds-ready"),
                      ("/startup", "GET_STARTUP_INFO", "startup-info", "ds-startup")]
        for (path, op, member, field) in probes {
            let body = expectAnswer(try client.get(prefix + path), 200, op + "_SUCCESS")
            #expect(body[member] == .object(JSONObject([field: "YES"])), "\(path)")
        }
        control.setReady(false)
        for (path, op, member, field) in probes {
            let r = try client.get(prefix + path)
            #expect(r.status == 503, "\(path): \(r.status)")
            let body = jsonObject(r)
            // The body is DeepStream's: a successful query of a NO.
            #expect(string(body["reason"]) == op + "_SUCCESS", "\(path): \(r.text)")
            #expect(body[member] == .object(JSONObject([field: "NO"])), "\(path): \(r.text)")
        }
    }

    /// GET info (ours): the host as sysconf and /proc see it, the server as
    /// configured (whether a token is needed, never the token).
    @Test func infoDescribesHostAndServer() throws {
        let server = try makeTestServer(RecordingControl()) { $0.token = "s3cret"; $0.corsOrigins = ["http://ui.example"] }
        defer { server.stop() }
        let r = try HTTPClient(port: server.boundPort).request("GET", "/api/v1/info", headers: [("Authorization", "Bearer s3cret")])
        let body = expectAnswer(r, 200, "GET_INFO_SUCCESS")
        #expect(!r.text.contains("s3cret"))
        guard case let .object(info)? = body["info"], case let .object(host)? = info["host"],
              case let .object(facts)? = info["server"] else {
            Issue.record("no info: \(r.text)"); return
        }
        #expect(integer(host["cores"]) == Int64(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #expect((integer(host["memory_bytes"]) ?? 0) > 0)
        #expect(string(info["version"]) == restAPIVersion)
        #expect(integer(facts["port"]) == Int64(server.boundPort))
        #expect(string(facts["address"]) == "127.0.0.1")
        #expect(facts["token"] == .bool(true) && facts["tls"] == .bool(false) && facts["strict_http_status"] == .bool(true))
        #expect(facts["cors_origins"] == .array([.string("http://ui.example")]))
    }
}
