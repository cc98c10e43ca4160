// P2: POST stream/add → the new source's first buffer (GstSwiftSourceMeta) at
// a probe after the bin; against a bare `uridecodebin3 ! fakesink` of the
// same file added to a pipeline that already plays (gst_bin_add +
// sync_state_with_parent → first buffer), as our sources are added.
import CGStreamer
import Glibc
import GstSwiftBridge
import Synchronization

func addBody(_ id: String, _ uri: String, wait: Bool) -> String {
    let extra = wait ? #","wait_for_first_frame_ms":5000"# : ""
    return #"{"key":"sensor","value":{"camera_id":"\#(id)","camera_name":"bench","camera_url":"\#(uri)","change":"camera_add"\#(extra)}}"#
}

func removeBody(_ id: String) -> String {
    #"{"key":"sensor","value":{"camera_id":"\#(id)","change":"camera_remove"}}"#
}

/// The target row runs our bin with its defaults (files not live, like the
/// bare uridecodebin3 ! fakesink); a second row adds a source to a
/// live-source=true bin, whose sources pace files through a clocksync.
func runP2(_ ctx: BenchContext, _ results: Results) {
    let runs = envInt("BENCH_P2_RUNS", 31, 10...200)
    let (ours, answer, bare) = measureAdd(ctx, live: false, runs: runs)
    let (oursMs, baseMs) = (median(ours), median(bare))
    results.add(Row(item: "P2", metric: "stream/add → first buffer out of the bin, median (ms, n=\(runs))",
                    ours: fmt(oursMs), baseline: fmt(baseMs) + " (bare uridecodebin3)",
                    ratio: fmt(oursMs / baseMs) + "x", target: "≤ 1.15x", holds: oursMs / baseMs <= 1.15))
    results.add(Row(item: "P2", metric: "  same, p90 (ms); stream/add answer median (ms)",
                    ours: "\(fmt(percentile(ours, 0.9))); \(fmt(median(answer)))",
                    baseline: fmt(percentile(bare, 0.9)), ratio: fmt(percentile(ours, 0.9) / percentile(bare, 0.9)) + "x",
                    target: "-", holds: nil))
    let (oursLive, _, bareLive) = measureAdd(ctx, live: true, runs: runs)
    results.add(Row(item: "P2", metric: "  same into a live-source=true bin (clocksync per source), median (ms)",
                    ours: fmt(median(oursLive)), baseline: fmt(median(bareLive)),
                    ratio: fmt(median(oursLive) / median(bareLive)) + "x", target: "-", holds: nil))
}

/// `runs` adds into a playing bin, each followed by a bare uridecodebin3
/// start (alternating, so that noise hits both alike); run 0 of each is a
/// warm-up. Returns milliseconds: add → first buffer, add → answer, bare
/// start → first buffer.
func measureAdd(_ ctx: BenchContext, live: Bool, runs: Int) -> ([Double], [Double], [Double]) {
    let port = freePort()
    let pipeline = Pipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) live-source=\(live) "
        + "drop-pipeline-eos=true width=320 height=240 ! fakesink name=out sync=false")
    // First buffer time per source id since the last reset.
    let first = Mutex<[UInt32: Int64]>([:])
    guard let sink = pipeline.child("out") else { fail("P2: no fakesink") }
    addProbe(sink, pad: "sink", events: false) { info in
        guard let buffer = gsb_probe_info_buffer(info),
              let id = gst_buffer_get_swift_source_meta(buffer)?.pointee.source_id else { return }
        let t = nowUs()
        first.withLock { if $0[id] == nil { $0[id] = t } }
    }
    gst_object_unref(UnsafeMutableRawPointer(sink))
    guard pipeline.play() else { fail("P2: pipeline does not start") }
    // The baseline's host: a playing pipeline (empty: nothing to preroll) the bare
    // decoder is added to, like ours.
    guard let hostElement = gst_pipeline_new("p2-host"),
          gst_element_set_state(hostElement, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE else {
        fail("P2: baseline host pipeline does not start")
    }
    defer {
        gst_element_set_state(hostElement, GST_STATE_NULL)
        gst_object_unref(UnsafeMutableRawPointer(hostElement))
    }
    guard waitUntil(ms: 10_000, { KeepAliveConnection(port: port) != nil }) else { fail("P2: REST server not up") }
    guard let conn = KeepAliveConnection(port: port) else { fail("P2: cannot connect") }

    var oursMs: [Double] = [], answerMs: [Double] = [], bareMs: [Double] = []
    for run in 0...runs {
        first.withLock { $0.removeAll() }
        let id = "p2cam\(run)"
        let t0 = nowUs()
        guard let status = conn.roundTrip(KeepAliveConnection.request("POST", "/api/v1/stream/add",
                                                                       body: addBody(id, ctx.clipURI, wait: true))) else {
            fail("P2: stream/add connection failed")
        }
        let t1 = nowUs()
        guard status == 200 else { fail("P2: stream/add answered \(status)") }
        var tFirst: Int64?
        _ = waitUntil(ms: 5_000) {
            tFirst = first.withLock { $0.values.min() }
            return tFirst != nil
        }
        guard let tFirst else { fail("P2: no first buffer of the added source") }
        if run > 0 {
            oursMs.append(Double(tFirst - t0) / 1000)
            answerMs.append(Double(t1 - t0) / 1000)
        }
        guard conn.roundTrip(KeepAliveConnection.request("POST", "/api/v1/stream/remove", body: removeBody(id))) == 200 else {
            fail("P2: stream/remove failed")
        }
        usleep(100_000)

        // The baseline, alternating with ours so that noise hits both alike: the same
        // decoder added to a pipeline that already plays (as our sources are), with
        // no pipeline state change on its path.
        var error: UnsafeMutablePointer<GError>?
        guard let branch = gst_parse_bin_from_description("uridecodebin3 uri=\(ctx.clipURI) \(live ? "! clocksync " : "")! fakesink name=bareout sync=false",
                                                          0, &error) else {
            fail("P2: bare branch does not parse: \(error.map { String(cString: $0.pointee.message) } ?? "?")")
        }
        let branchElement = UnsafeMutableRawPointer(branch).assumingMemoryBound(to: GstElement.self)
        let bareFirst = Mutex<Int64?>(nil)
        guard let bsink = gst_bin_get_by_name(UnsafeMutableRawPointer(branch).assumingMemoryBound(to: GstBin.self), "bareout")
        else { fail("P2: no bare fakesink") }
        _ = addProbe(bsink, pad: "sink", events: false) { _ in
            let t = nowUs()
            bareFirst.withLock { if $0 == nil { $0 = t } }
        }
        gst_object_unref(UnsafeMutableRawPointer(bsink))
        let hostBin = UnsafeMutableRawPointer(hostElement).assumingMemoryBound(to: GstBin.self)
        let b0 = nowUs()
        gst_bin_add(hostBin, branchElement)
        guard gst_element_sync_state_with_parent(branchElement) != 0 else { fail("P2: bare branch does not start") }
        guard waitUntil(ms: 5_000, { bareFirst.withLock { $0 } != nil }) else {
            fail("P2: bare uridecodebin3 gave no buffer")
        }
        if run > 0 { bareMs.append(Double(bareFirst.withLock { $0 }! - b0) / 1000) }
        gst_element_set_state(branchElement, GST_STATE_NULL)
        gst_bin_remove(hostBin, branchElement)
        usleep(50_000)
    }
    pipeline.stop()

    return (oursMs, answerMs, bareMs)
}
