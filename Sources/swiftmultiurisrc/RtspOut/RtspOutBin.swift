import CGStreamer
import CGstRtspServer
import Dispatch
import GstSwiftBridge
import Glibc
import Synchronization

let rtspOutLog = DebugCategory("swiftrtspoutbin", description: "swift-multiurisrc per-stream RTSP outputs")

/// `swiftrtspoutbin`: a sink bin that serves every stream of the muxed
/// input at rtsp://<host>:<rtsp-port>/s<N> (N: the source id of
/// GstSwiftSourceMeta), and answers the Control API v1 (seed 004:
/// /requestStream, /deleteStream/:id, /streams) on the REST server of the
/// swiftmultiurisrcbin upstream.
///
///     sink ▶ swiftstreamdemux ─src_N▶ RtspOutBranch N (encoder, RTSP feed, UDP)
///
/// A branch is built when the demux adds src_N (the source's PAD_ADDED or
/// first frame) and torn down when it removes it (PAD_DELETED), so sources
/// added or removed through DeepStream's stream/add and stream/remove get
/// and lose their outputs the same way as through the Control API.
///
/// Lifecycle (one place: `changeState`): NULL→READY starts the RTSP server
/// (`State`); READY→PAUSED finds the upstream bin and registers the routes;
/// READY→NULL tears every branch down, stops the server, drops the routes.
///
/// Threads: branches are built on the demux's streaming thread (in
/// pad-added, as GStreamer wants links made); every other change (deletes,
/// tear-downs, the janitor's deletes, requestStream) runs on `controlQueue`,
/// one after the other. HTTP threads wait on it; it never waits on them.
///
/// Lock order: `settings`, then `state`, then `streams`. No lock is held
/// while calling into GStreamer or the upstream bin.
final class RtspOutBin: @unchecked Sendable {
    // @unchecked: `element`/`demux` are set in init; everything mutable is
    // in the Mutexes.

    static let typeName = "GstSwiftRtspOutBin"

    let element: ObjectRef<GstElement>
    /// The swiftstreamdemux inside (owned by the bin).
    let demux: ObjectRef<GstElement>

    /// Properties.
    let settings = Mutex(RtspOutSettings.defaults)

    /// What exists from READY up.
    struct State: @unchecked Sendable {
        /// The RTSP server and its thread.
        let host: RtspServerHost
        /// The properties as they were at NULL→READY (the running outputs
        /// follow them; changing a property takes effect on the next start).
        let settings: RtspOutSettings
        let policy: EncoderPolicy
        /// The upstream bin's control, found at READY→PAUSED; weak, the bin
        /// is not ours.
        weak var control: MultiUriSrcBin?
        /// The REST port the routes are on; 0 before READY→PAUSED or without one.
        var controlPort: UInt16 = 0
        /// Keeps the routes registered.
        var routes: [RestRouteRegistration] = []
    }
    private let state = Mutex<State?>(nil)

    /// One stream id's output as the Control API sees it.
    struct Record {
        /// The bin's camera id of the source (to remove it).
        var cameraId: String?
        var label: String?
        /// nil while being built (requested, or the pad not there yet).
        var branch: RtspOutBranch?
        /// DELETE (or the janitor) started removing it.
        var deleting = false
        /// The source failed and left on its own: shown as state "error"
        /// until deleted or the janitor takes it.
        var failed: String?
        /// Last time somebody joined, left or watched (Unix seconds).
        var lastActive: Double
    }
    private let streams = Mutex<[UInt32: Record]>([:])

    private let controlQueue = DispatchQueue(label: "swiftrtspoutbin.control")
    /// Camera ids of requestStream sources: out-<n>.
    private let requests = Atomic<UInt64>(0)

