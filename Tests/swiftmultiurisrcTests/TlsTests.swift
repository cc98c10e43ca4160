import CGStreamer
import ChildProcess
import Foundation
import Glibc
import GstSwiftBridge
import Testing
@testable import swiftmultiurisrc

/// HTTPS (tls-certificate) on the server itself, with a fake control:
/// certificates made by openssl at test time, requests made by curl.
@Suite struct TlsServerTests {
    private func tlsServer(_ control: RecordingControl, certificate: String,
                           configure: (inout RestServerConfiguration) -> Void = { _ in }) throws -> RestServer {
        try makeTestServer(control) {
            $0.tlsCertificate = certificate
            configure(&$0)
        }
    }

    @Test func httpsAnswersAndPlainHttpGetsNothing() throws {
        let certs = try TestCertificates.get()
        let server = try tlsServer(RecordingControl(), certificate: certs.server)
        defer { server.stop() }
        let version = try Curl.https(port: server.boundPort, "/api/v1/version", cacert: certs.cert)
        let answer = try #require(version.response, "curl \(version.run.status): \(version.run.stderr)")
        expectAnswer(answer, 200, "GET_VERSION_SUCCESS")

        let info = try #require(try Curl.https(port: server.boundPort, "/api/v1/info", cacert: certs.cert).response)
        let facts = expectAnswer(info, 200, "GET_INFO_SUCCESS")
        guard case let .object(details)? = facts["info"], case let .object(serverFacts)? = details["server"] else {
            Issue.record("no info.server in \(info.text)"); return
        }
        #expect(serverFacts["tls"] == .bool(true), "\(info.text)")

        let plain = try plainHttpGetsNoAnswer(port: server.boundPort)
        #expect(plain.closedSilently, "\(plain.detail)")
        // The refusal is the port's, not a dead server's.
        #expect(try Curl.https(port: server.boundPort, "/api/v1/version", cacert: certs.cert).response?.status == 200)
    }

    /// The positive control of the one above: without a certificate the
    /// same requests are plain HTTP, and info says so.
    @Test func withoutACertificateThePortIsPlainHttp() throws {
        let server = try makeTestServer(RecordingControl())
        defer { server.stop() }
        let info = expectAnswer(try HTTPClient(port: server.boundPort).get("/api/v1/info"), 200, "GET_INFO_SUCCESS")
        guard case let .object(details)? = info["info"], case let .object(serverFacts)? = details["server"] else {
            Issue.record("no info.server"); return
        }
        #expect(serverFacts["tls"] == .bool(false))
        let certs = try TestCertificates.get()
        let overTls = try Curl.https(port: server.boundPort, "/api/v1/version", cacert: certs.cert)
        #expect(overTls.response == nil, "a plain port completed a TLS handshake")
    }

    /// A connection whose handshake fails never had a request: nothing is
    /// written to it, even when the worker's last request was one civetweb
    /// left to us (OPTIONS *, answered when its connection closes). One
    /// worker, so both connections are served by the same one.
    @Test func aFailedHandshakeGetsNoLeftoverAnswer() throws {
        let certs = try TestCertificates.get()
        let server = try tlsServer(RecordingControl(), certificate: certs.server) { $0.workerThreads = 1 }
        defer { server.stop() }
        let star = try Curl.https(port: server.boundPort, "", method: "OPTIONS", cacert: certs.cert,
                                  extra: ["--request-target", "*"])
        #expect(star.response?.status == 204, "OPTIONS *: curl \(star.run.status) \(star.run.stdout.prefix(300)) \(star.run.stderr)")
        let plain = try plainHttpGetsNoAnswer(port: server.boundPort)
        #expect(plain.closedSilently, "\(plain.detail)")
    }

