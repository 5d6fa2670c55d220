import Foundation

/// A submission time as written in the data, normalised to ISO 8601 with its local offset.
public struct Timestamp: Sendable, Equatable {
    /// yyyy-MM-ddTHH:mm:ss±HH:MM in local time.
    public var iso: String
    /// Seconds since 1970-01-01T00:00:00Z: for comparing times written with different offsets.
    public private(set) var instant: Double = 0
    /// yyyy-MM of the local time: the month the response belongs to.
    public var month: String { String(iso.prefix(7)) }

    /// Reads the date-time layouts exports use: ISO 8601 (with T or a space, optional fraction
    /// and offset), 2025/4/3 9:05:31 (问卷星), 2025年4月3日 9:05, and dates alone.
    ///
    /// A time with a written offset keeps its local time as written; one in UTC ("Z") is moved
    /// to `zone`; one without an offset is taken to be in `zone`. Nil when it is not a valid time.
    public init?(_ text: String, zone: UTCOffset) {
        var s = Scanner(Array(text.trimmingCharacters(in: .whitespaces).utf8))
        guard let year = s.digits(4, 4) else { return nil }
        let separator = s.peek
        let chinese = s.take("年")
        if !chinese {
            guard separator == UInt8(ascii: "-") || separator == UInt8(ascii: "/") || separator == UInt8(ascii: ".") else { return nil }
            s.index += 1
        }
        guard let month = s.digits(1, 2) else { return nil }
        if chinese {
            guard s.take("月") else { return nil }
        } else {
            guard s.peek == separator else { return nil }
            s.index += 1
        }
        guard let day = s.digits(1, 2) else { return nil }
        if chinese { _ = s.take("日") }
        var hour = 0
        var minute = 0
        var second = 0
        var offset: Int?
        if !s.atEnd {
            guard s.peek == UInt8(ascii: "T") || s.peek == UInt8(ascii: " ") else { return nil }
            while s.peek == UInt8(ascii: " ") || s.peek == UInt8(ascii: "T") { s.index += 1 }
            guard let h = s.digits(1, 2), s.take(":"), let m = s.digits(2, 2) else { return nil }
            hour = h
            minute = m
            if s.take(":") {
                guard let sec = s.digits(2, 2) else { return nil }
                second = sec
                if s.take(".") || s.take(",") {
                    guard s.digits(1, 9) != nil else { return nil }
                }
            }
            if s.take("Z") || s.take("z") {
                offset = 0
                if !s.atEnd { return nil }
                guard let utc = Self.components(year, month, day, hour, minute, second) else { return nil }
                // UTC is not local time: move it to the zone's local time.
                let shifted = utc.addingTimeInterval(TimeInterval(zone.seconds))
                iso = Self.format(shifted, offset: zone.seconds)
                instant = utc.timeIntervalSince1970
                return
            }
            if s.peek == UInt8(ascii: "+") || s.peek == UInt8(ascii: "-") {
                let negative = s.peek == UInt8(ascii: "-")
                s.index += 1
                guard let oh = s.digits(2, 2) else { return nil }
                _ = s.take(":")
                guard let om = s.digits(2, 2), oh <= 14, om < 60 else { return nil }
                offset = (oh * 3600 + om * 60) * (negative ? -1 : 1)
            }
        }
        guard s.atEnd else { return nil }
        guard let local = Self.components(year, month, day, hour, minute, second) else { return nil }
        iso = Self.format(local, offset: offset ?? zone.seconds)
        instant = local.timeIntervalSince1970 - Double(offset ?? zone.seconds)
    }

    private static let gregorian: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        return calendar
    }()

    /// The instant of these fields read as UTC, or nil when a field is out of range (2025/13/45).
    private static func components(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) -> Date? {
        guard (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61, y >= 1900, y <= 2999 else { return nil }
        let comps = DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: min(s, 59))
        guard let date = gregorian.date(from: comps) else { return nil }
        let check = gregorian.dateComponents([.year, .month, .day], from: date)
        guard check.year == y, check.month == mo, check.day == d else { return nil }
        return date
    }

    static func format(_ date: Date, offset: Int) -> String {
        let c = gregorian.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let sign = offset < 0 ? "-" : "+"
        let a = abs(offset)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d%@%02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0,
            c.second ?? 0, sign, a / 3600, (a % 3600) / 60)
    }

    /// A calendar date alone (yyyy-MM-dd) from the same layouts, for date questions.
    public static func date(_ text: String) -> String? {
        guard let t = Timestamp(text, zone: UTCOffset(seconds: 0)) else { return nil }
        return String(t.iso.prefix(10))
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) {
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

        mutating func take(_ text: String) -> Bool {
            let t = Array(text.utf8)
            guard index + t.count <= bytes.count, Array(bytes[index..<index + t.count]) == t else { return false }
            index += t.count
            return true
        }
    }
}
