import Synchronization

/// Routes that elements add to the REST server listening on a given port, next
/// to the built-in DeepStream routes.
///
/// Why a process-wide table: the REST server belongs to one swiftmultiurisrcbin,
/// while the elements that want routes on it (a per-stream RTSP output, for
/// instance) sit elsewhere in the pipeline, often in other bins, created in any
/// order by an application that knows nothing about them. GStreamer elements in
/// separate bins have no common owner other than the process, and the only name
/// they share for "that server" is its port. So routes are keyed by port: a
/// registration may come before the server starts, survives a server restart
/// on the same port, and is served by whichever server listens on that port.
///
/// A route lives as long as its `RestRouteRegistration`: the registering
/// element keeps the token and drops it (or calls `remove()`) when it goes
/// away. The table's lock is held only to add, remove or look up an entry,
/// never while a handler runs.
final class RestRouteRegistry: Sendable {
    static let shared = RestRouteRegistry()

    /// Gets the request (its `path` without "/api/v1") and answers it. Runs on
    /// a civetweb worker thread with no lock held; must return in bounded time
    /// (the server's `stop()` waits for it).
    typealias Handler = @Sendable (RestRequest) -> RestResponse

    struct Entry: Sendable {
        let id: UInt64
        let port: UInt16
        /// "/out/cam1": matches "/out/cam1" and "/out/cam1/...".
        let prefix: String
        /// Allowed methods; nil lets the handler see every method.
        let methods: Set<String>?
        /// Who registered it, for logs.
        let owner: String
        let handler: Handler

        func matches(_ path: String) -> Bool {
            path == prefix || path.hasPrefix(prefix + "/")
        }
    }

    private struct State {
        var nextId: UInt64 = 1
        var entries: [UInt64: Entry] = [:]
    }

    private let state = Mutex(State())

    /// Separate registries are for tests; elements use `shared`.
    init() {}

    /// Adds a route under `pathPrefix` for the server on `port`.
    ///
    /// The prefix must start with "/", is taken without a trailing "/" and
    /// without a leading "/api/v1" (the server strips it from requests, so
    /// the route answers under both spellings). It may not overlap a built-in
    /// route nor another registration on the same port.
    func register(port: UInt16, pathPrefix: String, methods: Set<String>? = nil, owner: String,
                  handler: @escaping Handler) throws(RestRouteError) -> RestRouteRegistration {
        guard port != 0 else { throw .invalidPort }
        let prefix = try Self.normalize(pathPrefix)
        if BuiltInRoutes.overlaps(prefix: prefix) { throw .overlapsBuiltIn(prefix) }
        let upperMethods = methods.map { Set($0.map { $0.uppercased() }) }
        let id: UInt64 = try state.withLock { (s: inout State) throws(RestRouteError) -> UInt64 in
            for e in s.entries.values where e.port == port {
                if e.matches(prefix) || prefix == e.prefix || e.prefix.hasPrefix(prefix + "/") {
                    throw .overlaps(existing: e.prefix, owner: e.owner)
                }
            }
            let id = s.nextId
            s.nextId += 1
            s.entries[id] = Entry(id: id, port: port, prefix: prefix, methods: upperMethods, owner: owner, handler: handler)
            return id
        }
        return RestRouteRegistration(registry: self, id: id, port: port, prefix: prefix)
    }

    /// The entry serving `path` on `port`, if any (prefixes do not overlap, so
    /// at most one matches).
    func lookup(port: UInt16, path: String) -> Entry? {
        state.withLock { s in
            s.entries.values.first { $0.port == port && $0.matches(path) }
        }
    }

    /// The prefixes registered for `port`, sorted.
    func prefixes(port: UInt16) -> [String] {
        state.withLock { s in s.entries.values.filter { $0.port == port }.map(\.prefix) }.sorted()
    }

    fileprivate func remove(id: UInt64) {
        // The removed entry (and its handler closure) is released after the
        // lock: a closure's captures may run arbitrary deinit code.
        let removed = state.withLock { s in s.entries.removeValue(forKey: id) }
        _ = removed
    }

    static func normalize(_ raw: String) throws(RestRouteError) -> String {
        var p = raw
        guard p.hasPrefix("/") else { throw .invalidPrefix(raw) }
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        if p == "/api/v1" || p.hasPrefix("/api/v1/") { p.removeFirst("/api/v1".count) }
        guard p.count > 1, !p.contains("//"), !p.contains("?") else { throw .invalidPrefix(raw) }
        return p
    }
}

enum RestRouteError: Error, Sendable, Equatable {
    /// Must start with "/", not be "/" or "/api/v1", hold no "//" or "?".
    case invalidPrefix(String)
    /// The prefix covers or lies under a DeepStream route.
    case overlapsBuiltIn(String)
    /// Another registration on the same port covers or lies under the prefix.
    case overlaps(existing: String, owner: String)
    /// Port 0 is not a port a server listens on.
    case invalidPort
}

/// Keeps a registered route alive. The route goes away with `remove()` or
/// when the last reference to this token is dropped.
final class RestRouteRegistration: Sendable {
    let port: UInt16
    let prefix: String
    private let registry: RestRouteRegistry
    private let id: UInt64

    fileprivate init(registry: RestRouteRegistry, id: UInt64, port: UInt16, prefix: String) {
        self.registry = registry
        self.id = id
        self.port = port
        self.prefix = prefix
    }

    /// Idempotent. A request already running in the handler finishes.
    func remove() { registry.remove(id: id) }

    deinit { registry.remove(id: id) }
}
