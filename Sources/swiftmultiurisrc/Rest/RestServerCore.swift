import CCivetweb
import Glibc
import Synchronization

/// What civetweb calls: reads one request, picks its route, runs it, writes
/// the answer. One per server; retained for civetweb from mg_start2 until
/// mg_stop returned.
///
/// Locks here guard only bookkeeping (startup log, serving threads) and are
/// never held while a route runs.
final class ServerCore: Sendable {
    /// Weak: see RestServer. Read once per request.
    private weak let control: (any StreamControl)?
    let log: DebugCategory
    let registry: RestRouteRegistry
    let maxBodyBytes: Int
    /// When set, every request needs `Authorization: Bearer <token>`.
    let token: String?
    /// The port for registry look-ups: the configured one before the start,
    /// the bound one (differs for port 0) right after mg_start2.
    let port = Atomic<UInt16>(0)

    /// civetweb messages of mg_start2, to explain a failed start; nil once
    /// the start is over.
    private let startupLog = Mutex<[String]?>([])
    /// Requests inside `handle`, and this thread's nesting depth there:
    /// whether `stop()` runs on a handler thread, and how many requests
    /// other threads still serve. Lock-free: every request passes here.
    private let inFlight = Atomic<Int>(0)
    private let depth = ThreadDepth()
    /// Set by `stop()` before draining: new requests get 503 at once.
    private let stopping = Atomic<Bool>(false)
    /// The Date header, made once per second rather than per answer.
    private let dateHeader = HTTPDateCache()

    init(control: any StreamControl, log: DebugCategory, registry: RestRouteRegistry, maxBodyBytes: Int,
         token: String? = nil) {
        self.token = token
        self.control = control
        self.log = log
        self.registry = registry
        self.maxBodyBytes = maxBodyBytes
    }

    // MARK: bookkeeping

    var isServingOnCurrentThread: Bool { depth.current > 0 }

    func civetwebLogged(_ text: String) {
        let collecting = startupLog.withLock { (log: inout [String]?) -> Bool in
            guard log != nil else { return false }
            log?.append(text)
            return true
        }
        // Start-up messages are reported by the caller of init with context.
        if !collecting { log.warning(nil, "civetweb: \(text)") }
    }

    func takeStartupLog() -> [String] {
        startupLog.withLock { (log: inout [String]?) -> [String] in
            let lines = log ?? []
            log = nil
            return lines
        }
    }

    /// Answers every new request with 503 from now on.
    func beginStopping() { stopping.store(true, ordering: .releasing) }

    /// Waits until no request is in flight (other than the calling thread's
    /// own), at most `timeoutMs`. civetweb refuses every write once mg_stop
    /// set its stop flag, so answers must be written before mg_stop; this is
    /// the grace period for them. Returns the requests still running.
    func drain(timeoutMs: Int) -> Int {
        let own = depth.current
        var waitedMs = 0
        while true {
            let running = inFlight.load(ordering: .acquiring) - own
            if running == 0 || waitedMs >= timeoutMs { return running }
            usleep(5_000)
            waitedMs += 5
        }
    }

    /// Balances the retain made for civetweb in RestServer.start.
    func releaseFromCivetweb() {
        Unmanaged.passUnretained(self).release()
    }

    // MARK: request handling

    /// Compares in time independent of where the texts differ, so the token
    /// can't be guessed byte by byte from answer times.
    static func authorized(_ header: String?, token: String) -> Bool {
        let expected = Array("Bearer \(token)".utf8)
        let given = Array((header ?? "").utf8)
        var diff = UInt8(expected.count == given.count ? 0 : 1)
        for i in 0..<expected.count {
            diff |= expected[i] ^ (i < given.count ? given[i] : 0)
        }
        return diff == 0
    }

