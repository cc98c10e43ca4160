// R1, R2: swiftrtspoutbin (per-stream RTSP outputs) against the same work by
// hand, measured in the same run; R3: the most real-time outputs against bare mounts.
import CGStreamer
import CGstApp
import CGstRtspServer
import Glibc
import GstSwiftBridge
import Synchronization

/// The encoder settings both sides use (swiftrtspoutbin's x264 defaults).
private let x264 = "x264enc tune=zerolatency speed-preset=ultrafast threads=2 key-int-max=30 bitrate=2000"

/// R1: CPU s (user+sys, wait4) of N outputs at 320x240@30 for a fixed real
/// time: our bin + swiftrtspoutbin (RTSP mounts and UDP egress) vs N hand-made
/// decode → scale → clocksync → x264enc → rtph264pay → udpsink chains in one
/// gst-launch. Alternating runs, the least CPU of each side.
func runR1(_ ctx: BenchContext, _ results: Results) {
    let n = envInt("BENCH_R1_OUTPUTS", 8, 1...32)
    let seconds = Double(envInt("BENCH_R1_SECONDS", 10, 2...60))
    let runs = envInt("BENCH_R1_RUNS", 3, 1...9)
    let env = ["GST_PLUGIN_PATH": ctx.pluginDir, "GST_REGISTRY": ctx.registry]
    func run(_ description: String) -> (cpu: Double, ok: Bool) {
        let r = runChild(launchArgs(description), environment: env, stopAfter: seconds, limit: seconds + 20)
        let ok = !r.timedOut && !r.stdout.contains("ERROR") && !r.stderr.contains("ERROR")
        if !ok { log("R1 child trouble (exit \(r.status)):\n\(r.stdout.suffix(1500))\n\(r.stderr.suffix(1500))") }
        return (r.cpuSeconds, ok)
    }
    func ours() -> String {
        let uris = Array(repeating: ctx.clipURI, count: n).joined(separator: ",")
        return "swiftmultiurisrcbin port=0 live-source=true file-loop=true width=320 height=240 max-batch-size=\(n) "
            + "uri-list=\(uris) ! swiftrtspoutbin rtsp-port=\(freePort()) rtsp-address=127.0.0.1 udp-egress=true "
            + "base-udp-port=\(freePort()) idle-ttl-secs=0 x264-threads=2"
    }
    func hand() -> String {
        let base = freePort()
        return (0..<n).map { i in
            "uridecodebin3 uri=\(ctx.clipURI) ! videoconvertscale ! video/x-raw,format=I420,width=320,height=240 ! "
                + "clocksync ! queue leaky=downstream max-size-buffers=3 ! \(x264) ! h264parse config-interval=-1 ! "
                + "rtph264pay config-interval=-1 pt=96 ! udpsink host=127.0.0.1 port=\(Int(base) + i) sync=true"
        }.joined(separator: "  ")
    }
    var o: [(cpu: Double, ok: Bool)] = [], h: [(cpu: Double, ok: Bool)] = []
    for _ in 0..<runs {
        h.append(run(hand()))
        o.append(run(ours()))
    }
    log("R1 CPU s hand \(h.map { fmt($0.cpu) }), ours \(o.map { fmt($0.cpu) })")
    let ok = o.allSatisfy(\.ok) && h.allSatisfy(\.ok)
    let (oc, hc) = (o.map(\.cpu).min() ?? .nan, h.map(\.cpu).min() ?? .nan)
    results.add(Row(item: "R1", metric: "\(n) RTSP outputs 320x240@30 (x264, UDP egress too), \(Int(seconds)) s: CPU s (least of \(runs))",
                    ours: fmt(oc) + (ok ? "" : " (a run failed)"),
                    baseline: fmt(hc) + " (\(n) × x264enc ! rtph264pay ! udpsink by hand)",
                    ratio: fmt(oc / hc) + "x", target: "≤ 1.05x", holds: ok && oc / hc <= 1.05))
}

/// A bare gst-rtsp-server in this process serving the clip at /bare, the
/// same encoder settings, opened cold by each client.
private final class BareServer: @unchecked Sendable {
    let context = g_main_context_new()!
    let loop: OpaquePointer
    var thread = pthread_t()
    let server = gst_rtsp_server_new()!
    let source: UnsafeMutablePointer<GSource>
    let port: UInt16