    init(element: UnsafeMutablePointer<GstElement>) {
        self.element = ObjectRef(element)
        // Both made by this plugin: they exist.
        let demux = gst_element_factory_make("swiftstreamdemux", "demux")!
        self.demux = ObjectRef(demux)
        gst_bin_add(cast(element, to: GstBin.self), demux)
        let target = gst_element_get_static_pad(demux, "sink")!
        let ghost = gst_ghost_pad_new("sink", target)!
        gst_object_unref(UnsafeMutableRawPointer(target))
        gst_element_add_pad(element, ghost)
        connectDemux()
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    // MARK: weak closures

    final class WeakBin: @unchecked Sendable {
        weak var bin: RtspOutBin?
        init(_ b: RtspOutBin) { bin = b }
        static func from(_ data: UnsafeMutableRawPointer?) -> RtspOutBin? {
            guard let data else { return nil }
            return Unmanaged<WeakBin>.fromOpaque(data).takeUnretainedValue().bin
        }
        static let release: GClosureNotify = { data, _ in
            guard let data else { return }
            Unmanaged<WeakBin>.fromOpaque(data).release()
        }
    }

    /// The closures hold the bin weakly: the demux is the bin's child and
    /// must not keep it alive.
    private func connectDemux() {
        typealias PadSignal = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<GstPad>?,
                                              UnsafeMutableRawPointer?) -> Void
        let added: PadSignal = { _, pad, data in
            guard let pad, let bin = WeakBin.from(data), let id = RtspOutBin.sourceId(of: pad) else { return }
            bin.build(id, pad: pad)
        }
        let removed: PadSignal = { _, pad, data in
            guard let pad, let bin = WeakBin.from(data), let id = RtspOutBin.sourceId(of: pad) else { return }
            let branch = bin.streams.withLock { $0[id]?.branch }
            bin.controlQueue.async { bin.finish(id, branch) }
        }
        let weak = { Unmanaged.passRetained(WeakBin(self)).toOpaque() }
        _ = gsb_signal_connect(demux.raw, "pad-added", unsafeBitCast(added, to: GCallback.self), weak(), WeakBin.release)
        _ = gsb_signal_connect(demux.raw, "pad-removed", unsafeBitCast(removed, to: GCallback.self), weak(), WeakBin.release)
    }

    private static func sourceId(of pad: UnsafeMutablePointer<GstPad>) -> UInt32? {
        let name = objectName(UnsafeMutableRawPointer(pad))
        guard name.hasPrefix("src_") else { return nil }
        return UInt32(name.dropFirst(4))
    }

    // MARK: branches

    /// pad-added (demux streaming thread): build and link stream `id`'s branch.
    private func build(_ id: UInt32, pad: UnsafeMutablePointer<GstPad>) {
        guard let (host, s, policy, control) = state.withLock({ st in
            st.map { ($0.host, $0.settings, $0.policy, $0.control) }
        }) else { return }
        guard let choice = policy.choice(for: id) else {
            rtspOutLog.error(element.raw, "src_\(id): no H.264 encoder among \(s.encoders): stream not served")
            gsb_element_post_warning(element.ptr, GSB_ERROR_CORE, 1, "No H.264 encoder for stream \(id)",
                                     "none of \(s.encoders) exists")
            return
        }
        // The id's previous branch, if the control queue has not taken it
        // down yet (its pad is gone already): its element names are ours now.
        streams.withLock { $0[id]?.branch }?.detach(from: cast(element.ptr, to: GstBin.self))
        let branch: RtspOutBranch
        do {
            let demux = swiftImpl(ofInstance: self.demux.raw, as: StreamDemux.self)
            let ended: @Sendable () -> Bool = { [weak demux] in demux?.inputEnded.load(ordering: .acquiring) ?? true }
            branch = try RtspOutBranch(.init(inputEnded: ended, id: id, choice: choice, settings: s))
            try branch.attach(to: cast(element.ptr, to: GstBin.self), pad: pad)
        } catch {
            rtspOutLog.error(element.raw, "src_\(id): \(error)")
            gsb_element_post_warning(element.ptr, GSB_ERROR_CORE, 1, "Output for stream \(id) not built", "\(error)")
            return
        }
        let cameraId = control?.resolveStream("\(id)").map(\.cameraId)
        // Mounted before the branch is published: requestStream answers as
        // soon as it sees the branch, and its client's DESCRIBE follows at
        // once (a 404 in between was seen under load).
        host.mount(branch.path, branch.factory.ptr)
        streams.withLock { table in
            // Kept: what requestStream wrote for this new source. Not kept:
            // a failed or deleted source's record.
            var record = table[id].flatMap { $0.failed == nil && $0.branch == nil && !$0.deleting ? $0 : nil }
                ?? Record(lastActive: Self.now())
            record.branch = branch
            record.failed = nil
            if record.cameraId == nil { record.cameraId = cameraId }
            table[id] = record
        }
        rtspOutLog.info(element.raw, "stream \(id): \(choice.factory) ▶ rtsp://…:\(host.boundPort)\(branch.path)"
            + (s.udpEgress ? ", RTP to \(s.udpHost):\(s.udpPort(id).map(String.init) ?? "-")" : ""))
    }

