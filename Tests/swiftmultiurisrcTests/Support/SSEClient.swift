import Glibc
@testable import swiftmultiurisrc

/// One Server-Sent Event as a client reads it.
struct SSEEvent: Sendable {
    var id: UInt64?
    var event: String
    var data: String

    /// `data` parsed (one line of JSON on this server).
    var json: JSONObject {
        if case let .object(o)? = try? JSONCodec.parse(Array(data.utf8)) { return o }
        return JSONObject()
    }

    var stream: JSONObject {
        if case let .object(o)? = json["stream"] { return o }
        return JSONObject()
    }
}

/// A real streaming client of GET /api/v1/events on a plain socket, reading
/// the stream as EventSource does (`id:`, `event:`, `data:` lines up to a
/// blank line; comments and `retry:` skipped). Every read has a timeout.
final class SSEClient {
    let fd: Int32
    private var buffer: [UInt8] = []
    /// The status line's code, once the head was read.
    private(set) var status = 0
    private(set) var headers: [(name: String, value: String)] = []
    /// The end of the stream (or a reset) was read.
    private(set) var ended = false
    /// `retry:` values and comment lines seen.
    private(set) var retries: [String] = []
    private(set) var comments = 0

    /// Connects and sends the request; `receiveBuffer` sets SO_RCVBUF
    /// before connecting (a small one plays a client that stops reading).
    init(port: UInt16, path: String = "/api/v1/events", headers extra: [(String, String)] = [],
         receiveBuffer: Int32? = nil, timeoutMs: Int = 5_000) throws(HTTPClientError) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .socket(errno) }
        var tv = timeval(tv_sec: timeoutMs / 1000, tv_usec: (timeoutMs % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw .connect(e)
        }
        self.fd = fd
        var head = "GET \(path) HTTP/1.1\r\nAccept: text/event-stream\r\n"
        if !extra.contains(where: { $0.0.lowercased() == "host" }) { head += "Host: 127.0.0.1:\(port)\r\n" }
        for (name, value) in extra { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .send(errno)
            }
            sent += n
        }
    }

    deinit { close(fd) }

    /// Reads whatever arrives within `timeoutMs` (one poll); false at the end.
    @discardableResult
    private func fill(timeoutMs: Int) -> Bool {
        guard !ended else { return false }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(max(0, timeoutMs))) > 0 else { return true }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n > 0 {
            buffer.append(contentsOf: chunk.prefix(n))
            return true
        }
        if n == 0 || (errno != EAGAIN && errno != EINTR) { ended = true }
        return !ended
    }

    private static func nowMs() -> Int64 { monotonicMs() }

    private func index(of needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for i in 0...(buffer.count - needle.count) where buffer[i] == needle[0] {
            if Array(buffer[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }

    /// Reads the status line and headers; for a refusal (not 200) also its
    /// JSON body, returned. nil body for 200.
    @discardableResult
    func readHead(timeoutMs: Int = 5_000) throws(HTTPClientError) -> HTTPResponse {
        let deadline = Self.nowMs() + Int64(timeoutMs)
        while index(of: [13, 10, 13, 10]) == nil {
            guard Self.nowMs() < deadline else { throw .timeout }
            guard fill(timeoutMs: 50) || index(of: [13, 10, 13, 10]) != nil else { throw .closed(partial: buffer.count) }
        }
        let end = index(of: [13, 10, 13, 10])!
        let head = String(decoding: buffer[..<end], as: UTF8.self)
        buffer.removeFirst(end + 4)
        var lines = head.split(separator: "\r\n").map(String.init)
        guard !lines.isEmpty else { throw .malformed(head) }
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let code = Int(parts[1]) else { throw .malformed(statusLine) }
        status = code
        headers = lines.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        var response = HTTPResponse(status: code, statusText: parts.count > 2 ? String(parts[2]) : "", headers: headers, body: [])
        if code != 200, let length = response.header("Content-Length").flatMap(Int.init) {
            while buffer.count < length && Self.nowMs() < deadline {
                guard fill(timeoutMs: 50) || buffer.count >= length else { break }
            }
            response.body = Array(buffer.prefix(length))
            buffer.removeFirst(min(length, buffer.count))
        }
        return response
    }

    /// The next event, waiting at most `timeoutMs`; nil on timeout or at the
    /// end of the stream.
    func next(timeoutMs: Int = 5_000) -> SSEEvent? {
        let deadline = Self.nowMs() + Int64(timeoutMs)
        while true {
            if let event = parseOne() { return event }
            let left = Int(deadline - Self.nowMs())
            guard left > 0, fill(timeoutMs: min(left, 100)) || !buffer.isEmpty else { return parseOne() }
            if ended { return parseOne() }
        }
    }

    /// Reads events until `count` arrived or `timeoutMs` passed.
    func events(_ count: Int, timeoutMs: Int = 5_000) -> [SSEEvent] {
        let deadline = Self.nowMs() + Int64(timeoutMs)
        var out: [SSEEvent] = []
        while out.count < count {
            let left = Int(deadline - Self.nowMs())
            guard left > 0, let e = next(timeoutMs: left) else { break }
            out.append(e)
        }
        return out
    }

    /// Reads (and keeps) until the server closes; true if it did within `timeoutMs`.
    func waitForEnd(timeoutMs: Int) -> Bool {
        let deadline = Self.nowMs() + Int64(timeoutMs)
        while !ended && Self.nowMs() < deadline { fill(timeoutMs: 50) }
        return ended
    }

    /// One complete event from the buffer (blank-line terminated), skipping
    /// comment-only and retry-only blocks.
    private func parseOne() -> SSEEvent? {
        while let end = index(of: [10, 10]) {
            let block = String(decoding: buffer[..<end], as: UTF8.self)
            buffer.removeFirst(end + 2)
            var id: UInt64?
            var event = "message"
            var data: [String] = []
            for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix(":") { comments += 1; continue }
                let (field, value): (Substring, Substring)
                if let colon = line.firstIndex(of: ":") {
                    field = line[..<colon]
                    var v = line[line.index(after: colon)...]
                    if v.first == " " { v = v.dropFirst() }
                    value = v
                } else {
                    field = line
                    value = ""
                }
                switch field {
                case "id": id = UInt64(value)
                case "event": event = String(value)
                case "data": data.append(String(value))
                case "retry": retries.append(String(value))
                default: break
                }
            }
            if data.isEmpty { continue }
            return SSEEvent(id: id, event: event, data: data.joined(separator: "\n"))
        }
        return nil
    }
}
