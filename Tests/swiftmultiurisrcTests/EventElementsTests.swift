import CGStreamer
import GstSwiftBridge
import Synchronization
import Testing
import swiftcustomevents
@testable import swiftmultiurisrc

/// swiftroimeta, swiftinferinterval and swifteventlog in real pipelines:
/// videotestsrc frames get a GstSwiftSourceMeta from a probe (to play
/// several streams), control events are pushed between two chosen frames,
/// and an appsink shows what came out.
@Suite struct EventElementsTests {
    init() { TestGst.setUp() }

    // MARK: Registration

    @Test(arguments: ["swiftroimeta", "swiftinferinterval", "swifteventlog"])
    func elementIsRegisteredWithDocumentedProperties(_ name: String) throws {
        let factory = try #require(gst_element_factory_find(name), "\(name) is not registered")
        defer { gst_object_unref(UnsafeMutableRawPointer(factory)) }
        let element = try #require(gst_element_factory_create(factory, nil))
        gst_object_ref_sink(UnsafeMutableRawPointer(element))
        defer { gst_object_unref(UnsafeMutableRawPointer(element)) }
        let type = gsb_object_type(element)
        let klass = try #require(g_type_class_peek(type))
        var count: guint = 0
        let specs = try #require(g_object_class_list_properties(klass.assumingMemoryBound(to: GObjectClass.self), &count))
        defer { g_free(specs) }
        var ours = 0
        for i in 0..<Int(count) {
            guard let spec = specs[i], spec.pointee.owner_type == type else { continue }
            ours += 1
            let blurb = g_param_spec_get_blurb(spec).map { String(cString: $0) } ?? ""
            #expect(!blurb.isEmpty, "\(name).\(String(cString: spec.pointee.name)) has no blurb")
        }
        #expect(ours >= 1, "\(name) has no properties of its own")
    }

    // MARK: swiftroimeta

    static let roiA = RoiRect(roiId: "0", left: 100, top: 300, width: 400, height: 400)
    static let roiB = RoiRect(roiId: "door", left: 1, top: 2, width: 3, height: 4)
    static let roiC = RoiRect(roiId: "", left: 5, top: 6, width: 7, height: 8)

    @Test func roiUpdateReachesOnlyItsStreamFromTheNextBufferOn() throws {
        // Frames alternate between stream 0 (even) and stream 1 (odd).
        let script = FrameScript(sources: [0, 1], events: [
            4: [.control(.roiUpdate(streamId: "0", rois: [Self.roiA, Self.roiB]))],
            6: [.control(.roiUpdate(streamId: "0", rois: [Self.roiC]))],
        ])
        let frames = try runScripted("swiftroimeta name=element default-roi-type=zone", frames: 10, script)
        #expect(frames.count == 10)
        for frame in frames {
            let expected: [RoiSeen] = switch (frame.source, frame.index) {
            case (0, 4): [RoiSeen(Self.roiA, type: "0"), RoiSeen(Self.roiB, type: "door")]
            case (0, 6...): [RoiSeen(Self.roiC, type: "zone")]
            default: []
            }
            #expect(frame.rois == expected, "frame \(frame.index) of stream \(frame.source)")
        }
    }

    @Test func buffersWithoutSourceMetaAreStreamZero() throws {
        let script = FrameScript(sources: nil, events: [
            2: [.control(.roiUpdate(streamId: "0", rois: [Self.roiA]))],
            3: [.control(.roiUpdate(streamId: "1", rois: [Self.roiB]))],  // no such stream here
            5: [.control(.roiUpdate(streamId: "0", rois: []))],           // clears
        ])
        let frames = try runScripted("swiftroimeta name=element", frames: 7, script)
        #expect(frames.map(\.rois.count) == [0, 0, 1, 1, 1, 0, 0])
        #expect(frames[2].rois == [RoiSeen(Self.roiA, type: "0")])
    }

