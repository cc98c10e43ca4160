import CGStreamer
import GstSwiftBridge
import Testing
import swiftcustomevents

/// deepstream-compat.md §3, written out by hand: name, event number, packed
/// type value, structure name and field types. Lifecycle structure names
/// are not in the reference (DeepStream's helper is closed source); the
/// stems below are ours, followed by "-<source id>".
enum FieldKind { case string, uint, int, segment }

struct TableRow: Sendable {
    let name: String
    let number: UInt32
    let typeValue: UInt32
    let structureName: String
    let sample: Sample
    let fields: [(String, FieldKind)]

    enum Sample: Sendable {
        case control(ControlEvent)
        case lifecycle(LifecycleEvent)
    }
}

extension FieldKind: Sendable {}

let referenceTable: [TableRow] = [
    TableRow(name: "PAD_ADDED", number: 400, typeValue: 102430, structureName: "nv-pad-added-7",
             sample: .lifecycle(.padAdded(sourceId: 7)), fields: [("source-id", .uint)]),
    TableRow(name: "PAD_DELETED", number: 401, typeValue: 102686, structureName: "nv-pad-deleted-7",
             sample: .lifecycle(.padDeleted(sourceId: 7)), fields: [("source-id", .uint)]),
    TableRow(name: "STREAM_EOS", number: 402, typeValue: 102942, structureName: "nv-stream-eos-7",
             sample: .lifecycle(.streamEos(sourceId: 7)), fields: [("source-id", .uint)]),
    TableRow(name: "STREAM_SEGMENT", number: 403, typeValue: 103198, structureName: "nv-stream-segment-7",
             sample: .lifecycle(.streamSegment(sourceId: 7)), fields: [("source-id", .uint), ("segment", .segment)]),
    TableRow(name: "STREAM_RESET", number: 404, typeValue: 103454, structureName: "nv-stream-reset-7",
             sample: .lifecycle(.streamReset(sourceId: 7)), fields: [("source-id", .uint)]),
    TableRow(name: "STREAM_START", number: 405, typeValue: 103710, structureName: "nv-stream-start-7",
             sample: .lifecycle(.streamStart(sourceId: 7, streamId: "abc/video")),
             fields: [("source-id", .uint), ("stream-id", .string)]),
    TableRow(name: "ROI_UPDATE", number: 406, typeValue: 103942, structureName: "nv-roi-update",
             sample: .control(.roiUpdate(streamId: "0", rois: [
                 RoiRect(roiId: "0", left: 100, top: 300, width: 400, height: 400),
                 RoiRect(roiId: "door", left: 1, top: 2, width: 3, height: 4),
             ])),
             fields: [("stream_id", .string), ("roi-count", .uint),
                      ("roi_id_0", .string), ("left_0", .uint), ("top_0", .uint), ("width_0", .uint), ("height_0", .uint),
                      ("roi_id_1", .string), ("left_1", .uint), ("top_1", .uint), ("width_1", .uint), ("height_1", .uint)]),
    TableRow(name: "INFER_INTERVAL_UPDATE", number: 407, typeValue: 104198, structureName: "nv-infer-interval-update",
             sample: .control(.inferIntervalUpdate(streamId: "1", interval: 2)),
             fields: [("stream_id", .string), ("interval", .uint)]),
    TableRow(name: "OSD_PROCESS_MODE_UPDATE", number: 408, typeValue: 104454, structureName: "nv-osd-process-mode-update",
             sample: .control(.osdProcessModeUpdate(streamId: "1", processMode: 1)),
             fields: [("stream_id", .string), ("process_mode", .uint)]),
    TableRow(name: "ANALYTICS_RELOAD_CONFIG_UPDATE", number: 409, typeValue: 104710,
             structureName: "nv-analytics-reload_config-update",
             sample: .control(.analyticsReloadConfig(configFilePath: "/etc/analytics.txt")),
             fields: [("config_file_path", .string)]),
    TableRow(name: "NVTRACKER_CONFIG_UPDATE", number: 410, typeValue: 104966, structureName: "nv-tracker-config-update",
             sample: .control(.trackerConfigUpdate(streamId: "2", configPath: "/etc/tracker.yml")),
             fields: [("stream_id", .string), ("config_path", .string)]),
    TableRow(name: "DEC_DROP_FRAME_INTERVAL_UPDATE", number: 500, typeValue: 128006,
             structureName: "nv-dec-drop-frame-interval-update",
             sample: .control(.decDropFrameInterval(streamId: "3", interval: 5)),
             fields: [("stream_id", .string), ("interval", .uint)]),
    TableRow(name: "DEC_SKIP_FRAME_UPDATE", number: 501, typeValue: 128262, structureName: "nv-dec-skip-frame-update",
             sample: .control(.decSkipFrame(streamId: "3", frameType: 2)),
             fields: [("stream_id", .string), ("frame_type", .uint)]),
    TableRow(name: "DEC_ENABLE_LOW_LATENCY_MODE", number: 502, typeValue: 128518,
             structureName: "nv-dec-enable-low-latency-mode",
             sample: .control(.decLowLatencyMode(streamId: "3", enable: 1)),
             fields: [("stream_id", .string), ("enable", .int)]),
    TableRow(name: "ENC_BITRATE_UPDATE", number: 503, typeValue: 128774, structureName: "nv-enc-bitrate-update",
             sample: .control(.encBitrate(streamId: "4", bitrate: 4_000_000)),
             fields: [("stream_id", .string), ("bitrate", .uint)]),
    TableRow(name: "ENC_FORCE_IDR", number: 504, typeValue: 129030, structureName: "nv-enc-force-idr",
             sample: .control(.encForceIdr(streamId: "4", force: 1)),
             fields: [("stream_id", .string), ("force", .int)]),
    TableRow(name: "ENC_FORCE_INTRA", number: 505, typeValue: 129286, structureName: "nv-enc-force-intra",
             sample: .control(.encForceIntra(streamId: "4", force: -1)),
             fields: [("stream_id", .string), ("force", .int)]),
    TableRow(name: "ENC_IFRAME_INTERVAL_UPDATE", number: 506, typeValue: 129542, structureName: "nv-enc-iframeinterval-update",
             sample: .control(.encIframeInterval(streamId: "4", interval: 30)),
             fields: [("stream_id", .string), ("interval", .uint)]),
]

