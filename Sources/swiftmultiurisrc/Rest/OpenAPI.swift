/// GET openapi.json: the OpenAPI 3.0 document of this REST API, the single
/// source of truth for its machine-readable description. It is built once
/// from the tables below as a `JSONValue` and served as is.
///
/// Keep it in step with the parsers in Routes/*.swift: every request schema
/// says exactly what the parser accepts (names, types, ranges), every
/// response lists each status the route can answer with. OpenAPITests checks
/// that every path of `BuiltInRoutes.all` is documented; scripts/schemathesis.sh
/// checks the answers against the document.
///
/// Paths are written without "/api/v1" and the first server is "/api/v1":
/// the same spelling as the route table (Route.path), and clients resolve
/// "/api/v1/<path>". The second server ("/") is DeepStream 6.2/6.3's spelling.
enum OpenAPIRoutes {
    static let routes: [Route] = [
        Route(.get, "/openapi.json", operation: "GET_OPENAPI") { _ throws(ControlError) in
            RestResponse(status: 200, body: OpenAPIDocument.document)
        },
    ]
}

enum OpenAPIDocument {
    /// Built on first use (a few hundred values), then shared.
    static let document: JSONValue = build()

    // MARK: small builders

    private static func obj(_ members: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(JSONObject(members))
    }

    private static func obj(_ members: [(String, JSONValue)]) -> JSONValue {
        var o = JSONObject()
        for (k, v) in members { o[k] = v }
        return .object(o)
    }

    private static func strings(_ items: [String]) -> JSONValue { .array(items.map { .string($0) }) }

    private static func ref(_ name: String) -> JSONValue { obj(["$ref": .string("#/components/schemas/\(name)")]) }

    private static func integer(_ min: Int64, _ max: Int64, _ text: String? = nil, nullable: Bool = false) -> JSONValue {
        var o: [(String, JSONValue)] = [("type", "integer"), ("minimum", .integer(min)), ("maximum", .integer(max))]
        if let text { o.append(("description", .string(text))) }
        if nullable { o.append(("nullable", true)) }
        return obj(o)
    }

    private static let uint32Max = Int64(UInt32.max)

    /// One field of a control body: name, schema, required.
    private typealias Field = (name: String, schema: JSONValue, required: Bool)

    private static let streamIdField: Field = ("stream_id", ref("Identifier"), true)

    // MARK: routes

    /// What each POST route under one root key takes (RouteContext.controlFields).
    private struct ControlRoute {
        var path: String
        var operation: String
        var summary: String
        var fields: [Field]
        var example: JSONValue
        /// Routes that resolve stream_id can answer 404.
        var resolvesStream: Bool { fields.contains { $0.name == "stream_id" } }
    }

    private static func flagField(_ name: String) -> Field { (name, ref("Flag"), true) }
    private static func uintField(_ name: String, _ min: Int64 = 0, _ max: Int64 = uint32Max, _ text: String? = nil) -> Field {
        (name, integer(min, max, text), true)
    }
    private static func example(_ fields: KeyValuePairs<String, JSONValue>) -> JSONValue {
        obj(["stream": obj(fields)])
    }
    private static let cropSchema: JSONValue = obj([
        "type": "string",
        "description": """
            "left:top:width:height": four non-negative 32-bit integers (spaces and tabs around each \
            tolerated); width and height 0 mean no crop. The pattern allows up to 9 significant digits \
            (the parser takes any value up to 4294967295).
            """,
        "pattern": #"^[ \t]*0*[0-9]{1,9}[ \t]*(:[ \t]*0*[0-9]{1,9}[ \t]*){3}$"#,
    ])

