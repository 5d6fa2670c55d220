import Foundation

/// A parsed JSON value that remembers where it stood in its source text.
///
/// Written by hand rather than using `JSONSerialization` because form validation must name the
/// line and column of a syntax error and the position of every value, must see duplicate keys,
/// and must keep number lexemes as written ("5", not 5.0); no parser available here does that.
public struct JSONNode: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case null
        case bool(Bool)
        /// The number exactly as written in the source.
        case number(String)
        case string(String)
        case array([JSONNode])
        case object([Member])
    }

    /// One `"key": value` pair of an object, in source order (duplicates kept).
    public struct Member: Sendable, Equatable {
        public var key: String
        public var keyOffset: Int
        public var value: JSONNode
    }

    public var value: Value
    /// Byte offset of the value's first character in the source.
    public var offset: Int

    public init(_ value: Value, offset: Int = 0) {
        self.value = value
        self.offset = offset
    }

    /// The kind of value, as a user would name it in an error message.
    public var kindName: String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    public var stringValue: String? {
        if case .string(let s) = value { return s }
        return nil
    }

    public var members: [Member]? {
        if case .object(let m) = value { return m }
        return nil
    }

    public var elements: [JSONNode]? {
        if case .array(let a) = value { return a }
        return nil
    }

    public subscript(key: String) -> JSONNode? {
        members?.first { $0.key == key }?.value
    }
}

/// A JSON syntax error at a byte offset of the source.
public struct JSONSyntaxError: Error, Sendable, Equatable {
    public var offset: Int
    public var message: String
}

