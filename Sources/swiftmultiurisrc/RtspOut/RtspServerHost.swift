import CGStreamer
import CGstRtspServer
import GstSwiftBridge
import Glibc
import Synchronization

/// One gst-rtsp-server on a GMainContext of its own, run by a thread this
/// object owns (gst-rtsp-server does all its work from a main loop, and a
/// plugin cannot borrow the application's). Made on the output bin's
/// NULL→READY, `stop()`ped on READY→NULL.
///
/// It also counts viewers: a client that sent PLAY for /s<N> watches N
/// until it sends TEARDOWN for it or its connection closes. Counts change
/// on the server's thread; `viewers(of:)` reads them from any thread.
///
/// Lock order: `clients` only; never held while calling into GStreamer.
final class RtspServerHost: @unchecked Sendable {
    // @unchecked: the pointers are set in init and only released in stop(),
    // which the owner calls once, after which no callback runs.

    private let context: OpaquePointer
    private let loop: OpaquePointer
    private var thread = pthread_t()
    private let server: UnsafeMutablePointer<GstRTSPServer>
    /// The listening socket's source on `context`; nil once stopped.
    private var source: UnsafeMutablePointer<GSource>?
    /// The 1 s tick (session clean-up, the idle janitor).
    private var tickSource: UnsafeMutablePointer<GSource>?
    /// The port the server listens on (the one asked for, or the one the
    /// kernel chose for "0").
    let boundPort: UInt16

    /// Client (by address) → the stream ids it plays.
    private let clients = Mutex<[UInt: Set<UInt32>]>([:])

    /// Called on the server thread when a client starts playing a stream
    /// (ask the encoder for a key frame) and whenever a count changes.
    struct Hooks: Sendable {
        var played: @Sendable (UInt32) -> Void
        var viewersChanged: @Sendable (UInt32) -> Void
        var tick: @Sendable () -> Void
    }
    private let hooks: Hooks

    enum StartError: Error, CustomStringConvertible {
        case bind(address: String, service: String, detail: String)
        var description: String {
            switch self {
            case let .bind(address, service, detail): "cannot listen on \(address):\(service): \(detail)"
            }
        }
    }

    init(address: String, service: String, hooks: Hooks) throws(StartError) {
        self.hooks = hooks
        context = g_main_context_new()
        loop = g_main_loop_new(context, 0)
        server = gst_rtsp_server_new()
        gst_rtsp_server_set_address(server, address)
        gst_rtsp_server_set_service(server, service)
        var error: UnsafeMutablePointer<GError>?
        guard let source = gst_rtsp_server_create_source(server, nil, &error) else {
            let detail = error.map { String(cString: $0.pointee.message) } ?? "unknown error"
            if let error { g_error_free(error) }
            g_object_unref(UnsafeMutableRawPointer(server))
            g_main_loop_unref(loop)
            g_main_context_unref(context)
            throw .bind(address: address, service: service, detail: detail)
        }
        boundPort = UInt16(clamping: gst_rtsp_server_get_bound_port(server))
        self.source = source
        g_source_attach(source, context)
        connectServerSignals()
        startTick()
        startThread()
    }

    private func startThread() {
        let pair = UnsafeMutablePointer<OpaquePointer>.allocate(capacity: 2)
        pair[0] = context
        pair[1] = loop
        pthread_create(&thread, nil, { arg in
            guard let arg else { return nil }
            let pair = arg.assumingMemoryBound(to: OpaquePointer.self)
            let (context, loop) = (pair[0], pair[1])
            pair.deallocate()
            g_main_context_push_thread_default(context)
            g_main_loop_run(loop)
            g_main_context_pop_thread_default(context)
            return nil
        }, pair)
    }

