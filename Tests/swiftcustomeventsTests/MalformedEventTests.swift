import CGStreamer
import GstSwiftBridge
import Testing
import swiftcustomevents

/// Parsers must answer nil, never trap, for whatever structure arrives.
@Suite struct MalformedEventTests {
    init() { EventsTestGst.setUp() }

    /// An event of the given type around a structure written in GStreamer's
    /// serialization syntax.
    private func event(_ type: CustomEventType, _ text: String) throws -> UnsafeMutablePointer<GstEvent> {
        let structure = try #require(gst_structure_new_from_string(text), "bad test structure \(text)")
        return gsb_event_new_custom(GstEventType(rawValue: type.rawValue), structure)
    }

    private func control(_ type: CustomEventType, _ text: String) throws -> ControlEvent? {
        let e = try event(type, text)
        defer { gsb_event_unref(e) }
        return ControlEvent(parsing: e)
    }

    private func lifecycle(_ type: CustomEventType, _ text: String) throws -> LifecycleEvent? {
        let e = try event(type, text)
        defer { gsb_event_unref(e) }
        return LifecycleEvent(parsing: e)
    }

    @Test func wellFormedTextParses() throws {
        #expect(try control(.inferIntervalUpdate, "nv-infer-interval-update, stream_id=(string)0, interval=(uint)3")
                == .inferIntervalUpdate(streamId: "0", interval: 3))
        #expect(try control(.roiUpdate, """
            nv-roi-update, stream_id=(string)1, roi-count=(uint)1, roi_id_0=(string)a, \
            left_0=(uint)1, top_0=(uint)2, width_0=(uint)3, height_0=(uint)4
            """) == .roiUpdate(streamId: "1", rois: [RoiRect(roiId: "a", left: 1, top: 2, width: 3, height: 4)]))
    }

    @Test func wrongFieldTypesAreRejected() throws {
        #expect(try control(.inferIntervalUpdate, "nv-infer-interval-update, stream_id=(string)0, interval=(int)3") == nil)
        #expect(try control(.inferIntervalUpdate, "nv-infer-interval-update, stream_id=(uint)0, interval=(uint)3") == nil)
        #expect(try control(.encForceIdr, "nv-enc-force-idr, stream_id=(string)0, force=(uint)1") == nil)
        #expect(try control(.decEnableLowLatencyMode, "nv-dec-enable-low-latency-mode, stream_id=(string)0, enable=(boolean)true") == nil)
        #expect(try lifecycle(.padAdded, "nv-pad-added-1, source-id=(int)1") == nil)
        #expect(try lifecycle(.streamStart, "nv-stream-start-1, source-id=(uint)1, stream-id=(uint)5") == nil)
    }

    @Test func missingFieldsAreRejected() throws {
        #expect(try control(.inferIntervalUpdate, "nv-infer-interval-update, interval=(uint)3") == nil)
        #expect(try control(.inferIntervalUpdate, "nv-infer-interval-update, stream_id=(string)0") == nil)
        #expect(try control(.analyticsReloadConfigUpdate, "nv-analytics-reload_config-update") == nil)
        #expect(try lifecycle(.streamEos, "nv-stream-eos-2") == nil)
        #expect(try lifecycle(.streamStart, "nv-stream-start-2, source-id=(uint)2") == nil)
    }

    @Test func roiCountMustMatchTheRectangles() throws {
        let oneRoi = "roi_id_0=(string)a, left_0=(uint)1, top_0=(uint)2, width_0=(uint)3, height_0=(uint)4"
        #expect(try control(.roiUpdate, "nv-roi-update, stream_id=(string)0, roi-count=(uint)2, \(oneRoi)") == nil)
        #expect(try control(.roiUpdate, "nv-roi-update, stream_id=(string)0, roi-count=(uint)4294967295, \(oneRoi)") == nil)
        #expect(try control(.roiUpdate, "nv-roi-update, stream_id=(string)0, roi-count=(int)1, \(oneRoi)") == nil)
        #expect(try control(.roiUpdate, "nv-roi-update, stream_id=(string)0, \(oneRoi)") == nil)
        // One rectangle missing a coordinate.
        #expect(try control(.roiUpdate, """
            nv-roi-update, stream_id=(string)0, roi-count=(uint)1, roi_id_0=(string)a, \
            left_0=(uint)1, top_0=(uint)2, width_0=(uint)3, h_0=(uint)4
            """) == nil)
    }

    @Test func structureNameMustMatchTheType() throws {
        #expect(try control(.inferIntervalUpdate, "nv-osd-process-mode-update, stream_id=(string)0, interval=(uint)3") == nil)
        #expect(try lifecycle(.padAdded, "nv-pad-deleted-1, source-id=(uint)1") == nil)
        #expect(try lifecycle(.padAdded, "nv-pad-addedx, source-id=(uint)1") == nil)
        // The stem alone (what tools written for older DeepStream create) is fine.
        #expect(try lifecycle(.streamEos, "nv-stream-eos, source-id=(uint)4") == .streamEos(sourceId: 4))
    }

    @Test func eventsWithoutStructureOrOfOtherTypesAreNil() throws {
        let bare = try #require(gst_event_new_custom(GstEventType(rawValue: CustomEventType.roiUpdate.rawValue), nil))
        defer { gsb_event_unref(bare) }
        #expect(ControlEvent(parsing: bare) == nil)
        let bareLifecycle = try #require(gst_event_new_custom(GstEventType(rawValue: CustomEventType.padAdded.rawValue), nil))
        defer { gsb_event_unref(bareLifecycle) }
        #expect(LifecycleEvent(parsing: bareLifecycle) == nil)
        let eos = try #require(gst_event_new_eos())
        defer { gsb_event_unref(eos) }
        #expect(ControlEvent(parsing: eos) == nil)
        #expect(LifecycleEvent(parsing: eos) == nil)
        // A DeepStream name on a type number that is not DeepStream's.
        let other = try #require(gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM,
                                                      gst_structure_new_from_string("nv-roi-update, stream_id=(string)0, roi-count=(uint)0")))
        defer { gsb_event_unref(other) }
        #expect(ControlEvent(parsing: other) == nil)
    }

    /// Every field of every sample event, one at a time, replaced by a value
    /// of each other type or removed: the parser must say nil and not trap.
    @Test(arguments: referenceTable.indices)
    func everyFieldMutationIsRejected(_ i: Int) throws {
        let row = referenceTable[i]
        let replacements = ["(string)x", "(uint)1", "(int)-1", "(boolean)true", "(double)0.5", "(gint64)7"]
        // The positive control: the same text unmutated parses, so every nil
        // below is the mutation's doing. (A segment field has no text form.)
        if !row.fields.contains(where: { $0.1 == .segment }) {
            let intact = structureText(row, replacing: "", with: nil)
            let e = try event(try #require(CustomEventType(eventType: row.typeValue)), intact)
            defer { gsb_event_unref(e) }
            #expect(ControlEvent(parsing: e) != nil || LifecycleEvent(parsing: e) != nil, "unmutated: \(intact)")
        }
        for (field, kind) in row.fields where kind != .segment {
            let own: String = switch kind {
            case .string: "(string)"
            case .uint: "(uint)"
            case .int: "(int)"
            case .segment: ""
            }
            for replacement in replacements where !replacement.hasPrefix(own) {
                let text = structureText(row, replacing: field, with: replacement)
                let e = try event(try #require(CustomEventType(eventType: row.typeValue)), text)
                defer { gsb_event_unref(e) }
                #expect(ControlEvent(parsing: e) == nil && LifecycleEvent(parsing: e) == nil, "\(text)")
            }
            let removed = structureText(row, replacing: field, with: nil)
            let e = try event(try #require(CustomEventType(eventType: row.typeValue)), removed)
            defer { gsb_event_unref(e) }
            #expect(ControlEvent(parsing: e) == nil && LifecycleEvent(parsing: e) == nil, "\(removed)")
        }
    }

    /// The sample event of a row as text, with one field changed.
    private func structureText(_ row: TableRow, replacing target: String, with replacement: String?) -> String {
        var parts = [row.structureName]
        for (field, kind) in row.fields where kind != .segment {
            let value: String
            if field == target {
                guard let replacement else { continue }
                value = replacement
            } else if field == "roi-count" {
                // The sample has two rectangles; a smaller count would hide
                // a mutation of the second one.
                value = "(uint)2"
            } else {
                value = switch kind {
                case .string: "(string)s"
                case .uint: "(uint)1"
                case .int: "(int)1"
                case .segment: ""
                }
            }
            parts.append("\(field)=\(value)")
        }
        return parts.joined(separator: ", ")
    }
}