    /// pad-removed (control queue): unmount, stop and remove `branch`,
    /// then forget the id or keep it as failed. A branch that is no longer
    /// the id's (a new source took the id meanwhile) is only stopped.
    private func finish(_ id: UInt32, _ branch: RtspOutBranch?) {
        guard let host = state.withLock({ $0?.host }) else { return }
        let current = streams.withLock { table -> Bool in
            guard let record = table[id] else { return false }
            return record.branch === branch
        }
        guard current else {
            branch?.detach(from: cast(element.ptr, to: GstBin.self))
            return
        }
        host.unmount(RtspPath.path(id), id: id)
        branch?.detach(from: cast(element.ptr, to: GstBin.self))
        let control = state.withLock { $0?.control }
        let record = streams.withLock { $0[id] }
        let failure: String? = {
            guard let record, !record.deleting, let control else { return nil }
            let failed = control.recentlyFailed().last { info in
                info.sourceId == id && (record.cameraId == nil || info.cameraId == record.cameraId)
            }
            return failed.map { $0.lastError ?? "source failed" }
        }()
        streams.withLock { table in
            guard table[id]?.branch === branch else { return }
            if let failure {
                table[id]?.branch = nil
                table[id]?.failed = failure
            } else {
                table[id] = nil
            }
        }
        rtspOutLog.info(element.raw, "stream \(id): output removed" + (failure.map { " (source failed: \($0))" } ?? ""))
    }

    /// Every branch goes (READY→NULL).
    private func finishAll() {
        for id in streams.withLock({ Array($0.keys) }) {
            let branch = streams.withLock { table -> RtspOutBranch? in
                table[id]?.deleting = true
                return table[id]?.branch
            }
            finish(id, branch)
        }
        streams.withLock { $0.removeAll() }
    }

    // MARK: viewers

    private func played(_ id: UInt32) {
        streams.withLock { $0[id]?.branch }?.requestKeyFrame()
    }

    private func touched(_ id: UInt32) {
        let now = Self.now()
        streams.withLock { $0[id]?.lastActive = now }
    }

    /// Every second on the server thread: watched streams stay active;
    /// idle ones past the TTL are deleted as by DELETE.
    private func tick() {
        guard let (host, ttl) = state.withLock({ st in st.map { ($0.host, $0.settings.idleTtlSecs) } }) else { return }
        let now = Self.now()
        let ids = streams.withLock { Array($0.keys) }
        let viewers = Dictionary(uniqueKeysWithValues: ids.map { ($0, host.viewers(of: $0)) })
        let expired: [UInt32] = streams.withLock { table in
            var expired: [UInt32] = []
            for (id, record) in table {
                if viewers[id, default: 0] > 0 {
                    table[id]?.lastActive = now
                } else if ttl > 0, !record.deleting, record.branch != nil || record.failed != nil,
                          now - record.lastActive > Double(ttl) {
                    expired.append(id)
                }
            }
            return expired
        }
        for id in expired {
            rtspOutLog.info(element.raw, "stream \(id): no viewer for more than \(ttl) s: deleted")
            controlQueue.async { [weak self] in _ = self?.beginDelete(id) }
        }
    }

