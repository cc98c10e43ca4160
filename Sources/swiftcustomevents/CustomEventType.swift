/// The GstEventType values of DeepStream's custom events.
///
/// GStreamer packs an event type as `(number << 8) | flags`
/// (GST_EVENT_MAKE_TYPE). The raw values here are the packed numbers
/// DeepStream elements compare GST_EVENT_TYPE() against, so they must never
/// change: a C element built for DeepStream sees our events as its own.
public enum CustomEventType: UInt32, CaseIterable, Sendable {
    // Per-source lifecycle, sent by the muxer (400-405). Since DeepStream 6.3
    // they are sticky (STICKY | STICKY_MULTI) so that a leaky queue cannot
    // lose them.
    case padAdded = 102430
    case padDeleted = 102686
    case streamEos = 102942
    case streamSegment = 103198
    case streamReset = 103454
    case streamStart = 103710

    // Control events (406-410 and 500-506): DOWNSTREAM | SERIALIZED only.
    case roiUpdate = 103942
    case inferIntervalUpdate = 104198
    case osdProcessModeUpdate = 104454
    case analyticsReloadConfigUpdate = 104710
    case nvtrackerConfigUpdate = 104966
    case decDropFrameIntervalUpdate = 128006
    case decSkipFrameUpdate = 128262
    case decEnableLowLatencyMode = 128518
    case encBitrateUpdate = 128774
    case encForceIdr = 129030
    case encForceIntra = 129286
    case encIframeIntervalUpdate = 129542

    /// GstEventTypeFlags bits (GST_EVENT_TYPE_DOWNSTREAM and friends).
    public enum Flag {
        public static let upstream: UInt32 = 1
        public static let downstream: UInt32 = 2
        public static let serialized: UInt32 = 4
        public static let sticky: UInt32 = 8
        public static let stickyMulti: UInt32 = 16
    }

    /// GST_EVENT_MAKE_TYPE.
    public static func makeType(number: UInt32, flags: UInt32) -> UInt32 {
        (number << 8) | flags
    }

    /// Finds the type of a raw GstEventType value; nil for every other event.
    public init?(eventType raw: UInt32) {
        self.init(rawValue: raw)
    }

    /// The event number (400...410, 500...506).
    public var number: UInt32 { rawValue >> 8 }

    /// The flag bits of the type.
    public var flags: UInt32 { rawValue & 0xff }

    public var isLifecycle: Bool {
        switch self {
        case .padAdded, .padDeleted, .streamEos, .streamSegment, .streamReset, .streamStart:
            true
        default:
            false
        }
    }

    /// DeepStream's name of the event (GST_NVEVENT_<name>).
    public var name: String {
        switch self {
        case .padAdded: "PAD_ADDED"
        case .padDeleted: "PAD_DELETED"
        case .streamEos: "STREAM_EOS"
        case .streamSegment: "STREAM_SEGMENT"
        case .streamReset: "STREAM_RESET"
        case .streamStart: "STREAM_START"
        case .roiUpdate: "ROI_UPDATE"
        case .inferIntervalUpdate: "INFER_INTERVAL_UPDATE"
        case .osdProcessModeUpdate: "OSD_PROCESS_MODE_UPDATE"
        case .analyticsReloadConfigUpdate: "ANALYTICS_RELOAD_CONFIG_UPDATE"
        case .nvtrackerConfigUpdate: "NVTRACKER_CONFIG_UPDATE"
        case .decDropFrameIntervalUpdate: "DEC_DROP_FRAME_INTERVAL_UPDATE"
        case .decSkipFrameUpdate: "DEC_SKIP_FRAME_UPDATE"
        case .decEnableLowLatencyMode: "DEC_ENABLE_LOW_LATENCY_MODE"
        case .encBitrateUpdate: "ENC_BITRATE_UPDATE"
        case .encForceIdr: "ENC_FORCE_IDR"
        case .encForceIntra: "ENC_FORCE_INTRA"
        case .encIframeIntervalUpdate: "ENC_IFRAME_INTERVAL_UPDATE"
        }
    }

    /// The name of the event's GstStructure. For the lifecycle events this
    /// is the stem: each event appends "-<source id>" (see
    /// `structureName(sourceId:)`).
    public var structureName: String {
        switch self {
        case .padAdded: "nv-pad-added"
        case .padDeleted: "nv-pad-deleted"
        case .streamEos: "nv-stream-eos"
        case .streamSegment: "nv-stream-segment"
        case .streamReset: "nv-stream-reset"
        case .streamStart: "nv-stream-start"
        case .roiUpdate: "nv-roi-update"
        case .inferIntervalUpdate: "nv-infer-interval-update"
        case .osdProcessModeUpdate: "nv-osd-process-mode-update"
        // The underscore is DeepStream's spelling, not a typo of ours.
        case .analyticsReloadConfigUpdate: "nv-analytics-reload_config-update"
        case .nvtrackerConfigUpdate: "nv-tracker-config-update"
        case .decDropFrameIntervalUpdate: "nv-dec-drop-frame-interval-update"
        case .decSkipFrameUpdate: "nv-dec-skip-frame-update"
        case .decEnableLowLatencyMode: "nv-dec-enable-low-latency-mode"
        case .encBitrateUpdate: "nv-enc-bitrate-update"
        case .encForceIdr: "nv-enc-force-idr"
        case .encForceIntra: "nv-enc-force-intra"
        case .encIframeIntervalUpdate: "nv-enc-iframeinterval-update"
        }
    }

    /// The structure name a lifecycle event carries for one source. Sticky
    /// multi events are told apart by structure name, so a per-source name
    /// keeps one stored event per source on every pad instead of only the
    /// latest source's (DeepStream 6.3+ names them the same way).
    public func structureName(sourceId: UInt32) -> String {
        isLifecycle ? "\(structureName)-\(sourceId)" : structureName
    }
}
