import CGStreamer
import GstSwiftBridge

/// The element's properties, as set by the application. Guarded by
/// `MultiUriSrcBin.settings`; read once per use, never held while calling
/// into GStreamer.
struct Settings: Sendable {
    var uriList: [String] = []
    var sensorIdList: [String] = []
    var sensorNameList: [String] = []
    var mode: Int32 = 0
    var ipAddress = "localhost"
    var port = "9000"
    var maxBatchSize: UInt32 = 30
    var width: UInt32 = 0
    var height: UInt32 = 0
    var batchedPushTimeout: Int32 = -1
    var liveSource = false
    var dropPipelineEos = false
    var fileLoop = false
    var rtspReconnectInterval: UInt32 = 0
    var rtspReconnectAttempts: Int32 = -1
    var latency: UInt32 = 100
    var selectRtpProtocol: UInt32 = 0
    var dropFrameInterval: UInt32 = 0
    var decSkipFrames: UInt32 = 0
    var disablePassthrough = false
    var configFilePath = ""
    var lowLatencyMode = false
    var disableAudio = true
    var gpuId: UInt32 = 0
    var cudadecMemtype: UInt32 = 0
    var numExtraSurfaces: UInt32 = 1
    // Ours.
    var muxer = "default"
    var sourceFactory = "uridecodebin3"
    var enablePadding = false
    var restToken = ""
    /// Origins whose browser requests are served (exact `scheme://host[:port]`).
    var corsOrigins: [String] = []
    /// Host header values accepted besides the bound address and localhost.
    var allowedHosts: [String] = []
    /// URI schemes `stream/add` accepts (uri-list is the application's and is not checked).
    var allowedUriSchemes: [String] = ["file", "rtsp", "rtsps", "http", "https"]
    /// When set, file URIs added over REST must resolve to a regular file inside it.
    var fileRoot = ""
    /// Lets `stream/add` reach link-local and cloud metadata addresses.
    var allowLinkLocal = false

    /// Per-source options resolved against these defaults.
    func resolved(_ options: SourceOptions) -> ResolvedSourceOptions {
        ResolvedSourceOptions(
            latencyMs: options.latencyMs ?? latency,
            rtpProtocol: options.rtpProtocol ?? selectRtpProtocol,
            dropFrameInterval: options.dropFrameInterval ?? dropFrameInterval,
            fileLoop: options.fileLoop ?? fileLoop)
    }
}

struct ResolvedSourceOptions: Sendable, Equatable {
    var latencyMs: UInt32
    var rtpProtocol: UInt32
    var dropFrameInterval: UInt32
    var fileLoop: Bool
}

/// Property ids (GObject numbers them from 1) with their specs. One table so
/// install, set and get can't disagree.
enum BinProperty: UInt32, CaseIterable {
    case uriList = 1, sensorIdList, sensorNameList, mode, ipAddress, port, maxBatchSize
    case width, height, batchedPushTimeout, liveSource, dropPipelineEos, fileLoop
    case rtspReconnectInterval, rtspReconnectAttempts, latency, selectRtpProtocol
    case dropFrameInterval, decSkipFrames, disablePassthrough, configFilePath
    case lowLatencyMode, disableAudio, gpuId, cudadecMemtype, numExtraSurfaces
    case muxer, sourceFactory, enablePadding, restToken
    case corsOrigins, allowedHosts, allowedUriSchemes, fileRoot, allowLinkLocal

    /// Properties that take effect while PLAYING (read when used).
    var mutablePlaying: Bool {
        switch self {
        case .uriList, .sensorIdList, .sensorNameList, .mode, .ipAddress, .port, .muxer,
             .width, .height, .enablePadding, .restToken, .corsOrigins, .allowedHosts:
            false
        default:
            true
        }
    }