    /// Mounts /bare (R2) or /bare0 … /bare<mounts-1> (R3), one factory each.
    init(clip: String, mounts: Int? = nil) {
        loop = g_main_loop_new(context, 0)
        gst_rtsp_server_set_address(server, "127.0.0.1")
        gst_rtsp_server_set_service(server, "0")
        let points = gst_rtsp_server_get_mount_points(server)
        for path in mounts.map({ n in (0..<n).map { "/bare\($0)" } }) ?? ["/bare"] {
            let factory = gst_rtsp_media_factory_new()!
            gst_rtsp_media_factory_set_launch(factory,
                "( uridecodebin3 uri=\(clip) ! videoconvertscale ! video/x-raw,format=I420,width=320,height=240 ! "
                + "clocksync ! \(x264) ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 )")
            // The mount point takes the factory's reference.
            gst_rtsp_mount_points_add_factory(points, path, factory)
        }
        g_object_unref(UnsafeMutableRawPointer(points))
        guard let source = gst_rtsp_server_create_source(server, nil, nil) else { fail("R2: bare RTSP server does not listen") }
        self.source = source
        port = UInt16(clamping: gst_rtsp_server_get_bound_port(server))
        g_source_attach(source, context)
        let pair = UnsafeMutablePointer<OpaquePointer>.allocate(capacity: 2)
        pair[0] = context
        pair[1] = loop
        pthread_create(&thread, nil, { arg in
            guard let arg else { return nil }
            let pair = arg.assumingMemoryBound(to: OpaquePointer.self)
            let (context, loop) = (pair[0], pair[1])
            pair.deallocate()
            g_main_context_push_thread_default(context)
            g_main_loop_run(loop)
            g_main_context_pop_thread_default(context)
            return nil
        }, pair)
    }

    func stop() {
        gst_rtsp_server_client_filter(server, { _, _, _ in GST_RTSP_FILTER_REMOVE }, nil)
        g_source_destroy(source)
        g_source_unref(source)
        g_main_loop_quit(loop)
        pthread_join(thread, nil)
        g_object_unref(UnsafeMutableRawPointer(server))
    }
}

/// Milliseconds from `start` to the first decoded frame of an rtspsrc client
/// of `url` started at once (nil: none within 10 s).
private func firstFrameMs(_ url: String, since start: Int64) -> Double? {
    let client = Pipeline("rtspsrc location=\(url) protocols=tcp latency=0 ! rtph264depay ! avdec_h264 ! "
        + "appsink name=view sync=false max-buffers=1 drop=true")
    defer { client.stop() }
    guard let sinkElement = client.child("view") else { return nil }
    defer { gst_object_unref(UnsafeMutableRawPointer(sinkElement)) }
    client.play()
    let sink = UnsafeMutableRawPointer(sinkElement).assumingMemoryBound(to: GstAppSink.self)
    guard let sample = gst_app_sink_try_pull_sample(sink, 10_000_000_000) else { return nil }
    let t = nowUs()
    gsb_sample_unref(sample)
    return Double(t - start) / 1000
}

