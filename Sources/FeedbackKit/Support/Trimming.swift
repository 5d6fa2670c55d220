import Foundation

// Hand-written for speed: Foundation's trimmingCharacters(in:) bridges every String through
// NSString and UTF-16 and allocates a new String even when nothing is trimmed; on an import it
// ran on every cell and took over a third of the time. These give the same results (a test
// checks both sets against Foundation's over every Unicode scalar) and return the string itself,
// without copying, in the common case where neither end is white space.

extension Unicode.Scalar {
    /// Whether Foundation's `CharacterSet.whitespaces` holds the scalar: general category Zs, tab,
    /// and (in swift-corelibs-foundation) the zero-width space U+200B.
    @inline(__always)
    var isFoundationWhitespace: Bool {
        let v = value
        if v > 0x20 && v < 0xA0 { return false }
        switch v {
        case 0x20, 0x09, 0xA0, 0x1680, 0x2000...0x200B, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// Whether Foundation's `CharacterSet.whitespacesAndNewlines` holds the scalar: the above,
    /// LF, VT, FF, CR, NEL, and the line and paragraph separators.
    @inline(__always)
    var isFoundationWhitespaceOrNewline: Bool {
        let v = value
        if v > 0x20 && v < 0x85 { return false }
        switch v {
        case 0x0A...0x0D, 0x85, 0x2028, 0x2029: return true
        default: return isFoundationWhitespace
        }
    }
}

extension String {
    /// Same as `trimmingCharacters(in: .whitespacesAndNewlines)`.
    @inline(__always)
    func trimmingSpaceAndNewlines() -> String { trimming(where: \.isFoundationWhitespaceOrNewline) }

    /// Same as `trimmingCharacters(in: .whitespaces)`.
    @inline(__always)
    func trimmingSpace() -> String { trimming(where: \.isFoundationWhitespace) }

    /// Whether the string is empty once trimmed of white space and newlines.
    var isBlankText: Bool { unicodeScalars.allSatisfy(\.isFoundationWhitespaceOrNewline) }

    @inline(__always)
    private func trimming(where trimmed: (Unicode.Scalar) -> Bool) -> String {
        // Fast path: ASCII non-space bytes at both ends mean nothing to trim.
        let bytes = utf8
        guard let first = bytes.first, let last = bytes.last else { return self }
        if first > 0x20 && first < 0x80 && last > 0x20 && last < 0x80 { return self }
        let scalars = unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end && trimmed(scalars[start]) { start = scalars.index(after: start) }
        while end > start {
            let before = scalars.index(before: end)
            if !trimmed(scalars[before]) { break }
            end = before
        }
        if start == scalars.startIndex && end == scalars.endIndex { return self }
        return String(scalars[start..<end])
    }
}
