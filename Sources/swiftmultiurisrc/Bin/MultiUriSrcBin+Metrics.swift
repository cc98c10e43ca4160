/// GET metrics: read under the short locks of the slot table and of each
/// slot, never on the control queue, so a scrape answers while an add or a
/// removal takes its time.
extension MultiUriSrcBin {
    func metrics() -> BinMetrics {
        // st?.slots, not st.map: map would copy the whole State.
        let slots = state.withLock { st in st?.slots.values.map { $0 } ?? [] }
        let streams = slots.sorted { $0.sourceId < $1.sourceId }.map { slot in
            // Out before in: frames flow from one to the other meanwhile,
            // so read this way in - dropped >= out always holds.
            let info = slot.info()
            let (reconnects, latencyNs) = slot.runtime.withLock { ($0.reconnects, $0.latencyNs) }
            let (framesIn, dropped) = slot.dropper.withLock { ($0.seen, $0.dropped) }
            return StreamMetrics(info: info, framesIn: framesIn, framesDropped: dropped,
                                 reconnects: reconnects, latencyMs: Double(latencyNs) / 1e6)
        }
        return BinMetrics(streams: streams, sourceErrors: counters.withLock { $0.sourceErrors },
                          eventsPushed: downstream.pushedCounts())
    }
}

/// What the bin counts apart from its sources: a failed source leaves, its
/// failure stays counted.
struct BinCounters: Sendable {
    var sourceErrors: [String: UInt64] = [:]

    mutating func sourceFailed(_ reason: String?) {
        sourceErrors[FailureCause.kind(of: reason), default: 0] &+= 1
    }
}