    private static let controlRoutes: [ControlRoute] = [
        ControlRoute(path: "/roi/update", operation: "ROI_UPDATE",
                     summary: "New regions of interest for one stream (nv-roi-update event downstream)",
                     fields: [streamIdField,
                              ("roi_count", integer(0, uint32Max, "when given, must equal the length of roi", nullable: true), false),
                              ("roi", obj(["type": "array", "description": "an empty array clears the ROIs",
                                           "items": ref("Roi")]), true)],
                     example: example(["stream_id": "0", "roi_count": 1,
                                       "roi": .array([obj(["roi_id": "0", "left": 100, "top": 300, "width": 400, "height": 400])])])),
        ControlRoute(path: "/dec/drop-frame-interval", operation: "DROP_FRAME_INTERVAL_UPDATE",
                     summary: "Keep every Nth decoded frame of one stream (0 or 1 keep all)",
                     fields: [streamIdField, uintField("drop_frame_interval", 0, 30)],
                     example: example(["stream_id": "0", "drop_frame_interval": 2])),
        ControlRoute(path: "/dec/skip-frames", operation: "SKIP_FRAMES_UPDATE",
                     summary: "Which frames the decoder of one stream decodes",
                     fields: [streamIdField, uintField("skip_frames", 0, 2, "0 all, 1 non-reference, 2 key frames only")],
                     example: example(["stream_id": "0", "skip_frames": 0])),
        ControlRoute(path: "/dec/low-latency-mode", operation: "LOW_LATENCY_MODE_UPDATE",
                     summary: "Low-latency decoding of one stream",
                     fields: [streamIdField, flagField("low_latency_mode")],
                     example: example(["stream_id": "0", "low_latency_mode": 1])),
        ControlRoute(path: "/conv/srccrop", operation: "SRC_CROP_UPDATE",
                     summary: "Crop of the decoded frame of one stream before scaling",
                     fields: [streamIdField, ("src_crop", cropSchema, true)],
                     example: example(["stream_id": "0", "src_crop": "0:0:160:120"])),
        ControlRoute(path: "/conv/destcrop", operation: "DEST_CROP_UPDATE",
                     summary: "Where the scaled frame of one stream lands in the output frame",
                     fields: [streamIdField, ("dest_crop", cropSchema, true)],
                     example: example(["stream_id": "0", "dest_crop": "0:0:160:120"])),
        ControlRoute(path: "/conv/flip-method", operation: "FLIP_METHOD_UPDATE",
                     summary: "Flip or rotation of one stream (videoflip's video-direction)",
                     fields: [streamIdField, uintField("flip_method", 0, 7)],
                     example: example(["stream_id": "0", "flip_method": 0])),
        ControlRoute(path: "/conv/interpolation-method", operation: "INTERPOLATION_METHOD_UPDATE",
                     summary: "Scaling interpolation of one stream",
                     fields: [streamIdField, uintField("interpolation_method", 0, 6)],
                     example: example(["stream_id": "0", "interpolation_method": 1])),
        ControlRoute(path: "/enc/bitrate", operation: "BITRATE_UPDATE",
                     summary: "Encoder bitrate (event downstream)",
                     fields: [streamIdField, uintField("bitrate", 1, uint32Max, "bits per second")],
                     example: example(["stream_id": "0", "bitrate": 4_000_000])),
        ControlRoute(path: "/enc/force-idr", operation: "FORCE_IDR_UPDATE",
                     summary: "Ask the encoder for an IDR frame (event downstream)",
                     fields: [streamIdField, flagField("force_idr")],
                     example: example(["stream_id": "0", "force_idr": 1])),
        ControlRoute(path: "/enc/force-intra", operation: "FORCE_INTRA_UPDATE",
                     summary: "Ask the encoder for an intra frame (event downstream)",
                     fields: [streamIdField, flagField("force_intra")],
                     example: example(["stream_id": "0", "force_intra": 1])),
        ControlRoute(path: "/enc/iframe-interval", operation: "IFRAME_INTERVAL_UPDATE",
                     summary: "Encoder I-frame interval (event downstream)",
                     fields: [streamIdField, uintField("iframeinterval", 0, 256)],
                     example: example(["stream_id": "0", "iframeinterval": 30])),
        ControlRoute(path: "/infer/set-interval", operation: "INFER_INTERVAL_UPDATE",
                     summary: "nvinfer interval (event downstream)",
                     fields: [streamIdField, uintField("interval", 0, 32)],
                     example: example(["stream_id": "0", "interval": 2])),
        ControlRoute(path: "/inferserver/set-interval", operation: "INFERSERVER_INTERVAL_UPDATE",
                     summary: "nvinferserver interval (event downstream)",
                     fields: [streamIdField, uintField("interval")],
                     example: example(["stream_id": "0", "interval": 2])),
        ControlRoute(path: "/osd/process-mode", operation: "PROCESS_MODE_UPDATE",
                     summary: "nvdsosd process mode (event downstream)",
                     fields: [streamIdField, uintField("process_mode", 0, 2, "0 CPU, 1 GPU, 2 hardware")],
                     example: example(["stream_id": "0", "process_mode": 0])),
        ControlRoute(path: "/nvtracker/config-path", operation: "NVTRACKER_CONFIG_UPDATE",
                     summary: "nvtracker configuration file (event downstream)",
                     fields: [streamIdField, ("config_path", obj(["type": "string", "minLength": 1]), true)],
                     example: example(["stream_id": "0", "config_path": "/opt/tracker.yml"])),
        ControlRoute(path: "/analytics/reload-config", operation: "RELOAD_CONFIG_UPDATE",
                     summary: "nvdsanalytics configuration reload (event downstream); stream_id is not needed and ignored",
                     fields: [("config_file_path", obj(["type": "string", "minLength": 1]), true)],
                     example: example(["config_file_path": "/opt/analytics.txt"])),
        ControlRoute(path: "/mux/batched-push-timeout", operation: "BATCHED_PUSH_TIMEOUT_UPDATE",
                     summary: "Muxer batched-push-timeout; stream_id is not needed and ignored",
                     fields: [uintField("batched_push_timeout", -1, Int64(Int32.max), "microseconds, -1 = off")],
                     example: example(["batched_push_timeout": 40_000])),
        ControlRoute(path: "/mux/max-latency", operation: "MAX_LATENCY_UPDATE",
                     summary: "Muxer max-latency; stream_id is not needed and ignored",
                     fields: [uintField("max_latency")],
                     example: example(["max_latency": 100_000])),
        ControlRoute(path: "/app/quit", operation: "QUIT",
                     summary: "Ends the pipeline: posts force-pipeline-eos and sends EOS downstream",
                     fields: [("app_quit", obj(["anyOf": .array([obj(["type": "boolean", "enum": .array([true])]),
                                                                  obj(["type": "integer", "enum": .array([1])])]),
                                                "description": "1 or true (0 or false is 400)"]), true)],
                     example: example(["app_quit": 1])),
    ]

