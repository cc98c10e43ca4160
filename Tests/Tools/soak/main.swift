// swiftmultiurisrc-soak: drives swiftmultiurisrcbin through many add/remove
// cycles (over its REST API on 127.0.0.1, as clients do) in its own process, so that GST_TRACERS=leaks can report at
// gst_deinit() (once per process) and RSS / file descriptors can be measured
// before and after. Used by the leak test and by the benchmark command.
//
//   swiftmultiurisrc-soak add-remove <cycles> <uri>
//
// SOAK_WARMUP (default 1) cycles run first and are not measured: the first
// sources' threads make glibc create its per-thread arenas, a one-time cost
// that is not growth. Prints one line `cycles=N seconds=S rss_kb_start=R
// rss_kb_before=A rss_kb_after=B fds_before=C fds_after=D bus_errors=E`
// (start: after the first warm-up cycle, which loads the decoders). RSS
// wanders by a megabyte or two from cycle to cycle (arenas, cached thread
// stacks): before and after are medians of samples taken every 10 cycles
// over the first and the last tenth of the cycles (at least one sample);
// `rss_slope_kb_per_1000=` is the least-squares trend over every sample.
// SOAK_TRACE_RSS=1 prints RSS and live heap every 100 cycles (SOAK_SMAPS=1:
// and resident memory by kind of mapping). The line also tells
// `arenas=` (glibc malloc arenas at the end, from malloc_info) and
// `max_threads=` (most threads seen at a sample): arenas are made for
// threads that allocate at once, up to 8 per core, and reused when their
// threads exit, so the count follows the threads, not the cores, while it
// stays under the cap.
// SOAK_MAX_UNUSED_THREADS=N makes GLib keep N idle pool threads (default
// 2; GstTask's streaming threads come from GLib's pool): thread reuse.
// SOAK_EXIT_LIVE=1 exits right after the cycles, pipeline still playing: a
// heap profiler (heaptrack) then reports what is live, and two runs of
// different lengths show which allocations grow with the cycles.
// SOAK_IMMEDIATE_REMOVE=1 removes each source as soon as its add is answered,
// without waiting for its first frame: removal then meets the source while it
// is still typefinding or prerolling (the path that once froze the bin).
import CGStreamer
import Glibc
import GstSwiftBridge

/// SOAK_SMAPS=1: resident kB by kind of mapping (heap, anonymous, files),
/// to tell where growth lives.
func rssByKind() -> String {
    guard let f = fopen("/proc/self/smaps", "r") else { return "" }
    defer { fclose(f) }
    var totals: [String: Int] = [:]
    var kind = "anon"
    var line = [CChar](repeating: 0, count: 1024)
    while fgets(&line, 1024, f) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        if let first = fields.first, first.contains("-"), first.first?.isHexDigit == true {
            let path = fields.count >= 6 ? String(fields[5].dropLast(fields[5].hasSuffix("\n") ? 1 : 0)) : ""
            kind = path.isEmpty ? "anon" : path.hasPrefix("[") ? path : "file"
        } else if text.hasPrefix("Rss:"), fields.count >= 2, let kb = Int(fields[1]) {
            totals[kind, default: 0] += kb
        }
    }
    return totals.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
}

func rssKb() -> Int {
    guard let f = fopen("/proc/self/statm", "r") else { return -1 }
    defer { fclose(f) }
    var line = [UInt8](repeating: 0, count: 256)
    guard fgets(&line, 256, f) != nil else { return -1 }
    let text = String(decoding: line.prefix { $0 != 0 }, as: UTF8.self)
    let parts = text.split(separator: " ")
    guard parts.count >= 2, let pages = Int(parts[1]) else { return -1 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
}

/// Open descriptors once the count holds still: a server connection closes
/// a moment after its client read the answer (civetweb shuts the socket
/// down, then closes it), so a count taken at once may see it. Bounded: 2 s.
func settledFds() -> Int { settled(looks: 5, tries: 100, openFds) }

/// `read()` once it gave the same value `looks` times in a row, 20 ms
/// apart (at most `tries` reads).
func settled(looks: Int, tries: Int, _ read: () -> Int) -> Int {
    var last = read(), same = 0
    for _ in 0..<tries where same < looks {
        usleep(20_000)
        let now = read()
        same = now == last ? same + 1 : 0
        last = now
    }
    return last
}

/// RSS once the process's thread count holds still: a removed source's
/// elements go to NULL on a thread of their own after the answer, and a
/// sample taken while that runs counts the source's memory (seen: ±1.5 MB
/// from one sample to the next). Bounded: 1 s.
func settledRssKb() -> Int {
    maxThreads = max(maxThreads, settled(looks: 3, tries: 50, threadCount))
    return rssKb()
}

@_silgen_name("malloc_info") func mallocInfo(_ options: Int32, _ stream: UnsafeMutablePointer<FILE>) -> Int32

/// glibc's arenas now: the `<heap nr=` entries of malloc_info.
func mallocArenaCount() -> Int {
    var buffer: UnsafeMutablePointer<CChar>?
    var size = 0
    guard let stream = open_memstream(&buffer, &size) else { return -1 }
    _ = mallocInfo(0, stream)
    fclose(stream)
    guard let buffer else { return -1 }
    defer { free(buffer) }
    let bytes = UnsafeRawBufferPointer(start: buffer, count: size)
    let needle = Array("<heap nr=".utf8)
    guard bytes.count >= needle.count else { return 0 }
    return (0...(bytes.count - needle.count)).filter { i in needle.indices.allSatisfy { bytes[i + $0] == needle[$0] } }.count
}

/// SOAK_LIST_FDS=1: the open descriptors and what they are, before and after
/// the measured cycles (to tell which one a non-zero fd delta is).
func listFds(_ when: String) {
    guard getenv("SOAK_LIST_FDS") != nil, let dir = opendir("/proc/self/fd") else { return }
    defer { closedir(dir) }
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        var target = [UInt8](repeating: 0, count: 512)
        let n = readlink("/proc/self/fd/\(name)", &target, 511)
        if n > 0 { print("fd[\(when)] \(name) -> \(String(decoding: target.prefix(n), as: UTF8.self))") }
    }
}

