import Foundation

/// Writes RFC 4180 CSV: UTF-8 with a byte-order mark (so Excel shows Chinese), CRLF line ends.
public struct CSVWriter {
    /// Cells starting with = + - @ are prefixed with ' so that a spreadsheet never runs them as formulas.
    public var escapesFormulas: Bool
    public private(set) var text: String

    public init(escapesFormulas: Bool, byteOrderMark: Bool = true) {
        self.escapesFormulas = escapesFormulas
        text = byteOrderMark ? "\u{FEFF}" : ""
    }

    public mutating func append(_ row: [String]) {
        text += row.map(cell).joined(separator: ",") + "\r\n"
    }

    public func cell(_ value: String) -> String {
        var value = value
        if escapesFormulas, let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) {
            // A number such as -3 or +86 is data, not a formula.
            if Double(value) == nil { value = "'" + value }
        }
        let needsQuotes =
            value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            || value.hasPrefix(" ") || value.hasSuffix(" ")
        return needsQuotes ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : value
    }

    public var data: Data { Data(text.utf8) }
}