    /// The body of a control route: exactly one root key, of any name (the
    /// documentation uses "stream"), holding the fields. Unknown fields next
    /// to the known ones are ignored. A null field counts as absent.
    private static func controlBody(_ route: ControlRoute) -> JSONValue {
        var properties: [(String, JSONValue)] = []
        for f in route.fields {
            properties.append((f.name, f.schema))
        }
        let fields = obj([
            "type": "object",
            "required": strings(route.fields.filter(\.required).map(\.name)),
            "properties": obj(properties),
        ])
        return obj([
            "type": "object",
            "description": "exactly one root key (any name; \"stream\" in DeepStream's documentation) holding the fields",
            "minProperties": 1,
            "maxProperties": 1,
            "additionalProperties": fields,
        ])
    }

    // MARK: responses

    private static let descriptions: [Int: String] = [
        200: "success",
        400: "bad input: malformed JSON, a wrong type, a missing or out-of-range field (the reason names it by its path); or a request civetweb could not parse (REQUEST_FAIL)",
        401: "the element's rest-token is set and the request lacks 'Authorization: Bearer <token>'",
        403: "refused before any route: an Origin header not in cors-origins, or a Host header that is not a name of this server (allowed-hosts); REQUEST_FAIL",
        404: "unknown stream_id or camera_id",
        405: "another method than this one was used on this path (Allow names the right one)",
        409: "a conflict: duplicate camera_id, url mismatch, a stream not playing, or a setting the pipeline cannot take",
        408: "the client took too long: headers or body not complete within the request timeout (REQUEST_FAIL, or <OPERATION>_FAIL for a body)",
        413: "body larger than the server's limit (64 KiB)",
        429: "max-batch-size sources already present; or (REQUEST_FAIL) more connections from this address than the server serves at once",
        500: "internal error",
        503: "the element is not running, is gone, or the server is stopping",
    ]

    /// {status, reason} whose status line carries `code` (as the HTTP status).
    private static func statusBody(_ code: Int, reasonPattern: String, extra: [(String, JSONValue)] = [],
                                   required: [String] = []) -> JSONValue {
        var properties: [(String, JSONValue)] = [
            ("status", obj(["type": "string", "pattern": .string("^HTTP/1\\.1 \(code) ")])),
            ("reason", obj(["type": "string", "pattern": .string(reasonPattern)])),
        ]
        properties += extra
        return obj([
            "type": "object",
            "required": strings(["status", "reason"] + required),
            "properties": obj(properties),
        ])
    }

    private static func response(_ code: Int, _ schema: JSONValue) -> (String, JSONValue) {
        var headers: [(String, JSONValue)] = []
        if code == 405 {
            headers.append(("Allow", obj(["description": "the method(s) of this path", "schema": obj(["type": "string"])])))
        }
        if code == 401 {
            headers.append(("WWW-Authenticate", obj(["schema": obj(["type": "string"])])))
        }
        var r: [(String, JSONValue)] = [
            ("description", .string(descriptions[code] ?? "")),
            ("content", obj(["application/json": obj(["schema": schema])])),
        ]
        if !headers.isEmpty { r.append(("headers", obj(headers))) }
        return (String(code), obj(r))
    }

    /// `response` that may also be Prometheus text (Accept containing
    /// "text/plain", DeepStream 9.1's rule).
    private static func orText(_ response: (String, JSONValue), _ families: String) -> (String, JSONValue) {
        guard case var .object(r) = response.1, case var .object(content)? = r["content"] else { return response }
        content["text/plain"] = obj([
            "schema": obj(["type": "string", "description": .string("""
                Prometheus text exposition format 0.0.4 (Content-Type: text/plain; version=0.0.4; \
                charset=utf-8), sent when the Accept header contains text/plain: \(families)
                """)]),
        ])
        r["content"] = .object(content)
        r["description"] = .string((string(r["description"]) ?? "") + "; Prometheus text for Accept: text/plain")
        return (response.0, .object(r))
    }

    private static func string(_ value: JSONValue?) -> String? {
        if case let .string(s)? = value { return s }
        return nil
    }

    private static let ourFamilies = """
        then ours: swiftmultiurisrc_streams, swiftmultiurisrc_stream_frames_in_total, _frames_out_total, \
        _frames_dropped_total, _frames_per_second, _latency_seconds, _reconnects_total, _state (per stream, \
        labelled source_id, camera_id, camera_name and the stream's labels), swiftmultiurisrc_source_errors_total \
        {kind}, swiftmultiurisrc_events_pushed_total{type}, swiftmultiurisrc_rest_requests_total{route,code}, \
        swiftmultiurisrc_rest_request_duration_seconds (histogram by route), \
        swiftmultiurisrc_process_resident_memory_bytes, swiftmultiurisrc_process_threads
        """

    /// The failure answers: "<OPERATION>_FAIL, <why>" (401 and 503 from the
    /// server itself say REQUEST_FAIL; an unparsable answer INTERNAL_FAIL).
    private static func failures(_ codes: [Int], extra: [(String, JSONValue)] = []) -> [(String, JSONValue)] {
        Set(codes).union(serverFailures).sorted().map {
            response($0, statusBody($0, reasonPattern: "^[A-Z_]+_FAIL, ", extra: extra))
        }
    }

    /// What the server itself may answer on any path, before the route runs
    /// (Origin/Host checks, slow clients, the per-client connection cap).
    private static let serverFailures = [403, 408, 429]

