/// A config file as read, before any meaning is given to it: groups of
/// key/value strings, each with the line it came from, so that every later
/// error can name file, group, key and line. Both readers (key-file, YAML)
/// produce this, and the model (AppConfig) is parsed from it only, which is
/// what makes the two formats give the same pipeline.
struct ConfigDocument: Equatable, Sendable {
    enum Format: String, Sendable { case keyFile = "key-file", yaml = "YAML" }

    struct Entry: Equatable, Sendable {
        var key: String
        var value: String
        /// 1-based line of the key in the file.
        var line: Int
    }

    struct Group: Equatable, Sendable {
        var name: String
        /// 1-based line of the group header.
        var line: Int
        /// In file order; a repeated key keeps its last value (as GKeyFile does).
        var entries: [Entry]

        func entry(_ key: String) -> Entry? { entries.last { $0.key == key } }
    }

    var file: String
    var format: Format
    /// In file order; a repeated group is merged into its first occurrence.
    var groups: [Group]
    /// Reader-level remarks (e.g. YAML nesting that has no key-file meaning).
    var warnings: [ConfigWarning] = []

    func group(_ name: String) -> Group? { groups.first { $0.name == name } }

    /// Format by file name: .yml/.yaml are YAML, anything else key-file
    /// (DeepStream's own rule for its application configs).
    static func format(ofPath path: String) -> Format {
        let lower = path.lowercased()
        return lower.hasSuffix(".yml") || lower.hasSuffix(".yaml") ? .yaml : .keyFile
    }
}

/// What is wrong with a config file, with as much of file, group, key and
/// line as is known. The app prints `description` and exits non-zero.
struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    var file: String
    var group: String?
    var key: String?
    var line: Int?
    var message: String

    var description: String {
        var place = file
        if let line { place += ":\(line)" }
        var what = ""
        if let group { what += "[\(group)]" }
        if let key { what += what.isEmpty ? key : " \(key)" }
        return what.isEmpty ? "\(place): \(message)" : "\(place): \(what): \(message)"
    }
}

/// A remark about the config that does not stop the app (unknown group or
/// key, GPU-only group replaced, sink type skipped). One per cause.
struct ConfigWarning: Equatable, Sendable, CustomStringConvertible {
    var file: String
    var group: String?
    var key: String?
    var line: Int?
    var message: String

    var description: String {
        ConfigError(file: file, group: group, key: key, line: line, message: message).description
    }
}
