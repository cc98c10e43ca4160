import Glibc

/// What a client may ask the bin to open at run time (stream/add). The
/// application's own uri-list is not checked: it is trusted as the pipeline
/// description is.
///
/// Without it, anyone who reaches the REST port could make the element read
/// any file on the machine (devices that block for good among them), reach
/// cloud metadata services (server-side request forgery), or probe which
/// files exist from the answers.
struct SourcePolicy: Sendable, Equatable {
    /// Lower-case schemes accepted (allowed-uri-schemes).
    var allowedSchemes: [String]
    /// When not empty, file URIs must resolve to a regular file inside it (file-root).
    var fileRoot: String
    /// Link-local and metadata addresses allowed (allow-link-local).
    var allowLinkLocal: Bool

    /// Longest camera_url accepted: far above any real camera or file URI,
    /// small enough that max-batch-size of them stays small.
    static let maxUriBytes = 4096
    /// Longest camera_id and camera_name.
    static let maxNameBytes = 256

    init(allowedSchemes: [String], fileRoot: String, allowLinkLocal: Bool) {
        self.allowedSchemes = allowedSchemes
        self.fileRoot = fileRoot
        self.allowLinkLocal = allowLinkLocal
    }

    init(_ s: Settings) {
        self.init(allowedSchemes: s.allowedUriSchemes, fileRoot: s.fileRoot, allowLinkLocal: s.allowLinkLocal)
    }

    /// Checks one request; throws the error naming the field.
    func check(_ request: AddStreamRequest) throws(ControlError) {
        if request.cameraId.utf8.count > Self.maxNameBytes {
            throw .badRequest(field: "camera_id", detail: "longer than \(Self.maxNameBytes) bytes")
        }
        if request.cameraName.utf8.count > Self.maxNameBytes {
            throw .badRequest(field: "camera_name", detail: "longer than \(Self.maxNameBytes) bytes")
        }
        let uri = request.uri
        guard !uri.isEmpty else { throw .badRequest(field: "camera_url", detail: "must not be empty") }
        if uri.utf8.count > Self.maxUriBytes {
            throw .badRequest(field: "camera_url", detail: "longer than \(Self.maxUriBytes) bytes")
        }
        guard let scheme = Self.scheme(of: uri) else {
            throw .badRequest(field: "camera_url", detail: "not a URI with a scheme (e.g. rtsp://, file://)")
        }
        guard allowedSchemes.contains(scheme) else {
            throw .forbidden(field: "camera_url",
                             detail: "scheme '\(scheme)' is not allowed (allowed-uri-schemes: \(allowedSchemes.joined(separator: ",")))")
        }
        if scheme == "file" {
            try checkFile(uri)
        } else if !allowLinkLocal, let host = Self.host(of: uri), Self.isLinkLocalOrMetadata(host) {
            throw .forbidden(field: "camera_url",
                             detail: "host '\(host)' is a link-local or metadata address (allow-link-local)")
        }
    }

    /// file://: the path must be a regular file (not a device, FIFO or
    /// folder, whose reads may never return), inside file-root when set. Out
    /// of file-root, the answer is the same whether the file exists or not.
    private func checkFile(_ uri: String) throws(ControlError) {
        guard let path = Self.filePath(of: uri) else {
            throw .badRequest(field: "camera_url", detail: "not a file URI with an absolute path")
        }
        let root = fileRoot.isEmpty ? nil : Self.resolvedPath(fileRoot)
        if !fileRoot.isEmpty && root == nil {
            throw .forbidden(field: "camera_url", detail: "file-root '\(fileRoot)' does not exist: no file may be added")
        }
        guard let resolved = Self.resolvedPath(path) else {
            if root != nil {
                // Don't tell an outside file that exists from one that doesn't.
                if !Self.lexicallyInside(path, root: root ?? "") {
                    throw .forbidden(field: "camera_url", detail: "outside file-root")
                }
            }
            throw .badRequest(field: "camera_url", detail: "no such file")
        }
        if let root, !Self.lexicallyInside(resolved, root: root) {
            throw .forbidden(field: "camera_url", detail: "outside file-root")
        }
        var st = stat()
        guard stat(resolved, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw .forbidden(field: "camera_url", detail: "not a regular file")
        }
    }

    // MARK: URI parts (no Foundation in the plugin)

