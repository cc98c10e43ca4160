import CGStreamer
import GstSwiftBridge
import Testing
@testable import swiftmultiurisrc

/// swiftstreammux's two nvstreammux behaviours, in hand-built pipelines:
/// batches of one frame per source (`batched-push-timeout`) and dropping of
/// late frames (`max-latency`). Assertions are on the structure of the
/// output (which frames share a batch, which were dropped), never on times.
@Suite struct MuxBatchingTests {
    /// One output frame as the muxer marked it.
    struct Frame: Equatable {
        var source: UInt32
        var frame: UInt64
        var batch: UInt
        var batchSize: UInt32
    }

    /// Pulls every frame until EOS or `maxFrames` (bounded by `ms`).
    static func pullFrames(_ p: TestPipeline, maxFrames: Int = .max, ms: Int64 = 20_000,
                           until done: ([Frame]) -> Bool = { _ in false }) -> (frames: [Frame], eos: Bool) {
        let sink = UnsafeMutableRawPointer(p.element("out")!).assumingMemoryBound(to: GstAppSink.self)
        var frames: [Frame] = []
        let deadline = g_get_monotonic_time() + gint64(ms * waitSlack) * 1000
        while g_get_monotonic_time() < deadline, frames.count < maxFrames, !done(frames) {
            if gst_app_sink_is_eos(sink) != 0 { return (frames, true) }
            guard let sample = gst_app_sink_try_pull_sample(sink, 20_000_000) else { continue }
            defer { gst_sample_unref(sample) }
            guard let buffer = gst_sample_get_buffer(sample),
                  let meta = gst_buffer_get_swift_source_meta(buffer) else { continue }
            frames.append(Frame(source: meta.pointee.source_id, frame: UInt64(meta.pointee.frame_number),
                                batch: meta.pointee.batch_id, batchSize: meta.pointee.num_frames_in_batch))
        }
        return (frames, gst_app_sink_is_eos(sink) != 0)
    }

    /// Frames grouped by batch, in output order; nil when a batch's frames
    /// are not adjacent or its size disagrees with its frame count.
    static func batches(_ frames: [Frame]) -> [[Frame]]? {
        var groups: [[Frame]] = []
        for f in frames {
            if let last = groups.last?.last, last.batch == f.batch {
                groups[groups.count - 1].append(f)
            } else {
                if groups.contains(where: { $0[0].batch == f.batch }) { return nil }
                groups.append([f])
            }
        }
        for g in groups where g.contains(where: { Int($0.batchSize) != g.count }) { return nil }
        return groups
    }

    static let smallCaps = "video/x-raw,format=I420,width=64,height=48,framerate=30/1"

    /// Two fast sources and a timeout far longer than either needs: every
    /// batch holds one frame of each, source 0 first, batches numbered
    /// 0, 1, 2 ... without a gap. Without batching (the default) frames
    /// carry no batch.
    @Test func everyBatchHoldsOneFrameOfEachSource() throws {
        let p = TestPipeline("""
            swiftstreammux name=m batched-push-timeout=5000000 ! appsink name=out sync=false \
            videotestsrc num-buffers=40 pattern=red ! \(Self.smallCaps) ! m.sink_0 \
            videotestsrc num-buffers=40 pattern=blue ! \(Self.smallCaps) ! m.sink_1
            """)
        p.play()
        let (frames, eos) = Self.pullFrames(p)
        #expect(eos)
        #expect(frames.count == 80)
        let groups = try #require(Self.batches(frames), "batches are adjacent and sized: \(frames.prefix(12))")
        #expect(groups.count == 40)
        for (index, group) in groups.enumerated() {
            #expect(group.map(\.source) == [0, 1], "batch \(index): \(group)")
            #expect(group.allSatisfy { $0.batch == UInt(index) && $0.frame == UInt64(index) }, "batch \(index): \(group)")
        }
        p.drain()
        #expect(p.errors.isEmpty, "\(p.errors.map { $0.text ?? "" })")
        p.stop()

        let plain = TestPipeline("""
            swiftstreammux name=m ! appsink name=out sync=false \
            videotestsrc num-buffers=10 ! \(Self.smallCaps) ! m.sink_0 \
            videotestsrc num-buffers=10 ! \(Self.smallCaps) ! m.sink_1
            """)
        plain.play()
        let (unbatched, ended) = Self.pullFrames(plain)
        #expect(ended && unbatched.count == 20)
        #expect(unbatched.allSatisfy { $0.batch == UInt.max && $0.batchSize == 0 })
        plain.stop()
    }

