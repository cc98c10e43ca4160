/// element/set-property (POST) and element/get-property (GET): ours, not
/// DeepStream's. Runtime properties of named elements of the pipeline, as
/// gstd and PyTrickle offer, behind the element's `property-allow-list`
/// (empty by default: every request is 403).
///
///     POST element/set-property  {"element": "vb", "property": "saturation", "value": 1.5}
///     GET  element/get-property?element=vb&property=saturation
///
/// - `element`: the element's name, 1-256 bytes; `property`: letters,
///   digits, '-' and '_' (read as '-', GObject's canonical spelling, which
///   the allow list matches), starting with a letter, at most 128 bytes.
/// - `value`: a string handed to GStreamer's deserialization as it stands
///   (enums by nick or number, flags as "a+b", caps, fractions "30/1"), or
///   a JSON number or boolean, handed over as its text. Null, arrays and
///   objects are 400.
/// - The answer: `element`, `property`, `value` (read back after the set, as
///   gst_value_serialize writes it; null when the property cannot be read)
///   and `type` (the value's GType name).
///
/// Statuses: 400 naming `element`, `property` or `value`; 403 not on the
/// allow list (checked before the element is looked up); 404 no element of
/// that name; 409 the property cannot change in the element's state
/// (GST_PARAM_MUTABLE_READY while PLAYING).
enum ElementRoutes {
    static let routes: [Route] = [
        Route(.post, "/element/set-property", operation: "ELEMENT_SET_PROPERTY") { ctx throws(ControlError) in
            let body = try ctx.bodyObject()
            try body.rejectUnknownKeys(allowed: ["element", "property", "value"])
            var request = ElementPropertyRequest(element: try elementName(try body.string("element")),
                                                 property: try propertyName(try body.string("property")))
            request.value = try valueText(body)
            return answer("ELEMENT_SET_PROPERTY", try ctx.control.setElementProperty(request))
        },
        Route(.get, "/element/get-property", operation: "ELEMENT_GET_PROPERTY") { ctx throws(ControlError) in
            let query = try parseQuery(ctx.request.query ?? "")
            for key in query.keys where key != "element" && key != "property" {
                throw .badRequest(field: String(key.prefix(64)), detail: "unknown query parameter; known: element, property")
            }
            guard let element = query["element"] else { throw .badRequest(field: "element", detail: "missing") }
            guard let property = query["property"] else { throw .badRequest(field: "property", detail: "missing") }
            let request = ElementPropertyRequest(element: try elementName(element), property: try propertyName(property))
            return answer("ELEMENT_GET_PROPERTY", try ctx.control.elementProperty(request))
        },
    ]

    static let maxElementNameBytes = 256, maxPropertyNameBytes = 128

    static func elementName(_ name: String) throws(ControlError) -> String {
        guard !name.isEmpty, name.utf8.count <= maxElementNameBytes else {
            throw .badRequest(field: "element", detail: "an element name is 1-\(maxElementNameBytes) bytes")
        }
        // C sees a string up to its first NUL: another element's name.
        guard !name.utf8.contains(0) else { throw .badRequest(field: "element", detail: "must not contain NUL") }
        return name
    }

    /// The canonical spelling, or 400 naming `property`.
    static func propertyName(_ name: String) throws(ControlError) -> String {
        let bytes = Array(name.utf8)
        func letter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
        let valid = !bytes.isEmpty && bytes.count <= maxPropertyNameBytes && letter(bytes[0])
            && bytes.allSatisfy { letter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
        guard valid else {
            throw .badRequest(field: "property", detail: "a property name is a letter then letters, digits, '-' or '_' (at most \(maxPropertyNameBytes) bytes)")
        }
        return String(decoding: bytes.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: "-") : $0 }, as: UTF8.self)
    }

    /// `value` as the text GStreamer deserializes.
    static func valueText(_ body: FieldReader) throws(ControlError) -> String {
        guard let value = body.value("value") else { throw body.missing("value") }
        switch value {
        case let .string(s):
            guard !s.utf8.contains(0) else { throw .badRequest(field: "value", detail: "must not contain NUL") }
            return s
        case let .integer(i): return String(i)
        case let .real(d):
            // jansson reads no NaN or infinity; a client-made one is refused anyway.
            guard d.isFinite else { throw .badRequest(field: "value", detail: "must be finite") }
            return "\(d)"
        case let .bool(b): return b ? "true" : "false"
        default: throw body.wrongType("value", "a string, a number or a boolean", value)
        }
    }

    static func answer(_ operation: String, _ result: ElementPropertyValue) -> RestResponse {
        .success(operation, extra: JSONObject([
            "element": .string(result.element),
            "property": .string(result.property),
            "value": result.value.map { .string($0) } ?? .null,
            "type": .string(result.type),
        ]))
    }

    /// `a=b&c=d`, percent-decoded ('+' is a space); the last of a repeated
    /// name wins. Malformed escapes and invalid UTF-8 are 400 naming the
    /// parameter.
    static func parseQuery(_ query: String) throws(ControlError) -> [String: String] {
        var result: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let rawName = parts.first else { continue }
            let name = try percentDecoded(rawName, field: String(rawName.prefix(64)))
            result[name] = try percentDecoded(parts.count > 1 ? parts[1] : "", field: name)
        }
        return result
    }

    static func percentDecoded(_ text: Substring, field: String) throws(ControlError) -> String {
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case 0x30...0x39: b - 0x30
            case 0x41...0x46: b - 0x41 + 10
            case 0x61...0x66: b - 0x61 + 10
            default: nil
            }
        }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "%"):
                guard i + 2 < bytes.count, let high = hex(bytes[i + 1]), let low = hex(bytes[i + 2]) else {
                    throw .badRequest(field: field, detail: "malformed percent escape")
                }
                out.append(high << 4 | low)
                i += 3
            case UInt8(ascii: "+"):
                out.append(0x20)
                i += 1
            default:
                out.append(bytes[i])
                i += 1
            }
        }
        guard let decoded = String(validating: out, as: UTF8.self) else {
            throw .badRequest(field: field, detail: "not UTF-8 once decoded")
        }
        return decoded
    }
}
