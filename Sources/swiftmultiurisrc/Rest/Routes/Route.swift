import GstSwiftBridge

/// The two methods of the DeepStream API. HEAD is served wherever GET is.
enum HTTPMethod: String, Sendable {
    case get = "GET"
    case post = "POST"
}

/// One built-in route: where it lives, which method it takes, the prefix of
/// its DeepStream reason texts, and the one function that parses its body and
/// calls the control.
///
/// Each `Routes/*Routes.swift` file declares the routes of one DeepStream
/// group; `BuiltInRoutes.all` collects them. Every route answers under
/// "/api/v1/<path>" and "/<path>". Where each one is parsed:
///
///     StreamRoutes     POST stream/add, POST stream/remove, GET stream/get-stream-info
///     RoiRoute         POST roi/update
///     DecoderRoutes    POST dec/drop-frame-interval, dec/skip-frames, dec/low-latency-mode
///     ConverterRoutes  POST conv/srccrop, conv/destcrop, conv/flip-method, conv/interpolation-method
///     EncoderRoutes    POST enc/bitrate, enc/force-idr, enc/force-intra, enc/iframe-interval
///     InferenceRoutes  POST infer/set-interval, inferserver/set-interval, osd/process-mode,
///                           nvtracker/config-path, analytics/reload-config
///     MuxerRoutes      POST mux/batched-push-timeout, mux/max-latency
///     AppRoutes        POST app/quit, GET version, GET health/get-dsready-state, GET live, ready, startup
///     MetricsRoute     GET metrics (DeepStream's JSON, or Prometheus text for Accept: text/plain)
///     InfoRoute        GET info (ours)
///     OpenAPIRoutes    GET openapi.json (Rest/OpenAPI.swift: the OpenAPI 3 document of all of these)
///     EventsRoute      GET events (a StreamingRoute: Server-Sent Events, see Rest/RestStreaming.swift)
///     ElementRoutes    POST element/set-property, GET element/get-property (ours)
///     ConsoleRoutes    GET /, /ui, /ui/<file> (the web console), GET stream/snapshot (ours)
///
/// Statuses: 200 success; 400 bad input (malformed JSON, wrong type,
/// missing field, out of range; the reason names the field); 404 unknown
/// stream_id or route; 405 wrong method (with Allow); 409 duplicate camera,
/// url mismatch or a setting the pipeline cannot take; 413 body over the
/// cap; 429 max-batch-size reached; 500 internal; 503 element gone or
/// server stopping. Parse failures name the field by its full path
/// ("stream.roi[1].left").
///
/// A class: the server looks a route up and passes it along on every
/// request, and a struct's copies retained its three references each time.
final class Route: Sendable {
    let method: HTTPMethod
    /// Without the "/api/v1" prefix: "/stream/add". The server serves every
    /// route under both spellings (DeepStream 6.2/6.3 had no prefix).
    let path: String
    /// "STREAM_ADD" gives "STREAM_ADD_SUCCESS" and "STREAM_ADD_FAIL, <detail>".
    let operation: String
    let handler: @Sendable (RouteContext) throws(ControlError) -> RestResponse
    /// The status line goes out as the handler set it, also when
    /// strict-http-status is off: probes (live, ready, startup) answer 503
    /// for "NO", which is all a Kubernetes probe reads.
    let keepsStatusLine: Bool
    /// Its place in `BuiltInRoutes.served` (where RestStats counts it); -1
    /// outside that table.
    let slot: Int

    init(_ method: HTTPMethod, _ path: String, operation: String, keepsStatusLine: Bool = false, slot: Int = -1,
         handler: @escaping @Sendable (RouteContext) throws(ControlError) -> RestResponse) {
        self.method = method
        self.path = path
        self.operation = operation
        self.keepsStatusLine = keepsStatusLine
        self.slot = slot
        self.handler = handler
    }

    /// `route` at `slot` of the served table.
    fileprivate convenience init(_ route: Route, slot: Int) {
        self.init(route.method, route.path, operation: route.operation, keepsStatusLine: route.keepsStatusLine,
                  slot: slot, handler: route.handler)
    }

    /// Runs the handler; any error becomes the route's `_FAIL` response with
    /// the error's status code, its reason led by DeepStream's text
    /// (DeepStreamReasons).
    func respond(_ context: RouteContext) -> RestResponse {
        do {
            return try handler(context)
        } catch {
            context.log.debug(nil, "\(context.request.method) \(context.request.requestPath): \(error.httpStatus) \(error.detail)")
            return .failure(operation, status: error.httpStatus, detail: DeepStreamReasons.detail(operation, error))
        }
    }
}

/// The server a route runs in, as the routes that describe it see it.
protocol RouteHost: AnyObject, Sendable {
    var facts: ServerFacts { get }
    var restStats: RestStats { get }
}

