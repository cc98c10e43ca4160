import Glibc
import GstSwiftBridge
import Synchronization

/// HTTPS for the REST server (property tls-certificate).
///
/// Debian 12's civetweb 1.15 loads OpenSSL itself, at run time, by
/// dlopen("libssl.so") and dlopen("libcrypto.so"), and asks the libssl
/// handle for OpenSSL 1.1's SSL_get_peer_certificate, which OpenSSL 3 no
/// longer exports: its TLS setup fails. The shim libswiftmultiurisrc-tls.so
/// (Sources/swiftmultiurisrc-tls, SONAME "libssl.so") defines that name and
/// needs libssl.so.3; loaded here by path before civetweb starts, it is what
/// glibc hands civetweb for "libssl.so". Everything is checked here, before
/// mg_start, so a missing piece or a bad certificate is a sentence naming it
/// rather than civetweb's log line.
enum RestTLS {
    static let shimFileName = "libswiftmultiurisrc-tls.so"
    /// A PEM certificate with its key is a few KiB; a bigger file is a wrong path.
    static let maxCertificateBytes = 1 << 20

    /// Where the shim may be, from the real path (symbolic links resolved)
    /// of the object holding this code: next to it (SwiftPM's bin folder
    /// holds the plugin, the test binaries and the shim), then meson-compat's
    /// private folder: <libdir>/swiftmultiurisrc beside the plugin's
    /// <libdir>/gstreamer-1.0. Neither GStreamer (it would blacklist a
    /// non-plugin .so in its plugin folder) nor ldconfig (it would point the
    /// system's libssl.so at the shim) looks in there.
    static func shimCandidates(objectPath: String) -> [String] {
        guard let slash = objectPath.lastIndex(of: "/") else { return [] }
        let dir = String(objectPath[..<slash])
        return ["\(dir)/\(shimFileName)", "\(dir)/../swiftmultiurisrc/\(shimFileName)"]
    }

    /// Loads what civetweb needs (once per process; a failure is tried again
    /// next time, e.g. after libssl-dev was installed) and checks the
    /// certificate file as civetweb will read it.
    static func prepare(certificate path: String) throws(RestServerError) {
        let shim = try loadedShim()
        try checkFile(path)
        var reason = [CChar](repeating: 0, count: 512)
        let ok = path.withCString { p in
            reason.withUnsafeMutableBufferPointer { shim.check(p, $0.baseAddress, $0.count) }
        }
        guard ok == 1 else {
            let text = reason.withUnsafeBufferPointer { buf in
                String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            throw .tlsCertificate(path: path, problem: text.isEmpty ? "OpenSSL refused it" : text)
        }
    }

    /// Is it a readable regular file of a plausible size? Said before
    /// OpenSSL reads it, whose words for these are less clear.
    static func checkFile(_ path: String) throws(RestServerError) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let code = errno
            throw .tlsCertificate(path: path, problem: code == ENOENT ? "no such file" : "cannot be read (\(errnoText(code)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw .tlsCertificate(path: path, problem: "not a regular file")
        }
        guard st.st_size > 0 else { throw .tlsCertificate(path: path, problem: "empty") }
        guard st.st_size <= maxCertificateBytes else {
            throw .tlsCertificate(path: path, problem: "\(st.st_size) bytes: larger than a PEM certificate and key (at most \(maxCertificateBytes))")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw .tlsCertificate(path: path, problem: "cannot be read (\(errnoText(errno)))")
        }
        close(fd)
    }

    // MARK: loading

    typealias CheckFunction = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int) -> Int32

    struct Shim: @unchecked Sendable {
        // dlopen handles are process-wide and never closed: sharing is safe.
        let handle: UnsafeMutableRawPointer
        let path: String
        let check: CheckFunction
    }

    private static let shim = Mutex<Shim?>(nil)

    /// The shim in use, loading it first if needed.
    static func loadedShim() throws(RestServerError) -> Shim {
        let result: Result<Shim, RestServerError> = shim.withLock { loaded in
            if let loaded { return .success(loaded) }
            do throws(RestServerError) {
                let made = try load()
                loaded = made
                return .success(made)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func load() throws(RestServerError) -> Shim {
        guard let raw = gsb_object_path(#dsohandle) else {
            throw .tlsUnavailable("cannot tell which file holds the plugin, so \(shimFileName) cannot be found")
        }
        let objectPath = realPath(String(cString: raw)) ?? String(cString: raw)
        let candidates = shimCandidates(objectPath: objectPath)
        guard let path = candidates.first(where: { access($0, F_OK) == 0 }) else {
            throw .tlsUnavailable("\(shimFileName) not found (looked for \(candidates.joined(separator: " and "))); "
                + "build it with swift build --product swiftmultiurisrc-tls, or install with meson-compat")
        }
        _ = dlerror()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw .tlsUnavailable("cannot load \(path): \(lastDlError()) (OpenSSL 3's libssl.so.3 is Debian's libssl3)")
        }
        // The whole point: civetweb's dlopen("libssl.so") must now be this
        // object. It is not when OpenSSL's own libssl was opened by that name
        // earlier in this process (glibc then remembers the name for it).
        let answer = dlopen("libssl.so", RTLD_NOW | RTLD_NOLOAD)
        if let answer { dlclose(answer) }
        guard answer == handle else {
            throw .tlsUnavailable("dlopen(\"libssl.so\") does not give \(path) but another library, "
                + "whose missing SSL_get_peer_certificate stops civetweb's TLS")
        }
        // civetweb's other half; only libssl-dev names it so. Kept open:
        // civetweb opens it again by the same name.
        guard dlopen("libcrypto.so", RTLD_NOW) != nil else {
            throw .tlsUnavailable("TLS needs libssl-dev's libcrypto.so, which civetweb loads: \(lastDlError())")
        }
        guard let symbol = dlsym(handle, "swiftmultiurisrc_tls_check_pem") else {
            throw .tlsUnavailable("\(path) has no swiftmultiurisrc_tls_check_pem: not this plugin's \(shimFileName)")
        }
        return Shim(handle: handle, path: path, check: unsafeBitCast(symbol, to: CheckFunction.self))
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func lastDlError() -> String {
        dlerror().map { String(cString: $0) } ?? "unknown error"
    }

    private static func errnoText(_ code: Int32) -> String {
        strerror(code).map { String(cString: $0) } ?? "errno \(code)"
    }
}
