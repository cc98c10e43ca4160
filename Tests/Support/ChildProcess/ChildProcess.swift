import Foundation
import Glibc

/// Runs a program in a child process with a bounded run time, for both test
/// targets. Nothing here waits without a bound: a child past its time gets
/// SIGTERM, then SIGKILL; its output is read while it runs and, once it has
/// exited, only what is already in the pipes (a grandchild that kept the
/// pipes open, e.g. gst-plugin-scanner, cannot hold the test).
public enum ChildProcess {
    /// The folder of the running test binary, where SwiftPM puts the
    /// package's executables.
    public static var buildDirectory: URL {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }

    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// The child ran past its time and was ended.
        public var timedOut: Bool
    }

    /// How long a child ended with SIGTERM has before SIGKILL.
    static let termGraceSeconds = 5.0

    /// Runs `executable` (an absolute path, or a name in `buildDirectory`)
    /// with `arguments`, the test's environment plus `environment`.
    /// `interruptAfterSeconds`: send SIGINT once, that long after the start
    /// (as Ctrl-C would), then go on waiting for the exit.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           timeoutSeconds: Double = 120, interruptAfterSeconds: Double? = nil) throws -> Output {
        let process = Process()
        process.executableURL = executable.hasPrefix("/") ? URL(fileURLWithPath: executable)
            : buildDirectory.appendingPathComponent(executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        // Read both pipes while the child runs so a chatty child can't block:
        // on a thread of our own with poll(). (FileHandle.readabilityHandler's
        // dispatch sources crashed the test process in
        // _dispatch_event_loop_drain when several children ended at once:
        // swift-corelibs-libdispatch issue 949.)
        let outData = LockedData(), errData = LockedData()
        let reader = PipeReader([(out.fileHandleForReading.fileDescriptor, outData),
                                 (err.fileHandleForReading.fileDescriptor, errData)])
        try spawnWithSignalsUnblocked(process)
        reader.start()
        var timedOut: Bool
        if let interruptAfterSeconds, interruptAfterSeconds < timeoutSeconds {
            if waitForExit(process, seconds: interruptAfterSeconds) {
                timedOut = false
            } else {
                kill(process.processIdentifier, SIGINT)
                timedOut = !waitForExit(process, seconds: timeoutSeconds - interruptAfterSeconds)
            }
        } else {
            timedOut = !waitForExit(process, seconds: timeoutSeconds)
        }
        if timedOut {
            process.terminate()
            if !waitForExit(process, seconds: termGraceSeconds) {
                kill(process.processIdentifier, SIGKILL)
            }
        }
        // Bounded now: the child has exited or was sent SIGKILL.
        process.waitUntilExit()
        reader.stop()
        outData.append(readWithoutWaiting(out.fileHandleForReading.fileDescriptor))
        errData.append(readWithoutWaiting(err.fileHandleForReading.fileDescriptor))
        return Output(status: process.terminationStatus, stdout: outData.string, stderr: errData.string, timedOut: timedOut)
    }

    /// Starts `process` with no signal blocked. A child inherits the signal
    /// mask of the thread that spawns it, and the test runner's threads block
    /// SIGINT, SIGTERM and others: a child started from them ignored Ctrl-C
    /// and `terminate()` alike (seen: gst-launch-1.0 -e never ended on
    /// SIGINT). The mask is cleared on this thread only while it spawns.
    private static func spawnWithSignalsUnblocked(_ process: Process) throws {
        var none = sigset_t(), saved = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try process.run()
    }

    /// True once `process` has exited; false after `seconds`.
    private static func waitForExit(_ process: Process, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() > deadline { return false }
            usleep(20_000)
        }
        return true
    }

    /// What is in the pipe now, without waiting for its end.
    private static func readWithoutWaiting(_ fd: Int32) -> Data {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        for _ in 0..<1024 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { data.append(contentsOf: chunk.prefix(n)); continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        return data
    }
}

/// Reads pipes on one thread with poll() until stopped; `stop` waits for
/// the thread (each poll is at most 50 ms).
final class PipeReader: @unchecked Sendable {
    private let pipes: [(Int32, LockedData)]
    private let stopping = NSLock()
    private var stopRequested = false
    private let finished = DispatchSemaphore(value: 0)

    init(_ pipes: [(Int32, LockedData)]) { self.pipes = pipes }

    func start() {
        Thread.detachNewThread { [self] in
            var fds = pipes.map { pollfd(fd: $0.0, events: Int16(POLLIN), revents: 0) }
            var open = Set(pipes.indices)
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            while !isStopRequested, !open.isEmpty {
                for i in fds.indices { fds[i].fd = open.contains(i) ? pipes[i].0 : -1 }
                let n = poll(&fds, nfds_t(fds.count), 50)
                if n <= 0 { continue }
                for i in fds.indices where open.contains(i) && fds[i].revents != 0 {
                    let got = chunk.withUnsafeMutableBytes { read(pipes[i].0, $0.baseAddress, $0.count) }
                    if got > 0 {
                        pipes[i].1.append(Data(chunk.prefix(got)))
                    } else if got == 0 || (errno != EINTR && errno != EAGAIN) {
                        open.remove(i)
                    }
                }
            }
            finished.signal()
        }
    }

    private var isStopRequested: Bool {
        stopping.lock(); defer { stopping.unlock() }
        return stopRequested
    }

    func stop() {
        stopping.lock(); stopRequested = true; stopping.unlock()
        _ = finished.wait(timeout: .now() + 2)
    }
}

final class LockedData: @unchecked Sendable {
    private var data = Data()
    private let lock = NSLock()
    func append(_ d: Data) { lock.lock(); data.append(d); lock.unlock() }
    var string: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
}
