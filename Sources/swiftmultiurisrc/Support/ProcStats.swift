import Glibc
import Synchronization

/// This process and this machine as /proc tells them (GET metrics). Read
/// at each scrape: a few small files, no lock held.
enum ProcStats {
    /// VmRSS (bytes) and Threads of /proc/self/status; 0 where unknown.
    static func process() -> (residentBytes: UInt64, threads: UInt64) {
        var rss: UInt64 = 0, threads: UInt64 = 0
        forEachLine("/proc/self/status") { line in
            if line.hasPrefix("VmRSS:") { rss = firstNumber(line) &* 1024 }
            if line.hasPrefix("Threads:") { threads = firstNumber(line) }
        }
        return (rss, threads)
    }

    /// Memory in use on the machine (MemTotal - MemAvailable), bytes.
    static func memoryInUse() -> UInt64 {
        var total: UInt64 = 0, available: UInt64 = 0
        forEachLine("/proc/meminfo") { line in
            if line.hasPrefix("MemTotal:") { total = firstNumber(line) &* 1024 }
            if line.hasPrefix("MemAvailable:") { available = firstNumber(line) &* 1024 }
        }
        return total > available ? total - available : 0
    }

    /// The machine's busy and total CPU time (jiffies, all cores) of the
    /// first line of /proc/stat.
    struct CPUTimes: Sendable, Equatable {
        var busy: UInt64 = 0
        var total: UInt64 = 0
    }

    static func cpuTimes() -> CPUTimes {
        var times = CPUTimes()
        forEachLine("/proc/stat", maxLines: 1) { line in
            guard line.hasPrefix("cpu ") else { return }
            let fields = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
            // user nice system idle iowait irq softirq steal (guest time is in user already).
            let counted = Array(fields.prefix(8))
            times.total = counted.reduce(0, &+)
            let idle = (counted.count > 3 ? counted[3] : 0) &+ (counted.count > 4 ? counted[4] : 0)
            times.busy = times.total > idle ? times.total - idle : 0
        }
        return times
    }

    /// The previous scrape's CPU times: utilization is over the time
    /// between two scrapes (the first is over the time since boot).
    private static let lastCPU = Mutex(CPUTimes())

    /// Percent of the machine's CPU time spent busy since the last call.
    static func cpuUtilization() -> Double {
        let now = cpuTimes()
        let before = lastCPU.withLock { last -> CPUTimes in
            defer { last = now }
            return last
        }
        guard now.total > before.total, now.busy >= before.busy else { return 0 }
        return min(100, Double(now.busy - before.busy) * 100 / Double(now.total - before.total))
    }

    /// The first run of digits in `line`, 0 without one.
    static func firstNumber(_ line: String) -> UInt64 {
        let digits = line.utf8.drop { $0 < 48 || $0 > 57 }.prefix { $0 >= 48 && $0 <= 57 }
        return UInt64(String(decoding: digits, as: UTF8.self)) ?? 0
    }

    /// Bounded: at most `maxLines` lines of at most 1 KB each (a line's
    /// end included).
    private static func forEachLine(_ path: String, maxLines: Int = 256, _ body: (String) -> Void) {
        _ = firstLine(path, maxLines: maxLines) { line in body(line); return false }
    }

    /// The first line of `path` for which `matches` holds, within the
    /// same bounds.
    static func firstLine(_ path: String, maxLines: Int = 256, where matches: (String) -> Bool) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 1024)
        for _ in 0..<maxLines {
            guard fgets(&line, Int32(line.count), f) != nil else { break }
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if matches(text) { return text }
        }
        return nil
    }
}