    /// A source at 2 fps next to one that could run at any speed, with a
    /// 30 ms timeout: batches without the slow source go out on the timeout
    /// (the fast one is not held until the slow one's next frame), no batch
    /// ever holds two frames of one source, and the slow source's frames
    /// still arrive, each in a batch with a frame of the fast one.
    @Test func aSlowSourceHoldsTheOthersOnlyUntilTheTimeout() throws {
        let p = TestPipeline("""
            swiftstreammux name=m batched-push-timeout=30000 ! appsink name=out sync=false \
            videotestsrc pattern=red ! \(Self.smallCaps) ! m.sink_0 \
            videotestsrc is-live=true pattern=blue ! video/x-raw,format=I420,width=64,height=48,framerate=2/1 ! m.sink_1
            """)
        p.play()
        let (frames, _) = Self.pullFrames(p, ms: 10_000) { seen in seen.filter { $0.source == 1 }.count >= 3 }
        let groups = try #require(Self.batches(frames), "batches are adjacent and sized")
        #expect(frames.filter { $0.source == 1 }.count >= 3)
        for group in groups {
            #expect(Set(group.map(\.source)).count == group.count, "one frame per source: \(group)")
            #expect(group.map(\.source) == group.map(\.source).sorted(), "source order: \(group)")
        }
        // Batch numbers grow by one.
        #expect(groups.map { $0[0].batch } == Array(groups[0][0].batch..<(groups[0][0].batch + UInt(groups.count))))
        let fastOnly = groups.filter { $0.map(\.source) == [0] }.count
        let both = groups.filter { $0.map(\.source) == [0, 1] }.count
        #expect(fastOnly > 0, "timeouts sent batches without the slow source")
        // Source 1 has frames only when both made it into a batch (source 0 never stalls).
        #expect(both >= 2, "\(groups.map { $0.map(\.source) })")
        // No frame of the fast source was lost or reordered.
        let fast = frames.filter { $0.source == 0 }.map(\.frame)
        #expect(fast == Array(0..<UInt64(fast.count)))
        p.drain()
        #expect(p.errors.isEmpty, "\(p.errors.map { $0.text ?? "" })")
        p.stop()
    }

    /// Batching switched on and off while frames flow, and a source that
    /// leaves while its frame waits in a batch: nothing blocks, nothing of
    /// the other source is lost.
    @Test func batchingChangesAndReleasedPadsNeverBlock() throws {
        let p = TestPipeline("""
            swiftstreammux name=m batched-push-timeout=200000 ! appsink name=out sync=false \
            videotestsrc pattern=red is-live=true ! \(Self.smallCaps) ! m.sink_0 \
            videotestsrc is-live=true pattern=blue ! video/x-raw,format=I420,width=64,height=48,framerate=1/1 ! m.sink_1
            """)
        p.play()
        let mux = try #require(p.element("m"))
        let raw = UnsafeMutableRawPointer(mux)
        var seen = Self.pullFrames(p, ms: 10_000) { $0.count >= 10 }.frames
        gsb_object_set_from_string(raw, "batched-push-timeout", "-1")
        seen += Self.pullFrames(p, ms: 10_000) { $0.count >= 10 }.frames
        #expect(seen.count >= 20)
        #expect(seen.suffix(5).allSatisfy { $0.batch == UInt.max }, "batching off: \(seen.suffix(5))")
        gsb_object_set_from_string(raw, "batched-push-timeout", "300000")
        // Release sink_1 (the slow one) while source 0's frames wait for it.
        let pad = try #require(gst_element_get_static_pad(mux, "sink_1"))
        if let peer = gst_pad_get_peer(pad) {
            _ = gst_pad_unlink(peer, pad)
            gst_object_unref(UnsafeMutableRawPointer(peer))
        }
        gst_element_release_request_pad(mux, pad)
        gst_object_unref(UnsafeMutableRawPointer(pad))
        // The appsink may still hold frames of before (the live source 0
        // catches up at full speed on what batching held back): pull until
        // five batches of source 0 alone came in a row.
        let after = Self.pullFrames(p, ms: 10_000) { seen in
            seen.count >= 5 && seen.suffix(5).allSatisfy { $0.source == 0 && $0.batchSize == 1 }
        }.frames
        #expect(after.count >= 5 && after.suffix(5).allSatisfy { $0.source == 0 && $0.batchSize == 1 },
                "source 0 flows in batches of its own after sink_1 left: \(after.suffix(8))")
        p.stop()
    }

    /// A live source whose frames fall further behind with every frame (an
    /// 80 ms stage for a 30 fps source): with max-latency 10 ms the muxer
    /// drops every frame that is late by more than that and counts it; with
    /// 0 (the default) it drops none.
    @Test(arguments: [UInt32(10_000_000), 0])
    func maxLatencyDropsFramesThatArriveTooLate(_ maxLatency: UInt32) throws {
        let frames = 15
        let p = TestPipeline("""
            videotestsrc is-live=true num-buffers=\(frames) ! \(Self.smallCaps) ! identity sleep-time=80000 ! \
            swiftstreammux name=m max-latency=\(maxLatency) ! appsink name=out sync=false
            """)
        p.play()
        let (out, eos) = Self.pullFrames(p)
        #expect(eos)
        let dropped = gsb_object_get_uint64(UnsafeMutableRawPointer(try #require(p.element("m"))), "frames-dropped")
        #expect(UInt64(out.count) + UInt64(dropped) == UInt64(frames))
        if maxLatency == 0 {
            #expect(dropped == 0)
        } else {
            // The second frame is already 47 ms late; each later one more so.
            #expect(dropped >= UInt64(frames - 2), "dropped \(dropped) of \(frames)")
        }
        p.stop()
    }
}
