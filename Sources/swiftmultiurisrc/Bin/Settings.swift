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
    /// GEnum BinEnum.rtpProtocol (DeepStream's default, 7 = UDP, multicast or TCP).
    var selectRtpProtocol: UInt32 = 7
    var dropFrameInterval: UInt32 = 0
    /// GEnum BinEnum.skipFrames.
    var decSkipFrames: UInt32 = 0
    var disablePassthrough = false
    var configFilePath = ""
    var lowLatencyMode = false
    var disableAudio = true
    var gpuId: UInt32 = 0
    /// GEnum BinEnum.cudaDecMemType.
    var cudadecMemtype: UInt32 = 0
    var numExtraSurfaces: UInt32 = 1
    /// The other nvmultiurisrcbin 9.1 properties.
    var deepStream = DeepStreamExtras()
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
    /// REST status lines equal the body's `status` (false: 200 for every
    /// outcome of DeepStream's routes, as DeepStream 9.1 sends them).
    var strictHttpStatus = false
    /// 0 round-robin (DeepStream 9.1), 1 lowest-free.
    var sourceIdAllocation: Int32 = 0
    /// GET events streams open at once (0: none). Each is a civetweb worker
    /// started with the server whether used or not, and civetweb hands
    /// connections to its idle workers in turn, so every worker soon has a
    /// touched stack and a malloc arena: 128 of them took 17 MB of RSS in
    /// bench P5's warm-up, 32 about 11 (and arenas follow threads up to
    /// 8 per core, so more workers cost more on larger machines).
    var eventsMaxClients: UInt32 = 32
    /// Notifications an events client may have waiting before it is cut.
    var eventsQueueSize: UInt32 = 256
    /// PEM file (certificate and key) that makes the REST port HTTPS-only; empty: plain HTTP.
    var tlsCertificate = ""
    /// Where sensors added over REST are kept across restarts ("" = nowhere).
    var stateFile = ""
    /// `name.property` globs that element/set-property may touch (none: 403).
    var propertyAllowList = PropertyAllowList()

    /// Seconds the reconnection watchdog waits before rebuilding an RTSP
    /// source: after an error, init-rtsp-reconnect-interval when set.
    func reconnectWait(afterError: Bool) -> UInt32 {
        afterError && deepStream.initRtspReconnectInterval > 0 ? deepStream.initRtspReconnectInterval : rtspReconnectInterval
    }

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
/// install, set and get can't disagree. The first 35 are the element's
/// original properties; the rest complete nvmultiurisrcbin 9.1's list
/// (Settings.deepStream) and are appended so existing ids stay.
enum BinProperty: UInt32, CaseIterable {
    case uriList = 1, sensorIdList, sensorNameList, mode, ipAddress, port, maxBatchSize
    case width, height, batchedPushTimeout, liveSource, dropPipelineEos, fileLoop
    case rtspReconnectInterval, rtspReconnectAttempts, latency, selectRtpProtocol
    case dropFrameInterval, decSkipFrames, disablePassthrough, configFilePath
    case lowLatencyMode, disableAudio, gpuId, cudadecMemtype, numExtraSurfaces
    case muxer, sourceFactory, enablePadding, restToken
    case corsOrigins, allowedHosts, allowedUriSchemes, fileRoot, allowLinkLocal, strictHttpStatus, sourceIdAllocation
    // DeepStream 9.1: RTSP and the queue before the decoder.
    case udpBufferSize, dropOnLatency, bufferMode, initRtspReconnectInterval, leaky, maxSizeBuffers
    // NVIDIA decoders.
    case seiUuid, extractSeiType5DataDec
    // Smart record.
    case smartRecord, smartRecContainer, smartRecMode, smartRecDirPath, smartRecFilePrefix
    case smartRecVideoCache, smartRecCache, smartRecDefaultDuration
    // IPC sources, error propagation, other source options.
    case ipcBufferTimestampCopy, ipcSocketPath, ipcConnectionAttempts, ipcConnectionInterval
    case sensorIdPadIdMapping, enableErrorPropagation, protoLib, connStr, topic, simulateFpsIntervalMs
    // Muxer.
    case numSurfacesPerFrame, syncInputs, bufferPoolSize, maxLatency, attachSysTs
    case nvbufMemoryType, computeHw, interpolationMethod
    case frameNumResetOnEos, frameNumResetOnStreamReset, frameDuration, asyncProcess
    case extractSeiType5Data, sortBatch, cacheBuffer, cacheBufferTimeout, extractSeiSimTime
    case alignFirstBuffer, syncInputsNtp, dropBackwardSei
    // Ours, after DeepStream's: GET events, HTTPS, persistence and runtime
    // properties of named elements.
    case eventsMaxClients, eventsQueueSize
    case tlsCertificate
    case stateFile, propertyAllowList

