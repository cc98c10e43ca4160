import Glibc
import Synchronization
import Testing
import swiftcustomevents
@testable import swiftmultiurisrc

/// The debug category the REST tests hand to their servers. GStreamer is
/// initialised first (the shared TestGst) so GST_DEBUG=resttest:6 works.
let restTestCategory: DebugCategory = {
    TestGst.setUp()
    return DebugCategory("resttest", description: "REST server tests")
}()

/// A test double of the element behind the StreamControl seam (the HTTP
/// server in front of it is real). It keeps a small source table with the
/// element's rules (lowest free id, duplicate camera id, capacity, url
/// check on remove) and records every call.
final class RecordingControl: StreamControl, Sendable {
    enum Call: Equatable, Sendable {
        case add(AddStreamRequest)
        case remove(cameraId: String, url: String?)
        case push(ControlEvent)
        case sourceSetting(UInt32, SourceSetting)
        case muxer(MuxerSetting)
        case quit
    }

    private struct State {
        var streams: [StreamInfo] = []
        var calls: [Call] = []
        var capacity: UInt32 = 4
        var ready = true
        var failNext: ControlError?
        var delayMs: UInt32 = 0
    }
    private let state = Mutex(State())

    init(capacity: UInt32 = 4) {
        state.withLock { $0.capacity = capacity }
    }

    var calls: [Call] { state.withLock { $0.calls } }
    var lastCall: Call? { calls.last }
    func setReady(_ ready: Bool) { state.withLock { $0.ready = ready } }
    /// The next control call (add, remove, push, settings, quit) fails with this.
    func failNext(_ error: ControlError) { state.withLock { $0.failNext = error } }
    /// Every mutating call sleeps this long first (in-flight tests).
    func setDelay(ms: UInt32) { state.withLock { $0.delayMs = ms } }

    /// Adds a source directly (test setup, not recorded).
    @discardableResult
    func seed(_ cameraId: String, uri: String = "rtsp://cam/stream") -> StreamInfo {
        state.withLock { s in
            let info = StreamInfo(sourceId: Self.lowestFree(s.streams), cameraId: cameraId, cameraName: "name-\(cameraId)",
                                  maskedUri: uri, state: .playing, framesOut: 42, fps: 25, lastError: nil)
            s.streams.append(info)
            s.streams.sort { $0.sourceId < $1.sourceId }
            return info
        }
    }

    private static func lowestFree(_ streams: [StreamInfo]) -> UInt32 {
        var id: UInt32 = 0
        while streams.contains(where: { $0.sourceId == id }) { id += 1 }
        return id
    }

    /// Records the call (before any delay, so tests can see it is running).
    private func begin(_ call: Call) throws(ControlError) {
        let (delay, failure) = state.withLock { s in
            s.calls.append(call)
            let f = s.failNext
            s.failNext = nil
            return (s.delayMs, f)
        }
        if delay > 0 { usleep(delay * 1000) }
        if let failure { throw failure }
    }

    func addStream(_ request: AddStreamRequest) throws(ControlError) -> StreamInfo {
        try begin(.add(request))
        return try state.withLock { (s: inout State) throws(ControlError) -> StreamInfo in
            if s.streams.contains(where: { $0.cameraId == request.cameraId }) {
                throw .conflict("Duplicate Camera id, unable to add stream: camera_id \(request.cameraId)")
            }
            if s.streams.count >= Int(s.capacity) { throw .capacity(limit: s.capacity) }
            let info = StreamInfo(sourceId: Self.lowestFree(s.streams), cameraId: request.cameraId,
                                  cameraName: request.cameraName, maskedUri: request.uri, state: .starting,
                                  framesOut: 0, fps: 0, lastError: nil, labels: request.labels)
            s.streams.append(info)
            s.streams.sort { $0.sourceId < $1.sourceId }
            return info
        }
    }

    func removeStream(cameraId: String, url: String?) throws(ControlError) -> StreamInfo {
        try begin(.remove(cameraId: cameraId, url: url))
        return try state.withLock { (s: inout State) throws(ControlError) -> StreamInfo in
            guard let i = s.streams.firstIndex(where: { $0.cameraId == cameraId }) else {
                throw .notFound("camera_id: no stream \"\(cameraId)\"")
            }
            if let url, url != s.streams[i].maskedUri {
                throw .conflict("camera_url: does not match the uri of \"\(cameraId)\"")
            }
            return s.streams.remove(at: i)
        }
    }

    func streams() -> [StreamInfo] { state.withLock { $0.streams } }

