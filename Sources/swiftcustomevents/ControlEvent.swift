/// One rectangle of an ROI update (DeepStream's RoiDimension).
public struct RoiRect: Sendable, Equatable {
    public var roiId: String
    public var left: UInt32
    public var top: UInt32
    public var width: UInt32
    public var height: UInt32

    public init(roiId: String, left: UInt32, top: UInt32, width: UInt32, height: UInt32) {
        self.roiId = roiId
        self.left = left
        self.top = top
        self.width = width
        self.height = height
    }
}

/// The control events of DeepStream (type values 406-410 and 500-506), as
/// typed values. `stream_id` is the decimal source id as a string.
public enum ControlEvent: Sendable, Equatable {
    case roiUpdate(streamId: String, rois: [RoiRect])
    case inferIntervalUpdate(streamId: String, interval: UInt32)
    case osdProcessModeUpdate(streamId: String, processMode: UInt32)
    case analyticsReloadConfig(configFilePath: String)
    case trackerConfigUpdate(streamId: String, configPath: String)
    case decDropFrameInterval(streamId: String, interval: UInt32)
    case decSkipFrame(streamId: String, frameType: UInt32)
    case decLowLatencyMode(streamId: String, enable: Int32)
    case encBitrate(streamId: String, bitrate: UInt32)
    case encForceIdr(streamId: String, force: Int32)
    case encForceIntra(streamId: String, force: Int32)
    case encIframeInterval(streamId: String, interval: UInt32)
}

/// The per-source lifecycle events a DeepStream muxer sends downstream
/// (type values 400-405).
public enum LifecycleEvent: Sendable, Equatable {
    case padAdded(sourceId: UInt32)
    case padDeleted(sourceId: UInt32)
    case streamEos(sourceId: UInt32)
    case streamSegment(sourceId: UInt32)
    case streamReset(sourceId: UInt32)
    case streamStart(sourceId: UInt32, streamId: String)
}