private func gtype(_ kind: FieldKind) -> GType {
    switch kind {
    case .string: gsb_type_string()
    case .uint: gsb_type_uint()
    case .int: gsb_type_int()
    case .segment: gsb_type_segment()
    }
}

private func makeEvent(_ sample: TableRow.Sample) -> UnsafeMutablePointer<GstEvent> {
    switch sample {
    case let .control(e): e.makeEvent()
    case let .lifecycle(e): e.makeEvent()
    }
}

@Suite struct EventTableTests {
    init() { EventsTestGst.setUp() }

    @Test func everyTypeIsInTheTableOnce() {
        #expect(referenceTable.count == CustomEventType.allCases.count)
        #expect(Set(referenceTable.map(\.typeValue)) == Set(CustomEventType.allCases.map(\.rawValue)))
    }

    @Test func gstreamerFlagBitsMatchOurs() {
        #expect(CustomEventType.Flag.upstream == GST_EVENT_TYPE_UPSTREAM.rawValue)
        #expect(CustomEventType.Flag.downstream == GST_EVENT_TYPE_DOWNSTREAM.rawValue)
        #expect(CustomEventType.Flag.serialized == GST_EVENT_TYPE_SERIALIZED.rawValue)
        #expect(CustomEventType.Flag.sticky == GST_EVENT_TYPE_STICKY.rawValue)
        #expect(CustomEventType.Flag.stickyMulti == GST_EVENT_TYPE_STICKY_MULTI.rawValue)
    }

    @Test(arguments: referenceTable.indices)
    func typeValuesNamesAndFlags(_ i: Int) throws {
        let row = referenceTable[i]
        let type = try #require(CustomEventType(eventType: row.typeValue))
        #expect(type.name == row.name)
        #expect(type.number == row.number)
        let lifecycleFlags: UInt32 = 2 | 4 | 8 | 16
        let controlFlags: UInt32 = 2 | 4
        let flags = row.number < 406 ? lifecycleFlags : controlFlags
        #expect(row.typeValue == (row.number << 8) | flags)
        #expect(CustomEventType.makeType(number: row.number, flags: flags) == row.typeValue)
        #expect(type.isLifecycle == (row.number < 406))
        // GStreamer reads the same flags out of the value.
        let gstFlags = gst_event_type_get_flags(GstEventType(rawValue: row.typeValue)).rawValue
        #expect(gstFlags == flags)
    }

