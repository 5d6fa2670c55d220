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
        // Bytes, not Characters: CRLF is one Character, equal to neither "\r" nor "\n", and a comma or
        // quote followed by a combining mark is one Character too; each must still be quoted.
        let needsQuotes =
            value.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D })
            || value.utf8.first == 0x20 || value.utf8.last == 0x20
        guard needsQuotes else { return value }
        // replacingOccurrences(of:with:) also compares Characters, so it left a quote with a mark on it single.
        var bytes: [UInt8] = [0x22]
        bytes.reserveCapacity(value.utf8.count + 4)
        for byte in value.utf8 {
            bytes.append(byte)
            if byte == 0x22 { bytes.append(0x22) }
        }
        bytes.append(0x22)
        return String(decoding: bytes, as: UTF8.self)
    }

    public var data: Data { Data(text.utf8) }
}
