// P5: `swiftmultiurisrc-soak add-remove <cycles> <uri>` in a child process
// with the leaks tracer: cycles per second, RSS growth, fd delta, leaked
// objects (counted as Tests/swiftmultiurisrcTests/LeakTests.swift does).
// Growth is measured after BENCH_P5_WARMUP (100) cycles, whose one-time RSS
// (glibc's per-thread arenas: one per thread that allocates, REST workers and
// sources' threads, up to 8 per core) is shown on a row of its own.
import Foundation
import Glibc

func runP5(_ ctx: BenchContext, _ results: Results) {
    let cycles = envInt("BENCH_P5_CYCLES", 1000, 1...100_000)
    let warmup = envInt("BENCH_P5_WARMUP", 100, 1...10_000)
    var env = ["GST_TRACERS": "leaks", "GST_DEBUG": "GST_TRACER:7", "SOAK_WARMUP": String(warmup)]
    if let arena = envString("BENCH_P5_MALLOC_ARENA_MAX") { env["MALLOC_ARENA_MAX"] = arena }
    let run = runChild([ctx.soakPath, "add-remove", String(cycles), ctx.clipURI], environment: env,
                       limit: Double(envInt("BENCH_P5_LIMIT", 360, 30...3600)), keepOutput: 64 << 20)
    let line = run.stdout.split(separator: "\n").first { $0.hasPrefix("cycles=") }
    guard run.status == 0, !run.timedOut, let line else {
        log("soak stderr tail: \(run.stderr.suffix(2000))")
        results.add(Row(item: "P5", metric: "\(cycles) add/remove cycles", ours: "failed (exit \(run.status)\(run.timedOut ? ", timed out" : ""))",
                        baseline: "-", ratio: "-", target: "completes", holds: false))
        return
    }
    var fields: [String: Double] = [:]
    for pair in line.split(separator: " ") {
        let kv = pair.split(separator: "=", maxSplits: 1)
        if kv.count == 2, let v = Double(kv[1]) { fields[String(kv[0])] = v }
    }
    let seconds = fields["seconds"] ?? .nan
    let growthMb = ((fields["rss_kb_after"] ?? .nan) - (fields["rss_kb_before"] ?? .nan)) / 1024
    let warmupMb = ((fields["rss_kb_before"] ?? .nan) - (fields["rss_kb_start"] ?? .nan)) / 1024
    let fdDelta = Int((fields["fds_after"] ?? 0) - (fields["fds_before"] ?? 0))
    let leaked = run.stderr.split(separator: "\n")
        .filter { $0.contains("object-alive, type-name=(string)") && !$0.contains("%s") }
    var leakedTypes: [String: Int] = [:]
    for l in leaked {
        if let r = l.range(of: "type-name=(string)") {
            let name = l[r.upperBound...].prefix { $0 != "," }
            leakedTypes[String(name), default: 0] += 1
        }
    }
    if !leakedTypes.isEmpty { log("P5 leaked types: \(leakedTypes.sorted { $0.value > $1.value }.prefix(10))") }
    results.add(Row(item: "P5", metric: "\(cycles) add/remove cycles over REST: cycles/s",
                    ours: fmt(Double(cycles) / seconds, 1), baseline: "-", ratio: "-", target: "-", holds: nil))
    results.add(Row(item: "P5", metric: "  RSS growth over the \(cycles) cycles (MB; \(fmt(growthMb * 1024 / Double(cycles), 1)) KB/cycle)",
                    ours: fmt(growthMb, 1), baseline: "-", ratio: "-",
                    target: "≤ 2 MB", holds: growthMb <= 2))
    results.add(Row(item: "P5", metric: "  RSS taken by warm-up cycles 2-\(warmup) before them (MB; glibc arenas of allocating threads)",
                    ours: fmt(warmupMb, 1), baseline: "-", ratio: "-", target: "-", holds: nil))
    // No baseline column: these are absolute counts, and nothing else is run to compare them with.
    results.add(Row(item: "P5", metric: "  fd delta", ours: String(fdDelta), baseline: "-",
                    ratio: "-", target: "0", holds: fdDelta == 0))
    results.add(Row(item: "P5", metric: "  leaked GstObjects (leaks tracer)", ours: String(leaked.count), baseline: "-",
                    ratio: "-", target: "0", holds: leaked.isEmpty))
}
