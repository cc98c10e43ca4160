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
///
/// Members live in an array: answers have a handful of keys, and building a
/// hash table for each cost more than the whole route. Past
/// `indexThreshold` members (only request bodies get there) a key index
/// keeps look-ups and replacements from going quadratic.
struct JSONObject: Sendable, Equatable {
    private var pairs: [(key: String, value: JSONValue)] = []
    /// Key → position in `pairs`; nil while the object is small.
    private var index: [String: Int]?
    static let indexThreshold = 16

    init() {}

    /// `reserving` leaves room for that many more members.
    init(_ members: KeyValuePairs<String, JSONValue>, reserving extra: Int = 0) {
        pairs.reserveCapacity(members.count + extra)
        for (k, v) in members { self[k] = v }
    }

    var count: Int { pairs.count }
    var isEmpty: Bool { pairs.isEmpty }
    var keys: [String] { pairs.map(\.key) }

    private func position(of key: String) -> Int? {
        if let index { return index[key] }
        return pairs.firstIndex { $0.key == key }
    }

    subscript(key: String) -> JSONValue? {
        get { position(of: key).map { pairs[$0].value } }
        set {
            if let newValue {
                if let i = position(of: key) {
                    pairs[i].value = newValue
                } else {
                    pairs.append((key, newValue))
                    if index != nil {
                        index?[key] = pairs.count - 1
                    } else if pairs.count > Self.indexThreshold {
                        index = Dictionary(pairs.enumerated().map { ($1.key, $0) }, uniquingKeysWith: { a, _ in a })
                    }
                }
            } else if let i = position(of: key) {
                pairs.remove(at: i)
                if index != nil {
                    index = Dictionary(pairs.enumerated().map { ($1.key, $0) }, uniquingKeysWith: { a, _ in a })
                }
            }
        }
    }

    /// Members in insertion order.
    var members: [(key: String, value: JSONValue)] { pairs }

    static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.pairs.count == b.pairs.count && zip(a.pairs, b.pairs).allSatisfy { $0.key == $1.key && $0.value == $1.value }
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

