import CGStreamer

/// A value behind a GLib mutex with a condition: for the few places where a
/// streaming thread must wait for another one (swiftstreammux's batches).
/// Synchronization.Mutex has no condition variable; GMutex and GCond need a
/// fixed address, hence the heap allocation.
///
/// Waits are always bounded (`wait(untilMonotonicUs:)`), so a caller can
/// look at pad flushing and deadlines between them.
final class ConditionLock<Value>: @unchecked Sendable {
    // @unchecked: `value` is only touched inside `withLock`, under `mutex`.
    private let mutex: UnsafeMutablePointer<GMutex>
    private let cond: UnsafeMutablePointer<GCond>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        cond = .allocate(capacity: 1)
        g_mutex_init(mutex)
        g_cond_init(cond)
    }

    deinit {
        g_cond_clear(cond)
        g_mutex_clear(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the lock held. `body` gets a `Waiter` to wait or
    /// wake others; it must not call into GStreamer.
    func withLock<R>(_ body: (inout Value, Waiter) throws -> R) rethrows -> R {
        g_mutex_lock(mutex)
        defer { g_mutex_unlock(mutex) }
        return try body(&value, Waiter(mutex: mutex, cond: cond))
    }

    struct Waiter {
        fileprivate let mutex: UnsafeMutablePointer<GMutex>
        fileprivate let cond: UnsafeMutablePointer<GCond>

        /// Releases the lock until woken or until `deadline` (g_get_monotonic_time
        /// microseconds), then takes it again. The value may have changed.
        func wait(untilMonotonicUs deadline: Int) {
            _ = g_cond_wait_until(cond, mutex, deadline)
        }

        func broadcast() {
            g_cond_broadcast(cond)
        }
    }
}