    func resolveStream(_ streamId: String) -> StreamInfo? {
        state.withLock { s in
            if let id = UInt32(streamId), let info = s.streams.first(where: { $0.sourceId == id }) { return info }
            return s.streams.first { $0.cameraId == streamId }
        }
    }

    func pushDownstream(_ event: ControlEvent) throws(ControlError) { try begin(.push(event)) }

    func applySourceSetting(sourceId: UInt32, _ setting: SourceSetting) throws(ControlError) {
        try begin(.sourceSetting(sourceId, setting))
    }

    func setMuxerProperty(_ setting: MuxerSetting) throws(ControlError) { try begin(.muxer(setting)) }

    func quit() throws(ControlError) { try begin(.quit) }

    var isReady: Bool { state.withLock { $0.ready } }
}

/// A free TCP port on 127.0.0.1: bind port 0 with a plain socket, read the
/// port back, close. (Another process could take it in between; the tests
/// that need a fixed port retry.)
func freeLocalPort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
            bind(fd, p, len) == 0 ? getsockname(fd, p, &len) : -1
        }
    }
    return UInt16(bigEndian: addr.sin_port)
}

/// The server holds its control weakly (the element owns the server); the
/// tests keep every control alive here so that a control passed inline
/// does not vanish mid-test.
private let keptControls = Mutex<[RecordingControl]>([])

/// A real server on 127.0.0.1 with a free port (port 0: the server picks
/// one), in front of `control`, with its own route registry.
func makeTestServer(_ control: RecordingControl, registry: RestRouteRegistry = RestRouteRegistry(),
                    configure: (inout RestServerConfiguration) -> Void = { _ in }) throws -> RestServer {
    keptControls.withLock { $0.append(control) }
    var config = RestServerConfiguration(address: "127.0.0.1", port: 0)
    config.workerThreads = 4
    // These tests read outcomes from the status line.
    config.strictHttpStatus = true
    configure(&config)
    return try RestServer(configuration: config, control: control, category: restTestCategory, registry: registry)
}

/// Runs `body(i)` for i in 0..<count on `count` real threads at once (the
/// cooperative pool would serialize blocking socket calls on 2 cores) and
/// waits for all of them.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    final class Job: Sendable {
        let index: Int
        let body: @Sendable (Int) -> Void
        init(_ index: Int, _ body: @escaping @Sendable (Int) -> Void) { self.index = index; self.body = body }
    }
    var threads: [pthread_t] = []
    for i in 0..<count {
        var t = pthread_t()
        let job = Unmanaged.passRetained(Job(i, body)).toOpaque()
        let rc = pthread_create(&t, nil, { arg in
            guard let arg else { return nil }
            let job = Unmanaged<Job>.fromOpaque(arg).takeRetainedValue()
            job.body(job.index)
            return nil
        }, job)
        precondition(rc == 0, "pthread_create failed")
        threads.append(t)
    }
    for t in threads { pthread_join(t, nil) }
}

/// The JSON body of a response as an object (records an issue otherwise).
func jsonObject(_ response: HTTPResponse, sourceLocation: SourceLocation = #_sourceLocation) -> JSONObject {
    guard case let .object(o)? = try? JSONCodec.parse(response.body) else {
        Issue.record("body is not a JSON object: \(response.text)", sourceLocation: sourceLocation)
        return JSONObject()
    }
    return o
}

func string(_ v: JSONValue?) -> String? {
    if case let .string(s)? = v { return s }
    return nil
}

func integer(_ v: JSONValue?) -> Int64? {
    if case let .integer(i)? = v { return i }
    return nil
}

/// Checks the DeepStream 7.0+ answer shape: real status == body status,
/// JSON content type and length, reason starting with `reasonPrefix` and
/// containing every `mentions` text.
@discardableResult
func expectAnswer(_ response: HTTPResponse, _ status: Int, _ reasonPrefix: String, mentions: [String] = [],
                  sourceLocation: SourceLocation = #_sourceLocation) -> JSONObject {
    #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
    #expect(response.header("Content-Type") == "application/json", sourceLocation: sourceLocation)
    #expect(response.header("Content-Length") == String(response.body.count), sourceLocation: sourceLocation)
    let body = jsonObject(response, sourceLocation: sourceLocation)
    #expect(string(body["status"]) == HTTPStatus.line(status), sourceLocation: sourceLocation)
    let reason = string(body["reason"]) ?? ""
    #expect(reason.hasPrefix(reasonPrefix), "reason: \(reason)", sourceLocation: sourceLocation)
    for m in mentions {
        #expect(reason.contains(m), "reason \"\(reason)\" should mention \(m)", sourceLocation: sourceLocation)
    }
    return body
}
