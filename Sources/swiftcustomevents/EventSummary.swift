import CGStreamer
import GstSwiftBridge

// One-line descriptions for logs, e.g.
// "ROI_UPDATE stream 0: 2 rois [0: 100,300 400x400] [1: 10,20 30x40]".

extension RoiRect: CustomStringConvertible {
    public var description: String {
        "[\(roiId): \(left),\(top) \(width)x\(height)]"
    }
}

extension ControlEvent: CustomStringConvertible {
    public var description: String {
        let head = "\(type.name) stream \(streamId ?? "-")"
        switch self {
        case let .roiUpdate(_, rois):
            let list = rois.map(\.description).joined(separator: " ")
            let noun = rois.count == 1 ? "roi" : "rois"
            return rois.isEmpty ? "\(head): 0 rois" : "\(head): \(rois.count) \(noun) \(list)"
        case let .inferIntervalUpdate(_, interval), let .decDropFrameInterval(_, interval),
             let .encIframeInterval(_, interval):
            return "\(head): interval \(interval)"
        case let .osdProcessModeUpdate(_, mode):
            return "\(head): process mode \(mode)"
        case let .analyticsReloadConfig(path):
            return "\(type.name): config file \(path)"
        case let .trackerConfigUpdate(_, path):
            return "\(head): config \(path)"
        case let .decSkipFrame(_, frameType):
            return "\(head): skip frames \(frameType)"
        case let .decLowLatencyMode(_, enable):
            return "\(head): low latency \(enable != 0 ? "on" : "off")"
        case let .encBitrate(_, bitrate):
            return "\(head): bitrate \(bitrate)"
        case let .encForceIdr(_, force), let .encForceIntra(_, force):
            return "\(head): force \(force)"
        }
    }
}

extension LifecycleEvent: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .streamStart(sourceId, streamId):
            "\(type.name) source \(sourceId): stream-id \(streamId)"
        default:
            "\(type.name) source \(sourceId)"
        }
    }

    /// Like `description`, with the segment of a STREAM_SEGMENT event.
    public static func describe(_ event: UnsafeMutablePointer<GstEvent>) -> String? {
        guard let parsed = LifecycleEvent(parsing: event) else { return nil }
        guard case .streamSegment = parsed, let segment = segmentPointer(of: event) else {
            return parsed.description
        }
        let format = gst_format_get_name(segment.pointee.format).map { String(cString: $0) } ?? "?"
        let start = segment.pointee.start
        return "\(parsed.description): \(format) segment start \(start) rate \(segment.pointee.rate)"
    }
}
