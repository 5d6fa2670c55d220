import Foundation

/// Terminal display width of text: East Asian Wide and Fullwidth characters take two columns.
public enum DisplayWidth {
    /// Ranges of Unicode East Asian Width W and F (Unicode 15), plus emoji presentation.
    private static let wide: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0, 0x23F3...0x23F3,
        0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F, 0x2693...0x2693, 0x26A1...0x26A1,
        0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE...0x26CE, 0x26D4...0x26D4, 0x26EA...0x26EA,
        0x26F2...0x26F3, 0x26F5...0x26F5, 0x26FA...0x26FA, 0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B,
        0x2728...0x2728, 0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757, 0x2795...0x2797,
        0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55,
        0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
        0x16FE0...0x16FE4, 0x17000...0x18CFF, 0x1B000...0x1B2FF, 0x1F004...0x1F004, 0x1F0CF...0x1F0CF,
        0x1F18E...0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F251, 0x1F300...0x1F64F, 0x1F680...0x1F6FF,
        0x1F7E0...0x1F7EB, 0x1F90C...0x1F9FF, 0x1FA70...0x1FAFF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]

    /// Columns one scalar takes: 0 for combining and control characters, 2 for wide ones.
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v < 0x20 || (0x7F..<0xA0).contains(v) { return 0 }
        if v < 0x1100 {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .enclosingMark, .format: return 0
            default: return 1
            }
        }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if v == 0x200B { return 0 }
        var lo = 0
        var hi = wide.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            if wide[mid].upperBound < v {
                lo = mid + 1
            } else if wide[mid].lowerBound > v {
                hi = mid - 1
            } else {
                return 2
            }
        }
        return 1
    }

    /// Columns a piece of text takes; a grapheme cluster is as wide as its widest scalar.
    public static func of(_ text: String) -> Int {
        var total = 0
        for character in text {
            var widest = 0
            for scalar in character.unicodeScalars {
                widest = max(widest, of(scalar))
            }
            // Variation selector 16 asks for emoji presentation, which terminals draw two wide.
            if character.unicodeScalars.contains(where: { $0.value == 0xFE0F }) { widest = 2 }
            total += widest
        }
        return total
    }

    /// The text cut to at most `width` columns, ending in "…" where it was cut.
    public static func truncate(_ text: String, to width: Int) -> String {
        guard of(text) > width else { return text }
        guard width > 1 else { return width == 1 ? "…" : "" }
        var result = ""
        var used = 0
        for character in text {
            let w = of(String(character))
            if used + w > width - 1 { break }
            result.append(character)
            used += w
        }
        return result + "…"
    }

    /// Lines of at most `width` columns: breaks at spaces where there are any, anywhere in
    /// Chinese text (which has none); continuation lines are indented like the first.
    public static func wrap(_ text: String, to width: Int) -> [String] {
        guard of(text) > width else { return [text] }
        let indent = String(text.prefix { $0 == " " || $0 == "-" }.map { _ in " " })
        var lines: [String] = []
        var line = ""
        var used = 0
        var lastSpace: String.Index?
        for character in text {
            let w = of(String(character))
            if used + w > width {
                if let space = lastSpace, character != " " {
                    let head = String(line[..<space])
                    let tail = String(line[line.index(after: space)...])
                    lines.append(head)
                    line = indent + tail
                } else {
                    lines.append(line)
                    line = indent
                }
                used = of(line)
                lastSpace = nil
                if character == " " { continue }
            }
            if character == " " && !line.trimmingCharacters(in: .whitespaces).isEmpty { lastSpace = line.endIndex }
            line.append(character)
            used += w
        }
        if !line.trimmingCharacters(in: .whitespaces).isEmpty { lines.append(line) }
        return lines
    }

    /// The text padded with spaces to `width` columns.
    public static func pad(_ text: String, to width: Int, alignRight: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - of(text)))
        return alignRight ? fill + text : text + fill
    }
}

/// A plain-text table whose columns stay aligned whatever mix of Chinese and Latin text it holds.
public struct TextTable: Sendable {
    public enum Alignment: Sendable { case left, right }

    public struct Column: Sendable {
        public var title: String
        public var alignment: Alignment
        /// Cells wider than this are cut with "…".
        public var maxWidth: Int?

        public init(_ title: String, alignment: Alignment = .left, maxWidth: Int? = nil) {
            self.title = title
            self.alignment = alignment
            self.maxWidth = maxWidth
        }
    }

    public var columns: [Column]
    public var rows: [[String]] = []
    /// Spaces between columns.
    public var gap = 2
    /// Pad the last column too, so that every line has the same display width (for files);
    /// off, lines end at their last character (for terminals).
    public var padLastColumn = false

    public init(columns: [Column]) {
        self.columns = columns
    }

    public mutating func append(_ row: [String]) {
        rows.append(row)
    }

    /// The lines of the table: a header, a rule, then the rows.
    public func render() -> [String] {
        let cells: [[String]] = ([columns.map(\.title)] + rows).map { row in
            columns.indices.map { i in
                let text = i < row.count ? row[i] : ""
                return columns[i].maxWidth.map { DisplayWidth.truncate(text, to: $0) } ?? text
            }
        }
        let widths = columns.indices.map { i in cells.map { DisplayWidth.of($0[i]) }.max() ?? 0 }
        let separator = String(repeating: " ", count: gap)
        func line(_ row: [String]) -> String {
            let padded = columns.indices.map { i in
                let last = i == columns.count - 1 && columns[i].alignment == .left && !padLastColumn
                return last ? row[i] : DisplayWidth.pad(row[i], to: widths[i], alignRight: columns[i].alignment == .right)
            }
            return padded.joined(separator: separator)
        }
        let total = widths.reduce(0, +) + gap * max(0, columns.count - 1)
        var lines = [line(cells[0]), String(repeating: "-", count: total)]
        lines.append(contentsOf: cells.dropFirst().map(line))
        return lines
    }
}
