import Foundation

/// A submission time as written in the data, normalised to ISO 8601 with its local offset.
public struct Timestamp: Sendable, Equatable {
    /// yyyy-MM-ddTHH:mm:ss±HH:MM in local time.
    public var iso: String
    /// Seconds since 1970-01-01T00:00:00Z: for comparing times written with different offsets.
    public private(set) var instant: Double = 0
    /// yyyy-MM of the local time: the month the response belongs to.
    public var month: String {
        // Through the contiguous bytes (for speed: `utf8.prefix` went byte by byte, once a record).
        iso.withUTF8Bytes { String(decoding: UnsafeBufferPointer(rebasing: $0.prefix(7)), as: UTF8.self) }
    }

    /// Reads the date-time layouts exports use: ISO 8601 (with T or a space, optional fraction
    /// and offset), 2025/4/3 9:05:31 (问卷星), 2025年4月3日 9:05, and dates alone.
    ///
    /// A time with a written offset keeps its local time as written; one in UTC ("Z") is moved
    /// to `zone`; one without an offset is taken to be in `zone`, or in UTC when `unmarkedIsUTC`
    /// (KoboToolbox's `_submission_time`) and moved to `zone` likewise. Nil when it is not a valid time.
    public init?(_ text: String, zone: UTCOffset, unmarkedIsUTC: Bool = false) {
        var trimmed = text.trimmingSpace()
        guard let read = trimmed.withUTF8({ Self.read(UnsafeRawBufferPointer($0), zone: zone, unmarkedIsUTC: unmarkedIsUTC) }) else {
            return nil
        }
        self = read
    }

