// A small keep-alive HTTP/1.1 client (the same for our server and the bare
// civetweb baseline) and the bare civetweb server itself.
import CCivetweb
import Glibc

/// One keep-alive connection to 127.0.0.1; requests go one after the other.
/// Reads responses by Content-Length; 10 s timeouts on every socket call.
final class KeepAliveConnection {
    let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 256 * 1024)
    private var start = 0, end = 0

    init?(port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); return nil }
        self.fd = fd
    }

    deinit { close(fd) }

    static func request(_ method: String, _ path: String, body: String = "") -> [UInt8] {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if method == "POST" { text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        return Array((text + "\r\n" + body).utf8)
    }

    /// Sends a prepared request and reads the answer: its status, or nil when
    /// the connection failed. `body` receives the body when asked for.
    func roundTrip(_ request: [UInt8], body: UnsafeMutablePointer<[UInt8]>? = nil) -> Int? {
        var sent = 0
        while sent < request.count {
            let n = request.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            sent += n
        }
        // Head.
        var headEnd = -1
        while headEnd < 0 {
            headEnd = findHeadEnd()
            if headEnd < 0 { guard fill() else { return nil } }
        }
        let (status, length) = parseHead(start, headEnd)
        guard let status, let length else { return nil }
        start = headEnd + 4
        while end - start < length { guard fill() else { return nil } }
        if let body { body.pointee = Array(buffer[start..<(start + length)]) }
        start += length
        if start == end { start = 0; end = 0 }
        return status
    }

    private func fill() -> Bool {
        if start > 0 && end == buffer.count {
            buffer.withUnsafeMutableBytes { raw in
                _ = memmove(raw.baseAddress!, raw.baseAddress! + start, end - start)
            }
            end -= start; start = 0
        }
        guard end < buffer.count else { return false }
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + end, $0.count - end, 0) }
            if n > 0 { end += n; return true }
            if n < 0 && errno == EINTR { continue }
            return false
        }
    }

    private func findHeadEnd() -> Int {
        guard end - start >= 4 else { return -1 }
        return buffer.withUnsafeBufferPointer { p -> Int in
            var i = start
            while i + 3 < end {
                if p[i + 3] == 10 && p[i + 2] == 13 && p[i + 1] == 10 && p[i] == 13 { return i }
                i += 1
            }
            return -1
        }
    }

    /// Status code and Content-Length of the head in buffer[from..<to], read
    /// byte by byte: the client must cost far less than the servers it
    /// measures (as wrk does), and the same per header line for both.
    private func parseHead(_ from: Int, _ to: Int) -> (Int?, Int?) {
        buffer.withUnsafeBufferPointer { p -> (Int?, Int?) in
            // "HTTP/1.1 200 ..."
            guard to - from >= 12 else { return (nil, nil) }
            var status = 0
            for i in (from + 9)..<(from + 12) {
                guard p[i] >= 48 && p[i] <= 57 else { return (nil, nil) }
                status = status * 10 + Int(p[i] - 48)
            }
            let name = Array("content-length:".utf8)
            var length = 0
            var line = from
            while line < to {
                var next = line
                while next < to && p[next] != 13 { next += 1 }
                if next - line > name.count {
                    var matches = true
                    for k in 0..<name.count where p[line + k] | 0x20 != name[k] | 0x20 {
                        matches = false
                        break
                    }
                    if matches {
                        var i = line + name.count
                        while i < next && p[i] == 32 { i += 1 }
                        while i < next && p[i] >= 48 && p[i] <= 57 { length = length * 10 + Int(p[i] - 48); i += 1 }
                    }
                }
                line = next + 2
            }
            return (status, length)
        }
    }
}

/// The floor: civetweb started in this process with the same options as our
/// REST server (8 workers, keep-alive), one handler answering every path with
/// a fixed JSON body after reading the request body: by default a small one;
/// P4 passes the very body our server answers, so that both put the same
/// bytes on the wire and only the work behind them differs.
final class BareCivetweb {
    private let context: OpaquePointer
    private let answer: Unmanaged<Answer>
    let port: UInt16

    /// The response bytes, made once.
    private final class Answer {
        let bytes: [UInt8]
        init(body: String) {
            // The headers our server sends, Date included (fixed here).
            let text = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
                + "Date: Thu, 01 Jan 2026 00:00:00 GMT\r\nConnection: keep-alive\r\n\r\n" + body
            bytes = Array(text.utf8)
        }
    }

    init(body: String = #"{"status":"HTTP/1.1 200 OK","reason":"BARE_SUCCESS"}"#) {
        _ = mg_init_library(0)
        let port = freePort()
        let options = ["listening_ports", "127.0.0.1:\(port)", "num_threads", "8",
                       "request_timeout_ms", "10000", "enable_keep_alive", "yes",
                       "keep_alive_timeout_ms", "2000"]
        let cStrings = options.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = cStrings.map { UnsafePointer($0) } + [nil]
        var callbacks = mg_callbacks()
        guard let ctx = pointers.withUnsafeMutableBufferPointer({ mg_start(&callbacks, nil, $0.baseAddress) }) else {
            fail("bare civetweb did not start on port \(port)")
        }
        let answer = Unmanaged.passRetained(Answer(body: body))
        mg_set_request_handler(ctx, "/", { conn, data in
            guard let conn, let data else { return 500 }
            var scratch = [UInt8](repeating: 0, count: 4096)
            // Bounded: at most 64 reads of the body.
            for _ in 0..<64 {
                let n = scratch.withUnsafeMutableBytes { mg_read(conn, $0.baseAddress, $0.count) }
                if n <= 0 { break }
            }
            let answer = Unmanaged<Answer>.fromOpaque(data).takeUnretainedValue()
            _ = answer.bytes.withUnsafeBytes { mg_write(conn, $0.baseAddress, $0.count) }
            return 200
        }, answer.toOpaque())
        context = ctx
        self.answer = answer
        self.port = port
    }

    func stop() {
        mg_stop(context)
        answer.release()
    }
}
