// Shared helpers of the benchmark: time, statistics, processes, pipelines.
import CGStreamer
import Foundation
import Glibc
import GstSwiftBridge

/// Monotonic time in microseconds (CLOCK_MONOTONIC, as GStreamer's).
@inline(__always) func nowUs() -> Int64 { Int64(g_get_monotonic_time()) }

func log(_ message: String) {
    let text = "[bench] \(message)\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
}

func fail(_ message: String) -> Never {
    log("error: \(message)")
    exit(2)
}

/// An integer from the environment, clamped to `range`.
func envInt(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) -> Int {
    guard let raw = getenv(name), let v = Int(String(cString: raw)) else { return fallback }
    return min(max(v, range.lowerBound), range.upperBound)
}

func envString(_ name: String) -> String? {
    guard let raw = getenv(name) else { return nil }
    let s = String(cString: raw)
    return s.isEmpty ? nil : s
}

/// The q-quantile (0...1) of the values, nearest rank.
func percentile(_ values: [Double], _ q: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

func median(_ values: [Double]) -> Double { percentile(values, 0.5) }

func fmt(_ v: Double, _ digits: Int = 2) -> String {
    v.isFinite ? String(format: "%.\(digits)f", v) : "n/a"
}

/// A TCP port free on 127.0.0.1 (bound then released).
func freePort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in bind(fd, p, len) == 0 ? getsockname(fd, p, &len) : -1 }
    }
    return UInt16(bigEndian: addr.sin_port)
}

/// Polls `condition` every 2 ms for at most `ms` milliseconds.
func waitUntil(ms: Int, _ condition: () -> Bool) -> Bool {
    let deadline = nowUs() + Int64(ms) * 1000
    while nowUs() < deadline {
        if condition() { return true }
        usleep(2_000)
    }
    return condition()
}

