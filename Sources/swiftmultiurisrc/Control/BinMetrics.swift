/// What GET metrics reports of the element (the REST layer adds its own
/// counters and the process's). Counters count from the source's add or
/// the element's creation; they never go down.
struct BinMetrics: Sendable, Equatable {
    /// Every current source, ordered by source id; a removed or failed one
    /// is gone (its failure stays counted in `sourceErrors`).
    var streams: [StreamMetrics] = []
    /// Sources that failed, by kind (FailureCause.kinds).
    var sourceErrors: [String: UInt64] = [:]
    /// Events the bin pushed out of its src pad, by type: DeepStream's
    /// structure name ("nv-roi-update", "nv-pad-added") or GStreamer's
    /// event name ("eos").
    var eventsPushed: [String: UInt64] = [:]
}

struct StreamMetrics: Sendable, Equatable {
    var info: StreamInfo
    /// Decoded frames that reached the branch (before drop-frame-interval).
    var framesIn: UInt64 = 0
    /// Of those, dropped by drop-frame-interval.
    var framesDropped: UInt64 = 0
    var reconnects: UInt64 = 0
    /// The last frame's time from the decoder's output to leaving the
    /// branch, ms.
    var latencyMs: Double = 0
}
