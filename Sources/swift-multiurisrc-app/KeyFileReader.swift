/// Reads GLib key-file text (what DeepStream's g_key_file_load_from_file
/// reads) into a ConfigDocument. Written in Swift rather than through
/// GKeyFile because GKeyFile keeps no line numbers, and every error about a
/// value must name its line. The rules are GKeyFile's: leading blanks are
/// ignored, `#` starts a comment line, `[name]` opens a group, `key=value`
/// with blanks around `=` dropped, `key[locale]` entries are translations
/// (ignored here), escapes `\s \n \t \r \\` in values, a repeated key keeps
/// its last value, a repeated group continues the first one.
enum KeyFileReader {
    static func read(_ text: String, file: String) throws(ConfigError) -> ConfigDocument {
        var groups: [ConfigDocument.Group] = []
        var index: [String: Int] = [:]
        var current: Int?
        var lineNumber = 0
        // GKeyFile accepts \n and \r\n line ends.
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(raw)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if trimmed.hasPrefix("[") {
                let body = trimmed.dropFirst()
                guard let close = body.lastIndex(of: "]"),
                      body[body.index(after: close)...].allSatisfy({ $0 == " " || $0 == "\t" }) else {
                    throw ConfigError(file: file, line: lineNumber,
                                      message: "group header \"\(trimmed)\" has no closing ']'")
                }
                let name = String(body[..<close])
                guard !name.isEmpty, !name.contains("["), !name.contains("]") else {
                    throw ConfigError(file: file, line: lineNumber, message: "invalid group name \"\(name)\"")
                }
                if let existing = index[name] {
                    current = existing
                } else {
                    index[name] = groups.count
                    current = groups.count
                    groups.append(.init(name: name, line: lineNumber, entries: []))
                }
                continue
            }
            guard let eq = trimmed.firstIndex(of: "=") else {
                throw ConfigError(file: file, line: lineNumber,
                                  message: "line \"\(trimmed)\" is not a key=value pair, a [group] or a # comment")
            }
            let key = String(trimmed[..<eq]).trimmingBlanks()
            guard !key.isEmpty else {
                throw ConfigError(file: file, line: lineNumber, message: "a value without a key")
            }
            guard let groupIndex = current else {
                throw ConfigError(file: file, key: key, line: lineNumber,
                                  message: "key before the first [group]")
            }
            if key.hasSuffix("]") && key.contains("[") { continue }  // key[locale]: a translation
            let value = try unescape(String(trimmed[trimmed.index(after: eq)...]).trimmingBlanks(),
                                     file: file, group: groups[groupIndex].name, key: key, line: lineNumber)
            groups[groupIndex].entries.removeAll { $0.key == key }
            groups[groupIndex].entries.append(.init(key: key, value: value, line: lineNumber))
        }
        return ConfigDocument(file: file, format: .keyFile, groups: groups)
    }

    private static func unescape(_ s: String, file: String, group: String, key: String, line: Int) throws(ConfigError) -> String {
        guard s.contains("\\") else { return s }
        var out = ""
        var escaping = false
        for c in s {
            if escaping {
                switch c {
                case "s": out.append(" ")
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "\\": out.append("\\")
                // GKeyFile keeps "\;" and "\," for its list parser; so do we.
                case ";", ",": out.append("\\"); out.append(c)
                default:
                    throw ConfigError(file: file, group: group, key: key, line: line,
                                      message: "invalid escape \"\\\(c)\" in the value")
                }
                escaping = false
            } else if c == "\\" {
                escaping = true
            } else {
                out.append(c)
            }
        }
        if escaping {
            throw ConfigError(file: file, group: group, key: key, line: line, message: "the value ends with a lone \"\\\"")
        }
        return out
    }
}

extension String {
    func trimmingBlanks() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