/// Runs `body(i)` on `count` threads of their own and waits for all of them.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let done = DispatchSemaphore(value: 0)
    for i in 0..<count {
        let thread = Thread {
            body(i)
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    for _ in 0..<count { done.wait() }
}

// MARK: - pipelines in this process

/// A parsed pipeline, owned; set to NULL and released by `stop()`.
final class Pipeline: @unchecked Sendable {
    let element: UnsafeMutablePointer<GstElement>

    init(_ description: String) {
        var error: UnsafeMutablePointer<GError>?
        guard let p = gst_parse_launch(description, &error) else {
            let text = error.map { String(cString: $0.pointee.message) } ?? "?"
            fail("pipeline does not parse: \(text)\n  \(description)")
        }
        if let error {
            log("pipeline parse warning: \(String(cString: error.pointee.message))")
            g_error_free(error)
        }
        element = p
    }

    func child(_ name: String) -> UnsafeMutablePointer<GstElement>? {
        // gst_bin_get_by_name recurses into child bins; returns a reference.
        element.withMemoryRebound(to: GstBin.self, capacity: 1) { gst_bin_get_by_name($0, name) }
    }

    @discardableResult
    func play() -> Bool {
        gst_element_set_state(element, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE
    }

    /// The first error message on the bus, if any (bus messages are popped).
    func pollError() -> String? {
        guard let bus = gst_element_get_bus(element) else { return nil }
        defer { gst_object_unref(UnsafeMutableRawPointer(bus)) }
        while let msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR) {
            var err: UnsafeMutablePointer<GError>?
            var debug: UnsafeMutablePointer<gchar>?
            gst_message_parse_error(msg, &err, &debug)
            let text = err.map { String(cString: $0.pointee.message) } ?? "error"
            if let err { g_error_free(err) }
            g_free(debug)
            gst_message_unref(msg)
            return text
        }
        return nil
    }

    func stop() {
        gst_element_set_state(element, GST_STATE_NULL)
        gst_object_unref(UnsafeMutableRawPointer(element))
    }
}

/// Adds a buffer/event probe on `element`'s static pad; `callback` runs on
/// streaming threads. The box is released with the probe.
final class ProbeBox: @unchecked Sendable {
    let callback: @Sendable (UnsafeMutablePointer<GstPadProbeInfo>) -> Void
    init(_ callback: @escaping @Sendable (UnsafeMutablePointer<GstPadProbeInfo>) -> Void) { self.callback = callback }
}

@discardableResult
func addProbe(_ pad: UnsafeMutablePointer<GstPad>, events: Bool = true,
              _ callback: @escaping @Sendable (UnsafeMutablePointer<GstPadProbeInfo>) -> Void) -> Bool {
    var mask = GST_PAD_PROBE_TYPE_BUFFER.rawValue
    if events { mask |= GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM.rawValue }
    let box = Unmanaged.passRetained(ProbeBox(callback)).toOpaque()
    let id = gst_pad_add_probe(pad, GstPadProbeType(mask), { _, info, data in
        if let info, let data { Unmanaged<ProbeBox>.fromOpaque(data).takeUnretainedValue().callback(info) }
        return GST_PAD_PROBE_OK
    }, box, { data in
        if let data { Unmanaged<ProbeBox>.fromOpaque(data).release() }
    })
    return id != 0
}

@discardableResult
func addProbe(_ element: UnsafeMutablePointer<GstElement>, pad name: String, events: Bool = true,
              _ callback: @escaping @Sendable (UnsafeMutablePointer<GstPadProbeInfo>) -> Void) -> Bool {
    guard let pad = gst_element_get_static_pad(element, name) else { return false }
    defer { gst_object_unref(UnsafeMutableRawPointer(pad)) }
    return addProbe(pad, events: events, callback)
}

// MARK: - child processes

struct ChildResult {
    var status: Int32        // exit status, or 128 + signal
    var timedOut: Bool       // had to be stopped by a signal we sent after the limit
    var seconds: Double      // wall time
    var cpuSeconds: Double   // user + system, from wait4
    var maxRssKb: Int        // peak RSS of the child's own program (VmHWM), see runChild
    var stdout: String
    var stderr: String
}

/// Spawns `argv` (PATH lookup) with `environment` added to ours, output to
/// temporary files. After `stopAfter` seconds (if given) sends `stopSignal`;
/// after `limit` seconds in all escalates SIGINT → SIGTERM → SIGKILL, 10 s
/// apart. CPU is the child's own, from wait4. Peak RSS is the largest VmHWM
/// read from /proc/<pid>/status while the child runs: wait4's ru_maxrss also
/// counts what the process held before exec, and posix_spawn's child shares
/// this (large) benchmark process's memory until then, so it floored every
/// child at our own RSS.
func runChild(_ argv: [String], environment: [String: String] = [:], stopAfter: Double? = nil,
              stopSignal: Int32 = SIGINT, limit: Double, keepOutput: Int = 200_000) -> ChildResult {
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    let dir = NSTemporaryDirectory()
    let tag = "\(getpid())-\(nowUs())"
    let outPath = "\(dir)/bench-child-\(tag).out", errPath = "\(dir)/bench-child-\(tag).err"
    defer { unlink(outPath); unlink(errPath) }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

    let cArgs = argv.map { strdup($0) } + [nil]
    let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, argv[0], &actions, nil, cArgs, cEnv)
    guard rc == 0 else { fail("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }

    let start = nowUs()
    var status: Int32 = 0
    var usage = rusage()
    var sent: [Int32] = []
    var lastSignalAt = start
    var peakKb = 0
    while true {
        peakKb = max(peakKb, highWaterRssKb(pid) ?? 0)
        let r = wait4(pid, &status, WNOHANG, &usage)
        if r == pid { break }
        if r < 0 && errno != EINTR { fail("wait4: \(String(cString: strerror(errno)))") }
        let elapsed = Double(nowUs() - start) / 1e6
        if let stopAfter, sent.isEmpty, elapsed >= stopAfter {
            kill(pid, stopSignal); sent.append(stopSignal); lastSignalAt = nowUs()
        } else if elapsed >= limit, sent.isEmpty || Double(nowUs() - lastSignalAt) / 1e6 >= 10 {
            let next: Int32 = sent.contains(SIGTERM) ? SIGKILL : (sent.contains(SIGINT) ? SIGTERM : SIGINT)
            kill(pid, next); sent.append(next); lastSignalAt = nowUs()
        }
        usleep(20_000)
    }
    let seconds = Double(nowUs() - start) / 1e6
    // WIFEXITED / WEXITSTATUS are macros Swift does not import.
    let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    func tail(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data.suffix(keepOutput), as: UTF8.self)
    }
    let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    let timedOut = sent.contains { $0 != stopSignal } || (stopAfter == nil && !sent.isEmpty)
    return ChildResult(status: code, timedOut: timedOut, seconds: seconds, cpuSeconds: cpu,
                       maxRssKb: peakKb > 0 ? peakKb : usage.ru_maxrss, stdout: tail(outPath), stderr: tail(errPath))
}

/// VmHWM (kB) of a running process: the peak resident size of its current
/// program image. nil once it is gone or the line is missing.
func highWaterRssKb(_ pid: pid_t) -> Int? {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/status") else { return nil }
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.dropFirst(6).split(separator: " ").first ?? "")
    }
    return nil
}
