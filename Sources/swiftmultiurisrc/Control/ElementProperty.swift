/// element/set-property and element/get-property (ours): a property of an
/// element of the running pipeline, found by name, as text GStreamer's own
/// (de)serialization reads and writes.
struct ElementPropertyRequest: Sendable, Equatable {
    /// The element's name (`name=` in gst-launch).
    var element: String
    /// Canonical spelling ('-', not '_'): the allow list matches on it.
    var property: String
    /// For a set: the text handed to gst_value_deserialize (a JSON number or
    /// boolean arrives as its decimal or true/false text). nil for a get.
    var value: String?
}

/// A property as it reads back after the set (or the get).
struct ElementPropertyValue: Sendable, Equatable {
    var element: String
    var property: String
    /// gst_value_serialize of the value; nil when the property is not
    /// readable or its type has no text form.
    var value: String?
    /// The GType name of the value ("gdouble", "GstVideoOrientationMethod").
    var type: String
}

/// What GET info tells of the state file.
struct StateFileStatus: Sendable, Equatable {
    /// Sensors the file holds (those that play and those that do not).
    var sensors: Int
    /// Why the last write failed; nil once a write succeeded again.
    var lastWriteError: String?
}

extension StreamControl {
    func setElementProperty(_ request: ElementPropertyRequest) throws(ControlError) -> ElementPropertyValue {
        throw .unavailable("this control has no pipeline elements")
    }
    func elementProperty(_ request: ElementPropertyRequest) throws(ControlError) -> ElementPropertyValue {
        throw .unavailable("this control has no pipeline elements")
    }
    var stateFileStatus: StateFileStatus? { nil }
}

/// `property-allow-list`: comma separated `element.property` patterns in
/// which `*` stands for any text (also none, also dots), e.g. `osd.*`,
/// `*.bitrate`, `vb.saturation`. Nothing else is special: a pattern without
/// `*` must equal the pair. Empty allows nothing, so the routes answer 403
/// until an application opts in.
struct PropertyAllowList: Sendable, Equatable, CustomStringConvertible {
    let patterns: [String]

    init(_ text: String = "") {
        patterns = splitList(text).filter { !$0.isEmpty }
    }

    var isEmpty: Bool { patterns.isEmpty }
    var description: String { patterns.joined(separator: ",") }

    func allows(element: String, property: String) -> Bool {
        let subject = Array("\(element).\(property)".utf8)
        return patterns.contains { Self.matches(Array($0.utf8), subject) }
    }

    /// `*` globbing without recursion: on a mismatch, the last `*` takes
    /// one more byte. At most pattern × subject steps, both bounded by the
    /// property and the route's name limits.
    static func matches(_ pattern: [UInt8], _ subject: [UInt8]) -> Bool {
        let star = UInt8(ascii: "*")
        var p = 0, s = 0
        var lastStar: Int?, resumeAt = 0
        while s < subject.count {
            if p < pattern.count, pattern[p] == star {
                lastStar = p
                resumeAt = s
                p += 1
            } else if p < pattern.count, pattern[p] == subject[s] {
                p += 1
                s += 1
            } else if let star = lastStar {
                p = star + 1
                resumeAt += 1
                s = resumeAt
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == star { p += 1 }
        return p == pattern.count
    }
}