    /// The scheme, lower-cased (RFC 3986: a letter, then letters, digits,
    /// "+", "-" or "."), nil when there is none.
    static func scheme(of uri: String) -> String? {
        let scheme = uri.utf8.prefix { $0 != UInt8(ascii: ":") }
        guard scheme.count < uri.utf8.count, let first = scheme.first, isLetter(first),
              scheme.allSatisfy({ isLetter($0) || ($0 >= 48 && $0 <= 57) || $0 == 43 || $0 == 45 || $0 == 46 })
        else { return nil }
        return String(decoding: scheme, as: UTF8.self).lowercased()
    }

    private static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 97 && (b | 0x20) <= 122 }

    /// The host of `scheme://[userinfo@]host[:port]/...`, lower-cased,
    /// without brackets for IPv6. The user info ends at the last "@" before
    /// the path (passwords may hold "/" only %-encoded, but cameras' users
    /// type them raw: the last "@" of the whole authority-looking part wins).
    static func host(of uri: String) -> String? {
        guard let start = uri.firstRange(of: "://")?.upperBound else { return nil }
        let rest = uri[start...]
        let beforeQuery = rest.prefix { $0 != "?" && $0 != "#" }
        var authority = beforeQuery.prefix { $0 != "/" }
        if let at = beforeQuery.lastIndex(of: "@"), at >= authority.endIndex {
            // A raw "/" in the password: the authority runs to the last "@".
            authority = beforeQuery[beforeQuery.index(after: at)...].prefix { $0 != "/" }
        } else if let at = authority.lastIndex(of: "@") {
            authority = authority[authority.index(after: at)...]
        }
        var host: Substring
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
        } else {
            host = authority.prefix { $0 != ":" }
        }
        host = host.drop { $0 == " " }
        let text = String(host).lowercased()
        return text.isEmpty ? nil : (text.hasSuffix(".") ? String(text.dropLast()) : text)
    }

    /// 169.254.0.0/16 in any spelling inet_aton reads (decimal, hex, octal,
    /// short forms), fe80::/10, IPv4-mapped forms of those, and the names
    /// cloud providers give their metadata services.
    static func isLinkLocalOrMetadata(_ host: String) -> Bool {
        let names = ["metadata", "metadata.google.internal", "metadata.goog", "instance-data",
                     "instance-data.ec2.internal"]
        if names.contains(host) { return true }
        var v4 = in_addr()
        if inet_aton(host, &v4) != 0 {
            let a = UInt32(bigEndian: v4.s_addr)
            return a >> 16 == 0xA9FE   // 169.254/16
        }
        var v6 = in6_addr()
        let zoneless = String(host.prefix { $0 != "%" })
        if inet_pton(AF_INET6, zoneless, &v6) == 1 {
            let b = withUnsafeBytes(of: v6) { Array($0) }
            if b[0] == 0xFE && (b[1] & 0xC0) == 0x80 { return true }          // fe80::/10
            if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF {
                return b[12] == 169 && b[13] == 254                          // ::ffff:169.254.x.x
            }
            // fd00:ec2::254, the IPv6 metadata address of one provider.
            let ec2: [UInt8] = [0xFD, 0x00, 0x0E, 0xC2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54]
            return b == ec2
        }
        return false
    }

    /// The decoded absolute path of file:///path or file://localhost/path.
    static func filePath(of uri: String) -> String? {
        guard uri.lowercased().hasPrefix("file://") else { return nil }
        var rest = Substring(uri.dropFirst(7))
        if rest.lowercased().hasPrefix("localhost/") { rest = rest.dropFirst(9) }
        guard rest.first == "/" else { return nil }
        let raw = rest.prefix { $0 != "?" && $0 != "#" }
        guard let decoded = percentDecoded(String(raw)), !decoded.utf8.contains(0) else { return nil }
        return decoded
    }

    static func percentDecoded(_ s: String) -> String? {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.first {
            bytes = bytes.dropFirst()
            guard b == UInt8(ascii: "%") else { out.append(b); continue }
            guard bytes.count >= 2, let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            out.append(v)
            bytes = bytes.dropFirst(2)
        }
        return String(validating: out, as: UTF8.self)
    }

    /// realpath(3): symbolic links, "." and ".." resolved; nil when the
    /// path does not exist.
    static func resolvedPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// `path` is `root` or below it, compared after normalizing "." and
    /// "..", component by component (so /data2 is not inside /data).
    static func lexicallyInside(_ path: String, root: String) -> Bool {
        func components(_ p: String) -> [Substring] {
            var out: [Substring] = []
            for c in p.split(separator: "/") where c != "." {
                if c == ".." { _ = out.popLast() } else { out.append(c) }
            }
            return out
        }
        let r = components(root), p = components(path)
        return p.count >= r.count && Array(p.prefix(r.count)) == r
    }
}
