import Foundation

/// Masks personal data (phone numbers, ID numbers, e-mail addresses) wherever text is shown or shared.
public enum PersonalData {
    /// A contact answer masked whole: 13812345678 → 138****5678; anything else keeps its first
    /// and last characters only.
    public static func maskContact(_ value: String) -> String {
        // Fast path (for speed: Characters made the contact of every bad review cost as much as
        // a tenth of a record): a mobile number alone, which `maskText` masks to 138****5678.
        if let masked = maskMobile(value) { return masked }
        let masked = maskText(value)
        if masked != value { return masked }
        let chars = Array(value.trimmingCharacters(in: .whitespaces))
        if chars.count <= 2 { return String(repeating: "*", count: chars.count) }
        return String(chars.first ?? "*") + String(repeating: "*", count: chars.count - 2) + String(chars.last ?? "*")
    }

    /// "1" and ten more ASCII digits, masked as `maskText` masks them; nil for any other text.
    static func maskMobile(_ value: String) -> String? {
        value.withUTF8Bytes { bytes -> String? in
            guard bytes.count == 11, bytes[0] == 0x31, bytes.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            // Written in place (for speed: joined as arrays, it made three of them for each bad review).
            return String(unsafeUninitializedCapacity: 11) { out in
                for i in 0..<11 { out[i] = i >= 3 && i < 7 ? 0x2A : bytes[i] }
                return 11
            }
        }
    }

    /// Whether the bytes hold an ASCII digit or an @, eight at a time (for speed: a byte at a time,
    /// this was a sixth of working out the facts of comments; callgrind, 100k bench rows): a word's
    /// bytes that are digits or @ are
    /// those that XOR 0x30 leaves below 10 (with a zero high bit), or that equal 0x40.
    static func mayHoldPersonalData(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let raw = UnsafeRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var i = 0
        while i &+ 8 <= bytes.count {
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            // Bytes below 0x80 only: adding 0x76 to a byte of x = word ^ 0x30 sets its high bit
            // exactly where x >= 10, with no carry out of a byte (0x7F + 0x76 < 0x100).
            let x = (word ^ (ones &* 0x30)) & ~highs
            let digits = ~((x &+ ones &* 0x76) | word) & highs
            let a = word ^ (ones &* 0x40)
            let ats = (a &- ones) & ~a & highs
            if digits | ats != 0 { return true }
            i &+= 8
        }
        while i < bytes.count {
            if (0x30...0x39).contains(bytes[i]) || bytes[i] == 0x40 { return true }
            i &+= 1
        }
        return false
    }

    /// Free text with every phone number, ID number and e-mail address in it masked.
    public static func maskText(_ text: String) -> String {
        // Fast path (for speed: every comment of an import is masked): only an ASCII digit or an @
        // starts anything to mask, and most comments hold neither.
        // Over the contiguous bytes: stepping through `utf8` cost a comment thousands of instructions.
        if !text.withUTF8Bytes(mayHoldPersonalData) { return text }
        var chars = Array(text)
        var i = 0
        while i < chars.count {
            guard chars[i].isASCII, chars[i].isNumber else {
                if chars[i] == "@" { maskEmail(&chars, at: i) }
                i += 1
                continue
            }
            // A run of digits, allowing the separators people write inside numbers.
            var j = i
            var digits: [Int] = []
            while j < chars.count,
                (chars[j].isASCII && chars[j].isNumber)
                    || ((chars[j] == "-" || chars[j] == " ") && j + 1 < chars.count && chars[j + 1].isNumber && !digits.isEmpty)
                    || ((chars[j] == "X" || chars[j] == "x") && digits.count == 17)
            {
                if chars[j].isNumber || chars[j] == "X" || chars[j] == "x" { digits.append(j) }
                j += 1
            }
            let precededByDigit = i > 0 && chars[i - 1].isNumber
            if !precededByDigit {
                switch digits.count {
                case 11 where chars[digits[0]] == "1":
                    // Mobile: keep the first three and last four digits.
                    for k in digits[3..<7] { chars[k] = "*" }
                case 18, 15:
                    // Resident ID: keep the region (6) and the last four.
                    for k in digits[6..<(digits.count - 4)] { chars[k] = "*" }
                case 7...12:
                    // Landline with or without an area code: keep the last four.
                    for k in digits[max(0, digits.count - 8)..<(digits.count - 4)] { chars[k] = "*" }
                default:
                    break
                }
            }
            i = max(j, i + 1)
        }
        return String(chars)
    }

    private static func maskEmail(_ chars: inout [Character], at index: Int) {
        var start = index
        while start > 0, chars[start - 1].isASCII,
            chars[start - 1].isLetter || chars[start - 1].isNumber || ".-_+".contains(chars[start - 1])
        {
            start -= 1
        }
        guard index - start >= 2 else { return }
        for k in (start + 1)..<index { chars[k] = "*" }
    }
}
