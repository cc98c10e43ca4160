import Glibc

/// A deliberately small HTTP/1.1 client on plain sockets, so the REST tests
/// talk to the real server the way curl would, and can also send what curl
/// would not (malformed requests, lying Content-Length, huge or chunked
/// bodies). IPv4 only; every socket operation has a timeout.
struct HTTPResponse: Sendable {
    var status: Int
    var statusText: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

enum HTTPClientError: Error, Equatable {
    case socket(Int32)
    case connect(Int32)
    case send(Int32)
    case receive(Int32)
    case timeout
    /// The server closed the connection before a complete response.
    case closed(partial: Int)
    case malformed(String)
}

/// One TCP connection; several requests may follow each other (keep-alive).
final class HTTPConnection {
    let fd: Int32
    private var buffer: [UInt8] = []

    /// `source`: the local address to connect from (127.0.0.2, 127.0.0.3...
    /// play distinct clients over loopback).
    init(host: String = "127.0.0.1", port: UInt16, timeoutMs: Int = 5_000, source: String? = nil) throws(HTTPClientError) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .socket(errno) }
        var tv = timeval(tv_sec: timeoutMs / 1000, tv_usec: (timeoutMs % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, source, &local.sin_addr)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else {
                let e = errno
                close(fd)
                throw .connect(e)
            }
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw .connect(e)
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends everything; MSG_NOSIGNAL because the server may close first.
    func send(_ bytes: [UInt8]) throws(HTTPClientError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw errno == EAGAIN ? .timeout : .send(errno)
            }
            offset += n
        }
    }

    func send(_ text: String) throws(HTTPClientError) { try send(Array(text.utf8)) }

    /// Half-closes the sending side (the server then sees the end of a body
    /// without length).
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Waits (at most `timeoutMs`) for the server to close: true once the
    /// end of the stream (or a reset) is read, false if the connection is
    /// still open then. Bytes read meanwhile are kept for readResponse.
    func closedByServer(withinMs timeoutMs: Int) -> Bool {
        func nowMs() -> Int {
            var t = timespec()
            clock_gettime(CLOCK_MONOTONIC, &t)
            return t.tv_sec * 1000 + t.tv_nsec / 1_000_000
        }
        let deadline = nowMs() + timeoutMs
        var chunk = [UInt8](repeating: 0, count: 4096)
        while nowMs() <= deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 50) > 0 else { continue }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n == 0 { return true }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                return true
            }
            buffer.append(contentsOf: chunk.prefix(n))
        }
        return false
    }

    /// Bytes received but not yet read as a response.
    var pendingBytes: Int { buffer.count }

    /// Reads more bytes into the buffer; false at end of stream.
    private func fill() throws(HTTPClientError) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer.append(contentsOf: chunk.prefix(n))
                return true
            }
            if n == 0 { return false }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw .timeout }
            throw .receive(errno)
        }
    }

    /// The raw head of the next message (status line and headers), without
    /// interpreting it: for interim 1xx answers.
    func readHead() throws(HTTPClientError) -> String {
        while true {
            if let end = Self.find([13, 10, 13, 10], in: buffer) {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                return head
            }
            guard try fill() else { throw .closed(partial: buffer.count) }
        }
    }

    /// Reads one final response (1xx interim answers are skipped). A body is
    /// read by Content-Length, or to the end of the stream without one.
    func readResponse(headOnly: Bool = false) throws(HTTPClientError) -> HTTPResponse {
        while true {
            let head = try readHead()
            var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
            guard !lines.isEmpty else { throw .malformed(head) }
            let statusLine = lines.removeFirst()
            let parts = statusLine.split(separator: " ", maxSplits: 2).map(String.init)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
                throw .malformed(statusLine)
            }
            var headers: [(name: String, value: String)] = []
            for line in lines where !line.isEmpty {
                guard let colon = line.firstIndex(of: ":") else { throw .malformed(line) }
                let name = String(line[..<colon])
                let value = String(line[line.index(after: colon)...].drop { $0 == " " })
                headers.append((name, value))
            }
            if (100..<200).contains(status) { continue }
            var response = HTTPResponse(status: status, statusText: parts.count > 2 ? parts[2] : "",
                                        headers: headers, body: [])
            if headOnly { return response }
            if let lengthText = response.header("Content-Length") {
                guard let length = Int(lengthText), length >= 0 else { throw .malformed("Content-Length \(lengthText)") }
                while buffer.count < length {
                    guard try fill() else { throw .closed(partial: buffer.count) }
                }
                response.body = Array(buffer.prefix(length))
                buffer.removeFirst(length)
            } else {
                while try fill() {}
                response.body = buffer
                buffer = []
            }
            return response
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}

struct HTTPClient: Sendable {
    var host = "127.0.0.1"
    var port: UInt16
    var timeoutMs = 5_000

    init(port: UInt16, timeoutMs: Int = 5_000) {
        self.port = port
        self.timeoutMs = timeoutMs
    }

    /// One request on a fresh connection ("Connection: close" unless the
    /// caller sets a Connection header).
    func request(_ method: String, _ path: String, body: [UInt8]? = nil,
                 headers: [(String, String)] = []) throws(HTTPClientError) -> HTTPResponse {
        let conn = try HTTPConnection(host: host, port: port, timeoutMs: timeoutMs)
        try conn.send(Self.format(method, path, body: body, headers: headers, host: host, port: port))
        return try conn.readResponse(headOnly: method == "HEAD")
    }

    func get(_ path: String) throws(HTTPClientError) -> HTTPResponse {
        try request("GET", path)
    }

    /// POST with a JSON text body; `contentType` nil sends none, like some
    /// scripts do. The default is what `curl -d` sends.
    func post(_ path: String, _ json: String,
              contentType: String? = "application/x-www-form-urlencoded") throws(HTTPClientError) -> HTTPResponse {
        try request("POST", path, body: Array(json.utf8), headers: contentType.map { [("Content-Type", $0)] } ?? [])
    }

    /// Sends `bytes` exactly as given and reads one response.
    func raw(_ bytes: [UInt8], shutdownAfterSend: Bool = false) throws(HTTPClientError) -> HTTPResponse {
        let conn = try HTTPConnection(host: host, port: port, timeoutMs: timeoutMs)
        try conn.send(bytes)
        if shutdownAfterSend { conn.shutdownWrite() }
        return try conn.readResponse()
    }

    func raw(_ text: String, shutdownAfterSend: Bool = false) throws(HTTPClientError) -> HTTPResponse {
        try raw(Array(text.utf8), shutdownAfterSend: shutdownAfterSend)
    }

    static func format(_ method: String, _ path: String, body: [UInt8]?, headers: [(String, String)],
                       host: String, port: UInt16) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
        let names = Set(headers.map { $0.0.lowercased() })
        if !names.contains("connection") { head += "Connection: close\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body, !names.contains("content-length"), !names.contains("transfer-encoding") {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + (body ?? [])
    }
}
