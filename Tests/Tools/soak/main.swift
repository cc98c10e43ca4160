// swiftmultiurisrc-soak: drives swiftmultiurisrcbin through many add/remove
// cycles in its own process, so that GST_TRACERS=leaks can report at
// gst_deinit() (once per process) and RSS / file descriptors can be measured
// before and after. Used by the leak test and by the benchmark command.
//
//   swiftmultiurisrc-soak add-remove <cycles> <uri>
//
// Prints one line `cycles=N seconds=S rss_kb_before=A rss_kb_after=B fds_before=C fds_after=D`.
import CGStreamer
import Glibc
import GstSwiftBridge
@testable import swiftmultiurisrc

func rssKb() -> Int {
    guard let f = fopen("/proc/self/statm", "r") else { return -1 }
    defer { fclose(f) }
    var line = [UInt8](repeating: 0, count: 256)
    guard fgets(&line, 256, f) != nil else { return -1 }
    let text = String(decoding: line.prefix { $0 != 0 }, as: UTF8.self)
    let parts = text.split(separator: " ")
    guard parts.count >= 2, let pages = Int(parts[1]) else { return -1 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
}

func openFds() -> Int {
    guard let dir = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(dir) }
    var n = 0
    while readdir(dir) != nil { n += 1 }
    return n - 2
}

func fail(_ message: String) -> Never {
    let text = "swiftmultiurisrc-soak: \(message)\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

let args = CommandLine.arguments
guard args.count == 4, args[1] == "add-remove", let cycles = Int(args[2]), cycles > 0 else {
    fail("usage: swiftmultiurisrc-soak add-remove <cycles> <uri>")
}
let uri = args[3]

gst_init(nil, nil)
guard gsb_register_static_plugin() != 0 else { fail("plugin registration failed") }

var error: UnsafeMutablePointer<GError>?
guard let pipeline = gst_parse_launch(
    "swiftmultiurisrcbin name=src port=0 live-source=true file-loop=true drop-pipeline-eos=true width=160 height=120 ! fakesink sync=false",
    &error) else { fail("pipeline does not parse") }
gst_element_set_state(pipeline, GST_STATE_PLAYING)
var current = GST_STATE_NULL, pending = GST_STATE_NULL
gst_element_get_state(pipeline, &current, &pending, 1_000_000_000)
guard let srcElement = gst_bin_get_by_name(UnsafeMutableRawPointer(pipeline).assumingMemoryBound(to: GstBin.self), "src"),
      let bin = swiftImpl(ofInstance: UnsafeMutableRawPointer(srcElement), as: MultiUriSrcBin.self) else {
    fail("no bin")
}

// One cycle first so that lazily created things (decoder caches, type
// classes) are not counted as growth.
func cycle(_ i: Int) {
    do {
        _ = try bin.addStream(AddStreamRequest(cameraId: "cam\(i)", cameraName: "cam", uri: uri, waitForFirstFrameMs: 3000))
        _ = try bin.removeStream(cameraId: "cam\(i)", url: nil)
    } catch {
        fail("cycle \(i): \(error)")
    }
}
cycle(-1)
let rssBefore = rssKb(), fdsBefore = openFds()
let start = g_get_monotonic_time()
for i in 0..<cycles { cycle(i) }
let seconds = Double(g_get_monotonic_time() - start) / 1e6
let rssAfter = rssKb(), fdsAfter = openFds()
if getenv("SOAK_LIST_FDS") != nil, let dir = opendir("/proc/self/fd") {
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        var target = [UInt8](repeating: 0, count: 512)
        let n = readlink("/proc/self/fd/\(name)", &target, 511)
        if n > 0 { print("fd \(name) -> \(String(decoding: target.prefix(n), as: UTF8.self))") }
    }
    closedir(dir)
}

gst_element_set_state(pipeline, GST_STATE_NULL)
// SOAK_LEAK=1 leaks one reference on purpose: proves the leak check can fail.
if getenv("SOAK_LEAK") == nil { gst_object_unref(UnsafeMutableRawPointer(srcElement)) }
gst_object_unref(UnsafeMutableRawPointer(pipeline))
print("cycles=\(cycles) seconds=\(seconds) rss_kb_before=\(rssBefore) rss_kb_after=\(rssAfter) fds_before=\(fdsBefore) fds_after=\(fdsAfter)")
gst_deinit()