    /// Properties that take effect while PLAYING (read when used).
    var mutablePlaying: Bool {
        switch self {
        case .uriList, .sensorIdList, .sensorNameList, .mode, .ipAddress, .port, .muxer,
             .width, .height, .enablePadding, .restToken, .corsOrigins, .allowedHosts, .strictHttpStatus,
             .eventsMaxClients, .eventsQueueSize, .tlsCertificate, .stateFile:
            false
        default:
            // Muxer properties are read when the muxer is made (NULL→READY).
            !isMuxerProperty
        }
    }

    /// Passed to a muxer that has a property of this name (nvstreammux) when
    /// the muxer is made; with another muxer they do nothing, and a value
    /// other than the default is then reported once (`unappliedMuxerProperties`).
    var isMuxerProperty: Bool {
        switch self {
        case .batchedPushTimeout, .configFilePath, .numSurfacesPerFrame, .syncInputs, .bufferPoolSize,
             .maxLatency, .attachSysTs, .frameNumResetOnEos, .frameNumResetOnStreamReset, .frameDuration,
             .asyncProcess, .extractSeiType5Data, .sortBatch, .cacheBuffer, .cacheBufferTimeout,
             .extractSeiSimTime, .alignFirstBuffer, .syncInputsNtp, .dropBackwardSei:
            true
        default:
            false
        }
    }

    /// For properties that do nothing here (GPU-only ones, ones not
    /// supported yet): why, for the one warning logged the first time one
    /// is set to a value other than its default. nil for properties that act.
    var limitation: String? {
        let nvidia = "accepted for DeepStream applications; no effect without NVIDIA"
        switch self {
        case .gpuId: return "\(nvidia) elements (passed to a decoder or muxer with gpu-id)"
        case .cudadecMemtype: return "\(nvidia) decoders (passed to a decoder with cudadec-memtype)"
        case .numExtraSurfaces: return "\(nvidia) decoders (passed to a decoder with num-extra-surfaces)"
        case .disablePassthrough: return "\(nvidia) nvvideoconvert"
        case .seiUuid: return "\(nvidia) decoders (passed to a decoder with sei-uuid)"
        case .extractSeiType5DataDec: return "\(nvidia) decoders (passed to a decoder with extract-sei-type5-data)"
        case .nvbufMemoryType: return "\(nvidia) memory (passed to a muxer with nvbuf-memory-type)"
        case .computeHw: return "\(nvidia) scaling hardware (passed to a muxer with compute-hw)"
        case .leaky, .maxSizeBuffers:
            return "not supported yet: this element has no queue in front of the decoder; the value is stored only"
        case .smartRecord, .smartRecContainer, .smartRecMode, .smartRecDirPath, .smartRecFilePrefix,
             .smartRecCache, .smartRecDefaultDuration:
            return "smart record is not supported yet; the value is stored only"
        case .smartRecVideoCache:
            return "deprecated in DeepStream (use smart-rec-cache), and smart record is not supported yet"
        case .ipcBufferTimestampCopy, .ipcSocketPath, .ipcConnectionAttempts, .ipcConnectionInterval:
            return "IPC sources (nvunixfdsrc) are not supported yet; the value is stored only"
        case .sensorIdPadIdMapping:
            return "not supported yet: source ids are still given in order; the value is stored only"
        case .enableErrorPropagation, .protoLib, .connStr, .topic:
            return "error propagation to a message broker is not supported yet; the value is stored only"
        case .simulateFpsIntervalMs:
            return "not supported yet; the value is stored only"
        default:
            return nil
        }
    }