    /// Handles one request; returns the HTTP status for civetweb's access log
    /// (1-999 means "handled").
    func handle(_ conn: OpaquePointer) -> Int {
        inFlight.add(1, ordering: .acquiringAndReleasing)
        depth.enter()
        defer {
            depth.leave()
            inFlight.subtract(1, ordering: .acquiringAndReleasing)
        }
        guard let infoPointer = mg_get_request_info(conn) else { return 0 }
        let info = infoPointer.pointee
        var request = Self.describe(info)
        let head = request.method == "HEAD"
        let readsBody = request.method != "GET" && !head
        // A body left unread (GET bodies, answers given before reading)
        // makes civetweb close the connection after the answer: say so to
        // the client. content_length is -1 for chunked bodies.
        let hasBody = info.content_length != 0
        let closeAfter = !readsBody && hasBody

        if stopping.load(ordering: .acquiring) {
            return send(conn, request, .failure("REQUEST", status: 503, detail: "the REST server is stopping"),
                        head: head, close: true)
        }

        if let token, !Self.authorized(request.header("Authorization"), token: token) {
            return send(conn, request,
                        .failure("REQUEST", status: 401, detail: "Authorization: a valid 'Bearer <token>' header is required",
                                 headers: [RestHeader(name: "WWW-Authenticate", value: "Bearer")]),
                        head: head, close: hasBody)
        }

        enum Target {
            case builtIn(Route)
            case registered(RestRouteRegistry.Entry)
        }
        let target: Target
        if let route = BuiltInRoutes.byPath[request.path] {
            target = .builtIn(route)
        } else if let entry = registry.lookup(port: port.load(ordering: .acquiring), path: request.path) {
            target = .registered(entry)
        } else {
            return send(conn, request, .failure("ROUTE", status: 404, detail: "no route \"\(request.requestPath)\""),
                        head: head, close: hasBody)
        }

        let operation: String
        let allowed: [String]?
        switch target {
        case let .builtIn(route):
            operation = route.operation
            allowed = route.method == .get ? ["GET", "HEAD"] : ["POST"]
        case let .registered(entry):
            operation = "REQUEST"
            allowed = entry.methods.map { m in (m.contains("GET") ? m.union(["HEAD"]) : m).sorted() }
        }
        if let allowed, !allowed.contains(request.method) {
            let allow = allowed.joined(separator: ", ")
            return send(conn, request,
                        .failure(operation, status: 405, detail: "method \(request.method) not allowed; use \(allow)",
                                 headers: [RestHeader(name: "Allow", value: allow)]),
                        head: head, close: hasBody)
        }

        if readsBody {
            switch readBody(conn, declaredLength: info.content_length,
                            expectsContinue: request.header("Expect")?.lowercased() == "100-continue") {
            case let .success(body):
                request.body = body
            case .failure(.tooLarge):
                return send(conn, request,
                            .failure(operation, status: 413, detail: "body: larger than \(maxBodyBytes) bytes"),
                            head: false, close: true)
            case .failure(.incomplete):
                return send(conn, request,
                            .failure(operation, status: 400, detail: "body: incomplete (shorter than Content-Length or a read error)"),
                            head: false, close: true)
            }
        }

        let response: RestResponse
        switch target {
        case let .builtIn(route):
            guard let control else {
                return send(conn, request,
                            .failure(operation, status: 503, detail: "the element serving this API is gone"),
                            head: head, close: closeAfter)
            }
            response = route.respond(RouteContext(request: request, control: control, log: log))
        case let .registered(entry):
            response = entry.handler(request)
        }
        return send(conn, request, response, head: head, close: closeAfter)
    }

    /// An error civetweb found in the request itself (see civetwebHttpError).
    /// The connection is closed after it.
    func sendProtocolError(_ conn: OpaquePointer, status: Int, message: String) {
        let request: RestRequest
        if let info = mg_get_request_info(conn)?.pointee {
            request = Self.describe(info)
        } else {
            request = RestRequest(method: "", path: "", requestPath: "", query: nil, httpVersion: "1.0",
                                  headers: [], body: [], remoteAddress: "")
        }
        let detail = message.isEmpty ? HTTPStatus.text(status) : message
        send(conn, request, .failure("REQUEST", status: status, detail: detail), head: false, close: true)
    }

