import Dispatch
import Glibc
import Synchronization

/// `state-file`: the sensors added over REST, kept across restarts.
///
/// Format, one JSON object (version 1):
///
///     {"version": 1,
///      "sensors": [{"camera_id": "cam1", "camera_name": "front", "camera_url": "rtsp://...",
///                   "labels": {...}, "options": {...}, "stop_after_frames": 300}, ...]}
///
/// Each sensor is the `value` of the stream/add that added it, as far as it
/// describes the stream (`wait_for_first_frame_ms` belongs to the request),
/// and is read back by stream/add's own parser (`StreamRoutes.parseSensor`):
/// the file takes what the route takes, bounds included, and a hand-written
/// entry is a stream/add body. Unknown top-level members are ignored; any
/// other version, or an entry that does not parse, makes the whole file
/// corrupt (the element then refuses to start rather than overwrite it).
///
/// What it holds: the user's requests, not the running state. A sensor
/// enters with a successful stream/add (replacing an earlier entry of its
/// camera_id) and leaves with a successful stream/remove or when its
/// stop_after_* condition ends it. A sensor that fails, ends (EOS) or could
/// not be added again at start stays: a camera that was down is tried again
/// at the next start. A stream/remove of a camera_id that is only in the
/// file answers 404 as before and drops the entry. Sensors of uri-list are
/// never written (the property brings them back).
///
/// Writes: the whole file, to `<file>.tmp` (mode 0600: it holds camera
/// URLs and their passwords), fsync, rename over the file, fsync of the
/// folder, so a crash at any moment leaves the old file or the new one.
/// Changes are recorded in order on the bin's control queue (a counter
/// numbers them); the write happens on this file's own queue, and the
/// request that made a change is answered only once a write holding it (or
/// a later one) is done: one write may carry a burst of changes, and the
/// file always holds a state at least as new as every answer given. A
/// failed write (read-only folder, disk full) is a warning on the bus and
/// in GET info; the next change writes everything again. One element per
/// file: two writers of one file would undo each other.
final class SensorStateFile: Sendable {
    let path: String
    private struct Store {
        var sensors: [AddStreamRequest]
        /// Numbers every change; `written` is the newest one on disk.
        var generation: UInt64 = 0
        var written: UInt64 = 0
        var lastError: String?
    }
    private let store: Mutex<Store>
    private let writer = DispatchQueue(label: "swiftmultiurisrcbin.state-file")
    /// Called on the writer's queue with the text of each failed write.
    private let report: @Sendable (String) -> Void

    /// Most bytes read from a state file: far more than max-batch-size
    /// sensors of the largest kind take.
    static let maxBytes = 16 << 20

    init(path: String, sensors: [AddStreamRequest], report: @escaping @Sendable (String) -> Void) {
        self.path = path
        self.store = Mutex(Store(sensors: sensors))
        self.report = report
    }

    var sensors: [AddStreamRequest] { store.withLock { $0.sensors } }

    var status: StateFileStatus {
        store.withLock { StateFileStatus(sensors: $0.sensors.count, lastWriteError: $0.lastError) }
    }

    // MARK: changes (control queue)

    /// A stream/add succeeded; returns the change's number.
    func added(_ request: AddStreamRequest) -> UInt64 {
        var kept = request
        kept.waitForFirstFrameMs = nil
        return store.withLock { s in
            s.sensors.removeAll { $0.cameraId == request.cameraId }
            s.sensors.append(kept)
            s.generation += 1
            return s.generation
        }
    }

    /// A sensor left for good; nil when the file did not list it.
    func removed(cameraId: String) -> UInt64? {
        store.withLock { s in
            guard s.sensors.contains(where: { $0.cameraId == cameraId }) else { return nil }
            s.sensors.removeAll { $0.cameraId == cameraId }
            s.generation += 1
            return s.generation
        }
    }

    // MARK: writes (off the control queue)

    /// Returns once the file holds change `generation` or a later one, or a
    /// write of it failed (reported).
    func commit(through generation: UInt64) {
        writer.sync { writeIfBehind(generation) }
    }

    /// The same without waiting (a stop condition has no request to answer).
    func commitLater(through generation: UInt64) {
        writer.async { self.writeIfBehind(generation) }
    }

    /// Waits for writes asked for so far (READY→NULL: the next start reads
    /// the file).
    func drain() {
        writer.sync {}
    }

    private func writeIfBehind(_ generation: UInt64) {
        let pending = store.withLock { s -> (UInt64, [AddStreamRequest])? in
            s.written >= generation ? nil : (s.generation, s.sensors)
        }
        guard let (newest, sensors) = pending else { return }
        let error = Self.writeAtomically(Self.encode(sensors), to: path)
        store.withLock { s in
            if error == nil { s.written = max(s.written, newest) }
            s.lastError = error
        }
        if let error { report(error) }
    }

    // MARK: format