    @Test func roiListsAreForgottenWhenTheirSourceIsDeleted() throws {
        let script = FrameScript(sources: [0, 1], events: [
            1: [.control(.roiUpdate(streamId: "0", rois: [Self.roiA])),
                .control(.roiUpdate(streamId: "1", rois: [Self.roiB]))],
            4: [.lifecycle(.padDeleted(sourceId: 1)), .control(.roiUpdate(streamId: "cam-1", rois: [Self.roiC]))],
        ])
        let frames = try runScripted("swiftroimeta name=element", frames: 8, script)
        let stream1 = frames.filter { $0.source == 1 }.map(\.rois.count)
        let stream0 = frames.filter { $0.source == 0 }.map(\.rois.count)
        #expect(stream1 == [1, 1, 0, 0])     // indexes 1, 3 | 5, 7
        #expect(stream0 == [0, 1, 1, 1])     // indexes 0 | 2, 4, 6
    }

    @Test func eventsTravelOnDownstream() throws {
        // PAD_ADDED first: it resets the source's interval.
        let events: [ScriptedEvent] = [.lifecycle(.padAdded(sourceId: 0)),
                                       .control(.roiUpdate(streamId: "0", rois: [Self.roiA])),
                                       .control(.inferIntervalUpdate(streamId: "0", interval: 1))]
        let script = FrameScript(sources: nil, events: [1: events])
        let result = try runScripted("swiftroimeta ! swiftinferinterval ! swifteventlog silent=true",
                             frames: 3, script, watchEventsAtSink: true)
        #expect(result.count == 2)  // interval 1 drops the middle frame
        #expect(script.eventsAtSink.withLock { $0 } == events.map(\.typeValue))
    }

    // MARK: swiftinferinterval

    @Test func intervalKeepsEveryIntervalPlusOnethFrameAndFollowsUpdates() throws {
        let script = FrameScript(sources: [0], events: [
            10: [.control(.inferIntervalUpdate(streamId: "0", interval: 2))],
        ])
        let frames = try runScripted("swiftinferinterval name=element interval=1", frames: 22, script)
        #expect(frames.map(\.frameNumber) == [0, 2, 4, 6, 8, 10, 13, 16, 19])
    }

    @Test func intervalUpdatesPerStreamAndForAll() throws {
        let script = FrameScript(sources: [0, 1], events: [
            4: [.control(.inferIntervalUpdate(streamId: "1", interval: 1))],
            8: [.control(.inferIntervalUpdate(streamId: "cam-0", interval: 9))],  // ignored
            12: [.control(.inferIntervalUpdate(streamId: "all", interval: 2))],
        ])
        var interval: guint = 99
        let frames = try runScripted("swiftinferinterval name=element", frames: 20, script) { element in
            interval = gsb_object_get_uint(element, "interval")
        }
        #expect(frames.filter { $0.source == 0 }.map(\.frameNumber) == [0, 1, 2, 3, 4, 5, 6, 9])
        #expect(frames.filter { $0.source == 1 }.map(\.frameNumber) == [0, 1, 2, 4, 6, 9])
        #expect(interval == 2)  // "all" sets the property
    }

    @Test(arguments: ["-1", "", "ALL"])
    func everyAllSpellingReachesEveryStream(_ streamId: String) throws {
        let script = FrameScript(sources: [0, 1], events: [
            2: [.control(.inferIntervalUpdate(streamId: streamId, interval: 1))],
        ])
        let frames = try runScripted("swiftinferinterval name=element", frames: 8, script)
        #expect(frames.map(\.index) == [0, 1, 2, 3, 6, 7])
    }

    // MARK: swifteventlog

