import CGStreamer
import GstSwiftBridge
import Testing
import swiftcustomevents
@testable import swiftmultiurisrc

extension PipelineSuites {
    /// swiftstreamdemux on the bin's real output, linked as gst-launch links
    /// it (`d.src_0 ! queue ! ...`: as after any demuxer, a queue per branch
    /// lets one sink preroll while another waits).
    @Suite(.serialized) struct DemuxTests {
        init() { TestGst.setUp() }

        @Test func eachSourceGetsItsOwnPadCapsEventsAndEnd() throws {
            let big = TestMedia.h264(pattern: "ball", frames: 60)
            let small = TestMedia.h264(pattern: "smpte", frames: 60, width: 160, height: 120)
            // width=0 height=0: each source keeps its own size, so the two
            // pads must carry different caps.
            let p = TestPipeline("swiftmultiurisrcbin name=src port=0 live-source=true file-loop=true width=0 height=0 source-id-allocation=lowest-free "
                + "uri-list=\(big),\(small) sensor-id-list=big,small ! swiftstreamdemux name=d "
                + "d.src_0 ! queue ! fakesink name=out0 sync=false d.src_1 ! queue ! fakesink name=out1 sync=false")
            p.play()
            // The sinks exist from the start; their pads' recorders see everything.
            let r0 = PadRecorder(p.element("out0")!), r1 = PadRecorder(p.element("out1")!)
            let bin = try #require(p.bin())
            #expect(waitUntil(ms: 10_000) { r0.frames(0) > 15 && r1.frames(1) > 15 })
            // No frame of the other source on either pad.
            #expect(r0.frames(1) == 0 && r1.frames(0) == 0)
            #expect(capsWidth(p.element("out0")!) == 320)
            #expect(capsWidth(p.element("out1")!) == 160)
            #expect(r0.lifecycle.allSatisfy { $0.sourceId == 0 } && r1.lifecycle.allSatisfy { $0.sourceId == 1 },
                    "\(r0.lifecycle) \(r1.lifecycle)")

            // A control event for stream 1 reaches pad 1 only; "-1" reaches both.
            let roi = RoiRect(roiId: "r", left: 1, top: 2, width: 30, height: 40)
            try bin.pushDownstream(.roiUpdate(streamId: "1", rois: [roi]))
            #expect(waitUntil(ms: 3_000) { r1.control.contains(.roiUpdate(streamId: "1", rois: [roi])) })
            try bin.pushDownstream(.roiUpdate(streamId: "-1", rois: [roi]))
            #expect(waitUntil(ms: 3_000) { r0.control.contains(.roiUpdate(streamId: "-1", rois: [roi])) })
            #expect(waitUntil(ms: 3_000) { r1.control.contains(.roiUpdate(streamId: "-1", rois: [roi])) })
            #expect(!r0.control.contains(.roiUpdate(streamId: "1", rois: [roi])))

            // Removing source 1: its pad ends (the bin's STREAM_EOS, then our EOS;
            // PAD_DELETED would come after EOS, which a pad no longer passes)
            // and goes; source 0 plays on.
            _ = try bin.removeStream(cameraId: "small", url: nil)
            #expect(waitUntil(ms: 5_000) { r1.eos && r1.lifecycle.contains(.streamEos(sourceId: 1)) }, "\(r1.lifecycle)")
            let demux = try #require(p.element("d"))
            #expect(waitUntil(ms: 2_000) { gst_element_get_static_pad(demux, "src_1").map { gst_object_unref($0); return false } ?? true })
            let f0 = r0.frames(0)
            #expect(waitUntil(ms: 5_000) { r0.frames(0) > f0 + 15 })
            #expect(!r0.eos)
            // A new source takes id 1 again (lowest free here too): a new pad, a new stream.
            _ = try bin.addStream(AddStreamRequest(cameraId: "again", cameraName: "again", uri: small))
            #expect(waitUntil(ms: 5_000) { gst_element_get_static_pad(demux, "src_1").map { gst_object_unref($0); return true } ?? false })
            p.drain()
            #expect(p.errors.isEmpty, "\(p.errors.map { $0.text ?? "" })")
            p.stop()
        }