    /// The value a muxer property is passed with (as gst-launch would
    /// write it), nil when it is the default: the muxer keeps its own.
    func muxerArgument(_ s: Settings) -> String? {
        let d = s.deepStream
        func flag(_ v: Bool, default def: Bool) -> String? { v == def ? nil : (v ? "true" : "false") }
        func number<T: BinaryInteger>(_ v: T, default def: T) -> String? { v == def ? nil : "\(v)" }
        switch self {
        case .batchedPushTimeout: return number(s.batchedPushTimeout, default: -1)
        case .configFilePath: return s.configFilePath.isEmpty ? nil : s.configFilePath
        case .gpuId: return number(s.gpuId, default: 0)
        case .numSurfacesPerFrame: return number(d.numSurfacesPerFrame, default: 1)
        case .syncInputs: return flag(d.syncInputs, default: false)
        case .bufferPoolSize: return number(d.bufferPoolSize, default: 4)
        case .maxLatency: return number(d.maxLatency, default: 0)
        case .attachSysTs: return flag(d.attachSysTs, default: true)
        case .nvbufMemoryType: return number(d.nvbufMemoryType, default: 0)
        case .computeHw: return number(d.computeHw, default: 0)
        case .interpolationMethod: return number(d.interpolationMethod, default: 1)
        case .frameNumResetOnEos: return flag(d.frameNumResetOnEos, default: false)
        case .frameNumResetOnStreamReset: return flag(d.frameNumResetOnStreamReset, default: false)
        case .frameDuration: return number(d.frameDuration, default: 0)
        case .asyncProcess: return flag(d.asyncProcess, default: true)
        case .extractSeiType5Data: return flag(d.extractSeiType5Data, default: false)
        case .sortBatch: return flag(d.sortBatch, default: false)
        case .cacheBuffer: return flag(d.cacheBuffer, default: false)
        case .cacheBufferTimeout: return number(d.cacheBufferTimeout, default: -1)
        case .extractSeiSimTime: return flag(d.extractSeiSimTime, default: false)
        case .alignFirstBuffer: return flag(d.alignFirstBuffer, default: false)
        case .syncInputsNtp: return number(d.syncInputsNtp, default: 0)
        case .dropBackwardSei: return flag(d.dropBackwardSei, default: false)
        default: return nil
        }
    }

    /// The property's name (as in its spec).
    var name: String { spec.name }