    @Test func theBearerTokenIsAskedForOverTls() throws {
        let certs = try TestCertificates.get()
        let server = try tlsServer(RecordingControl(), certificate: certs.server) { $0.token = "s3cret" }
        defer { server.stop() }
        let without = try #require(try Curl.https(port: server.boundPort, "/api/v1/version", cacert: certs.cert).response)
        expectAnswer(without, 401, "REQUEST_FAIL")
        let wrong = try #require(try Curl.https(port: server.boundPort, "/api/v1/version",
                                                headers: [("Authorization", "Bearer nope")], cacert: certs.cert).response)
        expectAnswer(wrong, 401, "REQUEST_FAIL")
        let with = try #require(try Curl.https(port: server.boundPort, "/api/v1/version",
                                               headers: [("Authorization", "Bearer s3cret")], cacert: certs.cert).response)
        expectAnswer(with, 200, "GET_VERSION_SUCCESS")
    }

    /// Each bad file is refused before civetweb starts, with the file's
    /// path and what is wrong with it; the good file beside them starts.
    @Test func badCertificateFilesAreNamedBeforeTheStart() throws {
        let certs = try TestCertificates.get()
        let cases: [(String, String)] = [
            (certs.missing, "no such file"),
            (certs.dir, "not a regular file"),
            (certs.empty, "empty"),
            (certs.garbage, "no usable PEM certificate"),
            (certs.cert, "no usable PEM private key"),
            (certs.mismatched, "does not belong to its certificate"),
        ]
        for (path, problem) in cases {
            do {
                let server = try tlsServer(RecordingControl(), certificate: path)
                server.stop()
                Issue.record("\(path) started a server")
            } catch {
                guard case let .tlsCertificate(named, text) = error as? RestServerError else {
                    Issue.record("\(path): expected tlsCertificate, got \(error)"); continue
                }
                #expect(named == path)
                #expect(text.contains(problem), "\(path): \(text)")
                #expect("\(error)".contains(path), "\(error)")
            }
        }
        let good = try tlsServer(RecordingControl(), certificate: certs.server)
        good.stop()
    }

    /// The mechanism itself: civetweb's dlopen("libssl.so") gives the shim,
    /// which holds SSL_get_peer_certificate, while every other function
    /// comes from OpenSSL 3's libssl.so.3 behind it.
    @Test func civetwebsLibsslIsTheShimInFrontOfOpenSSL3() throws {
        let shim = try RestTLS.loadedShim()
        let handle = try #require(dlopen("libssl.so", RTLD_NOW | RTLD_NOLOAD), "libssl.so is not loaded")
        defer { dlclose(handle) }
        #expect(handle == shim.handle)
        func file(of symbol: String) -> String? {
            guard let address = dlsym(handle, symbol), let path = gsb_object_path(address),
                  let real = realpath(path, nil) else { return nil }
            defer { free(real) }
            return String(cString: real)
        }
        let shimFile = realpath(shim.path, nil).map { p in defer { free(p) }; return String(cString: p) }
        #expect(file(of: "SSL_get_peer_certificate") == shimFile)
        #expect(file(of: "SSL_new")?.hasSuffix("/libssl.so.3") == true, "\(file(of: "SSL_new") ?? "none")")
        #expect(shim.path.hasSuffix("/\(RestTLS.shimFileName)"))
    }

    @Test func theShimIsLookedForNextToThePluginThenInMesonsFolder() {
        let plugin = "/usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstswiftmultiurisrc.so"
        #expect(RestTLS.shimCandidates(objectPath: plugin) == [
            "/usr/lib/x86_64-linux-gnu/gstreamer-1.0/libswiftmultiurisrc-tls.so",
            "/usr/lib/x86_64-linux-gnu/gstreamer-1.0/../swiftmultiurisrc/libswiftmultiurisrc-tls.so",
        ])
        #expect(RestTLS.shimCandidates(objectPath: "no-folder").isEmpty)
    }
}

extension PipelineSuites {
    /// tls-certificate on the element in real pipelines.
    @Suite(.serialized) struct TlsPipelineTests {
        init() { TestGst.setUp() }

        @Test func aPipelineServesHttpsAndAddsStreamsOverIt() throws {
            let certs = try TestCertificates.get()
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            let port = freeLocalPort()
            let pipeline = TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) tls-certificate=\(certs.server) "
                + "strict-http-status=true live-source=true file-loop=true width=160 height=120 uri-list=\(uri) ! fakesink sync=false")
            #expect(pipeline.play() != GST_STATE_CHANGE_FAILURE)
            defer { pipeline.stop() }
            let bin = try #require(pipeline.bin())
            #expect(waitUntil(ms: 5_000) { bin.isReady })

            let info = try Curl.https(port: port, "/api/v1/stream/get-stream-info", cacert: certs.cert)
            let streams = try #require(info.response, "curl \(info.run.status): \(info.run.stderr)")
            expectAnswer(streams, 200, "GET_LIVE_STREAM_INFO_SUCCESS")

            let body = #"{"key":"sensor","value":{"camera_id":"over-tls","camera_name":"tls","camera_url":"\#(uri)","change":"camera_add"}}"#
            let add = try #require(try Curl.https(port: port, "/api/v1/stream/add", method: "POST", body: body, cacert: certs.cert).response)
            expectAnswer(add, 200, "STREAM_ADD_SUCCESS")
            #expect(bin.streams().contains { $0.cameraId == "over-tls" }, "\(bin.streams().map(\.cameraId))")