    // MARK: Control API (called by ControlApiV1 on HTTP threads)

    /// The answer to POST /requestStream.
    func requestStream(url: String?, label: String?) -> Result<RequestedStream, OutputApiError> {
        controlQueue.sync { requestOnQueue(url: url, label: label) }
    }

    private func requestOnQueue(url: String?, label: String?) -> Result<RequestedStream, OutputApiError> {
        guard let (s, policy, control, port) = state.withLock({ st in
            st.map { ($0.settings, $0.policy, $0.control, $0.host.boundPort) }
        }) else { return .failure(.internalError("the output bin is not running")) }
        guard let control else { return .failure(.internalError("no swiftmultiurisrcbin upstream of the output bin")) }
        let uri = url ?? (s.sampleUri.isEmpty ? nil : s.sampleUri)
        guard let uri else { return .failure(.invalidParam("url: missing, and no sample-uri is set")) }
        guard Self.looksLikeUri(uri) else { return .failure(.invalidParam("url: '\(uri.prefix(200))' is not a URI (scheme://...)")) }
        let live = streams.withLock { table in table.filter { $0.value.failed == nil }.map(\.key) }
        let inUse = Array(Set(live).union(control.streams().map(\.sourceId)))
        let next = EncoderPolicy.lowestFree(inUse)
        guard policy.admits(id: next, inUse: inUse) else {
            return .failure(.capacity(max: policy.max, hwMax: policy.hwMax, swMax: policy.swMax))
        }
        guard policy.choice(for: next) != nil else {
            return .failure(.internalError("no H.264 encoder among \(s.encoders)"))
        }
        let n = requests.wrappingAdd(1, ordering: .relaxed).newValue
        let cameraId = "out-\(n)"
        var request = AddStreamRequest(cameraId: cameraId, cameraName: label ?? cameraId, uri: uri)
        if let label { request.labels = ["label": label] }
        let info: StreamInfo
        do {
            info = try control.addStream(request)
        } catch {
            switch error {
            case let .badRequest(_, detail), let .forbidden(_, detail):
                return .failure(.invalidParam("url: \(detail)"))
            case .capacity:
                return .failure(.capacity(max: policy.max, hwMax: policy.hwMax, swMax: policy.swMax))
            case .conflict:
                return .failure(.conflict)
            default:
                return .failure(.internalError(error.detail))
            }
        }
        let id = info.sourceId
        let now = Self.now()
        streams.withLock { table in
            var record = table[id].flatMap { $0.failed == nil ? $0 : nil } ?? Record(lastActive: now)
            record.cameraId = cameraId
            record.label = label
            table[id] = record
        }
        // Answer once /s<id> is mounted (the source's first frame or its
        // PAD_ADDED built the branch), so the rtspUrl plays at once; a
        // source slower than that answers anyway, its state "starting".
        let deadline = g_get_monotonic_time() + 5_000_000
        while streams.withLock({ $0[id]?.branch == nil && $0[id]?.failed == nil }) && g_get_monotonic_time() < deadline {
            g_usleep(2_000)
        }
        let choice = policy.choice(for: id)
        return .success(RequestedStream(streamId: id, rtspUrl: s.rtspUrl(id, port: port), path: RtspPath.path(id),
                                        udp: s.udpEgress ? s.udpPort(id) : nil, encoder: choice?.name ?? "none"))
    }

    static func looksLikeUri(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else { return false }
        let scheme = text[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter,
              scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) else { return false }
        return text[colon...].hasPrefix("://") && text.count > scheme.count + 3
    }

    private enum DeleteStart {
        case notFound, conflict
        /// Removal started; wait for the branch when `wait`.
        case started(wait: Bool)
    }