    /// The request line and headers as a RestRequest (body not read yet).
    static func describe(_ info: mg_request_info) -> RestRequest {
        let method = info.request_method.map { String(cString: $0) } ?? ""
        // local_uri: URL-decoded, dot segments removed, no query.
        let requestPath = (info.local_uri ?? info.request_uri).map { String(cString: $0) } ?? "/"
        var headers: [(name: String, value: String)] = []
        let count = Int(max(0, min(info.num_headers, Int32(MG_MAX_HEADERS))))
        withUnsafeBytes(of: info.http_headers) { raw in
            let all = raw.bindMemory(to: mg_header.self)
            for h in all.prefix(count) {
                guard let name = h.name else { continue }
                headers.append((String(cString: name), h.value.map { String(cString: $0) } ?? ""))
            }
        }
        let remote = withUnsafeBytes(of: info.remote_addr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return RestRequest(method: method, path: routePath(requestPath), requestPath: requestPath,
                           query: info.query_string.map { String(cString: $0) },
                           httpVersion: info.http_version.map { String(cString: $0) } ?? "1.1",
                           headers: headers, body: [], remoteAddress: remote)
    }

    /// "/api/v1/stream/add/" -> "/stream/add": one table serves both spellings.
    static func routePath(_ requestPath: String) -> String {
        // On UTF-8 bytes: String.count walks characters, and this runs for
        // every request.
        let bytes = requestPath.utf8
        var end = bytes.endIndex
        while bytes.distance(from: bytes.startIndex, to: end) > 1, bytes[bytes.index(before: end)] == UInt8(ascii: "/") {
            end = bytes.index(before: end)
        }
        let trimmed = bytes[bytes.startIndex..<end]
        let prefix = "/api/v1".utf8
        if trimmed.elementsEqual(prefix) { return "/" }
        if trimmed.starts(with: prefix), trimmed.dropFirst(prefix.count).first == UInt8(ascii: "/") {
            return String(Substring(trimmed.dropFirst(prefix.count)))
        }
        return end == bytes.endIndex ? requestPath : String(Substring(trimmed))
    }

    enum BodyError: Error { case tooLarge, incomplete }

    /// Reads at most maxBodyBytes + 1 bytes, in a loop bounded by that count
    /// (each mg_read is bounded by request_timeout_ms). A declared length
    /// over the cap is refused before reading; -1 (chunked or no length) is
    /// read until the end or the cap.
    func readBody(_ conn: OpaquePointer, declaredLength: Int64, expectsContinue: Bool) -> Result<[UInt8], BodyError> {
        if declaredLength > Int64(maxBodyBytes) { return .failure(.tooLarge) }
        if expectsContinue && declaredLength != 0 {
            // civetweb sends no interim answer for handlers; curl would wait a second.
            let interim = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
            _ = interim.withUnsafeBytes { mg_write(conn, $0.baseAddress, $0.count) }
        }
        let limit = maxBodyBytes + 1
        var body: [UInt8] = []
        body.reserveCapacity(declaredLength > 0 ? Int(declaredLength) : min(limit, 4096))
        var chunk = [UInt8](repeating: 0, count: 4096)
        while body.count < limit {
            let want = min(chunk.count, limit - body.count)
            let n = chunk.withUnsafeMutableBytes { mg_read(conn, $0.baseAddress, want) }
            if n == 0 { break }
            if n < 0 { return .failure(.incomplete) }
            body.append(contentsOf: chunk.prefix(Int(n)))
        }
        if body.count > maxBodyBytes { return .failure(.tooLarge) }
        if declaredLength >= 0 && Int64(body.count) < declaredLength { return .failure(.incomplete) }
        return .success(body)
    }

    /// Writes the answer in one piece: status line, Content-Type,
    /// Content-Length, Date, Connection, extra headers (CR/LF-free ones
    /// only), body unless HEAD.
    ///
    /// Written raw with mg_write rather than with mg_response_header_*:
    /// civetweb refuses those once anything was written, and the interim
    /// "100 Continue" has to be written before the body is read.
    @discardableResult
    func send(_ conn: OpaquePointer, _ request: RestRequest, _ response: RestResponse, head: Bool, close: Bool) -> Int {
        var status = response.status
        var body: [UInt8]
        if (100...999).contains(status), let encoded = JSONCodec.serialize(response.body) {
            body = encoded
        } else {
            status = 500
            body = Array(#"{"status":"HTTP/1.1 500 Internal Server Error","reason":"INTERNAL_FAIL, invalid response"}"#.utf8)
        }
        // One buffer for head and body, appended to in place (this runs for
        // every answer: see bench P4).
        var bytes: [UInt8] = []
        bytes.reserveCapacity(body.count + 256)
        func add(_ text: String) { bytes.append(contentsOf: text.utf8) }
        add("HTTP/1.1 ")
        JSONCodec.appendDecimal(Int64(status), to: &bytes)
        add(" ")
        add(HTTPStatus.text(status))
        add("\r\nContent-Type: application/json\r\nContent-Length: ")
        JSONCodec.appendDecimal(Int64(body.count), to: &bytes)
        add("\r\nDate: ")
        add(dateHeader.now())
        add("\r\n")
        var connection: String? = close ? "close" : nil
        for h in response.headers {
            let name = h.name.lowercased()
            // Compare bytes: "\r\n" is one Character in Swift.
            let unsafe = (h.name + h.value).utf8.contains { $0 == 13 || $0 == 10 } || h.name.utf8.contains(58)
            guard !h.name.isEmpty, !unsafe, name != "content-type", name != "content-length", name != "date" else {
                log.warning(nil, "REST: dropped invalid response header \"\(h.name)\"")
                continue
            }
            if name == "connection" {
                connection = connection ?? h.value
                continue
            }
            add(h.name)
            add(": ")
            add(h.value)
            add("\r\n")
        }
        add("Connection: ")
        add(connection ?? (Self.clientKeepsAlive(request) ? "keep-alive" : "close"))
        add("\r\n\r\n")
        if !head { bytes.append(contentsOf: body) }
        let written = bytes.withUnsafeBytes { mg_write(conn, $0.baseAddress, $0.count) }
        if written < 0 { log.debug(nil, "REST: client went away before the answer to \(request.requestPath)") }
        if status >= 500 {
            log.warning(nil, "REST \(request.method) \(request.requestPath) from \(request.remoteAddress) -> \(status)")
        } else {
            log.debug(nil, "REST \(request.method) \(request.requestPath) from \(request.remoteAddress) -> \(status)")
        }
        return status
    }

    /// What civetweb decides after the handler (it keeps the connection when
    /// the client wants it and the body was consumed): HTTP/1.1 keeps alive
    /// unless the client says close; HTTP/1.0 only when asked.
    static func clientKeepsAlive(_ request: RestRequest) -> Bool {
        let connection = request.header("Connection")?.lowercased() ?? ""
        if connection.contains("close") { return false }
        if connection.contains("keep-alive") { return true }
        return request.httpVersion == "1.1"
    }
}

/// A per-thread counter (a pthread key of its own), for "is this thread
/// inside one of this server's handlers".
final class ThreadDepth: @unchecked Sendable {
    // Written once in init; pthread_getspecific and pthread_setspecific are
    // thread-safe by definition.
    private var key = pthread_key_t()
    private let valid: Bool

    init() { valid = pthread_key_create(&key, nil) == 0 }

    deinit { if valid { pthread_key_delete(key) } }

    var current: Int {
        guard valid, let p = pthread_getspecific(key) else { return 0 }
        return Int(bitPattern: p)
    }

    func enter() { set(current + 1) }
    func leave() { set(max(0, current - 1)) }

    private func set(_ value: Int) {
        guard valid else { return }
        _ = pthread_setspecific(key, UnsafeRawPointer(bitPattern: value))
    }
}

/// The current httpDate, remade when the second changes; one per worker
/// thread (a pthread key), so answers share no lock for it.
final class HTTPDateCache: @unchecked Sendable {
    private final class Entry {
        var second: time_t = -1
        var text = ""
    }
    // Written once in init; the key's values belong to their threads.
    private var key = pthread_key_t()
    private let valid: Bool

    init() {
        valid = pthread_key_create(&key, { p in
            if let p { Unmanaged<Entry>.fromOpaque(p).release() }
        }) == 0
    }

    deinit { if valid { pthread_key_delete(key) } }

    func now() -> String {
        let second = Glibc.time(nil)
        guard valid else { return httpDate(second) }
        let entry: Entry
        if let p = pthread_getspecific(key) {
            entry = Unmanaged<Entry>.fromOpaque(p).takeUnretainedValue()
        } else {
            entry = Entry()
            _ = pthread_setspecific(key, Unmanaged.passRetained(entry).toOpaque())
        }
        if entry.second != second {
            entry.second = second
            entry.text = httpDate(second)
        }
        return entry.text
    }
}

/// An RFC 9110 date ("Sun, 06 Nov 1994 08:49:37 GMT"), built by hand:
/// strftime would follow the application's locale.
func httpDate(_ time: time_t = Glibc.time(nil)) -> String {
    var t = time
    var tm = Glibc.tm()
    gmtime_r(&t, &tm)
    let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
    let day = days[Int(max(0, min(6, tm.tm_wday)))]
    let month = months[Int(max(0, min(11, tm.tm_mon)))]
    return "\(day), \(two(tm.tm_mday)) \(month) \(tm.tm_year + 1900) \(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) GMT"
}
