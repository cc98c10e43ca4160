import Glibc
import Synchronization

/// deepstream-app's perf measurement: frames counted per source after the
/// inference stages, printed every perf-measurement-interval-sec in
/// test5's nvmultiurisrcbin format. Active sources follow the bin's
/// stream-add / stream-remove messages.
final class PerfMonitor: Sendable {
    struct Source {
        var sensorId: String
        var sensorName: String
        /// Frames since the source's first one.
        var total: UInt64 = 0
        /// Frames in the current interval.
        var interval: UInt64 = 0
        /// Monotonic ns of the first frame (which only starts the clock,
        /// as in DeepStream); nil before it.
        var start: UInt64?
    }

    /// Lock order: this is the only lock of the monitor; nothing is called
    /// while it is held.
    private struct State {
        /// By source id; entries come and go with stream-add/remove.
        var sources: [UInt32: Source] = [:]
        /// Reports printed, for the header every 20th.
        var reports = 0
    }

    private let state = Mutex(State())
    let intervalSec: Int
    let showNames: Bool

    init(intervalSec: Int, showNames: Bool) {
        self.intervalSec = intervalSec
        self.showNames = showNames
    }

    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(max(0, ts.tv_sec)) &* 1_000_000_000 &+ UInt64(max(0, ts.tv_nsec))
    }

    /// Streaming thread: one frame of `source`.
    func frame(_ source: UInt32) {
        state.withLock { st in
            guard st.sources[source] != nil else { return }
            if st.sources[source]?.start == nil {
                st.sources[source]?.start = Self.now()
                return
            }
            st.sources[source]?.total &+= 1
            st.sources[source]?.interval &+= 1
        }
    }

    func added(_ source: UInt32, sensorId: String, sensorName: String) {
        state.withLock { $0.sources[source] = Source(sensorId: sensorId, sensorName: sensorName) }
    }

    func removed(_ source: UInt32) {
        _ = state.withLock { $0.sources.removeValue(forKey: source) }
    }

    /// The text of one report, and the interval counts reset.
    func report() -> String {
        let now = Self.now()
        let (rows, header) = state.withLock { st -> ([(UInt32, Source)], Bool) in
            let rows = st.sources.sorted { $0.key < $1.key }
            for key in st.sources.keys { st.sources[key]?.interval = 0 }
            let header = st.reports % 20 == 0
            st.reports += 1
            return (rows, header)
        }
        var out = ""
        let fps = rows.map { (_, s) -> (Double, Double) in
            let current = Double(s.interval) / Double(max(1, intervalSec))
            var avg = 0.0
            if let start = s.start, now > start { avg = Double(s.total) / (Double(now - start) / 1e9) }
            return (current, avg)
        }
        out += "Active sources : \(fps.filter { $0.0 > 0 }.count)\n"
        if header {
            out += "\n**PERF:  " + rows.map { "FPS \($0.0) (Avg)\t" }.joined() + "\n"
        }
        out += Self.asctime()
        out += "**PERF:  \n"
        for (i, (id, s)) in rows.enumerated() {
            let (current, avg) = fps[i]
            _ = id
            if showNames {
                out += "\(s.sensorId)[\(s.sensorName)] \(Self.fixed2(current)) (\(Self.fixed2(avg)))\t"
            } else {
                out += "\(Self.fixed2(current)) (\(Self.fixed2(avg)))\t"
            }
        }
        return out + "\n"
    }

    /// printf's %.2f without Foundation.
    static func fixed2(_ v: Double) -> String {
        guard v.isFinite, v >= 0, v < 1e12 else { return "0.00" }
        let hundredths = UInt64((v * 100).rounded())
        let frac = hundredths % 100
        return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)"
    }

    /// asctime_r of local time, as test5 prints before each report.
    static func asctime() -> String {
        var t = time(nil)
        var tm = Glibc.tm()
        guard localtime_r(&t, &tm) != nil else { return "\n" }
        var buffer = [CChar](repeating: 0, count: 64)
        guard asctime_r(&tm, &buffer) != nil else { return "\n" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
