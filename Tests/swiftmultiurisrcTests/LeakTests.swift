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

        /// The integer `key=value` fields of the soak's result line.
        static func fields(_ stdout: String) -> [String: Int] {
            guard let line = stdout.split(separator: "\n").first(where: { $0.hasPrefix("cycles=") }) else { return [:] }
            var fields: [String: Int] = [:]
            for pair in line.split(separator: " ") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if kv.count == 2, let v = Int(kv[1]) { fields[String(kv[0])] = v }
            }
            return fields
        }

        @Test func hundredAddRemoveCyclesLeakNothing() throws {
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            let run = try ChildProcess.run("swiftmultiurisrc-soak", ["add-remove", "100", uri],
                                           environment: ["GST_TRACERS": "leaks", "GST_DEBUG": "GST_TRACER:7"])
            #expect(run.status == 0 && !run.timedOut, "soak failed: \(run.stderr.suffix(2000))")
            #expect(run.stdout.contains("cycles=100"))
            let leaks = Self.leaked(run.stderr)
            #expect(leaks.isEmpty, "leaked: \(leaks.prefix(10).joined(separator: "\n"))")
            // Descriptors too: a socket, pipe or pool's socketpair kept per
            // source would show here (the soak counts them once they hold still).
            let fields = Self.fields(run.stdout)
            #expect(fields["fds_before"] != nil && fields["fds_before"] == fields["fds_after"],
                    "descriptors before and after the cycles: \(fields["fds_before"] ?? -1), \(fields["fds_after"] ?? -1)")
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