            let plain = try plainHttpGetsNoAnswer(port: port)
            #expect(plain.closedSilently, "\(plain.detail)")
            #expect(pipeline.errors.isEmpty)
        }

        @Test func theBearerTokenWorksOverHttps() throws {
            let certs = try TestCertificates.get()
            let port = freeLocalPort()
            let pipeline = TestPipeline("swiftmultiurisrcbin name=src ip-address=127.0.0.1 port=\(port) tls-certificate=\(certs.server) "
                + "rest-token=s3cret strict-http-status=true ! fakesink sync=false")
            #expect(pipeline.play() != GST_STATE_CHANGE_FAILURE)
            defer { pipeline.stop() }
            let without = try #require(try Curl.https(port: port, "/api/v1/stream/get-stream-info", cacert: certs.cert).response)
            expectAnswer(without, 401, "REQUEST_FAIL")
            let with = try #require(try Curl.https(port: port, "/api/v1/stream/get-stream-info",
                                                   headers: [("Authorization", "Bearer s3cret")], cacert: certs.cert).response)
            expectAnswer(with, 200, "GET_LIVE_STREAM_INFO_SUCCESS")
        }

        @Test(arguments: ["missing", "garbage"])
        func aBadCertificateFailsTheStateChangeNamingTheFile(_ which: String) throws {
            let certs = try TestCertificates.get()
            let path = which == "missing" ? certs.missing : certs.garbage
            let pipeline = TestPipeline("swiftmultiurisrcbin ip-address=127.0.0.1 port=\(freeLocalPort()) tls-certificate=\(path) ! fakesink")
            #expect(pipeline.play() == GST_STATE_CHANGE_FAILURE)
            let error = pipeline.waitFor([GST_MESSAGE_ERROR], timeoutMs: slack(2_000))
            let text = error?.text ?? "no error"
            #expect(text.contains(path), "\(text)")
            #expect(text.contains("tls-certificate"), "\(text)")
            #expect(text.contains(which == "missing" ? "no such file" : "no usable PEM certificate"), "\(text)")
            pipeline.stop()
        }

        /// gst-launch-1.0 with the plugin reached through a symbolic link (as
        /// run-tests.sh's plugin folder has it), so the shim is found from the
        /// plugin's real path; TLS 1.2 and 1.3 are served. OpenSSL is configured to allow TLS 1.0 (security
        /// level 0) in both the server and curl: the refusal of TLS 1.0 and
        /// 1.1 is then the element's ssl_protocol_version, not the system's
        /// OpenSSL defaults, and curl reports the server's protocol_version alert.
        @Test(.timeLimit(.minutes(4)))
        func gstLaunchServesTls12And13AndRefusesOlder() throws {
            let certs = try TestCertificates.get()
            let uri = TestMedia.h264(pattern: "ball", frames: 30)
            let work = "\(certs.dir)/gst-launch-\(UInt32.random(in: 0...UInt32.max))"
            let pluginDir = try pluginFolderWithLink(in: work)
            let conf = "\(work)/openssl-tls1.cnf"
            try """
                openssl_conf = init
                [init]
                ssl_conf = ssl
                [ssl]
                system_default = system
                [system]
                MinProtocol = TLSv1
                CipherString = DEFAULT@SECLEVEL=0

                """.write(toFile: conf, atomically: true, encoding: .utf8)
            let port = freeLocalPort()
            let launch = try FileOutputProcess("/usr/bin/gst-launch-1.0", [
                "swiftmultiurisrcbin", "ip-address=127.0.0.1", "port=\(port)", "tls-certificate=\(certs.server)",
                "uri-list=\(uri)", "live-source=true", "file-loop=true", "width=160", "height=120", "!", "fakesink",
            ], environment: ["GST_PLUGIN_PATH": pluginDir, "GST_REGISTRY": "\(work)/registry.bin",
                             "GST_DEBUG": "swiftrest:4", "GST_DEBUG_NO_COLOR": "1", "OPENSSL_CONF": conf])
            var ended: FileOutputProcess.Output?
            defer { if ended == nil { _ = launch.finish(within: 0) } }
            func logText() -> String { (try? String(contentsOfFile: launch.stderrPath, encoding: .utf8)) ?? "" }
            let curlEnv = ["OPENSSL_CONF": conf]

            // Bounded: the child's first registry scan may take a while on a loaded machine.
            let listening = waitUntil(ms: 15_000) {
                !launch.isRunning || (try? HTTPConnection(port: port, timeoutMs: 500)) != nil
            }
            try #require(listening && launch.isRunning, "gst-launch-1.0 is not listening: \(logText().suffix(1500))")
            let tls12 = try Curl.https(port: port, "/api/v1/version", cacert: certs.cert,
                                       extra: ["--tlsv1.2", "--tls-max", "1.2"], environment: curlEnv)
            let answer = try #require(tls12.response, "no TLS 1.2 answer: \(tls12.run.stderr) \(logText().suffix(1500))")
            expectAnswer(answer, 200, "GET_VERSION_SUCCESS")
            let tls13 = try Curl.https(port: port, "/api/v1/version", cacert: certs.cert, extra: ["--tlsv1.3"], environment: curlEnv)
            #expect(tls13.response?.status == 200, "TLS 1.3: curl \(tls13.run.status) \(tls13.run.stderr)")
            #expect(logText().contains("REST server listening on https://127.0.0.1:\(port)/api/v1/"), "\(logText().suffix(1500))")

            for version in ["1.1", "1.0"] {
                let old = try Curl.https(port: port, "/api/v1/version", cacert: certs.cert,
                                         extra: ["--tlsv1.0", "--tls-max", version, "--ciphers", "DEFAULT@SECLEVEL=0"],
                                         environment: curlEnv)
                #expect(old.response == nil, "TLS \(version) was served")
                #expect(old.run.status == 35, "TLS \(version): curl \(old.run.status) \(old.run.stderr)")
                #expect(old.run.stderr.contains("alert protocol version"), "TLS \(version): \(old.run.stderr)")
            }

            let plain = try FileOutputProcess.run("/usr/bin/curl", ["-sS", "--max-time", "20", "http://127.0.0.1:\(port)/api/v1/version"])
            #expect(plain.status == 52, "plain HTTP: curl \(plain.status) \(plain.stdout.prefix(200)) \(plain.stderr)")

            let quit = try Curl.https(port: port, "/api/v1/app/quit", method: "POST", body: #"{"stream":{"app_quit":1}}"#,
                                      cacert: certs.cert, environment: curlEnv)
            #expect(quit.response?.status == 200, "\(quit.run.stdout) \(quit.run.stderr)")
            let end = launch.finish(within: Double(slack(10_000)) / 1000)
            ended = end
            #expect(!end.timedOut, "gst-launch-1.0 did not end after app/quit")
            #expect(end.status == 0, "status \(end.status): \(end.stderr.suffix(1500))")
        }

        /// A copy of the plugin without the shim beside it: the start fails
        /// saying what is missing, instead of serving plain HTTP. With the
        /// shim copied next to it, the same copy gets past the shim and
        /// stops at the bad certificate it is given.
        @Test(.timeLimit(.minutes(3)))
        func aPluginWithoutTheShimSaysWhatIsMissing() throws {
            let certs = try TestCertificates.get()
            let work = "\(certs.dir)/copied-\(UInt32.random(in: 0...UInt32.max))"
            let fm = FileManager.default
            let built = try builtFolder()
            let dir = "\(work)/plugin"
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try fm.copyItem(atPath: "\(built)/\(Self.pluginFile)", toPath: "\(dir)/\(Self.pluginFile)")
            func launch(_ certificate: String) throws -> FileOutputProcess.Output {
                try FileOutputProcess.run("/usr/bin/gst-launch-1.0", [
                    "swiftmultiurisrcbin", "ip-address=127.0.0.1", "port=\(freeLocalPort())", "tls-certificate=\(certificate)",
                    "!", "fakesink",
                ], environment: ["GST_PLUGIN_PATH": dir, "GST_REGISTRY": "\(work)/registry.bin"], timeoutSeconds: 90)
            }
            let bare = try launch(certs.server)
            #expect(!bare.timedOut && bare.status != 0, "status \(bare.status): \(bare.stdout.suffix(600))")
            #expect((bare.stdout + bare.stderr).contains("HTTPS is unavailable: \(RestTLS.shimFileName) not found"),
                    "\(bare.stdout.suffix(800)) \(bare.stderr.suffix(400))")

            try fm.copyItem(atPath: "\(built)/\(RestTLS.shimFileName)", toPath: "\(dir)/\(RestTLS.shimFileName)")
            let withShim = try launch(certs.garbage)
            #expect(!withShim.timedOut && withShim.status != 0, "status \(withShim.status): \(withShim.stdout.suffix(600))")
            #expect((withShim.stdout + withShim.stderr).contains("certificate file \"\(certs.garbage)\": no usable PEM certificate"),
                    "\(withShim.stdout.suffix(800)) \(withShim.stderr.suffix(400))")
        }

        static let pluginFile = "libgstswiftmultiurisrc.so"

        /// SwiftPM's bin folder: the plugin and the shim as built.
        private func builtFolder() throws -> String {
            var candidates = ProcessInfo.processInfo.environment["SWIFT_MULTIURISRC_BIN_PATH"].map { [$0] } ?? []
            candidates.append(ChildProcess.buildDirectory.path)
            return try #require(candidates.first { FileManager.default.fileExists(atPath: "\($0)/\(Self.pluginFile)") },
                                "\(Self.pluginFile) not found in \(candidates): run `swift build` first")
        }

        /// A folder holding only a symbolic link to the built plugin.
        private func pluginFolderWithLink(in work: String) throws -> String {
            let fm = FileManager.default
            let found = try builtFolder()
            let dir = "\(work)/plugin"
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: "\(dir)/\(Self.pluginFile)", withDestinationPath: "\(found)/\(Self.pluginFile)")
            return dir
        }
    }
}
