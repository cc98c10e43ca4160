// P8: GET metrics as Prometheus scrapes it (Accept: text/plain) while the bin
// plays 64 sources: the scrape's round trip against a bare civetweb sending
// the very bytes of a scrape (the floor), and the sources' frame rate at a
// probe after the bin in rounds without and with scrapes, alternating.
import CGStreamer
import Dispatch
import Glibc
import GstSwiftBridge
import Synchronization

/// A keep-alive GET with an Accept header (KeepAliveConnection.request has none).
func acceptRequest(_ path: String, accept: String) -> [UInt8] {
    Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: \(accept)\r\n\r\n".utf8)
}

/// Round trips (ms) of `request` on one keep-alive connection, one every
/// `intervalUs` until `untilUs`; failures counted.
func paced(port: UInt16, _ request: [UInt8], intervalUs: Int64, untilUs: Int64) -> ([Double], Int) {
    var times: [Double] = [], failed = 0
    var conn = KeepAliveConnection(port: port)
    var next = nowUs()
    while nowUs() < untilUs {
        if conn == nil { conn = KeepAliveConnection(port: port) }
        let t = nowUs()
        if let c = conn, c.roundTrip(request) == 200 { times.append(Double(nowUs() - t) / 1000) } else { failed += 1; conn = nil }
        next += intervalUs
        let wait = next - nowUs()
        if wait > 0 { usleep(UInt32(min(wait, 1_000_000))) }
    }
    return (times, failed)
}

func runP8(_ ctx: BenchContext, _ results: Results) {
    let n = envInt("BENCH_P8_STREAMS", 64, 1...128)
    let roundSeconds = Double(envInt("BENCH_P8_SECONDS", 12, 4...120)) / 6
    let rate = envInt("BENCH_P8_SCRAPES_PER_S", 10, 1...200)
    let port = freePort()
    let uris = Array(repeating: ctx.clipURI, count: n).joined(separator: ",")
    let pipeline = Pipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) uri-list=\(uris) max-batch-size=\(max(n, 30)) "
        + "live-source=true file-loop=true width=320 height=240 ! fakesink name=out sync=false")
    let frames = Atomic<Int>(0)
    guard let out = pipeline.child("out"), addProbe(out, pad: "sink", events: false, { _ in frames.add(1, ordering: .relaxed) })
    else { fail("P8: no fakesink to count frames at") }
    gst_object_unref(UnsafeMutableRawPointer(out))
    guard pipeline.play() else { fail("P8: pipeline does not start") }
    let scrape = acceptRequest("/api/v1/metrics", accept: "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
    // Every source playing: its frames_out sample is in the scrape once it
    // has any (the state family says playing).
    var body = [UInt8]()
    let playing = #"state="playing"} 1"#
    guard waitUntil(ms: 30_000, {
        guard KeepAliveConnection(port: port)?.roundTrip(scrape, body: &body) == 200 else { return false }
        return String(decoding: body, as: UTF8.self).components(separatedBy: playing).count - 1 == n
    }) else { fail("P8: not all \(n) sources played within 30 s") }
    if let e = pipeline.pollError() { fail("P8: \(e)") }

    // Alternating rounds: without scrapes, then with `rate` scrapes a second.
    var quiet: [Double] = [], scraped: [Double] = [], times: [Double] = [], failed = 0
    for round in 0..<6 {
        let withScrapes = round % 2 == 1
        let before = frames.load(ordering: .relaxed), t0 = nowUs()
        let end = t0 + Int64(roundSeconds * 1e6)
        if withScrapes {
            let (t, f) = paced(port: port, scrape, intervalUs: 1_000_000 / Int64(rate), untilUs: end)
            times += t
            failed += f
        } else {
            usleep(UInt32(roundSeconds * 1e6))
        }
        let fps = Double(frames.load(ordering: .relaxed) - before) / (Double(nowUs() - t0) / 1e6) / Double(n)
        (withScrapes ? { scraped.append(fps) } : { quiet.append(fps) })()
    }
    if let e = pipeline.pollError() { fail("P8: \(e)") }
    // The floor: the same bytes from a bare civetweb, same client, same pace.
    guard KeepAliveConnection(port: port)?.roundTrip(scrape, body: &body) == 200 else { fail("P8: no scrape to copy") }
    pipeline.stop()
    let bare = BareCivetweb(body: String(decoding: body, as: UTF8.self))
    let (floor, floorFailed) = paced(port: bare.port, scrape, intervalUs: 1_000_000 / Int64(rate),
                                     untilUs: nowUs() + Int64(roundSeconds * 3 * 1e6))
    bare.stop()

    let quietFps = median(quiet), scrapedFps = median(scraped)
    log("P8 fps per source without scrapes \(quiet.map { fmt($0, 1) }), with \(scraped.map { fmt($0, 1) }); "
        + "scrape ms p50 \(fmt(percentile(times, 0.5), 3)) p99 \(fmt(percentile(times, 0.99), 3)) (\(times.count), \(body.count) bytes)")
    results.add(Row(item: "P8", metric: "GET metrics, Prometheus text, \(n) sources playing: round trip p50 / p99 (ms, \(times.count) scrapes, \(body.count / 1024) KB)",
                    ours: fmt(percentile(times, 0.5), 3) + " / " + fmt(percentile(times, 0.99), 3) + (failed > 0 ? " (\(failed) failed)" : ""),
                    baseline: fmt(percentile(floor, 0.5), 3) + " / " + fmt(percentile(floor, 0.99), 3) + " (bare civetweb, same bytes)"
                        + (floorFailed > 0 ? " (\(floorFailed) failed)" : ""),
                    ratio: "+" + fmt(percentile(times, 0.5) - percentile(floor, 0.5), 3) + " ms p50", target: "-", holds: nil))
    // "None measurable": scraping costs the sources under 2 % of their rate
    // (rounds of a few seconds on a shared machine vary by about that).
    results.add(Row(item: "P8", metric: "  fps per source with \(rate) scrapes/s vs without (median of 3 alternating rounds of \(fmt(roundSeconds, 0)) s)",
                    ours: fmt(scrapedFps, 2), baseline: fmt(quietFps, 2) + " (no scrapes)",
                    ratio: fmt(scrapedFps / quietFps, 3) + "x", target: "≥ 0.98x", holds: failed == 0 && scrapedFps / quietFps >= 0.98))
}
