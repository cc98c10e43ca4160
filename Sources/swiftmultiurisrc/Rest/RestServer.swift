import CCivetweb
import Glibc
import GstSwiftBridge
import Synchronization

/// Where and how the REST server listens.
struct RestServerConfiguration: Sendable, Equatable {
    /// IPv4 address or "localhost" (read as 127.0.0.1: Debian's civetweb has no
    /// IPv6), "0.0.0.0" for every interface, or a host name resolved to IPv4.
    var address: String = "localhost"
    /// 0 picks a free port (tests); the element never passes 0, because its
    /// `port` property "0" means "no server".
    var port: UInt16 = 9000
    /// civetweb worker threads: the most connections served at once (one
    /// thread per connection, keep-alive included). 64 threads of civetweb's
    /// 100 KB stacks: slow or idle clients (each held at most
    /// `requestTimeoutMs`, and at most `ServerCore.maxConnectionsPerClient`
    /// per address) leave workers for the others.
    var workerThreads: Int = 64
    /// A client's headers must be complete this long after its request began
    /// (civetweb's request_timeout_ms, a total deadline for headers, also the
    /// bound of each write); its body this long after the headers.
    var requestTimeoutMs: Int = 4_000
    /// Keep-alive idle time; short, since an idle connection holds a worker.
    var keepAliveTimeoutMs: Int = 2_000
    /// When set, requests need `Authorization: Bearer <token>` (401 otherwise).
    var token: String? = nil
    /// false (DeepStream 9.1's wire behaviour): a route's own outcome goes
    /// out with status line 200 and lives in the body's `status` field only;
    /// true: the status line equals that field. Refusals before a route runs
    /// (401, 403, 404, 405, 408, 413, 429 per client, malformed framing) are
    /// real status lines either way.
    var strictHttpStatus = false
    /// Origins (exact `scheme://host[:port]`, compared case-insensitively)
    /// whose browser requests are served; any other Origin header is refused.
    var corsOrigins: [String] = []
    /// Host header values accepted besides the bound address, localhost,
    /// 127.0.0.1 and [::1] (each with or without a port; bound to 0.0.0.0,
    /// any IPv4 literal too); others are refused with 403. Requests without
    /// a Host header (HTTP/1.0 clients) are served.
    var allowedHosts: [String] = []
    /// When set, the port speaks HTTPS only (TLS 1.2 or newer): the path
    /// of a PEM file holding the certificate and its private key, as
    /// civetweb's ssl_certificate reads it. nil: plain HTTP.
    var tlsCertificate: String? = nil
    /// Larger bodies are refused with 413 before they are read.
    var maxBodyBytes: Int = 64 * 1024
    /// How long `stop()` lets requests in flight finish and answer. Longer
    /// than any bounded route (stream/add may wait for a first frame).
    var stopGraceMs: Int = 10_000
    /// Event streams (GET events) open at once; each holds a worker of its
    /// own, added to `workerThreads`, so ordinary requests keep theirs.
    var eventsMaxClients: Int = 32
    /// Notifications an event stream may have waiting before it is cut.
    var eventsQueueSize: Int = 256
    /// A comment line goes out after this long without a notification, so
    /// proxies keep the stream and a gone client is noticed.
    var eventsKeepAliveMs: Int = 15_000

    init(address: String = "localhost", port: UInt16 = 9000) {
        self.address = address
        self.port = port
    }

    /// From the element's `ip-address` and `port` string properties (port is a
    /// string in DeepStream). nil for port "0": no server.
    static func fromProperties(ipAddress: String, port: String) throws(RestServerError) -> RestServerConfiguration? {
        let trimmed = restTrimmed(port)
        guard let value = UInt16(trimmed) else { throw .invalidPort(port) }
        if value == 0 { return nil }
        return RestServerConfiguration(address: ipAddress, port: value)
    }
}

