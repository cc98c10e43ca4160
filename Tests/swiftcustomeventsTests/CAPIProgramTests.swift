import Foundation
import Testing
import ChildProcess

/// Compiles Tests/c-api/test-customevents.c against the C header and the
/// built libswiftcustomevents.so with the system C compiler, then runs it.
/// A missing compiler or library fails the test with the reason: a skipped
/// C API check would look like a passed one.
@Suite struct CAPIProgramTests {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // swiftcustomeventsTests
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()

    @Test(.timeLimit(.minutes(2)))
    func cProgramBuildsAndPasses() throws {
        let cc = try #require(findExecutable("cc"), "no `cc` on PATH: install a C compiler (gcc) to check the C API")
        let pkgConfig = try #require(findExecutable("pkg-config"), "no `pkg-config` on PATH")
        let libDir = try #require(findBuiltLibrary(),
                                  "libswiftcustomevents.so not found next to the test binary: run `swift build` first")

        let flags = try run(pkgConfig, ["--cflags", "--libs", "gstreamer-1.0"])
        #expect(flags.status == 0, "pkg-config: \(flags.output)")
        let work = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftcustomevents-capi-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let program = work.appendingPathComponent("test-customevents").path

        let source = Self.repoRoot.appendingPathComponent("Tests/c-api/test-customevents.c").path
        let include = Self.repoRoot.appendingPathComponent("Sources/swiftcustomevents/c-api").path
        var arguments = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-o", program, source, "-I", include]
        arguments += flags.output.split(whereSeparator: \.isWhitespace).map(String.init)
        arguments += ["-L", libDir, "-lswiftcustomevents", "-Wl,-rpath," + libDir]
        let compile = try run(cc, arguments)
        try #require(compile.status == 0, "cc failed:\n\(compile.output)")

        let result = try run(program, [])
        #expect(result.status == 0, "test-customevents failed:\n\(result.output)")
        #expect(result.output.contains("all checks passed"))
    }

    /// The folder holding libswiftcustomevents.so: SwiftPM puts products
    /// next to the test bundle (…/debug/swift-multiurisrcPackageTests.xctest).
    private func findBuiltLibrary() -> String? {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments.first ?? ""
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<3 {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("libswiftcustomevents.so").path) {
                return dir.path
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    private func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Bounded (ChildProcess): a compiler or a test program that hangs fails the test.
    private func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try ChildProcess.run(executable, arguments, timeoutSeconds: 180)
        let output = result.stdout + result.stderr + (result.timedOut ? "\n(ended after 180 s)" : "")
        return (result.timedOut ? -1 : result.status, output)
    }
}