    @Test(arguments: referenceTable.indices)
    func madeEventsCarryExactTypeNameAndFieldTypes(_ i: Int) throws {
        let row = referenceTable[i]
        let event = makeEvent(row.sample)
        defer { gsb_event_unref(event) }
        #expect(gsb_event_type(event).rawValue == row.typeValue)
        let structure = try #require(gst_event_get_structure(event))
        #expect(String(cString: gst_structure_get_name(structure)) == row.structureName)
        #expect(Int(gst_structure_n_fields(structure)) == row.fields.count)
        for (field, kind) in row.fields {
            #expect(gst_structure_get_field_type(structure, field) == gtype(kind), "field \(field) of \(row.name)")
        }
    }

    @Test(arguments: referenceTable.indices)
    func parsingGivesBackTheValue(_ i: Int) {
        let row = referenceTable[i]
        let event = makeEvent(row.sample)
        defer { gsb_event_unref(event) }
        switch row.sample {
        case let .control(value):
            #expect(ControlEvent(parsing: event) == value)
            #expect(LifecycleEvent(parsing: event) == nil)
        case let .lifecycle(value):
            #expect(LifecycleEvent(parsing: event) == value)
            #expect(ControlEvent(parsing: event) == nil)
        }
    }

    @Test func roiFieldsHoldTheRectangles() throws {
        let event = ControlEvent.roiUpdate(streamId: "0", rois: [
            RoiRect(roiId: "0", left: 100, top: 300, width: 400, height: 400),
        ]).makeEvent()
        defer { gsb_event_unref(event) }
        let s = try #require(gst_event_get_structure(event))
        var value: guint = 0
        #expect(gst_structure_get_uint(s, "roi-count", &value) != 0 && value == 1)
        #expect(gst_structure_get_uint(s, "left_0", &value) != 0 && value == 100)
        #expect(gst_structure_get_uint(s, "top_0", &value) != 0 && value == 300)
        #expect(gst_structure_get_uint(s, "width_0", &value) != 0 && value == 400)
        #expect(gst_structure_get_uint(s, "height_0", &value) != 0 && value == 400)
        #expect(String(cString: gst_structure_get_string(s, "roi_id_0")) == "0")
        #expect(String(cString: gst_structure_get_string(s, "stream_id")) == "0")
    }

    @Test func streamSegmentCarriesTheGivenSegment() throws {
        var segment = GstSegment()
        gst_segment_init(&segment, GST_FORMAT_TIME)
        segment.start = 5_000_000_000
        segment.rate = 2.0
        let event = LifecycleEvent.makeStreamSegment(sourceId: 3, segment: &segment)
        defer { gsb_event_unref(event) }
        #expect(LifecycleEvent(parsing: event) == .streamSegment(sourceId: 3))
        let parsed = try #require(LifecycleEvent.segment(of: event))
        #expect(parsed.format == GST_FORMAT_TIME)
        #expect(parsed.start == 5_000_000_000)
        #expect(parsed.rate == 2.0)
        #expect(LifecycleEvent.describe(event)?.hasPrefix("STREAM_SEGMENT source 3: time segment start 5000000000") == true)
    }

    @Test func descriptionsAreInWords() {
        let roi = ControlEvent.roiUpdate(streamId: "0", rois: [
            RoiRect(roiId: "0", left: 100, top: 300, width: 400, height: 400),
            RoiRect(roiId: "1", left: 10, top: 20, width: 30, height: 40),
        ])
        #expect(roi.description == "ROI_UPDATE stream 0: 2 rois [0: 100,300 400x400] [1: 10,20 30x40]")
        #expect(ControlEvent.inferIntervalUpdate(streamId: "2", interval: 3).description
                == "INFER_INTERVAL_UPDATE stream 2: interval 3")
        #expect(LifecycleEvent.padAdded(sourceId: 4).description == "PAD_ADDED source 4")
    }
}
