import CGStreamer
import GstSwiftBridge
import Glibc
import Synchronization

/// An RTSP viewer in this process: GStreamer's rtspsrc → H.264 decoder →
/// RGB frames at an appsink, pulled by `pull(...)`. What it keeps per
/// frame: the timestamp and the brightness of the top-left corner, which
/// tells videotestsrc's "ball" (black) from "smpte" (white bar) apart.
final class RtspViewer: @unchecked Sendable {
    let pipeline: TestPipeline
    private let sink: UnsafeMutablePointer<GstAppSink>
    private(set) var pts: [GstClockTime] = []
    private(set) var corners: [Int] = []
    private(set) var width = 0
    private(set) var height = 0

    init(_ url: String) {
        pipeline = TestPipeline("rtspsrc location=\(url) protocols=tcp latency=0 ! rtph264depay ! avdec_h264 ! "
            + "videoconvert ! video/x-raw,format=RGB ! appsink name=view sync=false max-buffers=8 drop=true")
        sink = UnsafeMutableRawPointer(pipeline.element("view")!).assumingMemoryBound(to: GstAppSink.self)
        pipeline.play()
    }

    var frames: Int { pts.count }

    /// Pulls until `count` frames came in total or `ms` × waitSlack passed.
    @discardableResult
    func pull(untilFrames count: Int, ms: Int64) -> Bool {
        let deadline = g_get_monotonic_time() + gint64(ms * waitSlack) * 1000
        while pts.count < count && g_get_monotonic_time() < deadline {
            if gst_app_sink_is_eos(sink) != 0 { break }
            guard let sample = gst_app_sink_try_pull_sample(sink, 20_000_000) else { continue }
            take(sample)
            gst_sample_unref(sample)
        }
        return pts.count >= count
    }

    private func take(_ sample: OpaquePointer) {
        guard let buffer = gst_sample_get_buffer(sample) else { return }
        pts.append(gsb_buffer_pts(buffer))
        if let caps = gst_sample_get_caps(sample), let s = gst_caps_get_structure(caps, 0) {
            var w: gint = 0, h: gint = 0
            gst_structure_get_int(s, "width", &w)
            gst_structure_get_int(s, "height", &h)
            width = Int(w)
            height = Int(h)
        }
        var map = GstMapInfo()
        if gst_buffer_map(buffer, &map, GST_MAP_READ) != 0 {
            // Pixel (4, 4): well inside smpte's first (white) bar and the
            // ball pattern's black background.
            let offset = (4 * width + 4) * 3
            if width > 8, map.size > offset + 2, let data = map.data {
                corners.append((Int(data[offset]) + Int(data[offset + 1]) + Int(data[offset + 2])) / 3)
            }
            gst_buffer_unmap(buffer, &map)
        }
    }

    /// The median brightness of the corner over the frames so far.
    var cornerBrightness: Int {
        let sorted = corners.sorted()
        return sorted.isEmpty ? -1 : sorted[sorted.count / 2]
    }

    /// Median distance between consecutive frames' timestamps, ms.
    var medianGapMs: Double {
        let gaps = zip(pts, pts.dropFirst()).map { Double(Int64(bitPattern: UInt64($1 &- $0))) / 1e6 }.sorted()
        return gaps.isEmpty ? 0 : gaps[gaps.count / 2]
    }

    func stop() { pipeline.stop() }
}

/// The status line's code of a bare RTSP DESCRIBE (nil: no answer).
func rtspDescribeStatus(port: UInt16, path: String) -> Int? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var tv = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { return nil }
    let request = "DESCRIBE rtsp://127.0.0.1:\(port)\(path) RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n"
    _ = request.withCString { send(fd, $0, strlen($0), 0) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = recv(fd, &buffer, buffer.count, 0)
    guard n > 12 else { return nil }
    let line = String(decoding: buffer[0..<n], as: UTF8.self)
    let parts = line.split(separator: " ", maxSplits: 2)
    return parts.count >= 2 ? Int(parts[1]) : nil
}

/// A UDP socket bound to 127.0.0.1:`port` that counts datagrams.
final class UDPCounter {
    let fd: Int32
    let bound: Bool

    init(port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        bound = fd >= 0 && withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
        var tv = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Datagrams received within `ms` (reads for the whole time).
    func count(forMs ms: Int64) -> Int {
        var n = 0
        var buffer = [UInt8](repeating: 0, count: 2048)
        let deadline = g_get_monotonic_time() + gint64(ms) * 1000
        while g_get_monotonic_time() < deadline {
            if recv(fd, &buffer, buffer.count, 0) > 0 { n += 1 }
        }
        return n
    }
}

/// What the open descriptors are, counted by kind ("socket", "eventfd", a path), for failure messages.
func descriptorKinds() -> [String: Int] {
    guard let dir = opendir("/proc/self/fd") else { return [:] }
    defer { closedir(dir) }
    var kinds: [String: Int] = [:]
    var target = [CChar](repeating: 0, count: 512)
    while let entry = readdir(dir) {
        let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
        guard name != ".", name != ".." else { continue }
        let n = readlink("/proc/self/fd/\(name)", &target, target.count - 1)
        guard n > 0 else { continue }
        target[n] = 0
        // The link text is the n bytes readlink wrote (not NUL-terminated by it).
        let text = String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        kinds[text.hasPrefix("anon_inode") ? text : (text.split(separator: ":").first.map(String.init) ?? text), default: 0] += 1
    }
    return kinds
}

/// Open file descriptors and threads of this process.
func openDescriptorCount() -> Int { directoryEntries("/proc/self/fd") }
func processThreadCount() -> Int { directoryEntries("/proc/self/task") }

private func directoryEntries(_ path: String) -> Int {
    guard let dir = opendir(path) else { return -1 }
    defer { closedir(dir) }
    var n = 0
    while let entry = readdir(dir) {
        let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
        if name != "." && name != ".." { n += 1 }
    }
    return n
}