    @Test func eventLogDescribesCustomEventsAtInfo() throws {
        let capture = EventLogCapture.start()
        defer { capture.stop() }
        let custom = ScriptedEvent.gstreamerCustom("my-event, answer=(int)42")
        let roi = ControlEvent.roiUpdate(streamId: "0", rois: [Self.roiA, Self.roiB])
        let script = FrameScript(sources: nil, events: [
            1: [.control(roi), .lifecycle(.padAdded(sourceId: 2))],
            2: [custom],
        ])
        var lastEvent: String?
        let frames = try runScripted("swifteventlog name=element", frames: 4, script) { element in
            lastEvent = takeGString(gsb_object_get_string(element, "last-event"))
        }
        #expect(frames.count == 4)
        let lines = capture.lines(of: script.elementName)
        #expect(lines == [
            "ROI_UPDATE stream 0: 2 rois [0: 100,300 400x400] [door: 1,2 3x4]",
            "PAD_ADDED source 2",
            "custom event \(GST_EVENT_CUSTOM_DOWNSTREAM.rawValue): my-event, answer=(int)42;",
        ])
        #expect(lastEvent == lines.last)
        #expect(script.elementMessages.withLock { $0 } == 0)
    }

    @Test func silentEventLogSaysNothing() throws {
        let capture = EventLogCapture.start()
        defer { capture.stop() }
        let event = ScriptedEvent.control(.encForceIdr(streamId: "0", force: 1))
        let script = FrameScript(sources: nil, events: [1: [event]])
        var lastEvent: String? = "unset"
        _ = try runScripted("swifteventlog name=element silent=true", frames: 3, script, watchEventsAtSink: true) { element in
            lastEvent = takeGString(gsb_object_get_string(element, "last-event"))
        }
        // The event did pass the element (so its silence is the element's doing).
        #expect(script.eventsAtSink.withLock { $0 } == [event.typeValue])
        #expect(capture.lines(of: script.elementName).isEmpty)
        #expect(lastEvent == nil)
    }
}

// MARK: - Pipeline driver

private struct RoiSeen: Equatable, CustomStringConvertible {
    var type: String
    var x: UInt32, y: UInt32, w: UInt32, h: UInt32

    init(_ roi: RoiRect, type: String) {
        self.type = type
        x = roi.left; y = roi.top; w = roi.width; h = roi.height
    }

    init(type: String, x: UInt32, y: UInt32, w: UInt32, h: UInt32) {
        self.type = type
        self.x = x; self.y = y; self.w = w; self.h = h
    }

    var description: String { "\(type)@\(x),\(y) \(w)x\(h)" }
}

/// One buffer as the appsink got it.
private struct FrameSeen {
    var index: Int          // position in the videotestsrc output
    var source: UInt32      // GstSwiftSourceMeta source id (0 without meta)
    var frameNumber: UInt64 // per-source frame number given by the script
    var rois: [RoiSeen]
}

private enum ScriptedEvent: Sendable {
    case control(ControlEvent)
    case lifecycle(LifecycleEvent)
    /// A GST_EVENT_CUSTOM_DOWNSTREAM event with this structure.
    case gstreamerCustom(String)

    func makeEvent() -> UnsafeMutablePointer<GstEvent>? {
        switch self {
        case let .control(e): e.makeEvent()
        case let .lifecycle(e): e.makeEvent()
        case let .gstreamerCustom(text): gst_structure_new_from_string(text).map {
            gsb_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM, $0)
        }
        }
    }

    var typeValue: UInt32 {
        switch self {
        case let .control(e): e.type.rawValue
        case let .lifecycle(e): e.type.rawValue
        case .gstreamerCustom: GST_EVENT_CUSTOM_DOWNSTREAM.rawValue
        }
    }
}

/// What the source-side probe does to the stream: the source id of each
/// frame (cycling through `sources`; nil = no GstSwiftSourceMeta) and the
/// events to push before the frame with a given index.
private final class FrameScript: Sendable {
    let sources: [UInt32]?
    let events: [Int: [ScriptedEvent]]
    /// Unique, so that log lines can be told apart between parallel tests.
    let elementName = "element\(UInt32.random(in: 0...UInt32.max))"
    let nextIndex = Mutex(0)
    let eventsAtSink = Mutex<[UInt32]>([])
    let elementMessages = Mutex(0)

    init(sources: [UInt32]?, events: [Int: [ScriptedEvent]]) {
        self.sources = sources
        self.events = events
    }
}

