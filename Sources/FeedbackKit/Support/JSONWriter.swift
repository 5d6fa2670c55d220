import Foundation

/// Writes compact JSON with keys in the order given, so output is byte-for-byte deterministic.
///
/// Written by hand because `JSONSerialization` reorders keys and formats numbers its own way,
/// and the store, exports and `--json` output must be stable across runs and platforms.
public struct JSONWriter {
    public private(set) var text = ""

    public init() {}

    public static func quoted(_ string: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count + 2)
        appendQuoted(string, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `string` as a JSON string: quotes, backslashes and control characters escaped, and
    /// U+2028 and U+2029 too (JavaScript reads them as line ends). Byte by byte, through the
    /// string's own buffer (for speed: the answers of every stored response are written so, and
    /// text with punctuation such as “” or … went scalar by scalar into a new string).
    static func appendQuoted(_ string: String, to out: inout [UInt8]) {
        string.withUTF8Bytes { bytes in
            out.append(0x22)
            let n = bytes.count
            var start = 0
            var i = 0
            while i < n {
                let b = bytes[i]
                if b >= 0x20 && b != 0x22 && b != 0x5C && b != 0xE2 {
                    i += 1
                    continue
                }
                // E2 80 A8 and E2 80 A9 are U+2028 and U+2029; E2 leads other characters too.
                let separator = b == 0xE2 && i + 2 < n && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9)
                if b == 0xE2 && !separator {
                    i += 1
                    continue
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                out.append(0x5C)
                switch b {
                case 0x22, 0x5C: out.append(b)
                case 0x0A: out.append(0x6E)
                case 0x0D: out.append(0x72)
                case 0x09: out.append(0x74)
                default:
                    let value = separator ? (bytes[i + 2] == 0xA8 ? 0x2028 : 0x2029) : Int(b)
                    out.append(0x75)
                    for shift in [12, 8, 4, 0] { out.append(hexDigits[(value >> shift) & 0xF]) }
                }
                i += separator ? 3 : 1
                start = i
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<n]))
            out.append(0x22)
        }
    }

    /// Appends the bytes of `number(value)` to `out`, whole numbers digit by digit.
    static func appendNumber(_ value: Double, to out: inout [UInt8]) {
        guard value.rounded() == value && abs(value) < 1e15 else {
            out.append(contentsOf: number(value).utf8)
            return
        }
        var n = Int(value)
        if n < 0 {
            out.append(0x2D)
            n = -n
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(0x30 + n % 10)
                n /= 10
                count += 1
            } while n > 0
            for k in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[k]) }
        }
    }

    /// A number as JSON: whole numbers without a fraction, others with up to `digits` decimals.
    public static func number(_ value: Double, digits: Int? = nil) -> String {
        guard value.isFinite else { return "null" }
        if value.rounded() == value && abs(value) < 1e15 { return String(Int(value)) }
        if let digits {
            var s = String(format: "%.\(digits)f", value)
            if s == "-" + String(format: "%.\(digits)f", 0.0) { s.removeFirst() }
            return s
        }
        return "\(value)"
    }
}

/// A JSON value built in code, written with keys in insertion order.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number already formatted as JSON.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        lhs.serialized() == rhs.serialized()
    }

    public static func int(_ value: Int) -> JSONValue { .number(String(value)) }

    public static func double(_ value: Double?, digits: Int = 6) -> JSONValue {
        guard let value, value.isFinite else { return .null }
        return .number(JSONWriter.number(value, digits: digits))
    }

    public static func optional(_ value: String?) -> JSONValue {
        value.map(JSONValue.string) ?? .null
    }

    /// Compact JSON text, or indented with two spaces when `pretty`.
    public func serialized(pretty: Bool = false) -> String {
        var out = ""
        write(into: &out, pretty: pretty, indent: 0)
        return out
    }

    private func write(into out: inout String, pretty: Bool, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n
        case .string(let s): out += JSONWriter.quoted(s)
        case .array(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                item.write(into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "]"
        case .object(let members):
            if members.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                out += JSONWriter.quoted(key)
                out += pretty ? ": " : ":"
                value.write(into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "}"
        }
    }
}
