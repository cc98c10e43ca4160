import Glibc

/// The app's console output, written straight to fd 1 / fd 2 in one
/// write(2) per call: no stdio buffer, so a test or a log collector reading
/// a pipe sees each line when it happens, and lines of different threads
/// never interleave.
func say(_ text: String, terminator: String = "\n") { writeAll(1, text + terminator) }
func sayError(_ text: String) { writeAll(2, text + "\n") }

private func writeAll(_ fd: Int32, _ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { buf -> Int in
            guard let base = buf.baseAddress else { return 0 }
            return write(fd, base + offset, buf.count - offset)
        }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }
        offset += n
    }
}
