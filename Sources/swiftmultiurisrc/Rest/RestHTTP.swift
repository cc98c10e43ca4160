import Glibc

/// One HTTP request as the routes see it: read completely (body capped by the
/// server) before any route runs, so routes never touch civetweb.
struct RestRequest: Sendable {
    /// "GET", "POST", ... as the client sent it.
    var method: String
    /// The route path: unreserved characters decoded (nothing else: "%2F"
    /// is not a separator), without a trailing "/" and without the
    /// "/api/v1" prefix, e.g. "/stream/add". Both spellings of every route
    /// therefore reach the same handler.
    var path: String
    /// The path as requested (still percent-encoded), for logs and errors.
    var requestPath: String
    /// Text after "?", nil without one.
    var query: String?
    /// "1.1" or "1.0".
    var httpVersion: String
    /// Header names as sent; look them up with `header(_:)`.
    var headers: [(name: String, value: String)] {
        didSet { known = KnownHeaders(headers) }
    }
    /// Where the headers the server itself reads are, found in one pass.
    private(set) var known: KnownHeaders
    /// The body, at most `RestServerConfiguration.maxBodyBytes` bytes. Empty
    /// for GET and HEAD (their bodies are not read).
    var body: [UInt8]
    var remoteAddress: String
    /// The host of an absolute-form target ("GET http://host:port/path"),
    /// checked like the Host header; nil for the usual "/path" form.
    var authority: String? = nil
    /// When its headers were parsed (CLOCK_MONOTONIC ns; 0 when not from
    /// the network): the start of the REST latency histogram.
    var receivedAtNs: UInt64 = 0

    init(method: String, path: String, requestPath: String, query: String?, httpVersion: String,
         headers: [(name: String, value: String)], body: [UInt8], remoteAddress: String,
         authority: String? = nil, receivedAtNs: UInt64 = 0) {
        self.method = method
        self.path = path
        self.requestPath = requestPath
        self.query = query
        self.httpVersion = httpVersion
        self.headers = headers
        self.known = KnownHeaders(headers)
        self.body = body
        self.remoteAddress = remoteAddress
        self.authority = authority
        self.receivedAtNs = receivedAtNs
    }

    /// Case-insensitive header lookup (the first of that name).
    func header(_ name: String) -> String? {
        headers.first { asciiCaseInsensitiveEqual($0.name, name) }?.value
    }

    /// The first header of a name the server reads, without a scan.
    func header(_ name: KnownHeaders.Name) -> String? {
        known.first(name).map { headers[$0].value }
    }

    /// The body as JSON. Any Content-Type is accepted: `curl -d` sends
    /// application/x-www-form-urlencoded and DeepStream clients rely on it.
    func json() throws(JSONParseError) -> JSONValue {
        try JSONCodec.parse(body)
    }
}

/// The headers the server reads on every request (the gate and the answer
/// look up six of them), found in one pass over the names when the request
/// is made: a scan per lookup, each name compared folded, was a tenth of a
/// GET's time in the handler (bench P4, perf).
struct KnownHeaders: Sendable {
    enum Name: Int, CaseIterable, Sendable {
        case host, origin, authorization, connection, accept, expect, contentLength, transferEncoding

        var text: StaticString {
            switch self {
            case .host: "host"
            case .origin: "origin"
            case .authorization: "authorization"
            case .connection: "connection"
            case .accept: "accept"
            case .expect: "expect"
            case .contentLength: "content-length"
            case .transferEncoding: "transfer-encoding"
            }
        }
    }

    /// Per name (a byte each, by `Name.rawValue`), one more than the index
    /// of its first header; 0 when absent. Bytes in integers, not arrays:
    /// no allocation per request.
    private var firstPlusOne: UInt64 = 0
    /// Per name, how many headers (a byte each, saturating at 255).
    private var counts: UInt64 = 0

    init(_ headers: [(name: String, value: String)]) {
        // civetweb keeps at most 64 headers; 254 fits a byte.
        for (i, h) in headers.enumerated() where i < 254 {
            guard let name = Self.name(of: h.name) else { continue }
            let shift = UInt64(name.rawValue * 8)
            if (firstPlusOne >> shift) & 0xff == 0 { firstPlusOne |= UInt64(i + 1) << shift }
            if (counts >> shift) & 0xff < 0xff { counts &+= 1 << shift }
        }
    }

    /// The index of the first header of `name`, nil when absent.
    func first(_ name: Name) -> Int? {
        let v = Int((firstPlusOne >> UInt64(name.rawValue * 8)) & 0xff)
        return v == 0 ? nil : v - 1
    }

    func has(_ name: Name) -> Bool { count(name) > 0 }

    /// How many headers of `name` (255 means 255 or more).
    func count(_ name: Name) -> Int { Int((counts >> UInt64(name.rawValue * 8)) & 0xff) }

    /// Which of ours `header` is (A-Z folded), nil for any other.
    static func name(of header: String) -> Name? {
        var header = header
        return header.withUTF8 { bytes -> Name? in
            func equal(_ name: Name) -> Bool {
                name.text.withUTF8Buffer { lower in
                    lower.count == bytes.count && (0..<bytes.count).allSatisfy { k in
                        let b = bytes[k]
                        return ((b >= 65 && b <= 90) ? b | 0x20 : b) == lower[k]
                    }
                }
            }
            // The length picks the candidates: most names are none of ours.
            switch bytes.count {
            case 4: return equal(.host) ? .host : nil
            case 6: return equal(.origin) ? .origin : equal(.accept) ? .accept : equal(.expect) ? .expect : nil
            case 10: return equal(.connection) ? .connection : nil
            case 13: return equal(.authorization) ? .authorization : nil
            case 14: return equal(.contentLength) ? .contentLength : nil
            case 17: return equal(.transferEncoding) ? .transferEncoding : nil
            default: return nil
            }
        }
    }
}