    /// Cuts every client, closes the port, ends the thread. Call once.
    func stop() {
        gst_rtsp_server_client_filter(server, { _, _, _ in GST_RTSP_FILTER_REMOVE }, nil)
        if let source {
            g_source_destroy(source)
            g_source_unref(source)
            self.source = nil
        }
        if let tickSource {
            g_source_destroy(tickSource)
            g_source_unref(tickSource)
            self.tickSource = nil
        }
        g_main_loop_quit(loop)
        pthread_join(thread, nil)
        // Whatever the loop left (closed clients' last callbacks) runs now,
        // on this thread, before the objects go.
        while g_main_context_iteration(context, 0) != 0 {}
        g_object_unref(UnsafeMutableRawPointer(server))
        g_main_loop_unref(loop)
        g_main_context_unref(context)
        clients.withLock { $0.removeAll() }
    }

    // MARK: mounts

    func mount(_ path: String, _ factory: UnsafeMutablePointer<GstRTSPMediaFactory>) {
        let mounts = gst_rtsp_server_get_mount_points(server)
        // add_factory takes the factory's reference: give it one of its own.
        g_object_ref(UnsafeMutableRawPointer(factory))
        gst_rtsp_mount_points_add_factory(mounts, path, factory)
        g_object_unref(UnsafeMutableRawPointer(mounts))
    }

    /// Removes the mount (new DESCRIBEs get 404) and cuts the clients that
    /// play stream `id`.
    func unmount(_ path: String, id: UInt32) {
        let mounts = gst_rtsp_server_get_mount_points(server)
        gst_rtsp_mount_points_remove_factory(mounts, path)
        g_object_unref(UnsafeMutableRawPointer(mounts))
        let watchers = clients.withLock { table in Set(table.filter { $0.value.contains(id) }.keys) }
        if !watchers.isEmpty {
            let box = Unmanaged.passRetained(ClientSet(watchers))
            gst_rtsp_server_client_filter(server, { _, client, data in
                guard let client, let data else { return GST_RTSP_FILTER_KEEP }
                let set = Unmanaged<ClientSet>.fromOpaque(data).takeUnretainedValue()
                return set.members.contains(UInt(bitPattern: client)) ? GST_RTSP_FILTER_REMOVE : GST_RTSP_FILTER_KEEP
            }, box.toOpaque())
            box.release()
        }
        let changed = clients.withLock { table -> Bool in
            var any = false
            for key in table.keys where table[key]?.remove(id) != nil { any = true }
            return any
        }
        if changed { hooks.viewersChanged(id) }
    }

    private final class ClientSet {
        let members: Set<UInt>
        init(_ members: Set<UInt>) { self.members = members }
    }

    func viewers(of id: UInt32) -> Int {
        clients.withLock { table in table.values.filter { $0.contains(id) }.count }
    }

    /// Sockets the server holds open: clients connected now.
    var clientCount: Int { clients.withLock { $0.count } }

    // MARK: signals

    /// What the signal closures hold: a weak way back, so a late signal
    /// after stop() finds nothing.
    private final class WeakHost: @unchecked Sendable {
        weak var host: RtspServerHost?
        init(_ host: RtspServerHost) { self.host = host }
        static func from(_ data: UnsafeMutableRawPointer?) -> RtspServerHost? {
            guard let data else { return nil }
            return Unmanaged<WeakHost>.fromOpaque(data).takeUnretainedValue().host
        }
        static let release: GClosureNotify = { data, _ in
            guard let data else { return }
            Unmanaged<WeakHost>.fromOpaque(data).release()
        }
    }

    private func retainedWeak() -> UnsafeMutableRawPointer {
        Unmanaged.passRetained(WeakHost(self)).toOpaque()
    }