nonisolated(unsafe) var maxThreads = 0  // the main thread only

func threadCount() -> Int { entryCount("/proc/self/task") }

func openFds() -> Int { entryCount("/proc/self/fd") }

/// Entries of a /proc directory, without "." and "..".
func entryCount(_ path: String) -> Int {
    guard let dir = opendir(path) else { return -1 }
    defer { closedir(dir) }
    var n = 0
    while readdir(dir) != nil { n += 1 }
    return n - 2
}

func fail(_ message: String) -> Never {
    let text = "swiftmultiurisrc-soak: \(message)\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

let args = CommandLine.arguments
guard args.count == 4, args[1] == "add-remove", let cycles = Int(args[2]), cycles > 0 else {
    fail("usage: swiftmultiurisrc-soak add-remove <cycles> <uri>")
}
let uri = args[3]

gst_init(nil, nil)
if let n = getenv("SOAK_MAX_UNUSED_THREADS").flatMap({ Int32(String(cString: $0)) }) {
    g_thread_pool_set_max_unused_threads(n)
}
guard gsb_register_static_plugin() != 0 else { fail("plugin registration failed") }

/// One HTTP/1.1 POST on 127.0.0.1; returns the status code (0 on failure).
func post(port: UInt16, path: String, body: String) -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { return 0 }
    let request = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    _ = request.withCString { send(fd, $0, strlen($0), 0) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    var received: [UInt8] = []
    for _ in 0..<1000 {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n <= 0 { break }
        received += buffer[0..<n]
    }
    let head = String(decoding: received.prefix(32), as: UTF8.self).split(separator: " ")
    return head.count > 1 ? Int(head[1]) ?? 0 : 0
}

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

let port = freePort()
/// SOAK_BIN_PROPERTIES: more properties of the bin, as gst-launch writes them.
let extraProperties = getenv("SOAK_BIN_PROPERTIES").map { String(cString: $0) } ?? ""
/// fakesink keeps the last frame it got (enable-last-sample), and with it the
/// removed source's decoder buffer pool: its frames and the pool's socketpair
/// (GstPoll) stay until the next source's first frame, which made the fd
/// delta 2 and RSS a pool's worth higher whenever a sample fell after a
/// removal. The soak measures what the bin keeps, so the sink keeps nothing;
/// SOAK_SINK_LAST_SAMPLE=1 restores fakesink's default.
let lastSample = getenv("SOAK_SINK_LAST_SAMPLE") != nil ? "true" : "false"
var error: UnsafeMutablePointer<GError>?
guard let pipeline = gst_parse_launch(
    "swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) live-source=true file-loop=true drop-pipeline-eos=true width=160 height=120 \(extraProperties) ! fakesink sync=false enable-last-sample=\(lastSample)",
    &error) else { fail("pipeline does not parse") }
guard gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE else { fail("pipeline does not start") }

func body(_ id: String, _ url: String, _ change: String, wait: Bool) -> String {
    let extra = wait ? ",\"wait_for_first_frame_ms\":3000" : ""
    return "{\"key\":\"sensor\",\"value\":{\"camera_id\":\"\(id)\",\"camera_name\":\"soak\",\"camera_url\":\"\(url)\",\"change\":\"\(change)\"\(extra)}}"
}

// One cycle first so that lazily created things (decoder caches, type
// classes) are not counted as growth.
/// Bus messages pile up (and keep their sources alive) unless someone reads
/// them, as every application does: read them each cycle.
let bus = gst_element_get_bus(pipeline)
var errorsOnBus = 0
@MainActor func drainBus() {
    var n = 0
    while let message = gst_bus_pop(bus), n < 10_000 {
        if gsb_message_type(message) == GST_MESSAGE_ERROR { errorsOnBus += 1 }
        gst_message_unref(message)
        n += 1
    }
}

let immediateRemove = getenv("SOAK_IMMEDIATE_REMOVE") != nil

@MainActor func cycle(_ i: Int) {
    defer { drainBus() }
    let added = post(port: port, path: "/api/v1/stream/add", body: body("cam\(i)", uri, "camera_add", wait: !immediateRemove))
    guard added == 200 else { fail("cycle \(i): stream/add answered \(added)") }
    let removed = post(port: port, path: "/api/v1/stream/remove", body: body("cam\(i)", "", "camera_remove", wait: false))
    guard removed == 200 else { fail("cycle \(i): stream/remove answered \(removed)") }
}
let warmup = max(1, Int(String(cString: getenv("SOAK_WARMUP") ?? strdup("1"))) ?? 1)
// The first cycle loads the decoders' plugins and libraries: start after it.
cycle(-1)
let rssStart = rssKb()
for i in 1..<warmup { cycle(-1 - i) }
let fdsBefore = settledFds()
listFds("before")
var rssSamples: [(cycle: Int, kb: Int)] = [(0, settledRssKb())]
let start = g_get_monotonic_time()
for i in 0..<cycles {
    cycle(i)
    if i % 10 == 9 { rssSamples.append((i + 1, settledRssKb())) }
    if getenv("SOAK_TRACE_RSS") != nil, i % 100 == 99 {
        print("rss_kb[\(i + 1)]=\(rssSamples.last?.kb ?? -1) heap_in_use_kb=\(gsb_heap_in_use() / 1024)"
              + (getenv("SOAK_SMAPS") != nil ? " " + rssByKind() : ""))
    }
}
let seconds = Double(g_get_monotonic_time() - start) / 1e6
let fdsAfter = settledFds()
let arenasAfter = mallocArenaCount()
func medianKb(_ samples: ArraySlice<(cycle: Int, kb: Int)>) -> Int {
    let sorted = samples.map(\.kb).sorted()
    return sorted.isEmpty ? -1 : sorted[sorted.count / 2]
}
let tenth = max(1, cycles / 10)
let rssBefore = medianKb(rssSamples.filter { $0.cycle <= tenth }[...])
let lastTenth = rssSamples.filter { $0.cycle >= cycles - tenth }
let rssAfter = medianKb(lastTenth.isEmpty ? rssSamples.suffix(1) : lastTenth[...])
/// The least-squares slope of RSS over all samples, per 1000 cycles: the
/// trend, where before/after compare two noisy ends.
func slopeKbPer1000(_ samples: [(cycle: Int, kb: Int)]) -> Int {
    guard samples.count >= 2 else { return 0 }
    let n = Double(samples.count)
    let mx = samples.map { Double($0.cycle) }.reduce(0, +) / n
    let my = samples.map { Double($0.kb) }.reduce(0, +) / n
    let sxy = samples.map { (Double($0.cycle) - mx) * (Double($0.kb) - my) }.reduce(0, +)
    let sxx = samples.map { (Double($0.cycle) - mx) * (Double($0.cycle) - mx) }.reduce(0, +)
    return sxx > 0 ? Int((sxy / sxx * 1000).rounded()) : 0
}
let rssSlope = slopeKbPer1000(rssSamples)
listFds("after")

if getenv("SOAK_EXIT_LIVE") != nil {
    print("cycles=\(cycles) exit-live rss_kb=\(rssKb())")
    exit(0)
}
gst_element_set_state(pipeline, GST_STATE_NULL)
// SOAK_LEAK=1 leaks one reference on purpose: proves the leak check can fail.
if getenv("SOAK_LEAK") != nil { gst_object_ref(UnsafeMutableRawPointer(pipeline)) }
gst_object_unref(UnsafeMutableRawPointer(bus))
gst_object_unref(UnsafeMutableRawPointer(pipeline))
print("cycles=\(cycles) seconds=\(seconds) rss_kb_start=\(rssStart) rss_kb_before=\(rssBefore) rss_kb_after=\(rssAfter) fds_before=\(fdsBefore) fds_after=\(fdsAfter) bus_errors=\(errorsOnBus) arenas=\(arenasAfter) max_threads=\(maxThreads) rss_slope_kb_per_1000=\(rssSlope)")
gst_deinit()
