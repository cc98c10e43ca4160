import Testing
import swiftcustomevents
@testable import swiftmultiurisrc

/// Parsing without HTTP: the jansson bridge, the typed field reader, and each
/// route's payload parser.
@Suite struct RestParseTests {
    func reader(_ json: String) throws -> FieldReader {
        guard case let .object(o) = try JSONCodec.parse(Array(json.utf8)) else {
            Issue.record("not an object: \(json)")
            return FieldReader(JSONObject())
        }
        return FieldReader(o)
    }

    /// The field named by the ControlError.badRequest that `body` throws.
    func badField(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as ControlError {
            if case let .badRequest(field, _) = error { return field }
            return "not badRequest: \(error)"
        } catch {
            return "not a ControlError: \(error)"
        }
    }

    // MARK: jansson bridge

    @Test func parsesEveryJSONKind() throws {
        let v = try JSONCodec.parse(Array(#"{"a":1,"b":-2.5,"c":"x\u00e9\ny","d":[true,false,null],"e":{"f":9223372036854775807}}"#.utf8))
        guard case let .object(o) = v else { Issue.record("not an object"); return }
        #expect(o.keys == ["a", "b", "c", "d", "e"])
        #expect(o["a"] == .integer(1))
        #expect(o["b"] == .real(-2.5))
        #expect(o["c"] == .string("x\u{e9}\ny"))
        #expect(o["d"] == .array([.bool(true), .bool(false), .null]))
        #expect(o["e"] == .object(JSONObject(["f": .integer(Int64.max)])))
    }

    @Test(arguments: [
        "", "{", "{\"a\":}", "[1,,]", "[,]", "nope", "\"bare string\"", "// only a comment",
        "{\"big\": 99999999999999999999}", "{\"a\": \"\u{FFFF}\"", "{'a': 1}", "{\"a\": NaN}",
        "{\"a\": 1 /* never closed", String(repeating: "[", count: 40) + String(repeating: "]", count: 40),
    ])
    func rejectsMalformedJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { _ = try JSONCodec.parse(Array(text.utf8)) }
    }

    /// What DeepStream's parser (jsoncpp, default settings) accepts and
    /// DeepStream's clients therefore may send: comments, trailing commas,
    /// a byte order mark, bytes after the value, duplicate keys (last wins).
    /// Strings that merely look like comments or commas are left alone.
    @Test(arguments: [
        (#"{"a":1, // a comment\#n "b":[1,2,],}"#, #"{"a":1,"b":[1,2]}"#),
        (#"/* head */ {"a" /* in */ : 1 , } /* tail */"#, #"{"a":1}"#),
        ("\u{FEFF}{\"a\":1}", #"{"a":1}"#),
        (#"{"a":1} trailing bytes {"b":2}"#, #"{"a":1}"#),
        (#"{"a":1,"a":2}"#, #"{"a":2}"#),
        (#"{"s":"// not a comment, /* nor this */ ,]"}"#, #"{"s":"// not a comment, /* nor this */ ,]"}"#),
        (#"{"s":"quote \" then ,}"}"#, #"{"s":"quote \" then ,}"}"#),
        (#"[ 1 , /* x */ ]"#, #"[1]"#),
    ])
    func acceptsWhatDeepStreamsParserAccepts(_ text: String, _ expected: String) throws {
        let value = try JSONCodec.parse(Array(text.utf8))
        #expect(value == (try JSONCodec.parse(Array(expected.utf8))), "\(text)")
    }

    /// NUL inside strings would cut C strings downstream (event structures).
    @Test func rejectsNulInStrings() {
        #expect(throws: JSONParseError.self) { _ = try JSONCodec.parse(Array(#"{"camera_id":"a\u0000b"}"#.utf8)) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError.self) { _ = try JSONCodec.parse([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]) }
    }

    @Test func serializesInOrderWithEscapes() {
        let body = JSONValue.object(JSONObject([
            "status": "HTTP/1.1 200 OK", "n": .integer(-3), "nan": .real(.nan), "s": .string("a\"b\u{0}"),
            "list": .array([.null, .bool(true)]),
        ]))
        let text = String(decoding: JSONCodec.serialize(body) ?? [], as: UTF8.self)
        #expect(text == #"{"status":"HTTP/1.1 200 OK","n":-3,"nan":null,"s":"a\"b\u0000","list":[null,true]}"#)
        // Round trip.
        let back = JSONValue.object(JSONObject(["s": .string("é \" \\ / \t"), "i": .integer(Int64.min)]))
        #expect((try? JSONCodec.parse(JSONCodec.serialize(back) ?? [])) == back)
    }

    /// Answers are written by our own writer; jansson (which reads every
    /// request) must read each shape back to the same value.
    @Test func janssonReadsBackEveryAnswerShape() throws {
        let controls = String(decoding: (1..<0x20).map { UInt8($0) }, as: UTF8.self)
        let values: [JSONValue] = [
            .string(controls), .string("é ü 日本 🎥 \" \\ / \u{7F}"), .string(""),
            .integer(0), .integer(-1), .integer(Int64.max), .integer(Int64.min),
            .real(29.97002997002997), .real(30), .real(1e-5), .real(-2.5e300), .real(0.1),
            .bool(false), .null, .array([]), .object(JSONObject()),
            .array([.object(JSONObject(["a": .array([.integer(1), .string("x")]), "b": .null]))]),
        ]
        for value in values {
            let document = JSONValue.object(JSONObject(["v": value, "k\n\"": .bool(true)]))
            let bytes = try #require(JSONCodec.serialize(document))
            #expect(try JSONCodec.parse(bytes) == document, "\(String(decoding: bytes, as: UTF8.self))")
        }
        #expect(JSONCodec.serialize(.object(JSONObject(["r": .real(.infinity)]))) == Array(#"{"r":null}"#.utf8))
    }

    // MARK: field reader

    @Test func readerTypesAndRanges() throws {
        let r = try reader(#"{"s":"x","i":5,"neg":-1,"big":4294967296,"str":"5","b":true,"one":1,"two":2,"nul":null,"o":{"k":1}}"#)
        #expect(try r.string("s") == "x")
        #expect(try r.uint32("i", in: 0...30) == 5)
        #expect(try r.optionalUInt32("nul") == nil)
        #expect(try r.bool("b") == true)
        #expect(try r.bool("one") == true)
        #expect(badField { _ = try r.uint32("neg") } == "neg")
        #expect(badField { _ = try r.uint32("big") } == "big")
        #expect(badField { _ = try r.uint32("str") } == "str")
        #expect(badField { _ = try r.uint32("i", in: 0...2) } == "i")
        #expect(badField { _ = try r.bool("two") } == "two")
        #expect(badField { _ = try r.string("missing") } == "missing")
        #expect(badField { _ = try r.string("i") } == "i")
        #expect(badField { _ = try r.object("o").uint32("zz") } == "o.zz")
        #expect(try r.int32("neg", in: -1...Int32.max) == -1)
    }

    // MARK: stream add / remove

    @Test func streamAddSingle() throws {
        let body = try reader(#"""
        {"key":"sensor","value":{"camera_id":"cam1","camera_name":"front","camera_url":"rtsp://h/s",
         "change":"camera_add","metadata":{"resolution":"1920x1080","codec":"h264","framerate":30},
         "options":{"latency":200,"rtp_protocol":4,"drop_frame_interval":2,"file_loop":true},
         "wait_for_first_frame_ms":1500},
         "headers":{"source":"vst","created_at":"2021-06-01T14:34:13.417Z"}}
        """#)
        guard case let .single(.add(req)) = try StreamRoutes.parse(body, action: .add) else {
            Issue.record("not a single add"); return
        }
        #expect(req == AddStreamRequest(cameraId: "cam1", cameraName: "front", uri: "rtsp://h/s",
                                        options: SourceOptions(latencyMs: 200, rtpProtocol: 4, dropFrameInterval: 2, fileLoop: true),
                                        waitForFirstFrameMs: 1500))
    }

    @Test func streamAddAcceptsEventAndStreamingAndIntegerIds() throws {
        let body = try reader(#"{"event":{"camera_id":7,"camera_url":"file:///a.mp4","change":"camera_streaming"}}"#)
        guard case let .single(.add(req)) = try StreamRoutes.parse(body, action: .add) else {
            Issue.record("not a single add"); return
        }
        #expect(req.cameraId == "7")
        #expect(req.cameraName == "")
        #expect(req.options == SourceOptions())
        #expect(req.waitForFirstFrameMs == nil)
    }

    @Test(arguments: [
        (#"{"value":{"camera_id":"","camera_url":"x"}}"#, "value.camera_id"),
        (#"{"value":{"camera_url":"x"}}"#, "value.camera_id"),
        (#"{"value":{"camera_id":"a","camera_url":""}}"#, "value.camera_url"),
        (#"{"value":{"camera_id":"a","camera_url":5}}"#, "value.camera_url"),
        (#"{"value":{"camera_id":"a","camera_url":"x","change":"camera_update"}}"#, "value.change"),
        (#"{"value":{"camera_id":"a","camera_url":"x","options":{"latncy":1}}}"#, "value.options.latncy"),
        (#"{"value":{"camera_id":"a","camera_url":"x","options":{"rtp_protocol":2}}}"#, "value.options.rtp_protocol"),
        (#"{"value":{"camera_id":"a","camera_url":"x","options":{"drop_frame_interval":31}}}"#, "value.options.drop_frame_interval"),
        (#"{"value":{"camera_id":"a","camera_url":"x","options":{"latency":-5}}}"#, "value.options.latency"),
        (#"{"value":{"camera_id":"a","camera_url":"x","options":{"file_loop":"yes"}}}"#, "value.options.file_loop"),
        (#"{"value":{"camera_id":"a","camera_url":"x","wait_for_first_frame_ms":60001}}"#, "value.wait_for_first_frame_ms"),
        (#"{"value":"cam"}"#, "value"),
        (#"{"value":[]}"#, "value"),
        (#"{"key":"sensor"}"#, "value"),
    ])
    func streamAddRejects(_ json: String, _ field: String) throws {
        let body = try reader(json)
        #expect(badField { _ = try StreamRoutes.parse(body, action: .add) } == field)
    }

    /// Savant's per-stream options: labels (bounded, named safely) and the two
    /// stop conditions, each refused with the field named.
    @Test func lifecycleOptionsOfAnAdd() throws {
        let body = try reader(#"{"value":{"camera_id":"a","camera_url":"x","labels":{"site":"gate","floor.no":"2"},"stop_after_frames":300,"stop_after_seconds":60}}"#)
        guard case let .single(.add(request)) = try StreamRoutes.parse(body, action: .add) else {
            Issue.record("an add"); return
        }
        #expect(request.labels == ["site": "gate", "floor.no": "2"])
        #expect(request.stopAfterFrames == 300 && request.stopAfterSeconds == 60)
        let many = (0..<17).map { "\"k\($0)\":\"v\"" }.joined(separator: ",")
        for (json, field) in [
            (#"{"value":{"camera_id":"a","camera_url":"x","labels":{"bad key":"v"}}}"#, "value.labels.bad key"),
            (#"{"value":{"camera_id":"a","camera_url":"x","labels":{"k":["v"]}}}"#, "value.labels.k"),
            (#"{"value":{"camera_id":"a","camera_url":"x","labels":{"k":"\#(String(repeating: "v", count: 257))"}}}"#, "value.labels.k"),
            (#"{"value":{"camera_id":"a","camera_url":"x","labels":{\#(many)}}}"#, "value.labels"),
            (#"{"value":{"camera_id":"a","camera_url":"x","labels":"site"}}"#, "value.labels"),
            (#"{"value":{"camera_id":"a","camera_url":"x","stop_after_frames":0}}"#, "value.stop_after_frames"),
            (#"{"value":{"camera_id":"a","camera_url":"x","stop_after_seconds":604801}}"#, "value.stop_after_seconds"),
            (#"{"value":{"camera_id":"a","camera_url":"x","stop_after_seconds":-1}}"#, "value.stop_after_seconds"),
        ] {
            let fields = try reader(json)
            #expect(badField { _ = try StreamRoutes.parse(fields, action: .add) } == field, "\(json.prefix(90))")
        }
    }

    @Test func streamRemoveNeedsOnlyCameraId() throws {
        let alone = try reader(#"{"value":{"camera_id":"cam1","change":"camera_remove"}}"#)
        guard case .single(.remove(cameraId: "cam1", url: nil)) = try StreamRoutes.parse(alone, action: .remove) else {
            Issue.record("remove by id"); return
        }
        let emptyUrl = try reader(#"{"value":{"camera_id":"cam1","camera_url":""}}"#)
        guard case .single(.remove(cameraId: "cam1", url: nil)) = try StreamRoutes.parse(emptyUrl, action: .remove) else {
            Issue.record("empty url is no url"); return
        }
        let unknownChange = try reader(#"{"value":{"camera_id":"cam1","change":"camera_moved"}}"#)
        #expect(badField { _ = try StreamRoutes.parse(unknownChange, action: .remove) } == "value.change")
    }

    /// As in DeepStream 9.1, `value.change` decides what happens whatever the
    /// route ("add"/"streaming" first, then "remove"); without it the route
    /// decides.
    @Test func changeDecidesWhateverTheRoute() throws {
        let removal = try reader(#"{"value":{"camera_id":"cam1","camera_url":"rtsp://x","change":"camera_remove"}}"#)
        guard case let .single(removed) = try StreamRoutes.parse(removal, action: .add) else {
            Issue.record("one sensor"); return
        }
        #expect(removed == .remove(cameraId: "cam1", url: "rtsp://x"))
        let addition = try reader(#"{"value":{"camera_id":"cam1","camera_url":"rtsp://x","change":"camera_streaming"}}"#)
        guard case let .single(added) = try StreamRoutes.parse(addition, action: .remove) else {
            Issue.record("one sensor"); return
        }
        #expect(added == .add(AddStreamRequest(cameraId: "cam1", cameraName: "", uri: "rtsp://x")))
        // "add" is tested first, as DeepStream does.
        let both = try reader(#"{"value":{"camera_id":"cam1","camera_url":"rtsp://x","change":"add_then_remove"}}"#)
        guard case .single(.add) = try StreamRoutes.parse(both, action: .remove) else {
            Issue.record("\"add\" comes first"); return
        }
        let none = try reader(#"{"value":{"camera_id":"cam1","camera_url":"rtsp://x"}}"#)
        guard case .single(.remove) = try StreamRoutes.parse(none, action: .remove) else {
            Issue.record("no change: the route decides"); return
        }
    }

    @Test func streamAddArrayParsesEachItem() throws {
        let body = try reader(#"""
        {"wait_for_first_frame_ms": 100,
         "value":[{"camera_id":"a","camera_url":"u1"},{"camera_id":"b"},5,{"camera_id":"c","camera_url":"u3","wait_for_first_frame_ms":7}]}
        """#)
        guard case let .multiple(items) = try StreamRoutes.parse(body, action: .add) else {
            Issue.record("not multiple"); return
        }
        #expect(items.count == 4)
        #expect(items[0].cameraId == "a")
        if case let .success(.add(r)) = items[0].sensor { #expect(r.waitForFirstFrameMs == 100) } else { Issue.record("item 0") }
        if case let .failure(.badRequest(field, _)) = items[1].sensor { #expect(field == "value[1].camera_url") } else { Issue.record("item 1") }
        if case let .failure(.badRequest(field, _)) = items[2].sensor { #expect(field == "value[2]") } else { Issue.record("item 2") }
        #expect(items[2].cameraId == nil)
        if case let .success(.add(r)) = items[3].sensor { #expect(r.waitForFirstFrameMs == 7) } else { Issue.record("item 3") }
    }

    // MARK: control payloads

    @Test func roiParse() throws {
        let fields = try reader(#"{"stream_id":"0","roi_count":2,"roi":[{"roi_id":"0","left":100,"top":300,"width":400,"height":400},{"roi_id":1,"left":0,"top":0,"width":1,"height":2}]}"#)
        #expect(try RoiRoute.parseRois(fields) == [
            RoiRect(roiId: "0", left: 100, top: 300, width: 400, height: 400),
            RoiRect(roiId: "1", left: 0, top: 0, width: 1, height: 2),
        ])
        let noCount = try reader(#"{"roi":[]}"#)
        #expect(try RoiRoute.parseRois(noCount) == [])
    }

    @Test(arguments: [
        (#"{"roi_count":3,"roi":[{"roi_id":"0","left":1,"top":1,"width":1,"height":1}]}"#, "roi_count"),
        (#"{"roi":[{"roi_id":"0","left":-1,"top":1,"width":1,"height":1}]}"#, "roi[0].left"),
        (#"{"roi":[{"roi_id":"0","left":1,"top":1,"width":"1","height":1}]}"#, "roi[0].width"),
        (#"{"roi":[{"roi_id":"0","left":1,"top":1,"width":1}]}"#, "roi[0].height"),
        (#"{"roi":[{"left":1,"top":1,"width":1,"height":1}]}"#, "roi[0].roi_id"),
        (#"{"roi":[{"roi_id":true,"left":1,"top":1,"width":1,"height":1}]}"#, "roi[0].roi_id"),
        (#"{"roi":[7]}"#, "roi[0]"),
        (#"{"roi":{"roi_id":"0"}}"#, "roi"),
        (#"{"roi_count":1}"#, "roi"),
    ])
    func roiRejects(_ json: String, _ field: String) throws {
        let fields = try reader(json)
        #expect(badField { _ = try RoiRoute.parseRois(fields) } == field)
    }

    @Test func roiIdLengthLimit() throws {
        let long = String(repeating: "x", count: 128)
        let fields = try reader(#"{"roi":[{"roi_id":"\#(long)","left":1,"top":1,"width":1,"height":1}]}"#)
        #expect(badField { _ = try RoiRoute.parseRois(fields) } == "roi[0].roi_id")
    }

    /// Source failures name their cause first, from what the elements said.
    @Test(arguments: [
        ("Could not open resource for reading and writing.", "gstrtspsrc.c(8092): ... Failed to connect. (Generic error)",
         "could not connect (connection refused or host unreachable): Could not open resource for reading and writing."),
        ("Resource not found.", "gstfilesrc.c(532): ... No such file \"/x.mp4\"", "file not found: Resource not found."),
        ("Unauthorized", nil, "the camera refused the credentials (401 Unauthorized): Unauthorized"),
        ("Could not determine type of stream.", nil, "not a stream GStreamer can read (unknown format): Could not determine type of stream."),
        ("Your GStreamer installation is missing a plug-in.", "no decoder for video/x-h265",
         "no decoder for the stream's codec: Your GStreamer installation is missing a plug-in."),
        ("Internal data stream error.", "streaming stopped, reason not-negotiated (-4)", "Internal data stream error."),
    ] as [(String, String?, String)])
    func failuresNameTheirCause(_ text: String, _ debug: String?, _ expected: String) {
        #expect(FailureCause.reason(text: text, debug: debug) == expected)
    }

    @Test func cropsClampToTheFrame() {
        #expect(CropRect(left: 10, top: 20, width: 100, height: 50).clamped(width: 320, height: 240)
                == CropRect(left: 10, top: 20, width: 100, height: 50))
        #expect(CropRect(left: 300, top: 200, width: 160, height: 120).clamped(width: 320, height: 240)
                == CropRect(left: 300, top: 200, width: 20, height: 40))
        #expect(CropRect(left: 0, top: 0, width: UInt32.max, height: UInt32.max).clamped(width: 320, height: 240)
                == CropRect(left: 0, top: 0, width: 320, height: 240))
        #expect(CropRect(left: 320, top: 0, width: 1, height: 1).clamped(width: 320, height: 240) == nil)
        #expect(CropRect(left: 0, top: 0, width: 0, height: 10).clamped(width: 320, height: 240) == nil)
    }

    @Test func cropParse() throws {
        #expect(try ConverterRoutes.parseCrop(try reader(#"{"src_crop":"10:20:640:480"}"#), "src_crop")
            == CropRect(left: 10, top: 20, width: 640, height: 480))
        #expect(try ConverterRoutes.parseCrop(try reader(#"{"c":" 1 : 2 :3:4 "}"#), "c")
            == CropRect(left: 1, top: 2, width: 3, height: 4))
        for bad in ["1:2:3", "1:2:3:4:5", "a:b:c:d", "-1:0:1:1", "1::3:4", "", "4294967296:0:0:0"] {
            let fields = try reader(#"{"src_crop":"\#(bad)"}"#)
            #expect(badField { _ = try ConverterRoutes.parseCrop(fields, "src_crop") } == "src_crop", "\(bad)")
        }
    }

    // MARK: server helpers

    @Test func routePathNormalization() {
        #expect(ServerCore.routePath("/api/v1/stream/add") == "/stream/add")
        #expect(ServerCore.routePath("/stream/add/") == "/stream/add")
        #expect(ServerCore.routePath("/api/v1/") == "/")
        #expect(ServerCore.routePath("/api/v1") == "/")
        #expect(ServerCore.routePath("/api/v10/x") == "/api/v10/x")
        #expect(ServerCore.routePath("/") == "/")
        #expect(ServerCore.routePath("//") == "/")
        #expect(ServerCore.routePath("/api/v1x") == "/api/v1x")
        #expect(ServerCore.routePath("/api/v1//stream/add//") == "//stream/add")
        #expect(ServerCore.routePath("/caméra/é/") == "/caméra/é")
    }

    @Test func headerNamesMatchWithoutCase() {
        let request = RestRequest(method: "GET", path: "/", requestPath: "/", query: nil, httpVersion: "1.1",
                                  headers: [("Content-Length", "5"), ("AUTHORIZATION", "Bearer x")], body: [],
                                  remoteAddress: "")
        #expect(request.header("content-length") == "5")
        #expect(request.header("Authorization") == "Bearer x")
        #expect(request.header("Authorizatio") == nil)
        #expect(request.header("Authorization2") == nil)
        #expect(asciiCaseInsensitiveEqual("[", "{") == false)
    }

    @Test func builtInTableIsComplete() {
        let paths = Set(BuiltInRoutes.all.map(\.path))
        #expect(paths.count == BuiltInRoutes.all.count, "each path once")
        #expect(paths == [
            "/stream/add", "/stream/remove", "/stream/get-stream-info", "/roi/update",
            "/dec/drop-frame-interval", "/dec/skip-frames", "/dec/low-latency-mode",
            "/infer/set-interval", "/inferserver/set-interval",
            "/enc/bitrate", "/enc/force-idr", "/enc/force-intra", "/enc/iframe-interval",
            "/conv/srccrop", "/conv/destcrop", "/conv/flip-method", "/conv/interpolation-method",
            "/mux/batched-push-timeout", "/mux/max-latency", "/osd/process-mode",
            "/nvtracker/config-path", "/analytics/reload-config", "/app/quit",
            "/version", "/health/get-dsready-state", "/live", "/ready", "/startup", "/metrics",
        ])
    }

    @Test func bindErrorParsing() {
        #expect(RestServer.bindFailedInUse(["cannot bind to 127.0.0.1:9000: 98 (Address already in use)"]) == true)
        #expect(RestServer.bindFailedInUse(["cannot bind to 10.1.1.1:9000: 99 (Adresse non disponible)"]) == false)
        #expect(RestServer.bindFailedInUse(["something else"]) == nil)
    }

    @Test func configurationFromProperties() throws {
        #expect(try RestServerConfiguration.fromProperties(ipAddress: "localhost", port: "0") == nil)
        #expect(try RestServerConfiguration.fromProperties(ipAddress: "localhost", port: " 9000 ")
            == RestServerConfiguration(address: "localhost", port: 9000))
        #expect(throws: RestServerError.invalidPort("http")) {
            _ = try RestServerConfiguration.fromProperties(ipAddress: "localhost", port: "http")
        }
        #expect(throws: RestServerError.invalidPort("70000")) {
            _ = try RestServerConfiguration.fromProperties(ipAddress: "localhost", port: "70000")
        }
    }

    @Test func addressResolution() throws {
        #expect(try RestServer.resolve("localhost") == "127.0.0.1")
        #expect(try RestServer.resolve("127.0.0.1") == "127.0.0.1")
        #expect(try RestServer.resolve("0.0.0.0") == "0.0.0.0")
        // Only 0.0.0.0 means every interface: an empty or wildcard address
        // is a typed error, not a silent bind-all.
        for blank in ["", " ", "\t", "*", " * "] {
            #expect(throws: RestServerError.invalidAddress("\(blank) (empty or \"*\"; use 0.0.0.0 for every interface)")) {
                _ = try RestServer.resolve(blank)
            }
        }
        #expect(throws: RestServerError.invalidAddress("127.0.0.1:80 (an address without port; the port is the port property)")) {
            _ = try RestServer.resolve("127.0.0.1:80")
        }
        #expect(throws: RestServerError.invalidAddress("localhost:9000 (an address without port; the port is the port property)")) {
            _ = try RestServer.resolve("localhost:9000")
        }
        // No IPv6 in Debian's civetweb. (Host names go through the resolver;
        // not tested, to stay off the network.)
        #expect(throws: RestServerError.self) { _ = try RestServer.resolve("::1") }
    }

    // MARK: the answer path's shortcuts agree with the plain forms

    @Test func latencyBucketsMatchTheBounds() {
        let bounds = RestCounters.bucketBounds
        var samples: [Double] = [0, -1, .infinity, .nan, 1e-9, 1e6]
        for b in bounds { samples += [b, b.nextDown, b.nextUp, b * 0.999, b * 1.001] }
        for s in samples {
            let plain = bounds.firstIndex { s <= $0 } ?? bounds.count
            #expect(RestCounters.bucket(of: s) == plain, "\(s)")
        }
    }

    @Test func knownHeadersFindTheFirstOfEachNameFolded() {
        let headers: [(name: String, value: String)] = [
            ("X-Other", "1"), ("hOsT", "a"), ("Accept", "text/plain"), ("HOST", "b"), ("Expect", "100-continue"),
            ("content-length", "5"), ("Content-Length", "5"), ("Origin", "http://o"), ("Connection", "close"),
            ("AUTHORIZATION", "Bearer t"), ("Transfer-Encoding", "chunked"), ("Hosts", "no"), ("Acceptx", "no"),
        ]
        let request = RestRequest(method: "GET", path: "/", requestPath: "/", query: nil, httpVersion: "1.1",
                                  headers: headers, body: [], remoteAddress: "")
        for name in KnownHeaders.Name.allCases {
            let spelled = "\(name.text)"
            #expect(request.header(name) == request.header(spelled), "\(spelled)")
            #expect(request.known.count(name) == headers.filter { $0.name.lowercased() == spelled }.count, "\(spelled)")
        }
        #expect(request.known.count(.host) == 2)
        #expect(request.header(.host) == "a")
        // Changing the headers finds them again.
        var changed = request
        changed.headers = [("Origin", "http://p")]
        #expect(changed.header(.origin) == "http://p")
        #expect(changed.header(.host) == nil)
        #expect(!changed.known.has(.contentLength))
    }
}
