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