    private static func operation(_ op: String, summary: String, description: String? = nil, tag: String,
                                  body: JSONValue?, example: JSONValue? = nil,
                                  responses: [(String, JSONValue)]) -> JSONValue {
        var o: [(String, JSONValue)] = [
            ("operationId", .string(op)),
            ("summary", .string(summary)),
            ("tags", strings([tag])),
        ]
        if let description { o.append(("description", .string(description))) }
        if let body {
            var media: [(String, JSONValue)] = [("schema", body)]
            if let example { media.append(("example", example)) }
            o.append(("requestBody", obj([
                "required": true,
                "description": "JSON, whatever the Content-Type (curl -d sends application/x-www-form-urlencoded)",
                "content": obj(["application/json": obj(media)]),
            ])))
        }
        o.append(("responses", obj(responses)))
        return obj(o)
    }

    /// GET events: a text/event-stream, not JSON (Rest/Routes/EventsRoute.swift).
    /// scripts/schemathesis.sh leaves it out: the stream ends only when the client goes.
    private static func eventsOperation() -> JSONValue {
        let stream = obj([
            ("description", .string("Server-Sent Events until the client goes: retry: once, then per notification "
                + "\"id: <n>\", \"event: <type>\", \"data: <one line of JSON>\" and a blank line; \": keep-alive\" "
                + "comments when idle. Types: stream-added, stream-removed, stream-state, reconnect, app-quit, and "
                + "reset (no id) when Last-Event-ID is no longer kept. data: {\"id\", \"type\", \"time_ms\", "
                + "\"stream\": {\"source_id\", \"camera_id\", \"camera_name\", \"uri\", \"state\", \"reason\", \"labels\"}} "
                + "(\"attempt\" for reconnect, no stream for app-quit)")),
            ("content", obj(["text/event-stream": obj(["schema": obj(["type": "string"])])])),
        ])
        let lastEventId = obj([
            "type": "string", "pattern": "^[0-9]{1,20}$",
            "description": "resume after this notification (0: everything still kept)",
        ])
        return obj([
            ("operationId", .string(EventsRoute.operation)),
            ("summary", "What happens to the streams, live (Server-Sent Events; ours)"),
            ("tags", strings(["app"])),
            ("parameters", .array([
                obj(["name": "Last-Event-ID", "in": "header", "required": false, "schema": lastEventId]),
                obj(["name": "last_event_id", "in": "query", "required": false, "schema": lastEventId,
                     "description": "the same as the header, for clients that cannot set it (read when the header is absent)"]),
            ])),
            ("responses", obj([("200", stream)] + failures(getFailures))),
        ])
    }

    private static func successBody(_ operation: String, extra: [(String, JSONValue)] = [], required: [String] = []) -> JSONValue {
        statusBody(200, reasonPattern: "^\(operation)_SUCCESS$", extra: extra, required: required)
    }

    /// 400 on a GET: civetweb refuses a malformed request (a header it cannot parse) itself.
    private static let getFailures = [400, 401, 405, 500, 503]

    // MARK: stream add / remove

    private static func sensorSchema(add: Bool) -> JSONValue {
        let changeText = add ? "optional; when given must contain \"add\" or \"streaming\" (case-insensitive)"
                             : "optional; when given must contain \"remove\" (case-insensitive)"
        let changePattern = add ? "[aA][dD][dD]|[sS][tT][rR][eE][aA][mM][iI][nN][gG]" : "[rR][eE][mM][oO][vV][eE]"
        var properties: [(String, JSONValue)] = [
            ("camera_id", ref("Identifier")),
            ("change", obj(["type": "string", "nullable": true, "description": .string(changeText),
                            "pattern": .string(changePattern)])),
            ("metadata", obj(["description": "not interpreted"])),
        ]
        if add {
            properties += [
                ("camera_url", obj(["type": "string", "minLength": 1, "description": "a URI (file:///..., rtsp://...)"])),
                ("camera_name", obj(["type": "string", "nullable": true, "description": "defaults to \"\""])),
                ("options", ref("SourceOptions")),
                ("wait_for_first_frame_ms", integer(0, Int64(StreamRoutes.maxWaitForFirstFrameMs),
                    "answer once the first frame left the bin or the source failed, waiting at most this long",
                    nullable: true)),
                ("labels", obj(["type": "object", "nullable": true, "maxProperties": .integer(Int64(StreamRoutes.maxLabels)),
                                "description": "string values under names of letters, digits, '_', '-', '.' (at most 64 bytes); values at most 256 bytes",
                                "additionalProperties": obj(["type": "string", "maxLength": .integer(Int64(StreamRoutes.maxLabelValueBytes))])])),
                ("stop_after_frames", integer(1, Int64(UInt32.max), "the stream leaves after this many frames", nullable: true)),
                ("stop_after_seconds", integer(1, Int64(StreamRoutes.maxStopAfterSeconds),
                                               "the stream leaves this long after it was added", nullable: true)),
            ]
        } else {
            properties += [
                ("camera_url", obj(["type": "string", "nullable": true,
                                    "description": "when given and not empty, must equal the stream's uri (409 otherwise)"])),
                ("camera_name", obj(["description": "not interpreted on remove"])),
            ]
        }
        return obj([
            "type": "object",
            "required": strings(add ? ["camera_id", "camera_url"] : ["camera_id"]),
            "properties": obj(properties),
        ])
    }