/// One response: JSON (`Content-Type: application/json`) unless `text`
/// is set (the Prometheus answers).
struct RestResponse: Sendable, Equatable {
    var status: Int
    var body: JSONValue
    /// Extra headers (Allow on 405, Connection: close, ...). Content-Type and
    /// Content-Length are added by the server.
    var headers: [RestHeader] = []
    /// Sent instead of `body`, under its own Content-Type.
    var text: TextBody? = nil

    struct TextBody: Sendable, Equatable {
        var contentType: String
        var bytes: [UInt8]
    }

    init(status: Int, body: JSONValue, headers: [RestHeader] = []) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    /// A 200 whose JSON body is already written (`body` stays null: routes
    /// that build it by hand, for speed, say so).
    static func json(_ bytes: [UInt8]) -> RestResponse {
        var response = RestResponse(status: 200, body: .null)
        response.text = TextBody(contentType: "application/json", bytes: bytes)
        return response
    }

    /// DeepStream 7.0+ form: {"status":"HTTP/1.1 200 OK","reason":"<operation>_SUCCESS"}
    /// plus `extra` members after those two.
    static func success(_ operation: String, extra: JSONObject = JSONObject()) -> RestResponse {
        var body = JSONObject(["status": .string(HTTPStatus.ok), "reason": .string(operation + "_SUCCESS")],
                              reserving: extra.count)
        for (k, v) in extra.members { body[k] = v }
        return RestResponse(status: 200, body: .object(body))
    }

    /// {"status":"HTTP/1.1 409 Conflict","reason":"<operation>_FAIL, <detail>"} with
    /// the same code as the real HTTP status.
    static func failure(_ operation: String, status: Int, detail: String,
                        headers: [RestHeader] = []) -> RestResponse {
        let body = JSONObject([
            "status": .string(HTTPStatus.line(status)),
            "reason": .string("\(operation)_FAIL, \(detail)"),
        ])
        return RestResponse(status: status, body: .object(body), headers: headers)
    }

    static func failure(_ operation: String, _ error: ControlError) -> RestResponse {
        failure(operation, status: error.httpStatus, detail: error.detail)
    }
}

struct RestHeader: Sendable, Equatable {
    var name: String
    var value: String
}

enum HTTPStatus {
    /// Reason phrases of the codes this server sends.
    static func text(_ code: Int) -> String {
        switch code {
        case 100: "Continue"
        case 200: "OK"
        case 204: "No Content"
        case 207: "Multi-Status"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Payload Too Large"
        case 414: "URI Too Long"
        case 422: "Unprocessable Content"
        case 431: "Request Header Fields Too Large"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status \(code)"
        }
    }

    /// "HTTP/1.1 404 Not Found", the `status` member of every body.
    static func line(_ code: Int) -> String { code == 200 ? ok : "HTTP/1.1 \(code) \(text(code))" }
    /// The status line of most answers, made once.
    static let ok = "HTTP/1.1 200 OK"
}

/// Spaces and tabs trimmed at both ends (no Foundation in the plugin).
func restTrimmed<S: StringProtocol>(_ s: S) -> String {
    var sub = s[...]
    while let c = sub.first, c == " " || c == "\t" { sub = sub.dropFirst() }
    while let c = sub.last, c == " " || c == "\t" { sub = sub.dropLast() }
    return String(sub)
}

/// Header names are ASCII tokens: compared byte by byte, folding A-Z only,
/// without making lowercased copies (this runs several times per request).
func asciiCaseInsensitiveEqual(_ a: String, _ b: String) -> Bool {
    // Folding A-Z keeps the byte count: most header names a lookup meets
    // differ in length, and a native String knows its count without a walk.
    guard a.utf8.count == b.utf8.count else { return false }
    var i = a.utf8.makeIterator(), j = b.utf8.makeIterator()
    while true {
        switch (i.next(), j.next()) {
        case (nil, nil): return true
        case let (x?, y?):
            if x == y { continue }
            let fx = (x >= 65 && x <= 90) ? x | 0x20 : x
            let fy = (y >= 65 && y <= 90) ? y | 0x20 : y
            if fx != fy { return false }
        default: return false
        }
    }
}

/// Whether ASCII `text` contains each of two lowercase ASCII needles, with
/// A-Z folded; nil when `text` is not ASCII (the caller then folds it as
/// Unicode does).
func asciiContainsFolded(_ text: String, _ first: StaticString, _ second: StaticString) -> (Bool, Bool)? {
    var copy = text
    return copy.withUTF8 { hay -> (Bool, Bool)? in
        for b in hay where b >= 0x80 { return nil }
        func contains(_ needle: StaticString) -> Bool {
            needle.withUTF8Buffer { n in
                guard !n.isEmpty else { return true }
                guard hay.count >= n.count else { return false }
                for start in 0...(hay.count - n.count) {
                    var k = 0
                    while k < n.count {
                        let b = hay[start + k]
                        if (b >= 65 && b <= 90 ? b | 0x20 : b) != n[k] { break }
                        k += 1
                    }
                    if k == n.count { return true }
                }
                return false
            }
        }
        return (contains(first), contains(second))
    }
}

/// Milliseconds of CLOCK_MONOTONIC.
func monotonicMs() -> Int64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Int64(t.tv_sec) * 1000 + Int64(t.tv_nsec) / 1_000_000
}

/// Nanoseconds of CLOCK_MONOTONIC.
func monotonicNs() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(max(0, t.tv_sec)) * 1_000_000_000 + UInt64(max(0, t.tv_nsec))
}
