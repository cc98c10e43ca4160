// P1: POST roi/update on one keep-alive connection: its HTTP round trip
// against the round trip of a bare civetweb handler with the same client and
// body, the two interleaved request by request while the bin plays (same
// quantity, same load); and, with no baseline, the time from the send to the
// nv-roi-update event at a probe on the sink pad of a fakesink after the bin.
import CGStreamer
import Glibc
import GstSwiftBridge
import Synchronization
import swiftcustomevents

func roiBody(_ i: Int) -> String {
    #"{"stream":{"stream_id":"0","roi_count":1,"roi":[{"roi_id":"0","left":\#(i),"top":10,"width":100,"height":100}]}}"#
}

func runP1(_ ctx: BenchContext, _ results: Results) {
    let requests = envInt("BENCH_P1_REQUESTS", 1000, 1000...100_000)
    let warmup = 50
    let port = freePort()
    let pipeline = Pipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) uri-list=\(ctx.clipURI) "
        + "live-source=true file-loop=true drop-pipeline-eos=true width=320 height=240 ! fakesink name=out sync=false")
    // left value of the ROI → time the event passed the probe.
    let seen = Mutex<[UInt32: Int64]>([:])
    let frames = Atomic<Int>(0)
    guard let sink = pipeline.child("out") else { fail("P1: no fakesink") }
    addProbe(sink, pad: "sink") { info in
        let type = gsb_probe_info_type(info).rawValue
        if type & GST_PAD_PROBE_TYPE_BUFFER.rawValue != 0 {
            frames.add(1, ordering: .relaxed)
        } else if let event = gsb_probe_info_event(info),
                  case .roiUpdate(_, let rois)? = ControlEvent(parsing: event), let left = rois.first?.left {
            let t = nowUs()
            seen.withLock { $0[left] = $0[left] ?? t }
        }
    }
    gst_object_unref(UnsafeMutableRawPointer(sink))
    guard pipeline.play() else { fail("P1: pipeline does not start") }
    guard waitUntil(ms: 15_000, { frames.load(ordering: .relaxed) > 5 }) else {
        fail("P1: no frames out of the bin (\(pipeline.pollError() ?? "no error"))")
    }
    guard let conn = KeepAliveConnection(port: port) else { fail("P1: cannot connect to port \(port)") }
    let bare = BareCivetweb()
    guard let bareConn = KeepAliveConnection(port: bare.port) else { fail("P1: cannot connect to bare civetweb") }

    let framesAtStart = frames.load(ordering: .relaxed), tStart = nowUs()
    var eventUs: [Double] = [], answerUs: [Double] = [], bareUs: [Double] = []
    var lost = 0
    for i in 0..<(warmup + requests) {
        let left = UInt32(1000 + i)
        let request = KeepAliveConnection.request("POST", "/api/v1/roi/update", body: roiBody(Int(left)))
        let t0 = nowUs()
        guard let status = conn.roundTrip(request) else { fail("P1: roi/update connection failed") }
        let t1 = nowUs()
        guard status == 200 else { fail("P1: roi/update answered \(status)") }
        var tEvent: Int64?
        _ = waitUntil(ms: 2_000) {
            tEvent = seen.withLock { $0[left] }
            return tEvent != nil
        }
        // The baseline's round trip right after ours, on the same playing machine.
        let b0 = nowUs()
        guard bareConn.roundTrip(request) == 200 else { fail("P1: bare civetweb did not answer 200") }
        let b1 = nowUs()
        guard i >= warmup else { continue }
        answerUs.append(Double(t1 - t0))
        bareUs.append(Double(b1 - b0))
        if let tEvent { eventUs.append(Double(tEvent - t0)) } else { lost += 1 }
    }
    let bufferRate = Double(frames.load(ordering: .relaxed) - framesAtStart) / (Double(nowUs() - tStart) / 1e6)
    bare.stop()
    pipeline.stop()

    let a50 = percentile(answerUs, 0.5) / 1000, a99 = percentile(answerUs, 0.99) / 1000
    let b50 = percentile(bareUs, 0.5) / 1000, b99 = percentile(bareUs, 0.99) / 1000
    let e50 = percentile(eventUs, 0.5) / 1000, e99 = percentile(eventUs, 0.99) / 1000
    results.add(Row(item: "P1", metric: "roi/update HTTP round trip while playing, p50 (ms, n=\(requests), interleaved)",
                    ours: fmt(a50, 3), baseline: fmt(b50, 3) + " (bare civetweb)",
                    ratio: "+" + fmt(a50 - b50, 3) + " ms", target: "-", holds: nil))
    results.add(Row(item: "P1", metric: "  same, p99 (ms)",
                    ours: fmt(a99, 3), baseline: fmt(b99, 3), ratio: "+" + fmt(a99 - b99, 3) + " ms",
                    target: "p99 ≤ floor + 0.05 ms", holds: a99 - b99 <= 0.05))
    results.add(Row(item: "P1", metric: "  send → nv-roi-update at the downstream probe, p50 / p99 (ms); events lost; buffers/s out",
                    ours: "\(fmt(e50, 3)) / \(fmt(e99, 3)); \(lost); \(fmt(bufferRate, 1))", baseline: "-",
                    ratio: "-", target: "no event lost", holds: lost == 0))
}
