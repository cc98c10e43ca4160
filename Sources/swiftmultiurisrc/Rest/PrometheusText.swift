/// Prometheus' text exposition format 0.0.4, written by hand: a HELP and a
/// TYPE line per family, then its samples, `name{label="value",...} value`.
/// Callers give valid metric names; label names from users go through
/// `labelName`, every label value and help text is escaped here.
struct PrometheusText {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    enum MetricType: String {
        case counter, gauge, histogram
    }

    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(4096) }

    mutating func family(_ name: String, _ type: MetricType, help: String) {
        add("# HELP ")
        add(name)
        add(" ")
        for b in help.utf8 {
            switch b {
            case UInt8(ascii: "\\"): add("\\\\")
            case 0x0A: add("\\n")
            default: bytes.append(b)
            }
        }
        add("\n# TYPE ")
        add(name)
        add(" ")
        add(type.rawValue)
        add("\n")
    }

    mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        sample(name, Labels(labels), value)
    }

    mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: UInt64) {
        sample(name, Labels(labels), value)
    }

    mutating func sample(_ name: String, _ labels: Labels, extra: [(String, String)] = [], _ value: Double) {
        head(name, labels, extra)
        add(Self.format(value))
        bytes.append(0x0A)
    }

    mutating func sample(_ name: String, _ labels: Labels, extra: [(String, String)] = [], _ value: UInt64) {
        head(name, labels, extra)
        JSONCodec.appendDecimal(Int64(clamping: value), to: &bytes)
        bytes.append(0x0A)
    }

    /// Label pairs written out once (`name="value",...`, values escaped),
    /// for a stream's labels that every per-stream family repeats.
    struct Labels {
        fileprivate var bytes: [UInt8] = []

        init(_ labels: [(String, String)]) {
            for (i, (label, value)) in labels.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                Self.append(label, value, to: &bytes)
            }
        }

        fileprivate static func append(_ label: String, _ value: String, to bytes: inout [UInt8]) {
            bytes.append(contentsOf: label.utf8)
            bytes.append(contentsOf: "=\"".utf8)
            for b in value.utf8 {
                switch b {
                case UInt8(ascii: "\\"): bytes.append(contentsOf: "\\\\".utf8)
                case UInt8(ascii: "\""): bytes.append(contentsOf: "\\\"".utf8)
                case 0x0A: bytes.append(contentsOf: "\\n".utf8)
                default: bytes.append(b)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }

    private mutating func head(_ name: String, _ labels: Labels, _ extra: [(String, String)]) {
        add(name)
        guard !labels.bytes.isEmpty || !extra.isEmpty else { bytes.append(0x20); return }
        bytes.append(UInt8(ascii: "{"))
        bytes.append(contentsOf: labels.bytes)
        for (label, value) in extra {
            if bytes.last != UInt8(ascii: "{") { bytes.append(UInt8(ascii: ",")) }
            Labels.append(label, value, to: &bytes)
        }
        add("} ")
    }

    private mutating func add(_ text: String) { bytes.append(contentsOf: text.utf8) }

    /// Go's and Python's spellings: whole numbers without a fraction,
    /// "+Inf", "-Inf", "NaN"; otherwise Swift's shortest round trip.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return value.description
    }

    /// A label name Prometheus accepts ([a-zA-Z_][a-zA-Z0-9_]*, not starting
    /// with the reserved "__"): other characters become "_"; a name starting
    /// with a digit or "__" gets the prefix "label_".
    static func labelName(_ raw: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(raw.utf8.count)
        for b in raw.utf8 {
            let ok = (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b == UInt8(ascii: "_")
            out.append(ok ? b : UInt8(ascii: "_"))
        }
        var name = String(decoding: out, as: UTF8.self)
        if name.isEmpty || (out.first.map { $0 >= 48 && $0 <= 57 } ?? true) || name.hasPrefix("__") {
            name = "label_" + name
        }
        return name
    }
}

extension RestRequest {
    /// DeepStream 9.1's rule: an Accept header containing "text/plain"
    /// (what Prometheus sends) asks for the text format on metrics,
    /// stream-info, live, ready and startup. Compared without case, as
    /// media types are.
    var wantsPrometheusText: Bool {
        guard let accept = header(.accept) else { return false }
        return accept.lowercased().contains("text/plain")
    }
}

extension RestResponse {
    /// 200 with Prometheus text as the body.
    static func prometheus(_ text: PrometheusText) -> RestResponse {
        var response = RestResponse(status: 200, body: .null)
        response.text = TextBody(contentType: PrometheusText.contentType, bytes: text.bytes)
        return response
    }
}