        /// A frame the muxer had in hand when its source left can reach the
        /// demux after that source's PAD_DELETED. It must not bring the pad
        /// back: swiftrtspoutbin built an output for the ghost, mounted it
        /// at /sN, and the next real source with that id found its mount
        /// taken down by the previous delete (DESCRIBE → 404, 1 run in 8).
        /// The test feeds the demux's sink pad itself, to put the frame
        /// exactly after the event.
        @Test func aLateFrameOfADeletedSourceDoesNotBringItsPadBack() throws {
            let p = TestPipeline("identity name=head ! swiftstreamdemux name=d")
            let demux = try #require(p.element("d"))
            let sink = try #require(gst_element_get_static_pad(p.element("head"), "sink"))
            defer { gst_object_unref(UnsafeMutableRawPointer(sink)) }
            let feeder = try #require(gst_pad_new("feeder", GST_PAD_SRC))
            defer { gst_object_unref(UnsafeMutableRawPointer(feeder)) }
            #expect(gst_pad_link(feeder, sink) == GST_PAD_LINK_OK)
            gst_pad_set_active(feeder, 1)
            p.play()
            _ = gst_pad_push_event(feeder, gst_event_new_stream_start("late-frame"))
            let caps = gst_caps_from_string("video/x-raw,format=GRAY8,width=8,height=8,framerate=30/1")!
            _ = gst_pad_push_event(feeder, gst_event_new_caps(caps))
            gsb_caps_unref(caps)
            var segment = GstSegment()
            gst_segment_init(&segment, GST_FORMAT_TIME)
            _ = gst_pad_push_event(feeder, gst_event_new_segment(&segment))
            var pts: GstClockTime = 0
            func frame(_ id: UInt32) -> GstFlowReturn {
                let buffer = gst_buffer_new_allocate(nil, 64, nil)!
                gsb_buffer_set_pts(buffer, pts)
                buffer.pointee.duration = 33_333_333
                pts += 33_333_333
                _ = gst_buffer_add_swift_source_meta(buffer, id, "cam\(id)", pts / 33_333_333)
                return gst_pad_push(feeder, buffer)
            }
            func hasPad(_ id: UInt32) -> Bool {
                gst_element_get_static_pad(demux, "src_\(id)").map { gst_object_unref(UnsafeMutableRawPointer($0)); return true } ?? false
            }
            #expect(frame(0) == GST_FLOW_OK && frame(1) == GST_FLOW_OK)
            #expect(hasPad(0) && hasPad(1))
            _ = gst_pad_push_event(feeder, LifecycleEvent.padDeleted(sourceId: 1).makeEvent())
            #expect(!hasPad(1))
            // The late frame and a late STREAM_START of the source that left.
            #expect(frame(1) == GST_FLOW_OK)
            _ = gst_pad_push_event(feeder, LifecycleEvent.streamStart(sourceId: 1, streamId: "late").makeEvent())
            #expect(!hasPad(1), "a frame after PAD_DELETED made src_1 again")
            #expect(frame(0) == GST_FLOW_OK && hasPad(0))
            // A new source with that id announces itself: its pad comes, its frames go out.
            _ = gst_pad_push_event(feeder, LifecycleEvent.padAdded(sourceId: 1).makeEvent())
            #expect(hasPad(1))
            #expect(frame(1) == GST_FLOW_OK && hasPad(1))
            p.stop()
            gst_pad_set_active(feeder, 0)
            gst_pad_unlink(feeder, sink)
        }

        @Test func withoutTheMetaEverythingIsStreamZero() throws {
            let p = TestPipeline("videotestsrc num-buffers=20 ! swiftstreamdemux name=d d.src_0 ! fakesink name=out sync=false")
            let recorder = PadRecorder(p.element("out")!)
            p.play()
            let end = p.waitFor([GST_MESSAGE_EOS, GST_MESSAGE_ERROR], timeoutMs: slack(5_000))
            #expect(end?.type == GST_MESSAGE_EOS, "\(end?.text ?? "no end")")
            #expect(recorder.frames(UInt32.max) == 20, "frames without meta: \(recorder.seen.withLock { $0.frames })")
            p.stop()
        }
    }
}

private func capsWidth(_ sink: UnsafeMutablePointer<GstElement>) -> Int32 {
    guard let pad = gst_element_get_static_pad(sink, "sink") else { return 0 }
    defer { gst_object_unref(UnsafeMutableRawPointer(pad)) }
    guard let caps = gst_pad_get_current_caps(pad) else { return 0 }
    defer { gsb_caps_unref(caps) }
    var width: gint = 0
    gst_structure_get_int(gst_caps_get_structure(caps, 0), "width", &width)
    return width
}
