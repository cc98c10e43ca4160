import Glibc

/// One `Value` per thread (a pthread key), made on a thread's first use and
/// released when the thread exits: per-worker caches of the REST server
/// that share no lock. `nil` when the system has no key left to give.
final class PerThread<Value: AnyObject>: @unchecked Sendable {
    // @unchecked: `key` is written once in init; each value belongs to its
    // thread.
    private var key = pthread_key_t()
    private let valid: Bool

    init() {
        // The destructor cannot capture `Value`: it releases the object as
        // any object (the retain below was of the same object).
        valid = pthread_key_create(&key, { p in
            if let p { Unmanaged<AnyObject>.fromOpaque(p).release() }
        }) == 0
    }

    deinit { if valid { pthread_key_delete(key) } }

    /// This thread's value, made by `make` the first time.
    func value(orMake make: () -> Value) -> Value? {
        guard valid else { return nil }
        if let p = pthread_getspecific(key) {
            return Unmanaged<Value>.fromOpaque(p).takeUnretainedValue()
        }
        let value = make()
        _ = pthread_setspecific(key, Unmanaged.passRetained(value).toOpaque())
        return value
    }
}
