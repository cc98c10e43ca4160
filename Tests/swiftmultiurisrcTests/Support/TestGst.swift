import CGStreamer
import GstSwiftBridge
import Glibc
import Synchronization
import Testing

/// GStreamer for tests: initialised once per process, with this package's
/// plugin registered statically (the test binary links the Swift module, so
/// loading the .so too would register every type twice).
enum TestGst {
    private static let once: Bool = {
        // A private registry: a broken plugin elsewhere must not be cached
        // as blacklisted in the user's registry by a test run.
        let registry = "/tmp/swiftmultiurisrc-tests-\(getpid()).registry"
        setenv("GST_REGISTRY", registry, 1)
        // The .so of this package must not be found twice.
        unsetenv("GST_PLUGIN_PATH")
        gst_init(nil, nil)
        return gsb_register_static_plugin() != 0
    }()

    /// Call at the start of every test that uses GStreamer.
    @discardableResult
    static func setUp() -> Bool { once }
}

/// The suites that play real pipelines (the bin, RTSP cameras, child
/// processes) run one after another, nested here: on CI's 2 shared cores,
/// pipelines of parallel suites would starve each other's streaming threads
/// and share one process's threads, sockets and descriptors, which the long
/// run and the leak checks count. Suites without pipelines (parsers,
/// routes, the HTTP server with a fake control) still run in parallel.
@Suite(.serialized) enum PipelineSuites {}
