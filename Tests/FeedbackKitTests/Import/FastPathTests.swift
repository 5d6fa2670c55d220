import Foundation
import Testing

@testable import FeedbackKit

/// The hand-written fast paths of the import give what the plain Foundation code they replace gave.
struct FastPathTests {
    /// Every Unicode scalar, checked against Foundation's character sets.
    @Test func whitespacePredicatesMatchFoundationSets() {
        var mismatches: [UInt32] = []
        for v in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(v) else { continue }
            if scalar.isFoundationWhitespace != CharacterSet.whitespaces.contains(scalar) { mismatches.append(v) }
            if scalar.isFoundationWhitespaceOrNewline != CharacterSet.whitespacesAndNewlines.contains(scalar) { mismatches.append(v) }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10).map { String($0, radix: 16) })")
    }

    static let texts = [
        "", " ", "\t\n", "a", " a", "a ", "  中文  ", "\u{3000}满意\u{3000}", "\u{A0}x\u{2028}", "\r\n5分\r\n", "x\u{85}",
        "\u{2003}\u{2003}", "e\u{301} ", " \u{301}e", "🙂 ", " 🙂", "a b", "ＡＢＣ５分", "Ａ", "MiXeD Case ", "\u{FEFF}bom",
        "\u{200B}zero-width\u{200B}", "line\u{2029}", "\u{1680}ogham\u{202F}", "\u{205F}", "\u{0B}\u{0C}",
    ]

    @Test(arguments: texts) func trimmingMatchesFoundation(_ text: String) {
        #expect(text.trimmingSpaceAndNewlines() == text.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(text.trimmingSpace() == text.trimmingCharacters(in: .whitespaces))
        #expect(text.isBlankText == text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    /// fold as it was written before its fast path: scalars mapped, then trimmed by Foundation.
    static func plainFold(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            var v = scalar.value
            if (0xFF01...0xFF5E).contains(v) { v -= 0xFEE0 } else if v == 0x3000 { v = 0x20 }
            if (0x41...0x5A).contains(v) { v += 0x20 }
            scalars.append(Unicode.Scalar(v) ?? scalar)
        }
        return String(scalars).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(arguments: texts) func foldMatchesThePlainFold(_ text: String) {
        #expect(AnswerParser.fold(text) == Self.plainFold(text))
    }

    /// Foundation's Gregorian calendar, as Timestamp used it before its arithmetic by hand.
    static let gregorian: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        return calendar
    }()

    @Test func calendarArithmeticMatchesFoundationOverEveryDay() throws {
        var day = try #require(Self.gregorian.date(from: DateComponents(year: 1900, month: 1, day: 1)))
        var wrong: [String] = []
        while Self.gregorian.component(.year, from: day) < 3000 {
            let c = Self.gregorian.dateComponents([.year, .month, .day], from: day)
            let (y, m, d) = (c.year!, c.month!, c.day!)
            let days = Int(day.timeIntervalSince1970 / 86400)
            if Timestamp.daysFromCivil(y, m, d) != days || Timestamp.civilFromDays(days) != (y, m, d) { wrong.append("\(y)-\(m)-\(d)") }
            if d == 1 {
                let range = try #require(Self.gregorian.range(of: .day, in: .month, for: day))
                if Timestamp.daysInMonth(y, m) != range.count { wrong.append("length of \(y)-\(m)") }
            }
            day = day.addingTimeInterval(86400)
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
    }

    @Test(arguments: [
        ("2025-04-03T09:05:31+08:00", "2025-04-03T09:05:31+08:00"), ("2025/4/3 9:05:31", "2025-04-03T09:05:31+08:00"),
        ("2024-02-29 23:59:60", "2024-02-29T23:59:59+08:00"), ("2025-12-31T23:59:59Z", "2026-01-01T07:59:59+08:00"),
        ("1900-01-01T00:00:00-05:30", "1900-01-01T00:00:00-05:30"), ("2999-12-31", "2999-12-31T00:00:00+08:00"),
        ("2000-01-01T00:00:00Z", "2000-01-01T08:00:00+08:00"),
    ])
    func timestampsFormatAsFoundationDid(_ text: String, _ iso: String) throws {
        let t = try #require(Timestamp(text, zone: .china))
        #expect(t.iso == iso)
        let plain = try #require(Self.gregorian.date(from: DateComponents(
            year: Int(iso.prefix(4))!, month: Int(iso.dropFirst(5).prefix(2))!, day: Int(iso.dropFirst(8).prefix(2))!,
            hour: Int(iso.dropFirst(11).prefix(2))!, minute: Int(iso.dropFirst(14).prefix(2))!, second: Int(iso.dropFirst(17).prefix(2))!)))
        let sign = iso.dropFirst(19).first == "-" ? -1 : 1
        let offset = sign * (Int(iso.dropFirst(20).prefix(2))! * 3600 + Int(iso.dropFirst(23).prefix(2))! * 60)
        #expect(t.instant == plain.timeIntervalSince1970 - Double(offset))
    }

    @Test(arguments: ["2025-02-29", "2023-04-31", "2025-13-01", "1899-12-31", "3000-01-01", "2025-00-10"])
    func invalidDatesStayInvalid(_ text: String) {
        #expect(Timestamp(text, zone: .china) == nil)
    }

    @Test(arguments: ["plain", "with \"quote\"", "back\\slash", "new\nline", "tab\t", "\u{1}", "sep\u{2028}", "…省略", "中文"])
    func quotedMatchesTheScalarWriter(_ text: String) {
        var expected = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": expected += "\\\""
            case "\\": expected += "\\\\"
            case "\n": expected += "\\n"
            case "\r": expected += "\\r"
            case "\t": expected += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    expected += String(format: "\\u%04x", scalar.value)
                } else {
                    expected.unicodeScalars.append(scalar)
                }
            }
        }
        #expect(JSONWriter.quoted(text) == expected + "\"")
    }

    @Test func answersJSONMatchesJSONValue() {
        let response = Response(
            formId: "f", formVersion: 1, key: "k", submittedAt: nil, month: nil, department: nil,
            answers: [
                "b": .number(4), "a": .text("满意 \"x\""), "c": .choices(["x", "y\n"]), "d": .notApplicable, "e": .number(2.5),
                "f": .choices([]),
            ], source: "s", position: 1)
        let plain = JSONValue.object(response.answers.keys.sorted().map { ($0, response.answers[$0]!.json) }).serialized()
        #expect(response.answersJSON == plain)
        #expect(Response.decodeAnswers(response.answersJSON) == response.answers)
    }
}
