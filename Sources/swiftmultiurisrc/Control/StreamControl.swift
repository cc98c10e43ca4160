import swiftcustomevents

/// The seam between the REST server (and any other client, such as the
/// action signals) and the element. The REST layer parses and validates
/// requests, calls exactly one of these methods, and turns the answer into
/// an HTTP response; the element implements them by changing the pipeline.
///
/// Every method may be called from any thread, concurrently. Implementations
/// serialize pipeline changes themselves and never block forever.
protocol StreamControl: AnyObject, Sendable {
    /// Adds one source; returns it with its newly assigned source id.
    func addStream(_ request: AddStreamRequest) throws(ControlError) -> StreamInfo
    /// Removes a source by camera id; `url`, when given, must match the
    /// source's uri.
    func removeStream(cameraId: String, url: String?) throws(ControlError) -> StreamInfo
    /// Every current source, ordered by source id.
    func streams() -> [StreamInfo]
    /// The last sources that failed and left (they are no longer in
    /// `streams()`), oldest first, with their final state and error.
    func recentlyFailed() -> [StreamInfo]
    /// Finds a source by its decimal source id or by camera id.
    func resolveStream(_ streamId: String) -> StreamInfo?

    /// Pushes a control event downstream from the bin's src pad, serialized
    /// with the buffers (roi/update, infer/set-interval, osd, tracker,
    /// analytics, enc/*).
    func pushDownstream(_ event: ControlEvent) throws(ControlError)

    /// Applies a per-source setting inside the bin (dec/*, conv/*).
    func applySourceSetting(sourceId: UInt32, _ setting: SourceSetting) throws(ControlError)

    /// Sets a property of the muxer (mux/batched-push-timeout, mux/max-latency).
    func setMuxerProperty(_ setting: MuxerSetting) throws(ControlError)

    /// app/quit: posts `force-pipeline-eos` and sends EOS downstream.
    func quit() throws(ControlError)

    /// True once the pipeline runs (PLAYING) and the server can take requests.
    var isReady: Bool { get }

    /// What the probe routes (live, ready, startup) report; read without
    /// waiting on a state change in progress.
    var health: Health { get }

    /// GStreamer's version and the decoders and encoders found (GET info).
    /// A requirement, not only an extension member: otherwise calls through
    /// `any StreamControl` would always get the extension's empty default.
    var platform: PlatformInfo { get }

    /// Where the element publishes what happens to its streams (GET
    /// events); nil when it publishes nothing.
    var notifications: NotificationHub? { get }
    /// element/set-property and element/get-property (ours; the types and
    /// defaults are in ElementProperty.swift).
    func setElementProperty(_ request: ElementPropertyRequest) throws(ControlError) -> ElementPropertyValue
    func elementProperty(_ request: ElementPropertyRequest) throws(ControlError) -> ElementPropertyValue
    /// nil when state-file is off.
    var stateFileStatus: StateFileStatus? { get }
    /// GET metrics: every current source with its counters, and the
    /// element's own; read without waiting on the control queue (a slow
    /// stream/add must not hold a scrape).
    func metrics() -> BinMetrics
    /// GET stream/snapshot: the source's latest frame as JPEG, encoded now
    /// (or a copy of one encoded a moment ago for another viewer).
    func snapshot(_ request: SnapshotRequest) throws(ControlError) -> Snapshot
}

/// DeepStream 9.1's probes: live only while PLAYING, ready and started once
/// PAUSED or PLAYING.
struct Health: Sendable, Equatable {
    var live: Bool
    var ready: Bool
}

/// What GET /api/v1/info says of the media side (the control knows
/// GStreamer; the REST layer does not).
struct PlatformInfo: Sendable, Equatable {
    /// gst_version_string().
    var gstreamer = ""
    /// Video decoder factories in the registry, by name.
    var decoders: [String] = []
    /// Hardware H.264 encoders present, of those the RTSP outputs would try.
    var hardwareEncoders: [String] = []
}

extension StreamControl {
    func recentlyFailed() -> [StreamInfo] { [] }
    var platform: PlatformInfo { PlatformInfo() }
    var health: Health { Health(live: isReady, ready: isReady) }
    var notifications: NotificationHub? { nil }
    func metrics() -> BinMetrics { BinMetrics(streams: streams().map { StreamMetrics(info: $0) }) }
    func snapshot(_ request: SnapshotRequest) throws(ControlError) -> Snapshot {
        throw .unsupported("snapshots: this element keeps no frames")
    }
}

