// The result table: one row per measurement, next to its baseline.
import Glibc

struct Row {
    var item: String
    var metric: String
    var ours: String
    var baseline: String
    var ratio: String
    var target: String
    /// nil: informational, no target.
    var holds: Bool?
}

final class Results {
    private(set) var rows: [Row] = []
    func add(_ row: Row) {
        rows.append(row)
        let verdict = row.holds.map { $0 ? "yes" : "NO" } ?? "-"
        log("\(row.item) \(row.metric): ours \(row.ours), baseline \(row.baseline), \(row.ratio), target \(row.target): \(verdict)")
    }

    /// A Markdown table (readable as text, pasteable into README).
    func render() -> String {
        let header = ["", "Measurement", "Ours", "Baseline", "Ratio / delta", "Target", "Holds"]
        let cells = rows.map { r in
            [r.item, r.metric, r.ours, r.baseline, r.ratio, r.target, r.holds.map { $0 ? "yes" : "**no**" } ?? "-"]
        }
        var widths = header.map(\.count)
        for c in cells { for (i, s) in c.enumerated() { widths[i] = max(widths[i], s.count) } }
        func line(_ c: [String]) -> String {
            "| " + c.enumerated().map { $0.element.padding(widths[$0.offset]) }.joined(separator: " | ") + " |"
        }
        var out = [line(header), "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|"]
        out += cells.map(line)
        return out.joined(separator: "\n")
    }
}

private extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