/// R2: POST /requestStream → first decoded frame at an rtspsrc client
/// started on the answer, median of BENCH_R2_RUNS; against the bare server
/// opened cold (client start → first frame), runs alternating.
func runR2(_ ctx: BenchContext, _ results: Results) {
    let runs = envInt("BENCH_R2_RUNS", 20, 3...100)
    let port = freePort()
    let pipeline = Pipeline("swiftmultiurisrcbin ip-address=127.0.0.1 port=\(port) live-source=true file-loop=true "
        + "source-id-allocation=lowest-free width=320 height=240 ! swiftrtspoutbin name=out rtsp-port=0 "
        + "rtsp-address=127.0.0.1 idle-ttl-secs=0")
    guard pipeline.play() else { fail("R2: pipeline does not start") }
    let bare = BareServer(clip: ctx.clipURI)
    guard let out = pipeline.child("out") else { fail("R2: no swiftrtspoutbin") }
    _ = waitUntil(ms: 5_000) { gsb_object_get_uint(out, "bound-rtsp-port") != 0 }
    let rtspPort = gsb_object_get_uint(out, "bound-rtsp-port")
    gst_object_unref(UnsafeMutableRawPointer(out))
    guard waitUntil(ms: 10_000, { KeepAliveConnection(port: port) != nil }) else { fail("R2: REST server does not answer") }
    var ours: [Double] = [], base: [Double] = []
    for i in 0...runs {
        guard let http = KeepAliveConnection(port: port) else { fail("R2: no connection") }
        let start = nowUs()
        var body: [UInt8] = []
        let status = http.roundTrip(KeepAliveConnection.request("POST", "/requestStream", body: #"{"url":"\#(ctx.clipURI)"}"#), body: &body)
        guard status == 200 else { fail("R2: requestStream answered \(status.map(String.init) ?? "nothing"): \(String(decoding: body, as: UTF8.self))") }
        let ms = firstFrameMs("rtsp://127.0.0.1:\(rtspPort)/s0", since: start)
        _ = http.roundTrip(KeepAliveConnection.request("DELETE", "/deleteStream/0"))
        let bareStart = nowUs()
        let bareMs = firstFrameMs("rtsp://127.0.0.1:\(bare.port)/bare", since: bareStart)
        // Let the bare server's media go (not shared: each client its own).
        usleep(200_000)
        guard i > 0 else { continue }  // warm-up
        if let ms { ours.append(ms) } else { log("R2: our run \(i) got no frame") }
        if let bareMs { base.append(bareMs) } else { log("R2: bare run \(i) got no frame") }
    }
    bare.stop()
    pipeline.stop()
    log("R2 ms ours \(ours.map { fmt($0, 0) }), bare \(base.map { fmt($0, 0) })")
    let (o, b) = (median(ours), median(base))
    let complete = ours.count == runs && base.count == runs
    results.add(Row(item: "R2", metric: "requestStream → first decoded frame at an rtspsrc client, median (ms, n=\(runs))",
                    ours: fmt(o, 1) + (complete ? "" : " (runs without a frame)"),
                    baseline: fmt(b, 1) + " (bare gst-rtsp-server mount, opened cold)",
                    ratio: fmt(o / b) + "x", target: "≤ 1.2x", holds: complete && o / b <= 1.2))
}

// MARK: - R3

/// A frame counter a probe closure can hold (Atomic itself is not copyable).
private final class FrameCounter: Sendable {
    let frames = Atomic<UInt64>(0)
}

/// rtspsrc clients in this process, one per url, each counting the frames
/// it decodes (a probe on its fakesink; sync=false, so a client never
/// paces a stream: the server does).
private final class DecodingClients: @unchecked Sendable {
    // @unchecked: the pipelines are made in init and stopped in stop();
    // the counters are atomics written from the clients' streaming threads.
    private let clients: [Pipeline]
    private let counters: [FrameCounter]

    init(_ urls: [String]) {
        clients = urls.map {
            Pipeline("rtspsrc location=\($0) protocols=tcp latency=0 ! rtph264depay ! avdec_h264 ! fakesink name=view sync=false")
        }
        counters = urls.map { _ in FrameCounter() }
        for (client, counter) in zip(clients, counters) {
            if let sink = client.child("view") {
                addProbe(sink, pad: "sink", events: false) { _ in counter.frames.wrappingAdd(1, ordering: .relaxed) }
                gst_object_unref(UnsafeMutableRawPointer(sink))
            }
            client.play()
        }
    }

    var snapshot: [UInt64] { counters.map { $0.frames.load(ordering: .relaxed) } }

    func stop() { clients.forEach { $0.stop() } }
}

/// The least fps over `urls`' clients in a `window` s after each decoded a
/// first frame and `warmup` s passed; nil when some client got no frame.
private func leastClientFps(_ urls: [String], warmup: Double, window: Double) -> Double? {
    let clients = DecodingClients(urls)
    defer { clients.stop() }
    // Every client's first frame, bounded: a stream that never comes fails the probe.
    guard waitUntil(ms: 10_000 + 500 * urls.count, { clients.snapshot.allSatisfy { $0 > 0 } }) else { return nil }
    usleep(UInt32(warmup * 1e6))
    let (before, t0) = (clients.snapshot, nowUs())
    usleep(UInt32(window * 1e6))
    let (after, t1) = (clients.snapshot, nowUs())
    let elapsed = Double(t1 - t0) / 1e6
    return zip(before, after).map { Double($1 - $0) / elapsed }.min()
}

/// R3: the most outputs that stay real time (≥ 28.5 fps at every client),
/// by bisection from 4 up to BENCH_R3_MAX (16): ours = swiftmultiurisrcbin !
/// swiftrtspoutbin with N requested streams; by hand = the same encoders in
/// N bare gst-rtsp-server mounts of this process; N rtspsrc clients each.
func runR3(_ ctx: BenchContext, _ results: Results) {
    let maxN = envInt("BENCH_R3_MAX", 16, 1...64)
    let window = Double(envInt("BENCH_R3_SECONDS", 4, 2...30))
    let budget = Double(envInt("BENCH_R3_BUDGET", 120, 20...1200))
    let threshold = 0.95 * 30
    let start = nowUs()

    func ours(_ n: Int) -> Double? {
        let port = freePort()
        let pipeline = Pipeline("swiftmultiurisrcbin ip-address=127.0.0.1 port=\(port) live-source=true file-loop=true "
            + "source-id-allocation=lowest-free width=320 height=240 max-batch-size=\(n) ! swiftrtspoutbin name=out "
            + "rtsp-port=0 rtsp-address=127.0.0.1 idle-ttl-secs=0 hw-threshold=0 sw-max=\(n) x264-threads=2")
        defer { pipeline.stop() }
        guard pipeline.play(), let out = pipeline.child("out") else { return nil }
        _ = waitUntil(ms: 5_000) { gsb_object_get_uint(out, "bound-rtsp-port") != 0 }
        let rtspPort = gsb_object_get_uint(out, "bound-rtsp-port")
        gst_object_unref(UnsafeMutableRawPointer(out))
        guard waitUntil(ms: 10_000, { KeepAliveConnection(port: port) != nil }), let http = KeepAliveConnection(port: port) else { return nil }
        for _ in 0..<n {
            var body: [UInt8] = []
            let status = http.roundTrip(KeepAliveConnection.request("POST", "/requestStream", body: #"{"url":"\#(ctx.clipURI)"}"#), body: &body)
            guard status == 200 else { log("R3: requestStream answered \(status.map(String.init) ?? "nothing")"); return nil }
        }
        let fps = leastClientFps((0..<n).map { "rtsp://127.0.0.1:\(rtspPort)/s\($0)" }, warmup: 1, window: window)
        if let error = pipeline.pollError() { log("R3 ours N=\(n): \(error)"); return nil }
        return fps
    }
    func hand(_ n: Int) -> Double? {
        let bare = BareServer(clip: ctx.clipURI, mounts: n)
        defer { bare.stop() }
        return leastClientFps((0..<n).map { "rtsp://127.0.0.1:\(bare.port)/bare\($0)" }, warmup: 1, window: window)
    }

    /// Largest N in 1...maxN whose every client stays real time; the flag
    /// is false when the budget cut the search short (a lower bound then).
    func search(_ name: String, _ measure: (Int) -> Double?) -> (Int, Bool, String) {
        var lo = 0, hi = maxN + 1, mid = min(4, maxN)
        var notes: [String] = []
        var complete = true
        while hi - lo > 1 {
            if Double(nowUs() - start) / 1e6 > budget / 2 * (name == "ours" ? 1 : 2) { complete = false; break }
            let fps = measure(mid)
            let ok = fps.map { $0 >= threshold } ?? false
            notes.append("\(mid):\(fps.map { fmt($0, 1) } ?? "failed")\(ok ? "" : "✗")")
            log("R3 \(name) N=\(mid): least client fps \(fps.map { fmt($0, 1) } ?? "failed") → \(ok ? "real time" : "not")")
            // Up by doubling while it holds, then bisect.
            if ok { lo = mid; mid = hi > maxN && mid * 2 <= maxN ? mid * 2 : (lo + hi) / 2 } else { hi = mid; mid = (lo + hi) / 2 }
            usleep(300_000)
        }
        return (lo, complete, notes.joined(separator: " "))
    }
    let o = search("ours", ours)
    let h = search("hand-built", hand)
    let bothAtCap = o.0 == maxN && h.0 == maxN
    results.add(Row(item: "R3", metric: "most real-time RTSP outputs 320x240@30 (≥ 28.5 fps at every rtspsrc client, \(Int(window)) s; N:least fps)",
                    ours: "\(o.0)\(o.1 ? "" : "+") (\(o.2))",
                    baseline: "\(h.0)\(h.1 ? "" : "+") (\(h.2); bare mounts)",
                    ratio: bothAtCap ? "inconclusive: both at the cap \(maxN) (raise BENCH_R3_MAX)"
                        : h.0 > 0 ? fmt(Double(o.0) / Double(h.0)) + "x" : "n/a",
                    target: "≥ baseline", holds: bothAtCap || !(o.1 && h.1) ? nil : o.0 >= h.0))
}
