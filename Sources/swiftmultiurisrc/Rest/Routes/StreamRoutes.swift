/// stream/add, stream/remove (POST) and stream/get-stream-info (GET).
///
/// Body of add and remove (DeepStream's sensor message):
///
///     {"key": "sensor",
///      "value": {"camera_id": "cam1", "camera_name": "front", "camera_url": "rtsp://...",
///                "change": "camera_add", "metadata": {...},
///                "options": {...}, "wait_for_first_frame_ms": 3000},
///      "headers": {...}}
///
/// - `event` is accepted instead of `value`; `key`, `headers` and `metadata`
///   are not interpreted.
/// - `change` decides, on both routes, as in DeepStream 9.1: a value
///   containing "add" or "streaming" adds, else one containing "remove"
///   removes (case-insensitive), anything else is 400 naming `change`. A
///   removal sent to stream/add answers as a removal (STREAM_REMOVE_...).
///   Without `change` (ours; DeepStream refuses it) the route decides.
/// - `camera_id` (string, or integer converted to a string) must not be empty;
///   add also needs a non-empty `camera_url`; `camera_name` defaults to "".
///   Remove needs only `camera_id`; `camera_url`, when given and not empty,
///   must match the source's uri (checked by the control).
///
/// Our extras, add only:
/// - `options` (object): per-stream settings overriding the element's
///   properties. Names: `latency` (uint ms, rtspsrc latency),
///   `rtp_protocol` (0 = UDP then TCP, 4 = TCP only; select-rtp-protocol),
///   `drop_frame_interval` (0-30), `file_loop` (bool, also 0/1). Unknown names
///   are 400, so a typo is not silently ignored.
/// - `wait_for_first_frame_ms` (uint, at most `maxWaitForFirstFrameMs`): answer
///   only once the first frame left the bin or the source failed. Given in the
///   value, or at the body root for every sensor of the request.
///
/// Several sensors in one request (add and remove): `value` may be an array.
/// They are processed in order, each independently; the answer carries a
/// `results` array with, per item, `camera_id`, `status`, `reason` (and
/// `source_id` on success). Overall: 200 with reason `<OP>_SUCCESS` when all
/// succeeded; 200 with `<OP>_PARTIAL_SUCCESS, <k> of <n> failed` when some
/// failed; when all failed, the first failure's status with
/// `<OP>_FAIL, all <n> failed; first: <detail>`.
enum StreamRoutes {
    static let routes: [Route] = [
        Route(.post, "/stream/add", operation: "STREAM_ADD") { ctx throws(ControlError) in
            try handleSensors(ctx, operation: "STREAM_ADD", action: .add)
        },
        Route(.post, "/stream/remove", operation: "STREAM_REMOVE") { ctx throws(ControlError) in
            try handleSensors(ctx, operation: "STREAM_REMOVE", action: .remove)
        },
        Route(.get, "/stream/get-stream-info", operation: "GET_LIVE_STREAM_INFO") { ctx throws(ControlError) in
            let streams = ctx.control.streams()
            if ctx.request.wantsPrometheusText { return DeepStreamText.streamInfo(count: streams.count) }
            // The busiest GET, polled by dashboards: the body is written
            // again only when what it shows changed (see StreamInfoBodyCache).
            return .json(StreamInfoBodyCache.shared.body(streams: streams, failed: ctx.control.recentlyFailed()))
        },
    ]

    /// The longest wait for a first frame a client may ask for; civetweb's
    /// `mg_stop` waits for running handlers, so every wait must be bounded.
    static let maxWaitForFirstFrameMs: UInt32 = 60_000

    enum Action: Sendable { case add, remove }

    /// One parsed sensor of a request.
    enum Sensor: Sendable, Equatable {
        case add(AddStreamRequest)
        case remove(cameraId: String, url: String?)

        var operation: String {
            switch self {
            case .add: "STREAM_ADD"
            case .remove: "STREAM_REMOVE"
            }
        }
    }

    /// Parses the body: one sensor (`single`) or an array (`multiple`, each item
    /// parsed on its own so one bad item does not sink the others).
    enum Parsed: Sendable {
        case single(Sensor)
        case multiple([(cameraId: String?, sensor: Result<Sensor, ControlError>)])
    }

