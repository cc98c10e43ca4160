import Testing
import ChildProcess

extension PipelineSuites {
    /// GST_TRACERS=leaks reports objects still alive at gst_deinit(), once per
    /// process: the add/remove cycles run in a child process.
    @Suite(.serialized) struct LeakTests {
        /// Leaked objects the tracer listed (its format line names `%s`).
        static func leaked(_ log: String) -> [String] {
            log.split(separator: "\n")
                .filter { $0.contains("object-alive, type-name=(string)") && !$0.contains("%s") }
                .map(String.init)
        }

        @Test func hundredAddRemoveCyclesLeakNothing() throws {
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            let run = try ChildProcess.run("swiftmultiurisrc-soak", ["add-remove", "100", uri],
                                           environment: ["GST_TRACERS": "leaks", "GST_DEBUG": "GST_TRACER:7"])
            #expect(run.status == 0 && !run.timedOut, "soak failed: \(run.stderr.suffix(2000))")
            #expect(run.stdout.contains("cycles=100"))
            let leaks = Self.leaked(run.stderr)
            #expect(leaks.isEmpty, "leaked: \(leaks.prefix(10).joined(separator: "\n"))")
            print("leak check:", run.stdout.split(separator: "\n").first { $0.hasPrefix("cycles=") } ?? "", "leaked objects:", leaks.count)
        }

        /// The check itself: a reference kept on purpose must be found.
        @Test func leakCheckFindsADeliberateLeak() throws {
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            let run = try ChildProcess.run("swiftmultiurisrc-soak", ["add-remove", "2", uri],
                                           environment: ["GST_TRACERS": "leaks", "GST_DEBUG": "GST_TRACER:7", "SOAK_LEAK": "1"])
            #expect(run.status == 0)
            #expect(!Self.leaked(run.stderr).isEmpty)
        }
    }
}
