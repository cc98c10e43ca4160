import CGStreamer
import GstSwiftBridge

/// Field names of the control events, exactly as DeepStream spells them
/// (note "roi-count" with a dash next to "stream_id" with an underscore).
enum ControlField {
    static let streamId = "stream_id"
    static let roiCount = "roi-count"
    static func roiId(_ i: Int) -> String { "roi_id_\(i)" }
    static func left(_ i: Int) -> String { "left_\(i)" }
    static func top(_ i: Int) -> String { "top_\(i)" }
    static func width(_ i: Int) -> String { "width_\(i)" }
    static func height(_ i: Int) -> String { "height_\(i)" }
    static let interval = "interval"
    static let processMode = "process_mode"
    static let configFilePath = "config_file_path"
    static let configPath = "config_path"
    static let frameType = "frame_type"
    static let enable = "enable"
    static let bitrate = "bitrate"
    static let force = "force"
}

extension ControlEvent {
    /// The GstEventType of this event.
    public var type: CustomEventType {
        switch self {
        case .roiUpdate: .roiUpdate
        case .inferIntervalUpdate: .inferIntervalUpdate
        case .osdProcessModeUpdate: .osdProcessModeUpdate
        case .analyticsReloadConfig: .analyticsReloadConfigUpdate
        case .trackerConfigUpdate: .nvtrackerConfigUpdate
        case .decDropFrameInterval: .decDropFrameIntervalUpdate
        case .decSkipFrame: .decSkipFrameUpdate
        case .decLowLatencyMode: .decEnableLowLatencyMode
        case .encBitrate: .encBitrateUpdate
        case .encForceIdr: .encForceIdr
        case .encForceIntra: .encForceIntra
        case .encIframeInterval: .encIframeIntervalUpdate
        }
    }

    /// The stream the event is for; nil for the analytics reload, which has
    /// no stream_id field.
    public var streamId: String? {
        switch self {
        case let .roiUpdate(id, _), let .inferIntervalUpdate(id, _),
             let .osdProcessModeUpdate(id, _), let .trackerConfigUpdate(id, _),
             let .decDropFrameInterval(id, _), let .decSkipFrame(id, _),
             let .decLowLatencyMode(id, _), let .encBitrate(id, _),
             let .encForceIdr(id, _), let .encForceIntra(id, _),
             let .encIframeInterval(id, _):
            id
        case .analyticsReloadConfig:
            nil
        }
    }

    /// Creates the GstEvent DeepStream would create for this value (a new
    /// reference, to push or unref).
    public func makeEvent() -> UnsafeMutablePointer<GstEvent> {
        let s = StructureWriter(name: type.structureName)
        switch self {
        case let .roiUpdate(streamId, rois):
            s.set(ControlField.streamId, string: streamId)
            s.set(ControlField.roiCount, uint: UInt32(clamping: rois.count))
            for (i, roi) in rois.enumerated() {
                s.set(ControlField.roiId(i), string: roi.roiId)
                s.set(ControlField.left(i), uint: roi.left)
                s.set(ControlField.top(i), uint: roi.top)
                s.set(ControlField.width(i), uint: roi.width)
                s.set(ControlField.height(i), uint: roi.height)
            }
        case let .inferIntervalUpdate(streamId, interval),
             let .decDropFrameInterval(streamId, interval),
             let .encIframeInterval(streamId, interval):
            s.set(ControlField.streamId, string: streamId)
            s.set(ControlField.interval, uint: interval)
        case let .osdProcessModeUpdate(streamId, processMode):
            s.set(ControlField.streamId, string: streamId)
            s.set(ControlField.processMode, uint: processMode)
        case let .analyticsReloadConfig(configFilePath):
            s.set(ControlField.configFilePath, string: configFilePath)
        case let .trackerConfigUpdate(streamId, configPath):
            s.set(ControlField.streamId, string: streamId)
            s.set(ControlField.configPath, string: configPath)
        case let .decSkipFrame(streamId, frameType):
            s.set(ControlField.streamId, string: streamId)
            s.set(ControlField.frameType, uint: frameType)
        case let .decLowLatencyMode(streamId, enable):
            s.set(ControlField.streamId, string: streamId)
            s.set(ControlField.enable, int: enable)
        case let .encBitrate(streamId, bitrate):
            s.set(ControlField.streamId, string: streamId)
            s.set(ControlField.bitrate, uint: bitrate)
        case let .encForceIdr(streamId, force), let .encForceIntra(streamId, force):
            s.set(ControlField.streamId, string: streamId)
            s.set(ControlField.force, int: force)
        }
        return s.makeEvent(type)
    }

