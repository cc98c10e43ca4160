import CCivetweb
import Glibc
import Synchronization

/// What the server accepts from the network besides routes: who may call it
/// (token, browser origins, Host names) and how long a client may take.
struct RequestPolicy: Sendable {
    /// When set, every request needs `Authorization: Bearer <token>`.
    var token: String?
    /// `Origin` values served (scheme://host[:port], lowercased, no "/").
    var corsOrigins: [String] = []
    /// Host names (optionally with ":port") served besides the loopback ones.
    var allowedHosts: [String] = []
    /// The IPv4 address the server is bound to ("0.0.0.0": every interface).
    var boundAddress = "127.0.0.1"
    var maxBodyBytes = 64 * 1024
    /// The whole body must arrive within this time after its headers.
    var bodyTimeoutMs = 4_000
    /// See `RestServerConfiguration.strictHttpStatus`.
    var strictHttpStatus = false
    /// The port speaks TLS (tls-certificate): nothing may be written to a
    /// socket but through civetweb's TLS session.
    var tls = false

    init(token: String? = nil, corsOrigins: [String] = [], allowedHosts: [String] = [],
         boundAddress: String = "127.0.0.1", maxBodyBytes: Int = 64 * 1024, bodyTimeoutMs: Int = 4_000,
         strictHttpStatus: Bool = false, tls: Bool = false) {
        self.strictHttpStatus = strictHttpStatus
        self.tls = tls
        self.token = token
        self.corsOrigins = corsOrigins.map(Self.normalizedOrigin)
        self.allowedHosts = allowedHosts.map { restTrimmed($0).lowercased() }.filter { !$0.isEmpty }
        self.boundAddress = boundAddress
        self.maxBodyBytes = max(0, maxBodyBytes)
        self.bodyTimeoutMs = max(100, bodyTimeoutMs)
    }

    static func normalizedOrigin(_ origin: String) -> String {
        var o = restTrimmed(origin).lowercased()
        while o.hasSuffix("/") { o.removeLast() }
        return o
    }

    /// A browser's `Origin` header: only the configured origins. "null"
    /// (sandboxed frames, file: pages) is never one of them.
    func originAllowed(_ origin: String) -> Bool {
        let o = Self.normalizedOrigin(origin)
        return !o.isEmpty && o != "null" && corsOrigins.contains(o)
    }

    /// An `Origin` naming this server as the request reached it (scheme
    /// of the port, the Host header's name and port): a page the server
    /// itself served. A page elsewhere cannot send such an Origin; one on a
    /// DNS name rebound to us can, and its Host fails `hostAllowed`.
    func isSameOrigin(_ origin: String, host: String?) -> Bool {
        guard let host else { return false }
        let h = restTrimmed(host).lowercased()
        guard !h.isEmpty, hostAllowed(h) else { return false }
        return Self.normalizedOrigin(origin) == (tls ? "https://" : "http://") + h
    }

    /// A `Host` header (or the authority of an absolute-form target): the
    /// loopback names, the bound address, any IPv4 literal when bound to
    /// 0.0.0.0 (clients use the machine's address), and `allowedHosts`.
    /// Anything else is a page's DNS name pointing at us (DNS rebinding).
    func hostAllowed(_ value: String) -> Bool {
        // What nearly every request sends ("127.0.0.1:9000", "localhost"),
        // answered on its bytes; whatever this does not accept goes the
        // general way below, which accepts it too.
        Self.isLoopbackOrBound(value, boundAddress) || hostAllowedByName(value)
    }

    /// hostAllowed without its shortcut.
    func hostAllowedByName(_ value: String) -> Bool {
        let v = restTrimmed(value).lowercased()
        guard let (host, port) = Self.splitHost(v) else { return false }
        if ["localhost", "127.0.0.1", "[::1]", boundAddress].contains(host) { return true }
        if boundAddress == "0.0.0.0" {
            var addr = in_addr()
            if inet_pton(AF_INET, host, &addr) == 1 { return true }
        }
        return allowedHosts.contains { entry in
            guard let (h, p) = Self.splitHost(entry) else { return false }
            return h == host && (p == nil || p == port)
        }
    }

    /// `value` is "localhost", "127.0.0.1" or `bound` (ASCII case
    /// folded), optionally followed by ":" and 1-5 digits: a subset of what
    /// splitHost and the list in hostAllowed accept.
    static func isLoopbackOrBound(_ value: String, _ bound: String) -> Bool {
        // On contiguous bytes: generic UTF8View slices cost thousands of
        // instructions here.
        var value = value, bound = bound
        return value.withUTF8 { bytes in
            var colon = 0
            while colon < bytes.count, bytes[colon] != UInt8(ascii: ":") { colon += 1 }
            if colon < bytes.count {
                let digits = bytes.count - colon - 1
                guard digits >= 1, digits <= 5 else { return false }
                for i in (colon + 1)..<bytes.count where bytes[i] < 48 || bytes[i] > 57 { return false }
            }
            func equalFolded(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
                guard colon > 0, colon == name.count else { return false }
                for i in 0..<colon {
                    let a = bytes[i]
                    if a != name[i] && !((a >= 65 && a <= 90) && a | 0x20 == name[i]) { return false }
                }
                return true
            }
            let loopback: StaticString = "127.0.0.1", localhost: StaticString = "localhost"
            if loopback.withUTF8Buffer(equalFolded) || localhost.withUTF8Buffer(equalFolded) { return true }
            // The bound address only as an IPv4 literal (what resolve makes):
            // other texts are left to splitHost's checks.
            return bound.withUTF8 { b in
                b.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: ".") } && equalFolded(b)
            }
        }
    }

    /// "name[:port]" or "[v6][:port]" -> (name, port); nil when malformed.
    static func splitHost(_ v: String) -> (String, String?)? {
        var host = Substring(v)
        var port: Substring?
        if v.hasPrefix("[") {
            guard let close = v.firstIndex(of: "]") else { return nil }
            host = v[...close]
            let rest = v[v.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { return nil }
                port = rest.dropFirst()
            }
        } else if let colon = v.firstIndex(of: ":") {
            host = v[..<colon]
            port = v[v.index(after: colon)...]
        }
        if host.isEmpty || host.utf8.contains(where: { $0 <= 32 || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "@") }) {
            return nil
        }
        if let port, port.isEmpty || port.count > 5 || !port.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) { return nil }
        return (String(host), port.map(String.init))
    }
}