    var spec: PropertySpec {
        let nvidia = "Accepted for DeepStream applications; no effect without NVIDIA"
        let muxerOnly = "Passed to a muxer with this property (nvstreammux) when it is made; no effect with swiftstreammux or compositor"
        let storedOnly = "not supported yet: stored only"
        switch self {
        case .uriList:
            return .string(name: "uri-list", nick: "URI list",
                           blurb: "Comma separated URIs of the sources added at start (file://, rtsp://, http://, ...)",
                           defaultValue: nil)
        case .sensorIdList:
            return .string(name: "sensor-id-list", nick: "Sensor id list",
                           blurb: "Comma separated sensor (camera) ids, one per uri-list entry; missing ones default to the source id",
                           defaultValue: nil)
        case .sensorNameList:
            return .string(name: "sensor-name-list", nick: "Sensor name list",
                           blurb: "Comma separated sensor names, one per uri-list entry; missing ones default to the sensor id",
                           defaultValue: nil)
        case .mode:
            return .enumeration(name: "mode", nick: "Mode", blurb: "Media the sources deliver (only video is supported)",
                                type: BinEnum.mode.gtype, defaultValue: 0)
        case .ipAddress:
            return .string(name: "ip-address", nick: "REST server address",
                           blurb: "Address the REST server binds (localhost = 127.0.0.1; 0.0.0.0 for every interface)",
                           defaultValue: "localhost")
        case .port:
            return .string(name: "port", nick: "REST server port",
                           blurb: "TCP port of the REST server; \"0\" disables the server", defaultValue: "9000")
        case .maxBatchSize:
            return .uint(name: "max-batch-size", nick: "Maximum sources",
                         blurb: "Most sources at once; stream/add beyond it is refused (429)",
                         min: 1, max: 1024, defaultValue: 30)
        case .width:
            return .uint(name: "width", nick: "Width",
                         blurb: "Width each source is scaled to (compositor: width of the whole mosaic); 0 keeps the source's (mosaic: 1280)",
                         min: 0, max: 16384, defaultValue: 0)
        case .height:
            return .uint(name: "height", nick: "Height",
                         blurb: "Height each source is scaled to (compositor: height of the whole mosaic); 0 keeps the source's (mosaic: 720)",
                         min: 0, max: 16384, defaultValue: 0)
        case .batchedPushTimeout:
            return .int(name: "batched-push-timeout", nick: "Batched push timeout",
                        blurb: "Microseconds the muxer waits for one frame of every source before sending a batch "
                            + "(swiftstreammux and nvstreammux; REST mux/batched-push-timeout also sets it); "
                            + "-1 = no batching (swiftstreammux) or the muxer's default",
                        min: -1, max: Int32.max, defaultValue: -1)
        case .liveSource:
            return .bool(name: "live-source", nick: "Live source",
                         blurb: "Pace every source in real time on the pipeline clock and start late sources at the current running time; the bin is live (no preroll)",
                         defaultValue: false)
        case .dropPipelineEos:
            return .bool(name: "drop-pipeline-eos", nick: "Drop pipeline EOS",
                         blurb: "Keep running when every source has ended instead of sending EOS downstream",
                         defaultValue: false)
        case .fileLoop:
            return .bool(name: "file-loop", nick: "File loop", blurb: "Loop file sources forever (default for new sources)",
                         defaultValue: false)
        case .rtspReconnectInterval:
            return .uint(name: "rtsp-reconnect-interval", nick: "RTSP reconnect interval",
                         blurb: "Seconds without data before an RTSP source is reconnected; 0 disables reconnection",
                         min: 0, max: 3600, defaultValue: 0)
        case .rtspReconnectAttempts:
            return .int(name: "rtsp-reconnect-attempts", nick: "RTSP reconnect attempts",
                        blurb: "Reconnection attempts before giving up (-1 = forever)", min: -1, max: Int32.max, defaultValue: -1)
        case .latency:
            return .uint(name: "latency", nick: "Latency", blurb: "Jitter buffer latency of RTSP sources, milliseconds",
                         min: 0, max: 60000, defaultValue: 100)
        case .selectRtpProtocol:
            return .enumeration(name: "select-rtp-protocol", nick: "RTP protocol",
                                blurb: "Lower transport of RTSP sources, set as rtspsrc's protocols: rtp-udp, rtp-udp-mcast, rtp-tcp, rtp-http (TCP tunnelled over HTTP), rtp-tls (TCP over TLS); rtp-unknown and rtp-udp-udpmcast-tcp leave rtspsrc's own choice (UDP, multicast, then TCP, as the URI scheme allows)",
                                type: BinEnum.rtpProtocol.gtype, defaultValue: 7)
        case .dropFrameInterval:
            return .uint(name: "drop-frame-interval", nick: "Drop frame interval",
                         blurb: "Keep every Nth decoded frame of each source (0 or 1 keep all)", min: 0, max: 30, defaultValue: 0)
        case .decSkipFrames:
            return .enumeration(name: "dec-skip-frames", nick: "Decoder skip frames",
                                blurb: "Frames the decoders decode: decode_all, decode_non_ref (non-reference frames are skipped), decode_key (key frames only)",
                                type: BinEnum.skipFrames.gtype, defaultValue: 0)
        case .disablePassthrough:
            return .bool(name: "disable-passthrough", nick: "Disable passthrough",
                         blurb: "\(nvidia) nvvideoconvert (frames are converted only when they need it)",
                         defaultValue: false)
        case .configFilePath:
            return .string(name: "config-file-path", nick: "Config file path",
                           blurb: "Muxer configuration file, passed to a muxer with a config-file-path property", defaultValue: nil)
        case .lowLatencyMode:
            return .bool(name: "low-latency-mode", nick: "Low latency mode",
                         blurb: "Ask decoders for low latency decoding when they support it", defaultValue: false)
        case .disableAudio:
            return .bool(name: "disable-audio", nick: "Disable audio", blurb: "Ignore audio streams of the sources",
                         defaultValue: true)
        case .gpuId:
            return .uint(name: "gpu-id", nick: "GPU id",
                         blurb: "\(nvidia) elements; passed to a decoder or muxer with gpu-id",
                         min: 0, max: 64, defaultValue: 0)
        case .cudadecMemtype:
            return .enumeration(name: "cudadec-memtype", nick: "CUDA decoder memory type",
                                blurb: "\(nvidia) decoders; passed to a decoder with cudadec-memtype (nvv4l2decoder)",
                                type: BinEnum.cudaDecMemType.gtype, defaultValue: 0)
        case .numExtraSurfaces:
            return .uint(name: "num-extra-surfaces", nick: "Extra surfaces",
                         blurb: "\(nvidia) decoders; passed to a decoder with num-extra-surfaces (nvv4l2decoder)",
                         min: 0, max: 64, defaultValue: 1)
        case .muxer:
            return .string(name: "muxer", nick: "Muxer",
                           blurb: "\"default\" (swiftstreammux: every frame, with GstSwiftSourceMeta), \"compositor\" (tiled mosaic), or any element factory with sink_%u request pads (nvstreammux)",
                           defaultValue: "default")
        case .sourceFactory:
            return .string(name: "source-factory", nick: "Source factory",
                           blurb: "Element that decodes each URI (uridecodebin3, uridecodebin, nvurisrcbin)",
                           defaultValue: "uridecodebin3")
        case .enablePadding:
            return .bool(name: "enable-padding", nick: "Enable padding",
                         blurb: "Keep the aspect ratio when scaling and pad with black, as nvstreammux does", defaultValue: false)
        case .restToken:
            return .string(name: "rest-token", nick: "REST token",
                           blurb: "When set, REST requests need the header 'Authorization: Bearer <token>'", defaultValue: nil)
        case .corsOrigins:
            return .string(name: "cors-origins", nick: "CORS origins",
                           blurb: "Comma separated origins (scheme://host[:port]) whose browser requests are served; a request with any other Origin header is refused (403). Empty: no cross-origin request is served",
                           defaultValue: nil)
        case .allowedHosts:
            return .string(name: "allowed-hosts", nick: "Allowed hosts",
                           blurb: "Comma separated Host header values accepted besides the bound address and localhost (against DNS rebinding); other Host headers get 403",
                           defaultValue: nil)
        case .allowedUriSchemes:
            return .string(name: "allowed-uri-schemes", nick: "Allowed URI schemes",
                           blurb: "Comma separated URI schemes that stream/add accepts (uri-list is not checked)",
                           defaultValue: "file,rtsp,rtsps,http,https")
        case .fileRoot:
            return .string(name: "file-root", nick: "File root",
                           blurb: "When set, file URIs added over REST must name a regular file inside this folder (symbolic links resolved); others are refused (403) without saying whether they exist",
                           defaultValue: nil)
        case .allowLinkLocal:
            return .bool(name: "allow-link-local", nick: "Allow link-local sources",
                         blurb: "Let stream/add reach link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, metadata host names); refused (403) by default",
                         defaultValue: false)
        case .sourceIdAllocation:
            return .enumeration(name: "source-id-allocation", nick: "Source id allocation",
                                blurb: "How sources get their ids: round-robin (as DeepStream 9.1: the next id after the last one handed out, modulo max-batch-size, skipping ids in use, so a removed source's id is not reused at once) or lowest-free (the lowest id not in use)",
                                type: BinEnum.sourceIdAllocation.gtype, defaultValue: 0)
        case .eventsMaxClients:
            return .uint(name: "events-max-clients", nick: "Event stream clients",
                         blurb: "Most GET /api/v1/events streams (Server-Sent Events) open at once, each with a REST worker of its own besides the ordinary ones (started with the server, used or not: raise it for more dashboards); more get 503. 0: no event streams. Read when the server starts",
                         min: 0, max: 1024, defaultValue: 32)
        case .eventsQueueSize:
            return .uint(name: "events-queue-size", nick: "Event stream queue",
                         blurb: "Notifications a GET /api/v1/events client may fall behind before its stream is closed (it resumes with Last-Event-ID; the last 1024 are kept). Read when the server starts",
                         min: 1, max: 1024, defaultValue: 256)
        case .strictHttpStatus:
            return .bool(name: "strict-http-status", nick: "Strict HTTP status",
                         blurb: "REST answers carry their outcome in the HTTP status line too (400, 404, 409, 429, 500, ...); false: status line 200 for every outcome of DeepStream's routes, the outcome only in the body's \"status\", as DeepStream 9.1 answers",
                         defaultValue: false)

        // DeepStream 9.1 additions.
        case .udpBufferSize:
            return .uint(name: "udp-buffer-size", nick: "UDP buffer size",
                         blurb: "UDP receive buffer of RTSP sources, bytes (rtspsrc udp-buffer-size)",
                         min: 0, max: UInt32.max, defaultValue: 524_288)
        case .dropOnLatency:
            return .bool(name: "drop-on-latency", nick: "Drop on latency",
                         blurb: "RTSP sources drop packets that arrive later than latency (rtspsrc drop-on-latency)",
                         defaultValue: true)
        case .bufferMode:
            return .enumeration(name: "buffer-mode", nick: "Buffer mode",
                                blurb: "Jitter buffer mode of RTSP sources (rtspsrc buffer-mode)",
                                type: BinEnum.bufferMode.gtype, defaultValue: 3)
        case .initRtspReconnectInterval:
            return .uint(name: "init-rtsp-reconnect-interval", nick: "RTSP reconnect interval after an error",
                         blurb: "Seconds before an RTSP source whose elements failed with an error is rebuilt (when rtsp-reconnect-interval > 0); 0 = rtsp-reconnect-interval",
                         min: 0, max: UInt32.max, defaultValue: 0)
        case .leaky:
            return .enumeration(name: "leaky", nick: "Leaky",
                                blurb: "Where DeepStream's queue in front of the decoder drops buffers; \(storedOnly) (this element has no such queue yet)",
                                type: BinEnum.leaky.gtype, defaultValue: 0)
        case .maxSizeBuffers:
            return .uint(name: "max-size-buffers", nick: "Max size buffers",
                         blurb: "Size of DeepStream's queue in front of the decoder, buffers; \(storedOnly) (this element has no such queue yet)",
                         min: 0, max: UInt32.max, defaultValue: 200)
        case .seiUuid:
            return .string(name: "sei-uuid", nick: "SEI UUID",
                           blurb: "\(nvidia) decoders; passed to a decoder with sei-uuid (nvv4l2decoder)", defaultValue: nil)
        case .extractSeiType5DataDec:
            return .bool(name: "extract-sei-type5-data-dec", nick: "Extract SEI type 5 data (decoder)",
                         blurb: "\(nvidia) decoders; passed to a decoder with extract-sei-type5-data (nvv4l2decoder)",
                         defaultValue: false)
        case .smartRecord:
            return .enumeration(name: "smart-record", nick: "Smart record",
                                blurb: "How smart record starts; smart record is \(storedOnly)",
                                type: BinEnum.smartRecordType.gtype, defaultValue: 0)
        case .smartRecContainer:
            return .enumeration(name: "smart-rec-container", nick: "Smart record container",
                                blurb: "Container of smart record files; smart record is \(storedOnly)",
                                type: BinEnum.smartRecordContainer.gtype, defaultValue: 0)
        case .smartRecMode:
            return .enumeration(name: "smart-rec-mode", nick: "Smart record mode",
                                blurb: "Streams smart record writes; smart record is \(storedOnly)",
                                type: BinEnum.smartRecordMode.gtype, defaultValue: 0)
        case .smartRecDirPath:
            return .string(name: "smart-rec-dir-path", nick: "Smart record folder",
                           blurb: "Folder of smart record files; smart record is \(storedOnly)", defaultValue: nil)
        case .smartRecFilePrefix:
            return .string(name: "smart-rec-file-prefix", nick: "Smart record file prefix",
                           blurb: "File name prefix of smart record files; smart record is \(storedOnly)",
                           defaultValue: "Smart_Record")
        case .smartRecVideoCache:
            return .uint(name: "smart-rec-video-cache", nick: "Smart record video cache",
                         blurb: "Deprecated in DeepStream (use smart-rec-cache); smart record is \(storedOnly)",
                         min: 0, max: UInt32.max, defaultValue: 20)
        case .smartRecCache:
            return .uint(name: "smart-rec-cache", nick: "Smart record cache",
                         blurb: "Seconds of stream kept before a recording starts; smart record is \(storedOnly)",
                         min: 0, max: UInt32.max, defaultValue: 20)
        case .smartRecDefaultDuration:
            return .uint(name: "smart-rec-default-duration", nick: "Smart record default duration",
                         blurb: "Seconds recorded when no duration is given; smart record is \(storedOnly)",
                         min: 0, max: UInt32.max, defaultValue: 20)
        case .ipcBufferTimestampCopy:
            return .bool(name: "ipc-buffer-timestamp-copy", nick: "IPC buffer timestamp copy",
                         blurb: "Keep the sender's timestamps on IPC sources; IPC sources (nvunixfdsrc) are \(storedOnly)",
                         defaultValue: false)
        case .ipcSocketPath:
            return .string(name: "ipc-socket-path", nick: "IPC socket path",
                           blurb: "Unix socket of IPC sources; IPC sources (nvunixfdsrc) are \(storedOnly)", defaultValue: nil)
        case .ipcConnectionAttempts:
            return .int(name: "ipc-connection-attempts", nick: "IPC connection attempts",
                        blurb: "Connection attempts of IPC sources (-1 = unlimited); IPC sources (nvunixfdsrc) are \(storedOnly)",
                        min: -1, max: Int32.max, defaultValue: -1)
        case .ipcConnectionInterval:
            return .uint64(name: "ipc-connection-interval", nick: "IPC connection interval",
                           blurb: "Microseconds between connection attempts of IPC sources; IPC sources (nvunixfdsrc) are \(storedOnly)",
                           min: 0, max: UInt64.max, defaultValue: 1_000_000)
        case .sensorIdPadIdMapping:
            return .bool(name: "sensorID-padID-mapping", nick: "Sensor id to pad id mapping",
                         blurb: "Take a source's id (its muxer pad) from the digits of its camera_id; \(storedOnly) (ids are given in order)",
                         defaultValue: false)
        case .enableErrorPropagation:
            return .bool(name: "enable-error-propagation", nick: "Enable error propagation",
                         blurb: "Send source errors to a message broker (proto-lib, conn-str, topic); \(storedOnly)",
                         defaultValue: false)
        case .protoLib:
            return .string(name: "proto-lib", nick: "Protocol adapter library",
                           blurb: "Message broker adapter library for enable-error-propagation; \(storedOnly)", defaultValue: nil)
        case .connStr:
            return .string(name: "conn-str", nick: "Broker connection string",
                           blurb: "Message broker connection string for enable-error-propagation; \(storedOnly)", defaultValue: nil)
        case .topic:
            return .string(name: "topic", nick: "Broker topic",
                           blurb: "Message broker topic for enable-error-propagation (DeepStream: \"deepstream\" when unset); \(storedOnly)",
                           defaultValue: nil)
        case .simulateFpsIntervalMs:
            return .uint(name: "simulate-fps-interval-ms", nick: "Simulate FPS interval",
                         blurb: "DeepStream's frame pacing interval of sources, milliseconds; \(storedOnly)",
                         min: 0, max: 1000, defaultValue: 0)
        case .numSurfacesPerFrame:
            return .uint(name: "num-surfaces-per-frame", nick: "Surfaces per frame",
                         blurb: "Most surfaces per frame. \(muxerOnly)", min: 1, max: 4, defaultValue: 1)
        case .syncInputs:
            return .bool(name: "sync-inputs", nick: "Synchronise inputs",
                         blurb: "Batch the sources' frames by timestamp. \(muxerOnly)", defaultValue: false)
        case .bufferPoolSize:
            return .uint(name: "buffer-pool-size", nick: "Buffer pool size",
                         blurb: "Output buffers of the muxer's pool. \(muxerOnly)", min: 4, max: 1024, defaultValue: 4)
        case .maxLatency:
            return .uint(name: "max-latency", nick: "Maximum latency",
                         blurb: "Nanoseconds a frame may arrive after the sinks render it; later ones are dropped "
                             + "(swiftstreammux; nvstreammux has its own meaning). REST mux/max-latency also sets it. 0 = off",
                         min: 0, max: UInt32.max, defaultValue: 0)
        case .attachSysTs:
            return .bool(name: "attach-sys-ts", nick: "Attach system timestamp",
                         blurb: "Timestamp frames with the system time when no RTCP sender report says otherwise. \(muxerOnly)",
                         defaultValue: true)
        case .nvbufMemoryType:
            return .enumeration(name: "nvbuf-memory-type", nick: "NvBufSurface memory type",
                                blurb: "\(nvidia) memory; passed to a muxer with nvbuf-memory-type",
                                type: BinEnum.nvBufMemoryType.gtype, defaultValue: 0)
        case .computeHw:
            return .enumeration(name: "compute-hw", nick: "Compute hardware",
                                blurb: "\(nvidia) scaling hardware; passed to a muxer with compute-hw",
                                type: BinEnum.computeHw.gtype, defaultValue: 0)
        case .interpolationMethod:
            return .enumeration(name: "interpolation-method", nick: "Interpolation method",
                                blurb: "Scaling method of every source (videoconvertscale method: Nearest, Default → nearest-neighbour; Bilinear, Algo-4 → bilinear; Algo-1, Algo-2 → 4-tap; Algo-3 → Lanczos); also passed to a muxer with interpolation-method",
                                type: BinEnum.interpolationMethod.gtype, defaultValue: 1)
        case .frameNumResetOnEos:
            return .bool(name: "frame-num-reset-on-eos", nick: "Reset frame numbers on EOS",
                         blurb: "Restart a source's frame numbers at its EOS. \(muxerOnly)", defaultValue: false)
        case .frameNumResetOnStreamReset:
            return .bool(name: "frame-num-reset-on-stream-reset", nick: "Reset frame numbers on stream reset",
                         blurb: "Restart a source's frame numbers at a stream reset. \(muxerOnly)", defaultValue: false)
        case .frameDuration:
            return .int(name: "frame-duration", nick: "Frame duration",
                        blurb: "Frame duration for NTP timestamp correction, ms (0 = from the stream, -1 = off). \(muxerOnly)",
                        min: -1, max: Int32.max, defaultValue: 0)
        case .asyncProcess:
            return .bool(name: "async-process", nick: "Asynchronous processing",
                         blurb: "Process the muxer's buffers asynchronously. \(muxerOnly)", defaultValue: true)
        case .extractSeiType5Data:
            return .bool(name: "extract-sei-type5-data", nick: "Extract SEI type 5 data",
                         blurb: "Attach SEI type 5 data to frames. \(muxerOnly)", defaultValue: false)
        case .sortBatch:
            return .bool(name: "sort-batch", nick: "Sort batch",
                         blurb: "Order each batch by pad id. \(muxerOnly)", defaultValue: false)
        case .cacheBuffer:
            return .bool(name: "cache-buffer", nick: "Cache buffer",
                         blurb: "Repeat a source's last frame when its next one is late. \(muxerOnly)", defaultValue: false)
        case .cacheBufferTimeout:
            return .int(name: "cache-buffer-timeout", nick: "Cache buffer timeout",
                        blurb: "How long cache-buffer repeats a frame, microseconds (-1 = forever). \(muxerOnly)",
                        min: -1, max: Int32.max, defaultValue: -1)
        case .extractSeiSimTime:
            return .bool(name: "extract-sei-sim-time", nick: "Extract SEI simulation time",
                         blurb: "Take timestamps from SEI simulation time. \(muxerOnly)", defaultValue: false)
        case .alignFirstBuffer:
            return .bool(name: "align-first-buffer", nick: "Align first buffer",
                         blurb: "Align the sources' first frames in the first batch. \(muxerOnly)", defaultValue: false)
        case .syncInputsNtp:
            return .int(name: "sync-inputs-ntp", nick: "Synchronise inputs by NTP",
                        blurb: "Largest NTP timestamp difference batched together, microseconds (0 = off). \(muxerOnly)",
                        min: 0, max: Int32.max, defaultValue: 0)
        case .stateFile:
            return .string(name: "state-file", nick: "State file",
                           blurb: "JSON file keeping the sensors added over REST (written atomically at every stream/add and stream/remove; mode 0600, it holds camera URLs); read on NULL->READY, its sensors added after uri-list's; unreadable or corrupt: the state change fails. Empty: off",
                           defaultValue: nil)
        case .propertyAllowList:
            return .string(name: "property-allow-list", nick: "Property allow list",
                           blurb: "Comma separated element.property patterns ('*' matches any text, e.g. osd.*) that REST element/set-property and element/get-property may use on elements of the pipeline, found by name; others get 403. Empty: none",
                           defaultValue: nil)
        case .dropBackwardSei:
            return .bool(name: "drop-backward-sei", nick: "Drop backward SEI",
                         blurb: "Drop frames whose SEI timestamp goes backwards. \(muxerOnly)", defaultValue: false)
        case .tlsCertificate:
            return .string(name: "tls-certificate", nick: "TLS certificate",
                           blurb: "PEM file holding the REST server's certificate and its private key; when set, the port speaks HTTPS only (TLS 1.2 or newer) and a missing or bad file fails the start. Empty: plain HTTP",
                           defaultValue: nil)
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