/// Runs `videotestsrc ! <elements> ! appsink` for `frames` frames under the
/// script and returns the buffers the appsink got. `inspect` sees the element
/// named "element" (if any) after EOS, before the pipeline stops.
private func runScripted(_ elements: String, frames: Int, _ script: FrameScript, watchEventsAtSink: Bool = false,
                 inspect: (UnsafeMutableRawPointer) -> Void = { _ in }) throws -> [FrameSeen] {
    let description = "videotestsrc name=src is-live=false num-buffers=\(frames) ! video/x-raw,width=64,height=48 ! "
        + elements.replacing("name=element", with: "name=\(script.elementName)")
        + " ! appsink name=sink sync=false"
    var error: UnsafeMutablePointer<GError>?
    let parsed = gst_parse_launch(description, &error)
    if let error {
        let text = String(cString: error.pointee.message)
        g_error_free(error)
        Issue.record("pipeline does not parse: \(text)")
    }
    let pipeline = try #require(parsed)
    defer {
        gst_element_set_state(pipeline, GST_STATE_NULL)
        gst_object_unref(UnsafeMutableRawPointer(pipeline))
    }
    let bin = UnsafeMutableRawPointer(pipeline).assumingMemoryBound(to: GstBin.self)
    let src = try #require(gst_bin_get_by_name(bin, "src"))
    let sink = try #require(gst_bin_get_by_name(bin, "sink"))
    defer {
        gst_object_unref(UnsafeMutableRawPointer(src))
        gst_object_unref(UnsafeMutableRawPointer(sink))
    }
    let srcPad = try #require(gst_element_get_static_pad(src, "src"))
    gst_pad_add_probe(srcPad, GST_PAD_PROBE_TYPE_BUFFER, scriptProbe,
                      Unmanaged.passRetained(script).toOpaque(), releaseScript)
    gst_object_unref(UnsafeMutableRawPointer(srcPad))
    if watchEventsAtSink {
        let sinkPad = try #require(gst_element_get_static_pad(sink, "sink"))
        gst_pad_add_probe(sinkPad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, sinkEventProbe,
                          Unmanaged.passRetained(script).toOpaque(), releaseScript)
        gst_object_unref(UnsafeMutableRawPointer(sinkPad))
    }

    try #require(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE)
    let appsink = UnsafeMutableRawPointer(sink).assumingMemoryBound(to: GstAppSink.self)
    var seen: [FrameSeen] = []
    var index = 0
    // Bounded: 10 s per sample at most, and never more samples than frames.
    while seen.count <= frames, let sample = gst_app_sink_try_pull_sample(appsink, 10_000_000_000) {
        defer { gsb_sample_unref(sample) }
        if let buffer = gst_sample_get_buffer(sample) {
            seen.append(frameSeen(buffer, fallbackIndex: index))
        }
        index += 1
    }
    #expect(gst_app_sink_is_eos(appsink) != 0, "no EOS: the pipeline stalled")
    countElementMessages(pipeline, script)
    if let element = gst_bin_get_by_name(bin, script.elementName) {
        inspect(UnsafeMutableRawPointer(element))
        gst_object_unref(UnsafeMutableRawPointer(element))
    }
    return seen
}

private func frameSeen(_ buffer: UnsafeMutablePointer<GstBuffer>, fallbackIndex: Int) -> FrameSeen {
    let meta = gst_buffer_get_swift_source_meta(buffer)
    // The script stores the videotestsrc index in the buffer offset.
    let offset = buffer.pointee.offset_end
    let index = offset <= guint64(Int.max) ? Int(offset) : fallbackIndex
    var rois: [RoiSeen] = []
    var state: gpointer?
    while let m = gst_buffer_iterate_meta_filtered(buffer, &state, gst_video_region_of_interest_meta_api_get_type()) {
        let roi = UnsafeMutableRawPointer(m).assumingMemoryBound(to: GstVideoRegionOfInterestMeta.self).pointee
        let type = g_quark_to_string(roi.roi_type).map { String(cString: $0) } ?? ""
        rois.append(RoiSeen(type: type, x: roi.x, y: roi.y, w: roi.w, h: roi.h))
    }
    return FrameSeen(index: index, source: meta?.pointee.source_id ?? 0,
                     frameNumber: UInt64(meta?.pointee.frame_number ?? 0), rois: rois)
}

