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

/// Polls `condition` every 10 ms for at most `ms`.
func waitUntil(ms: Int64, _ condition: () -> Bool) -> Bool {
    let deadline = g_get_monotonic_time() + gint64(ms) * 1000
    while g_get_monotonic_time() < deadline {
        if condition() { return true }
        g_usleep(10_000)
    }
    return condition()
}