    func spec(modeType: GType) -> PropertySpec {
        switch self {
        case .uriList:
            .string(name: "uri-list", nick: "URI list",
                    blurb: "Comma separated URIs of the sources added at start (file://, rtsp://, http://, ...)",
                    defaultValue: nil)
        case .sensorIdList:
            .string(name: "sensor-id-list", nick: "Sensor id list",
                    blurb: "Comma separated sensor (camera) ids, one per uri-list entry; missing ones default to the source id",
                    defaultValue: nil)
        case .sensorNameList:
            .string(name: "sensor-name-list", nick: "Sensor name list",
                    blurb: "Comma separated sensor names, one per uri-list entry; missing ones default to the sensor id",
                    defaultValue: nil)
        case .mode:
            .enumeration(name: "mode", nick: "Mode", blurb: "Media the sources deliver (only video is supported)",
                         type: modeType, defaultValue: 0)
        case .ipAddress:
            .string(name: "ip-address", nick: "REST server address",
                    blurb: "Address the REST server binds (localhost = 127.0.0.1; 0.0.0.0 for every interface)",
                    defaultValue: "localhost")
        case .port:
            .string(name: "port", nick: "REST server port",
                    blurb: "TCP port of the REST server; \"0\" disables the server", defaultValue: "9000")
        case .maxBatchSize:
            .uint(name: "max-batch-size", nick: "Maximum sources",
                  blurb: "Most sources at once; stream/add beyond it is refused (429)",
                  min: 1, max: 1024, defaultValue: 30)
        case .width:
            .uint(name: "width", nick: "Width",
                  blurb: "Width each source is scaled to (compositor: width of the whole mosaic); 0 keeps the source's (mosaic: 1280)",
                  min: 0, max: 16384, defaultValue: 0)
        case .height:
            .uint(name: "height", nick: "Height",
                  blurb: "Height each source is scaled to (compositor: height of the whole mosaic); 0 keeps the source's (mosaic: 720)",
                  min: 0, max: 16384, defaultValue: 0)
        case .batchedPushTimeout:
            .int(name: "batched-push-timeout", nick: "Batched push timeout",
                 blurb: "Passed to a muxer that has this property (nvstreammux), microseconds; -1 = muxer default",
                 min: -1, max: Int32.max, defaultValue: -1)
        case .liveSource:
            .bool(name: "live-source", nick: "Live source",
                  blurb: "Pace every source in real time on the pipeline clock and start late sources at the current running time; the bin is live (no preroll)",
                  defaultValue: false)
        case .dropPipelineEos:
            .bool(name: "drop-pipeline-eos", nick: "Drop pipeline EOS",
                  blurb: "Keep running when every source has ended instead of sending EOS downstream",
                  defaultValue: false)
        case .fileLoop:
            .bool(name: "file-loop", nick: "File loop", blurb: "Loop file sources forever (default for new sources)",
                  defaultValue: false)
        case .rtspReconnectInterval:
            .uint(name: "rtsp-reconnect-interval", nick: "RTSP reconnect interval",
                  blurb: "Seconds without data before an RTSP source is reconnected; 0 disables reconnection",
                  min: 0, max: 3600, defaultValue: 0)
        case .rtspReconnectAttempts:
            .int(name: "rtsp-reconnect-attempts", nick: "RTSP reconnect attempts",
                 blurb: "Reconnection attempts before giving up (-1 = forever)", min: -1, max: Int32.max, defaultValue: -1)
        case .latency:
            .uint(name: "latency", nick: "Latency", blurb: "Jitter buffer latency of RTSP sources, milliseconds",
                  min: 0, max: 60000, defaultValue: 100)
        case .selectRtpProtocol:
            .uint(name: "select-rtp-protocol", nick: "RTP protocol",
                  blurb: "RTP transport of RTSP sources: 0 = UDP then TCP, 4 = TCP only", min: 0, max: 7, defaultValue: 0)
        case .dropFrameInterval:
            .uint(name: "drop-frame-interval", nick: "Drop frame interval",
                  blurb: "Keep every Nth decoded frame of each source (0 or 1 keep all)", min: 0, max: 30, defaultValue: 0)
        case .decSkipFrames:
            .uint(name: "dec-skip-frames", nick: "Decoder skip frames",
                  blurb: "0 decode all frames, 1 non-reference frames only, 2 key frames only", min: 0, max: 2, defaultValue: 0)
        case .disablePassthrough:
            .bool(name: "disable-passthrough", nick: "Disable passthrough",
                  blurb: "Always convert frames even when the source already matches (kept for DeepStream apps)",
                  defaultValue: false)
        case .configFilePath:
            .string(name: "config-file-path", nick: "Config file path",
                    blurb: "Muxer configuration file, passed to a muxer with a config-file-path property", defaultValue: nil)
        case .lowLatencyMode:
            .bool(name: "low-latency-mode", nick: "Low latency mode",
                  blurb: "Ask decoders for low latency decoding when they support it", defaultValue: false)
        case .disableAudio:
            .bool(name: "disable-audio", nick: "Disable audio", blurb: "Ignore audio streams of the sources",
                  defaultValue: true)
        case .gpuId:
            .uint(name: "gpu-id", nick: "GPU id", blurb: "Kept for DeepStream apps; passed to elements that have it",
                  min: 0, max: 64, defaultValue: 0)
        case .cudadecMemtype:
            .uint(name: "cudadec-memtype", nick: "CUDA decoder memory type",
                  blurb: "Kept for DeepStream apps; passed to nvv4l2decoder when present", min: 0, max: 3, defaultValue: 0)
        case .numExtraSurfaces:
            .uint(name: "num-extra-surfaces", nick: "Extra surfaces",
                  blurb: "Kept for DeepStream apps; passed to nvv4l2decoder when present", min: 0, max: 64, defaultValue: 1)
        case .muxer:
            .string(name: "muxer", nick: "Muxer",
                    blurb: "\"default\" (swiftstreammux: every frame, with GstSwiftSourceMeta), \"compositor\" (tiled mosaic), or any element factory with sink_%u request pads (nvstreammux)",
                    defaultValue: "default")
        case .sourceFactory:
            .string(name: "source-factory", nick: "Source factory",
                    blurb: "Element that decodes each URI (uridecodebin3, uridecodebin, nvurisrcbin)",
                    defaultValue: "uridecodebin3")
        case .enablePadding:
            .bool(name: "enable-padding", nick: "Enable padding",
                  blurb: "Keep the aspect ratio when scaling and pad with black, as nvstreammux does", defaultValue: false)
        case .restToken:
            .string(name: "rest-token", nick: "REST token",
                    blurb: "When set, REST requests need the header 'Authorization: Bearer <token>'", defaultValue: nil)
        case .corsOrigins:
            .string(name: "cors-origins", nick: "CORS origins",
                    blurb: "Comma separated origins (scheme://host[:port]) whose browser requests are served; a request with any other Origin header is refused (403). Empty: no cross-origin request is served",
                    defaultValue: nil)
        case .allowedHosts:
            .string(name: "allowed-hosts", nick: "Allowed hosts",
                    blurb: "Comma separated Host header values accepted besides the bound address and localhost (against DNS rebinding); other Host headers get 403",
                    defaultValue: nil)
        case .allowedUriSchemes:
            .string(name: "allowed-uri-schemes", nick: "Allowed URI schemes",
                    blurb: "Comma separated URI schemes that stream/add accepts (uri-list is not checked)",
                    defaultValue: "file,rtsp,rtsps,http,https")
        case .fileRoot:
            .string(name: "file-root", nick: "File root",
                    blurb: "When set, file URIs added over REST must name a regular file inside this folder (symbolic links resolved); others are refused (403) without saying whether they exist",
                    defaultValue: nil)
        case .allowLinkLocal:
            .bool(name: "allow-link-local", nick: "Allow link-local sources",
                  blurb: "Let stream/add reach link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, metadata host names); refused (403) by default",
                  defaultValue: false)
        }
    }
}

/// Splits a comma separated list property; empty entries are kept so that
/// positions still line up with uri-list.
func splitList(_ value: String?) -> [String] {
    guard let value, !value.isEmpty else { return [] }
    return value.split(separator: ",", omittingEmptySubsequences: false)
        .map { $0.trimmingCharacters(in: " \t") }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
