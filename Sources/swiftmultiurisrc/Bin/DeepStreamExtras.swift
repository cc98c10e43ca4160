import CGStreamer
import GstSwiftBridge

/// The nvmultiurisrcbin 9.1 properties this element took on for DeepStream
/// applications (issue 10), beyond the ones it had: `Settings.deepStream`.
/// Each field is one property; its spec, and whether it acts here, is in
/// `BinProperty` (Settings.swift). Enum fields hold the GEnum value.
struct DeepStreamExtras: Sendable, Equatable {
    // MARK: RTSP sources (set on rtspsrc in source-setup)

    /// `udp-buffer-size`: rtspsrc's UDP receive buffer, bytes.
    var udpBufferSize: UInt32 = 524_288
    /// `drop-on-latency`: rtspsrc drops packets that arrive later than `latency`.
    var dropOnLatency = true
    /// `buffer-mode` (BinEnum.bufferMode): rtspsrc's jitter buffer mode.
    var bufferMode: UInt32 = 3
    /// `init-rtsp-reconnect-interval`: seconds before an RTSP source whose
    /// elements failed with an error is rebuilt (0: rtsp-reconnect-interval).
    var initRtspReconnectInterval: UInt32 = 0

    // MARK: The queue in front of the decoder (not built yet)

    /// `leaky` (BinEnum.leaky). Stored; this element has no such queue yet.
    var leaky: UInt32 = 0
    /// `max-size-buffers`. Stored; this element has no such queue yet.
    var maxSizeBuffers: UInt32 = 200

    // MARK: NVIDIA decoders

    /// `sei-uuid`: passed to a decoder with that property (nvv4l2decoder).
    var seiUuid: String? = nil
    /// `extract-sei-type5-data-dec`: passed to a decoder with
    /// `extract-sei-type5-data` (nvv4l2decoder).
    var extractSeiType5DataDec = false

    // MARK: Smart record (not supported yet)

    /// `smart-record` (BinEnum.smartRecordType).
    var smartRecord: UInt32 = 0
    /// `smart-rec-container` (BinEnum.smartRecordContainer).
    var smartRecContainer: UInt32 = 0
    /// `smart-rec-mode` (BinEnum.smartRecordMode).
    var smartRecMode: UInt32 = 0
    /// `smart-rec-dir-path`.
    var smartRecDirPath: String? = nil
    /// `smart-rec-file-prefix`.
    var smartRecFilePrefix: String? = "Smart_Record"
    /// `smart-rec-video-cache` (deprecated in DeepStream: smart-rec-cache).
    var smartRecVideoCache: UInt32 = 20
    /// `smart-rec-cache`, seconds.
    var smartRecCache: UInt32 = 20
    /// `smart-rec-default-duration`, seconds.
    var smartRecDefaultDuration: UInt32 = 20

    // MARK: IPC sources (nvunixfdsrc; not supported yet)

    /// `ipc-buffer-timestamp-copy`.
    var ipcBufferTimestampCopy = false
    /// `ipc-socket-path`.
    var ipcSocketPath: String? = nil
    /// `ipc-connection-attempts` (-1 = unlimited).
    var ipcConnectionAttempts: Int32 = -1
    /// `ipc-connection-interval`, microseconds.
    var ipcConnectionInterval: UInt64 = 1_000_000

    // MARK: Other source options (not supported yet)

    /// `sensorID-padID-mapping`: source id from the digits of camera_id.
    var sensorIdPadIdMapping = false
    /// `enable-error-propagation`: errors sent to a message broker.
    var enableErrorPropagation = false
    /// `proto-lib`: the broker's protocol adapter library.
    var protoLib: String? = nil
    /// `conn-str`: the broker's connection string.
    var connStr: String? = nil
    /// `topic`: the broker topic (DeepStream uses "deepstream" when unset).
    var topic: String? = nil
    /// `simulate-fps-interval-ms`.
    var simulateFpsIntervalMs: UInt32 = 0

    // MARK: Muxer (passed to a muxer with a property of the same name)

