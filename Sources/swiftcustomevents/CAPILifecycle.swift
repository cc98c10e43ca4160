import CGStreamer
import GstSwiftBridge

// The lifecycle half of the C API (DeepStream's gst-nvevent.h names), same
// rules as CAPIControl.swift. The segment handed out by
// gst_nvevent_parse_stream_segment points into the event and lives as long
// as the event: DeepStream callers read it without freeing it.

@_cdecl("gst_nvevent_new_pad_added")
public func gst_nvevent_new_pad_added(_ sourceId: guint) -> UnsafeMutablePointer<GstEvent>? {
    LifecycleEvent.padAdded(sourceId: sourceId).makeEvent()
}

@_cdecl("gst_nvevent_new_pad_deleted")
public func gst_nvevent_new_pad_deleted(_ sourceId: guint) -> UnsafeMutablePointer<GstEvent>? {
    LifecycleEvent.padDeleted(sourceId: sourceId).makeEvent()
}

@_cdecl("gst_nvevent_new_stream_eos")
public func gst_nvevent_new_stream_eos(_ sourceId: guint) -> UnsafeMutablePointer<GstEvent>? {
    LifecycleEvent.streamEos(sourceId: sourceId).makeEvent()
}

@_cdecl("gst_nvevent_new_stream_segment")
public func gst_nvevent_new_stream_segment(_ sourceId: guint,
                                           _ segment: UnsafeMutablePointer<GstSegment>?) -> UnsafeMutablePointer<GstEvent>? {
    guard let segment else { return nil }
    return LifecycleEvent.makeStreamSegment(sourceId: sourceId, segment: segment)
}

@_cdecl("gst_nvevent_new_stream_reset")
public func gst_nvevent_new_stream_reset(_ sourceId: guint) -> UnsafeMutablePointer<GstEvent>? {
    LifecycleEvent.streamReset(sourceId: sourceId).makeEvent()
}

@_cdecl("gst_nvevent_new_stream_start")
public func gst_nvevent_new_stream_start(_ sourceId: guint,
                                         _ streamId: UnsafeMutablePointer<gchar>?) -> UnsafeMutablePointer<GstEvent>? {
    LifecycleEvent.streamStart(sourceId: sourceId, streamId: cText(streamId)).makeEvent()
}

@_cdecl("gst_nvevent_parse_pad_added")
public func gst_nvevent_parse_pad_added(_ event: UnsafeMutablePointer<GstEvent>?,
                                        _ sourceId: UnsafeMutablePointer<guint>?) {
    guard let parsed = parseLifecycle(event, .padAdded) else { return }
    store(parsed.sourceId, sourceId)
}

@_cdecl("gst_nvevent_parse_pad_deleted")
public func gst_nvevent_parse_pad_deleted(_ event: UnsafeMutablePointer<GstEvent>?,
                                          _ sourceId: UnsafeMutablePointer<guint>?) {
    guard let parsed = parseLifecycle(event, .padDeleted) else { return }
    store(parsed.sourceId, sourceId)
}

@_cdecl("gst_nvevent_parse_stream_eos")
public func gst_nvevent_parse_stream_eos(_ event: UnsafeMutablePointer<GstEvent>?,
                                         _ sourceId: UnsafeMutablePointer<guint>?) {
    guard let parsed = parseLifecycle(event, .streamEos) else { return }
    store(parsed.sourceId, sourceId)
}

@_cdecl("gst_nvevent_parse_stream_segment")
public func gst_nvevent_parse_stream_segment(_ event: UnsafeMutablePointer<GstEvent>?,
                                             _ sourceId: UnsafeMutablePointer<guint>?,
                                             _ segment: UnsafeMutablePointer<UnsafeMutablePointer<GstSegment>?>?) {
    guard let parsed = parseLifecycle(event, .streamSegment), let event,
          let inside = LifecycleEvent.segmentPointer(of: event)
    else { return }
    store(parsed.sourceId, sourceId)
    segment?.pointee = UnsafeMutablePointer(mutating: inside)
}

@_cdecl("gst_nvevent_parse_stream_reset")
public func gst_nvevent_parse_stream_reset(_ event: UnsafeMutablePointer<GstEvent>?,
                                           _ sourceId: UnsafeMutablePointer<guint>?) {
    guard let parsed = parseLifecycle(event, .streamReset) else { return }
    store(parsed.sourceId, sourceId)
}

@_cdecl("gst_nvevent_parse_stream_start")
public func gst_nvevent_parse_stream_start(_ event: UnsafeMutablePointer<GstEvent>?,
                                           _ sourceId: UnsafeMutablePointer<guint>?,
                                           _ streamId: UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>?) {
    guard case let .streamStart(id, stream)? = parseLifecycle(event, .streamStart) else { return }
    store(id, sourceId)
    storeCopy(stream, streamId)
}