    /// DELETE /deleteStream/:id: removes the source, unmounts at once, then
    /// waits (bounded) until the branch is gone so its UDP port is free.
    func deleteStream(_ id: UInt32) -> Result<UInt32, OutputApiError> {
        switch controlQueue.sync(execute: { beginDelete(id) }) {
        case .notFound: return .failure(.notFound)
        case .conflict: return .failure(.conflict)
        case .started(let wait):
            if wait {
                let deadline = g_get_monotonic_time() + 10_000_000
                while streams.withLock({ $0[id] != nil }) && g_get_monotonic_time() < deadline { g_usleep(5_000) }
            }
            return .success(id)
        }
    }

    /// On the control queue.
    private func beginDelete(_ id: UInt32) -> DeleteStart {
        guard let (host, control) = state.withLock({ st in st.map { ($0.host, $0.control) } }) else { return .notFound }
        let record = streams.withLock { $0[id] }
        let info = control?.resolveStream("\(id)").flatMap { $0.sourceId == id ? $0 : nil }
        if record == nil && info == nil { return .notFound }
        if let record {
            if record.deleting { return .conflict }
            if record.branch == nil && record.failed == nil && info != nil { return .conflict }
        }
        streams.withLock { $0[id]?.deleting = true }
        if let info, let control {
            do {
                _ = try control.removeStream(cameraId: info.cameraId, url: nil)
            } catch {
                if case .notFound = error {} else {
                    streams.withLock { $0[id]?.deleting = false }
                    return error.httpStatus == 409 ? .conflict : .notFound
                }
            }
        }
        host.unmount(RtspPath.path(id), id: id)
        if record?.branch == nil {
            // No pad will be removed for it: it is done.
            streams.withLock { $0[id] = nil }
            return .started(wait: false)
        }
        return .started(wait: true)
    }

    /// GET /streams.
    func listStreams() -> StreamList {
        guard let (s, policy, control, host) = state.withLock({ st in
            st.map { ($0.settings, $0.policy, $0.control, $0.host) }
        }) else { return StreamList(max: 0, hwMax: 0, swMax: 0, idleTtl: 0, streams: []) }
        let sources = Dictionary((control?.streams() ?? []).map { ($0.sourceId, $0) }, uniquingKeysWith: { a, _ in a })
        let records = streams.withLock { $0 }
        var list: [ListedStream] = []
        for id in Set(records.keys).union(sources.keys).sorted() {
            let record = records[id]
            let source = sources[id]
            let stateName: String
            if record?.failed != nil || source?.state == .error {
                stateName = "error"
            } else if let branch = record?.branch, branch.encodedFrames.load(ordering: .relaxed) > 0 {
                stateName = "ready"
            } else {
                stateName = "starting"
            }
            list.append(ListedStream(
                id: id, path: RtspPath.path(id), rtspUrl: s.rtspUrl(id, port: host.boundPort),
                udp: s.udpEgress ? s.udpPort(id) : nil,
                encoder: record?.branch?.encoder.name ?? policy.choice(for: id)?.name ?? "none",
                label: record?.label ?? source?.labels["label"],
                viewers: host.viewers(of: id), state: stateName,
                lastActive: record?.lastActive ?? Self.now()))
        }
        return StreamList(max: policy.max, hwMax: policy.hwMax, swMax: policy.swMax, idleTtl: s.idleTtlSecs, streams: list)
    }

    // MARK: state changes

    private func changeState(_ transition: GstStateChange) -> GstStateChangeReturn {
        switch transition {
        case GST_STATE_CHANGE_NULL_TO_READY:
            guard start() else { return GST_STATE_CHANGE_FAILURE }
        case GST_STATE_CHANGE_READY_TO_PAUSED:
            attachControl()
        default:
            break
        }
        let result = gsb_parent_change_state(element.ptr, transition)
        if transition == GST_STATE_CHANGE_READY_TO_NULL || (result == GST_STATE_CHANGE_FAILURE && transition == GST_STATE_CHANGE_NULL_TO_READY) {
            stop()
        }
        return result
    }

