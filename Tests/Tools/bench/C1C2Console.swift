// C1: GET stream/snapshot's latency and CPU per request, for a 320x240 and
// a 1280x720 frame: requests paced past the snapshot cache (each one
// encodes), next to the same pipeline's CPU without requests; and the
// cached answer's latency.
// C2: 10 open consoles on 16 streams, each client polling as the page does
// (every stream's snapshot about 3 times a second, stream info once a
// second): the streams' frame rate in rounds with the clients, alternating
// with rounds without.
import CGStreamer
import Glibc
import GstSwiftBridge
import Synchronization

/// User + system CPU seconds of this process so far.
func processCpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
}

func runC1(_ ctx: BenchContext, _ results: Results) {
    let n = envInt("BENCH_C1_REQUESTS", 40, 5...1000)
    for (w, h) in [(320, 240), (1280, 720)] {
        let port = freePort()
        let pipeline = Pipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) uri-list=\(ctx.clipURI) "
            + "live-source=true file-loop=true width=\(w) height=\(h) ! fakesink name=out sync=false")
        guard pipeline.play() else { fail("C1: pipeline does not start") }
        let request = KeepAliveConnection.request("GET", "/api/v1/stream/snapshot?stream_id=0")
        var body = [UInt8]()
        guard waitUntil(ms: 20_000, { KeepAliveConnection(port: port)?.roundTrip(request, body: &body) == 200 })
        else { fail("C1: no snapshot within 20 s at \(w)x\(h)") }
        guard let conn = KeepAliveConnection(port: port) else { fail("C1: cannot connect") }
        // Paced beyond the cache's 250 ms: every answer is a fresh encode.
        let intervalUs: Int64 = 300_000
        var misses: [Double] = [], failed = 0
        let cpu0 = processCpuSeconds(), t0 = nowUs()
        for _ in 0..<n {
            let start = nowUs()
            if conn.roundTrip(request, body: &body) == 200 { misses.append(Double(nowUs() - start) / 1000) } else { failed += 1 }
            let wait = start + intervalUs - nowUs()
            if wait > 0 { usleep(UInt32(wait)) }
        }
        let busyCpu = processCpuSeconds() - cpu0, busyWall = Double(nowUs() - t0) / 1e6
        // The same time without requests: what the pipeline itself costs.
        let cpu1 = processCpuSeconds(), t1 = nowUs()
        usleep(UInt32(busyWall * 1e6))
        let idleCpu = (processCpuSeconds() - cpu1) * busyWall / (Double(nowUs() - t1) / 1e6)
        // Cached: back to back, the same picture for every request within
        // 250 ms; a new connection (the server closed the idle one) and one
        // request first (the frame was let go in the quiet time).
        var hits: [Double] = []
        guard let again = KeepAliveConnection(port: port), again.roundTrip(request) == 200 else { fail("C1: no snapshot after the quiet time") }
        for _ in 0..<200 {
            let start = nowUs()
            if again.roundTrip(request) == 200 { hits.append(Double(nowUs() - start) / 1000) } else { failed += 1 }
        }
        if let e = pipeline.pollError() { fail("C1: \(e)") }
        pipeline.stop()
        let perRequestMs = (busyCpu - idleCpu) / Double(max(1, misses.count)) * 1000
        log("C1 \(w)x\(h): encode p50 \(fmt(percentile(misses, 0.5), 2)) ms p90 \(fmt(percentile(misses, 0.9), 2)); "
            + "CPU \(fmt(busyCpu, 2)) s with requests vs \(fmt(idleCpu, 2)) s without over \(fmt(busyWall, 1)) s; "
            + "cached p50 \(fmt(percentile(hits, 0.5), 3)) ms; \(body.count) bytes")
        results.add(Row(item: "C1", metric: "GET stream/snapshot of a \(w)x\(h) frame, full size, each an encode: p50 / p90 (ms, n=\(n), one every 300 ms)",
                        ours: fmt(percentile(misses, 0.5), 2) + " / " + fmt(percentile(misses, 0.9), 2) + (failed > 0 ? " (\(failed) failed)" : ""),
                        baseline: "-", ratio: "-", target: "-", holds: nil))
        results.add(Row(item: "C1", metric: "  CPU per request (ms, process CPU with requests minus the same time without)",
                        ours: fmt(perRequestMs, 2), baseline: fmt(idleCpu, 2) + " s CPU without requests over " + fmt(busyWall, 1) + " s",
                        ratio: "-", target: "-", holds: nil))
        results.add(Row(item: "C1", metric: "  cached answer (same width within 250 ms), p50 (ms, n=200)",
                        ours: fmt(percentile(hits, 0.5), 3), baseline: "-", ratio: "-", target: "-", holds: failed == 0 ? nil : false))
    }
}