/// Line and column (both 1-based, columns counted in characters) of a byte offset in UTF-8 text.
public struct TextPosition: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public init(offset: Int, in bytes: [UInt8]) {
        var line = 1
        var lineStart = 0
        let end = min(offset, bytes.count)
        var i = 0
        while i < end {
            if bytes[i] == 0x0A {
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
        // Count characters, not bytes: continuation bytes (10xxxxxx) do not start a character.
        var column = 1
        var j = lineStart
        while j < end {
            if bytes[j] & 0xC0 != 0x80 { column += 1 }
            j += 1
        }
        self.line = line
        self.column = column
    }

    public var description: String { "line \(line), column \(column)" }
}

/// Parses JSON text into `JSONNode`s.
public struct JSONParser {
    /// Nesting deeper than this is refused rather than risking the stack on hostile input.
    public static let maxDepth = 256

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses one whole document; anything but white space after the value is an error.
    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONNode {
        var parser = JSONParser(bytes: bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }
        parser.skipWhitespace()
        if parser.index >= bytes.count {
            throw JSONSyntaxError(offset: parser.index, message: "the document is empty")
        }
        let node = try parser.parseValue()
        parser.skipWhitespace()
        if parser.index < bytes.count {
            throw JSONSyntaxError(offset: parser.index, message: "unexpected text after the end of the document")
        }
        return node
    }

    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONNode {
        try parse(Array(text.utf8))
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func describeCurrent() -> String {
        Self.describe(index < bytes.count ? bytes[index] : nil)
    }

    /// A byte as an error message names what was found: 'x', byte 0x00, or the end of the file (nil).
    static func describe(_ byte: UInt8?) -> String {
        guard let byte else { return "the end of the file" }
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return String(format: "byte 0x%02X", byte)
    }

    private mutating func parseValue() throws(JSONSyntaxError) -> JSONNode {
        guard index < bytes.count else {
            throw JSONSyntaxError(offset: index, message: "expected a value but found the end of the file")
        }
        let start = index
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return JSONNode(.string(try parseString()), offset: start)
        case UInt8(ascii: "t"): try expectLiteral("true"); return JSONNode(.bool(true), offset: start)
        case UInt8(ascii: "f"): try expectLiteral("false"); return JSONNode(.bool(false), offset: start)
        case UInt8(ascii: "n"): try expectLiteral("null"); return JSONNode(.null, offset: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return JSONNode(.number(try parseNumber()), offset: start)
        default:
            throw JSONSyntaxError(offset: index, message: "expected a value but found \(describeCurrent())")
        }
    }

    private mutating func expectLiteral(_ literal: String) throws(JSONSyntaxError) {
        let start = index
        for byte in literal.utf8 {
            guard index < bytes.count, bytes[index] == byte else {
                throw JSONSyntaxError(offset: start, message: "expected a value (did you mean \(literal)?)")
            }
            index += 1
        }
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maxDepth {
            throw JSONSyntaxError(offset: index, message: "nested deeper than \(Self.maxDepth) levels")
        }
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> JSONNode {
        let start = index
        try enter()
        index += 1
        var members: [JSONNode.Member] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return JSONNode(.object(members), offset: start)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw JSONSyntaxError(offset: index, message: "expected a quoted key but found \(describeCurrent())")
            }
            let keyOffset = index
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw JSONSyntaxError(offset: index, message: "expected ':' after the key \"\(key)\" but found \(describeCurrent())")
            }
            index += 1
            skipWhitespace()
            let value = try parseValue()
            members.append(JSONNode.Member(key: key, keyOffset: keyOffset, value: value))
            skipWhitespace()
            guard index < bytes.count else {
                throw JSONSyntaxError(offset: index, message: "expected ',' or '}' but found the end of the file (an object is not closed)")
            }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    throw JSONSyntaxError(offset: index, message: "trailing comma before '}'")
                }
                continue
            }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                depth -= 1
                return JSONNode(.object(members), offset: start)
            }
            let hint = bytes[index] == UInt8(ascii: "\"") ? " (is a comma missing before it?)" : ""
            throw JSONSyntaxError(
                offset: index, message: "expected ',' or '}' after an object member but found \(describeCurrent())\(hint)")
        }
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> JSONNode {
        let start = index
        try enter()
        index += 1
        var elements: [JSONNode] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return JSONNode(.array(elements), offset: start)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else {
                throw JSONSyntaxError(offset: index, message: "expected ',' or ']' but found the end of the file (an array is not closed)")
            }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    throw JSONSyntaxError(offset: index, message: "trailing comma before ']'")
                }
                continue
            }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                depth -= 1
                return JSONNode(.array(elements), offset: start)
            }
            let hint = bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "{") ? " (is a comma missing before it?)" : ""
            throw JSONSyntaxError(
                offset: index, message: "expected ',' or ']' after an array element but found \(describeCurrent())\(hint)")
        }
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> String {
        String(decoding: bytes[try scanNumber()], as: UTF8.self)
    }

    /// Passes over the number at `index` and returns where its text lies.
    private mutating func scanNumber() throws(JSONSyntaxError) -> Range<Int> {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        func digits(_ p: inout JSONParser) -> Int {
            let s = p.index
            while p.index < p.bytes.count, p.bytes[p.index] >= 0x30, p.bytes[p.index] <= 0x39 { p.index += 1 }
            return p.index - s
        }
        let intStart = index
        let intDigits = digits(&self)
        if intDigits == 0 {
            throw JSONSyntaxError(offset: start, message: "a number needs digits")
        }
        if intDigits > 1 && bytes[intStart] == UInt8(ascii: "0") {
            throw JSONSyntaxError(offset: start, message: "a number cannot start with 0")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            if digits(&self) == 0 {
                throw JSONSyntaxError(offset: start, message: "a number needs digits after '.'")
            }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            if digits(&self) == 0 {
                throw JSONSyntaxError(offset: start, message: "a number needs digits in its exponent")
            }
        }
        return start..<index
    }

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        let start = index
        // No escapes (most strings): the text is its bytes as they stand, with no copy first.
        let end = plainRunEnd(from: start + 1)
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            let text = bytes.withUnsafeBufferPointer { all in
                let run = UnsafeBufferPointer(rebasing: all[(start + 1)..<end])
                return Self.text(run)
            }
            guard let text else { throw JSONSyntaxError(offset: start, message: "a string holds bytes that are not UTF-8") }
            index = end + 1
            return text
        }
        var out: [UInt8] = []
        try readString(appendingTo: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads the string at `index`, appending its bytes, unescaped and checked as UTF-8, to `out`.
    private mutating func readString(appendingTo out: inout [UInt8]) throws(JSONSyntaxError) {
        let start = index
        let from = out.count
        index += 1
        // Up to the first quote, backslash or control byte at once (most strings have no escapes).
        let plainEnd = plainRunEnd(from: index)
        bytes.withUnsafeBufferPointer { [index] all in out.append(contentsOf: UnsafeBufferPointer(rebasing: all[index..<plainEnd])) }
        index = plainEnd
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
            index += 1
        } else {
            try readEscapedRest(of: start, from: plainEnd, appendingTo: &out)
        }
        let valid = out.withUnsafeBufferPointer { written in Self.isUTF8(UnsafeBufferPointer(rebasing: written[from...])) }
        guard valid else { throw JSONSyntaxError(offset: start, message: "a string holds bytes that are not UTF-8") }
    }

    /// Where the run of string bytes from `from` ends: at the first quote, backslash or control
    /// byte, or at the end of the text.
    private func plainRunEnd(from: Int) -> Int {
        bytes.withUnsafeBufferPointer { all in
            var end = from
            while end < all.count, all[end] >= 0x20, all[end] != UInt8(ascii: "\""), all[end] != UInt8(ascii: "\\") { end += 1 }
            return end
        }
    }

    /// The rest of the string that starts at `start`, from `runStart`, where an escape, a control
    /// byte or the end of the text came before its closing quote.
    private mutating func readEscapedRest(of start: Int, from runStart: Int, appendingTo out: inout [UInt8]) throws(JSONSyntaxError) {
        var runStart = runStart
        while true {
            guard index < bytes.count else {
                throw JSONSyntaxError(offset: start, message: "a string is not closed (missing '\"')")
            }
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                out.append(contentsOf: bytes[runStart..<index])
                index += 1
                return
            }
            if b < 0x20 {
                throw JSONSyntaxError(
                    offset: index,
                    message: b == 0x0A
                        ? "a string is not closed before the end of the line" : "a control character inside a string must be escaped")
            }
            if b == UInt8(ascii: "\\") {
                out.append(contentsOf: bytes[runStart..<index])
                try parseEscape(into: &out)
                runStart = index
                continue
            }
            index += 1
        }
    }

    /// The bytes as text; nil when they are not UTF-8. Checked by CSVScan, then decoded without
    /// repairs (for speed: String(validating:as:) is generic and unspecialised in the standard
    /// library, and looked up type metadata for every string, a fifth of reading JSON Lines).
    private static func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        isUTF8(bytes) ? String(decoding: bytes, as: UTF8.self) : nil
    }

    private static func isUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        return CSVScan.checkUTF8(base, from: 0, to: bytes.count) == .valid
    }

    private mutating func parseEscape(into out: inout [UInt8]) throws(JSONSyntaxError) {
        let escapeStart = index
        index += 1
        guard index < bytes.count else {
            throw JSONSyntaxError(offset: escapeStart, message: "an escape sequence is cut short")
        }
        let c = bytes[index]
        index += 1
        switch c {
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "/"): out.append(0x2F)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4(at: escapeStart)
            if (0xD800...0xDBFF).contains(scalar) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw JSONSyntaxError(offset: escapeStart, message: "a \\u escape holds half a surrogate pair")
                }
                index += 2
                let low = try parseHex4(at: escapeStart)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw JSONSyntaxError(offset: escapeStart, message: "a \\u escape holds half a surrogate pair")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw JSONSyntaxError(offset: escapeStart, message: "a \\u escape holds half a surrogate pair")
            }
            guard let u = Unicode.Scalar(scalar) else {
                throw JSONSyntaxError(offset: escapeStart, message: "a \\u escape is not a valid character")
            }
            out.append(contentsOf: Array(String(Character(u)).utf8))
        default:
            throw JSONSyntaxError(offset: escapeStart, message: "unknown escape sequence in a string")
        }
    }

    private mutating func parseHex4(at escapeStart: Int) throws(JSONSyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else {
            throw JSONSyntaxError(offset: escapeStart, message: "a \\u escape needs four hex digits")
        }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt32
            switch b {
            case 0x30...0x39: digit = UInt32(b - 0x30)
            case 0x41...0x46: digit = UInt32(b - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(b - 0x61 + 10)
            default: throw JSONSyntaxError(offset: escapeStart, message: "a \\u escape needs four hex digits")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}

/// Builds JSON paths such as `$.questions[3].scale` or `$.aliases["5分"]`.
public struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    public private(set) var description: String

    public static let root = JSONPath(description: "$")

    public func key(_ name: String) -> JSONPath {
        let plain =
            !name.isEmpty
            && name.unicodeScalars.allSatisfy {
                ($0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil)) || $0 == "_"
            } && !(name.first?.isNumber ?? false)
        if plain { return JSONPath(description: description + "." + name) }
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return JSONPath(description: description + "[\"" + escaped + "\"]")
    }

    public func index(_ i: Int) -> JSONPath {
        JSONPath(description: description + "[\(i)]")
    }
}