enum RestServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Someone listens on that address and port already.
    case portInUse(address: String, port: UInt16, detail: String)
    /// Not an IPv4 address nor a resolvable host name.
    case invalidAddress(String)
    /// Not a decimal port 0-65535.
    case invalidPort(String)
    /// civetweb refused to start for another reason (its text).
    case startFailed(String)
    /// The tls-certificate file is missing, unreadable, or not a PEM
    /// certificate with its private key.
    case tlsCertificate(path: String, problem: String)
    /// HTTPS cannot start in this process: what is missing.
    case tlsUnavailable(String)

    /// The element properties the error is about.
    var properties: String {
        switch self {
        case .tlsCertificate, .tlsUnavailable: "property tls-certificate"
        default: "properties ip-address and port"
        }
    }

    var description: String {
        switch self {
        case let .portInUse(address, port, detail): "port \(port) on \(address) is in use (\(detail))"
        case let .invalidAddress(a): "invalid REST server address \"\(a)\""
        case let .invalidPort(p): "invalid REST server port \"\(p)\""
        case let .startFailed(text): "REST server failed to start: \(text)"
        case let .tlsCertificate(path, problem): "certificate file \"\(path)\": \(problem)"
        case let .tlsUnavailable(text): "HTTPS is unavailable: \(text)"
        }
    }
}

/// The embedded HTTP server answering DeepStream's REST API on civetweb.
///
/// `init` starts listening on exactly the configured address and port and
/// returns once the socket is bound; `stop()` (also run by deinit) waits for
/// the requests in flight and closes it. Requests run concurrently on
/// civetweb's worker threads; no lock of this layer is held while a route calls
/// the control, so the control may serialize pipeline changes as it likes.
///
/// The control is held weakly: the element owns the server and is the
/// control, and a strong reference would keep the element alive through its
/// own server. While the control is gone, routes answer 503.
final class RestServer: Sendable {
    let configuration: RestServerConfiguration
    /// The port actually bound (the configured one, or the picked one for 0).
    let boundPort: UInt16
    /// The IPv4 address actually bound.
    let boundAddress: String

    private let core: ServerCore
    /// The civetweb context while running; nil once stopped. OpaquePointer is
    /// not Sendable, the mutex makes handing it over to `stop()` safe.
    private let context: Mutex<OpaquePointer?>

    init(configuration: RestServerConfiguration, control: any StreamControl, category: DebugCategory,
         registry: RestRouteRegistry = .shared) throws(RestServerError) {
        _ = civetwebLibrary
        self.configuration = configuration
        let address = try Self.resolve(configuration.address)
        if let certificate = configuration.tlsCertificate { try RestTLS.prepare(certificate: certificate) }
        let tls = configuration.tlsCertificate != nil
        let timeout = max(100, configuration.requestTimeoutMs)
        let policy = RequestPolicy(token: configuration.token, corsOrigins: configuration.corsOrigins,
                                   allowedHosts: configuration.allowedHosts, boundAddress: address,
                                   maxBodyBytes: configuration.maxBodyBytes, bodyTimeoutMs: timeout,
                                   strictHttpStatus: configuration.strictHttpStatus, tls: tls)
        // Event streams get workers of their own only where there are events.
        let streamLimits = StreamLimits(maxClients: control.notifications == nil ? 0 : max(0, configuration.eventsMaxClients),
                                        queueSize: max(1, configuration.eventsQueueSize),
                                        keepAliveMs: max(100, configuration.eventsKeepAliveMs))
        let core = ServerCore(control: control, log: category, registry: registry, policy: policy,
                              headerTimeoutMs: timeout, streamLimits: streamLimits)
        // Known before the start unless the port is picked (0): registered
        // routes then work from the first request.
        core.port.store(configuration.port, ordering: .releasing)
        var options: [(String, String)] = [
            // A trailing "s": this port speaks TLS only (no plain HTTP, no redirect).
            ("listening_ports", "\(address):\(configuration.port)\(tls ? "s" : "")"),
            ("num_threads", String(max(1, configuration.workerThreads) + streamLimits.maxClients)),
            ("request_timeout_ms", String(timeout)),
            ("enable_keep_alive", "yes"),
            ("keep_alive_timeout_ms", String(max(0, configuration.keepAliveTimeoutMs))),
            // Accepted sockets waiting for a worker, and for accept(): room
            // for a burst of hundreds of connections, which the per-client
            // cap then answers in microseconds each.
            ("connection_queue", "256"),
            ("listen_backlog", "1024"),
            // Routes are chosen on the raw target (see RequestTarget).
            ("decode_url", "no"),
            // Absolute-form targets ("GET http://host:port/path", RFC 9112
            // 3.2.2) are served; civetweb would compare their host with its
            // authentication_domain and close without an answer.
            ("enable_auth_domain_check", "no"),
            // civetweb answers CORS preflights itself with
            // "Access-Control-Allow-Origin: *" unless these are empty; the
            // handler decides (cors-origins).
            ("access_control_allow_origin", ""),
            ("access_control_allow_methods", ""),
            ("access_control_allow_headers", ""),
        ]
        if let certificate = configuration.tlsCertificate {
            options += [
                ("ssl_certificate", certificate),
                // civetweb counts 0 SSLv2 ... 3 TLS 1.1, 4 TLS 1.2 and newer.
                ("ssl_protocol_version", "4"),
                // No client certificates are asked for: no trust store to load.
                ("ssl_default_verify_paths", "no"),
            ]
        }
        let started = Self.start(options: options, core: core)
        guard let ctx = started.context else {
            let logged = core.takeStartupLog()
            let detail = ([started.error] + logged).filter { !$0.isEmpty }.joined(separator: "; ")
            category.warning(nil, "REST server on \(address):\(configuration.port) did not start: \(detail)")
            if Self.bindFailedInUse(logged) ?? Self.probeInUse(address: address, port: configuration.port) {
                throw .portInUse(address: address, port: configuration.port, detail: detail)
            }
            throw .startFailed(detail.isEmpty ? "unknown error" : detail)
        }
        _ = core.takeStartupLog()
        var port = mg_server_port()
        let n = mg_get_server_ports(ctx, 1, &port)
        let bound = n >= 1 ? UInt16(truncatingIfNeeded: port.port) : configuration.port
        core.port.store(bound, ordering: .releasing)
        self.core = core
        self.boundPort = bound
        self.boundAddress = address
        self.context = Mutex(ctx)
        if !spawnDetachedThread(named: "rest-watchdog", { core.runWatchdog() }) {
            category.warning(nil, "REST server: no watchdog thread; slow request bodies are cut only by request_timeout_ms")
        }
        category.info(nil, "REST server listening on \(tls ? "https" : "http")://\(address):\(bound)/api/v1/")
    }

