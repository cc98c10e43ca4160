/// Typed, trap-free access to the members of a JSON object in a request body.
///
/// Every failure is a `ControlError.badRequest` whose field is the full path
/// from the body root ("stream.roi[1].left", "value.options.latency"), so the
/// reason tells the client exactly what to fix. Parse errors and control errors
/// share one typed error, which lets a route map either to its `_FAIL` reason.
///
/// Numbers are checked as Int64 (what jansson stores) against the target
/// range before any conversion: no overflow trap, no silent truncation.
struct FieldReader: Sendable {
    let object: JSONObject
    /// Path of this object from the body root; "" for the root itself.
    let path: String

    init(_ object: JSONObject, path: String = "") {
        self.object = object
        self.path = path
    }

    func fieldName(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// A member that is present and not null (clients often send null for
    /// "not set").
    func value(_ key: String) -> JSONValue? {
        guard let v = object[key] else { return nil }
        if case .null = v { return nil }
        return v
    }

    func contains(_ key: String) -> Bool { value(key) != nil }

    // MARK: strings

    func optionalString(_ key: String) throws(ControlError) -> String? {
        guard let v = value(key) else { return nil }
        guard case let .string(s) = v else { throw wrongType(key, "a string", v) }
        return s
    }

    func string(_ key: String) throws(ControlError) -> String {
        guard let s = try optionalString(key) else { throw missing(key) }
        return s
    }

    func nonEmptyString(_ key: String) throws(ControlError) -> String {
        let s = try string(key)
        guard !s.isEmpty else { throw ControlError.badRequest(field: fieldName(key), detail: "must not be empty") }
        return s
    }

    /// An identifier sent either as a string or as a non-negative integer
    /// (DeepStream documents "0"; clients also send 0). Absent gives nil.
    func optionalIdentifier(_ key: String) throws(ControlError) -> String? {
        guard let v = value(key) else { return nil }
        switch v {
        case let .string(s): return s
        case let .integer(i) where i >= 0: return String(i)
        case .integer: throw ControlError.badRequest(field: fieldName(key), detail: "must not be negative")
        default: throw wrongType(key, "a string or a non-negative integer", v)
        }
    }

    func identifier(_ key: String) throws(ControlError) -> String {
        guard let s = try optionalIdentifier(key) else { throw missing(key) }
        guard !s.isEmpty else { throw ControlError.badRequest(field: fieldName(key), detail: "must not be empty") }
        return s
    }

    // MARK: numbers

    func optionalInteger(_ key: String, in range: ClosedRange<Int64>) throws(ControlError) -> Int64? {
        guard let v = value(key) else { return nil }
        guard case let .integer(i) = v else { throw wrongType(key, "an integer", v) }
        guard range.contains(i) else {
            if i < 0 && range.lowerBound >= 0 {
                throw ControlError.badRequest(field: fieldName(key), detail: "must not be negative, got \(i)")
            }
            throw ControlError.badRequest(field: fieldName(key),
                                          detail: "must be between \(range.lowerBound) and \(range.upperBound), got \(i)")
        }
        return i
    }

    func optionalUInt32(_ key: String, in range: ClosedRange<UInt32> = 0...UInt32.max) throws(ControlError) -> UInt32? {
        let r = Int64(range.lowerBound)...Int64(range.upperBound)
        guard let i = try optionalInteger(key, in: r) else { return nil }
        // In range, therefore representable.
        return UInt32(truncatingIfNeeded: i)
    }

    func uint32(_ key: String, in range: ClosedRange<UInt32> = 0...UInt32.max) throws(ControlError) -> UInt32 {
        guard let v = try optionalUInt32(key, in: range) else { throw missing(key) }
        return v
    }

    func int32(_ key: String, in range: ClosedRange<Int32>) throws(ControlError) -> Int32 {
        let r = Int64(range.lowerBound)...Int64(range.upperBound)
        guard let i = try optionalInteger(key, in: r) else { throw missing(key) }
        return Int32(truncatingIfNeeded: i)
    }

    // MARK: booleans

    /// true/false, or 1/0 (DeepStream's parser converts integers, and its
    /// documentation shows both spellings).
    func optionalBool(_ key: String) throws(ControlError) -> Bool? {
        guard let v = value(key) else { return nil }
        switch v {
        case let .bool(b): return b
        case .integer(0): return false
        case .integer(1): return true
        default: throw wrongType(key, "true, false, 0 or 1", v)
        }
    }

    func bool(_ key: String) throws(ControlError) -> Bool {
        guard let b = try optionalBool(key) else { throw missing(key) }
        return b
    }

    // MARK: containers

    func optionalObject(_ key: String) throws(ControlError) -> FieldReader? {
        guard let v = value(key) else { return nil }
        guard case let .object(o) = v else { throw wrongType(key, "an object", v) }
        return FieldReader(o, path: fieldName(key))
    }

    func object(_ key: String) throws(ControlError) -> FieldReader {
        guard let o = try optionalObject(key) else { throw missing(key) }
        return o
    }

    func optionalArray(_ key: String) throws(ControlError) -> [JSONValue]? {
        guard let v = value(key) else { return nil }
        guard case let .array(a) = v else { throw wrongType(key, "an array", v) }
        return a
    }

    /// The objects of an array member, each with its indexed path ("roi[2]").
    func objects(inArray key: String) throws(ControlError) -> [FieldReader] {
        guard let items = try optionalArray(key) else { throw missing(key) }
        var readers: [FieldReader] = []
        for (i, item) in items.enumerated() {
            let name = "\(fieldName(key))[\(i)]"
            guard case let .object(o) = item else {
                throw ControlError.badRequest(field: name, detail: "expected an object, got \(item.kindName)")
            }
            readers.append(FieldReader(o, path: name))
        }
        return readers
    }

    /// Rejects members the route does not know (typos in per-stream options
    /// would otherwise be silently ignored).
    func rejectUnknownKeys(allowed: Set<String>) throws(ControlError) {
        for key in object.keys where !allowed.contains(key) {
            throw ControlError.badRequest(field: fieldName(key),
                                          detail: "unknown name; known: \(allowed.sorted().joined(separator: ", "))")
        }
    }

    // MARK: errors

    func missing(_ key: String) -> ControlError {
        .badRequest(field: fieldName(key), detail: "missing")
    }

    func wrongType(_ key: String, _ expected: String, _ got: JSONValue) -> ControlError {
        .badRequest(field: fieldName(key), detail: "expected \(expected), got \(got.kindName)")
    }
}