    /// `num-surfaces-per-frame`, 1-4.
    var numSurfacesPerFrame: UInt32 = 1
    /// `sync-inputs`.
    var syncInputs = false
    /// `buffer-pool-size`, 4-1024.
    var bufferPoolSize: UInt32 = 4
    /// `max-latency`, nanoseconds (also set by REST mux/max-latency).
    var maxLatency: UInt32 = 0
    /// `attach-sys-ts`.
    var attachSysTs = true
    /// `nvbuf-memory-type` (BinEnum.nvBufMemoryType).
    var nvbufMemoryType: UInt32 = 0
    /// `compute-hw` (BinEnum.computeHw).
    var computeHw: UInt32 = 0
    /// `interpolation-method` (BinEnum.interpolationMethod); also the
    /// scaling method of every source's videoconvertscale.
    var interpolationMethod: UInt32 = 1
    /// `frame-num-reset-on-eos`.
    var frameNumResetOnEos = false
    /// `frame-num-reset-on-stream-reset`.
    var frameNumResetOnStreamReset = false
    /// `frame-duration`, ms (0 = auto, -1 = off).
    var frameDuration: Int32 = 0
    /// `async-process`.
    var asyncProcess = true
    /// `extract-sei-type5-data` (the muxer's).
    var extractSeiType5Data = false
    /// `sort-batch`.
    var sortBatch = false
    /// `cache-buffer`.
    var cacheBuffer = false
    /// `cache-buffer-timeout`, µs (-1 = wait forever).
    var cacheBufferTimeout: Int32 = -1
    /// `extract-sei-sim-time`.
    var extractSeiSimTime = false
    /// `align-first-buffer`.
    var alignFirstBuffer = false
    /// `sync-inputs-ntp`, µs.
    var syncInputsNtp: Int32 = 0
    /// `drop-backward-sei`.
    var dropBackwardSei = false
}

/// The element's enum GTypes. Values and nicks are DeepStream's, so that
/// applications passing numbers or gst-launch lines passing nicks work; the
/// type names are this plugin's own, so nvmultiurisrcbin can be loaded in
/// the same process.
enum BinEnum: CaseIterable {
    case mode, skipFrames, rtpProtocol, leaky, bufferMode
    case smartRecordType, smartRecordMode, smartRecordContainer
    case cudaDecMemType, nvBufMemoryType, computeHw, interpolationMethod
    /// Ours: how source ids are handed out.
    case sourceIdAllocation

    var typeName: String {
        switch self {
        case .mode: "GstSwiftMultiUriSrcBinMode"
        case .skipFrames: "GstSwiftMultiUriSrcBinSkipFrames"
        case .rtpProtocol: "GstSwiftMultiUriSrcBinRtpProtocol"
        case .leaky: "GstSwiftMultiUriSrcBinLeaky"
        case .bufferMode: "GstSwiftMultiUriSrcBinBufferMode"
        case .smartRecordType: "GstSwiftMultiUriSrcBinSmartRecordType"
        case .smartRecordMode: "GstSwiftMultiUriSrcBinSmartRecordMode"
        case .smartRecordContainer: "GstSwiftMultiUriSrcBinSmartRecordContainer"
        case .cudaDecMemType: "GstSwiftMultiUriSrcBinCudaDecMemType"
        case .nvBufMemoryType: "GstSwiftMultiUriSrcBinNvBufMemoryType"
        case .computeHw: "GstSwiftMultiUriSrcBinComputeHw"
        case .interpolationMethod: "GstSwiftMultiUriSrcBinInterpolationMethod"
        case .sourceIdAllocation: "GstSwiftMultiUriSrcBinSourceIdAllocation"
        }
    }