/// What a route handler works with. Holds no lock: handlers call the control
/// directly, and the control may take as long as it needs (bounded).
struct RouteContext: Sendable {
    let request: RestRequest
    let control: any StreamControl
    let log: DebugCategory
    /// The server answering, asked for its facts and counters only by the
    /// routes that show them (info, metrics): a context per request that
    /// carried both retained four of the server's shared values, a cache
    /// line bounced between workers each time (bench P4, perf).
    private let host: (any RouteHost)?
    /// What a context made outside a server (tests) was given instead.
    private let fixedServer: ServerFacts?
    private let fixedRestStats: RestStats?

    /// What the server knows of itself (GET info).
    var server: ServerFacts { host?.facts ?? fixedServer ?? ServerFacts() }
    /// What the server answered so far (GET metrics); nil outside a server.
    var restStats: RestStats? { host?.restStats ?? fixedRestStats }

    init(request: RestRequest, control: any StreamControl, log: DebugCategory, server: ServerFacts = ServerFacts(),
         restStats: RestStats? = nil) {
        self.request = request
        self.control = control
        self.log = log
        host = nil
        fixedServer = server
        fixedRestStats = restStats
    }

    init(request: RestRequest, control: any StreamControl, log: DebugCategory, host: any RouteHost) {
        self.request = request
        self.control = control
        self.log = log
        self.host = host
        fixedServer = nil
        fixedRestStats = nil
    }

    /// The body as a JSON object.
    func bodyObject() throws(ControlError) -> FieldReader {
        let value: JSONValue
        do {
            value = try request.json()
        } catch {
            throw .badRequest(field: "body", detail: error.detail)
        }
        guard case let .object(object) = value else {
            throw .badRequest(field: "body", detail: "expected a JSON object, got \(value.kindName)")
        }
        return FieldReader(object)
    }

    /// Control bodies (everything but stream add/remove) hold their fields in
    /// an object under one root key of any name; the documentation uses
    /// "stream". Exactly one root key is accepted, so a misplaced field is
    /// reported instead of ignored.
    func controlFields() throws(ControlError) -> FieldReader {
        let body = try bodyObject()
        guard body.object.count == 1, let key = body.object.keys.first else {
            throw .badRequest(field: "body",
                              detail: "expected exactly one root key (e.g. \"stream\") holding the fields, got \(body.object.count)")
        }
        return try body.object(key)
    }

    /// Resolves `stream_id` (a decimal source id or a camera id) to a source;
    /// an unknown id is 404 naming the field.
    func resolveStream(_ fields: FieldReader) throws(ControlError) -> StreamInfo {
        let id = try fields.identifier("stream_id")
        guard let info = control.resolveStream(id) else {
            throw .notFound("\(fields.fieldName("stream_id")): no stream \"\(id)\" (neither a source id nor a camera id)")
        }
        return info
    }
}

/// The table of every built-in route, assembled from the per-group files.
enum BuiltInRoutes {
    static let all: [Route] =
        StreamRoutes.routes + RoiRoute.routes + DecoderRoutes.routes + ConverterRoutes.routes
        + EncoderRoutes.routes + InferenceRoutes.routes + MuxerRoutes.routes + AppRoutes.routes
        + MetricsRoute.routes

    /// What the server dispatches: DeepStream's routes (`all`, checked
    /// against DeepStream's list by RestParseTests) plus ours that DeepStream
    /// has not (GET openapi.json).
    static let served: [Route] = (all + OpenAPIRoutes.routes + InfoRoute.routes
        + ElementRoutes.routes + ConsoleRoutes.routes).enumerated().map { Route($1, slot: $0) }

    /// Path -> route. Each path has exactly one method.
    static let byPath: [String: Route] = {
        var table: [String: Route] = [:]
        for route in served { table[route.path] = route }
        return table
    }()

    /// Ours that keep their connection and write to it themselves.
    static let streaming: [StreamingRoute] = [EventsRoute.route]

    static let streamingByPath: [String: StreamingRoute] = {
        var table: [String: StreamingRoute] = [:]
        for route in streaming { table[route.path] = route }
        return table
    }()

    /// True when `prefix` equals or contains a built-in path, or lies under
    /// one: other elements may not register such a prefix (their routes would
    /// shadow, or be shadowed by, DeepStream's).
    static func overlaps(prefix: String) -> Bool {
        (served.map(\.path) + streaming.map(\.path)).contains { path in
            path == prefix || path.hasPrefix(prefix + "/") || prefix.hasPrefix(path + "/")
        }
    }
}

/// JSON of one source, shared by stream-info and the stream add/remove answers.
func streamInfoJSON(_ info: StreamInfo) -> JSONValue {
    .object(JSONObject([
        "source_id": .integer(Int64(info.sourceId)),
        "camera_id": .string(info.cameraId),
        "camera_name": .string(info.cameraName),
        "uri": .string(info.maskedUri),
        "state": .string(info.state.rawValue),
        // A frame counter beyond Int64 is not going to happen; clamp rather than trap.
        "frames_out": .integer(info.framesOut > UInt64(Int64.max) ? Int64.max : Int64(info.framesOut)),
        "fps": .real(info.fps),
        "last_error": info.lastError.map { .string($0) } ?? .null,
        "labels": .object(labelsJSON(info.labels)),
    ]))
}

