import CYaml

/// Reads DeepStream's YAML application configs (9.1 ships every sample
/// in both forms) into the same ConfigDocument the key-file reader makes:
/// a top-level mapping of groups, each a mapping of key to scalar. A
/// sequence of scalars becomes the `;`-joined string the key-file form
/// writes (`list: [a, b]` = `list=a;b`). Deeper nesting has no key-file
/// equivalent: one warning, skipped. libyaml's event API keeps a line for
/// every node, which is what the errors need.
enum YamlReader {
    static func read(_ text: String, file: String) throws(ConfigError) -> ConfigDocument {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { bytes = [0x0A] }  // libyaml wants some input; an empty file is an empty document
        let result: Result<ConfigDocument, ConfigError> = bytes.withUnsafeBufferPointer { buffer in
            // On the heap, never copied: libyaml's state stays where it was made.
            let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
            defer { parser.deallocate() }
            guard yaml_parser_initialize(parser) != 0 else {
                return .failure(ConfigError(file: file, message: "libyaml could not start a parser"))
            }
            defer { yaml_parser_delete(parser) }
            guard let base = buffer.baseAddress else {
                return .failure(ConfigError(file: file, message: "empty input"))
            }
            yaml_parser_set_input_string(parser, base, buffer.count)
            var events = EventStream(parser: parser, file: file)
            do throws(ConfigError) {
                return .success(try parseDocument(&events))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// One libyaml event, copied out of libyaml's memory.
    struct Event {
        var type: yaml_event_type_t
        var scalar: String
        var line: Int
    }

    struct EventStream {
        let parser: UnsafeMutablePointer<yaml_parser_t>
        let file: String

        mutating func next() throws(ConfigError) -> Event {
            var event = yaml_event_t()
            guard yaml_parser_parse(parser, &event) != 0 else {
                let problem = parser.pointee.problem.map { String(cString: $0) } ?? "unknown YAML error"
                let context = parser.pointee.context.map { " " + String(cString: $0) } ?? ""
                throw ConfigError(file: file, line: Int(clamping: parser.pointee.problem_mark.line) + 1,
                                  message: "YAML syntax: \(problem)\(context)")
            }
            defer { yaml_event_delete(&event) }
            var scalar = ""
            if event.type == YAML_SCALAR_EVENT, let value = event.data.scalar.value {
                scalar = String(decoding: UnsafeBufferPointer(start: value, count: Int(clamping: event.data.scalar.length)),
                                as: UTF8.self)
            }
            return Event(type: event.type, scalar: scalar, line: Int(clamping: event.start_mark.line) + 1)
        }

        /// Consumes the rest of a node whose start event was `first`.
        mutating func skip(_ first: Event) throws(ConfigError) {
            guard first.type == YAML_MAPPING_START_EVENT || first.type == YAML_SEQUENCE_START_EVENT else { return }
            var depth = 1
            while depth > 0 {
                let e = try next()
                if e.type == YAML_MAPPING_START_EVENT || e.type == YAML_SEQUENCE_START_EVENT { depth += 1 }
                if e.type == YAML_MAPPING_END_EVENT || e.type == YAML_SEQUENCE_END_EVENT { depth -= 1 }
                if e.type == YAML_STREAM_END_EVENT { return }
            }
        }
    }

    private static func parseDocument(_ s: inout EventStream) throws(ConfigError) -> ConfigDocument {
        var doc = ConfigDocument(file: s.file, format: .yaml, groups: [])
        var e = try s.next()
        if e.type == YAML_STREAM_START_EVENT { e = try s.next() }
        if e.type == YAML_STREAM_END_EVENT { return doc }
        guard e.type == YAML_DOCUMENT_START_EVENT else {
            throw ConfigError(file: s.file, line: e.line, message: "YAML: expected a document")
        }
        let top = try s.next()
        if top.type == YAML_SCALAR_EVENT && top.scalar.isEmpty { return doc }  // "---" alone
        guard top.type == YAML_MAPPING_START_EVENT else {
            throw ConfigError(file: s.file, line: top.line,
                              message: "YAML: the top level must be a mapping of groups (group: {key: value})")
        }
        var index: [String: Int] = [:]
        while true {
            let keyEvent = try s.next()
            if keyEvent.type == YAML_MAPPING_END_EVENT { break }
            guard keyEvent.type == YAML_SCALAR_EVENT else {
                throw ConfigError(file: s.file, line: keyEvent.line, message: "YAML: a group name must be a plain scalar")
            }
            let name = keyEvent.scalar
            let value = try s.next()
            guard value.type == YAML_MAPPING_START_EVENT else {
                // "group:" with nothing under it is an empty group; a scalar or
                // list here has no key-file meaning.
                if value.type == YAML_SCALAR_EVENT && value.scalar.isEmpty {
                    if index[name] == nil {
                        index[name] = doc.groups.count
                        doc.groups.append(.init(name: name, line: keyEvent.line, entries: []))
                    }
                } else {
                    doc.warnings.append(ConfigWarning(file: s.file, group: name, line: keyEvent.line,
                                                      message: "not a group of key: value pairs; ignored"))
                    try s.skip(value)
                }
                continue
            }
            let groupIndex: Int
            if let existing = index[name] {
                groupIndex = existing
            } else {
                groupIndex = doc.groups.count
                index[name] = groupIndex
                doc.groups.append(.init(name: name, line: keyEvent.line, entries: []))
            }
            while true {
                let k = try s.next()
                if k.type == YAML_MAPPING_END_EVENT { break }
                guard k.type == YAML_SCALAR_EVENT else {
                    throw ConfigError(file: s.file, group: name, line: k.line, message: "YAML: a key must be a plain scalar")
                }
                let v = try s.next()
                var text: String
                switch v.type {
                case YAML_SCALAR_EVENT:
                    text = v.scalar
                case YAML_SEQUENCE_START_EVENT:
                    var items: [String] = []
                    while true {
                        let item = try s.next()
                        if item.type == YAML_SEQUENCE_END_EVENT { break }
                        guard item.type == YAML_SCALAR_EVENT else {
                            throw ConfigError(file: s.file, group: name, key: k.scalar, line: item.line,
                                              message: "YAML: a list may hold plain values only")
                        }
                        items.append(item.scalar)
                    }
                    text = items.joined(separator: ";")
                default:
                    doc.warnings.append(ConfigWarning(file: s.file, group: name, key: k.scalar, line: k.line,
                                                      message: "nested value has no meaning in an application config; ignored"))
                    try s.skip(v)
                    continue
                }
                if text == "~" || text == "null" { text = "" }
                doc.groups[groupIndex].entries.removeAll { $0.key == k.scalar }
                doc.groups[groupIndex].entries.append(.init(key: k.scalar, value: text, line: k.line))
            }
        }
        return doc
    }
}