    /// Reads a control event. nil for any other event, and for one of a
    /// control type whose structure has another name, misses a field or has
    /// a field of the wrong type. Does not take ownership of `event`.
    public init?(parsing event: UnsafeMutablePointer<GstEvent>) {
        guard let type = CustomEventType(eventType: gsb_event_type(event).rawValue),
              !type.isLifecycle
        else { return nil }
        guard let s = StructureReader(event: event), s.name == type.structureName else {
            EventsLog.debug("\(type.name) event without a \(type.structureName) structure")
            return nil
        }
        guard let parsed = Self.parse(type, s) else {
            EventsLog.debug("malformed \(type.structureName) event: a field is missing or mistyped")
            return nil
        }
        self = parsed
    }

    private static func parse(_ type: CustomEventType, _ s: StructureReader) -> ControlEvent? {
        if type == .analyticsReloadConfigUpdate {
            return s.string(ControlField.configFilePath).map { .analyticsReloadConfig(configFilePath: $0) }
        }
        guard let id = s.string(ControlField.streamId) else { return nil }
        switch type {
        case .roiUpdate:
            return parseRois(s).map { .roiUpdate(streamId: id, rois: $0) }
        case .inferIntervalUpdate:
            return s.uint(ControlField.interval).map { .inferIntervalUpdate(streamId: id, interval: $0) }
        case .osdProcessModeUpdate:
            return s.uint(ControlField.processMode).map { .osdProcessModeUpdate(streamId: id, processMode: $0) }
        case .nvtrackerConfigUpdate:
            return s.string(ControlField.configPath).map { .trackerConfigUpdate(streamId: id, configPath: $0) }
        case .decDropFrameIntervalUpdate:
            return s.uint(ControlField.interval).map { .decDropFrameInterval(streamId: id, interval: $0) }
        case .decSkipFrameUpdate:
            return s.uint(ControlField.frameType).map { .decSkipFrame(streamId: id, frameType: $0) }
        case .decEnableLowLatencyMode:
            return s.int(ControlField.enable).map { .decLowLatencyMode(streamId: id, enable: $0) }
        case .encBitrateUpdate:
            return s.uint(ControlField.bitrate).map { .encBitrate(streamId: id, bitrate: $0) }
        case .encForceIdr:
            return s.int(ControlField.force).map { .encForceIdr(streamId: id, force: $0) }
        case .encForceIntra:
            return s.int(ControlField.force).map { .encForceIntra(streamId: id, force: $0) }
        case .encIframeIntervalUpdate:
            return s.uint(ControlField.interval).map { .encIframeInterval(streamId: id, interval: $0) }
        case .analyticsReloadConfigUpdate, .padAdded, .padDeleted, .streamEos,
             .streamSegment, .streamReset, .streamStart:
            return nil
        }
    }

    /// The ROI list of an update; nil unless all `roi-count` rectangles are
    /// complete. The count is checked against the number of fields first, so
    /// a forged huge count costs nothing.
    private static func parseRois(_ s: StructureReader) -> [RoiRect]? {
        guard let count = s.uint(ControlField.roiCount) else { return nil }
        let fieldsPerRoi = 5
        guard Int(count) <= (s.fieldCount - 2) / fieldsPerRoi else { return nil }
        var rois: [RoiRect] = []
        rois.reserveCapacity(Int(count))
        for i in 0..<Int(count) {
            guard let roiId = s.string(ControlField.roiId(i)),
                  let left = s.uint(ControlField.left(i)),
                  let top = s.uint(ControlField.top(i)),
                  let width = s.uint(ControlField.width(i)),
                  let height = s.uint(ControlField.height(i))
            else { return nil }
            rois.append(RoiRect(roiId: roiId, left: left, top: top, width: width, height: height))
        }
        return rois
    }
}