/// GET stream-info's body, byte for byte what serializing this tree gives
/// (RestWireTests compares the two):
///
///     RestResponse.success("GET_LIVE_STREAM_INFO", extra: ["stream-info": .object([
///         "stream-count": .integer(streams.count),
///         "stream-info": .array(streams.map(streamInfoJSON)),
///         "failed-streams": .array(failed.map(streamInfoJSON))])])
///
/// `failed-streams` is ours: DeepStream clients read only the other two
/// members. Building, writing and freeing that tree was about a third of
/// the instructions of a GET stream-info (bench P4).
func streamInfoAnswerBytes(streams: [StreamInfo], failed: [StreamInfo]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(160 + 320 * (streams.count + failed.count))
    // Not a nested function capturing `out`: a captured var gets dynamic
    // exclusivity checks on every access.
    func key(_ name: StaticString, _ out: inout [UInt8]) { JSONCodec.appendRaw(name, to: &out) }
    key(#"{"status":"#, &out)
    JSONCodec.appendString(HTTPStatus.ok, to: &out)
    key(#","reason":"GET_LIVE_STREAM_INFO_SUCCESS","stream-info":{"stream-count":"#, &out)
    JSONCodec.appendDecimal(Int64(streams.count), to: &out)
    key(#","stream-info":["#, &out)
    for (i, info) in streams.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        writeStreamInfo(info, to: &out)
    }
    key(#"],"failed-streams":["#, &out)
    for (i, info) in failed.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        writeStreamInfo(info, to: &out)
    }
    key("]}}", &out)
    return out
}

/// The last stream-info body each REST worker thread wrote, with what it
/// showed. A source's frames_out changes with every frame, so the body
/// changes tens of times a second, while four polling clients ask for it
/// tens of thousands of times (bench P4): comparing the snapshot is cheaper
/// than writing it (its Strings and labels compare by storage identity
/// first). Per thread, so that workers share no lock for it; keyed by the
/// whole content, so several bins in one process cannot mix their answers.
final class StreamInfoBodyCache: Sendable {
    static let shared = StreamInfoBodyCache()

    private final class Entry {
        var streams: [StreamInfo] = []
        var failed: [StreamInfo] = []
        var bytes: [UInt8]? = nil
    }

    private let entries = PerThread<Entry>()

    private init() {}

    func body(streams: [StreamInfo], failed: [StreamInfo]) -> [UInt8] {
        guard let entry = entries.value(orMake: { Entry() }) else {
            return streamInfoAnswerBytes(streams: streams, failed: failed)
        }
        if let bytes = entry.bytes, entry.streams == streams, entry.failed == failed { return bytes }
        let bytes = streamInfoAnswerBytes(streams: streams, failed: failed)
        entry.streams = streams
        entry.failed = failed
        entry.bytes = bytes
        return bytes
    }
}

/// `JSONCodec.serialize(streamInfoJSON(info))` without the tree.
func writeStreamInfo(_ info: StreamInfo, to out: inout [UInt8]) {
    func key(_ name: StaticString, _ out: inout [UInt8]) { JSONCodec.appendRaw(name, to: &out) }
    key(#"{"source_id":"#, &out)
    JSONCodec.appendDecimal(Int64(info.sourceId), to: &out)
    key(#","camera_id":"#, &out)
    JSONCodec.appendString(info.cameraId, to: &out)
    key(#","camera_name":"#, &out)
    JSONCodec.appendString(info.cameraName, to: &out)
    key(#","uri":"#, &out)
    JSONCodec.appendString(info.maskedUri, to: &out)
    key(#","state":"#, &out)
    JSONCodec.appendString(info.state.rawValue, to: &out)
    key(#","frames_out":"#, &out)
    JSONCodec.appendDecimal(info.framesOut > UInt64(Int64.max) ? Int64.max : Int64(info.framesOut), to: &out)
    key(#","fps":"#, &out)
    JSONCodec.appendReal(info.fps, to: &out)
    key(#","last_error":"#, &out)
    if let error = info.lastError { JSONCodec.appendString(error, to: &out) } else { key("null", &out) }
    key(#","labels":{"#, &out)
    for (i, label) in info.labels.sorted(by: { $0.key < $1.key }).enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        JSONCodec.appendString(label.key, to: &out)
        out.append(UInt8(ascii: ":"))
        JSONCodec.appendString(label.value, to: &out)
    }
    key("}}", &out)
}

/// Labels in key order (answers are stable whatever the dictionary's order).
func labelsJSON(_ labels: [String: String]) -> JSONObject {
    var object = JSONObject()
    for (key, value) in labels.sorted(by: { $0.key < $1.key }) { object[key] = .string(value) }
    return object
}

/// The `version` of GET /version.
let restAPIVersion = "swiftmultiurisrc \(GSB_PLUGIN_VERSION) - REST API Version v1"
