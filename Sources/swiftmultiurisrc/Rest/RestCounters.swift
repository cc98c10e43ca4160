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

    /// The index in `bucketBounds` of the first bound `seconds` is within
    /// (`bucketBounds.count`: +Inf), by comparisons with the same literals:
    /// every answer observes once, and a search of the static array
    /// retained and released it each time (RestParseTests checks both agree).
    static func bucket(of seconds: Double) -> Int {
        if seconds <= 0.001 {
            return seconds <= 0.0001 ? 0 : seconds <= 0.00025 ? 1 : seconds <= 0.0005 ? 2 : 3
        }
        if seconds <= 0.05 {
            return seconds <= 0.0025 ? 4 : seconds <= 0.005 ? 5 : seconds <= 0.01 ? 6 : seconds <= 0.025 ? 7 : 8
        }
        if seconds <= 1 { return seconds <= 0.1 ? 9 : seconds <= 0.25 ? 10 : seconds <= 0.5 ? 11 : 12 }
        return seconds <= 2.5 ? 13 : seconds <= 5 ? 14 : seconds <= 10 ? 15 : 16
    }

    struct Histogram: Sendable, Equatable {
        /// Per bucket, not cumulative (one add per observation); the last
        /// entry is +Inf.
        var counts = [UInt64](repeating: 0, count: RestCounters.bucketBounds.count + 1)
        var sum: Double = 0
        var count: UInt64 = 0

        mutating func observe(_ seconds: Double) {
            let index = RestCounters.bucket(of: seconds)
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

/// One shard of RestStats. The built-in routes count in an array by their
/// place in `BuiltInRoutes.served` (`Route.slot`), so that an answer costs
/// no hashing: the two dictionary updates with a String key were a tenth
/// of a GET stream-info's time in the handler (bench P4, perf). Registered
/// prefixes, the streaming routes and "unknown" go to `others`.
struct RestCounterShard: Sendable {
    struct Slot: Sendable {
        /// (status, answers) pairs in the order first seen: a route answers
        /// with a handful of codes, a short scan finds them.
        var codes: [(code: Int, count: UInt64)] = []
        var latency = RestCounters.Histogram()
    }

    var slots: [Slot]
    var others = RestCounters()

    init(slotCount: Int) { slots = [Slot](repeating: Slot(), count: slotCount) }

    mutating func record(slot: Int?, route: String, code: Int, seconds: Double) {
        guard let slot, slots.indices.contains(slot) else {
            others.record(route: route, code: code, seconds: seconds)
            return
        }
        if let i = slots[slot].codes.firstIndex(where: { $0.code == code }) {
            slots[slot].codes[i].count &+= 1
        } else {
            slots[slot].codes.append((code, 1))
        }
        slots[slot].latency.observe(max(0, seconds))
    }

    /// Adds this shard to `total`, naming each slot by `routeOf(slot)`.
    func add(to total: inout RestCounters, routeOf: (Int) -> String) {
        total.add(others)
        for (slot, counts) in slots.enumerated() where !counts.codes.isEmpty {
            let route = routeOf(slot)
            for (code, n) in counts.codes { total.requests[RestCounters.Key(route: route, code: code), default: 0] &+= n }
            total.latency[route, default: RestCounters.Histogram()].add(counts.latency)
        }
    }
}

/// The server's counters in a few shards, each behind its own short lock:
/// every answer records once, a scrape merges the shards. One lock for all
/// made the four keep-alive workers of bench P4 queue behind each other on
/// every answer; a worker thread keeps to its shard (picked from its thread
/// id), so workers rarely meet on one.
final class RestStats: Sendable {
    private final class Shard: Sendable {
        let counters: Mutex<RestCounterShard>
        // Keeps two shards' locks off one cache line (they are allocated
        // one after the other).
        private let padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        init(slotCount: Int) { counters = Mutex(RestCounterShard(slotCount: slotCount)) }
    }

    private static let shardCount = 8
    /// The route of each slot.
    private let slotRoutes = BuiltInRoutes.served.map(\.path)
    private let shards: [Shard] = (0..<RestStats.shardCount).map { _ in Shard(slotCount: BuiltInRoutes.served.count) }

    private func shard() -> Shard {
        // pthread_t is the thread's control block address: its low bits are
        // alignment, the bits above them differ between threads.
        var h = UInt64(UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))))
        h = (h ^ (h >> 33)) &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 29
        return shards[Int(h % UInt64(Self.shardCount))]
    }

    /// One answer. `slot` is the built-in route's `Route.slot` (its `route`
    /// must then be that route's path); nil for any other route.
    func record(slot: Int? = nil, route: String, code: Int, seconds: Double) {
        shard().counters.withLock { $0.record(slot: slot, route: route, code: code, seconds: seconds) }
    }

    func snapshot() -> RestCounters {
        var total = RestCounters()
        for s in shards {
            s.counters.withLock { shard in
                shard.add(to: &total) { slotRoutes.indices.contains($0) ? slotRoutes[$0] : "unknown" }
            }
        }
        return total
    }
}