    var isRunning: Bool { context.withLock { $0 != nil } }

    /// Event streams open now, and those cut so far for falling behind.
    var eventStreams: (open: Int, cutBehind: Int) { core.streams.counts }

    /// Stops the server: new requests get 503, the requests in flight get
    /// their answers (waiting at most `configuration.stopGraceMs`), then
    /// civetweb stops and the port is free. Idempotent; a concurrent second
    /// call returns at once while the first one waits.
    ///
    /// Called from one of this server's own request handlers (a control that
    /// tears the element down while answering app/quit, say), waiting would
    /// deadlock civetweb, which joins its workers: the wait then happens on a
    /// thread of its own and this call returns at once.
    func stop() {
        guard let ctx = context.withLock({ (c: inout OpaquePointer?) -> OpaquePointer? in
            let taken = c
            c = nil
            return taken
        }) else { return }
        let handle = ContextHandle(ctx)
        let core = self.core
        let port = boundPort
        let grace = configuration.stopGraceMs
        let wakeAddress = boundAddress == "0.0.0.0" ? "127.0.0.1" : boundAddress
        core.beginStopping()
        let finish: @Sendable () -> Void = {
            let left = core.drain(timeoutMs: grace)
            if left > 0 {
                core.log.warning(nil, "REST server on port \(port): \(left) request(s) still running after \(grace) ms; their answers are lost")
            }
            // civetweb's accept loop checks the stop flag only between polls
            // of 2 s; a connection wakes it at once.
            let waker = ListenerWaker(address: wakeAddress, port: port)
            // Waits for those too; their writes fail once the stop flag is set.
            mg_stop(handle.pointer)
            waker.finish()
            // civetweb 1.15 leaves open the connections it accepted but had not
            // yet handed to a worker when it stopped (a worker takes one off the
            // queue, sees the stop flag and exits): their clients would wait for
            // their own timeout and the descriptors would leak. Nothing of
            // civetweb's runs any more, so they are ours to close.
            let orphans = ConnectionSocket.accepted(localPort: Int(port))
            for orphan in orphans {
                shutdown(orphan.fd, Int32(SHUT_RDWR))
                close(orphan.fd)
            }
            if !orphans.isEmpty {
                core.log.info(nil, "REST server on port \(port): closed \(orphans.count) connection(s) civetweb accepted but never served")
            }
            core.log.info(nil, "REST server on port \(port) stopped")
            core.releaseFromCivetweb()
        }
        if core.isServingOnCurrentThread {
            core.log.info(nil, "REST server on port \(port): stop requested by a request handler, stopping asynchronously")
            if !spawnDetachedThread(named: "rest-stop", finish) {
                // Stopping here would deadlock; a leaked server beats a hung pipeline.
                core.log.error(nil, "REST server on port \(port): no thread to stop it on; it keeps running")
            }
        } else {
            finish()
        }
    }

