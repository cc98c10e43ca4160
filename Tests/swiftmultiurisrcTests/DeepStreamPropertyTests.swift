import CGStreamer
import ChildProcess
import Foundation
import GstSwiftBridge
import Testing
@testable import swiftmultiurisrc

/// nvmultiurisrcbin 9.1's properties on swiftmultiurisrcbin (issue 10):
/// a C application's single g_object_set of all of them, gst-launch
/// parsing of the enums, the declared defaults, and what the ones that act
/// here set on rtspsrc. No pipeline plays.
@Suite struct DeepStreamPropertyTests {
    init() { TestGst.setUp() }

    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // swiftmultiurisrcTests
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()

    static let pluginFile = "libgstswiftmultiurisrc.so"

    /// Tests/c-api/test-ds91-properties.c, built with the system C compiler
    /// against GStreamer and run in a child process that loads the built
    /// plugin from GST_PLUGIN_PATH (a folder holding only the plugin) with a
    /// private registry. A missing compiler or plugin fails with the reason.
    @Test(.timeLimit(.minutes(3)))
    func cApplicationSetsEveryPropertyInOneCall() throws {
        let cc = try #require(findExecutable("cc"), "no `cc` on PATH: install a C compiler (gcc)")
        let pkgConfig = try #require(findExecutable("pkg-config"), "no `pkg-config` on PATH")
        let work = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftmultiurisrc-ds91-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let pluginDir = try #require(try pluginFolder(work: work),
                                     "\(Self.pluginFile) not found (SWIFT_MULTIURISRC_PLUGIN_DIR, SWIFT_MULTIURISRC_BIN_PATH, next to the test binary): run `swift build` first")

        let flags = try run(pkgConfig, ["--cflags", "--libs", "gstreamer-1.0"])
        try #require(flags.status == 0, "pkg-config: \(flags.output)")
        let program = work.appendingPathComponent("test-ds91-properties").path
        let source = Self.repoRoot.appendingPathComponent("Tests/c-api/test-ds91-properties.c").path
        var arguments = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-o", program, source]
        arguments += flags.output.split(whereSeparator: \.isWhitespace).map(String.init)
        let compile = try run(cc, arguments)
        try #require(compile.status == 0, "cc failed:\n\(compile.output)")

