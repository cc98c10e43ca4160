import CJansson
import Glibc
import GstSwiftBridge

/// A JSON document as a Swift value.
///
/// Request bodies are parsed with jansson and copied into this tree at once,
/// so no `json_t` outlives the parse and nothing jansson-owned crosses threads
/// (jansson values are only safe to share read-only, and reference counting
/// them from Swift would be easy to get wrong). Responses are built as
/// `JSONValue` and serialized through jansson again.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// JSON integers as jansson reads them (`json_int_t`, 64-bit). Numbers
    /// beyond Int64 fail to parse rather than wrap.
    case integer(Int64)
    case real(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// What a client sent, for error texts ("expected an integer, got a string").
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer: "an integer"
        case .real: "a number with a fraction"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON object that keeps its members in the order they were written, so
/// responses read like the documentation and the "one root key" of control
/// bodies is well defined.
struct JSONObject: Sendable, Equatable {
    private(set) var keys: [String] = []
    private var values: [String: JSONValue] = [:]

    init() {}

    init(_ members: KeyValuePairs<String, JSONValue>) {
        for (k, v) in members { self[k] = v }
    }

    var count: Int { keys.count }
    var isEmpty: Bool { keys.isEmpty }

    subscript(key: String) -> JSONValue? {
        get { values[key] }
        set {
            if let newValue {
                if values.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if values.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// Members in insertion order.
    var members: [(key: String, value: JSONValue)] {
        keys.compactMap { k in values[k].map { (k, $0) } }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int64) { self = .integer(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// Why a body is not JSON the server can use. Always answered with 400.
struct JSONParseError: Error, Sendable, Equatable {
    var detail: String
}

enum JSONCodec {
    /// Deeper nesting than any route needs; the limit keeps the recursive
    /// conversion below small on civetweb's worker stacks.
    static let maxDepth = 32

    /// Parses a request body. jansson reads the bytes without needing a NUL
    /// terminator, rejects invalid UTF-8, and requires an object or an array
    /// at the top (no JSON_DECODE_ANY).
    static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        if bytes.isEmpty { throw JSONParseError(detail: "empty body, expected a JSON object") }
        var error = json_error_t()
        let root: UnsafeMutablePointer<json_t>? = bytes.withUnsafeBufferPointer { buf in
            buf.baseAddress.flatMap { base in
                base.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                    json_loadb($0, buf.count, 0, &error)
                }
            }
        }
        guard let root else {
            let text = withUnsafeBytes(of: &error.text) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            throw JSONParseError(detail: "malformed JSON at line \(error.line), column \(error.column): \(text)")
        }
        defer { gsb_json_decref(root) }
        return try convert(root, depth: 0)
    }

    private static func convert(_ json: UnsafeMutablePointer<json_t>, depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else {
            throw JSONParseError(detail: "nested deeper than \(maxDepth) levels")
        }
        switch json_type(rawValue: UInt32(truncatingIfNeeded: gsb_json_type(json))) {
        case JSON_OBJECT:
            var object = JSONObject()
            var iter = json_object_iter(json)
            while let it = iter {
                guard let keyPtr = json_object_iter_key(it), let child = json_object_iter_value(it) else { break }
                let keyLen = json_object_iter_key_len(it)
                let key = keyPtr.withMemoryRebound(to: UInt8.self, capacity: keyLen) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: keyLen), as: UTF8.self)
                }
                object[key] = try convert(child, depth: depth + 1)
                iter = json_object_iter_next(json, it)
            }
            return .object(object)
        case JSON_ARRAY:
            let n = json_array_size(json)
            var items: [JSONValue] = []
            items.reserveCapacity(n)
            for i in 0..<n {
                guard let child = json_array_get(json, i) else { continue }
                items.append(try convert(child, depth: depth + 1))
            }
            return .array(items)
        case JSON_STRING:
            let len = json_string_length(json)
            guard let p = json_string_value(json) else { return .string("") }
            return .string(p.withMemoryRebound(to: UInt8.self, capacity: len) {
                String(decoding: UnsafeBufferPointer(start: $0, count: len), as: UTF8.self)
            })
        case JSON_INTEGER:
            return .integer(Int64(json_integer_value(json)))
        case JSON_REAL:
            return .real(json_real_value(json))
        case JSON_TRUE:
            return .bool(true)
        case JSON_FALSE:
            return .bool(false)
        default:
            return .null
        }
    }

    /// Serializes a response. Keys keep their order; output is compact UTF-8.
    /// Returns nil only when jansson cannot allocate.
    static func serialize(_ value: JSONValue) -> [UInt8]? {
        guard let json = makeJansson(value) else { return nil }
        defer { gsb_json_decref(json) }
        // JSON_ENCODE_ANY lets a caller serialize a bare string or number;
        // responses are objects anyway.
        guard let text = json_dumps(json, Int(JSON_COMPACT) | Int(JSON_ENCODE_ANY)) else { return nil }
        defer { free(text) }
        let len = strlen(text)
        return text.withMemoryRebound(to: UInt8.self, capacity: len) {
            Array(UnsafeBufferPointer(start: $0, count: len))
        }
    }

    /// Builds a new jansson value (reference owned by the caller).
    private static func makeJansson(_ value: JSONValue) -> UnsafeMutablePointer<json_t>? {
        switch value {
        case .null:
            return json_null()
        case let .bool(b):
            return b ? json_true() : json_false()
        case let .integer(i):
            return json_integer(json_int_t(i))
        case let .real(d):
            // jansson refuses NaN and infinities; JSON has no spelling for them.
            return d.isFinite ? json_real(d) : json_null()
        case let .string(s):
            // json_stringn: Swift strings may hold NUL, which json_string would cut.
            return withCString(bytesOf: s) { json_stringn($0, $1) }
        case let .array(items):
            guard let arr = json_array() else { return nil }
            for item in items {
                guard let child = makeJansson(item) else { gsb_json_decref(arr); return nil }
                json_array_append_new(arr, child)   // steals child
            }
            return arr
        case let .object(object):
            guard let obj = json_object() else { return nil }
            for (key, item) in object.members {
                guard let child = makeJansson(item) else { gsb_json_decref(obj); return nil }
                // Steals child, also when it fails.
                _ = withCString(bytesOf: key) { json_object_setn_new(obj, $0, $1, child) }
            }
            return obj
        }
    }
}

/// Calls `body` with a pointer to the UTF-8 bytes of `s` (NUL-terminated,
/// so it is never a null pointer even for "") and their count without NUL.
private func withCString<R>(bytesOf s: String, _ body: (UnsafePointer<CChar>, Int) -> R) -> R {
    let bytes = Array(s.utf8) + [0]
    return bytes.withUnsafeBufferPointer { buf in
        buf.withMemoryRebound(to: CChar.self) { c in
            // A non-empty array always has a base address.
            guard let base = c.baseAddress else { return body("", 0) }
            return body(base, bytes.count - 1)
        }
    }
}
