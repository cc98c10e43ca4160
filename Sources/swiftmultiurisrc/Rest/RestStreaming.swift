import CCivetweb
import Glibc
import Synchronization

/// Streaming routes: ours that keep their connection and write to it for as
/// long as the client stays (GET events, Server-Sent Events).
///
/// The model. civetweb serves one connection per worker thread, so a stream
/// holds a worker for its whole life. Streams therefore have workers of their
/// own: the server starts `workerThreads + maxClients` of them and admits at
/// most `maxClients` streams (more get 503 with a JSON reason), so ordinary
/// requests always keep `workerThreads`. Streams are also left out of the
/// per-address connection cap (ServerCore.enforceClientCap): 100 event
/// streams from one host must not cost that host its ordinary requests.
///
/// A stream's worker sleeps in poll() on a wake pipe and on a duplicate of
/// the connection's socket (client gone: hang-up), at most until the next
/// keep-alive comment. Whoever needs it to stop shuts that socket down:
/// `stop()` (a stream never ends by itself, the drain would wait its whole
/// grace), and the notification hub when the client falls more than its
/// queue behind, which also unblocks a write stuck on a client that does
/// not read (each write is bounded by request_timeout_ms anyway).
struct StreamingRoute: Sendable {
    /// Without "/api/v1", like Route.path.
    let path: String
    /// "GET_EVENTS" gives "GET_EVENTS_FAIL, <detail>" for refusals.
    let operation: String
    /// Runs on the connection's worker until the stream ends; returns the
    /// HTTP status for civetweb's log.
    let serve: @Sendable (StreamingContext) -> Int
}

struct StreamLimits: Sendable, Equatable {
    /// Streams open at once (0: none are served).
    var maxClients = 0
    /// Notifications waiting for one client before it is cut.
    var queueSize = 256
    /// Longest silence on a stream before a keep-alive comment.
    var keepAliveMs = 15_000
}

/// What a streaming route gets once the request passed every check an
/// ordinary one passes (Origin, Host, token, method). Used on the worker
/// thread only.
struct StreamingContext {
    let request: RestRequest
    let control: any StreamControl
    let log: DebugCategory
    let limits: StreamLimits
    let head: Bool
    /// Headers every answer on this connection carries (CORS).
    let extraHeaders: [RestHeader]
    /// Writes all of `bytes`; false once the client is gone (or a write
    /// waited request_timeout_ms).
    let write: ([UInt8]) -> Bool
    /// Answers with JSON like every other route, status line as given, and
    /// closes.
    let refuse: (RestResponse) -> Int
    /// Admits this connection as a stream: nil when `limits.maxClients`
    /// are open or the server is stopping. The server forgets it when the
    /// route returns.
    let open: () -> StreamSession?
}

/// One open stream, as the server and the hub see it.
final class StreamSession: Sendable {
    /// The client's IPv4 address (network order) and port.
    let peer: UInt32
    let peerPort: Int
    /// A duplicate of civetweb's socket for poll() and shutdown(); -1 when
    /// it was not found. Closed by `finish()`: while it is open the socket
    /// stays open even after civetweb closes its own descriptor.
    private let socket = Mutex<Int32>(-1)
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let ended = Atomic<Bool>(false)
    private let cutBehind = Atomic<Bool>(false)

    init(peer: UInt32, peerPort: Int) {
        self.peer = peer
        self.peerPort = peerPort
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        } else {
            fds = [-1, -1]
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
    }

    deinit {
        finish()
        if wakeRead >= 0 { close(wakeRead) }
        if wakeWrite >= 0 { close(wakeWrite) }
    }

    /// Takes `fd` (a duplicate of the connection's socket). Small send
    /// buffer: a client that stops reading is noticed after a few
    /// notifications, not megabytes, and 128 streams pin little kernel
    /// memory. No Nagle: a notification goes out when written.
    func adopt(socket fd: Int32) {
        guard fd >= 0 else { return }
        var sendBuffer: Int32 = 16 * 1024
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sendBuffer, socklen_t(MemoryLayout<Int32>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), 1 /* TCP_NODELAY */, &one, socklen_t(MemoryLayout<Int32>.size))
        socket.withLock { $0 = fd }
        // Ended before the socket was there (stop raced the start).
        if isEnded { end() }
    }

    var isEnded: Bool { ended.load(ordering: .acquiring) }

    /// Wakes the worker (a notification is ready). Never blocks: a full
    /// pipe already holds a wake-up.
    func wake() {
        guard wakeWrite >= 0 else { return }
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWrite, &byte, 1)
    }

    /// Ends the stream from any thread: the socket is shut down (the
    /// client sees the end, a blocked write returns) and the worker woken.
    func end() {
        ended.store(true, ordering: .releasing)
        socket.withLock { fd in
            if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        wake()
    }

    /// The client fell more than its queue behind (counted by the server).
    func markCutBehind() { cutBehind.store(true, ordering: .relaxed) }
    var wasCutBehind: Bool { cutBehind.load(ordering: .relaxed) }

    enum Wait { case woken, timedOut, clientGone }

    /// Sleeps until woken, the client hangs up (or sends anything: an event
    /// stream's client never does), or `timeoutMs`. Worker thread only.
    func wait(timeoutMs: Int) -> Wait {
        // Only the worker closes the socket (finish), so the number stays valid here.
        let fd = socket.withLock { $0 }
        var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: fd, events: Int16(POLLIN) | 0x2000 /* POLLRDHUP */, revents: 0)]
        let count = nfds_t(fd >= 0 ? 2 : 1)
        let rc = poll(&fds, count, Int32(clamping: max(0, timeoutMs)))
        if rc == 0 { return .timedOut }
        if rc < 0 { return .woken }   // EINTR: look again
        if fds[0].revents != 0 {
            var sink = [UInt8](repeating: 0, count: 64)
            // Bounded: the pipe holds at most its capacity.
            while sink.withUnsafeMutableBytes({ Glibc.read(wakeRead, $0.baseAddress, $0.count) }) > 0 {}
        }
        if fd >= 0 && fds[1].revents != 0 { return .clientGone }
        return .woken
    }

    /// Closes the duplicate socket (worker thread, when the stream ends).
    func finish() {
        socket.withLock { fd in
            if fd >= 0 {
                close(fd)
                fd = -1
            }
        }
    }
}