    /// Parses a request body as DeepStream's parser (jsoncpp with its default
    /// settings) reads it: `//` and `/* */` comments, trailing commas, a
    /// UTF-8 byte order mark and bytes after the first complete value are
    /// accepted (see `lenient`), duplicate keys keep the last value
    /// (jansson's default). jansson reads the bytes without needing a NUL
    /// terminator, rejects invalid UTF-8, single quotes and NaN, and requires
    /// an object or an array at the top (no JSON_DECODE_ANY).
    static func parse(_ raw: [UInt8]) throws(JSONParseError) -> JSONValue {
        let bytes = lenient(raw)
        if bytes.allSatisfy(isBlank) { throw JSONParseError(detail: "empty body, expected a JSON object") }
        // jansson parses recursively: a 1 KB body of "[" overflows the
        // 100 KB stack of a civetweb worker before `convert` could count
        // levels. This scan bounds jansson's recursion to maxDepth + 1.
        if nestsDeeper(than: maxDepth + 1, bytes) {
            throw JSONParseError(detail: "nested deeper than \(maxDepth) levels")
        }
        var error = json_error_t()
        let root: UnsafeMutablePointer<json_t>? = bytes.withUnsafeBufferPointer { buf in
            buf.baseAddress.flatMap { base in
                base.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                    json_loadb($0, buf.count, Int(JSON_DISABLE_EOF_CHECK), &error)
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

    static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    /// What jsoncpp forgives and jansson does not, taken out in one linear
    /// pass that leaves strings (escapes included) alone: a leading UTF-8
    /// byte order mark, `//` comments to the end of the line, `/* */`
    /// comments (each replaced by a space), and a comma that only blanks or
    /// comments separate from the `]` or `}` after it. Anything else stays
    /// for jansson to judge; an unterminated comment is kept, and fails there.
    static func lenient(_ bytes: [UInt8]) -> [UInt8] {
        let slash = UInt8(ascii: "/"), star = UInt8(ascii: "*"), quote = UInt8(ascii: "\"")
        // Nothing to forgive in the common case: no copy.
        guard bytes.starts(with: [0xEF, 0xBB, 0xBF]) || bytes.contains(slash) || bytes.contains(UInt8(ascii: ",")) else {
            return bytes
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        // Where in `out` the last comma outside strings went, while only
        // blanks followed it.
        var pendingComma: Int?
        // The last byte outside strings and comments that is not blank: a
        // comma right after "[", "{" or another comma trails nothing.
        var last: UInt8 = 0
        var inString = false, escaped = false
        while i < bytes.count {
            let b = bytes[i]
            if inString {
                out.append(b)
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == quote { inString = false }
                i += 1
                continue
            }
            if b == slash, i + 1 < bytes.count, bytes[i + 1] == slash {
                var j = i + 2
                while j < bytes.count, bytes[j] != 0x0A { j += 1 }
                out.append(0x20)
                i = j
                continue
            }
            if b == slash, i + 1 < bytes.count, bytes[i + 1] == star {
                var j = i + 2
                while j + 1 < bytes.count, !(bytes[j] == star && bytes[j + 1] == slash) { j += 1 }
                guard j + 1 < bytes.count else {
                    out.append(contentsOf: bytes[i...])
                    return out
                }
                out.append(0x20)
                i = j + 2
                continue
            }
            switch b {
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if let comma = pendingComma { out[comma] = 0x20 }
                pendingComma = nil
            case UInt8(ascii: ","):
                let follows = last != UInt8(ascii: "[") && last != UInt8(ascii: "{") && last != UInt8(ascii: ",")
                pendingComma = follows ? out.count : nil
            case quote:
                inString = true
                pendingComma = nil
            default:
                if !isBlank(b) { pendingComma = nil }
            }
            if !isBlank(b) { last = b }
            out.append(b)
            i += 1
        }
        return out
    }

    /// True when arrays and objects in `bytes` open more than `limit`
    /// levels at once. One linear pass without recursion: brackets inside
    /// strings (escapes included) don't count; the bytes need not be valid
    /// JSON, jansson judges that afterwards.
    static func nestsDeeper(than limit: Int, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buf in
            var open = 0
            var inString = false
            var escaped = false
            for b in buf {
                if inString {
                    if escaped {
                        escaped = false
                    } else if b == UInt8(ascii: "\\") {
                        escaped = true
                    } else if b == UInt8(ascii: "\"") {
                        inString = false
                    }
                    continue
                }
                switch b {
                case UInt8(ascii: "\""):
                    inString = true
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    open += 1
                    if open > limit { return true }
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    // Unbalanced closers are jansson's error to report.
                    if open > 0 { open -= 1 }
                default:
                    break
                }
            }
            return false
        }
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

    /// Serializes a response: keys keep their order, output is compact UTF-8
    /// (what jansson's JSON_COMPACT writes; tests parse every shape back
    /// with jansson). Written straight into bytes rather than through a
    /// jansson tree: building and dumping that tree for each answer cost
    /// about a sixth of GET stream-info throughput (bench P4). Never nil;
    /// optional for the callers written against jansson's allocation
    /// failures.
    static func serialize(_ value: JSONValue) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, to: &out)
        return out
    }

    static func write(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null:
            out.append(contentsOf: "null".utf8)
        case let .bool(b):
            out.append(contentsOf: (b ? "true" : "false").utf8)
        case let .integer(i):
            appendDecimal(i, to: &out)
        case let .real(d):
            appendReal(d, to: &out)
        case let .string(text):
            appendString(text, to: &out)
        case let .array(items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(object):
            out.append(UInt8(ascii: "{"))
            for (i, member) in object.members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Bytes known at compile time (keys, punctuation) as they are.
    static func appendRaw(_ text: StaticString, to out: inout [UInt8]) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    static func appendReal(_ d: Double, to out: inout [UInt8]) {
        // JSON has no spelling for NaN and infinities. Swift's shortest
        // round-trip form ("29.97", "30.0", "1e-05") is valid JSON.
        if d.isFinite { out.append(contentsOf: d.description.utf8) } else { out.append(contentsOf: "null".utf8) }
    }

    static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        // Magnitude as UInt64: Int64.min has none as Int64.
        var m = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(ascii: "0") + UInt8(m % 10)
                m /= 10
                n += 1
            } while m > 0
            for i in stride(from: n - 1, through: 0, by: -1) { out.append(d[i]) }
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped;
    /// everything else as its UTF-8 bytes (Swift strings are valid UTF-8).
    static func appendString(_ text: String, to out: inout [UInt8]) {
        func needsEscape(_ b: UInt8) -> Bool { b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") }
        out.append(UInt8(ascii: "\""))
        // Most strings (ids, states, uris) need no escape: copied whole,
        // scanned on their contiguous bytes when they have them.
        let plain = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            for b in bytes where needsEscape(b) { return false }
            out.append(contentsOf: bytes)
            return true
        } ?? false
        if plain {
            out.append(UInt8(ascii: "\""))
            return
        }
        func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "a") + v - 10 }
        for byte in text.utf8 {
            guard needsEscape(byte) else { out.append(byte); continue }
            out.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            default:
                out.append(UInt8(ascii: "u"))
                out.append(UInt8(ascii: "0"))
                out.append(UInt8(ascii: "0"))
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0x0F))
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