    static func encode(_ sensors: [AddStreamRequest]) -> [UInt8] {
        let entries: [JSONValue] = sensors.map { r in
            var o = JSONObject([
                "camera_id": .string(r.cameraId),
                "camera_name": .string(r.cameraName),
                "camera_url": .string(r.uri),
            ])
            if !r.labels.isEmpty { o["labels"] = .object(labelsJSON(r.labels)) }
            var options = JSONObject()
            if let v = r.options.latencyMs { options["latency"] = .integer(Int64(v)) }
            if let v = r.options.rtpProtocol { options["rtp_protocol"] = .integer(Int64(v)) }
            if let v = r.options.dropFrameInterval { options["drop_frame_interval"] = .integer(Int64(v)) }
            if let v = r.options.fileLoop { options["file_loop"] = .bool(v) }
            if !options.isEmpty { o["options"] = .object(options) }
            if let v = r.stopAfterFrames { o["stop_after_frames"] = .integer(Int64(v)) }
            if let v = r.stopAfterSeconds { o["stop_after_seconds"] = .integer(Int64(v)) }
            return .object(o)
        }
        let document = JSONValue.object(JSONObject(["version": 1, "sensors": .array(entries)]))
        return (JSONCodec.serialize(document) ?? Array(#"{"version":1,"sensors":[]}"#.utf8)) + [0x0A]
    }

    /// The sensors of a file's bytes, or why they are not a state file.
    static func decode(_ bytes: [UInt8]) throws(ControlError) -> [AddStreamRequest] {
        let root: JSONValue
        do { root = try JSONCodec.parse(bytes) } catch {
            throw .badRequest(field: "body", detail: error.detail)
        }
        guard case let .object(o) = root else {
            throw .badRequest(field: "body", detail: "expected a JSON object, got \(root.kindName)")
        }
        let file = FieldReader(o)
        guard let version = try file.optionalInteger("version", in: Int64.min...Int64.max) else { throw file.missing("version") }
        guard version == 1 else {
            throw .badRequest(field: "version", detail: "\(version) is not a version this element reads (1)")
        }
        guard let items = try file.optionalArray("sensors") else { throw file.missing("sensors") }
        var sensors: [AddStreamRequest] = []
        var seen = Set<String>()
        for (i, item) in items.enumerated() {
            let path = "sensors[\(i)]"
            guard case let .object(entry) = item else {
                throw .badRequest(field: path, detail: "expected an object, got \(item.kindName)")
            }
            guard case let .add(request) = try StreamRoutes.parseSensor(FieldReader(entry, path: path), action: .add, defaultWait: nil) else {
                throw .badRequest(field: "\(path).change", detail: "a state file lists sensors to add")
            }
            guard seen.insert(request.cameraId).inserted else {
                throw .badRequest(field: "\(path).camera_id", detail: "\"\(request.cameraId)\" is listed twice")
            }
            sensors.append(request)
        }
        return sensors
    }

    /// The file's sensors; [] when there is no file yet. Throws the text of
    /// the element error, naming the file.
    static func load(_ path: String) throws(ControlError) -> [AddStreamRequest] {
        let bytes: [UInt8]
        switch readFile(path) {
        case .absent: return []
        case let .failed(why): throw .unavailable("state-file '\(path)': \(why)")
        case let .bytes(b): bytes = b
        }
        do { return try decode(bytes) } catch {
            throw .unavailable("state-file '\(path)' is corrupt: \(error.detail)")
        }
    }

    // MARK: files

    enum ReadResult { case absent, failed(String), bytes([UInt8]) }

    static func readFile(_ path: String) -> ReadResult {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            return e == ENOENT ? .absent : .failed("cannot open: \(errorText(e))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        // Bounded by maxBytes: a file that grows while read still ends.
        while bytes.count <= maxBytes {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { bytes.append(contentsOf: chunk.prefix(n)); continue }
            if n == 0 { return .bytes(bytes) }
            if errno == EINTR { continue }
            return .failed("cannot read: \(errorText(errno))")
        }
        return .failed("larger than \(maxBytes) bytes")
    }

    /// Writes `bytes` as `path` atomically; nil on success, else what failed.
    static func writeAtomically(_ bytes: [UInt8], to path: String) -> String? {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return "cannot create \(temporary): \(errorText(errno))" }
        func fail(_ what: String, _ e: Int32) -> String {
            unlink(temporary)
            return "\(what) \(temporary): \(errorText(e))"
        }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { buf -> Int in
                guard let base = buf.baseAddress else { return 0 }
                return write(fd, base + offset, buf.count - offset)
            }
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            let e = n < 0 ? errno : ENOSPC
            close(fd)
            return fail("cannot write", e)
        }
        if fsync(fd) != 0 {
            let e = errno
            close(fd)
            return fail("cannot flush", e)
        }
        if close(fd) != 0 { return fail("cannot close", errno) }
        if rename(temporary, path) != 0 { return fail("cannot rename to \(path) from", errno) }
        // The rename is durable only once the folder's entry is.
        let folder = directory(of: path)
        let dirfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirfd >= 0 else { return "cannot open folder \(folder) to flush it: \(errorText(errno))" }
        defer { close(dirfd) }
        if fsync(dirfd) != 0 { return "cannot flush folder \(folder): \(errorText(errno))" }
        return nil
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }

    static func errorText(_ e: Int32) -> String {
        strerror(e).map { String(cString: $0) } ?? "errno \(e)"
    }
}
