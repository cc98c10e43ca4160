// P7: GET /api/v1/events (Server-Sent Events) with 100 clients attached while
// 16 streams play. Two measurements, in alternating windows of the same
// add/remove churn (one extra stream added and removed every ~200 ms, so
// there is something to announce):
//  - the 16 streams' frames per second at a probe after the bin, with the
//    clients attached against the same window without any client;
//  - delivery: from the bin's stream-add / stream-remove bus message (a sync
//    bus handler, on the thread that posts it: the notification is published
//    right after it) to each client reading the event, p50 / p99, and whether
//    every client got every one; against the floor of the same model on this
//    machine at that moment: a bare fan-out (BareFanOut) with a thread per
//    client woken through a pipe, no civetweb, no hub, the same readers.
import CGStreamer
import Foundation
import Glibc
import GstSwiftBridge
import Synchronization

/// When each churn stream's stream-add / stream-remove was posted (µs),
/// keyed "a<k>" / "r<k>"; filled by the bus sync handler.
private let posted = Mutex<[String: Int64]>([:])

private let busHandler: GstBusSyncHandler = { _, message, _ in
    guard let message else { return GST_BUS_PASS }
    // Errors stay for pollError; everything else is dropped here (an unread
    // bus keeps sources alive).
    if gsb_message_type(message) == GST_MESSAGE_ERROR { return GST_BUS_PASS }
    if gsb_message_type(message) == GST_MESSAGE_ELEMENT, let s = gst_message_get_structure(message) {
        let t = nowUs()
        let name = String(cString: gst_structure_get_name(s))
        if (name == "stream-add" || name == "stream-remove"), let id = gst_structure_get_string(s, "sensor-id") {
            let sensor = String(cString: id)
            if sensor.hasPrefix("churn-") {
                let key = (name == "stream-add" ? "a" : "r") + sensor.dropFirst("churn-".count)
                posted.withLock { $0[key] = t }
            }
        }
    }
    return GST_BUS_DROP
}

