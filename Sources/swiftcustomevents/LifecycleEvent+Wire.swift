import CGStreamer
import GstSwiftBridge

/// Field names of the lifecycle events. DeepStream's helper library that
/// builds them is closed source; these follow the dash style of its other
/// muxer events ("stream-id", "width-val" in update-caps) and what tools
/// written against DeepStream read ("source-id").
enum LifecycleField {
    static let sourceId = "source-id"
    static let segment = "segment"
    static let streamId = "stream-id"
    /// Also accepted when reading, in case a producer used C-style names.
    static let sourceIdAlternative = "source_id"
    static let streamIdAlternative = "stream_id"
}

extension LifecycleEvent {
    public var type: CustomEventType {
        switch self {
        case .padAdded: .padAdded
        case .padDeleted: .padDeleted
        case .streamEos: .streamEos
        case .streamSegment: .streamSegment
        case .streamReset: .streamReset
        case .streamStart: .streamStart
        }
    }

    public var sourceId: UInt32 {
        switch self {
        case let .padAdded(id), let .padDeleted(id), let .streamEos(id),
             let .streamSegment(id), let .streamReset(id), let .streamStart(id, _):
            id
        }
    }

    /// Creates the event (a new reference). `.streamSegment` carries a
    /// fresh TIME segment here; a muxer forwarding a real segment uses
    /// `makeStreamSegment(sourceId:segment:)`.
    public func makeEvent() -> UnsafeMutablePointer<GstEvent> {
        switch self {
        case let .streamSegment(sourceId):
            var segment = GstSegment()
            gst_segment_init(&segment, GST_FORMAT_TIME)
            return Self.makeStreamSegment(sourceId: sourceId, segment: &segment)
        case let .streamStart(sourceId, streamId):
            let s = Self.writer(.streamStart, sourceId)
            s.set(LifecycleField.streamId, string: streamId)
            return s.makeEvent(.streamStart)
        default:
            return Self.writer(type, sourceId).makeEvent(type)
        }
    }

    /// STREAM_SEGMENT with a copy of `segment` (the upstream segment of that
    /// source).
    public static func makeStreamSegment(sourceId: UInt32,
                                         segment: UnsafePointer<GstSegment>) -> UnsafeMutablePointer<GstEvent> {
        let s = writer(.streamSegment, sourceId)
        s.set(LifecycleField.segment, segment: segment)
        return s.makeEvent(.streamSegment)
    }

    /// The segment of a STREAM_SEGMENT event, copied; nil for other events
    /// or when the field is missing or not a GstSegment.
    public static func segment(of event: UnsafeMutablePointer<GstEvent>) -> GstSegment? {
        segmentPointer(of: event)?.pointee
    }

    /// The segment inside the event, without a copy: valid while the event
    /// lives (what DeepStream's parse function hands out).
    static func segmentPointer(of event: UnsafeMutablePointer<GstEvent>) -> UnsafePointer<GstSegment>? {
        guard gsb_event_type(event).rawValue == CustomEventType.streamSegment.rawValue,
              let s = StructureReader(event: event)
        else { return nil }
        return s.segment(LifecycleField.segment)
    }

    /// Reads a lifecycle event; nil for any other event and for malformed
    /// ones (no source id, a STREAM_START without stream id, a structure
    /// named for another event). The structure name may carry the
    /// "-<source id>" suffix or not. Does not take ownership of `event`.
    public init?(parsing event: UnsafeMutablePointer<GstEvent>) {
        guard let type = CustomEventType(eventType: gsb_event_type(event).rawValue),
              type.isLifecycle
        else { return nil }
        guard let s = StructureReader(event: event), Self.nameMatches(s.name, type) else {
            EventsLog.debug("\(type.name) event without a \(type.structureName) structure")
            return nil
        }
        guard let sourceId = s.uint(LifecycleField.sourceId) ?? s.uint(LifecycleField.sourceIdAlternative) else {
            EventsLog.debug("\(type.structureName) event without a uint source id")
            return nil
        }
        switch type {
        case .padAdded: self = .padAdded(sourceId: sourceId)
        case .padDeleted: self = .padDeleted(sourceId: sourceId)
        case .streamEos: self = .streamEos(sourceId: sourceId)
        case .streamSegment: self = .streamSegment(sourceId: sourceId)
        case .streamReset: self = .streamReset(sourceId: sourceId)
        case .streamStart:
            guard let streamId = s.string(LifecycleField.streamId)
                    ?? s.string(LifecycleField.streamIdAlternative)
            else {
                EventsLog.debug("\(type.structureName) event without a stream id string")
                return nil
            }
            self = .streamStart(sourceId: sourceId, streamId: streamId)
        default:
            return nil
        }
    }

    private static func writer(_ type: CustomEventType, _ sourceId: UInt32) -> StructureWriter {
        let s = StructureWriter(name: type.structureName(sourceId: sourceId))
        s.set(LifecycleField.sourceId, uint: sourceId)
        return s
    }

    private static func nameMatches(_ name: String, _ type: CustomEventType) -> Bool {
        name == type.structureName || name.hasPrefix(type.structureName + "-")
    }
}
