import Foundation

/// Writes RFC 4180 CSV: UTF-8 with a byte-order mark (so Excel shows Chinese), CRLF line ends.
public struct CSVWriter {
    /// Cells starting with = + - @ are prefixed with ' so that a spreadsheet never runs them as formulas.
    public var escapesFormulas: Bool
    /// Built as bytes (for speed: appending to a `String` cell by cell was a tenth of a report's
    /// instructions at 1M responses, bench/README.md).
    private var bytes: [UInt8]

    public init(escapesFormulas: Bool, byteOrderMark: Bool = true) {
        self.escapesFormulas = escapesFormulas
        bytes = byteOrderMark ? [0xEF, 0xBB, 0xBF] : []
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public var data: Data { Data(bytes) }

    public mutating func append(_ row: [String]) {
        for (i, value) in row.enumerated() {
            if i > 0 { bytes.append(0x2C) }
            appendCell(value)
        }
        bytes.append(0x0D)
        bytes.append(0x0A)
    }

    public func cell(_ value: String) -> String {
        var one = CSVWriter(escapesFormulas: escapesFormulas, byteOrderMark: false)
        one.appendCell(value)
        return one.text
    }

    private mutating func appendCell(_ value: String) {
        // = + - @ tab and CR are ASCII: the first scalar is one of them exactly when the first byte is.
        let formula: Bool =
            if escapesFormulas, let first = value.utf8.first, [0x3D, 0x2B, 0x2D, 0x40, 0x09, 0x0D].contains(first) {
                // A number such as -3 or +86 is data, not a formula.
                Double(value) == nil
            } else {
                false
            }
        value.withUTF8Bytes { cell in
            // Bytes, not Characters: CRLF is one Character, equal to neither "\r" nor "\n", and a comma or
            // quote followed by a combining mark is one Character too; each must still be quoted.
            var needsQuotes = (!formula && cell.first == 0x20) || cell.last == 0x20
            if !needsQuotes {
                for byte in cell where byte == 0x2C || byte == 0x22 || byte == 0x0A || byte == 0x0D {
                    needsQuotes = true
                    break
                }
            }
            if needsQuotes { bytes.append(0x22) }
            if formula { bytes.append(0x27) }
            if needsQuotes {
                // Each quote doubled, byte by byte: replacingOccurrences(of:with:) compares Characters,
                // so it left a quote with a mark on it single.
                for byte in cell {
                    bytes.append(byte)
                    if byte == 0x22 { bytes.append(0x22) }
                }
                bytes.append(0x22)
            } else {
                bytes.append(contentsOf: cell)
            }
        }
    }
}