    static func parse(_ body: FieldReader, action: Action) throws(ControlError) -> Parsed {
        let key = body.contains("value") || !body.contains("event") ? "value" : "event"
        let defaultWait = try body.optionalUInt32("wait_for_first_frame_ms", in: 0...maxWaitForFirstFrameMs)
        guard let value = body.value(key) else { throw body.missing("value") }
        switch value {
        case let .object(o):
            return .single(try parseSensor(FieldReader(o, path: key), action: action, defaultWait: defaultWait))
        case let .array(items):
            guard !items.isEmpty else {
                throw .badRequest(field: key, detail: "empty array, expected at least one sensor")
            }
            var results: [(cameraId: String?, sensor: Result<Sensor, ControlError>)] = []
            for (i, item) in items.enumerated() {
                let path = "\(key)[\(i)]"
                guard case let .object(o) = item else {
                    results.append((nil, .failure(.badRequest(field: path, detail: "expected an object, got \(item.kindName)"))))
                    continue
                }
                let reader = FieldReader(o, path: path)
                let cameraId = try? reader.optionalIdentifier("camera_id")
                do {
                    results.append((cameraId ?? nil, .success(try parseSensor(reader, action: action, defaultWait: defaultWait))))
                } catch {
                    results.append((cameraId ?? nil, .failure(error)))
                }
            }
            return .multiple(results)
        default:
            throw body.wrongType(key, "an object or an array of objects", value)
        }
    }

    static func parseSensor(_ v: FieldReader, action routeAction: Action, defaultWait: UInt32?) throws(ControlError) -> Sensor {
        var action = routeAction
        if let change = try v.optionalString("change") {
            let c = change.lowercased()
            if c.contains("add") || c.contains("streaming") {
                action = .add
            } else if c.contains("remove") {
                action = .remove
            } else {
                throw .badRequest(field: v.fieldName("change"),
                                  detail: "Sensor API change string not supported: \"\(change)\" (expected a value containing \"add\", \"streaming\" or \"remove\")")
            }
        }
        let cameraId = try v.identifier("camera_id")
        switch action {
        case .add:
            var request = AddStreamRequest(cameraId: cameraId,
                                           cameraName: try v.optionalString("camera_name") ?? "",
                                           uri: try v.nonEmptyString("camera_url"))
            if let options = try v.optionalObject("options") {
                request.options = try parseOptions(options)
            }
            request.waitForFirstFrameMs = try v.optionalUInt32("wait_for_first_frame_ms", in: 0...maxWaitForFirstFrameMs)
                ?? defaultWait
            if let labels = try v.optionalObject("labels") { request.labels = try parseLabels(labels) }
            request.stopAfterFrames = try v.optionalUInt32("stop_after_frames", in: 1...UInt32.max)
            request.stopAfterSeconds = try v.optionalUInt32("stop_after_seconds", in: 1...maxStopAfterSeconds)
            return .add(request)
        case .remove:
            let url = try v.optionalString("camera_url")
            return .remove(cameraId: cameraId, url: (url?.isEmpty ?? true) ? nil : url)
        }
    }

    static let optionNames: Set<String> = ["latency", "rtp_protocol", "drop_frame_interval", "file_loop"]

    /// Bounds of `labels` (they are kept per stream and shown in every
    /// stream-info answer) and of `stop_after_seconds` (a week).
    static let maxLabels = 16, maxLabelKeyBytes = 64, maxLabelValueBytes = 256
    static let maxStopAfterSeconds: UInt32 = 7 * 24 * 3600

