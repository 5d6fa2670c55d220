import Foundation

// Store format v10: the short forms of the texts most responses share the shape of.
//
// A bench response took 190 bytes of a block, 63 of them its key (a UUID, 36 characters) and its
// time (25 characters, as `Timestamp.iso` writes it), 8 its month, which is the time's first seven
// characters, and 13 a phone number. On this kind of machine the kernel's copying of the pages an
// import writes is the largest part of the storing thread's work after the tool's own, and it
// grows with the bytes: written in short form, the four take 24 bytes (bench/README.md, twentieth
// round). Each short form spells its text again exactly, so a response reads back as it came;
// a text of any other shape is kept as it is.

/// A key or a time as a record keeps it, spelled out when asked for (see `BlockCodec.Reader`).
enum KeptText {
    /// The text's UTF-8 bytes.
    case bytes(UnsafeRawBufferPointer)
    /// A UUID in lowercase (8-4-4-4-12 hexadecimal digits), as its 16 bytes.
    case uuid(UnsafeRawBufferPointer)
    /// A time as `Timestamp.iso` writes it, as `CompactFields.time` gives it.
    case time(UInt64)

    var text: String {
        switch self {
        case .bytes(let bytes): String(decoding: bytes, as: UTF8.self)
        case .uuid(let bytes): CompactFields.uuidText(bytes)
        case .time(let word): CompactFields.timeText(word)
        }
    }
}

enum CompactFields {
    /// The 16 bytes of `key` when it is a UUID in lowercase (8-4-4-4-12 hexadecimal digits, as
    /// KoboToolbox, ODK and most tools write them), as two words whose bytes, little-endian, are the
    /// 16 in order; nil for any other text. Eight digits at a time (for speed: a digit at a time
    /// cost about 900 instructions a key, more than the bytes it saves the storing thread).
    @inline(__always)
    static func uuid(_ key: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64)? {
        guard key.count == 36, let base = key.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        @inline(__always) func word(_ at: Int) -> UInt64 { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        @inline(__always) func half(_ at: Int) -> UInt64 {
            UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
        }
        guard key[8] == 0x2D, key[13] == 0x2D, key[18] == 0x2D, key[23] == 0x2D,
            let a = hexWord(word(0)), let b = hexWord(half(9) | half(14) << 32), let c = hexWord(half(19) | half(24) << 32),
            let d = hexWord(word(28))
        else { return nil }
        return (UInt64(a) | UInt64(b) << 32, UInt64(c) | UInt64(d) << 32)
    }

    /// The eight lowercase hexadecimal digits in the bytes of `x` (little-endian, the first digit in
    /// the lowest byte) as four bytes in the same order, each two digits; nil if a byte is not one.
    @inline(__always)
    static func hexWord(_ x: UInt64) -> UInt32? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let tops = ones &* 0x80
        guard x & tops == 0 else { return nil }
        // For each byte, 0x80 where low < byte < high (for bytes below 0x80; each byte's sums stay
        // inside it): S. E. Anderson's "Bit Twiddling Hacks", hasbetween.
        @inline(__always) func between(_ low: UInt64, _ high: UInt64) -> UInt64 {
            let seven = x & (ones &* 0x7F)
            return (ones &* (127 &+ high) &- seven) & ~x & (seven &+ ones &* (127 &- low)) & tops
        }
        guard between(0x2F, 0x3A) | between(0x60, 0x67) == tops else { return nil }
        // A digit's value is its low four bits, plus 9 for a letter (bit 6 set).
        let values = (x & (ones &* 0x0F)) &+ ((x >> 6) & ones) &* 9
        let lanes: UInt64 = 0x000F_000F_000F_000F
        var packed = (values & lanes) << 4 | (values >> 8) & lanes
        packed = (packed | packed >> 8) & 0x0000_FFFF_0000_FFFF
        packed = (packed | packed >> 16) & 0xFFFF_FFFF
        return UInt32(truncatingIfNeeded: packed)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The text of a UUID kept as its 16 bytes (`uuid`).
    static func uuidText(_ bytes: UnsafeRawBufferPointer) -> String {
        precondition(bytes.count == 16, "a UUID is kept as 16 bytes")
        return String(unsafeUninitializedCapacity: 36) { out in
            var at = 0
            for (i, byte) in bytes.enumerated() {
                if i == 4 || i == 6 || i == 8 || i == 10 {
                    out[at] = 0x2D
                    at += 1
                }
                out[at] = hexDigits[Int(byte >> 4)]
                out[at + 1] = hexDigits[Int(byte & 0xF)]
                at += 2
            }
            return at
        }
    }

    /// Days from 1970-01-01 to 1900-01-01 (negative), the first day `Timestamp.isCanonical` accepts.
    private static let epochDays = Int64(Timestamp.daysFromCivil(1900, 1, 1))
    /// Seconds from 1900-01-01 to 3000-01-01, the first day it refuses.
    private static let lastSecond: Int64 = (Int64(Timestamp.daysFromCivil(3000, 1, 1)) - epochDays) * 86400
    /// The bytes a time takes (`time`).
    static let timeBytes = 6

    /// A time as `Timestamp.iso` writes it (see `Timestamp.isCanonical`) as one number: its local
    /// seconds since 1900-01-01T00:00:00 times 2048, plus its offset from UTC in minutes (negative
    /// west of Greenwich) plus 1024; 47 bits, kept in `timeBytes` bytes. Nil for any other text.
    @inline(__always)
    static func time(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        Timestamp.isCanonical(bytes) ? time(canonical: bytes) : nil
    }

    /// The same for a time known to be one `Timestamp.isCanonical` accepts.
    @inline(__always)
    static func time(canonical bytes: UnsafeRawBufferPointer) -> UInt64 {
        @inline(__always) func number(_ i: Int, _ width: Int) -> Int {
            var v = 0
            for k in i..<(i + width) { v = v * 10 + Int(bytes[k] &- 0x30) }
            return v
        }
        let days = Int64(Timestamp.daysFromCivil(number(0, 4), number(5, 2), number(8, 2))) - epochDays
        let seconds = days * 86400 + Int64(number(11, 2) * 3600 + number(14, 2) * 60 + number(17, 2))
        let minutes = Int64(number(20, 2) * 60 + number(23, 2))
        let offset = bytes[19] == 0x2D ? -minutes : minutes
        return UInt64(seconds) << 11 | UInt64(offset + 1024)
    }

    /// Whether `word` is one `time` gives: what a block may hold.
    static func isTime(_ word: UInt64) -> Bool {
        // Years 1900 to 2999; offsets up to 14:59 either side (-00:00 has no number: 0 is +00:00).
        let offset = Int64(word & 2047) - 1024
        return word >> 11 < UInt64(lastSecond) && offset.magnitude < 15 * 60
    }

    /// The text of a time kept as `time` gives it, which `isTime` accepts.
    static func timeText(_ word: UInt64) -> String {
        precondition(isTime(word), "a kept time is checked when read")
        let local = Int64(word >> 11) + epochDays * 86400
        let offset = Int(word & 2047) - 1024
        return Timestamp.format(Date(timeIntervalSince1970: TimeInterval(local)), offset: offset * 60)
    }

    /// The value of a text of 1 to 18 decimal digits whose first is not 0 (a phone number, say),
    /// which spells the text again; nil for any other text.
    @inline(__always)
    static func digits(_ text: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard text.count >= 1, text.count <= 18, text[0] != 0x30 else { return nil }
        var value: UInt64 = 0
        for c in text {
            let d = c &- 0x30
            guard d < 10 else { return nil }
            value = value &* 10 &+ UInt64(d)
        }
        return value
    }
}