    private func start() -> Bool {
        let s = settings.withLock { $0 }
        let weak = WeakBin(self)
        let hooks = RtspServerHost.Hooks(
            played: { id in weak.bin?.played(id) },
            viewersChanged: { id in weak.bin?.touched(id) },
            tick: { weak.bin?.tick() })
        let host: RtspServerHost
        do {
            host = try RtspServerHost(address: s.rtspAddress, service: s.rtspPort, hooks: hooks)
        } catch {
            rtspOutLog.error(element.raw, "\(error)")
            gsb_element_post_error(element.ptr, GSB_ERROR_RESOURCE, gint(GST_RESOURCE_ERROR_OPEN_READ_WRITE.rawValue),
                                   "Could not start the RTSP server on port \(s.rtspPort)", "\(error)")
            return false
        }
        let policy = s.policy()
        state.withLock { $0 = State(host: host, settings: s, policy: policy) }
        rtspOutLog.info(element.raw, "RTSP server on \(s.rtspAddress):\(host.boundPort); hardware \(policy.hardware), "
            + "software \(policy.software), max \(policy.max) (hw \(policy.hwMax), sw \(policy.swMax))")
        return true
    }

    /// Finds the swiftmultiurisrcbin upstream and puts the routes on its REST port.
    private func attachControl() {
        let (s, registered) = state.withLock { st in (st?.settings, !(st?.routes.isEmpty ?? true)) }
        guard let s, !registered else { return }
        let upstream = findUpstreamBin()
        var port = UInt16(s.controlPort) ?? 0
        if port == 0, let upstream {
            port = UInt16(takeGString(gsb_object_get_string(upstream.element.raw, "port")) ?? "") ?? 0
        }
        var routes: [RestRouteRegistration] = []
        if port != 0 {
            let api = ControlApiV1(self)
            do {
                for route in ControlApiV1.routes {
                    routes.append(try RestRouteRegistry.shared.register(
                        port: port, pathPrefix: route.prefix, methods: [route.method], owner: "swiftrtspoutbin",
                        handler: { [api] request in api.respond(route, request) }))
                }
            } catch {
                rtspOutLog.error(element.raw, "Control API routes not registered on port \(port): \(error)")
                gsb_element_post_warning(element.ptr, GSB_ERROR_CORE, 1, "Control API routes not registered", "\(error)")
                routes.removeAll()
            }
        }
        state.withLock { st in
            st?.control = upstream?.bin
            st?.controlPort = port
            st?.routes = routes
        }
        rtspOutLog.info(element.raw, upstream == nil ? "no swiftmultiurisrcbin upstream"
            : "upstream bin \(objectName(upstream!.element.raw)); Control API on REST port \(port)")
    }

    private struct Upstream {
        let element: ObjectRef<GstElement>
        let bin: MultiUriSrcBin
    }

    /// Follows the first sink pad of each element upstream (through
    /// inference elements, queues, bins) to a swiftmultiurisrcbin.
    private func findUpstreamBin() -> Upstream? {
        guard let ghost = gst_element_get_static_pad(element.ptr, "sink") else { return nil }
        var pad: UnsafeMutablePointer<GstPad>? = gst_pad_get_peer(ghost)
        gst_object_unref(UnsafeMutableRawPointer(ghost))
        for _ in 0..<64 {
            guard let current = pad else { return nil }
            let parent = gst_pad_get_parent_element(current)
            gst_object_unref(UnsafeMutableRawPointer(current))
            pad = nil
            guard let parent else { return nil }
            defer { gst_object_unref(UnsafeMutableRawPointer(parent)) }
            if let type = gsb_object_type_name(parent), String(cString: type) == MultiUriSrcBin.typeName,
               let bin = swiftImpl(ofInstance: UnsafeMutableRawPointer(parent), as: MultiUriSrcBin.self) {
                return Upstream(element: ObjectRef(parent), bin: bin)
            }
            if let pads = gst_element_iterate_sink_pads(parent) {
                var value = GValue()
                if gst_iterator_next(pads, &value) == GST_ITERATOR_OK, let first = g_value_get_object(&value) {
                    pad = gst_pad_get_peer(first.assumingMemoryBound(to: GstPad.self))
                }
                if value.g_type != 0 { g_value_unset(&value) }
                gst_iterator_free(pads)
            }
        }
        if let pad { gst_object_unref(UnsafeMutableRawPointer(pad)) }
        return nil
    }

