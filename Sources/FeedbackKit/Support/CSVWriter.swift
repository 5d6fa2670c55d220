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
        for (i, value) in row.enumerated() {
            if i > 0 { text += "," }
            text += cell(value)
        }
        text += "\r\n"
    }

    public func cell(_ value: String) -> String {
        var value = value
        if escapesFormulas, let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) {
            // A number such as -3 or +86 is data, not a formula.
            if Double(value) == nil { value = "'" + value }
        }
        // The bytes first (for speed): a character can only be one of these when its byte is there.
        let mayNeedQuotes = value.utf8.contains { (byte: UInt8) -> Bool in byte == 0x2C || byte == 0x22 || byte == 0x0A || byte == 0x0D }
        let needsQuotes =
            (mayNeedQuotes && value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }))
            || (value.utf8.first == 0x20 && value.hasPrefix(" ")) || (value.utf8.last == 0x20 && value.hasSuffix(" "))
        return needsQuotes ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : value
    }

    public var data: Data { Data(text.utf8) }
}