    deinit { stop() }

    // MARK: starting

    private struct Started {
        var context: OpaquePointer?
        var error: String
    }

    /// mg_start2 with the options and our two callbacks. The core is retained
    /// for civetweb (user data and handler data) and released when civetweb no
    /// longer calls it: at once on failure, after mg_stop otherwise.
    private static func start(options: [(String, String)], core: ServerCore) -> Started {
        let cStrings = options.flatMap { [strdup($0.0), strdup($0.1)] }
        defer { cStrings.forEach { free($0) } }
        var optionPointers: [UnsafePointer<CChar>?] = cStrings.map { $0.map { UnsafePointer($0) } }
        optionPointers.append(nil)

        var callbacks = mg_callbacks()
        callbacks.log_message = civetwebLogMessage
        callbacks.http_error = civetwebHttpError
        callbacks.init_connection = civetwebInitConnection
        callbacks.connection_close = civetwebConnectionClose
        let unmanaged = Unmanaged.passRetained(core)
        var errorText = [CChar](repeating: 0, count: 256)
        var errorCode: UInt32 = 0

        let ctx: OpaquePointer? = optionPointers.withUnsafeMutableBufferPointer { opts in
            errorText.withUnsafeMutableBufferPointer { text in
                withUnsafeMutablePointer(to: &errorCode) { code in
                    withUnsafePointer(to: &callbacks) { cb in
                        var initData = mg_init_data(callbacks: cb, user_data: unmanaged.toOpaque(),
                                                    configuration_options: opts.baseAddress)
                        var errorData = mg_error_data(code: code, text: text.baseAddress, text_buffer_size: text.count)
                        return mg_start2(&initData, &errorData)
                    }
                }
            }
        }
        let error = errorText.withUnsafeBufferPointer { buf in
            String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        guard let ctx else {
            unmanaged.release()
            return Started(context: nil, error: error)
        }
        mg_set_request_handler(ctx, "/", civetwebRequestHandler, unmanaged.toOpaque())
        return Started(context: ctx, error: "")
    }

    /// "localhost" -> 127.0.0.1; dotted IPv4 as is ("0.0.0.0": every
    /// interface, the only spelling of it); other names through the
    /// resolver, IPv4 only. Empty, blank and "*" are refused: a typo must
    /// not open the API on every interface.
    static func resolve(_ raw: String) throws(RestServerError) -> String {
        let name = restTrimmed(raw)
        if name.isEmpty || name == "*" {
            throw .invalidAddress("\(raw) (empty or \"*\"; use 0.0.0.0 for every interface)")
        }
        if name.lowercased() == "localhost" { return "127.0.0.1" }
        var addr = in_addr()
        if inet_pton(AF_INET, name, &addr) == 1 { return name }
        let colons = name.utf8.filter { $0 == UInt8(ascii: ":") }.count
        if colons == 1, let port = name.split(separator: ":").last, !port.isEmpty,
           port.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            throw .invalidAddress("\(raw) (an address without port; the port is the port property)")
        }
        if colons > 0 { throw .invalidAddress("\(raw) (IPv6 is not supported by this civetweb)") }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &result) == 0, let first = result else {
            throw .invalidAddress(raw)
        }
        defer { freeaddrinfo(result) }
        guard let sa = first.pointee.ai_addr else { throw .invalidAddress(raw) }
        var sin = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
        var buf = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        guard inet_ntop(AF_INET, &sin.sin_addr, &buf, socklen_t(buf.count)) != nil else { throw .invalidAddress(raw) }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// civetweb logs "cannot bind to <addr>:<port>: <errno> (<text>)"; the
    /// errno is locale-independent, unlike the text. nil when no such line.
    static func bindFailedInUse(_ log: [String]) -> Bool? {
        for line in log {
            guard let range = line.firstRange(of: "cannot bind to ") else { continue }
            // "<addr>:<port>: <errno> (<text>)": the errno is the last
            // colon-separated part before the parenthesis.
            let head = line[range.upperBound...].split(separator: "(", maxSplits: 1).first ?? ""
            guard let last = head.split(separator: ":").last else { continue }
            if let code = Int32(restTrimmed(last)) { return code == EADDRINUSE }
        }
        return nil
    }

