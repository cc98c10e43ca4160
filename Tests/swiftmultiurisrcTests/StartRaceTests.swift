import CGStreamer
import GstSwiftBridge
import Glibc
import Testing
@testable import swiftmultiurisrc

extension PipelineSuites {
    /// Sources added one right after another to a playing live bin must all
    /// leave `starting` (MetricsTests once saw the second of two stay there
    /// for 40 s). Iterations: SWIFT_MULTIURISRC_START_RACE_ITERATIONS
    /// (default 20), sources per iteration: SWIFT_MULTIURISRC_START_RACE_SOURCES
    /// (default 4).
    @Suite(.serialized) struct StartRaceTests {
        static func env(_ name: String, _ fallback: Int) -> Int {
            getenv(name).flatMap { Int(String(cString: $0)) } ?? fallback
        }

        @Test func sourcesAddedBackToBackAllStart() throws {
            let iterations = Self.env("SWIFT_MULTIURISRC_START_RACE_ITERATIONS", 20)
            let count = Self.env("SWIFT_MULTIURISRC_START_RACE_SOURCES", 4)
            let uri = TestMedia.h264(pattern: "ball", frames: 300)
            var stuckRuns = 0
            for iteration in 0..<iterations {
                let p = binPipeline("live-source=true file-loop=true drop-pipeline-eos=true width=160 height=120 max-batch-size=8",
                                    sinkProps: "sync=false")
                p.play()
                let bin = try #require(p.bin())
                #expect(waitUntil(ms: 5_000) { bin.isReady })
                for i in 0..<count {
                    _ = try bin.addStream(AddStreamRequest(cameraId: "c\(i)", cameraName: "", uri: uri))
                }
                let tally = FrameTally(p)
                // Not waitUntil's slack: a source that starts starts within a
                // second or two even under load; 10 s means stuck.
                let deadline = g_get_monotonic_time() + 10_000_000
                var started = false
                while g_get_monotonic_time() < deadline {
                    _ = tally.pull(forMs: 50)
                    if bin.streams().allSatisfy({ $0.state != .starting }) && bin.streams().count == count { started = true; break }
                }
                if !started {
                    stuckRuns += 1
                    if let hold = getenv("SWIFT_MULTIURISRC_START_RACE_HOLD").flatMap({ Int(String(cString: $0)) }) {
                        print("start-race: holding \(hold) s for a debugger, pid \(getpid())")
                        sleep(UInt32(hold))
                    }
                    for s in bin.streams() where s.state == .starting {
                        print("start-race: iteration \(iteration): source \(s.sourceId) still starting")
                        if let slot = bin.state.withLock({ $0?.slots[s.sourceId] }) {
                            print(describeSourceBranch(slot))
                        }
                    }
                }
                #expect(started, "iteration \(iteration): \(bin.streams().map { "\($0.sourceId)=\($0.state.rawValue)" })")
                #expect(bin.streams().allSatisfy { $0.state == .playing })
                p.stop()
            }
            print("start-race: \(stuckRuns) of \(iterations) iterations had a source stuck in starting (\(count) sources each)")
        }
    }
}

/// States of every element of a source's branch and whether its decoder
/// exposed a pad, for a stuck source's report.
func describeSourceBranch(_ slot: SourceSlot) -> String {
    guard let branch = slot.branch.withLock({ $0 }) else { return "  (no branch)" }
    var lines = ["  exposed=\(branch.progress.exposed)"]
    func stateName(_ s: GstState) -> String { String(cString: gst_element_state_get_name(s)) }
    func walk(_ element: UnsafeMutablePointer<GstElement>, depth: Int) {
        var current = GST_STATE_NULL, pending = GST_STATE_NULL
        let r = gst_element_get_state(element, &current, &pending, 0)
        lines.append(String(repeating: "  ", count: depth + 1)
            + "\(objectNameOf(UnsafeMutableRawPointer(element))): \(stateName(current)) pending \(stateName(pending)) (\(r.rawValue))")
        if let pads = gst_element_iterate_pads(element) {
            var pv = GValue()
            while gst_iterator_next(pads, &pv) == GST_ITERATOR_OK {
                if let obj = g_value_get_object(&pv) {
                    let pad = obj.assumingMemoryBound(to: GstPad.self)
                    let flags = obj.assumingMemoryBound(to: GstObject.self).pointee.flags
                    let flow = String(cString: gst_flow_get_name(gst_pad_get_last_flow_return(pad)))
                    lines.append(String(repeating: "  ", count: depth + 2)
                        + "pad \(objectNameOf(obj)): flags 0x\(String(flags, radix: 16)) last-flow \(flow) linked \(gst_pad_is_linked(pad))")
                }
                g_value_reset(&pv)
            }
            g_value_unset(&pv)
            gst_iterator_free(pads)
        }
        guard g_type_is_a(gsb_object_type(UnsafeMutableRawPointer(element)), gst_bin_get_type()) != 0,
              let it = gst_bin_iterate_elements(UnsafeMutableRawPointer(element).assumingMemoryBound(to: GstBin.self)) else { return }
        defer { gst_iterator_free(it) }
        var item = GValue()
        while gst_iterator_next(it, &item) == GST_ITERATOR_OK {
            if let obj = g_value_get_object(&item) { walk(obj.assumingMemoryBound(to: GstElement.self), depth: depth + 1) }
            g_value_reset(&item)
        }
        g_value_unset(&item)
    }
    walk(branch.bin.ptr, depth: 0)
    return lines.joined(separator: "\n")
}
