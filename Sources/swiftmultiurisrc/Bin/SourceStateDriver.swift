import CGStreamer
import Dispatch
import GstSwiftBridge
import Synchronization

/// Runs everything that takes one source's state lock (its state changes,
/// events sent to it, its final teardown) on a thread of its own, one job
/// after another in the order they were asked for. Callers wait for a job
/// with a bound, or not at all.
///
/// Why: some of these calls never return. filesrc's open() of a FIFO that
/// has no writer (or of a file on a dead network mount) blocks inside
/// READY→PAUSED, and gst_element_send_event then waits for the state lock
/// that change holds. Called from the bin's own change_state, one such
/// source kept the whole pipeline from reaching PLAYING and gst-launch from
/// ever seeing SIGINT. Here it costs that source's thread; the bin, the
/// other sources and the REST API go on.
///
/// Ordering is what makes this safe: a later job (say, NULL for the
/// teardown) never overtakes an earlier one (PLAYING) on another thread.
final class SourceStateDriver: Sendable {
    private struct Jobs {
        /// Waiting to run, oldest first.
        var queued: [@Sendable () -> Void] = []
        /// A thread is draining `queued`.
        var running = false
        /// The teardown was queued: nothing runs after it.
        var closed = false
    }
    private let jobs = Mutex(Jobs())
    let sourceId: UInt32

    init(sourceId: UInt32) { self.sourceId = sourceId }

    /// Queues `job` after every job queued before it. `closing` marks the
    /// last job (the teardown): later ones are refused. Returns nil when
    /// refused, else a completion to wait on.
    @discardableResult
    func enqueue(closing: Bool = false, _ job: @escaping @Sendable () -> Void) -> Completion? {
        let completion = Completion()
        let wrapped: @Sendable () -> Void = { job(); completion.signal() }
        let spawn = jobs.withLock { j -> Bool? in
            guard !j.closed else { return nil }
            if closing { j.closed = true }
            j.queued.append(wrapped)
            if j.running { return false }
            j.running = true
            return true
        }
        guard let spawn else { return nil }
        if spawn, !spawnDetachedThread(named: "swift-source", { [self] in drain() }) {
            // No thread to spare: run here rather than lose the job.
            binLog.warning(nil, "source \(sourceId): no thread for its state changes, running them inline")
            drain()
        }
        return completion
    }

    private func drain() {
        while true {
            let next = jobs.withLock { j -> (@Sendable () -> Void)? in
                guard !j.queued.isEmpty else {
                    j.running = false
                    return nil
                }
                return j.queued.removeFirst()
            }
            guard let next else { return }
            next()
        }
    }
}

/// Signalled once when a job has run; any number of bounded waits.
final class Completion: Sendable {
    private let signalled = DispatchSemaphore(value: 0)
    private let done = Atomic<Bool>(false)

    var isDone: Bool { done.load(ordering: .acquiring) }

    func signal() {
        done.store(true, ordering: .releasing)
        signalled.signal()
    }

    /// Waits at most `timeoutMs`; true once the job ran.
    func wait(timeoutMs: Int) -> Bool {
        if isDone { return true }
        guard signalled.wait(timeout: .now() + .milliseconds(max(0, timeoutMs))) == .success else { return false }
        // Let the next waiter through too.
        signalled.signal()
        return true
    }

    /// Waits for all of `completions`, at most `timeoutMs` together; the
    /// ones that did not finish in time.
    static func waitAll(_ completions: [Completion], timeoutMs: Int) -> [Int] {
        let deadline = g_get_monotonic_time() + gint64(timeoutMs) * 1000
        var late: [Int] = []
        for (index, completion) in completions.enumerated() {
            let left = Int(max(0, deadline - g_get_monotonic_time()) / 1000)
            if !completion.wait(timeoutMs: left) { late.append(index) }
        }
        return late
    }
}
