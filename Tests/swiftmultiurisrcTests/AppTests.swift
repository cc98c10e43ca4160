import ChildProcess
import Foundation
import Glibc
import Synchronization
import Testing

/// swift-multiurisrc-app, the built executable, run as a child process on
/// config files written here or filled in from Tests/app-configs (the
/// groups and keys of DeepStream's test5 nvmultiurisrcbin sample).
enum AppHarness {
    static let appName = "swift-multiurisrc-app"
    static let pluginFile = "libgstswiftmultiurisrc.so"
    static let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("app-configs")

    static var appPath: String {
        let env = ProcessInfo.processInfo.environment
        var candidates = env["SWIFT_MULTIURISRC_BIN_PATH"].map { [$0] } ?? []
        candidates.append(ChildProcess.buildDirectory.path)
        return candidates.map { "\($0)/\(appName)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? "\(ChildProcess.buildDirectory.path)/\(appName)"
    }

    /// A folder of this run: configs, outputs, the plugin link, the registry.
    static let work: String = {
        var template = Array("/tmp/swift-multiurisrc-app-tests-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { buf in
            buf.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) } ?? "/tmp"
        }
    }()

    /// GST_PLUGIN_PATH of the child: run-tests.sh's folder with only the
    /// plugin, else one made here next to the test binary's plugin.
    static let pluginDir: String = {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["SWIFT_MULTIURISRC_PLUGIN_DIR"], FileManager.default.fileExists(atPath: "\(dir)/\(pluginFile)") {
            return dir
        }
        let folder = "\(work)/plugin"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var dirs = env["SWIFT_MULTIURISRC_BIN_PATH"].map { [$0] } ?? []
        dirs.append(ChildProcess.buildDirectory.path)
        if let found = dirs.first(where: { FileManager.default.fileExists(atPath: "\($0)/\(pluginFile)") }) {
            try? FileManager.default.createSymbolicLink(atPath: "\(folder)/\(pluginFile)", withDestinationPath: "\(found)/\(pluginFile)")
        }
        return folder
    }()

    /// The child's environment: the plugin, a registry of these tests, no
    /// display (type=2 sinks go to a fakesink, as on CI).
    static var environment: [String: String] {
        ["GST_PLUGIN_PATH": pluginDir, "GST_REGISTRY": "\(work)/registry.bin", "DISPLAY": "", "WAYLAND_DISPLAY": "",
         "GST_DEBUG": ""]
    }

    static func write(_ name: String, _ text: String) -> String {
        let path = "\(work)/\(name)"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    /// A template from Tests/app-configs with its @FIELD@s filled in.
    static func fill(_ template: String, _ fields: [String: String], as name: String) throws -> String {
        var text = try String(contentsOf: configs.appendingPathComponent(template), encoding: .utf8)
        for (k, v) in fields { text = text.replacingOccurrences(of: "@\(k)@", with: v) }
        return write(name, text)
    }

    static func run(_ arguments: [String], timeout: Double = 30, interruptAfter: Double? = nil) throws -> ChildProcess.Output {
        try ChildProcess.run(appPath, arguments, environment: environment,
                             timeoutSeconds: timeout * Double(waitSlack), interruptAfterSeconds: interruptAfter)
    }

    /// Frames of the first video stream, decoded by ffprobe (an independent
    /// reader of the container and the codec).
    static func decodedFrames(_ path: String) throws -> Int? {
        let r = try ChildProcess.run("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                                          "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path],
                                     timeoutSeconds: 60)
        return Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// The app while it runs: its stdout read as it comes, stdin to type into.
final class RunningApp: @unchecked Sendable {
    // @unchecked: `process` and the pipes are set in init; output is in a Mutex.
    private let process = Process()
    private let stdinPipe = Pipe()
    final class Collected: Sendable {
        let bytes = Mutex<[UInt8]>([])
        var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
    }
    private let output = Collected()
    private let errors = Collected()

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: AppHarness.appPath)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in AppHarness.environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdinPipe
        // The test runner's threads block SIGINT/SIGTERM, which a child
        // inherits: spawn with none blocked so terminate() works.
        var none = sigset_t(), saved = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try process.run()
        for (fd, sink) in [(out.fileHandleForReading.fileDescriptor, output), (err.fileHandleForReading.fileDescriptor, errors)] {
            // A plain thread per pipe; it ends at the pipe's EOF.
            let thread = Thread {
                var chunk = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = read(fd, &chunk, chunk.count)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    sink.bytes.withLock { $0.append(contentsOf: chunk[0..<n]) }
                }
            }
            thread.start()
        }
    }

    var stdout: String { output.text }
    var stderr: String { errors.text }

    func type(_ text: String) { stdinPipe.fileHandleForWriting.write(Data(text.utf8)) }

    /// Bounded: true once stdout satisfies `condition`.
    func waitForOutput(ms: Int64, _ condition: (String) -> Bool) -> Bool {
        waitUntil(ms: ms) { condition(self.stdout) }
    }

    /// The exit status, or nil after `seconds` (then the child is killed).
    func waitForExit(seconds: Double) -> Int32? {
        let ok = waitUntil(ms: Int64(seconds * 1000)) { !self.process.isRunning }
        if !ok {
            process.terminate()
            if !waitUntil(ms: 5_000, { !self.process.isRunning }) { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Config errors, warnings and the two config forms: the app stops before
/// GStreamer starts, so these run beside the pipeline suites.
@Suite struct AppConfigTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var file: String
        var text: String
        /// Every piece must be in stderr.
        var expect: [String]
        var testDescription: String { name }
    }

    static let valid = """
        [source-list]
        list=file:///tmp/a.mp4
        use-nvmultiurisrcbin=1
        http-port=0
        [source-attr-all]
        enable=1

        """

    static let cases: [Case] = [
        Case(name: "a line that is no key=value", file: "syntax.txt", text: "[application]\nthis is not a pair\n",
             expect: [":2:", "is not a key=value pair"]),
        Case(name: "a key before any group", file: "nogroup.txt", text: "width=3\n", expect: [":1:", "width", "before the first [group]"]),
        Case(name: "an unclosed group", file: "group.txt", text: "\n[streammux\n", expect: [":2:", "no closing ']'"]),
        Case(name: "a bad escape", file: "escape.txt", text: valid + "[sink0]\nenable=1\ntype=3\noutput-file=a\\qb\n",
             expect: [":10:", "[sink0] output-file", "invalid escape"]),
        Case(name: "a word for an integer", file: "int.txt", text: valid + "[streammux]\nwidth=wide\n",
             expect: [":8:", "[streammux] width", "\"wide\" is not an integer"]),
        Case(name: "an unknown sink type", file: "type.txt", text: valid + "[sink0]\nenable=1\ntype=9\n",
             expect: [":9:", "[sink0] type", "9 is out of range 1...6"]),
        Case(name: "a file sink without output-file", file: "out.txt", text: valid + "[sink1]\nenable=1\ntype=3\n",
             expect: [":7:", "[sink1] output-file", "needs output-file"]),
        Case(name: "a colour of two values", file: "color.txt", text: valid + "[osd]\nenable=1\ntext-color=1;1\n",
             expect: [":9:", "[osd] text-color", "not a colour"]),
        Case(name: "lists shorter than num-source-bins", file: "count.txt",
             text: valid.replacingOccurrences(of: "http-port=0", with: "http-port=0\nnum-source-bins=2\nsensor-id-list=a;b\nsensor-name-list=a;b"),
             expect: [":2:", "[source-list] list", "has 1 item(s) but num-source-bins=2"]),
        Case(name: "a path where a URI belongs", file: "uri.txt",
             text: valid.replacingOccurrences(of: "file:///tmp/a.mp4", with: "/tmp/a.mp4"),
             expect: [":2:", "[source-list] list", "\"/tmp/a.mp4\" is not a file://"]),
        Case(name: "a port that is no number", file: "port.txt",
             text: valid.replacingOccurrences(of: "http-port=0", with: "http-port=ninety"),
             expect: [":4:", "[source-list] http-port", "not a TCP port"]),
        Case(name: "use-nvmultiurisrcbin=0", file: "legacy.txt",
             text: valid.replacingOccurrences(of: "use-nvmultiurisrcbin=1", with: "use-nvmultiurisrcbin=0"),
             expect: [":3:", "[source-list] use-nvmultiurisrcbin", "must be 1"]),
        Case(name: "no [source-attr-all]", file: "attr.txt", text: "[source-list]\nuse-nvmultiurisrcbin=1\n",
             expect: ["attr.txt:1:", "no [source-attr-all] group"]),
        Case(name: "no [source-list]", file: "empty.txt", text: "# nothing\n", expect: ["empty.txt:", "no [source-list] group"]),
        Case(name: "a YAML syntax error", file: "broken.yml", text: "source-list:\n  list: [a, b\n  use: 1\n",
             expect: ["broken.yml:", "YAML syntax"]),
        Case(name: "a YAML list at the top", file: "list.yml", text: "- a\n- b\n",
             expect: ["list.yml:1:", "top level must be a mapping"]),
        Case(name: "a YAML value of the wrong type", file: "value.yml",
             text: "source-list:\n  list: file:///a.mp4\n  use-nvmultiurisrcbin: 1\nsource-attr-all:\n  enable: 1\nstreammux:\n  live-source: maybe\n",
             expect: ["value.yml:7:", "[streammux] live-source", "not 0 or 1"]),
    ]

    @Test(arguments: cases) func aConfigErrorNamesFileGroupKeyAndLine(_ c: Case) throws {
        let path = AppHarness.write(c.file, c.text)
        let r = try AppHarness.run(["-c", path])
        #expect(r.status == 3, "exit \(r.status): \(r.stderr)")
        #expect(r.stderr.contains("** ERROR: \(path)"), "\(r.stderr)")
        for piece in c.expect { #expect(r.stderr.contains(piece), "\(piece) not in: \(r.stderr)") }
        #expect(!r.stdout.contains("App run successful"))
    }

    @Test func fileErrorsCommandLineAndWarnings() throws {
        // The file itself.
        let missing = try AppHarness.run(["-c", "\(AppHarness.work)/no-such.txt"])
        #expect(missing.status == 3 && missing.stderr.contains("no-such.txt: cannot open: No such file or directory"), "\(missing.stderr)")
        let dir = try AppHarness.run(["-c", AppHarness.work])
        #expect(dir.status == 3 && dir.stderr.contains("not a regular file"), "\(dir.stderr)")
        let binary = "\(AppHarness.work)/latin1.txt"
        _ = FileManager.default.createFile(atPath: binary, contents: Data([0x5B, 0x61, 0x5D, 0x0A, 0x62, 0x3D, 0xE9, 0x0A]))
        let latin = try AppHarness.run(["-c", binary])
        #expect(latin.status == 3 && latin.stderr.contains("not UTF-8"), "\(latin.stderr)")
        // The command line.
        let none = try AppHarness.run([])
        #expect(none.status == 2 && none.stderr.contains("no config file"))
        let unknown = try AppHarness.run(["--frobnicate"])
        #expect(unknown.status == 2 && unknown.stderr.contains("unknown option --frobnicate"))
        let help = try AppHarness.run(["--help"])
        #expect(help.status == 0 && help.stdout.contains("Usage: swift-multiurisrc-app -c <config>") && help.stdout.contains("Exit codes"))
        let version = try AppHarness.run(["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("swift-multiurisrc-app "))
        // Unknown groups and keys, GPU-only groups: one warning each, and the
        // config still runs (here: prints its pipeline).
        let path = AppHarness.write("warnings.txt", Self.valid + """
            [source-attr-all]
            colour-of-sky=blue
            [my-group]
            a=1
            [tracker]
            enable=1
            ll-lib-file=/opt/nvidia/libnvds_nvmultiobjecttracker.so
            [primary-gie]
            enable=1
            gst-element=videobalance saturation=0
            [sink0]
            enable=1
            type=6
            [sink1]
            enable=1
            type=5

            """)
        let w = try AppHarness.run(["-c", path, "--print-pipeline"])
        #expect(w.status == 0, "\(w.stderr)")
        let warnings = w.stderr.split(separator: "\n").filter { $0.hasPrefix("** WARN: ") }
        for piece in ["warnings.txt:8: [source-attr-all] colour-of-sky: unknown key", "warnings.txt:9: [my-group]: unknown group",
                      "warnings.txt:11: [tracker]: nvtracker needs an NVIDIA GPU: skipped",
                      "warnings.txt:19: [sink0] type: type=6", "warnings.txt:22: [sink1] type: type=5"] {
            #expect(warnings.contains { $0.contains(piece) }, "\(piece) not in: \(w.stderr)")
        }
        #expect(warnings.count == 5, "\(warnings)")
        #expect(w.stdout.contains("stage [primary-gie]: videobalance saturation=0"), "\(w.stdout)")
        // No sink left: DeepStream's fakesink; and the pipeline as one gst-launch line.
        #expect(w.stdout.contains("gst-launch-1.0: swiftmultiurisrcbin name=src"), "\(w.stdout)")
        #expect(w.stdout.contains("fakesink name=fakesink"), "\(w.stdout)")
    }

    @Test func yamlAndKeyFileFormsGiveTheSamePipeline() throws {
        let fields = ["CLIP1": "file:///clips/a.mp4", "CLIP2": "file:///clips/b%20c.mp4", "HTTP_PORT": "9123",
                      "RTSP_PORT": "9554", "UDP_PORT": "9400", "OUT": "/tmp/out dir/out.mp4"]
        let txt = try AppHarness.fill("test5-nvmultiurisrcbin.txt", fields, as: "same.txt")
        let yml = try AppHarness.fill("test5-nvmultiurisrcbin.yml", fields, as: "same.yml")
        let a = try AppHarness.run(["-c", txt, "--print-pipeline"])
        let b = try AppHarness.run(["-c", yml, "--print-pipeline"])
        #expect(a.status == 0 && b.status == 0, "\(a.stderr)\n\(b.stderr)")
        #expect(a.stdout == b.stdout)
        // Positive control: the plan carries what both files say.
        for piece in ["uri-list=\"file:///clips/a.mp4,file:///clips/b%20c.mp4\"", "sensor-name-list=\"Lobby camera,Loading dock\"",
                      "port=9123", "live-source=true", "batched-push-timeout=33333", "file-loop=true", "width=320 height=240",
                      "stage [primary-gie]: swiftinferinterval interval=0", "tiler: 2x2 tiles of 320x240 in 640x480",
                      "rtsp sink1: rtsp://localhost:9554/ds-test", "udpsink name=sink1 host=127.0.0.1 port=9400",
                      "location=\"/tmp/out dir/out.mp4\"", "perf: every 1 s, sensor names"] {
            #expect(a.stdout.contains(piece), "\(piece) not in: \(a.stdout)")
        }
        // The same warnings, at each file's own lines.
        func groups(_ s: String) -> [String] {
            s.split(separator: "\n").compactMap { line in line.range(of: ": [").map { String(line[$0.lowerBound...]) } }
        }
        #expect(groups(a.stderr) == groups(b.stderr) && !groups(a.stderr).isEmpty, "\(a.stderr)\n\(b.stderr)")
    }
}

extension PipelineSuites {
    /// The app running real pipelines: REST, PERF lines, the mosaic, RTSP
    /// read by ffprobe, the file sink decoded by ffprobe, every way to quit.
    @Suite(.serialized) struct AppTests {
        init() { TestGst.setUp() }

        static func ports() -> [String: String] {
            ["HTTP_PORT": String(freeLocalPort()), "RTSP_PORT": String(freeLocalPort()), "UDP_PORT": String(freeLocalPort())]
        }

        /// DeepStream's test5 nvmultiurisrcbin config (our copy, in YAML)
        /// with two clips: REST, a stream added over REST in PERF and the
        /// mosaic, ROIs on the tiles, RTSP, the file, app/quit.
        @Test func aTest5ConfigRunsAsAService() throws {
            let clip1 = TestMedia.h264(pattern: "ball", frames: 60)
            let clip2 = TestMedia.h264(pattern: "smpte", frames: 60)
            let clip3 = TestMedia.h264(pattern: "pinwheel", frames: 60)
            var fields = Self.ports()
            let out = "\(AppHarness.work)/service.mp4"
            fields["CLIP1"] = clip1
            fields["CLIP2"] = clip2
            fields["OUT"] = out
            let config = try AppHarness.fill("test5-nvmultiurisrcbin.yml", fields, as: "service.yml")
            let port = try #require(UInt16(fields["HTTP_PORT"] ?? ""))
            let app = try RunningApp(["-c", config])
            let http = HTTPClient(port: port)

            // Sources play: both in the PERF lines with their sensor names.
            #expect(app.waitForOutput(ms: 15_000) { $0.contains("lobby[Lobby camera] ") && $0.contains("dock[Loading dock] ") },
                    "\(app.stdout)\n\(app.stderr)")
            #expect(app.stdout.contains("*** DeepStream: Launched RTSP Streaming at rtsp://localhost:\(fields["RTSP_PORT"] ?? "")/ds-test ***"))
            #expect(app.stdout.contains("new stream added [0:lobby:Lobby camera]") && app.stdout.contains("new stream added [1:dock:Loading dock]"))
            let perfLine = #/(?m)^lobby\[Lobby camera\] (\d+\.\d\d) \((\d+\.\d\d)\)\tdock\[Loading dock\] \d+\.\d\d \(\d+\.\d\d\)\t$/#
            #expect(app.waitForOutput(ms: 5_000) { $0.firstMatch(of: perfLine).map { (Double($0.1) ?? 0) > 0 } ?? false },
                    "no PERF line in test5's format with a running source: \(app.stdout)")
            #expect(app.stdout.contains("\n**PERF:  FPS 0 (Avg)\tFPS 1 (Avg)\t\n") && app.stdout.contains("Active sources : 2"))

            // REST answers on the configured port.
            let info = try http.get("/api/v1/stream/get-stream-info")
            #expect(info.text.contains("GET_LIVE_STREAM_INFO_SUCCESS") && info.text.contains("\"camera_id\":\"dock\""), "\(info.text)")

            // RTSP: an independent client reads the mosaic.
            let probe = try ChildProcess.run("/usr/bin/ffprobe", ["-v", "error", "-rtsp_transport", "tcp", "-show_entries",
                                                                  "stream=codec_name,width,height", "-of", "compact",
                                                                  "rtsp://127.0.0.1:\(fields["RTSP_PORT"] ?? "")/ds-test"],
                                             timeoutSeconds: 20 * Double(waitSlack))
            #expect(probe.stdout.contains("stream|codec_name=h264|width=640|height=480"), "\(probe.stdout)\n\(probe.stderr)")

            // A stream added over REST: in the PERF lines and in the mosaic's tile 2.
            let add = try http.post("/api/v1/stream/add", """
                {"key":"sensor","value":{"camera_id":"yard","camera_name":"Yard","camera_url":"\(clip3)","change":"camera_add"}}
                """)
            #expect(add.text.contains("STREAM_ADD_SUCCESS"), "\(add.text)")
            let roi = try http.post("/api/v1/roi/update", """
                {"stream":{"stream_id":"2","roi_count":1,"roi":[{"roi_id":"gate","left":10,"top":20,"width":64,"height":48}]}}
                """)
            #expect(roi.text.contains("ROI_UPDATE_SUCCESS"), "\(roi.text)")
            #expect(app.waitForOutput(ms: 10_000) { $0.contains("new stream added [2:yard:Yard]") })
            let yardRunning = #/(?m)\tyard\[Yard\] ([1-9]\d*\.\d\d) \(/#
            #expect(app.waitForOutput(ms: 10_000) { $0.firstMatch(of: yardRunning) != nil }, "\(app.stdout)")
            #expect(app.stdout.contains("FPS 0 (Avg)\tFPS 1 (Avg)\t") && app.stdout.contains("Active sources : 3"), "\(app.stdout)")
            // In the mosaic (read back over RTSP, after a key frame): tile 2,
            // bottom left, shows the pinwheel; tile 3, bottom right, has no
            // source and stays black (the control).
            let gray = "\(AppHarness.work)/bottom-row.gray"
            let grab = try ChildProcess.run("/usr/bin/ffmpeg", ["-v", "error", "-y", "-rtsp_transport", "tcp", "-i",
                                                                "rtsp://127.0.0.1:\(fields["RTSP_PORT"] ?? "")/ds-test",
                                                                "-vf", "select=gte(n\\,40),crop=640:240:0:240,scale=64:24,format=gray",
                                                                "-frames:v", "1", "-f", "rawvideo", gray],
                                            timeoutSeconds: 20 * Double(waitSlack))
            let pixels = [UInt8](FileManager.default.contents(atPath: gray) ?? Data())
            #expect(pixels.count == 64 * 24, "ffmpeg: \(grab.stderr)")
            let bright = { (columns: Range<Int>) in (0..<24).reduce(0) { n, row in n + columns.filter { pixels.count == 64 * 24 && pixels[row * 64 + $0] > 60 }.count } }
            #expect(bright(0..<32) > 50, "tile 2 is dark: \(bright(0..<32)) bright of 768")
            #expect(bright(32..<64) <= 8, "tile 3 (no source) is not black: \(bright(32..<64)) bright of 768")

            // Removed again: its tile leaves the mosaic, which plays on.
            let remove = try http.post("/api/v1/stream/remove", """
                {"key":"sensor","value":{"camera_id":"yard","camera_url":"","change":"camera_remove"}}
                """)
            #expect(remove.text.contains("STREAM_REMOVE_SUCCESS"), "\(remove.text)")
            #expect(app.waitForOutput(ms: 10_000) { $0.contains("new stream removed [2:yard]") })
            let mark = app.stdout.utf8.count
            let twoRunning = #/(?m)^Active sources : 2\n.*\n\*\*PERF:  \nlobby\[Lobby camera\] [1-9]\d*\.\d\d \(\d+\.\d\d\)\tdock\[Loading dock\] [1-9]\d*\.\d\d \(\d+\.\d\d\)\t$/#
            #expect(app.waitForOutput(ms: 10_000) { String(decoding: $0.utf8.dropFirst(mark), as: UTF8.self).firstMatch(of: twoRunning) != nil },
                    "the mosaic stalled after the removal: \(app.stdout.suffix(800))")

            // app/quit: EOS, exit 0, a whole file.
            let quit = try http.post("/api/v1/app/quit", #"{"stream":{"app_quit":1}}"#)
            #expect(quit.text.contains("QUIT_SUCCESS"))
            let status = app.waitForExit(seconds: 20 * Double(waitSlack))
            #expect(status == 0, "exit \(String(describing: status)): \(app.stdout.suffix(600))\n\(app.stderr.suffix(600))")
            #expect(app.stdout.contains("app/quit received: ending with EOS") && app.stdout.contains("App run successful"))
            #expect(!app.stdout.contains("ERROR from element"), "\(app.stdout)")
            let frames = try AppHarness.decodedFrames(out)
            #expect((frames ?? 0) > 30, "\(out): \(String(describing: frames)) frames")
            // Every GPU group named once; none of it was an error.
            for group in ["[primary-gie]: nvinfer needs an NVIDIA GPU", "[tracker]: nvtracker", "[secondary-gie0]: nvinfer",
                          "[sink0] type=2: no display"] {
                #expect(app.stderr.contains(group), "\(group) not in: \(app.stderr)")
            }
        }

        /// Files, not live, no loop: the app ends by itself at EOS, and the
        /// file sink's MKV holds exactly the clip's frames as one mosaic each.
        @Test func aFileSinkHoldsEveryMosaicFrameWhenTheSourcesEnd() throws {
            let clip1 = TestMedia.h264(pattern: "ball", frames: 45)
            let clip2 = TestMedia.h264(pattern: "smpte", frames: 45)
            let out = "\(AppHarness.work)/mosaic.mkv"
            let config = AppHarness.write("mosaic.txt", """
                [application]
                enable-perf-measurement=1
                perf-measurement-interval-sec=1
                [tiled-display]
                enable=1
                rows=1
                columns=2
                width=640
                height=240
                [source-list]
                list=\(clip1);\(clip2)
                use-nvmultiurisrcbin=1
                http-port=0
                [source-attr-all]
                enable=1
                [streammux]
                live-source=0
                width=1920
                height=1080
                [osd]
                enable=1
                [sink0]
                enable=1
                type=3
                container=2
                codec=1
                bitrate=800000
                output-file=\(out)

                """)
            let r = try AppHarness.run(["-c", config], timeout: 30)
            #expect(r.status == 0 && !r.timedOut, "exit \(r.status): \(r.stdout)\n\(r.stderr)")
            #expect(r.stdout.contains("Received EOS") && r.stdout.contains("App run successful"))
            #expect(try AppHarness.decodedFrames(out) == 45)
            let probe = try ChildProcess.run("/usr/bin/ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height",
                                                                  "-of", "compact", out], timeoutSeconds: 30)
            #expect(probe.stdout.contains("stream|codec_name=h264|width=640|height=240"), "\(probe.stdout)")
        }

        /// Ctrl-C and q + Enter end a looping live run with EOS: exit 0 and
        /// a file that decodes.
        @Test func ctrlCAndQEndWithEOSAndAPlayableFile() throws {
            let clip = TestMedia.h264(pattern: "ball", frames: 60)
            func config(_ name: String, out: String, port: UInt16) -> String {
                AppHarness.write(name, """
                    [source-list]
                    list=\(clip)
                    use-nvmultiurisrcbin=1
                    http-port=\(port)
                    [source-attr-all]
                    enable=1
                    [streammux]
                    live-source=1
                    width=320
                    height=240
                    [sink0]
                    enable=1
                    type=3
                    container=1
                    output-file=\(out)
                    [tests]
                    file-loop=1

                    """)
            }
            let outC = "\(AppHarness.work)/ctrl-c.mp4"
            let c = try AppHarness.run(["-c", config("ctrl-c.txt", out: outC, port: freeLocalPort())], timeout: 30, interruptAfter: 4)
            #expect(c.status == 0 && !c.timedOut, "exit \(c.status): \(c.stdout)\n\(c.stderr)")
            #expect(c.stdout.contains("Caught a quit signal: ending with EOS") && c.stdout.contains("App run successful"), "\(c.stdout)")
            #expect((try AppHarness.decodedFrames(outC) ?? 0) > 0)

            let outQ = "\(AppHarness.work)/q.mp4"
            let port = freeLocalPort()
            let app = try RunningApp(["-c", config("q.txt", out: outQ, port: port)])
            #expect(app.waitForOutput(ms: 15_000) { $0.contains("new stream added [0:") }, "\(app.stdout)\n\(app.stderr)")
            #expect(waitUntil(ms: 10_000) { ((try? HTTPClient(port: port).get("/api/v1/stream/get-stream-info"))?.text ?? "").contains("\"state\":\"playing\"") })
            app.type("q\n")
            let status = app.waitForExit(seconds: 20 * Double(waitSlack))
            #expect(status == 0, "exit \(String(describing: status)): \(app.stdout)\n\(app.stderr)")
            #expect((try AppHarness.decodedFrames(outQ) ?? 0) > 0)
        }

        /// The other codecs: H.265 over RTSP (read by ffprobe, which joins
        /// mid-stream) and MPEG-4 into MP4, decoded after app/quit.
        @Test func h265RtspAndMpeg4FileSinksPlay() throws {
            let clip = TestMedia.h264(pattern: "ball", frames: 60)
            let port = freeLocalPort(), rtspPort = freeLocalPort(), udpPort = freeLocalPort()
            let out = "\(AppHarness.work)/mpeg4.mp4"
            let config = AppHarness.write("codecs.txt", """
                [source-list]
                list=\(clip)
                use-nvmultiurisrcbin=1
                http-port=\(port)
                [source-attr-all]
                enable=1
                [streammux]
                live-source=1
                width=320
                height=240
                [sink0]
                enable=1
                type=4
                codec=2
                bitrate=500000
                rtsp-port=\(rtspPort)
                udp-port=\(udpPort)
                [sink1]
                enable=1
                type=3
                container=1
                codec=3
                output-file=\(out)
                [tests]
                file-loop=1

                """)
            let app = try RunningApp(["-c", config])
            #expect(app.waitForOutput(ms: 15_000) { $0.contains("new stream added [0:") }, "\(app.stdout)\n\(app.stderr)")
            let probe = try ChildProcess.run("/usr/bin/ffprobe", ["-v", "error", "-rtsp_transport", "tcp", "-show_entries",
                                                                  "stream=codec_name,width,height", "-of", "compact",
                                                                  "rtsp://127.0.0.1:\(rtspPort)/ds-test"],
                                             timeoutSeconds: 20 * Double(waitSlack))
            #expect(probe.stdout.contains("stream|codec_name=hevc|width=320|height=240"), "\(probe.stdout)\n\(probe.stderr)")
            let quit = try HTTPClient(port: port).post("/api/v1/app/quit", #"{"stream":{"app_quit":1}}"#)
            #expect(quit.text.contains("QUIT_SUCCESS"))
            let status = app.waitForExit(seconds: 20 * Double(waitSlack))
            #expect(status == 0, "exit \(String(describing: status)): \(app.stdout.suffix(600))\n\(app.stderr.suffix(600))")
            #expect((try AppHarness.decodedFrames(out) ?? 0) > 15, "\(out)")
        }

        /// What cannot be built says so and exits 4: a missing element of
        /// the user's, an RTSP port in use.
        @Test func buildErrorsNameTheirGroup() throws {
            let base = """
                [source-list]
                list=\(TestMedia.h264(pattern: "ball", frames: 30))
                use-nvmultiurisrcbin=1
                http-port=0
                [source-attr-all]
                enable=1

                """
            let element = try AppHarness.run(["-c", AppHarness.write("element.txt", base + "[primary-gie]\nenable=1\ngst-element=nosuchelement\n")])
            #expect(element.status == 4 && element.stderr.contains("[primary-gie] gst-element") && element.stderr.contains("nosuchelement"),
                    "exit \(element.status): \(element.stderr)")
            // A port held here, then given to the RTSP sink.
            let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(holder) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, "0.0.0.0", &addr.sin_addr)
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
                    bind(holder, p, len) == 0 && listen(holder, 1) == 0 && getsockname(holder, p, &len) == 0
                }
            }
            #expect(bound)
            let busy = UInt16(bigEndian: addr.sin_port)
            let rtsp = try AppHarness.run(["-c", AppHarness.write("busy.txt", base + "[sink0]\nenable=1\ntype=4\nrtsp-port=\(busy)\nudp-port=\(freeLocalPort())\n")])
            #expect(rtsp.status == 4 && rtsp.stderr.contains("[sink0] rtsp-port=\(busy): cannot listen"), "exit \(rtsp.status): \(rtsp.stderr)")
        }
    }
}
