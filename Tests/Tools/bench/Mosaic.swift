// P3 and P6: the mosaic (muxer=compositor) of N 320x240 30 fps H.264 sources
// against the equivalent hand-built pipeline
//   N × (uridecodebin ! videoconvertscale ! I420 320x240) → compositor, the
//   elements and caps of our source branches.
// P3's target row runs our bin configured like that pipeline (uridecodebin,
// files not live); a second row shows our defaults (uridecodebin3,
// live-source=true) against the same work by hand (uridecodebin3 and a
// clocksync per source).
import CGStreamer
import Glibc
import GstSwiftBridge
import Synchronization

/// Grid of the mosaic: ceil(sqrt(n)) columns, as the bin lays it out, each
/// cell 320x240.
func mosaicSize(_ n: Int) -> (columns: Int, width: Int, height: Int) {
    var columns = 1
    while columns * columns < n { columns += 1 }
    let rows = (n + columns - 1) / columns
    return (columns, columns * 320, rows * 240)
}

/// How our bin and the hand-built pipeline get their sources.
enum MosaicConfig {
    /// Like the issue's hand-built pipeline: uridecodebin, files not live.
    case equivalent
    /// Our defaults: uridecodebin3 and live-source=true (files paced by a
    /// clocksync per source); by hand: the same elements.
    case ourDefaults
}

/// gst-launch syntax of our bin, N times the same clip.
func oursMosaic(_ ctx: BenchContext, _ n: Int, port: UInt16, sink: String, config: MosaicConfig) -> String {
    let m = mosaicSize(n)
    let uris = Array(repeating: ctx.clipURI, count: n).joined(separator: ",")
    let sources = config == .equivalent ? "live-source=false source-factory=uridecodebin" : "live-source=true"
    return "swiftmultiurisrcbin name=src uri-list=\(uris) ip-address=127.0.0.1 port=\(port) \(sources) "
        + "max-batch-size=\(max(n, 30)) file-loop=true muxer=compositor width=\(m.width) height=\(m.height) ! \(sink)"
}

/// The hand-built equivalent (no looping: the clip is longer than the run).
func handMosaic(_ ctx: BenchContext, _ n: Int, sink: String, config: MosaicConfig) -> String {
    let m = mosaicSize(n)
    var pads = ""
    for i in 0..<n {
        pads += " sink_\(i)::xpos=\((i % m.columns) * 320) sink_\(i)::ypos=\((i / m.columns) * 240)"
    }
    var text = "compositor name=muxer background=black\(pads) ! video/x-raw,width=\(m.width),height=\(m.height) ! \(sink)"
    let (decoder, pace) = config == .equivalent ? ("uridecodebin", "") : ("uridecodebin3", " ! clocksync")
    for i in 0..<n {
        // The same elements and caps as a source branch of ours (SourceBranch):
        // videoconvertscale, then I420 at the cell's size.
        text += " \(decoder) uri=\(ctx.clipURI) ! videoconvertscale ! video/x-raw,format=I420,width=320,height=240\(pace) ! muxer.sink_\(i)"
    }
    return text
}

func launchArgs(_ description: String) -> [String] {
    // gst-launch-1.0 splits its arguments itself; none of ours hold spaces.
    // No -e: SIGINT then sets the pipeline to NULL at once (draining 16 live
    // sources with EOS can take longer than the run itself).
    ["gst-launch-1.0"] + description.split(separator: " ").map(String.init)
}