    private func connectServerSignals() {
        typealias ClientConnected = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<GstRTSPClient>?,
                                                    UnsafeMutableRawPointer?) -> Void
        let connected: ClientConnected = { _, client, data in
            guard let client, let host = WeakHost.from(data) else { return }
            host.watch(client)
        }
        _ = gsb_signal_connect(UnsafeMutableRawPointer(server), "client-connected",
                               unsafeBitCast(connected, to: GCallback.self), retainedWeak(), WeakHost.release)
    }

    private func watch(_ client: UnsafeMutablePointer<GstRTSPClient>) {
        clients.withLock { $0[UInt(bitPattern: client)] = [] }
        typealias Request = @convention(c) (UnsafeMutablePointer<GstRTSPClient>?, UnsafeMutablePointer<GstRTSPContext>?,
                                            UnsafeMutableRawPointer?) -> Void
        let play: Request = { client, ctx, data in
            guard let client, let ctx, let host = WeakHost.from(data), let id = RtspServerHost.streamId(ctx) else { return }
            host.started(client, id)
        }
        let teardown: Request = { client, ctx, data in
            guard let client, let ctx, let host = WeakHost.from(data), let id = RtspServerHost.streamId(ctx) else { return }
            host.left(client, ids: [id])
        }
        typealias Closed = @convention(c) (UnsafeMutablePointer<GstRTSPClient>?, UnsafeMutableRawPointer?) -> Void
        let closed: Closed = { client, data in
            guard let client, let host = WeakHost.from(data) else { return }
            host.left(client, ids: nil)
        }
        let raw = UnsafeMutableRawPointer(client)
        _ = gsb_signal_connect(raw, "play-request", unsafeBitCast(play, to: GCallback.self), retainedWeak(), WeakHost.release)
        _ = gsb_signal_connect(raw, "teardown-request", unsafeBitCast(teardown, to: GCallback.self),
                               retainedWeak(), WeakHost.release)
        _ = gsb_signal_connect(raw, "closed", unsafeBitCast(closed, to: GCallback.self), retainedWeak(), WeakHost.release)
    }

    private func started(_ client: UnsafeMutablePointer<GstRTSPClient>, _ id: UInt32) {
        let added = clients.withLock { $0[UInt(bitPattern: client), default: []].insert(id).inserted }
        hooks.played(id)
        if added { hooks.viewersChanged(id) }
    }

    /// `ids` nil: the client is gone with everything it played.
    private func left(_ client: UnsafeMutablePointer<GstRTSPClient>, ids: Set<UInt32>?) {
        let key = UInt(bitPattern: client)
        let gone: Set<UInt32> = clients.withLock { table in
            guard let playing = table[key] else { return [] }
            guard let ids else {
                table[key] = nil
                return playing
            }
            table[key] = playing.subtracting(ids)
            return playing.intersection(ids)
        }
        gone.forEach(hooks.viewersChanged)
    }

    /// N of "/s<N>" or "/s<N>/stream=0" in the request's url.
    private static func streamId(_ ctx: UnsafeMutablePointer<GstRTSPContext>) -> UInt32? {
        guard let uri = ctx.pointee.uri, let path = uri.pointee.abspath else { return nil }
        return RtspPath.streamId(String(cString: path))
    }

    private func startTick() {
        guard let tick = g_timeout_source_new(1000) else { return }
        g_source_set_callback(tick, { data in
            guard let host = WeakHost.from(data) else { return 0 }
            if let pool = gst_rtsp_server_get_session_pool(host.server) {
                _ = gst_rtsp_session_pool_cleanup(pool)
                g_object_unref(UnsafeMutableRawPointer(pool))
            }
            host.hooks.tick()
            return 1
        }, retainedWeak(), { data in
            guard let data else { return }
            Unmanaged<WeakHost>.fromOpaque(data).release()
        })
        g_source_attach(tick, context)
        tickSource = tick
    }
}

/// The stable mapping of the seed: stream id N ↔ "/s<N>".
enum RtspPath {
    static func path(_ id: UInt32) -> String { "/s\(id)" }

    static func streamId(_ path: String) -> UInt32? {
        guard path.hasPrefix("/s") else { return nil }
        let digits = path.dropFirst(2).prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 10 else { return nil }
        let rest = path.dropFirst(2 + digits.count)
        guard rest.isEmpty || rest.hasPrefix("/") else { return nil }
        return UInt32(digits)
    }
}