    private static func sensorRequest(add: Bool) -> JSONValue {
        let sensor = ref(add ? "AddSensor" : "RemoveSensor")
        let value = obj([
            "description": "one sensor, or several processed in order (the answer then has results)",
            "anyOf": .array([sensor, obj(["type": "array", "minItems": 1, "items": sensor])]),
        ])
        var properties: [(String, JSONValue)] = [
            ("key", obj(["description": "not interpreted (\"sensor\" in DeepStream's documentation)"])),
            ("value", value),
            ("event", obj(["description": "accepted instead of value", "anyOf": .array([sensor, obj(["type": "array", "minItems": 1, "items": sensor])])])),
            ("headers", obj(["description": "not interpreted"])),
        ]
        if add {
            properties.append(("wait_for_first_frame_ms", integer(0, Int64(StreamRoutes.maxWaitForFirstFrameMs),
                "default of every sensor's wait_for_first_frame_ms", nullable: true)))
        }
        return obj([
            "type": "object",
            "description": "DeepStream's sensor message; value (or event) holds the sensor",
            "required": strings(["value"]),
            "properties": obj(properties),
        ])
    }

    private static func sensorExample(add: Bool) -> JSONValue {
        obj(["key": "sensor",
             "value": obj(["camera_id": "openapi-cam", "camera_name": "front",
                           "camera_url": add ? "file:///nonexistent/openapi-example.mp4" : "",
                           "change": add ? "camera_add" : "camera_remove",
                           "metadata": obj(["resolution": "1920 x1080", "codec": "h264", "framerate": 30])]),
             "headers": obj(["source": "vst", "created_at": "2021-06-01T14:34:13.417Z"])])
    }

    private static let resultsProperty: (String, JSONValue) = ("results", obj([
        "type": "array",
        "description": "one entry per sensor when value was an array",
        "items": obj([
            "type": "object",
            "required": strings(["camera_id", "status", "reason"]),
            "properties": obj([
                "camera_id": obj(["type": "string", "nullable": true]),
                "status": obj(["type": "string", "pattern": "^HTTP/1\\.1 [0-9]{3} "]),
                "reason": obj(["type": "string"]),
                "source_id": obj(["type": "integer", "minimum": 0]),
            ]),
        ]),
    ]))

    private static func sensorOperation(add: Bool) -> JSONValue {
        let op = add ? "STREAM_ADD" : "STREAM_REMOVE"
        let success = obj([
            "type": "object",
            "required": strings(["status", "reason"]),
            "properties": obj([
                "status": obj(["type": "string", "pattern": "^HTTP/1\\.1 200 "]),
                "reason": obj(["type": "string", "pattern": .string("^\(op)_(SUCCESS$|PARTIAL_SUCCESS, )")]),
                "source_id": obj(["type": "integer", "minimum": 0, "description": "one sensor: its source id"]),
                "stream": ref("StreamInfo"),
                resultsProperty.0: resultsProperty.1,
            ]),
        ])
        let codes = add ? [400, 401, 403, 405, 409, 413, 429, 500, 503] : [400, 401, 404, 405, 409, 413, 500, 503]
        return operation(op, summary: add ? "Adds a source (a camera)" : "Removes a source by camera_id",
                         description: "With an array of sensors, each is processed on its own: 200 with "
                             + "\(op)_PARTIAL_SUCCESS when some failed; when all failed, the first failure's status.",
                         tag: "stream", body: sensorRequest(add: add), example: sensorExample(add: add),
                         responses: [("200", obj(["description": "success",
                                                  "content": obj(["application/json": obj(["schema": success])])]))]
                             + failures(codes, extra: [resultsProperty]))
    }

    // MARK: element properties (ours)

    private static func elementPaths() -> [(String, JSONValue)] {
        let elementSchema = obj(["type": "string", "minLength": 1, "maxLength": .integer(Int64(ElementRoutes.maxElementNameBytes)),
                                 "description": "the element's name in the pipeline (gst-launch name=)"])
        let propertySchema = obj(["type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_-]{0,127}$",
                                  "description": "the property's name ('_' read as '-'); element.property must match property-allow-list"])
        let answer: [(String, JSONValue)] = [
            ("element", obj(["type": "string"])),
            ("property", obj(["type": "string", "description": "canonical spelling"])),
            ("value", obj(["type": "string", "nullable": true,
                           "description": "the value read back, as gst_value_serialize writes it; null when unreadable"])),
            ("type", obj(["type": "string", "description": "the value's GType name"])),
        ]
        let required = ["element", "property", "value", "type"]
        let statuses = """
            400 names element, property (unknown, not writable, a reference type) or value (does not deserialize, \
            out of range); 403 when element.property matches no pattern of the element's property-allow-list \
            (empty by default, so every request is 403); 404 no element of that name; 409 the property cannot \
            change in the element's current state.
            """
        let set = operation(
            "ELEMENT_SET_PROPERTY", summary: "Sets a property of a named element of the pipeline (ours)",
            description: "The value is read with GStreamer's deserialization (a string as it stands: enums by nick, "
                + "flags a+b, caps, fractions; a number or boolean as its text). " + statuses,
            tag: "element",
            body: obj([
                "type": "object", "additionalProperties": false,
                "required": strings(["element", "property", "value"]),
                "properties": obj([
                    "element": elementSchema, "property": propertySchema,
                    "value": obj(["anyOf": .array([obj(["type": "string"]), obj(["type": "number"]), obj(["type": "boolean"])])]),
                ]),
            ]),
            example: obj(["element": "vb", "property": "saturation", "value": "1.5"]),
            responses: [response(200, successBody("ELEMENT_SET_PROPERTY", extra: answer, required: required))]
                + failures([400, 401, 403, 404, 405, 409, 413, 500, 503]))
        var get = operation(
            "ELEMENT_GET_PROPERTY", summary: "Reads a property of a named element of the pipeline (ours)",
            description: statuses, tag: "element", body: nil,
            responses: [response(200, successBody("ELEMENT_GET_PROPERTY", extra: answer, required: required))]
                + failures([400, 401, 403, 404, 405, 500, 503]))
        if case var .object(o) = get {
            o["parameters"] = .array([
                obj(["name": "element", "in": "query", "required": true, "schema": elementSchema]),
                obj(["name": "property", "in": "query", "required": true, "schema": propertySchema]),
            ])
            get = .object(o)
        }
        return [("/element/set-property", obj(["post": set])), ("/element/get-property", obj(["get": get]))]
    }