func runP3(_ ctx: BenchContext, _ results: Results) {
    let n = envInt("BENCH_P3_SOURCES", 16, 1...64)
    let seconds = Double(envInt("BENCH_P3_SECONDS", 10, 2...120))
    let runs = envInt("BENCH_P3_RUNS", 5, 1...9)
    let env = ["GST_PLUGIN_PATH": ctx.pluginDir, "GST_REGISTRY": ctx.registry]
    struct Run { var cpu: Double; var rssMb: Double; var ok: Bool }
    func run(_ description: String) -> Run {
        let r = runChild(launchArgs(description), environment: env, stopAfter: seconds, limit: seconds + 20)
        let ok = !r.timedOut && !r.stdout.contains("ERROR") && !r.stderr.contains("ERROR")
        if !ok {
            log("P3 child trouble (exit \(r.status), timed out \(r.timedOut)):\n\(r.stdout.suffix(1500))\n\(r.stderr.suffix(1500))")
        }
        return Run(cpu: r.cpuSeconds, rssMb: Double(r.maxRssKb) / 1024, ok: ok)
    }
    let sink = "fakesink sync=true"
    // Alternating, so that noise hits both alike. CPU: the least disturbed
    // run of each (other work on a shared machine only ever adds to a
    // process's CPU time; medians are shown beside); RSS: medians.
    var hand: [Run] = [], ours: [Run] = []
    for _ in 0..<runs {
        hand.append(run(handMosaic(ctx, n, sink: sink, config: .equivalent)))
        ours.append(run(oursMosaic(ctx, n, port: freePort(), sink: sink, config: .equivalent)))
    }
    log("P3 CPU s hand-built \(hand.map { fmt($0.cpu) }), ours \(ours.map { fmt($0.cpu) }); "
        + "RSS MB hand-built \(hand.map { fmt($0.rssMb, 1) }), ours \(ours.map { fmt($0.rssMb, 1) })")
    let ok = hand.allSatisfy(\.ok) && ours.allSatisfy(\.ok)
    let failed = ok ? "" : " (a run failed)"
    let (oursCpu, handCpu) = (ours.map(\.cpu).min() ?? .nan, hand.map(\.cpu).min() ?? .nan)
    let (oursMedian, handMedian) = (median(ours.map(\.cpu)), median(hand.map(\.cpu)))
    let (oursRss, handRss) = (median(ours.map(\.rssMb)), median(hand.map(\.rssMb)))
    results.add(Row(item: "P3", metric: "\(n) sources mosaic, \(Int(seconds)) s real time, uridecodebin, files not live: CPU s (least of \(runs); median)",
                    ours: fmt(oursCpu) + "; " + fmt(oursMedian) + failed, baseline: fmt(handCpu) + "; " + fmt(handMedian) + " (hand-built)",
                    ratio: fmt(oursCpu / handCpu) + "x", target: "≤ 1.05x", holds: ok && oursCpu / handCpu <= 1.05))
    results.add(Row(item: "P3", metric: "  peak RSS (MB, median of \(runs))",
                    ours: fmt(oursRss, 1), baseline: fmt(handRss, 1),
                    ratio: fmt(oursRss / handRss) + "x", target: "≤ 1.10x", holds: ok && oursRss / handRss <= 1.10))

    // Our defaults, once, against the same work by hand.
    let handDefaults = run(handMosaic(ctx, n, sink: sink, config: .ourDefaults))
    let oursDefaults = run(oursMosaic(ctx, n, port: freePort(), sink: sink, config: .ourDefaults))
    results.add(Row(item: "P3", metric: "  our defaults (uridecodebin3, live-source=true) vs uridecodebin3 + clocksync by hand: CPU s",
                    ours: fmt(oursDefaults.cpu) + (oursDefaults.ok ? "" : " (failed)"),
                    baseline: fmt(handDefaults.cpu) + (handDefaults.ok ? "" : " (failed)"),
                    ratio: fmt(oursDefaults.cpu / handDefaults.cpu) + "x", target: "-", holds: nil))
}

// MARK: - P6

/// Plays `description` in this process for `warmup` + `window` seconds and
/// returns (mean input fps per source at the compositor's sink pads, output
/// fps at the fakesink).
func measureMosaic(_ description: String, sources n: Int, warmup: Double, window: Double) -> (Double, Double)? {
    let pipeline = Pipeline(description)
    defer { pipeline.stop() }
    guard let out = pipeline.child("out") else { log("P6: no fakesink named out"); return nil }
    defer { gst_object_unref(UnsafeMutableRawPointer(out)) }
    let outFrames = Atomic<Int>(0), inFrames = Atomic<Int>(0)
    let counting = Atomic<Bool>(false)
    addProbe(out, pad: "sink", events: false) { _ in
        if counting.load(ordering: .relaxed) { outFrames.add(1, ordering: .relaxed) }
    }
    guard pipeline.play() else { return nil }
    let start = nowUs()
    // Warm-up: at least `warmup` seconds and every source linked to the
    // compositor (our bin makes its compositor when it starts), at most 20 s.
    var muxer: UnsafeMutablePointer<GstElement>?
    while true {
        if let e = pipeline.pollError() { log("P6: \(e)"); return nil }
        if muxer == nil { muxer = pipeline.child("muxer") }
        let linked = muxer.map { Int($0.pointee.numsinkpads) } ?? 0
        let elapsed = Double(nowUs() - start) / 1e6
        if elapsed >= warmup && linked >= n { break }
        if elapsed >= 20 { log("P6: only \(linked) of \(n) compositor inputs after 20 s"); break }
        usleep(50_000)
    }
    guard let muxer else { log("P6: no compositor named muxer"); return nil }
    defer { gst_object_unref(UnsafeMutableRawPointer(muxer)) }
    var pads = 0
    var node = muxer.pointee.sinkpads
    while let item = node {
        if let data = item.pointee.data {
            let pad = data.assumingMemoryBound(to: GstPad.self)
            addProbe(pad, events: false) { _ in
                if counting.load(ordering: .relaxed) { inFrames.add(1, ordering: .relaxed) }
            }
            pads += 1
        }
        node = item.pointee.next
    }
    counting.store(true, ordering: .relaxed)
    let t0 = nowUs()
    usleep(UInt32(window * 1e6))
    counting.store(false, ordering: .relaxed)
    let elapsed = Double(nowUs() - t0) / 1e6
    if let e = pipeline.pollError() { log("P6: \(e)"); return nil }
    // Per source, over every source asked for (a missing one counts as 0 fps).
    return (Double(inFrames.load(ordering: .relaxed)) / Double(max(n, pads)) / elapsed,
            Double(outFrames.load(ordering: .relaxed)) / elapsed)
}

