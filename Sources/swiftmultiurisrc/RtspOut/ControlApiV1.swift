import Glibc

/// What the Control API v1 routes need from the output bin (a seam, so the
/// HTTP side can be read and tested apart from the pipeline).
protocol OutputControl: AnyObject, Sendable {
    func requestStream(url: String?, label: String?) -> Result<RequestedStream, OutputApiError>
    func deleteStream(_ id: UInt32) -> Result<UInt32, OutputApiError>
    func listStreams() -> StreamList
}

extension RtspOutBin: OutputControl {}

/// Seed 004's HTTP contract: bodies, status codes and error answers exactly
/// as the seed writes them. Registered on the upstream bin's REST server
/// through RestRouteRegistry, so it answers at /requestStream and under
/// /api/v1 too.
final class ControlApiV1: Sendable {
    struct Route: Sendable {
        let prefix: String
        let method: String
    }
    static let requestStream = Route(prefix: "/requestStream", method: "POST")
    static let deleteStream = Route(prefix: "/deleteStream", method: "DELETE")
    static let streams = Route(prefix: "/streams", method: "GET")
    static let routes = [requestStream, deleteStream, streams]

    private weak let control: (any OutputControl)?

    init(_ control: any OutputControl) { self.control = control }

    func respond(_ route: Route, _ request: RestRequest) -> RestResponse {
        guard let control else { return Self.error(.internalError("the output bin is gone")) }
        switch route.prefix {
        case Self.requestStream.prefix:
            guard request.path == route.prefix else { return Self.error(.notFound) }
            switch Self.parseRequest(request.body) {
            case let .failure(error): return Self.error(error)
            case let .success((url, label)):
                switch control.requestStream(url: url, label: label) {
                case let .failure(error): return Self.error(error)
                case let .success(s): return RestResponse(status: 200, body: Self.json(s))
                }
            }
        case Self.deleteStream.prefix:
            let rest = request.path.dropFirst(route.prefix.count)
            guard rest.hasPrefix("/"), !rest.dropFirst().isEmpty, !rest.dropFirst().contains("/") else {
                return Self.error(.invalidParam("id: missing; use DELETE /deleteStream/<id>"))
            }
            let text = String(rest.dropFirst())
            guard text.allSatisfy({ $0.isASCII && $0.isNumber }), text.count <= 10, let id = UInt32(text) else {
                return Self.error(.invalidParam("id: '\(text.prefix(64))' is not a stream id (a non-negative integer)"))
            }
            switch control.deleteStream(id) {
            case let .failure(error): return Self.error(error)
            case let .success(id): return RestResponse(status: 200, body: .object(JSONObject(["deleted": .integer(Int64(id))])))
            }
        default:
            guard request.path == route.prefix else { return Self.error(.notFound) }
            return RestResponse(status: 200, body: Self.json(control.listStreams()))
        }
    }

    /// `{url?, label?}`: both optional strings; an empty body is `{}`.
    static func parseRequest(_ body: [UInt8]) -> Result<(String?, String?), OutputApiError> {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) { return .success((nil, nil)) }
        let value: JSONValue
        do {
            value = try JSONCodec.parse(body)
        } catch {
            return .failure(.invalidParam("body: not JSON: \(error.detail)"))
        }
        guard case let .object(object) = value else {
            return .failure(.invalidParam("body: expected a JSON object, got \(value.kindName)"))
        }
        func optionalString(_ key: String) -> Result<String?, OutputApiError> {
            switch object[key] {
            case nil, .null?: return .success(nil)
            case let .string(s)?: return .success(s)
            case let other?: return .failure(.invalidParam("\(key): expected a string, got \(other.kindName)"))
            }
        }
        let url: String?
        switch optionalString("url") {
        case let .failure(e): return .failure(e)
        case let .success(u): url = u
        }
        if let url, url.isEmpty { return .failure(.invalidParam("url: empty")) }
        if let url, url.utf8.count > 4096 { return .failure(.invalidParam("url: longer than 4096 bytes")) }
        switch optionalString("label") {
        case let .failure(e): return .failure(e)
        case let .success(label):
            if let label, label.utf8.count > 256 { return .failure(.invalidParam("label: longer than 256 bytes")) }
            return .success((url, label))
        }
    }

    static func error(_ e: OutputApiError) -> RestResponse {
        switch e {
        case let .invalidParam(message):
            RestResponse(status: 400, body: .object(JSONObject(["error": "invalid_param", "message": .string(message)])))
        case let .capacity(max, hwMax, swMax):
            RestResponse(status: 429, body: .object(JSONObject([
                "error": "capacity_exceeded", "max": .integer(Int64(max)),
                "hw_max": .integer(Int64(hwMax)), "sw_max": .integer(Int64(swMax)),
            ])))
        case .notFound:
            RestResponse(status: 404, body: .object(JSONObject(["error": "not_found"])))
        case .conflict:
            RestResponse(status: 409, body: .object(JSONObject(["error": "conflict"])))
        case .internalError:
            RestResponse(status: 500, body: .object(JSONObject(["error": "internal_error"])))
        }
    }

    static func json(_ s: RequestedStream) -> JSONValue {
        .object(JSONObject([
            "streamId": .integer(Int64(s.streamId)), "rtspUrl": .string(s.rtspUrl), "path": .string(s.path),
            "udp": s.udp.map { .integer(Int64($0)) } ?? .null, "encoder": .string(s.encoder),
        ]))
    }

    static func json(_ list: StreamList) -> JSONValue {
        let streams: [JSONValue] = list.streams.map { s in
            .object(JSONObject([
                "id": .integer(Int64(s.id)), "path": .string(s.path), "rtspUrl": .string(s.rtspUrl),
                "udp": s.udp.map { .integer(Int64($0)) } ?? .null, "encoder": .string(s.encoder),
                "label": s.label.map { .string($0) } ?? .null, "viewers": .integer(Int64(s.viewers)),
                "state": .string(s.state), "lastActive": .string(iso8601(s.lastActive)),
            ]))
        }
        return .object(JSONObject([
            "max": .integer(Int64(list.max)), "hw_max": .integer(Int64(list.hwMax)),
            "sw_max": .integer(Int64(list.swMax)), "idle_ttl_sec": .integer(Int64(list.idleTtl)),
            "streams": .array(streams),
        ]))
    }

    /// "2025-10-03T09:55:21Z".
    static func iso8601(_ unixSeconds: Double) -> String {
        var t = time_t(unixSeconds.isFinite ? Swift.max(0, Swift.min(unixSeconds, 32_503_680_000)) : 0)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}