/// The streams a server holds: admission against the limit, the per-address
/// cap's exemption, and ending them all on stop.
final class StreamSessions: Sendable {
    let limits: StreamLimits

    private struct State {
        var open: [ObjectIdentifier: StreamSession] = [:]
        /// peer address << 16 | port of every open stream.
        var endpoints: Set<UInt64> = []
        var stopped = false
        var cutBehind = 0
    }

    private let state = Mutex(State())

    init(limits: StreamLimits) { self.limits = limits }

    private static func endpoint(_ peer: UInt32, _ port: Int) -> UInt64 {
        UInt64(peer) << 16 | UInt64(UInt16(truncatingIfNeeded: port))
    }

    func admit(_ session: StreamSession) -> Bool {
        state.withLock { s in
            guard !s.stopped, s.open.count < limits.maxClients else { return false }
            s.open[ObjectIdentifier(session)] = session
            s.endpoints.insert(Self.endpoint(session.peer, session.peerPort))
            return true
        }
    }

    func remove(_ session: StreamSession) {
        state.withLock { s in
            guard s.open.removeValue(forKey: ObjectIdentifier(session)) != nil else { return }
            s.endpoints.remove(Self.endpoint(session.peer, session.peerPort))
            if session.wasCutBehind { s.cutBehind += 1 }
        }
    }

    /// Refuses new streams and ends the open ones (server stop).
    func endAll() {
        let open = state.withLock { s -> [StreamSession] in
            s.stopped = true
            return Array(s.open.values)
        }
        for session in open { session.end() }
    }

    var openCount: Int { state.withLock { $0.open.count } }

    func holds(peer: UInt32, port: Int) -> Bool {
        state.withLock { $0.endpoints.contains(Self.endpoint(peer, port)) }
    }

    var counts: (open: Int, cutBehind: Int) { state.withLock { ($0.open.count, $0.cutBehind) } }
}

extension ServerCore {
    /// Hands the connection to a streaming route (ServerCore.handle, after
    /// every check). The connection closes when the route returns.
    func serveStreaming(_ route: StreamingRoute, _ conn: OpaquePointer, _ request: RestRequest,
                        info: mg_request_info, control: (any StreamControl)?, cors: [RestHeader]) -> Int {
        let head = request.method == "HEAD"
        guard let control else {
            return send(conn, request, .failure(route.operation, status: 503, detail: "the element serving this API is gone"),
                        head: head, close: true, extra: cors)
        }
        mg_disable_connection_keep_alive(conn)
        let remotePort = Int(info.remote_port), localPort = Int(info.server_port)
        var peer = in_addr()
        _ = inet_pton(AF_INET, request.remoteAddress, &peer)
        final class Opened { var session: StreamSession? }
        let opened = Opened()
        let streams = self.streams
        let context = StreamingContext(
            request: request, control: control, log: log, limits: streams.limits, head: head, extraHeaders: cors,
            write: { bytes in
                bytes.withUnsafeBytes { mg_write(conn, $0.baseAddress, $0.count) } == bytes.count
            },
            refuse: { response in
                self.send(conn, request, response, head: head, close: true, extra: cors)
            },
            open: {
                let session = StreamSession(peer: peer.s_addr, peerPort: remotePort)
                guard opened.session == nil, streams.admit(session) else { return nil }
                opened.session = session
                // The socket is looked up once per stream (a walk of
                // /proc/self/fd); without it the stream still works, it just
                // notices a gone client at its next write.
                var fd: Int32 = -1
                if let socket = ConnectionSocket.find(remoteAddress: request.remoteAddress, remotePort: remotePort,
                                                      localPort: localPort) {
                    ConnectionSocket.onDuplicate(of: socket, localPort: localPort) { fd = fcntl($0, F_DUPFD_CLOEXEC, 0) }
                }
                session.adopt(socket: fd)
                return session
            })
        let status = route.serve(context)
        if let session = opened.session {
            streams.remove(session)
            session.finish()
        }
        return status
    }
}