/// One SSE client on a blocking socket: reads until `stop`, noting when
/// each churn stream's stream-added / stream-removed arrived.
private func readEvents(port: UInt16, stop: borrowing Atomic<Bool>, ready: borrowing Atomic<Int>) -> [String: Int64] {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return [:] }
    defer { close(fd) }
    var tv = timeval(tv_sec: 0, tv_usec: 100_000)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else { return [:] }
    let request = Array("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return [:] }
    var arrived: [String: Int64] = [:]
    var pending: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 8192)
    var headSeen = false
    // Bounded by `stop` (set by the churn driver) and the 100 ms read timeout.
    while !stop.load(ordering: .relaxed) {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { break }
        if n < 0 { if errno == EAGAIN || errno == EINTR { continue } else { break } }
        let t = nowUs()
        pending.append(contentsOf: chunk.prefix(n))
        // Whole lines only; "data: " lines carry type and camera_id.
        while let nl = pending.firstIndex(of: 10) {
            let line = String(decoding: pending[..<nl], as: UTF8.self)
            pending.removeFirst(nl + 1)
            if !headSeen {
                if line.hasPrefix("retry:") { headSeen = true; ready.add(1, ordering: .relaxed) }
                continue
            }
            guard line.hasPrefix("data: "), let camera = line.firstRange(of: #""camera_id":"churn-"#) else { continue }
            let k = line[camera.upperBound...].prefix { $0 != "\"" }
            if line.contains(#""type":"stream-added""#) { arrived["a" + k] = t }
            if line.contains(#""type":"stream-removed""#) { arrived["r" + k] = t }
        }
    }
    return arrived
}

/// The baseline of the delivery: thread-per-client fan-out at its barest.
/// Each accepted client gets a thread that sleeps in poll() on a pipe of its
/// own and, when woken, sends the frames it has not sent yet to its socket.
final class BareFanOut: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let frames = Mutex<[[UInt8]]>([])
    private let wakers = Mutex<[Int32]>([])
    private let done = Atomic<Bool>(false)

    init(clients: Int) {
        port = freePort()
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 1024) == 0 else { fail("P7: bare fan-out cannot listen on \(port)") }
        let fd = listener
        let acceptor = Thread { [self] in
            for _ in 0..<clients {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }
                let worker = Thread { [self] in serve(client) }
                worker.stackSize = 256 << 10
                worker.start()
            }
        }
        acceptor.start()
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var pipeFds: [Int32] = [-1, -1]
        guard pipe(&pipeFds) == 0 else { return }
        defer { close(pipeFds[0]); close(pipeFds[1]) }
        _ = fcntl(pipeFds[0], F_SETFL, O_NONBLOCK)
        _ = fcntl(pipeFds[1], F_SETFL, O_NONBLOCK)
        var one: Int32 = 1
        setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        // The request is not read: the readers send one GET and wait.
        let head = Array("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\nretry: 2000\n\n".utf8)
        var cursor = frames.withLock { $0.count }
        wakers.withLock { $0.append(pipeFds[1]) }
        // Before the pipe closes (defers run last first): no write to a reused number.
        defer { wakers.withLock { $0.removeAll { $0 == pipeFds[1] } } }
        guard head.withUnsafeBytes({ send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == head.count else { return }
        var scratch = [UInt8](repeating: 0, count: 64)
        // Bounded by `done` and the 100 ms poll.
        while !done.load(ordering: .relaxed) {
            var pfd = pollfd(fd: pipeFds[0], events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else { continue }
            while scratch.withUnsafeMutableBytes({ read(pipeFds[0], $0.baseAddress, $0.count) }) > 0 {}
            let pending = frames.withLock { all -> [UInt8] in
                defer { cursor = all.count }
                return all[cursor...].flatMap { $0 }
            }
            guard pending.withUnsafeBytes({ send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == pending.count else { return }
        }
    }

    func publish(_ frame: [UInt8]) {
        frames.withLock { $0.append(frame) }
        var byte: UInt8 = 1
        for w in wakers.withLock({ $0 }) { _ = write(w, &byte, 1) }
    }

    func stop() {
        done.store(true, ordering: .relaxed)
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}

func runP7(_ ctx: BenchContext, _ results: Results) {
    let clients = envInt("BENCH_P7_CLIENTS", 100, 1...1000)
    let streams = envInt("BENCH_P7_STREAMS", 16, 1...64)
    let seconds = Double(envInt("BENCH_P7_SECONDS", 6, 2...120))
    let rounds = 2
    let port = freePort()
    let uris = Array(repeating: ctx.clipURI, count: streams).joined(separator: ",")
    let pipeline = Pipeline("swiftmultiurisrcbin name=src uri-list=\(uris) ip-address=127.0.0.1 port=\(port) "
        + "live-source=true file-loop=true drop-pipeline-eos=true max-batch-size=\(streams + 8) "
        + "events-max-clients=\(max(clients, 1)) ! fakesink name=out sync=false")
    guard let bus = gst_element_get_bus(pipeline.element) else { fail("P7: no bus") }
    gst_bus_set_sync_handler(bus, busHandler, nil, nil)
    gst_object_unref(UnsafeMutableRawPointer(bus))
    // Frames of the 16 steady streams (ids 0..<streams; churn ones come after).
    let frames = Atomic<Int>(0)
    let counting = Atomic<Bool>(false)
    guard let sink = pipeline.child("out") else { fail("P7: no fakesink") }
    addProbe(sink, pad: "sink", events: false) { info in
        guard counting.load(ordering: .relaxed), let buffer = gsb_probe_info_buffer(info),
              let meta = gst_buffer_get_swift_source_meta(buffer), Int(meta.pointee.source_id) < streams else { return }
        frames.add(1, ordering: .relaxed)
    }
    gst_object_unref(UnsafeMutableRawPointer(sink))
    guard pipeline.play() else { fail("P7: pipeline does not start") }
    let info = KeepAliveConnection.request("GET", "/api/v1/stream/get-stream-info")
    guard waitUntil(ms: 20_000, { KeepAliveConnection(port: port)?.roundTrip(info) == 200 }) else { fail("P7: REST server not up") }
    usleep(2_000_000)

    let cycle = Atomic<Int>(0)
    /// One window: the churn for `seconds` with `n` clients reading ours, or
    /// the bare fan-out's copy of each notification; returns (per-stream
    /// fps, latencies in ms, deliveries expected, delivered).
    func window(_ n: Int, bare: BareFanOut? = nil) -> (Double, [Double], Int, Int) {
        let readPort = bare?.port ?? port
        let stop = Atomic<Bool>(false), ready = Atomic<Int>(0)
        let arrivals = Mutex<[[String: Int64]]>([])
        let keys = Mutex<[String]>([])
        let fps = Mutex<Double>(.nan)
        runOnThreads(n + 1) { i in
            if i < n {
                let got = readEvents(port: readPort, stop: stop, ready: ready)
                arrivals.withLock { $0.append(got) }
                return
            }
            // The churn driver (the last thread).
            _ = waitUntil(ms: 10_000) { ready.load(ordering: .relaxed) >= n }
            guard let conn = KeepAliveConnection(port: port) else { stop.store(true, ordering: .relaxed); return }
            frames.store(0, ordering: .relaxed)
            counting.store(true, ordering: .relaxed)
            let t0 = nowUs()
            while Double(nowUs() - t0) / 1e6 < seconds {
                let k = cycle.add(1, ordering: .relaxed).newValue
                let id = "churn-\(k)"
                let add = #"{"key":"sensor","value":{"camera_id":"\#(id)","camera_name":"\#(id)","camera_url":"\#(ctx.clipURI)","change":"camera_add"}}"#
                let remove = #"{"key":"sensor","value":{"camera_id":"\#(id)","change":"camera_remove"}}"#
                // The bare fan-out's notifications go out when ours would
                // have (its clock starts at its own publish).
                func bareCopy(_ key: String, _ type: String) {
                    guard let bare else { return }
                    let frame = #"id: \#(k)\#nevent: \#(type)\#ndata: {"type":"\#(type)","stream":{"camera_id":"churn-\#(k)"}}\#n\#n"#
                    posted.withLock { $0[key] = nowUs() }
                    bare.publish(Array(frame.utf8))
                }
                if conn.roundTrip(KeepAliveConnection.request("POST", "/api/v1/stream/add", body: add)) == 200 {
                    keys.withLock { $0.append("a\(k)") }
                    bareCopy("a\(k)", "stream-added")
                }
                usleep(100_000)
                if conn.roundTrip(KeepAliveConnection.request("POST", "/api/v1/stream/remove", body: remove)) == 200 {
                    keys.withLock { $0.append("r\(k)") }
                    bareCopy("r\(k)", "stream-removed")
                }
                usleep(100_000)
            }
            counting.store(false, ordering: .relaxed)
            let elapsed = Double(nowUs() - t0) / 1e6
            fps.withLock { $0 = Double(frames.load(ordering: .relaxed)) / Double(streams) / elapsed }
            // The last notifications reach the clients, then they stop.
            usleep(500_000)
            stop.store(true, ordering: .relaxed)
        }
        let sent = posted.withLock { $0 }
        var latencies: [Double] = []
        var delivered = 0
        let wanted = keys.withLock { $0 }
        for got in arrivals.withLock({ $0 }) {
            for key in wanted {
                guard let t = got[key], let t0 = sent[key] else { continue }
                delivered += 1
                latencies.append(Double(t - t0) / 1000)
            }
        }
        return (fps.withLock { $0 }, latencies, wanted.count * n, delivered)
    }

    var without: [Double] = [], with: [Double] = [], latencies: [Double] = [], bareLatencies: [Double] = []
    var expected = 0, delivered = 0, bareExpected = 0, bareDelivered = 0
    for _ in 0..<rounds {
        without.append(window(0).0)
        let w = window(clients)
        with.append(w.0)
        latencies += w.1
        expected += w.2
        delivered += w.3
        let bare = BareFanOut(clients: clients)
        let b = window(clients, bare: bare)
        bare.stop()
        bareLatencies += b.1
        bareExpected += b.2
        bareDelivered += b.3
        log("P7 fps without \(fmt(without.last ?? .nan, 1)), with \(clients) clients \(fmt(w.0, 1)); \(w.3)/\(w.2) delivered; "
            + "p50/p99 ours \(fmt(percentile(w.1, 0.5)))/\(fmt(percentile(w.1, 0.99))) ms, bare \(fmt(percentile(b.1, 0.5)))/\(fmt(percentile(b.1, 0.99))) ms")
    }
    if let e = pipeline.pollError() { log("P7: \(e)") }
    pipeline.stop()
    let (oursFps, baseFps) = (median(with), median(without))
    let p50 = percentile(latencies, 0.5), p99 = percentile(latencies, 0.99)
    let bare50 = percentile(bareLatencies, 0.5), bare99 = percentile(bareLatencies, 0.99)
    results.add(Row(item: "P7", metric: "\(streams) streams' fps with \(clients) SSE clients on GET events vs none (add/remove churn, \(rounds)×\(Int(seconds)) s alternating)",
                    ours: fmt(oursFps, 1), baseline: fmt(baseFps, 1) + " (no client)",
                    ratio: fmt(oursFps / baseFps) + "x", target: "≥ 0.95x", holds: oursFps / baseFps >= 0.95))
    results.add(Row(item: "P7", metric: "  bus message → each client, p50 / p99 (ms); delivered / expected",
                    ours: "\(fmt(p50)) / \(fmt(p99)); \(delivered)/\(expected)",
                    baseline: "\(fmt(bare50)) / \(fmt(bare99)); \(bareDelivered)/\(bareExpected) (bare fan-out)",
                    ratio: "p99 +\(fmt(p99 - bare99)) ms",
                    target: "p99 ≤ 10 ms, all", holds: delivered == expected && expected > 0 && p99 <= 10))
}
