import CGStreamer
import GstSwiftBridge
@testable import swiftmultiurisrc

extension TestPipeline {
    /// The Swift object behind the swiftmultiurisrcbin named `name`.
    func bin(_ name: String = "src") -> MultiUriSrcBin? {
        guard let e = element(name) else { return nil }
        return swiftImpl(ofInstance: UnsafeMutableRawPointer(e), as: MultiUriSrcBin.self)
    }
}

/// `swiftmultiurisrcbin name=src port=0 <props> ! <tail> appsink name=out`.
func binPipeline(_ properties: String, tail: String = "", sinkProps: String = "sync=false") -> TestPipeline {
    TestPipeline("swiftmultiurisrcbin name=src port=0 \(properties) ! \(tail) appsink name=out \(sinkProps) max-buffers=64 drop=false")
}

/// How much longer than its nominal bound a wait for something that must
/// happen may take: waits end as soon as it happens, so only a failing test
/// pays. The nominal bounds say what a quiet machine needs; CI's 2 shared
/// cores running suites in parallel may need several times that.
/// SWIFT_MULTIURISRC_WAIT_SLACK overrides it (1 reproduces the nominal bounds).
let waitSlack: Int64 = {
    if let text = getenv("SWIFT_MULTIURISRC_WAIT_SLACK").map({ String(cString: $0) }),
       let value = Int64(text), (1...20).contains(value) { return value }
    return 4
}()

/// Polls `condition` every 10 ms for at most `ms` × `waitSlack`.
func waitUntil(ms: Int64, _ condition: () -> Bool) -> Bool {
    let deadline = g_get_monotonic_time() + gint64(ms * waitSlack) * 1000
    while g_get_monotonic_time() < deadline {
        if condition() { return true }
        g_usleep(10_000)
    }
    return condition()
}

/// `ms` × `waitSlack`, for a bounded wait on a message that must come.
func slack(_ ms: UInt64) -> UInt64 { ms * UInt64(waitSlack) }

/// The branch of a source while it plays (nil before or after).
func sourceBranch(_ bin: MultiUriSrcBin, _ sourceId: UInt32) -> SourceBranch? {
    bin.state.withLock { $0?.slots[sourceId] }?.branch.withLock { $0 }
}
