import Foundation
import Glibc

// MARK: - A1

/// swift-multiurisrc-app on a 16-source test5-style config against
/// gst-launch-1.0 running the very pipeline the app builds (the app's own
/// `--print-pipeline` gst-launch line, with -e), both stopped by SIGINT,
/// which both answer with EOS: what the app adds (config, bus
/// watch, perf probe and printer, main loop) must not show in CPU time.
/// Without a tiler, since the app's tiles follow stream-add/remove, which a
/// gst-launch line cannot express.
func runA1(_ ctx: BenchContext, _ results: Results) {
    guard let app = ctx.appPath else {
        results.add(Row(item: "A1", metric: "swift-multiurisrc-app CPU vs gst-launch-1.0", ours: "n/a (no --app)",
                        baseline: "-", ratio: "-", target: "≤ 1.03x", holds: nil))
        return
    }
    let n = envInt("BENCH_A1_SOURCES", 16, 1...64)
    let seconds = Double(envInt("BENCH_A1_SECONDS", 10, 2...120))
    let runs = envInt("BENCH_A1_RUNS", 7, 1...15)
    let env = ["GST_PLUGIN_PATH": ctx.pluginDir, "GST_REGISTRY": ctx.registry, "DISPLAY": ""]
    let list = Array(repeating: ctx.clipURI, count: n).joined(separator: ";")
    let ids = (0..<n).map { "s\($0)" }.joined(separator: ";")
    let config = """
        [application]
        enable-perf-measurement=1
        perf-measurement-interval-sec=1
        [source-list]
        num-source-bins=\(n)
        list=\(list)
        sensor-id-list=\(ids)
        sensor-name-list=\(ids)
        use-nvmultiurisrcbin=1
        stream-name-display=1
        max-batch-size=\(n)
        http-ip=127.0.0.1
        http-port=\(freePort())
        [source-attr-all]
        enable=1
        type=3
        [streammux]
        batch-size=\(n)
        width=320
        height=240
        live-source=0
        [primary-gie]
        enable=1
        interval=0
        config-file=config_infer_primary.txt
        [tiled-display]
        enable=0
        [osd]
        enable=0
        [sink0]
        enable=1
        type=1
        sync=1

        """
    let path = NSTemporaryDirectory() + "/bench-a1-\(getpid()).txt"
    _ = FileManager.default.createFile(atPath: path, contents: Data(config.utf8))
    defer { unlink(path) }
    let printed = runChild([app, "-c", path, "--print-pipeline"], environment: env, limit: 30)
    guard printed.status == 0,
          let line = printed.stdout.split(separator: "\n").first(where: { $0.hasPrefix("gst-launch-1.0: ") }) else {
        log("A1: --print-pipeline failed (exit \(printed.status)): \(printed.stdout)\n\(printed.stderr)")
        results.add(Row(item: "A1", metric: "swift-multiurisrc-app CPU vs gst-launch-1.0", ours: "failed",
                        baseline: "-", ratio: "-", target: "≤ 1.03x", holds: false))
        return
    }
    let launch = String(line.dropFirst("gst-launch-1.0: ".count))
    log("A1 baseline: gst-launch-1.0 \(launch)")
    struct Run { var cpu: Double; var rssMb: Double; var ok: Bool }
    func measure(_ argv: [String], app: Bool) -> Run {
        let r = runChild(argv, environment: env, stopAfter: seconds, limit: seconds + 20)
        var ok = !r.timedOut && !r.stdout.contains("ERROR") && !r.stderr.contains("ERROR")
        // The app must have played all sources (its PERF lines say so).
        if app { ok = ok && r.stdout.contains("Active sources : \(n)") }
        if !ok { log("A1 child trouble (exit \(r.status), timed out \(r.timedOut)):\n\(r.stdout.suffix(1500))\n\(r.stderr.suffix(1500))") }
        return Run(cpu: r.cpuSeconds, rssMb: Double(r.maxRssKb) / 1024, ok: ok)
    }
    var hand: [Run] = [], ours: [Run] = []
    for _ in 0..<runs {
        // -e: gst-launch ends with EOS on SIGINT, as the app does on Ctrl-C
        // (without it gst-launch drops to NULL at once and skips the drain).
        hand.append(measure(["gst-launch-1.0", "-e"] + launchArgs(launch).dropFirst(), app: false))
        // A new port each run: the previous run's may still be in TIME_WAIT.
        let fresh = config.replacingOccurrences(of: #"http-port=\d+"#, with: "http-port=\(freePort())", options: .regularExpression)
        _ = FileManager.default.createFile(atPath: path, contents: Data(fresh.utf8))
        ours.append(measure([app, "-c", path], app: true))
    }
    log("A1 CPU s gst-launch \(hand.map { fmt($0.cpu) }), app \(ours.map { fmt($0.cpu) }); "
        + "RSS MB gst-launch \(hand.map { fmt($0.rssMb, 1) }), app \(ours.map { fmt($0.rssMb, 1) })")
    let ok = hand.allSatisfy(\.ok) && ours.allSatisfy(\.ok)
    let (oursCpu, handCpu) = (ours.map(\.cpu).min() ?? .nan, hand.map(\.cpu).min() ?? .nan)
    results.add(Row(item: "A1", metric: "swift-multiurisrc-app, \(n)-source test5 config (swiftinferinterval, perf 1 s, fakesink), "
                        + "\(Int(seconds)) s, files not live: CPU s (least of \(runs); median)",
                    ours: fmt(oursCpu) + "; " + fmt(median(ours.map(\.cpu))) + (ok ? "" : " (a run failed)"),
                    baseline: fmt(handCpu) + "; " + fmt(median(hand.map(\.cpu))) + " (gst-launch-1.0 -e, the app's pipeline)",
                    ratio: fmt(oursCpu / handCpu) + "x", target: "≤ 1.03x", holds: ok && oursCpu / handCpu <= 1.03))
    results.add(Row(item: "A1", metric: "  peak RSS (MB, median of \(runs))", ours: fmt(median(ours.map(\.rssMb)), 1),
                    baseline: fmt(median(hand.map(\.rssMb)), 1),
                    ratio: fmt(median(ours.map(\.rssMb)) / median(hand.map(\.rssMb))) + "x", target: "-", holds: nil))
}