/// One stream/add request (or one item of a multi-sensor request).
struct AddStreamRequest: Sendable, Equatable {
    var cameraId: String
    var cameraName: String
    var uri: String
    var options: SourceOptions = SourceOptions()
    /// Wait until the first frame leaves the bin or the source fails, at most
    /// this many milliseconds. nil answers as soon as the source is added.
    var waitForFirstFrameMs: UInt32? = nil
    /// What the stream carries for clients (stream info), e.g. a site name.
    var labels: [String: String] = [:]
    /// Savant's stop conditions: the stream leaves after this many frames,
    /// or this many seconds after it was added (the first that comes).
    var stopAfterFrames: UInt32? = nil
    var stopAfterSeconds: UInt32? = nil
}

/// Per-source options; nil means "use the element's property".
struct SourceOptions: Sendable, Equatable {
    var latencyMs: UInt32? = nil
    /// DeepStream's select-rtp-protocol: 0 = UDP then TCP, 4 = TCP only.
    var rtpProtocol: UInt32? = nil
    var dropFrameInterval: UInt32? = nil
    var fileLoop: Bool? = nil
}

/// What a client may know about a source.
struct StreamInfo: Sendable, Equatable {
    var sourceId: UInt32
    var cameraId: String
    var cameraName: String
    /// The uri with any password replaced by "***".
    var maskedUri: String
    var state: StreamState
    var framesOut: UInt64
    var fps: Double
    var lastError: String?
    /// The labels given when the stream was added.
    var labels: [String: String] = [:]
}

enum StreamState: String, Sendable, Equatable, CaseIterable {
    case starting, playing, reconnecting, error, eos
}

/// Settings applied inside the bin to one source.
enum SourceSetting: Sendable, Equatable {
    /// dec/drop-frame-interval: keep every Nth frame (0 or 1 keep all).
    case dropFrameInterval(UInt32)
    /// dec/skip-frames: 0 decode all, 1 non-reference, 2 key frames only.
    case skipFrames(UInt32)
    case lowLatencyMode(Bool)
    /// conv/srccrop: crop of the decoded frame before scaling.
    case sourceCrop(CropRect)
    /// conv/destcrop: where the scaled frame lands in the output frame.
    case destinationCrop(CropRect)
    /// conv/flip-method: 0-7, as videoflip's video-direction.
    case flipMethod(UInt32)
    /// conv/interpolation-method: 0-6.
    case interpolationMethod(UInt32)
}

struct CropRect: Sendable, Equatable {
    var left: UInt32, top: UInt32, width: UInt32, height: UInt32
}

enum MuxerSetting: Sendable, Equatable {
    /// microseconds, -1 = off (nvstreammux's batched-push-timeout)
    case batchedPushTimeout(Int32)
    /// nvstreammux's max-latency
    case maxLatency(UInt32)
}

/// Why a control request failed. The REST layer maps each case to its HTTP
/// status; `reason` texts name the field or the limit.
enum ControlError: Error, Sendable, Equatable {
    /// 400: the field and what is wrong with it.
    case badRequest(field: String, detail: String)
    /// 403: the element's policy refuses it (allowed-uri-schemes, file-root,
    /// allow-link-local); the field and why.
    case forbidden(field: String, detail: String)
    /// 404: no such stream (or route).
    case notFound(String)
    /// 409: duplicate camera id, url mismatch, wrong state.
    case conflict(String)
    /// 429: max-batch-size reached.
    case capacity(limit: UInt32)
    /// 422-ish: the pipeline has no element that can take this setting. Sent
    /// as 409 with a reason (the request was valid, the pipeline can't).
    case unsupported(String)
    /// 503: the element is not running (not READY or above).
    case unavailable(String)
    /// 500: GStreamer refused something that should have worked.
    case internalError(String)

    var httpStatus: Int {
        switch self {
        case .badRequest: 400
        case .forbidden: 403
        case .notFound: 404
        case .conflict, .unsupported: 409
        case .capacity: 429
        case .unavailable: 503
        case .internalError: 500
        }
    }

    var detail: String {
        switch self {
        case let .badRequest(field, detail), let .forbidden(field, detail): "\(field): \(detail)"
        case let .notFound(s), let .conflict(s), let .unsupported(s),
             let .unavailable(s), let .internalError(s): s
        // DeepStream 9.1's text (its spelling) first, for clients that match it.
        case let .capacity(limit): "Active sources exceded max-batch-size of nvstreammux: max-batch-size (\(limit)) reached"
        }
    }
}