func runC2(_ ctx: BenchContext, _ results: Results) {
    let streams = envInt("BENCH_C2_STREAMS", 16, 1...64)
    let clients = envInt("BENCH_C2_CLIENTS", 10, 1...15)
    let roundSeconds = Double(envInt("BENCH_C2_SECONDS", 24, 6...240)) / 6
    let port = freePort()
    let uris = Array(repeating: ctx.clipURI, count: streams).joined(separator: ",")
    let pipeline = Pipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) uri-list=\(uris) max-batch-size=\(max(streams, 30)) "
        + "live-source=true file-loop=true width=320 height=240 ! fakesink name=out sync=false")
    let frames = Atomic<Int>(0)
    guard let out = pipeline.child("out"), addProbe(out, pad: "sink", events: false, { _ in frames.add(1, ordering: .relaxed) })
    else { fail("C2: no fakesink to count frames at") }
    gst_object_unref(UnsafeMutableRawPointer(out))
    guard pipeline.play() else { fail("C2: pipeline does not start") }
    let info = KeepAliveConnection.request("GET", "/api/v1/stream/get-stream-info")
    var body = [UInt8]()
    guard waitUntil(ms: 30_000, {
        guard KeepAliveConnection(port: port)?.roundTrip(info, body: &body) == 200 else { return false }
        return String(decoding: body, as: UTF8.self).components(separatedBy: "\"playing\"").count - 1 == streams
    }) else { fail("C2: not all \(streams) sources played within 30 s") }

    // One keep-alive connection per console (the server takes 16 per client
    // address; every client here is 127.0.0.1), the page's pace: a round
    // over every stream's snapshot every 333 ms, stream info every third.
    let snapshots = (0..<streams).map { KeepAliveConnection.request("GET", "/api/v1/stream/snapshot?stream_id=\($0)&width=320") }
    let served = Atomic<Int>(0), failed = Atomic<Int>(0)
    func consoles(until endUs: Int64) {
        runOnThreads(clients) { _ in
            var conn = KeepAliveConnection(port: port)
            var round = 0
            while nowUs() < endUs {
                let start = nowUs()
                for request in snapshots + (round % 3 == 0 ? [info] : []) {
                    if conn == nil { conn = KeepAliveConnection(port: port) }
                    if let c = conn, c.roundTrip(request) == 200 { served.add(1, ordering: .relaxed) } else {
                        failed.add(1, ordering: .relaxed)
                        conn = nil
                    }
                }
                round += 1
                let wait = start + 333_000 - nowUs()
                if wait > 0 { usleep(UInt32(min(wait, 333_000))) }
            }
        }
    }
    var quiet: [Double] = [], watched: [Double] = []
    var cpuQuiet = 0.0, cpuWatched = 0.0
    for round in 0..<6 {
        let withClients = round % 2 == 1
        let before = frames.load(ordering: .relaxed), t0 = nowUs(), cpu0 = processCpuSeconds()
        if withClients { consoles(until: t0 + Int64(roundSeconds * 1e6)) } else { usleep(UInt32(roundSeconds * 1e6)) }
        let seconds = Double(nowUs() - t0) / 1e6
        let fps = Double(frames.load(ordering: .relaxed) - before) / seconds / Double(streams)
        let cpu = (processCpuSeconds() - cpu0) / seconds
        if withClients { watched.append(fps); cpuWatched += cpu / 3 } else { quiet.append(fps); cpuQuiet += cpu / 3 }
    }
    if let e = pipeline.pollError() { fail("C2: \(e)") }
    pipeline.stop()
    let requests = served.load(ordering: .relaxed), errors = failed.load(ordering: .relaxed)
    let rate = Double(requests) / (roundSeconds * 3)
    log("C2 fps per stream without consoles \(quiet.map { fmt($0, 2) }), with \(watched.map { fmt($0, 2) }); "
        + "\(requests) requests (\(fmt(rate, 0))/s), \(errors) failed; CPU \(fmt(cpuQuiet, 2)) vs \(fmt(cpuWatched, 2)) cores")
    let ratio = median(watched) / median(quiet)
    results.add(Row(item: "C2", metric: "\(clients) consoles on \(streams) streams (snapshots 3/s each + stream info 1/s): fps per stream with vs without (median of 3 alternating rounds of \(fmt(roundSeconds, 0)) s)",
                    ours: fmt(median(watched), 2), baseline: fmt(median(quiet), 2) + " (no consoles)",
                    ratio: fmt(ratio, 3) + "x", target: "≥ 0.98x, none failed", holds: errors == 0 && ratio >= 0.98))
    results.add(Row(item: "C2", metric: "  requests answered per second; CPU in use (cores) with vs without",
                    ours: fmt(rate, 0) + "/s; " + fmt(cpuWatched, 2), baseline: fmt(cpuQuiet, 2),
                    ratio: "+" + fmt(cpuWatched - cpuQuiet, 2) + " cores", target: "-", holds: nil))
}