/// One TCP connection as this server sees it: civetweb's per-connection
/// user data, from its init_connection to its connection_close callback.
/// Only the worker thread serving the connection touches it.
final class ConnectionState {
    /// civetweb's own error answer (http_error) was written on it.
    var protocolErrorAnswered = false
    /// When the connection began or its last answer went out (ms, monotonic):
    /// a "malformed" header read that took the whole timeout was a timeout.
    var lastActivityMs: Int64

    init(now: Int64) { lastActivityMs = now }
}


/// The sockets civetweb serves, found by their addresses. civetweb 1.15
/// exposes no descriptor (nor, in init_connection, the client's address),
/// and its reads block until a per-read timeout that a trickling client
/// resets byte by byte; the only lever left is to shut a socket down under
/// it. Used on refusing paths only (connections over the per-client cap,
/// bodies past their deadline): it walks /proc/self/fd.
enum ConnectionSocket {
    struct Accepted {
        var fd: Int32
        var peer: UInt32
        var peerPort: Int
    }

    private static func addresses(_ fd: Int32) -> (peer: sockaddr_in, local: sockaddr_in)? {
        var peer = sockaddr_in(), local = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &len) == 0 }
        }
        guard ok, peer.sin_family == sa_family_t(AF_INET) else { return nil }
        len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let okLocal = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) == 0 }
        }
        return okLocal ? (peer, local) : nil
    }

    /// Every connected IPv4 socket of this process whose local port is
    /// `localPort`: the server's side of its connections (clients in the
    /// same process have the server's port as their peer port).
    static func accepted(localPort: Int) -> [Accepted] {
        guard let dir = opendir("/proc/self/fd") else { return [] }
        defer { closedir(dir) }
        let ownDir = dirfd(dir)
        var found: [Accepted] = []
        // Bounded by the process's descriptor count.
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let fd = Int32(name), fd != ownDir, let (peer, local) = addresses(fd),
                  Int(UInt16(bigEndian: local.sin_port)) == localPort else { continue }
            found.append(Accepted(fd: fd, peer: peer.sin_addr.s_addr, peerPort: Int(UInt16(bigEndian: peer.sin_port))))
        }
        return found
    }

    static func find(remoteAddress: String, remotePort: Int, localPort: Int) -> Accepted? {
        var want = in_addr()
        guard inet_pton(AF_INET, remoteAddress, &want) == 1 else { return nil }
        return accepted(localPort: localPort).first { $0.peer == want.s_addr && $0.peerPort == remotePort }
    }

    /// Runs `body` on a duplicate of the descriptor if it still is that
    /// connection: civetweb may close the number and the process reuse it
    /// meanwhile, and a duplicate names the socket, not the number.
    static func onDuplicate(of socket: Accepted, localPort: Int, _ body: (Int32) -> Void) {
        let dup = fcntl(socket.fd, F_DUPFD_CLOEXEC, 0)
        guard dup >= 0 else { return }
        defer { close(dup) }
        guard let (peer, local) = addresses(dup), peer.sin_addr.s_addr == socket.peer,
              Int(UInt16(bigEndian: peer.sin_port)) == socket.peerPort,
              Int(UInt16(bigEndian: local.sin_port)) == localPort else { return }
        body(dup)
    }

    /// Bytes the client has sent on the connection so far (Linux tcp_info
    /// tcpi_bytes_received, at offset 128 since Linux 4.1); nil if unknown.
    static func bytesReceived(_ fd: Int32) -> UInt64? {
        var info = [UInt8](repeating: 0, count: 256)
        var len = socklen_t(info.count)
        let rc = info.withUnsafeMutableBytes { getsockopt(fd, Int32(IPPROTO_TCP), 11 /* TCP_INFO */, $0.baseAddress, &len) }
        guard rc == 0, len >= 136 else { return nil }
        return info.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 128, as: UInt64.self) }
    }
}

/// What civetweb calls: reads one request, picks its route, runs it, writes
/// the answer. One per server; retained for civetweb from mg_start2 until
/// mg_stop returned.
///
/// Locks here guard only bookkeeping (startup log, serving threads, client
/// counts, body deadlines) and are never held while a route runs.
final class ServerCore: RouteHost {
    /// Weak: see RestServer. Read once per request.
    private weak let control: (any StreamControl)?
    let log: DebugCategory
    let registry: RestRouteRegistry
    let policy: RequestPolicy
    var maxBodyBytes: Int { policy.maxBodyBytes }
    /// The port for registry look-ups: the configured one before the start,
    /// the bound one (differs for port 0) right after mg_start2.
    let port = Atomic<UInt16>(0)
    /// How long civetweb gives a client for its headers (request_timeout_ms).
    let headerTimeoutMs: Int
    /// When this server was made (monotonic ms), for GET info's uptime.
    let startedAtMs = monotonicMs()
    /// Every answer sent, by route and status, for GET metrics.
    let restStats = RestStats()

    /// Connections served at once per client address; more get 429. civetweb
    /// serves one connection per worker thread, so without a cap one client
    /// (idle sockets, say) holds every worker.
    static let maxConnectionsPerClient = 16

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
    /// Each worker's previous request, to describe the same one again
    /// without building its Strings (see RepeatedRequest).
    private let previousRequest = PerThread<RepeatedRequest>()
    /// Each worker's answer buffer and last head (see AnswerBuffer).
    private let answerBuffers = PerThread<AnswerBuffer>()
    /// Connections between civetweb's init_connection and connection_close.
    private let openConnections = Atomic<Int>(0)
    /// Bodies being read, by id: the watchdog shuts the socket of one that
    /// is past its deadline.
    private let bodyReads = Mutex<[Int: BodyRead]>([:])
    private let nextBodyRead = Atomic<Int>(0)
    private let watchdogStop = Atomic<Bool>(false)
    /// Connections that a streaming route (GET events) holds.
    let streams: StreamSessions

    struct BodyRead: Sendable {
        var remoteAddress: String
        var remotePort: Int
        var localPort: Int
        var deadlineMs: Int64
        var fired = false
    }

