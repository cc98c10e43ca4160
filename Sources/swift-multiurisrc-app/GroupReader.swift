/// Typed reads of one group's values, each failure a ConfigError naming
/// file, group, key and line. Remembers which keys were read so that the
/// rest can be reported as unknown, one warning each.
struct GroupReader {
    let file: String
    let group: ConfigDocument.Group
    private(set) var used: Set<String> = []

    init(file: String, group: ConfigDocument.Group) {
        self.file = file
        self.group = group
    }

    var name: String { group.name }

    func error(_ entry: ConfigDocument.Entry, _ message: String) -> ConfigError {
        ConfigError(file: file, group: group.name, key: entry.key, line: entry.line, message: message)
    }

    func warning(_ key: String?, _ message: String) -> ConfigWarning {
        let line = key.flatMap { group.entry($0)?.line } ?? group.line
        return ConfigWarning(file: file, group: group.name, key: key, line: line, message: message)
    }

    /// Keys that mean something only to DeepStream's GPU elements, or
    /// nothing without them: read and dropped without a warning.
    mutating func accept(_ keys: [String]) { used.formUnion(keys) }

    mutating func entry(_ key: String) -> ConfigDocument.Entry? {
        used.insert(key)
        return group.entry(key)
    }

    mutating func string(_ key: String) -> String? { entry(key)?.value }

    /// An integer as g_key_file_get_integer reads it: decimal, optional
    /// sign, nothing after it.
    mutating func int(_ key: String, in range: ClosedRange<Int>? = nil) throws(ConfigError) -> Int? {
        guard let e = entry(key) else { return nil }
        guard let v = Int(e.value) else {
            throw error(e, "\"\(e.value)\" is not an integer")
        }
        if let range, !range.contains(v) {
            throw error(e, "\(v) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    /// DeepStream writes flags as integers (0/1); GKeyFile's boolean words
    /// are accepted too.
    mutating func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let e = entry(key) else { return nil }
        switch e.value.lowercased() {
        case "1", "true": return true
        case "0", "false": return false
        default:
            guard let v = Int(e.value) else { throw error(e, "\"\(e.value)\" is not 0 or 1") }
            return v != 0
        }
    }

    /// A `;`-separated list; a trailing `;` (as DeepStream's samples write
    /// `text-color=1;1;1;1;`) adds no item. `\;` is a literal `;`.
    mutating func list(_ key: String) -> [String]? {
        guard let e = entry(key) else { return nil }
        return Self.splitList(e.value)
    }

    static func splitList(_ value: String) -> [String] {
        var items: [String] = []
        var current = ""
        var escaping = false
        for c in value {
            if escaping { current.append(c); escaping = false; continue }
            if c == "\\" { escaping = true; continue }
            if c == ";" { items.append(current.trimmingBlanks()); current = ""; continue }
            current.append(c)
        }
        if escaping { current.append("\\") }
        let last = current.trimmingBlanks()
        if !last.isEmpty || items.isEmpty && !value.isEmpty { items.append(last) }
        if items.count == 1 && items[0].isEmpty { return [] }
        return items
    }

    /// `r;g;b;a` with each in 0...1 (DeepStream's colour values).
    mutating func color(_ key: String) throws(ConfigError) -> RGBA? {
        guard let e = entry(key) else { return nil }
        let parts = Self.splitList(e.value)
        let values = parts.compactMap(Double.init)
        guard parts.count == 4, values.count == 4, values.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
            throw error(e, "\"\(e.value)\" is not a colour r;g;b;a with each value in 0..1")
        }
        return RGBA(r: values[0], g: values[1], b: values[2], a: values[3])
    }

    /// Entries of the group that no read asked for.
    var unread: [ConfigDocument.Entry] { group.entries.filter { !used.contains($0.key) } }
}

struct RGBA: Equatable, Sendable {
    var r, g, b, a: Double

    /// 0xAARRGGBB, as textoverlay's `color` takes it.
    var argb: UInt32 {
        func byte(_ v: Double) -> UInt32 { UInt32(max(0, min(255, (v * 255).rounded()))) }
        return byte(a) << 24 | byte(r) << 16 | byte(g) << 8 | byte(b)
    }
}