    /// (value, name, nick) of every value.
    var values: [(value: gint, name: String, nick: String)] {
        switch self {
        case .mode:
            [(0, "Video", "video"), (1, "Audio", "audio")]
        case .skipFrames:
            [(0, "Decode every frame", "decode_all"),
             (1, "Skip non-reference frames", "decode_non_ref"),
             (2, "Decode key frames only", "decode_key")]
        case .rtpProtocol:
            [(0, "Unknown (rtspsrc's own choice)", "rtp-unknown"),
             (1, "UDP unicast", "rtp-udp"),
             (2, "UDP multicast", "rtp-udp-mcast"),
             (4, "Interleaved TCP", "rtp-tcp"),
             (7, "UDP unicast, UDP multicast or TCP", "rtp-udp-udpmcast-tcp"),
             (10, "TCP tunnelled over HTTP", "rtp-http"),
             (20, "TCP over TLS", "rtp-tls")]
        case .leaky:
            [(0, "Never drop", "no-leak"),
             (1, "Drop incoming buffers when full", "upstream-leak"),
             (2, "Drop the oldest buffers when full", "downstream-leak")]
        case .bufferMode:
            [(0, "RTP timestamps only", "unknown"),
             (1, "Follow the sender's clock", "slave"),
             (2, "Low and high watermark buffering", "buffer"),
             (3, "Chosen by whether the stream is live", "auto"),
             (4, "Sender and receiver clocks synchronised", "synced")]
        case .smartRecordType:
            [(0, "Smart record off", "smart-rec-disable"),
             (1, "Started by cloud messages", "smart-rec-cloud"),
             (2, "Started by cloud messages and local events", "smart-rec-multi")]
        case .smartRecordMode:
            [(0, "Audio and video", "smart-rec-mode-av"),
             (1, "Video only", "smart-rec-mode-video"),
             (2, "Audio only", "smart-rec-mode-audio")]
        case .smartRecordContainer:
            [(0, "MP4 file", "smart-rec-mp4"), (1, "Matroska file", "smart-rec-mkv")]
        case .cudaDecMemType:
            [(0, "CUDA device memory", "memtype_device"),
             (1, "Pinned host memory", "memtype_pinned"),
             (2, "CUDA unified memory", "memtype_unified")]
        case .nvBufMemoryType:
            [(0, "Platform default memory", "nvbuf-mem-default"),
             (1, "Pinned host CUDA memory", "nvbuf-mem-cuda-pinned"),
             (2, "CUDA device memory", "nvbuf-mem-cuda-device"),
             (3, "CUDA unified memory", "nvbuf-mem-cuda-unified"),
             (4, "Surface array memory (Jetson)", "nvbuf-mem-surface-array")]
        case .computeHw:
            [(0, "Platform default engine", "Default"),
             (1, "GPU (CUDA)", "GPU"),
             (2, "VIC (Jetson)", "VIC")]
        case .interpolationMethod:
            [(0, "Nearest neighbour", "Nearest"),
             (1, "Bilinear filter", "Bilinear"),
             (2, "GPU cubic, VIC 5 tap", "Algo-1"),
             (3, "GPU super sampling, VIC 10 tap", "Algo-2"),
             (4, "GPU Lanczos, VIC smart", "Algo-3"),
             (5, "VIC nicest (GPU: not used)", "Algo-4"),
             (6, "GPU nearest, VIC nearest (platform default)", "Default")]
        case .sourceIdAllocation:
            [(0, "Round robin from the last id handed out, skipping ids in use (DeepStream 9.1)", "round-robin"),
             (1, "Lowest id not in use", "lowest-free")]
        }
    }

    /// Registers the type on first use (class_init, under GObject's type
    /// lock); later calls return the registered one.
    var gtype: GType {
        let table = values
        let numbers = table.map(\.value)
        return table.map(\.name).withCStrings { names in
            table.map(\.nick).withCStrings { nicks in
                gsb_enum_register(typeName, guint(table.count), numbers, names, nicks)
            }
        }
    }
}

/// videoconvertscale's `method` for an nvvideoconvert-style
/// interpolation-method (0-6), as the REST route conv/interpolation-method
/// maps it; nil for other values.
func videoScaleMethod(forInterpolation method: UInt32) -> Int32? {
    let map: [UInt32: Int32] = [0: 0, 1: 1, 2: 2, 3: 2, 4: 3, 5: 1, 6: 1]
    return map[method]
}
