import Foundation
import Glibc
import Synchronization
import Testing

/// The child processes of the TLS tests (openssl, curl, gst-launch-1.0),
/// their output written to files instead of pipes. ChildProcess reads its
/// pipes with FileHandle.readabilityHandler, whose teardown races
/// libdispatch's epoll bookkeeping when children of other suites end at the
/// same time (swift-corelibs-libdispatch issue 949): a run of these tests beside
/// DeepStreamPropertyTests once died of SIGSEGV in _dispatch_event_loop_drain.
/// Files need no dispatch source. Foundation's Process still closes every
/// other descriptor in the child and leaves the handles given to it open.
final class FileOutputProcess: @unchecked Sendable {
    struct Output: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Still running at its limit: ended with SIGKILL.
        var timedOut: Bool
    }

    // Used by the creating test only.
    let process = Process()
    let stdoutPath: String
    let stderrPath: String
    private let out: FileHandle
    private let err: FileHandle

    private static let folder: String = {
        var template = Array("/tmp/swiftmultiurisrc-tls-runs-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { buf in
            mkdtemp(buf.baseAddress!).map { String(cString: $0) } ?? "/tmp"
        }
    }()
    private static let counter = Atomic<Int>(0)

    /// Starts `executable` with the test's environment plus `environment`.
    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        let n = Self.counter.add(1, ordering: .relaxed).newValue
        stdoutPath = "\(Self.folder)/\(getpid())-\(n).out"
        stderrPath = "\(Self.folder)/\(getpid())-\(n).err"
        guard FileManager.default.createFile(atPath: stdoutPath, contents: nil),
              FileManager.default.createFile(atPath: stderrPath, contents: nil),
              let out = FileHandle(forWritingAtPath: stdoutPath), let err = FileHandle(forWritingAtPath: stderrPath) else {
            throw TestSetupError("cannot create output files in \(Self.folder)")
        }
        self.out = out
        self.err = err
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch {
            try? out.close()
            try? err.close()
            throw error
        }
    }

    var isRunning: Bool { process.isRunning }

    /// Waits at most `seconds` for the exit (SIGKILL then: the test runner's
    /// threads block SIGTERM, and a child inherits that mask), then reads
    /// the output.
    func finish(within seconds: Double) -> Output {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        let timedOut = process.isRunning
        if timedOut { kill(process.processIdentifier, SIGKILL) }
        // Bounded: the child has exited or was sent SIGKILL.
        process.waitUntilExit()
        try? out.close()
        try? err.close()
        let stdout = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        unlink(stdoutPath)
        unlink(stderrPath)
        return Output(status: process.terminationStatus, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    timeoutSeconds: Double = 60) throws -> Output {
        try FileOutputProcess(executable, arguments, environment: environment).finish(within: timeoutSeconds)
    }
}

/// Certificates made at test time by `openssl` (nothing secret is
/// committed), once per process, in a folder of their own.
struct TestCertificates: Sendable {
    let dir: String
    /// Self-signed for 127.0.0.1 (CN and subjectAltName): what curl's --cacert trusts.
    let cert: String
    let key: String
    /// cert + key in one PEM file, as civetweb's ssl_certificate reads it.
    let server: String
    /// cert + a key of another pair.
    let mismatched: String
    let garbage: String
    let empty: String
    let missing: String

    private static let shared: Result<TestCertificates, any Error> = Result { try make() }

    /// The files, or the test fails with openssl's words.
    static func get() throws -> TestCertificates { try shared.get() }

    private static func make() throws -> TestCertificates {
        var template = Array("/tmp/swiftmultiurisrc-tls-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buf -> String? in
            mkdtemp(buf.baseAddress!).map { String(cString: $0) }
        }
        guard let dir = made else { throw TestSetupError("mkdtemp failed: \(String(cString: strerror(errno)))") }
        let cert = "\(dir)/cert.pem", key = "\(dir)/key.pem", otherKey = "\(dir)/other-key.pem"
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                     "-addext", "subjectAltName=IP:127.0.0.1", "-days", "2", "-keyout", key, "-out", cert])
        try openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", otherKey])
        let certText = try String(contentsOfFile: cert, encoding: .utf8)
        let keyText = try String(contentsOfFile: key, encoding: .utf8)
        let otherKeyText = try String(contentsOfFile: otherKey, encoding: .utf8)
        let files = TestCertificates(dir: dir, cert: cert, key: key, server: "\(dir)/server.pem",
                                     mismatched: "\(dir)/mismatched.pem", garbage: "\(dir)/garbage.pem",
                                     empty: "\(dir)/empty.pem", missing: "\(dir)/missing.pem")
        try (certText + keyText).write(toFile: files.server, atomically: true, encoding: .utf8)
        try (certText + otherKeyText).write(toFile: files.mismatched, atomically: true, encoding: .utf8)
        try "this is not a certificate\n".write(toFile: files.garbage, atomically: true, encoding: .utf8)
        try "".write(toFile: files.empty, atomically: true, encoding: .utf8)
        return files
    }

    private static func openssl(_ arguments: [String]) throws {
        let run = try FileOutputProcess.run("/usr/bin/openssl", arguments, timeoutSeconds: 60)
        guard run.status == 0, !run.timedOut else {
            throw TestSetupError("openssl \(arguments.prefix(2).joined(separator: " ")) failed (\(run.status)): \(run.stderr.suffix(400))")
        }
    }
}

struct TestSetupError: Error, CustomStringConvertible, Sendable {
    let description: String
    init(_ text: String) { description = text }
}

/// curl over HTTPS, the way an operator calls the API.
enum Curl {
    struct Result: Sendable {
        var run: FileOutputProcess.Output
        /// The answer when curl got one (status 0).
        var response: HTTPResponse?
    }

    /// `curl -sS -i` with `--cacert`; `extra` goes before the URL.
    static func https(port: UInt16, _ path: String, method: String = "GET", body: String? = nil,
                      headers: [(String, String)] = [], cacert: String, extra: [String] = [],
                      environment: [String: String] = [:]) throws -> Result {
        var arguments = ["-sS", "-i", "--max-time", "20", "--cacert", cacert, "-X", method]
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if let body { arguments += ["--data-binary", body] }
        arguments += extra + ["https://127.0.0.1:\(port)\(path)"]
        let run = try FileOutputProcess.run("/usr/bin/curl", arguments, environment: environment, timeoutSeconds: 60)
        return Result(run: run, response: run.status == 0 ? parse(run.stdout) : nil)
    }

    /// curl's `-i` output: the head, a blank line, the body.
    static func parse(_ text: String) -> HTTPResponse? {
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let parts = lines.first?.split(separator: " ", maxSplits: 2) ?? []
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return HTTPResponse(status: status, statusText: parts.count > 2 ? String(parts[2]) : "",
                            headers: headers, body: Array(text[split.upperBound...].utf8))
    }
}

/// Sends a plain HTTP request to `port`: true when the server closed the
/// connection without any HTTP answer (what a TLS-only port does).
func plainHttpGetsNoAnswer(port: UInt16, path: String = "/api/v1/version") throws -> (closedSilently: Bool, detail: String) {
    let conn = try HTTPConnection(port: port, timeoutMs: 5_000)
    try conn.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n")
    let closed = conn.closedByServer(withinMs: Int(slack(5_000)))
    do {
        let answer = try conn.readResponse()
        return (false, "answered \(answer.status): \(answer.text.prefix(200))")
    } catch {
        return (closed, "closed: \(closed), \(error)")
    }
}