    /// The web console and the snapshots it shows (Rest/Routes/ConsoleRoutes.swift).
    private static func consolePaths() -> [(String, JSONValue)] {
        var paths: [(String, JSONValue)] = []
        for path in ConsoleRoutes.assets.keys.sorted() {
            guard let asset = ConsoleRoutes.assets[path] else { continue }
            let mediaType = String(asset.contentType.prefix { $0 != ";" })
            let ok = obj([
                ("description", .string("the console's \(path == "/" || path == "/ui" ? "page" : "file") (embedded in the plugin; "
                    + "served without the token, with a strict Content-Security-Policy)")),
                ("content", obj([(mediaType, obj(["schema": obj(["type": "string"])]))])),
            ])
            paths.append((path, obj(["get": obj([
                ("operationId", .string(ConsoleRoutes.operation(path))),
                ("summary", .string("The web console (ours)")),
                ("tags", strings(["console"])),
                ("security", .array([obj([:])])),
                ("responses", obj([("200", ok)] + failures([400, 405, 500, 503]))),
            ])])))
        }
        let range = SnapshotRequest.widthRange
        let jpeg = obj([
            ("description", .string("the stream's latest frame as JPEG, encoded on request (one encode serves every "
                + "request for the same width for 250 ms); X-Frame-Width and X-Frame-Height give the frame's size in the "
                + "pixels ROIs are given in")),
            ("headers", obj([
                ("X-Frame-Width", obj(["schema": obj(["type": "integer"])])),
                ("X-Frame-Height", obj(["schema": obj(["type": "integer"])])),
            ])),
            ("content", obj(["image/jpeg": obj(["schema": obj(["type": "string", "format": "binary"])])])),
        ])
        var snapshot = operation(
            "SNAPSHOT", summary: "A stream's latest frame as JPEG (ours)",
            description: "400 names stream_id (missing, empty, longer than 256 bytes), width (not an integer from "
                + "\(range.lowerBound) to \(range.upperBound)) or an unknown parameter; 404 unknown stream; 503 no frame "
                + "within 2 s (a stream not playing) or encodes busy; a width over the frame's gives the frame's.",
            tag: "stream", body: nil,
            responses: [("200", jpeg)] + failures([400, 401, 404, 405, 409, 500, 503]))
        if case var .object(o) = snapshot {
            o["parameters"] = .array([
                obj(["name": "stream_id", "in": "query", "required": true,
                     "schema": obj(["type": "string", "minLength": 1, "maxLength": 256]),
                     "description": "a source id or a camera_id"]),
                obj(["name": "width", "in": "query", "required": false,
                     "schema": integer(Int64(range.lowerBound), Int64(range.upperBound)),
                     "description": "the picture's width (the height keeps the aspect); default the frame's"]),
            ])
            snapshot = .object(o)
        }
        paths.append(("/stream/snapshot", obj(["get": snapshot])))
        return paths
    }

    // MARK: the document