    private func stop() {
        controlQueue.sync { finishAll() }
        let old = state.withLock { st -> State? in
            defer { st = nil }
            return st
        }
        guard let old else { return }
        old.routes.forEach { $0.remove() }
        old.host.stop()
        rtspOutLog.info(element.raw, "RTSP server stopped")
    }

    var boundPort: UInt16 { state.withLock { $0?.host.boundPort ?? 0 } }
    /// For tests: clients the RTSP server holds now.
    var rtspClientCount: Int { state.withLock { $0?.host.clientCount ?? 0 } }

    // MARK: GObject type

    static func register(_ plugin: OpaquePointer?) -> Bool {
        var hooks = GsbHooks()
        hooks.class_init = { klass in
            guard let klass else { return }
            gst_element_class_set_static_metadata(
                cast(klass, to: GstElementClass.self), g_intern_string("Swift per-stream RTSP outputs"),
                g_intern_string("Sink/Network/Bin"),
                g_intern_string("Demuxes the streams of swiftmultiurisrcbin and serves each at rtsp://host:port/s<N> "
                                + "(H.264, hardware or software encoder), optionally RTP over UDP; answers the Control "
                                + "API v1 (requestStream, deleteStream, streams) on the bin's REST server"),
                g_intern_string("swift-multiurisrc authors"))
            gsb_element_class_add_template(klass, "sink", GST_PAD_SINK, GST_PAD_ALWAYS, "ANY")
            RtspOutSettings.install(klass)
        }
        hooks.instance_init = { object in
            guard let object else { return nil }
            return Unmanaged.passRetained(RtspOutBin(element: cast(object, to: GstElement.self))).toOpaque()
        }
        hooks.finalize = { impl in
            guard let impl else { return }
            Unmanaged<RtspOutBin>.fromOpaque(impl).release()
        }
        hooks.set_property = { impl, _, id, value, _ in
            guard let value, let bin: RtspOutBin = swiftImpl(impl), let p = RtspOutSettings.Property(rawValue: id) else { return }
            bin.settings.withLock { $0.set(p, value) }
        }
        hooks.get_property = { impl, _, id, value, _ in
            guard let value, let bin: RtspOutBin = swiftImpl(impl), let p = RtspOutSettings.Property(rawValue: id) else { return }
            let port = bin.boundPort
            bin.settings.withLock { $0.get(p, value, boundPort: port) }
        }
        hooks.change_state = { impl, _, transition in
            guard let bin: RtspOutBin = swiftImpl(impl) else { return GST_STATE_CHANGE_FAILURE }
            return bin.changeState(transition)
        }
        let type = gsb_register_subclass(gsb_type_bin(), typeName, &hooks)
        guard type != 0 else { return false }
        return gst_element_register(plugin, "swiftrtspoutbin", UInt32(GST_RANK_NONE.rawValue), type) != 0
    }
}

// MARK: - what the Control API answers

struct RequestedStream: Sendable, Equatable {
    var streamId: UInt32
    var rtspUrl: String
    var path: String
    var udp: UInt16?
    var encoder: String
}

struct ListedStream: Sendable, Equatable {
    var id: UInt32
    var path: String
    var rtspUrl: String
    var udp: UInt16?
    var encoder: String
    var label: String?
    var viewers: Int
    var state: String
    var lastActive: Double
}

struct StreamList: Sendable, Equatable {
    var max: UInt32
    var hwMax: UInt32
    var swMax: UInt32
    var idleTtl: UInt32
    var streams: [ListedStream]
}

/// The seed's error answers.
enum OutputApiError: Error, Sendable, Equatable {
    case invalidParam(String)
    case capacity(max: UInt32, hwMax: UInt32, swMax: UInt32)
    case notFound
    case conflict
    case internalError(String)
}