    /// The same from the text's UTF-8 bytes (for speed: an import reads a time from every record
    /// of a file, as bytes; making a text of them first, then an array of its bytes, cost more than
    /// reading them).
    init?(bytes: UnsafeRawBufferPointer, zone: UTCOffset, unmarkedIsUTC: Bool = false) {
        var start = 0
        var end = bytes.count
        while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
        while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
        if start < end && (bytes[start] >= 0x80 || bytes[end - 1] >= 0x80) {
            // White space beyond ASCII may end it: trimmed as text.
            self.init(String(decoding: bytes, as: UTF8.self), zone: zone, unmarkedIsUTC: unmarkedIsUTC)
            return
        }
        guard let read = Self.read(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), zone: zone, unmarkedIsUTC: unmarkedIsUTC)
        else { return nil }
        self = read
    }

    private init(iso: String, instant: Double) {
        self.iso = iso
        self.instant = instant
    }

    /// A time from its bytes, trimmed.
    private static func read(_ bytes: UnsafeRawBufferPointer, zone: UTCOffset, unmarkedIsUTC: Bool) -> Timestamp? {
        var s = Scanner(bytes)
        guard let year = s.digits(4, 4) else { return nil }
        let separator = s.peek
        let chinese = s.take(Self.nian)
        if !chinese {
            guard separator == UInt8(ascii: "-") || separator == UInt8(ascii: "/") || separator == UInt8(ascii: ".") else { return nil }
            s.index += 1
        }
        guard let month = s.digits(1, 2) else { return nil }
        if chinese {
            guard s.take(Self.yue) else { return nil }
        } else {
            guard s.peek == separator else { return nil }
            s.index += 1
        }
        guard let day = s.digits(1, 2) else { return nil }
        if chinese { _ = s.take(Self.ri) }
        var hour = 0
        var minute = 0
        var second = 0
        var offset: Int?
        var utc = false
        if !s.atEnd {
            guard s.peek == UInt8(ascii: "T") || s.peek == UInt8(ascii: " ") else { return nil }
            while s.peek == UInt8(ascii: " ") || s.peek == UInt8(ascii: "T") { s.index += 1 }
            guard let h = s.digits(1, 2), s.take(UInt8(ascii: ":")), let m = s.digits(2, 2) else { return nil }
            hour = h
            minute = m
            if s.take(UInt8(ascii: ":")) {
                guard let sec = s.digits(2, 2) else { return nil }
                second = sec
                if s.take(UInt8(ascii: ".")) || s.take(UInt8(ascii: ",")) {
                    guard s.digits(1, 9) != nil else { return nil }
                }
            }
            if s.take(UInt8(ascii: "Z")) || s.take(UInt8(ascii: "z")) {
                if !s.atEnd { return nil }
                utc = true
            } else if s.peek == UInt8(ascii: "+") || s.peek == UInt8(ascii: "-") {
                let negative = s.peek == UInt8(ascii: "-")
                s.index += 1
                guard let oh = s.digits(2, 2) else { return nil }
                _ = s.take(UInt8(ascii: ":"))
                guard let om = s.digits(2, 2), oh <= 14, om < 60 else { return nil }
                offset = (oh * 3600 + om * 60) * (negative ? -1 : 1)
            } else {
                utc = unmarkedIsUTC
            }
        }
        guard s.atEnd else { return nil }
        if utc {
            guard let utc = Self.components(year, month, day, hour, minute, second) else { return nil }
            // UTC is not local time: move it to the zone's local time.
            let shifted = utc.addingTimeInterval(TimeInterval(zone.seconds))
            return Timestamp(iso: Self.format(shifted, offset: zone.seconds), instant: utc.timeIntervalSince1970)
        }
        guard let local = Self.components(year, month, day, hour, minute, second) else { return nil }
        return Timestamp(
            iso: Self.format(local, offset: offset ?? zone.seconds), instant: local.timeIntervalSince1970 - Double(offset ?? zone.seconds))
    }

    private static let nian = Array("年".utf8)
    private static let yue = Array("月".utf8)
    private static let ri = Array("日".utf8)

    private static let gregorian: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        return calendar
    }()

    // Calendar arithmetic by hand, for speed: Foundation's Calendar and String(format:) took 15%
    // of an import. Proleptic Gregorian days (H. Hinnant's days_from_civil), which is what
    // Foundation's Gregorian calendar gives for the years accepted here (1900-2999); a test
    // compares both over every day of those years.

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The proleptic Gregorian date of days since 1970-01-01.
    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The instant of these fields read as UTC, or nil when a field is out of range (2025/13/45).
    private static func components(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) -> Date? {
        guard (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61, y >= 1900, y <= 2999 else { return nil }
        guard d <= daysInMonth(y, mo) else { return nil }
        let seconds = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + min(s, 59)
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    static func format(_ date: Date, offset: Int) -> String {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        let days = total >= 0 ? total / 86400 : (total - 86399) / 86400
        let rest = total - days * 86400
        let (y, mo, d) = civilFromDays(days)
        let a = abs(offset)
        // Written straight into the string's own storage (for speed: one per imported record).
        return String(unsafeUninitializedCapacity: 25) { out in
            var at = 0
            func put(_ n: Int, _ width: Int) {
                var v = n
                for k in stride(from: width - 1, through: 0, by: -1) {
                    out[at + k] = UInt8(0x30 + v % 10)
                    v /= 10
                }
                at += width
            }
            func put(byte: UInt8) {
                out[at] = byte
                at += 1
            }
            put(y, 4)
            put(byte: 0x2D)
            put(mo, 2)
            put(byte: 0x2D)
            put(d, 2)
            put(byte: 0x54)
            put(rest / 3600, 2)
            put(byte: 0x3A)
            put(rest % 3600 / 60, 2)
            put(byte: 0x3A)
            put(rest % 60, 2)
            put(byte: offset < 0 ? 0x2D : 0x2B)
            put(a / 3600, 2)
            put(byte: 0x3A)
            put(a % 3600 / 60, 2)
            return at
        }
    }

    /// Whether `bytes` are a time as `iso` writes it, which reading them gives back as it is: 25
    /// bytes, yyyy-MM-ddTHH:mm:ss±HH:MM, a valid date of 1900-2999, seconds below 60, an offset
    /// up to 14 hours and not written "-00:00". The lean path of an import copies such a time as
    /// it is (for speed: reading it and writing it back cost about 2,000 instructions a record).
    static func isCanonical(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count == 25 else { return false }
        @inline(__always) func digit(_ i: Int) -> Int? {
            let d = Int(bytes[i]) &- 0x30
            return d >= 0 && d <= 9 ? d : nil
        }
        @inline(__always) func number(_ i: Int, _ width: Int) -> Int? {
            var v = 0
            for k in i..<(i + width) {
                guard let d = digit(k) else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x54, bytes[13] == 0x3A, bytes[16] == 0x3A, bytes[22] == 0x3A,
            bytes[19] == 0x2B || bytes[19] == 0x2D,
            let y = number(0, 4), let mo = number(5, 2), let d = number(8, 2), let h = number(11, 2), let mi = number(14, 2),
            let sec = number(17, 2), let oh = number(20, 2), let om = number(23, 2)
        else { return false }
        guard y >= 1900, y <= 2999, (1...12).contains(mo), d >= 1, d <= daysInMonth(y, mo), h < 24, mi < 60, sec < 60, oh <= 14, om < 60
        else { return false }
        return bytes[19] == 0x2B || oh > 0 || om > 0
    }

    /// A calendar date alone (yyyy-MM-dd) from the same layouts, for date questions.
    public static func date(_ text: String) -> String? {
        guard let t = Timestamp(text, zone: UTCOffset(seconds: 0)) else { return nil }
        return String(t.iso.prefix(10))
    }

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(_ bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
        }

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func digits(_ minCount: Int, _ maxCount: Int) -> Int? {
            var value = 0
            var count = 0
            while count < maxCount, index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                value = value * 10 + Int(bytes[index] - 0x30)
                index += 1
                count += 1
            }
            return count >= minCount ? value : nil
        }

        /// One ASCII byte (for speed: the String overload below allocates an array per call).
        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// The bytes of a text, such as `Timestamp.nian` (for speed: no array made per call).
        mutating func take(_ t: [UInt8]) -> Bool {
            guard index + t.count <= bytes.count else { return false }
            for k in t.indices where bytes[index + k] != t[k] { return false }
            index += t.count
            return true
        }
    }
}