    private static func build() -> JSONValue {
        var paths: [(String, JSONValue)] = []
        paths.append(("/stream/add", obj(["post": sensorOperation(add: true)])))
        paths.append(("/stream/remove", obj(["post": sensorOperation(add: false)])))
        paths.append(("/stream/get-stream-info", obj(["get": operation(
            "GET_LIVE_STREAM_INFO", summary: "Every source", tag: "stream", body: nil,
            responses: [orText(response(200, successBody("GET_LIVE_STREAM_INFO", extra: [("stream-info", obj([
                "type": "object",
                "required": strings(["stream-count", "stream-info"]),
                "properties": obj([
                    "stream-count": obj(["type": "integer", "minimum": 0]),
                    "stream-info": obj(["type": "array", "items": ref("StreamInfo")]),
                    "failed-streams": obj(["type": "array", "items": ref("StreamInfo"),
                                           "description": "ours: the last sources that failed and left, oldest first"]),
                ]),
            ]))], required: ["stream-info"])), "DeepStream's gauge total_stream_count")] + failures(getFailures))])))
        let number = obj(["type": "number"]), textValue = obj(["type": "string"])
        let uint = obj(["type": "integer", "minimum": 0])
        let streamStats = obj([
            "type": "object",
            "required": strings(["fps", "frame_number", "latency_ms", "sensor_id", "sensor_name", "source_id"]),
            "properties": obj([
                "fps": number, "frame_number": uint,
                "latency_ms": obj(["type": "number", "description": "the last frame's time from the decoder's output to leaving its branch"]),
                "sensor_id": textValue, "sensor_name": textValue, "source_id": uint,
            ]),
        ])
        let systemStats = obj([
            "type": "object",
            "required": strings(["GPU_gb", "RAM_gb", "cpu_util", "gpu_util"]),
            "properties": obj([
                "GPU_gb": obj(["type": "number", "description": "0: no GPU is used"]),
                "RAM_gb": obj(["type": "number", "description": "the machine's memory in use, 2^30 bytes"]),
                "cpu_util": obj(["type": "number", "minimum": 0, "maximum": 100,
                                 "description": "the machine's busy CPU percent since the previous scrape"]),
                "gpu_util": obj(["type": "number", "description": "0: no GPU is used"]),
            ]),
        ])
        let metricsBody = statusBody(200, reasonPattern: "^GET_METRICS_INFO_SUCCESS( - No data available)?$", extra: [
            ("metrics-info", obj([
                "type": "object",
                "required": strings(["stream-count", "stream-stats", "system-stats"]),
                "properties": obj([
                    "stream-count": uint, "stream-stats": obj(["type": "array", "items": streamStats]),
                    "system-stats": systemStats,
                ]),
            ])),
        ], required: ["metrics-info"])
        paths.append(("/metrics", obj(["get": operation(
            "GET_METRICS_INFO", summary: "Per-stream and system metrics, JSON or Prometheus text",
            description: "DeepStream 9.1's metrics; with an Accept header containing text/plain, Prometheus text.",
            tag: "app", body: nil,
            responses: [orText(response(200, metricsBody), """
                DeepStream's gauges fps_metrics, latency_metrics, frame_number_metrics, memory_metrics, \
                utilization_metrics, stream_count (label app_name="ds"), \(ourFamilies)
                """)] + failures(getFailures))])))

        for route in controlRoutes {
            let group = String(route.path.dropFirst().prefix { $0 != "/" })
            var codes = [400, 401, 405, 409, 413, 500, 503]
            if route.resolvesStream { codes.append(404) }
            codes.sort()
            paths.append((route.path, obj(["post": operation(
                route.operation, summary: route.summary, tag: group, body: controlBody(route), example: route.example,
                responses: [response(200, successBody(route.operation))] + failures(codes))])))
        }

        paths.append(("/version", obj(["get": operation(
            "GET_VERSION", summary: "The server's version", tag: "app", body: nil,
            responses: [response(200, successBody("GET_VERSION", extra: [("version", obj(["type": "string"]))],
                                                  required: ["version"]))] + failures(getFailures))])))
        paths.append(("/health/get-dsready-state", obj(["get": operation(
            "GET_READY_INFO", summary: "Whether the pipeline plays (200 either way)", tag: "app", body: nil,
            responses: [response(200, successBody("GET_READY_INFO", extra: [("health-info", obj([
                "type": "object",
                "required": strings(["ds-ready"]),
                "properties": obj(["ds-ready": obj(["type": "string", "enum": strings(["YES", "NO"])])]),
            ]))], required: ["health-info"]))] + failures(getFailures))])))
        for (path, op, member, field, what) in [
            ("/live", "GET_LIVE_INFO", "live-info", "ds-liveness", "PLAYING"),
            ("/ready", "GET_READY_INFO", "ready-info", "ds-ready", "PAUSED or PLAYING"),
            ("/startup", "GET_STARTUP_INFO", "startup-info", "ds-startup", "PAUSED or PLAYING"),
        ] {
            let answer = obj([
                "type": "object",
                "required": strings([field]),
                "properties": obj([field: obj(["type": "string", "enum": strings(["YES", "NO"])])]),
            ])
            // 503: the probe's NO (DeepStream's body), or the server stopping.
            let notYet = obj([
                "type": "object", "required": strings(["status", "reason"]),
                "properties": obj([
                    "status": obj(["type": "string"]), "reason": obj(["type": "string"]), member: answer,
                ]),
            ])
            paths.append((path, obj(["get": operation(
                op, summary: "Probe: YES while the pipeline is \(what) (200), else NO with status 503", tag: "app", body: nil,
                responses: [orText(response(200, successBody(op, extra: [(member, answer)], required: [member])),
                                   "DeepStream's gauge \(path.dropFirst())_metrics, 1 or 0, always with status 200"),
                            response(503, notYet)] + failures(getFailures.filter { $0 != 503 }))])))
        }
        let text = obj(["type": "string"]), count = obj(["type": "integer", "minimum": .integer(0)])
        let names = obj(["type": "array", "items": text])
        paths.append(("/info", obj(["get": operation(
            "GET_INFO", summary: "What this instance is and runs on (ours)", tag: "app", body: nil,
            responses: [response(200, successBody("GET_INFO", extra: [("info", obj([
                "type": "object",
                "required": strings(["version", "gstreamer", "uptime_s", "host", "decoders", "hardware_encoders", "server"]),
                "properties": obj([
                    "version": text, "gstreamer": text, "uptime_s": count,
                    "host": obj(["type": "object", "required": strings(["cpu_model", "cores", "memory_bytes"]),
                                 "properties": obj(["cpu_model": text, "cores": count, "memory_bytes": count])]),
                    "decoders": names, "hardware_encoders": names,
                    "server": obj(["type": "object",
                                   "required": strings(["address", "port", "tls", "token", "cors_origins", "strict_http_status"]),
                                   "properties": obj(["address": text, "port": count, "tls": obj(["type": "boolean"]),
                                                      "token": obj(["type": "boolean"]), "cors_origins": names,
                                                      "strict_http_status": obj(["type": "boolean"])])]),
                    "state_file": obj(["type": "object", "nullable": true,
                                       "description": "null when the element's state-file is off",
                                       "required": strings(["sensors", "last_write_error"]),
                                       "properties": obj(["sensors": count,
                                                          "last_write_error": obj(["type": "string", "nullable": true])])]),
                ]),
            ]))], required: ["info"]))] + failures(getFailures))])))
        paths.append(("/events", obj(["get": eventsOperation()])))
        paths += elementPaths()
        paths += consolePaths()
        paths.append(("/openapi.json", obj(["get": operation(
            "GET_OPENAPI", summary: "This document", tag: "app", body: nil,
            responses: [response(200, obj([
                "type": "object", "required": strings(["openapi", "info", "paths"]),
                "properties": obj(["openapi": obj(["type": "string"])]),
            ]))] + failures(getFailures))])))

        let schemas = obj([
            "Identifier": obj([
                "description": "a non-empty string, or a non-negative integer (read as its decimal text); stream_id is a source id or a camera_id",
                "anyOf": .array([obj(["type": "string", "minLength": 1]), integer(0, Int64.max)]),
            ]),
            "Flag": obj([
                "description": "true/false, or 1/0",
                "anyOf": .array([obj(["type": "boolean"]), obj(["type": "integer", "enum": .array([0, 1])])]),
            ]),
            "Roi": obj([
                "type": "object",
                "required": strings(["roi_id", "left", "top", "width", "height"]),
                "properties": obj([
                    "roi_id": obj([
                        "description": .string("at most \(RoiRoute.maxRoiIdBytes) bytes of UTF-8 (the schema says \(RoiRoute.maxRoiIdBytes / 4) characters, safe for any text)"),
                        "anyOf": .array([obj(["type": "string", "minLength": 1, "maxLength": .integer(Int64(RoiRoute.maxRoiIdBytes / 4))]),
                                         integer(0, Int64.max)]),
                    ]),
                    "left": integer(0, uint32Max), "top": integer(0, uint32Max),
                    "width": integer(0, uint32Max), "height": integer(0, uint32Max),
                ]),
            ]),
            "SourceOptions": obj([
                "type": "object", "nullable": true,
                "description": "per-stream settings overriding the element's properties; unknown names are 400",
                "additionalProperties": false,
                "properties": obj([
                    "latency": integer(0, uint32Max, "rtspsrc latency, ms", nullable: true),
                    "rtp_protocol": obj(["type": "integer", "enum": .array([0, 4]), "nullable": true,
                                         "description": "0 UDP then TCP, 4 TCP only"]),
                    "drop_frame_interval": integer(0, 30, nil, nullable: true),
                    "file_loop": obj(["anyOf": .array([obj(["type": "boolean"]), obj(["type": "integer", "enum": .array([0, 1])])]),
                                      "nullable": true]),
                ]),
            ]),
            "AddSensor": sensorSchema(add: true),
            "RemoveSensor": sensorSchema(add: false),
            "StreamInfo": obj([
                "type": "object",
                "required": strings(["source_id", "camera_id", "camera_name", "uri", "state", "frames_out", "fps", "last_error"]),
                "properties": obj([
                    "source_id": obj(["type": "integer", "minimum": 0]),
                    "camera_id": obj(["type": "string"]),
                    "camera_name": obj(["type": "string"]),
                    "uri": obj(["type": "string", "description": "any password replaced by ***"]),
                    "state": obj(["type": "string", "enum": strings(["starting", "playing", "reconnecting", "error", "eos"])]),
                    "frames_out": obj(["type": "integer", "minimum": 0]),
                    "fps": obj(["type": "number"]),
                    "last_error": obj(["type": "string", "nullable": true]),
                    "labels": obj(["type": "object", "additionalProperties": obj(["type": "string"])]),
                ]),
            ]),
        ])

        return obj([
            "openapi": "3.0.3",
            "info": obj([
                "title": "swiftmultiurisrcbin REST API",
                "version": .string(restAPIVersion),
                "description": .string("""
                    DeepStream's REST API (nvds_rest_server) as served by swiftmultiurisrcbin. Every path \
                    answers under /api/v1/<path> (DeepStream 7.0+, first server) and under /<path> without \
                    the prefix (DeepStream 6.2/6.3, second server); a trailing slash is ignored. POST bodies \
                    are JSON whatever the Content-Type. Every answer is application/json (but the Prometheus \
                    text of metrics, stream-info, live, ready and startup for an Accept header containing \
                    text/plain): \
                    {"status": "HTTP/1.1 <code> <text>", "reason": "<OPERATION>_SUCCESS" or "<OPERATION>_FAIL, <why>"} \
                    plus route-specific members, and the HTTP status equals the code in status. A path not \
                    listed here is 404 (reason ROUTE_FAIL); another method than the listed one is 405 with \
                    Allow (HEAD is served wherever GET is). When the element's rest-token is set, every \
                    request needs Authorization: Bearer <token> (401 otherwise).
                    """),
                "license": obj(["name": "MIT"]),
            ]),
            "servers": .array([
                obj(["url": "/api/v1", "description": "DeepStream 7.0+ spelling"]),
                obj(["url": "/", "description": "DeepStream 6.2/6.3 spelling (no prefix)"]),
            ]),
            "security": .array([obj([:]), obj(["bearerAuth": .array([])])]),
            "paths": obj(paths),
            "components": obj([
                "securitySchemes": obj(["bearerAuth": obj([
                    "type": "http", "scheme": "bearer",
                    "description": "only when the element's rest-token property is set",
                ])]),
                "schemas": schemas,
            ]),
        ])
    }
}