    init(control: any StreamControl, log: DebugCategory, registry: RestRouteRegistry, policy: RequestPolicy,
         headerTimeoutMs: Int = 4_000, streamLimits: StreamLimits = StreamLimits()) {
        streams = StreamSessions(limits: streamLimits)
        self.control = control
        self.log = log
        self.registry = registry
        self.policy = policy
        self.headerTimeoutMs = headerTimeoutMs
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
    func beginStopping() {
        stopping.store(true, ordering: .releasing)
        watchdogStop.store(true, ordering: .releasing)
        // Streams never end by themselves: the drain would wait its whole grace.
        streams.endAll()
    }

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

    // MARK: connections

    /// civetweb's init_connection. The client's address is not known yet
    /// (civetweb hides it until the request line is read), so the cap is
    /// the watchdog's: see enforceClientCap.
    func connectionOpened() -> ConnectionState {
        openConnections.add(1, ordering: .relaxed)
        return ConnectionState(now: monotonicMs())
    }

    /// Answers 429 and shuts the idle connections (no byte received yet)
    /// of every address holding more than maxConnectionsPerClient sockets,
    /// in workers or in civetweb's queue. civetweb serves one connection
    /// per worker and waits request_timeout_ms for an idle one's headers:
    /// without this, one client opening sockets holds every worker. Runs
    /// only while more connections than the cap are open at all.
    func enforceClientCap(localPort: Int) {
        // Event streams have their own limit (StreamSessions) and workers.
        guard openConnections.load(ordering: .relaxed) - streams.openCount > Self.maxConnectionsPerClient else { return }
        let sockets = ConnectionSocket.accepted(localPort: localPort).filter { !streams.holds(peer: $0.peer, port: $0.peerPort) }
        guard sockets.count > Self.maxConnectionsPerClient else { return }
        var byPeer: [UInt32: [ConnectionSocket.Accepted]] = [:]
        for s in sockets { byPeer[s.peer, default: []].append(s) }
        for (peer, conns) in byPeer where conns.count > Self.maxConnectionsPerClient {
            var excess = conns.count - Self.maxConnectionsPerClient
            var cut = 0
            let answer = Self.tooManyConnectionsAnswer(date: dateHeader.now())
            for c in conns where excess > 0 {
                ConnectionSocket.onDuplicate(of: c, localPort: localPort) { fd in
                    // Connections that sent something are mid-request:
                    // their own deadlines bound them.
                    guard ConnectionSocket.bytesReceived(fd) == 0 else { return }
                    // Over TLS a plain answer would be garbage before the
                    // handshake: the client only sees the connection close.
                    if !policy.tls {
                        _ = answer.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                    }
                    // civetweb reads the end of the stream and closes; no
                    // worker waits for headers that never come.
                    shutdown(fd, Int32(SHUT_RDWR))
                    excess -= 1
                    cut += 1
                }
            }
            if cut > 0 {
                var a = in_addr(s_addr: peer)
                var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                let name = inet_ntop(AF_INET, &a, &text, socklen_t(text.count)) != nil
                    ? String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
                log.info(nil, "REST: \(name) holds \(conns.count) connections (at most \(Self.maxConnectionsPerClient)): \(cut) idle ones \(policy.tls ? "closed" : "answered 429 and closed")")
            }
        }
    }

    func connectionClosed() {
        openConnections.subtract(1, ordering: .relaxed)
    }

    static func tooManyConnectionsAnswer(date: String) -> [UInt8] {
        let body = #"{"status":"HTTP/1.1 429 Too Many Requests","reason":"REQUEST_FAIL, more than \#(maxConnectionsPerClient) connections from this address"}"#
        return Array("HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nDate: \(date)\r\nConnection: close\r\n\r\n\(body)".utf8)
    }

    /// civetweb's connection_close: a request civetweb parsed but handed to
    /// no handler (`OPTIONS *`, an absolute-form target naming another
    /// server) would otherwise be closed without any answer.
    func connectionClosing(_ conn: OpaquePointer, state: ConnectionState?) {
        defer { if state != nil { connectionClosed() } }
        // No state: civetweb never opened the connection for HTTP (its TLS
        // handshake failed), and the request info is the worker's previous one.
        guard let state, !state.protocolErrorAnswered, let info = mg_get_request_info(conn)?.pointee,
              let methodPointer = info.request_method, let uriPointer = info.request_uri,
              info.local_uri == nil else { return }
        let method = String(cString: methodPointer)
        let uri = String(cString: uriPointer)
        var request = Self.describe(info)
        request.requestPath = uri
        if uri == "*" && method == "OPTIONS" {
            let allow = RestHeader(name: "Allow", value: "GET, HEAD, POST, OPTIONS")
            send(conn, request, RestResponse(status: 204, body: .null, headers: [allow]), head: false, close: true)
        } else {
            send(conn, request, .failure("REQUEST", status: 400, detail: "request target \"\(uri)\": not a path of this server"),
                 head: method == "HEAD", close: true)
        }
    }

    // MARK: body deadlines

    /// Runs until the server stops: every 100 ms, shuts down (for reading)
    /// the socket of each body read past its deadline, so that civetweb's
    /// blocked read returns and the handler answers 408; and cuts idle
    /// connections over the per-client cap.
    func runWatchdog() {
        while !watchdogStop.load(ordering: .acquiring) {
            usleep(100_000)
            let now = monotonicMs()
            let localPort = Int(port.load(ordering: .acquiring))
            // Held while shutting down, so the handler can't finish first.
            bodyReads.withLock { (reads: inout [Int: BodyRead]) in
                for (id, read) in reads where !read.fired && read.deadlineMs <= now {
                    reads[id]?.fired = true
                    if let socket = ConnectionSocket.find(remoteAddress: read.remoteAddress, remotePort: read.remotePort,
                                                          localPort: read.localPort) {
                        ConnectionSocket.onDuplicate(of: socket, localPort: read.localPort) { shutdown($0, Int32(SHUT_RD)) }
                    }
                }
            }
            enforceClientCap(localPort: localPort)
        }
    }

    private func beginBodyRead(_ read: BodyRead) -> Int {
        let id = nextBodyRead.add(1, ordering: .relaxed).newValue
        bodyReads.withLock { $0[id] = read }
        return id
    }

    /// True when the watchdog fired for it.
    private func endBodyRead(_ id: Int) -> Bool {
        bodyReads.withLock { $0.removeValue(forKey: id)?.fired ?? false }
    }

    // MARK: request handling

    /// Compares the token in time independent of where the texts differ, so
    /// it can't be guessed byte by byte from answer times. The scheme is
    /// case-insensitive (RFC 9110 11.1) and not secret.
    static func authorized(_ header: String?, token: String) -> Bool {
        let bytes = Array((header ?? "").utf8)
        func blank(_ b: UInt8) -> Bool { b == 32 || b == 9 }
        var i = 0
        while i < bytes.count, blank(bytes[i]) { i += 1 }
        let schemeStart = i
        while i < bytes.count, !blank(bytes[i]) { i += 1 }
        let scheme = String(decoding: bytes[schemeStart..<i], as: UTF8.self)
        while i < bytes.count, blank(bytes[i]) { i += 1 }
        var end = bytes.count
        while end > i, blank(bytes[end - 1]) { end -= 1 }
        let given = bytes[i..<end]
        let expected = Array(token.utf8)
        var diff = UInt8(expected.count == given.count && asciiCaseInsensitiveEqual(scheme, "Bearer") ? 0 : 1)
        for k in 0..<expected.count {
            diff |= expected[k] ^ (k < given.count ? given[given.startIndex + k] : 0)
        }
        return diff == 0 && !expected.isEmpty
    }

    /// How the request frames its body, from the raw header lines: civetweb
    /// reads "Content-Length: 0x10" as 0 and "2abc" as 2, and takes the first
    /// of two differing lengths, each a way to smuggle a second request in
    /// the body. nil: framed unambiguously; otherwise what is wrong.
    enum Framing: Equatable {
        case none, length(Int64), chunked
        case invalid(String)
    }

    static func framing(_ request: RestRequest) -> Framing {
        // Nearly every GET: nothing to frame, at most one Host.
        if !request.known.has(.contentLength), !request.known.has(.transferEncoding), request.known.count(.host) <= 1 {
            return .none
        }
        var lengths: [String] = []
        var transferEncoding = false
        var hosts = 0
        for h in request.headers {
            if asciiCaseInsensitiveEqual(h.name, "Content-Length") {
                // "5, 5" is one list of equal values (RFC 9110 8.6).
                lengths += h.value.split(separator: ",", omittingEmptySubsequences: false).map { restTrimmed($0) }
            } else if asciiCaseInsensitiveEqual(h.name, "Transfer-Encoding") {
                transferEncoding = true
            } else if asciiCaseInsensitiveEqual(h.name, "Host") {
                hosts += 1
            }
        }
        if hosts > 1 { return .invalid("Host: more than one header") }
        if transferEncoding {
            return lengths.isEmpty ? .chunked : .invalid("Content-Length and Transfer-Encoding together")
        }
        guard let first = lengths.first else { return .none }
        guard lengths.allSatisfy({ $0 == first }) else { return .invalid("Content-Length: differing values") }
        guard !first.isEmpty, first.utf8.count <= 18, first.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let value = Int64(first) else {
            return .invalid("Content-Length: \"\(first.prefix(40))\" is not a decimal number")
        }
        return .length(value)
    }

    /// The methods of built-in routes, made once rather than per request.
    private static let getAndHead = ["GET", "HEAD"], postOnly = ["POST"]

    /// What GET info shows of this server.
    var facts: ServerFacts {
        ServerFacts(address: policy.boundAddress, port: port.load(ordering: .acquiring),
                    tokenRequired: policy.token != nil, corsOrigins: policy.corsOrigins,
                    strictHttpStatus: policy.strictHttpStatus, tls: policy.tls, startedAtMs: startedAtMs)
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
        // The struct is over a kilobyte: read through the pointer, not copied.
        guard let infoPointer = mg_get_request_info(conn) else { return 0 }
        let state = mg_get_user_connection_data(conn).map { Unmanaged<ConnectionState>.fromOpaque($0).takeUnretainedValue() }
        defer { state?.lastActivityMs = monotonicMs() }
        let repeated = previousRequest.value(orMake: { RepeatedRequest() })
        var request: RestRequest
        var knownBuiltIn: Route?
        if let repeated, let previous = repeated.request(matching: infoPointer, receivedAtNs: monotonicNs()) {
            (request, knownBuiltIn) = previous
        } else {
            request = Self.describe(infoPointer.pointee)
            knownBuiltIn = BuiltInRoutes.byPath[request.path]
            repeated?.remember(infoPointer, as: request, route: knownBuiltIn)
        }
        let head = request.method == "HEAD"
        let readsBody = request.method != "GET" && !head && request.method != "OPTIONS"

        let framing = Self.framing(request)
        if case let .invalid(detail) = framing {
            return send(conn, request, .failure("REQUEST", status: 400, detail: detail), head: head, close: true)
        }
        // A body left unread (GET bodies, answers given before reading)
        // would be read as the next request: such answers close.
        let hasBody: Bool
        switch framing {
        case let .length(n): hasBody = n > 0
        case .chunked: hasBody = true
        default: hasBody = false
        }
        let closeAfter = !readsBody && hasBody

        // Browser protection, before anything else looks at the request: a
        // page on another origin (or a DNS name rebound to us) must not
        // reach a route, whatever Content-Type it picked to skip preflight.
        var cors: [RestHeader] = []
        if let origin = request.header(.origin) {
            // The console's own page (same origin: the Host it was loaded
            // from, itself checked just below) needs no CORS entry.
            let sameOrigin = policy.isSameOrigin(origin, host: request.header(.host))
            guard sameOrigin || policy.originAllowed(origin) else {
                return send(conn, request,
                            .failure("REQUEST", status: 403,
                                     detail: "Origin: \"\(origin.prefix(100))\" is not an allowed origin (property cors-origins)"),
                            head: head, close: hasBody)
            }
            if !sameOrigin {
                cors = [RestHeader(name: "Access-Control-Allow-Origin", value: restTrimmed(origin)),
                        RestHeader(name: "Vary", value: "Origin")]
            }
        }
        // "Not only blanks" on bytes: what restTrimmed(host).isEmpty tells, without the copy.
        if let host = request.header(.host), host.utf8.contains(where: { $0 != 32 && $0 != 9 }), !policy.hostAllowed(host) {
            return send(conn, request,
                        .failure("REQUEST", status: 403,
                                 detail: "Host: \"\(host.prefix(100))\" is not a name of this server (property allowed-hosts)"),
                        head: head, close: hasBody, extra: cors)
        }
        if let authority = request.authority, !policy.hostAllowed(authority) {
            return send(conn, request,
                        .failure("REQUEST", status: 403,
                                 detail: "Host: \"\(authority.prefix(100))\" (request target) is not a name of this server"),
                        head: head, close: hasBody, extra: cors)
        }

        if stopping.load(ordering: .acquiring) {
            return send(conn, request, .failure("REQUEST", status: 503, detail: "the REST server is stopping"),
                        head: head, close: true, extra: cors)
        }

        enum Target {
            case builtIn(Route)
            case streaming(StreamingRoute)
            case registered(RestRouteRegistry.Entry)
        }
        let target: Target
        if let route = knownBuiltIn {
            target = .builtIn(route)
        } else if let route = BuiltInRoutes.streamingByPath[request.path] {
            target = .streaming(route)
        } else if let entry = registry.lookup(port: port.load(ordering: .acquiring), path: request.path) {
            target = .registered(entry)
        } else {
            return send(conn, request, .failure("ROUTE", status: 404, detail: "no route \"\(request.requestPath)\""),
                        head: head, close: hasBody, extra: cors)
        }

        let operation: String
        let allowed: [String]?
        switch target {
        case let .builtIn(route):
            operation = route.operation
            allowed = route.method == .get ? Self.getAndHead : Self.postOnly
        case let .streaming(route):
            operation = route.operation
            allowed = Self.getAndHead
        case let .registered(entry):
            operation = "REQUEST"
            allowed = entry.methods.map { m in (m.contains("GET") ? m.union(["HEAD"]) : m).sorted() }
        }
        // CORS preflight (and plain OPTIONS): answered before the token,
        // which browsers never send on a preflight.
        if request.method == "OPTIONS" {
            let allowList = (allowed ?? ["GET", "HEAD", "POST"]) + ["OPTIONS"]
            var headers = cors + [RestHeader(name: "Allow", value: allowList.joined(separator: ", "))]
            if !cors.isEmpty, request.header("Access-Control-Request-Method") != nil {
                headers += [RestHeader(name: "Access-Control-Allow-Methods", value: allowList.joined(separator: ", ")),
                            RestHeader(name: "Access-Control-Allow-Headers", value: "Authorization, Content-Type"),
                            RestHeader(name: "Access-Control-Max-Age", value: "600")]
            }
            return send(conn, request, RestResponse(status: 204, body: .null, headers: headers),
                        head: false, close: closeAfter)
        }

        // The probes answer without the token: Kubernetes' kubelet (and any
        // load balancer) checks them without credentials, and they tell
        // nothing but YES or NO.
        func isProbe() -> Bool {
            guard case let .builtIn(route) = target else { return false }
            return route.keepsStatusLine || ConsoleRoutes.isPublic(route.path)
        }
        if let token = policy.token, !isProbe(), !Self.authorized(request.header(.authorization), token: token) {
            return send(conn, request,
                        .failure("REQUEST", status: 401, detail: "Authorization: a valid 'Bearer <token>' header is required",
                                 headers: [RestHeader(name: "WWW-Authenticate", value: "Bearer")]),
                        head: head, close: hasBody, extra: cors)
        }

        if let allowed, !allowed.contains(request.method) {
            let allow = allowed.joined(separator: ", ")
            return send(conn, request,
                        .failure(operation, status: 405, detail: "method \(request.method) not allowed; use \(allow)",
                                 headers: [RestHeader(name: "Allow", value: allow)]),
                        head: head, close: hasBody, extra: cors)
        }

        if case let .streaming(route) = target {
            return serveStreaming(route, conn, request, info: infoPointer.pointee, control: control, cors: cors)
        }

        if readsBody {
            let declared: Int64
            switch framing {
            case let .length(n): declared = n
            case .chunked: declared = -1
            default: declared = 0
            }
            switch readBody(conn, declaredLength: declared,
                            expectsContinue: request.header(.expect)?.lowercased() == "100-continue",
                            remotePort: Int(infoPointer.pointee.remote_port), localPort: Int(infoPointer.pointee.server_port),
                            remoteAddress: request.remoteAddress) {
            case let .success(body):
                request.body = body
            case .failure(.tooLarge):
                return send(conn, request,
                            .failure(operation, status: 413, detail: "body: larger than \(maxBodyBytes) bytes"),
                            head: false, close: true, extra: cors)
            case .failure(.incomplete):
                return send(conn, request,
                            .failure(operation, status: 400, detail: "body: incomplete (shorter than Content-Length or a read error)"),
                            head: false, close: true, extra: cors)
            case .failure(.timedOut):
                return send(conn, request,
                            .failure(operation, status: 408, detail: "body: not complete within \(policy.bodyTimeoutMs) ms"),
                            head: false, close: true, extra: cors)
            }
        }

        let response: RestResponse
        switch target {
        case let .builtIn(route):
            guard let control else {
                return send(conn, request,
                            .failure(operation, status: 503, detail: "the element serving this API is gone"),
                            head: head, close: closeAfter, extra: cors)
            }
            // The answer reads the request back from the context: the
            // request is dead after this line, so the optimizer can move it
            // instead of copying it (a retain and a release of each String).
            let context = RouteContext(request: request, control: control, log: log, host: self)
            let answer = Self.onTheWire(route.respond(context), strict: policy.strictHttpStatus || route.keepsStatusLine)
            // The route passed along saves metricsRoute its look-ups.
            return send(conn, context.request, answer, head: head, close: closeAfter, extra: cors, metricsRoute: route)
        case let .registered(entry):
            response = entry.handler(request)
        case .streaming:
            response = .failure(operation, status: 500, detail: "streaming route reached the answer path")
        }
        return send(conn, request, response, head: head, close: closeAfter, extra: cors)
    }

    /// Counted before the write: a client that read this answer finds it
    /// counted.
    private func recordAnswer(_ request: RestRequest, status: Int, knownRoute: Route?) {
        guard request.receivedAtNs != 0 else { return }
        restStats.record(slot: knownRoute?.slot, route: knownRoute?.path ?? metricsRoute(request.path), code: status,
                         seconds: Double(monotonicNs() &- request.receivedAtNs) / 1e9)
    }

    /// Status line and headers, through the blank line. `headers` must hold
    /// no Content-Type, Content-Length or Date (such are dropped, logged)
    /// and its Connection header, if any, is left to `closing`.
    static func appendHead(to bytes: inout [UInt8], status: Int, contentType: String, length: Int, date: String,
                           headers: [RestHeader], closing: Bool, log: DebugCategory) {
        // Constants straight from their static bytes (a String's UTF8View
        // append costs several times more). `bytes` is passed, not
        // captured: a captured var is checked for exclusive access at
        // every use.
        func add(_ bytes: inout [UInt8], _ text: String) { bytes.append(contentsOf: text.utf8) }
        func add(_ bytes: inout [UInt8], _ text: StaticString) { JSONCodec.appendRaw(text, to: &bytes) }
        add(&bytes, "HTTP/1.1 " as StaticString)
        JSONCodec.appendDecimal(Int64(status), to: &bytes)
        add(&bytes, " " as StaticString)
        add(&bytes, HTTPStatus.text(status))
        if status != 204 {
            // RFC 9110 8.6: no Content-Length on 204.
            add(&bytes, "\r\nContent-Type: " as StaticString)
            add(&bytes, contentType)
            add(&bytes, "\r\nContent-Length: " as StaticString)
            JSONCodec.appendDecimal(Int64(length), to: &bytes)
        }
        add(&bytes, "\r\nDate: " as StaticString)
        add(&bytes, date)
        add(&bytes, "\r\n" as StaticString)
        for h in headers {
            let name = h.name.lowercased()
            // Compare bytes: "\r\n" is one Character in Swift.
            let unsafe = (h.name + h.value).utf8.contains { $0 == 13 || $0 == 10 } || h.name.utf8.contains(58)
            guard !h.name.isEmpty, !unsafe, name != "content-type", name != "content-length", name != "date" else {
                log.warning(nil, "REST: dropped invalid response header \"\(h.name)\"")
                continue
            }
            if name == "connection" { continue }
            add(&bytes, h.name)
            add(&bytes, ": ")
            add(&bytes, h.value)
            add(&bytes, "\r\n")
        }
        add(&bytes, closing ? "Connection: close\r\n\r\n" as StaticString : "Connection: keep-alive\r\n\r\n" as StaticString)
    }

    /// A DeepStream route's answer as it goes out: DeepStream 9.1 sends every
    /// outcome of its routes with status line 200, the real one only in the
    /// body's `status` field, and its clients read that field (a client that
    /// raises on a 4xx would stop at the first duplicate it re-adds).
    static func onTheWire(_ response: RestResponse, strict: Bool) -> RestResponse {
        guard !strict, response.status != 200 else { return response }
        var wire = response
        wire.status = 200
        return wire
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
        let state = mg_get_user_connection_data(conn).map { Unmanaged<ConnectionState>.fromOpaque($0).takeUnretainedValue() }
        state?.protocolErrorAnswered = true
        var status = status
        var detail = message.isEmpty ? HTTPStatus.text(status) : message
        // civetweb reports headers cut by its request timeout as a malformed
        // message; it is the client that was too slow.
        if status == 400, message == "Malformed message", let state,
           monotonicMs() - state.lastActivityMs >= Int64(headerTimeoutMs) - 50 {
            status = 408
            detail = "request headers: not complete within \(headerTimeoutMs) ms"
        }
        send(conn, request, .failure("REQUEST", status: status, detail: detail), head: false, close: true)
    }

    /// The request line and headers as a RestRequest (body not read yet).
    static func describe(_ info: mg_request_info) -> RestRequest {
        let method = info.request_method.map { String(cString: $0) } ?? ""
        // request_uri as sent (decode_url is off): civetweb's decoded
        // local_uri turns "%2F" into a separator and "%00" into the end.
        let target = RequestTarget(info.request_uri.map { String(cString: $0) } ?? "/")
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
        return RestRequest(method: method, path: routePath(target.routePath), requestPath: target.path,
                           query: info.query_string.map { String(cString: $0) },
                           httpVersion: info.http_version.map { String(cString: $0) } ?? "1.1",
                           headers: headers, body: [], remoteAddress: remote,
                           authority: target.authority, receivedAtNs: monotonicNs())
    }

    /// "/api/v1/stream/add/" -> "/stream/add": one table serves both spellings.
    static func routePath(_ requestPath: String) -> String {
        // On the contiguous UTF-8 bytes (Strings from C are native): the
        // generic view comparisons below cost a few thousand instructions.
        if let fast = requestPath.utf8.withContiguousStorageIfAvailable({ p -> String? in
            var end = p.count
            while end > 1, p[end - 1] == UInt8(ascii: "/") { end -= 1 }
            let prefix: StaticString = "/api/v1"
            let n = prefix.utf8CodeUnitCount
            let startsWithPrefix = end >= n && prefix.withUTF8Buffer { pre in
                (0..<n).allSatisfy { p[$0] == pre[$0] }
            }
            if startsWithPrefix && end == n { return "/" }
            if startsWithPrefix && p[n] == UInt8(ascii: "/") {
                return String(decoding: UnsafeBufferPointer(rebasing: p[n..<end]), as: UTF8.self)
            }
            return end == p.count ? nil : String(decoding: UnsafeBufferPointer(rebasing: p[0..<end]), as: UTF8.self)
        }) {
            return fast ?? requestPath
        }
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

    enum BodyError: Error { case tooLarge, incomplete, timedOut }

    /// Reads at most maxBodyBytes + 1 bytes, within bodyTimeoutMs in total:
    /// each mg_read waits up to request_timeout_ms for *some* byte, so a
    /// client sending one byte per second would hold the worker for hours;
    /// the watchdog cuts the socket at the deadline. A declared length over
    /// the cap is refused before reading; -1 (chunked) is read until the end
    /// or the cap.
    func readBody(_ conn: OpaquePointer, declaredLength: Int64, expectsContinue: Bool,
                  remotePort: Int, localPort: Int, remoteAddress: String) -> Result<[UInt8], BodyError> {
        if declaredLength > Int64(maxBodyBytes) { return .failure(.tooLarge) }
        if declaredLength == 0 { return .success([]) }
        if expectsContinue {
            // civetweb sends no interim answer for handlers; curl would wait a second.
            let interim = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
            _ = interim.withUnsafeBytes { mg_write(conn, $0.baseAddress, $0.count) }
        }
        let deadline = monotonicMs() + Int64(policy.bodyTimeoutMs)
        let watch = beginBodyRead(BodyRead(remoteAddress: remoteAddress, remotePort: remotePort,
                                           localPort: localPort, deadlineMs: deadline))
        let limit = maxBodyBytes + 1
        var body: [UInt8] = []
        body.reserveCapacity(declaredLength > 0 ? Int(declaredLength) : min(limit, 4096))
        var chunk = [UInt8](repeating: 0, count: 4096)
        var failed = false
        while body.count < limit && monotonicMs() < deadline {
            let want = min(chunk.count, limit - body.count)
            let n = chunk.withUnsafeMutableBytes { mg_read(conn, $0.baseAddress, want) }
            if n == 0 { break }
            if n < 0 { failed = true; break }
            body.append(contentsOf: chunk.prefix(Int(n)))
        }
        let fired = endBodyRead(watch)
        if body.count > maxBodyBytes { return .failure(.tooLarge) }
        let short = declaredLength >= 0 && Int64(body.count) < declaredLength
        if fired || (short && monotonicMs() >= deadline) { return .failure(.timedOut) }
        if failed || short { return .failure(.incomplete) }
        return .success(body)
    }

    /// Writes the answer in one piece: status line, Content-Type,
    /// Content-Length, Date, Connection, extra headers (CR/LF-free ones
    /// only), body unless HEAD or 204.
    ///
    /// Written raw with mg_write rather than with mg_response_header_*:
    /// civetweb refuses those once anything was written, and the interim
    /// "100 Continue" has to be written before the body is read.
    @discardableResult
    func send(_ conn: OpaquePointer, _ request: RestRequest, _ response: RestResponse, head: Bool, close: Bool,
              extra: [RestHeader] = [], metricsRoute knownRoute: Route? = nil) -> Int {
        var status = response.status
        var body: [UInt8]
        var contentType = "application/json"
        if status == 204 {
            body = []
        } else if (100...999).contains(status), let text = response.text {
            body = text.bytes
            contentType = text.contentType
        } else if (100...999).contains(status), let encoded = JSONCodec.serialize(response.body) {
            body = encoded
        } else {
            status = 500
            body = Array(#"{"status":"HTTP/1.1 500 Internal Server Error","reason":"INTERNAL_FAIL, invalid response"}"#.utf8)
        }
        let extraHeaders = response.headers.isEmpty ? extra : extra.isEmpty ? response.headers : response.headers + extra
        let written: Int32
        if extraHeaders.isEmpty, body.count <= AnswerBuffer.reusedUpTo, let answer = answerBuffers.value(orMake: { AnswerBuffer() }) {
            // Most answers: no header of their own. The head is the one this
            // thread sent last unless status, type, length, second or
            // Connection changed, and head and body go out of one buffer
            // the thread keeps.
            let closing = close || !Self.clientKeepsAlive(request)
            if closing { mg_disable_connection_keep_alive(conn) }
            let key = AnswerBuffer.HeadKey(status: status, contentType: contentType, length: body.count,
                                           second: Glibc.time(nil), closing: closing)
            if answer.headKey != key {
                answer.head.removeAll(keepingCapacity: true)
                Self.appendHead(to: &answer.head, status: status, contentType: contentType, length: body.count,
                                date: dateHeader.now(), headers: [], closing: closing, log: log)
                answer.headKey = key
            }
            answer.bytes.removeAll(keepingCapacity: true)
            answer.bytes.append(contentsOf: answer.head)
            if !head { answer.bytes.append(contentsOf: body) }
            recordAnswer(request, status: status, knownRoute: knownRoute)
            written = answer.bytes.withUnsafeBytes { mg_write(conn, $0.baseAddress, $0.count) }
        } else {
            var connection: String? = close ? "close" : nil
            // The first valid Connection header decides (appendHead drops
            // the invalid ones and leaves this one to `closing`).
            for h in extraHeaders where h.name.lowercased() == "connection"
                && !h.value.utf8.contains(where: { $0 == 13 || $0 == 10 }) {
                connection = connection ?? h.value
            }
            let closing = asciiCaseInsensitiveEqual(connection ?? (Self.clientKeepsAlive(request) ? "keep-alive" : "close"), "close")
            // What we say is what happens: civetweb would otherwise keep the
            // connection (and read an unread body as the next request, or drain
            // a declared body for as long as the client keeps sending).
            if closing { mg_disable_connection_keep_alive(conn) }
            // One buffer for head and body, appended to in place.
            var bytes: [UInt8] = []
            bytes.reserveCapacity(body.count + 256)
            Self.appendHead(to: &bytes, status: status, contentType: contentType, length: body.count,
                            date: dateHeader.now(), headers: extraHeaders, closing: closing, log: log)
            if !head { bytes.append(contentsOf: body) }
            recordAnswer(request, status: status, knownRoute: knownRoute)
            written = bytes.withUnsafeBytes { mg_write(conn, $0.baseAddress, $0.count) }
        }
        if written < 0 { log.debug(nil, "REST: client went away before the answer to \(request.requestPath)") }
        if status >= 500 {
            log.warning(nil, "REST \(request.method) \(request.requestPath) from \(request.remoteAddress) -> \(status)")
        } else {
            log.debug(nil, "REST \(request.method) \(request.requestPath) from \(request.remoteAddress) -> \(status)")
        }
        return status
    }

    /// The `route` label of an answer (see RestCounters).
    func metricsRoute(_ path: String) -> String {
        if BuiltInRoutes.byPath[path] != nil || BuiltInRoutes.streamingByPath[path] != nil { return path }
        return registry.lookup(port: port.load(ordering: .acquiring), path: path)?.prefix ?? "unknown"
    }

    /// What civetweb decides after the handler (it keeps the connection when
    /// the client wants it and the body was consumed): HTTP/1.1 keeps alive
    /// unless the client says close; HTTP/1.0 only when asked.
    static func clientKeepsAlive(_ request: RestRequest) -> Bool {
        let connection = request.header(.connection) ?? ""
        // ASCII values (all real ones) are searched byte by byte: String's
        // `contains` builds a searcher per call, and the two of them were a
        // quarter of a GET stream-info's instructions (bench P4). Others go
        // the old way: lowercased() folds some non-ASCII letters (the Kelvin
        // sign) into ASCII ones.
        let closes: Bool, keeps: Bool
        if let found = asciiContainsFolded(connection, "close", "keep-alive") {
            (closes, keeps) = found
        } else {
            let lower = connection.lowercased()
            (closes, keeps) = (lower.contains("close"), lower.contains("keep-alive"))
        }
        if closes { return false }
        if keeps { return true }
        return request.httpVersion == "1.1"
    }
}

/// A worker's buffer for the answers it writes, and the head of its last
/// one: a poller's answers differ in their body at most, and building the
/// head, and a new buffer, for each was a fifth of a GET's time in the
/// handler (bench P4, perf). Bodies over `reusedUpTo` get a buffer of their
/// own, so that a thread keeps at most that much.
final class AnswerBuffer {
    static let reusedUpTo = 16 * 1024

    struct HeadKey: Equatable {
        var status: Int
        var contentType: String
        var length: Int
        var second: time_t
        var closing: Bool
    }

    var headKey: HeadKey?
    var head: [UInt8] = []
    var bytes: [UInt8] = []
}

/// A worker's previous request, kept to describe the next one: keep-alive
/// pollers (dashboards, Prometheus, bench P4) send the very same bytes over
/// and over, and building the request's Strings, its header list and its
/// route look-up each time was a fifth of a GET stream-info's time in the
/// handler (perf). A request matches only when every field civetweb parsed
/// is byte for byte the one remembered; the body is never part of it (it is
/// read after this). One per thread: no lock, no sharing.
final class RepeatedRequest {
    /// The fields in the order `fields(of:)` walks them, each ended by a 0;
    /// a missing one (no query) is a single 1 byte instead.
    private var raw: [UInt8] = []
    private var request: RestRequest?
    private var route: Route?
    /// A request larger than this is not kept (it is rare, and a long
    /// compare would cost what it saves).
    private static let maxBytes = 2048

    /// The remembered request (with `receivedAtNs`) and its built-in route
    /// when `info` is the same request again; nil otherwise.
    func request(matching info: UnsafePointer<mg_request_info>, receivedAtNs: UInt64) -> (RestRequest, Route?)? {
        guard var previous = request else { return nil }
        let same = raw.withUnsafeBufferPointer { stored -> Bool in
            var at = 0
            return Self.fields(of: info) { field in
                guard let field else {
                    guard at < stored.count, stored[at] == 1 else { return false }
                    at += 1
                    return true
                }
                // A field is remembered as its bytes (none of them 0 or 1)
                // and a 0: equal when the bytes compare equal and the 0 is
                // where this one ends.
                let length = strlen(field)
                guard let base = stored.baseAddress, at + length < stored.count,
                      memcmp(base + at, field, length) == 0, stored[at + length] == 0,
                      memchr(field, 1, length) == nil else { return false }
                at += length + 1
                return true
            } && at == stored.count
        }
        guard same else { return nil }
        previous.receivedAtNs = receivedAtNs
        return (previous, route)
    }

    func remember(_ info: UnsafePointer<mg_request_info>, as described: RestRequest, route: Route?) {
        var bytes: [UInt8] = []
        var fits = true
        let complete = Self.fields(of: info) { field in
            guard let field else { bytes.append(1); return true }
            var p = field
            // Bytes 1 mark a missing field: such a request is not kept.
            while p.pointee != 0 {
                let b = UInt8(bitPattern: p.pointee)
                guard b > 1, bytes.count < Self.maxBytes else { fits = false; return false }
                bytes.append(b)
                p += 1
            }
            bytes.append(0)
            return true
        }
        guard complete, fits else {
            request = nil
            return
        }
        raw = bytes
        request = described
        self.route = route
    }

    /// Calls `visit` with each field `ServerCore.describe` reads, in order,
    /// nil for a missing one; stops at the first false. Through the pointer:
    /// the struct is over a kilobyte (its header array), not to be copied.
    private static func fields(of info: UnsafePointer<mg_request_info>, _ visit: (UnsafePointer<CChar>?) -> Bool) -> Bool {
        let base = UnsafeRawPointer(info)
        guard visit(info.pointee.request_method), visit(info.pointee.request_uri), visit(info.pointee.query_string),
              visit(info.pointee.http_version),
              let remoteAt = MemoryLayout<mg_request_info>.offset(of: \.remote_addr),
              let headersAt = MemoryLayout<mg_request_info>.offset(of: \.http_headers) else { return false }
        // remote_addr is a fixed array; it ends at its first 0.
        let remoteSize = MemoryLayout.size(ofValue: info.pointee.remote_addr)
        let remote = (base + remoteAt).assumingMemoryBound(to: CChar.self)
        guard UnsafeBufferPointer(start: remote, count: remoteSize).contains(0), visit(remote) else { return false }
        let count = Int(max(0, min(info.pointee.num_headers, Int32(MG_MAX_HEADERS))))
        var countText: (CChar, CChar, CChar) = (CChar(48 + count / 10 % 10), CChar(48 + count % 10), 0)
        guard withUnsafePointer(to: &countText, { $0.withMemoryRebound(to: CChar.self, capacity: 3) { visit($0) } }) else {
            return false
        }
        let headers = (base + headersAt).assumingMemoryBound(to: mg_header.self)
        for i in 0..<count {
            // describe skips a header without a name; so do we, as a field.
            guard visit(headers[i].name), visit(headers[i].value) else { return false }
        }
        return true
    }
}

/// The request target as sent, split for routing (RFC 9112 3.2): origin
/// form "/path", absolute form "http://host:port/path" (servers MUST accept
/// it; its authority is checked like Host).
struct RequestTarget {
    /// The path as sent (still percent-encoded), for logs and errors.
    var path: String
    /// The path for the route table: only unreserved characters decoded,
    /// so "%2F", "%00" or "%5C" stay text that names no route.
    var routePath: String
    var authority: String?

    init(_ raw: String) {
        var path = raw
        authority = nil
        // Origin form (every usual request) names no scheme.
        for scheme in raw.utf8.first == UInt8(ascii: "/") ? [] : ["http://", "https://"] where raw.utf8.count >= scheme.utf8.count
            && asciiCaseInsensitiveEqual(String(raw.prefix(scheme.count)), scheme) {
            let rest = raw.dropFirst(scheme.count)
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            authority = String(rest[..<slash])
            path = slash == rest.endIndex ? "/" : String(rest[slash...])
            break
        }
        self.path = path
        routePath = Self.decodeUnreserved(path)
    }

    static func decodeUnreserved(_ path: String) -> String {
        guard path.utf8.contains(UInt8(ascii: "%")) else { return path }
        let bytes = Array(path.utf8)
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case 48...57: b - 48
            case 65...70: b - 55
            case 97...102: b - 87
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let h = hex(bytes[i + 1]), let l = hex(bytes[i + 2]) {
                let c = h << 4 | l
                let unreserved = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57)
                    || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "~")
                if unreserved {
                    out.append(c)
                    i += 3
                    continue
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
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
final class HTTPDateCache: Sendable {
    private final class Entry {
        var second: time_t = -1
        var text = ""
    }
    private let entries = PerThread<Entry>()

    func now() -> String {
        let second = Glibc.time(nil)
        guard let entry = entries.value(orMake: { Entry() }) else { return httpDate(second) }
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