    /// Fallback when civetweb said nothing usable: try to bind the same way.
    static func probeInUse(address: String, port: UInt16) -> Bool {
        guard port != 0 else { return false }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        guard inet_pton(AF_INET, address, &sin.sin_addr) == 1 else { return false }
        let rc = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return rc != 0 && errno == EADDRINUSE
    }
}

/// mg_init_library, once per process, before the first server. Never undone
/// with mg_exit_library: other code in the process may use civetweb too, and
/// a server may start again later.
private let civetwebLibrary: Void = {
    _ = mg_init_library(0)
}()

/// An mg_context pointer handed to the thread that stops the server.
private struct ContextHandle: @unchecked Sendable {
    // Only mg_stop uses it, once, after the server forgot it.
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}

// MARK: - civetweb callbacks

/// Every request of a server lands here (registered for "/", which civetweb
/// matches as a prefix of every path); `cbdata` is that server's core.
private let civetwebRequestHandler: mg_request_handler = { conn, cbdata in
    guard let conn, let cbdata else { return 0 }
    let core = Unmanaged<ServerCore>.fromOpaque(cbdata).takeUnretainedValue()
    return Int32(truncatingIfNeeded: core.handle(conn))
}

/// civetweb's own messages (bind errors, bad requests) go to the element's
/// debug category; during mg_start2 they are also kept to explain a failure.
private let civetwebLogMessage: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32 = { conn, message in
    guard let message else { return 1 }
    let text = String(cString: message)
    guard let conn, let ctx = mg_get_context(conn), let user = mg_get_user_data(ctx) else { return 1 }
    let core = Unmanaged<ServerCore>.fromOpaque(user).takeUnretainedValue()
    core.civetwebLogged(text)
    return 1   // handled: civetweb prints nothing itself
}

/// Connects to the server's own port every 20 ms until `finish()`, so that
/// civetweb's master thread, asleep in poll() for up to 2 s, sees its stop
/// flag now instead of later: stop() takes milliseconds, not seconds.
private final class ListenerWaker: Sendable {
    private let done = Atomic<Bool>(false)

    init(address: String, port: UInt16) {
        spawnDetachedThread(named: "rest-waker") { [self] in
            var rounds = 0
            // Bounded: 250 × 20 ms covers the 2 s poll several times over.
            while !isDone && rounds < 250 {
                usleep(20_000)
                rounds += 1
                if isDone { break }
                Self.touch(address: address, port: port)
            }
        }
    }

    private var isDone: Bool { done.load(ordering: .acquiring) }

    func finish() { done.store(true, ordering: .releasing) }

    private static func touch(address: String, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        guard inet_pton(AF_INET, address, &sin.sin_addr) == 1 else { return }
        _ = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}

/// A new connection: counted (see ServerCore.enforceClientCap); its state
/// is civetweb's connection data until civetwebConnectionClose.
private let civetwebInitConnection: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 = { conn, data in
    guard let conn, let data, let ctx = mg_get_context(conn), let user = mg_get_user_data(ctx) else { return 0 }
    let core = Unmanaged<ServerCore>.fromOpaque(user).takeUnretainedValue()
    data.pointee = Unmanaged.passRetained(core.connectionOpened()).toOpaque()
    return 0   // civetweb: must be 0
}

/// The end of a connection: answers a request no handler saw, uncounts
/// the client, releases the state made in civetwebInitConnection.
private let civetwebConnectionClose: @convention(c) (OpaquePointer?) -> Void = { conn in
    guard let conn, let ctx = mg_get_context(conn), let user = mg_get_user_data(ctx) else { return }
    let core = Unmanaged<ServerCore>.fromOpaque(user).takeUnretainedValue()
    let state = mg_get_user_connection_data(conn).map { Unmanaged<ConnectionState>.fromOpaque($0).takeRetainedValue() }
    core.connectionClosing(conn, state: state)
}

/// Errors civetweb answers itself, before any handler runs (unparsable
/// request line, bad Content-Length, headers too large...): answered as JSON
/// like everything else, instead of civetweb's HTML page.
private let civetwebHttpError: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?) -> Int32 = { conn, status, message in
    // 1xx, 204 and 304 carry no body: civetweb's own answer is right.
    guard let conn, status >= 400, status <= 599,
          let ctx = mg_get_context(conn), let user = mg_get_user_data(ctx) else { return 1 }
    let core = Unmanaged<ServerCore>.fromOpaque(user).takeUnretainedValue()
    core.sendProtocolError(conn, status: Int(status), message: message.map { String(cString: $0) } ?? "")
    return 0
}
