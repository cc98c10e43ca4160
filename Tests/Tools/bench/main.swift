// swiftmultiurisrc-bench: the benchmark command (README "Benchmarks"; run it
// through scripts/benchmark.sh). Every measurement next to its baseline,
// measured in the same run; prints one table on stdout, progress on stderr.
//
//   swiftmultiurisrc-bench --clip <file.mp4> --soak <swiftmultiurisrc-soak> \
//       --plugin-dir <folder with only libgstswiftmultiurisrc.so> [--only P1,P3,...]
//
// Environment (all optional): BENCH_P1_REQUESTS (1000), BENCH_P2_RUNS (15),
// BENCH_P3_SOURCES (16), BENCH_P3_SECONDS (10), BENCH_P4_SECONDS (4),
// BENCH_P4_CLIENTS (4), BENCH_P5_CYCLES (1000), BENCH_P5_LIMIT (360 s),
// BENCH_P6_MAX (32), BENCH_P6_SECONDS (5), BENCH_P6_BUDGET (180 s),
// BENCH_P7_CLIENTS (100), BENCH_P7_STREAMS (16), BENCH_P7_SECONDS (6).
// BENCH_P8_STREAMS (64), BENCH_P8_SECONDS (12), BENCH_P8_SCRAPES_PER_S (10).
// BENCH_R1_OUTPUTS (8), BENCH_R1_SECONDS (10), BENCH_R1_RUNS (3), BENCH_R2_RUNS (20),
// BENCH_R3_MAX (16), BENCH_R3_SECONDS (4), BENCH_R3_BUDGET (120 s).
// BENCH_C1_REQUESTS (40), BENCH_C2_STREAMS (16), BENCH_C2_CLIENTS (10), BENCH_C2_SECONDS (24).
// BENCH_A1_SOURCES (16), BENCH_A1_SECONDS (10), BENCH_A1_RUNS (7); A1 needs --app <swift-multiurisrc-app>.
import CGStreamer
import Foundation
import Glibc
import GstSwiftBridge

struct BenchContext {
    var clipPath: String
    var clipURI: String
    var soakPath: String
    var pluginDir: String
    var registry: String
    /// swift-multiurisrc-app (--app), for A1.
    var appPath: String? = nil
}

func usage() -> Never {
    fail("usage: swiftmultiurisrc-bench --clip <file> --soak <soak binary> --plugin-dir <dir> [--registry <file>] [--only P1,P2,...]")
}

var options: [String: String] = [:]
var argv = CommandLine.arguments.dropFirst()
while let key = argv.popFirst() {
    guard key.hasPrefix("--"), let value = argv.popFirst() else { usage() }
    options[String(key.dropFirst(2))] = value
}
guard let clip = options["clip"], let soak = options["soak"], let pluginDir = options["plugin-dir"] else { usage() }
guard FileManager.default.fileExists(atPath: clip) else { fail("no clip at \(clip)") }
let absoluteClip = URL(fileURLWithPath: clip).standardizedFileURL
let context = BenchContext(clipPath: absoluteClip.path, clipURI: absoluteClip.absoluteString,
                           soakPath: soak, pluginDir: pluginDir,
                           registry: options["registry"] ?? NSTemporaryDirectory() + "/bench-registry-\(getpid()).bin",
                           appPath: options["app"])
let only = Set((options["only"] ?? "P1,P2,P3,P4,P5,P6,P7,P8,R1,R2,R3,C1,C2,A1").uppercased().split(separator: ",").map(String.init))

gst_init(nil, nil)
guard gsb_register_static_plugin() != 0 else { fail("plugin registration failed") }

let results = Results()
let phases: [(String, (BenchContext, Results) -> Void)] = [
    ("P1", runP1), ("P2", runP2), ("P4", runP4), ("P7", runP7), ("P8", runP8), ("P5", runP5), ("P3", runP3), ("P6", runP6),
    ("R1", runR1), ("R2", runR2), ("R3", runR3),
    ("C1", runC1), ("C2", runC2),
    ("A1", runA1),
]
let begin = nowUs()
for (name, phase) in phases where only.contains(name) {
    let t = nowUs()
    log("\(name) ...")
    phase(context, results)
    log("\(name) done in \(fmt(Double(nowUs() - t) / 1e6, 1)) s")
}
let total = Double(nowUs() - begin) / 1e6
var uts = utsname()
uname(&uts)
let machine = withUnsafeBytes(of: uts.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
print("swiftmultiurisrc-bench: \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) CPUs (\(machine)), clip \(absoluteClip.lastPathComponent), total \(fmt(total, 0)) s")
print(results.render())
let missed = results.rows.filter { $0.holds == false }.count
print("targets held: \(results.rows.filter { $0.holds == true }.count), missed: \(missed)")
gst_deinit()
// A missed target is a failed benchmark run: scripts can tell.
exit(missed > 0 ? 1 : 0)