        // Only this plugin is scanned, into a registry of the child's own.
        let registry = work.appendingPathComponent("registry.bin").path
        let env = ["GST_PLUGIN_PATH": pluginDir, "GST_PLUGIN_PATH_1_0": pluginDir,
                   "GST_PLUGIN_SYSTEM_PATH_1_0": pluginDir, "GST_PLUGIN_SYSTEM_PATH": pluginDir,
                   "GST_REGISTRY": registry, "GST_REGISTRY_1_0": registry]
        let result = try run(program, [], environment: env)
        #expect(result.status == 0, "test-ds91-properties failed:\n\(result.output)")
        #expect(result.output.contains("all checks passed (73 properties)"), "\(result.output)")
    }

    /// Loading the plugin leaves a host's G_DEBUG=fatal-warnings fatal: Swift's
    /// backtracer, installed with the runtime, handled GLib's SIGTRAP and let
    /// the host carry on after the breakpoint. Without G_DEBUG the same
    /// program warns and carries on (the positive control).
    @Test(.timeLimit(.minutes(3)))
    func aHostsFatalWarningsStayFatal() throws {
        let cc = try #require(findExecutable("cc"), "no `cc` on PATH: install a C compiler (gcc)")
        let pkgConfig = try #require(findExecutable("pkg-config"), "no `pkg-config` on PATH")
        let work = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftmultiurisrc-fatal-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let pluginDir = try #require(try pluginFolder(work: work), "\(Self.pluginFile) not found: run `swift build` first")
        let flags = try run(pkgConfig, ["--cflags", "--libs", "gstreamer-1.0"])
        try #require(flags.status == 0, "pkg-config: \(flags.output)")
        let program = work.appendingPathComponent("test-fatal-warnings").path
        let source = Self.repoRoot.appendingPathComponent("Tests/c-api/test-fatal-warnings.c").path
        let compile = try run(cc, ["-std=c11", "-Wall", "-Wextra", "-Werror", "-o", program, source]
                                  + flags.output.split(whereSeparator: \.isWhitespace).map(String.init))
        try #require(compile.status == 0, "cc failed:\n\(compile.output)")
        let registry = work.appendingPathComponent("registry.bin").path
        var env = ["GST_PLUGIN_PATH": pluginDir, "GST_PLUGIN_PATH_1_0": pluginDir,
                   "GST_PLUGIN_SYSTEM_PATH_1_0": pluginDir, "GST_PLUGIN_SYSTEM_PATH": pluginDir,
                   "GST_REGISTRY": registry, "GST_REGISTRY_1_0": registry, "G_DEBUG": "", "SWIFT_BACKTRACE": ""]
        let warned = try run(program, [], environment: env)
        #expect(warned.status == 0 && warned.output.contains("carried on")
                && warned.output.contains("no-such-property"), "\(warned.output)")
        env["G_DEBUG"] = "fatal-warnings"
        let stopped = try run(program, [], environment: env)
        #expect(stopped.status == SIGTRAP && !stopped.output.contains("carried on"),
                "status \(stopped.status):\n\(stopped.output)")
    }

    /// GStreamer parses enum values by nick, name or number, so launch lines
    /// written when dec-skip-frames, select-rtp-protocol and cudadec-memtype
    /// were uints still work.
    @Test func launchLinesSetEnumsByNumberNickOrName() throws {
        let byNick = try parsedInts(
            "swiftmultiurisrcbin port=0 dec-skip-frames=decode_key select-rtp-protocol=rtp-tcp cudadec-memtype=memtype_unified "
                + "buffer-mode=slave leaky=downstream-leak smart-record=smart-rec-multi smart-rec-container=smart-rec-mkv "
                + "smart-rec-mode=smart-rec-mode-video nvbuf-memory-type=nvbuf-mem-cuda-unified compute-hw=GPU interpolation-method=Algo-3",
            ["dec-skip-frames", "select-rtp-protocol", "cudadec-memtype", "buffer-mode", "leaky", "smart-record",
             "smart-rec-container", "smart-rec-mode", "nvbuf-memory-type", "compute-hw", "interpolation-method"])
        #expect(byNick == [2, 4, 2, 1, 2, 2, 1, 1, 3, 1, 4])

        let byNumber = try parsedInts("swiftmultiurisrcbin port=0 dec-skip-frames=2 select-rtp-protocol=4 cudadec-memtype=1 "
                                          + "select-rtp-protocol=20 mode=0",
                                      ["dec-skip-frames", "select-rtp-protocol", "cudadec-memtype", "mode"])
        #expect(byNumber == [2, 20, 1, 0])

        let byName = try parsedInts(#"swiftmultiurisrcbin port=0 dec-skip-frames="Skip non-reference frames" select-rtp-protocol="Interleaved TCP""#,
                                    ["dec-skip-frames", "select-rtp-protocol"])
        #expect(byName == [1, 4])

        // The numbers reach the Swift settings the rest of the element reads.
        let element = try parse("swiftmultiurisrcbin port=0 dec-skip-frames=2 select-rtp-protocol=4 cudadec-memtype=2")
        defer { gst_object_unref(UnsafeMutableRawPointer(element)) }
        let bin = try #require(swiftImpl(ofInstance: UnsafeMutableRawPointer(element), as: MultiUriSrcBin.self))
        let s = bin.settings.withLock { $0 }
        #expect(s.decSkipFrames == 2 && s.selectRtpProtocol == 4 && s.cudadecMemtype == 2)
        #expect(s.resolved(SourceOptions()).rtpProtocol == 4)
    }

    /// A fresh element reads back every property's declared default (the
    /// string lists, whose NULL default reads back as "", aside), so
    /// Settings' initial values and the specs agree; and with those values
    /// nothing is passed to the muxer.
    @Test func freshElementReadsTheDeclaredDefaults() throws {
        let element = try #require(gst_element_factory_make("swiftmultiurisrcbin", nil))
        gst_object_ref_sink(UnsafeMutableRawPointer(element))
        defer { gst_object_unref(UnsafeMutableRawPointer(element)) }
        let readsEmptyForNull: Set<BinProperty> = [.uriList, .sensorIdList, .sensorNameList, .configFilePath, .restToken,
                                                   .corsOrigins, .allowedHosts, .fileRoot, .tlsCertificate]
        let klass = g_type_class_peek(gsb_object_type(UnsafeMutableRawPointer(element)))?
            .assumingMemoryBound(to: GObjectClass.self)
        for property in BinProperty.allCases where !readsEmptyForNull.contains(property) {
            let pspec = try #require(g_object_class_find_property(klass, property.name), "\(property.name)")
            var value = GValue()
            g_value_init(&value, pspec.pointee.value_type)
            g_object_get_property(cast(element, to: GObject.self), property.name, &value)
            #expect(g_param_value_defaults(pspec, &value) != 0,
                    "\(property.name) reads \(takeGString(g_strdup_value_contents(&value)) ?? "?")")
            g_value_unset(&value)
        }
        #expect(BinProperty.allCases.count == 88)
        #expect(BinProperty.allCases.allSatisfy { $0.muxerArgument(Settings()) == nil })
        #expect(Settings().selectRtpProtocol == 7)
    }

    /// select-rtp-protocol, udp-buffer-size, drop-on-latency and buffer-mode
    /// on a real rtspsrc, as source-setup sets them.
    @Test func rtspSettingsReachRtspsrc() throws {
        #expect(MultiUriSrcBin.rtspLowerTransports(0) == nil)
        #expect(MultiUriSrcBin.rtspLowerTransports(7) == nil)
        #expect(MultiUriSrcBin.rtspLowerTransports(1) == 0x1)
        #expect(MultiUriSrcBin.rtspLowerTransports(2) == 0x2)
        #expect(MultiUriSrcBin.rtspLowerTransports(4) == 0x4)
        #expect(MultiUriSrcBin.rtspLowerTransports(10) == 0x14)
        #expect(MultiUriSrcBin.rtspLowerTransports(20) == 0x24)

        let rtspsrc = try #require(gst_element_factory_make("rtspsrc", nil), "rtspsrc (gst-plugins-good) is missing")
        gst_object_ref_sink(UnsafeMutableRawPointer(rtspsrc))
        defer { gst_object_unref(UnsafeMutableRawPointer(rtspsrc)) }
        let raw = UnsafeMutableRawPointer(rtspsrc)
        let rtspsrcDefault = gsb_object_get_uint(raw, "protocols")
        var extras = DeepStreamExtras()
        extras.udpBufferSize = 1 << 20
        extras.dropOnLatency = true
        extras.bufferMode = 1
        var options = Settings().resolved(SourceOptions())
        MultiUriSrcBin.configureNetworkSource(rtspsrc, options: options, extras: extras)
        #expect(gsb_object_get_uint(raw, "protocols") == rtspsrcDefault, "rtp-udp-udpmcast-tcp keeps rtspsrc's choice")
        #expect(gsb_object_get_int(raw, "udp-buffer-size") == 1 << 20)
        #expect(gsb_object_get_bool(raw, "drop-on-latency") != 0)
        #expect(gsb_object_get_int(raw, "buffer-mode") == 1)
        #expect(gsb_object_get_uint(raw, "latency") == 100)

        options.rtpProtocol = 4
        MultiUriSrcBin.configureNetworkSource(rtspsrc, options: options, extras: extras)
        #expect(gsb_object_get_uint(raw, "protocols") == 0x4)
        // TLS the URI scheme asked for stays.
        gsb_object_set_uint(raw, "protocols", 0x4 | 0x20)
        options.rtpProtocol = 1
        MultiUriSrcBin.configureNetworkSource(rtspsrc, options: options, extras: extras)
        #expect(gsb_object_get_uint(raw, "protocols") == 0x1 | 0x20)
        // Values above rtspsrc's gint range are clamped, not lost.
        extras.udpBufferSize = UInt32.max
        MultiUriSrcBin.configureNetworkSource(rtspsrc, options: options, extras: extras)
        #expect(gsb_object_get_int(raw, "udp-buffer-size") == Int32.max)
    }

    /// A property that does nothing here warns once, and only for a value
    /// other than its default.
    @Test func propertiesWithoutEffectWarnOnceForNonDefaultValues() throws {
        let element = try parse("swiftmultiurisrcbin port=0 leaky=no-leak smart-rec-cache=20 latency=300")
        defer { gst_object_unref(UnsafeMutableRawPointer(element)) }
        let bin = try #require(swiftImpl(ofInstance: UnsafeMutableRawPointer(element), as: MultiUriSrcBin.self))
        #expect(bin.warnedProperties.withLock { $0 }.isEmpty)
        gsb_object_set_uint(UnsafeMutableRawPointer(element), "smart-rec-cache", 5)
        gsb_object_set_uint(UnsafeMutableRawPointer(element), "smart-rec-cache", 6)
        _ = gsb_object_set_from_string(UnsafeMutableRawPointer(element), "leaky", "upstream-leak")
        #expect(bin.warnedProperties.withLock { $0 } == [.smartRecCache, .leaky])
        // Their blurbs say so too.
        for property in BinProperty.allCases where property.limitation != nil {
            let blurb = property.spec.blurb
            #expect(blurb.contains("no effect without") || blurb.contains("not supported yet"), "\(property.name): \(blurb)")
        }
    }

    /// init-rtsp-reconnect-interval is the wait after an error, when set.
    @Test func reconnectWaitAfterAnError() {
        var s = Settings()
        s.rtspReconnectInterval = 10
        #expect(s.reconnectWait(afterError: true) == 10)
        s.deepStream.initRtspReconnectInterval = 3
        #expect(s.reconnectWait(afterError: true) == 3)
        #expect(s.reconnectWait(afterError: false) == 10)
    }

    // MARK: - Helpers

    private func parse(_ description: String) throws -> UnsafeMutablePointer<GstElement> {
        var error: UnsafeMutablePointer<GError>?
        let element = gst_parse_launch(description, &error)
        if let error {
            let text = String(cString: error.pointee.message)
            g_error_free(error)
            if let element { gst_object_unref(UnsafeMutableRawPointer(element)) }
            Issue.record("\(description): \(text)")
            throw ParseFailure()
        }
        let e = try #require(element)
        gst_object_ref_sink(UnsafeMutableRawPointer(e))
        return e
    }

    private struct ParseFailure: Error {}

    /// The element of a one-element launch line, and the named int/enum properties read back.
    private func parsedInts(_ description: String, _ names: [String]) throws -> [Int32] {
        let element = try parse(description)
        defer { gst_object_unref(UnsafeMutableRawPointer(element)) }
        #expect(gsb_object_type_name(UnsafeMutableRawPointer(element)).map { String(cString: $0) } == MultiUriSrcBin.typeName)
        return names.map { gsb_object_get_int(UnsafeMutableRawPointer(element), $0) }
    }

    /// The folder GST_PLUGIN_PATH of the child points at: run-tests.sh's
    /// SWIFT_MULTIURISRC_PLUGIN_DIR, or a folder in `work` with a link to the
    /// plugin in SWIFT_MULTIURISRC_BIN_PATH or next to the test binary (that
    /// folder also holds libswiftcustomevents.so, which GStreamer would
    /// blacklist).
    private func pluginFolder(work: URL) throws -> String? {
        let fm = FileManager.default
        let env = ProcessInfo.processInfo.environment
        if let dir = env["SWIFT_MULTIURISRC_PLUGIN_DIR"], fm.fileExists(atPath: "\(dir)/\(Self.pluginFile)") {
            return dir
        }
        var candidates: [URL] = env["SWIFT_MULTIURISRC_BIN_PATH"].map { [URL(fileURLWithPath: $0)] } ?? []
        var dir = ChildProcess.buildDirectory
        for _ in 0..<3 {
            candidates.append(dir)
            dir = dir.deletingLastPathComponent()
        }
        guard let found = candidates.first(where: { fm.fileExists(atPath: $0.appendingPathComponent(Self.pluginFile).path) }) else {
            return nil
        }
        let folder = work.appendingPathComponent("plugin")
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        try fm.createSymbolicLink(at: folder.appendingPathComponent(Self.pluginFile),
                                  withDestinationURL: found.appendingPathComponent(Self.pluginFile))
        return folder.path
    }

    private func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Bounded (ChildProcess): a compiler or program that hangs fails the test.
    private func run(_ executable: String, _ arguments: [String],
                     environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let result = try ChildProcess.run(executable, arguments, environment: environment, timeoutSeconds: 120)
        let output = result.stdout + result.stderr + (result.timedOut ? "\n(ended after 120 s)" : "")
        return (result.timedOut ? -1 : result.status, output)
    }
}

extension PropertySpec {
    var blurb: String {
        switch self {
        case let .string(_, _, blurb, _), let .uint(_, _, blurb, _, _, _), let .int(_, _, blurb, _, _, _),
             let .uint64(_, _, blurb, _, _, _), let .bool(_, _, blurb, _), let .enumeration(_, _, blurb, _, _):
            blurb
        }
    }
}