/// Counts ELEMENT/INFO/WARNING/ERROR messages the element under test posted.
private func countElementMessages(_ pipeline: UnsafeMutablePointer<GstElement>, _ script: FrameScript) {
    guard let bus = gst_element_get_bus(pipeline) else { return }
    defer { gst_object_unref(UnsafeMutableRawPointer(bus)) }
    let types = GstMessageType(rawValue: GST_MESSAGE_ELEMENT.rawValue | GST_MESSAGE_INFO.rawValue
        | GST_MESSAGE_WARNING.rawValue | GST_MESSAGE_ERROR.rawValue)
    while let message = gst_bus_pop_filtered(bus, types) {
        if let src = gsb_message_src(message), let name = gsb_object_name(src),
           String(cString: name) == script.elementName {
            script.elementMessages.withLock { $0 += 1 }
        }
        gsb_message_unref(message)
    }
}

private let releaseScript: GDestroyNotify = { p in
    guard let p else { return }
    Unmanaged<FrameScript>.fromOpaque(p).release()
}

/// On videotestsrc's src pad: pushes the script's events for this index,
/// then tags the buffer (offset_end = index, source meta per the script).
private let scriptProbe: GstPadProbeCallback = { pad, info, userData in
    guard let pad, let info, let userData, var buffer = gsb_probe_info_buffer(info) else { return GST_PAD_PROBE_OK }
    let script = Unmanaged<FrameScript>.fromOpaque(userData).takeUnretainedValue()
    let index = script.nextIndex.withLock { next in
        defer { next += 1 }
        return next
    }
    for item in script.events[index] ?? [] {
        if let event = item.makeEvent() {
            gst_pad_push_event(pad, event)
        }
    }
    buffer = gsb_buffer_make_writable(buffer)
    gsb_probe_info_set_data(info, buffer)
    buffer.pointee.offset_end = guint64(index)
    if let sources = script.sources, !sources.isEmpty {
        let source = sources[index % sources.count]
        gst_buffer_add_swift_source_meta(buffer, source, nil, guint64(index / sources.count))
    }
    return GST_PAD_PROBE_OK
}

/// On the appsink's sink pad: records which custom events arrive.
private let sinkEventProbe: GstPadProbeCallback = { _, info, userData in
    guard let info, let userData, let event = gsb_probe_info_event(info) else { return GST_PAD_PROBE_OK }
    let script = Unmanaged<FrameScript>.fromOpaque(userData).takeUnretainedValue()
    let type = gsb_event_type(event).rawValue
    if CustomEventType(eventType: type) != nil || type == GST_EVENT_CUSTOM_DOWNSTREAM.rawValue {
        script.eventsAtSink.withLock { $0.append(type) }
    }
    return GST_PAD_PROBE_OK
}

// MARK: - Log capture

/// Collects the messages of the swifteventlog category at INFO, per object
/// name, through a GStreamer log function (the default one keeps printing).
private final class EventLogCapture: Sendable {
    let lines = Mutex<[(object: String, text: String)]>([])

    static func start() -> EventLogCapture {
        let capture = EventLogCapture()
        gst_debug_set_threshold_for_name("swifteventlog", GST_LEVEL_INFO)
        gst_debug_add_log_function(captureLog, Unmanaged.passRetained(capture).toOpaque(), releaseCapture)
        return capture
    }

    func stop() {
        gst_debug_remove_log_function_by_data(Unmanaged.passUnretained(self).toOpaque())
    }

    func lines(of object: String) -> [String] {
        lines.withLock { $0.filter { $0.object == object }.map(\.text) }
    }
}

private let releaseCapture: GDestroyNotify = { p in
    guard let p else { return }
    Unmanaged<EventLogCapture>.fromOpaque(p).release()
}

private let captureLog: GstLogFunction = { category, level, _, _, _, object, message, userData in
    guard let category, let message, let userData, level == GST_LEVEL_INFO,
          let name = gst_debug_category_get_name(category), String(cString: name) == "swifteventlog"
    else { return }
    let capture = Unmanaged<EventLogCapture>.fromOpaque(userData).takeUnretainedValue()
    let objectName = object.flatMap { gsb_object_name(UnsafeMutableRawPointer($0)) }.map { String(cString: $0) } ?? ""
    let text = gst_debug_message_get(message).map { String(cString: $0) } ?? ""
    capture.lines.withLock { $0.append((objectName, text)) }
}