    /// `labels`: string values under keys of letters, digits, "_", "-" and ".".
    static func parseLabels(_ o: FieldReader) throws(ControlError) -> [String: String] {
        guard o.object.count <= maxLabels else {
            throw .badRequest(field: o.path, detail: "at most \(maxLabels) labels, got \(o.object.count)")
        }
        var labels: [String: String] = [:]
        for key in o.object.keys {
            let allowed = !key.isEmpty && key.utf8.count <= maxLabelKeyBytes && key.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                    || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
            }
            guard allowed else {
                throw .badRequest(field: o.fieldName(String(key.prefix(64))),
                                  detail: "a label name is 1-\(maxLabelKeyBytes) letters, digits, '_', '-' or '.'")
            }
            guard let value = try o.optionalString(key), value.utf8.count <= maxLabelValueBytes else {
                throw .badRequest(field: o.fieldName(key), detail: "a label value is a string of at most \(maxLabelValueBytes) bytes")
            }
            labels[key] = value
        }
        return labels
    }

    static func parseOptions(_ o: FieldReader) throws(ControlError) -> SourceOptions {
        try o.rejectUnknownKeys(allowed: optionNames)
        var options = SourceOptions()
        options.latencyMs = try o.optionalUInt32("latency")
        if let p = try o.optionalUInt32("rtp_protocol") {
            guard p == 0 || p == 4 else {
                throw .badRequest(field: o.fieldName("rtp_protocol"), detail: "must be 0 (UDP then TCP) or 4 (TCP only), got \(p)")
            }
            options.rtpProtocol = p
        }
        options.dropFrameInterval = try o.optionalUInt32("drop_frame_interval", in: 0...30)
        options.fileLoop = try o.optionalBool("file_loop")
        return options
    }

    /// Calls the control for one sensor: the response of a single request,
    /// or one item of `results`.
    static func perform(_ sensor: Sensor, control: any StreamControl) -> Result<StreamInfo, ControlError> {
        do throws(ControlError) {
            switch sensor {
            case let .add(request): return .success(try control.addStream(request))
            case let .remove(cameraId, url): return .success(try control.removeStream(cameraId: cameraId, url: url))
            }
        } catch {
            return .failure(error)
        }
    }

    static func handleSensors(_ ctx: RouteContext, operation: String, action: Action) throws(ControlError) -> RestResponse {
        switch try parse(try ctx.bodyObject(), action: action) {
        case let .single(sensor):
            // What was done names the answer, whichever route carried it.
            let operation = sensor.operation
            let info: StreamInfo
            switch perform(sensor, control: ctx.control) {
            case let .success(done): info = done
            case let .failure(error): return .failure(operation, error)
            }
            ctx.log.info(nil, "\(operation): camera \"\(info.cameraId)\" as source \(info.sourceId)")
            return .success(operation, extra: JSONObject([
                "source_id": .integer(Int64(info.sourceId)),
                "stream": streamInfoJSON(info),
            ]))
        case let .multiple(items):
            var results: [JSONValue] = []
            var firstFailure: ControlError?
            var failures = 0
            for item in items {
                let itemOperation = (try? item.sensor.get())?.operation ?? operation
                var entry = JSONObject(["camera_id": item.cameraId.map { .string($0) } ?? .null])
                switch item.sensor.flatMap({ perform($0, control: ctx.control) }) {
                case let .success(info):
                    ctx.log.info(nil, "\(itemOperation): camera \"\(info.cameraId)\" as source \(info.sourceId)")
                    entry["status"] = .string(HTTPStatus.line(200))
                    entry["reason"] = .string("\(itemOperation)_SUCCESS")
                    entry["source_id"] = .integer(Int64(info.sourceId))
                case let .failure(error):
                    failures += 1
                    if firstFailure == nil { firstFailure = error }
                    entry["status"] = .string(HTTPStatus.line(error.httpStatus))
                    entry["reason"] = .string("\(itemOperation)_FAIL, \(error.detail)")
                }
                results.append(.object(entry))
            }
            let extra = JSONObject(["results": .array(results)])
            if failures == 0 {
                return .success(operation, extra: extra)
            }
            if failures < items.count {
                let body = JSONObject([
                    "status": .string(HTTPStatus.line(200)),
                    "reason": .string("\(operation)_PARTIAL_SUCCESS, \(failures) of \(items.count) failed"),
                    "results": .array(results),
                ])
                return RestResponse(status: 200, body: .object(body))
            }
            let first = firstFailure ?? .internalError("no failure recorded")
            var response = RestResponse.failure(operation, status: first.httpStatus,
                                                detail: "all \(items.count) failed; first: \(first.detail)")
            if case var .object(body) = response.body {
                body["results"] = .array(results)
                response.body = .object(body)
            }
            return response
        }
    }
}