func runP6(_ ctx: BenchContext, _ results: Results) {
    let maxN = envInt("BENCH_P6_MAX", 64, 1...128)
    let window = Double(envInt("BENCH_P6_SECONDS", 5, 2...60))
    let warmup = 2.0
    let budget = Double(envInt("BENCH_P6_BUDGET", 180, 20...3600))
    let start = nowUs()
    let threshold = 0.95 * 30

    /// Largest N in 1...maxN that stays real time, by bisection; nil bound
    /// when the budget ran out (then the result is a lower bound).
    func search(_ name: String, _ make: (Int) -> String) -> (Int, Bool, String) {
        var lo = 0, hi = maxN + 1
        var notes: [String] = []
        var complete = true
        // Start at 16 (P3's count), then bisect.
        var mid = min(16, maxN)
        while hi - lo > 1 {
            if Double(nowUs() - start) / 1e6 > budget / 2 * (name == "ours" ? 1 : 2) { complete = false; break }
            let m = measureMosaic(make(mid), sources: mid, warmup: warmup, window: window)
            let ok = m.map { $0.0 >= threshold && $0.1 >= threshold } ?? false
            notes.append("\(mid):\(m.map { "\(fmt($0.0, 1))/\(fmt($0.1, 1))" } ?? "failed")\(ok ? "" : "✗")")
            log("P6 \(name) N=\(mid): in/out fps \(m.map { "\(fmt($0.0, 1)) / \(fmt($0.1, 1))" } ?? "failed") → \(ok ? "real time" : "not")")
            if ok { lo = mid } else { hi = mid }
            mid = (lo + hi) / 2
            usleep(300_000)
        }
        return (lo, complete, notes.joined(separator: " "))
    }
    let ours = search("ours") { n in
        // Our defaults (the harder case) against the issue's hand-built pipeline.
        oursMosaic(ctx, n, port: freePort(), sink: "fakesink name=out sync=true", config: .ourDefaults)
    }
    // The same work by hand: uridecodebin3 and a clocksync per source, as our defaults do.
    let hand = search("hand-built") { n in handMosaic(ctx, n, sink: "fakesink name=out sync=true", config: .ourDefaults) }
    // Both sides at the cap, or a search cut short by the budget, decide nothing.
    let bothAtCap = ours.0 == maxN && hand.0 == maxN
    let oursText = "\(ours.0)\(ours.1 ? "" : "+") (\(ours.2))"
    let handText = "\(hand.0)\(hand.1 ? "" : "+") (\(hand.2))"
    results.add(Row(item: "P6", metric: "most 320x240@30 sources real time, our defaults (≥ 28.5 fps in and out, \(Int(window)) s; N:in/out fps)",
                    ours: oursText, baseline: handText,
                    ratio: bothAtCap ? "inconclusive: both at the cap \(maxN) (raise BENCH_P6_MAX)"
                        : hand.0 > 0 ? fmt(Double(ours.0) / Double(hand.0)) + "x" : "n/a",
                    target: "≥ baseline", holds: bothAtCap || !(ours.1 && hand.1) ? nil : ours.0 >= hand.0))
}
