import Glibc
import Synchronization

/// What the REST server answered, for GET metrics: requests by route and
/// status as sent on the wire, and how long each route took to answer.
///
/// `route` is the route table's path ("/stream/add", whichever spelling was
/// asked), a registered route's prefix, or "unknown": a client inventing
/// paths must not grow the table without bound.
struct RestCounters: Sendable, Equatable {
    struct Key: Hashable, Sendable {
        var route: String
        var code: Int
    }

    /// Upper bounds (seconds) of the latency buckets; +Inf is implicit.
    /// From a cached GET (tens of µs) to a stream/add that waits for its
    /// first frame (seconds).
    static let bucketBounds: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                         0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct Histogram: Sendable, Equatable {
        /// Per bucket, not cumulative (one add per observation); the last
        /// entry is +Inf.
        var counts = [UInt64](repeating: 0, count: RestCounters.bucketBounds.count + 1)
        var sum: Double = 0
        var count: UInt64 = 0

        mutating func observe(_ seconds: Double) {
            let index = RestCounters.bucketBounds.firstIndex { seconds <= $0 } ?? RestCounters.bucketBounds.count
            counts[index] &+= 1
            sum += seconds
            count &+= 1
        }

        /// Prometheus' `le` buckets: each counts every observation up to
        /// its bound, +Inf all of them.
        var cumulative: [UInt64] {
            var running: UInt64 = 0
            return counts.map { running &+= $0; return running }
        }
    }

    var requests: [Key: UInt64] = [:]
    var latency: [String: Histogram] = [:]

    mutating func record(route: String, code: Int, seconds: Double) {
        requests[Key(route: route, code: code), default: 0] &+= 1
        latency[route, default: Histogram()].observe(max(0, seconds))
    }
}

extension RestCounters.Histogram {
    mutating func add(_ other: RestCounters.Histogram) {
        for i in counts.indices where i < other.counts.count { counts[i] &+= other.counts[i] }
        sum += other.sum
        count &+= other.count
    }
}

extension RestCounters {
    mutating func add(_ other: RestCounters) {
        for (key, n) in other.requests { requests[key, default: 0] &+= n }
        for (route, h) in other.latency { latency[route, default: RestCounters.Histogram()].add(h) }
    }
}

/// The server's counters in a few shards, each behind its own short lock:
/// every answer records once (a few dictionary updates), a scrape merges
/// the shards. One lock for all made the four keep-alive workers of bench
/// P4 queue behind each other on every answer; a worker thread keeps to
/// its shard (picked from its thread id), so workers rarely meet on one.
final class RestStats: Sendable {
    private final class Shard: Sendable {
        let counters = Mutex(RestCounters())
        // Keeps two shards' locks off one cache line (they are allocated
        // one after the other).
        private let padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    }

    private static let shardCount = 8
    private let shards: [Shard] = (0..<RestStats.shardCount).map { _ in Shard() }

    private func shard() -> Shard {
        // pthread_t is the thread's control block address: its low bits are
        // alignment, the bits above them differ between threads.
        var h = UInt64(UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))))
        h = (h ^ (h >> 33)) &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 29
        return shards[Int(h % UInt64(Self.shardCount))]
    }

    func record(route: String, code: Int, seconds: Double) {
        shard().counters.withLock { $0.record(route: route, code: code, seconds: seconds) }
    }

    func snapshot() -> RestCounters {
        var total = RestCounters()
        for s in shards { s.counters.withLock { total.add($0) } }
        return total
    }
}
