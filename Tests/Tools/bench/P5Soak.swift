// P5: `swiftmultiurisrc-soak add-remove <cycles> <uri>` in child processes:
// cycles per second, RSS growth, fd delta, leaked objects (counted as
// Tests/swiftmultiurisrcTests/LeakTests.swift does).
//
// Two children: memory is measured without a tracer (the leaks tracer keeps
// a record of every live object and its own tables: with it the same
// cycles grew 9.7 MB, without 4.0), leaked objects in a second run with
// GST_TRACERS=leaks. Growth is measured after BENCH_P5_WARMUP (100) cycles,
// as the difference of medians of the two ends and as the least-squares
// trend over every sample; the one-time warm-up RSS (glibc's per-thread
// arenas and the touched stacks of the REST workers and sources' threads)
// is shown on a row of its own, with the arenas and threads behind it.
import Foundation
import Glibc

/// The `key=value` fields of the soak's result line, or nil when it failed.
private func soak(_ ctx: BenchContext, cycles: Int, warmup: Int, tracer: Bool) -> (fields: [String: Double], stderr: String)? {
    var env = ["SOAK_WARMUP": String(warmup)]
    if tracer { env["GST_TRACERS"] = "leaks"; env["GST_DEBUG"] = "GST_TRACER:7" }
    if let arena = envString("BENCH_P5_MALLOC_ARENA_MAX") { env["MALLOC_ARENA_MAX"] = arena }
    let run = runChild([ctx.soakPath, "add-remove", String(cycles), ctx.clipURI], environment: env,
                       limit: Double(envInt("BENCH_P5_LIMIT", 360, 30...3600)), keepOutput: 64 << 20)
    let line = run.stdout.split(separator: "\n").first { $0.hasPrefix("cycles=") }
    guard run.status == 0, !run.timedOut, let line else {
        log("soak (\(tracer ? "leaks tracer" : "no tracer")) exit \(run.status)\(run.timedOut ? ", timed out" : ""); stderr tail: \(run.stderr.suffix(2000))")
        return nil
    }
    var fields: [String: Double] = [:]
    for pair in line.split(separator: " ") {
        let kv = pair.split(separator: "=", maxSplits: 1)
        if kv.count == 2, let v = Double(kv[1]) { fields[String(kv[0])] = v }
    }
    return (fields, run.stderr)
}

func runP5(_ ctx: BenchContext, _ results: Results) {
    let cycles = envInt("BENCH_P5_CYCLES", 1000, 1...100_000)
    let warmup = envInt("BENCH_P5_WARMUP", 100, 1...10_000)
    let leakCycles = envInt("BENCH_P5_LEAK_CYCLES", 300, 1...100_000)
    guard let memory = soak(ctx, cycles: cycles, warmup: warmup, tracer: false) else {
        results.add(Row(item: "P5", metric: "\(cycles) add/remove cycles", ours: "failed", baseline: "-", ratio: "-",
                        target: "completes", holds: false))
        return
    }
    let fields = memory.fields
    let seconds = fields["seconds"] ?? .nan
    let growthMb = ((fields["rss_kb_after"] ?? .nan) - (fields["rss_kb_before"] ?? .nan)) / 1024
    let slopeMb = (fields["rss_slope_kb_per_1000"] ?? .nan) / 1024 * Double(cycles) / 1000
    let warmupMb = ((fields["rss_kb_before"] ?? .nan) - (fields["rss_kb_start"] ?? .nan)) / 1024
    let fdDelta = Int((fields["fds_after"] ?? 0) - (fields["fds_before"] ?? 0))
    results.add(Row(item: "P5", metric: "\(cycles) add/remove cycles over REST: cycles/s",
                    ours: fmt(Double(cycles) / seconds, 1), baseline: "-", ratio: "-", target: "-", holds: nil))
    results.add(Row(item: "P5", metric: "  RSS growth over the \(cycles) cycles, no tracer (MB; medians of the ends; \(fmt(growthMb * 1024 / Double(cycles), 1)) KB/cycle)",
                    ours: fmt(growthMb, 1), baseline: "-", ratio: "-",
                    target: "≤ 1 MB", holds: growthMb <= 1))
    results.add(Row(item: "P5", metric: "  RSS trend over the \(cycles) cycles (MB; least squares over every sample)",
                    ours: fmt(slopeMb, 1), baseline: "-", ratio: "-", target: "≤ 1 MB", holds: slopeMb <= 1))
    results.add(Row(item: "P5", metric: "  RSS taken by warm-up cycles 2-\(warmup) (MB; \(Int(fields["arenas"] ?? 0)) glibc arenas, \(Int(fields["max_threads"] ?? 0)) threads)",
                    ours: fmt(warmupMb, 1), baseline: "-", ratio: "-", target: "-", holds: nil))
    // No baseline column: these are absolute counts, and nothing else is run to compare them with.
    results.add(Row(item: "P5", metric: "  fd delta", ours: String(fdDelta), baseline: "-",
                    ratio: "-", target: "0", holds: fdDelta == 0))
    guard let traced = soak(ctx, cycles: leakCycles, warmup: 1, tracer: true) else {
        results.add(Row(item: "P5", metric: "  leaked GstObjects (leaks tracer, \(leakCycles) cycles)", ours: "failed",
                        baseline: "-", ratio: "-", target: "0", holds: false))
        return
    }
    let leaked = traced.stderr.split(separator: "\n")
        .filter { $0.contains("object-alive, type-name=(string)") && !$0.contains("%s") }
    var leakedTypes: [String: Int] = [:]
    for l in leaked {
        if let r = l.range(of: "type-name=(string)") {
            let name = l[r.upperBound...].prefix { $0 != "," }
            leakedTypes[String(name), default: 0] += 1
        }
    }
    if !leakedTypes.isEmpty { log("P5 leaked types: \(leakedTypes.sorted { $0.value > $1.value }.prefix(10))") }
    results.add(Row(item: "P5", metric: "  leaked GstObjects (leaks tracer, \(leakCycles) more cycles)", ours: String(leaked.count), baseline: "-",
                    ratio: "-", target: "0", holds: leaked.isEmpty))
}
