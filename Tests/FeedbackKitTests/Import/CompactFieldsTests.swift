import Foundation
import Testing

@testable import FeedbackKit

/// Store format v10: keys, times, months and digit texts in short form spell their texts again
/// exactly, texts of any other shape are kept as they are, and damage is refused, not a crash.
struct CompactFieldsTests {
    static func decode(_ bytes: [UInt8]) throws -> [Response] {
        var decoded: [Response] = []
        try bytes.withUnsafeBytes { try BlockCodec.forEach(in: $0) { decoded.append($0.response(formId: "f")) } }
        return decoded
    }

    static func block(_ responses: [Response]) -> [UInt8] {
        var writer = BlockCodec.Writer(keys: nil)
        for response in responses { writer.append(EncodedResponse(response)) }
        return writer.bytes
    }

    static func response(key: String, time: String?, month: String?, answers: [String: Answer] = [:]) -> Response {
        Response(
            formId: "f", formVersion: 1, key: key, submittedAt: time, month: month, department: "d", answers: answers, source: "s",
            position: 1)
    }

    /// Texts near and at the edges of each short form, and just past them.
    static let edges: [Response] = [
        response(key: "f0fe3153-838f-4e33-a198-8e695b1bf3f5", time: "2025-01-01T00:13:28+08:00", month: "2025-01"),
        // Not short: upper case, braces, a letter past f, a dash out of place, one digit short.
        response(key: "F0FE3153-838F-4E33-A198-8E695B1BF3F5", time: "1900-01-01T00:00:00+00:00", month: "1900-01"),
        response(key: "{0fe3153-838f-4e33-a198-8e695b1bf3f5}", time: "2999-12-31T23:59:59+14:59", month: "2999-12"),
        response(key: "g0fe3153-838f-4e33-a198-8e695b1bf3f5", time: "2024-02-29T12:00:00-14:59", month: "2024-02"),
        response(key: "f0fe3153838f-4e33-a198-8e695b1bf3f5-", time: "2025-03-31T23:30:00-05:30", month: "2025-04"),
        response(key: "f0fe3153-838f-4e33-a198-8e695b1bf3f", time: "2025-01-01T00:13:28Z", month: "2025-01"),
        // Times that are not as `Timestamp.iso` writes them, and months that are not a time's.
        response(key: "00000000-0000-0000-0000-000000000000", time: "2025-01-01 00:13:28", month: "2025-01"),
        response(key: "ffffffff-ffff-ffff-ffff-ffffffffffff", time: "2025-01-01T00:13:28-00:00", month: nil),
        response(key: "k", time: "1899-12-31T23:59:59+08:00", month: "1899-12"),
        response(key: "", time: "3000-01-01T00:00:00+08:00", month: "月份"),
        response(key: "长", time: nil, month: "2025-01"),
        response(key: "x", time: "2025-01-01T00:13:28+08:00", month: "2025-1"),
        response(key: "y", time: "", month: ""),
        // A month that is a time's first seven bytes, which are fewer than seven characters.
        response(key: "w", time: "长长abcdef", month: "长长a"),
        response(
            key: "z", time: nil, month: nil,
            answers: [
                "phone": .text("15864777073"), "zero": .text("0"), "lead": .text("007"), "eighteen": .text("123456789012345678"),
                "nineteen": .text("1234567890123456789"), "wide": .text("１２３"), "mixed": .text("12a"), "empty": .text(""),
                "sign": .text("-1"), "spaced": .text(" 1"), "max": .text("999999999999999999"),
            ]),
    ]

    @Test func shortFormsSpellTheirTextsAgain() throws {
        let bytes = Self.block(Self.edges)
        #expect(try Self.decode(bytes) == Self.edges)
        let (offsets, version) = try bytes.withUnsafeBytes { try BlockCodec.offsets(in: $0) }
        #expect(version == 2)
        #expect(bytes.withUnsafeBytes { b in offsets.map { BlockCodec.key(in: b, at: $0) } } == Self.edges.map(\.key))
        // The first response: version, then 0 and the key's 16 bytes, then 1 and the time's 6, then
        // 1 for the month.
        let first = Array(bytes[offsets[0]...])
        #expect(first.prefix(2) == [1, 0])
        #expect(first[2..<18] == [0xF0, 0xFE, 0x31, 0x53, 0x83, 0x8F, 0x4E, 0x33, 0xA1, 0x98, 0x8E, 0x69, 0x5B, 0x1B, 0xF3, 0xF5])
        #expect(first[18] == 1 && first[25] == 1)
        // The second's key is kept as it is: its length plus one, then its bytes.
        #expect(bytes[offsets[1] + 1] == 37)
    }

    /// A bench-shaped response takes fewer bytes than in v9: 17 for its key where it took 37, 7 for
    /// its time where it took 26, 1 for its month where it took 8, 6 for its phone number where it took 13.
    @Test func aBenchShapedResponseIsSmaller() throws {
        let r = Self.response(
            key: "2d50f1c2-b853-4f65-bd24-869db6459cca", time: "2025-01-01T00:16:32+08:00", month: "2025-01",
            answers: ["phone": .text("18165495778"), "q": .number(4)])
        let short = EncodedResponse(r).record.count
        let long = EncodedResponse(Self.response(key: "k", time: nil, month: nil, answers: ["phone": .text("x"), "q": .number(4)]))
            .record.count
        // The second has a key of 1 byte (2 with its length), no time or month (1 byte each), a text of 1 byte (2).
        #expect(short - long == (17 - 2) + (7 - 1) + (1 - 1) + (6 - 3))
    }

    @Test func uuidsReadAsFoundationWritesThem() throws {
        for _ in 0..<500 {
            let text = UUID().uuidString.lowercased()
            let bytes = Array(text.utf8)
            let words = try #require(bytes.withUnsafeBufferPointer { CompactFields.uuid($0) })
            let back = withUnsafeBytes(of: (words.0.littleEndian, words.1.littleEndian)) { CompactFields.uuidText($0) }
            #expect(back == text)
            // Any byte changed to one that is not a lowercase digit is not a UUID.
            let at = Int.random(in: 0..<36)
            for wrong in ["g", "G", "A", "/", ":", "`", "-", "é"].map({ Array($0.utf8)[0] }) where bytes[at] != wrong {
                var changed = bytes
                changed[at] = wrong
                #expect(changed.withUnsafeBufferPointer { CompactFields.uuid($0) } == nil, "\(String(decoding: changed, as: UTF8.self))")
            }
        }
    }

    /// Times against Foundation's reading of them: the kept number is the local time's seconds
    /// since 1900 and the offset, and it spells the text again.
    @Test func timesMatchFoundation() throws {
        let iso = ISO8601DateFormatter()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let y = Int.random(in: 1900...2999, using: &generator)
            let m = Int.random(in: 1...12, using: &generator)
            let d = Int.random(in: 1...Timestamp.daysInMonth(y, m), using: &generator)
            let (h, mi, s) = (Int.random(in: 0..<24), Int.random(in: 0..<60), Int.random(in: 0..<60))
            let (oh, om) = (Int.random(in: 0...14), Int.random(in: 0..<60))
            let sign = oh == 0 && om == 0 ? "+" : Bool.random() ? "+" : "-"
            func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
            let text = "\(y)-\(two(m))-\(two(d))T\(two(h)):\(two(mi)):\(two(s))\(sign)\(two(oh)):\(two(om))"
            let word = try #require(Array(text.utf8).withUnsafeBytes { CompactFields.time($0) }, "\(text)")
            #expect(CompactFields.isTime(word) && CompactFields.timeText(word) == text)
            let date = try #require(iso.date(from: text), "\(text)")
            let offset = (sign == "-" ? -1 : 1) * (oh * 60 + om)
            #expect(Int64(word & 2047) - 1024 == Int64(offset))
            #expect(Int64(word >> 11) == Int64(date.timeIntervalSince1970) + Int64(offset * 60) + 2_208_988_800, "\(text)")
        }
        for text in ["2025-02-29T00:00:00+08:00", "2025-01-01T24:00:00+08:00", "2025-01-01T00:00:00+15:00", "2025-01-01T00:00:00-00:00"] {
            #expect(Array(text.utf8).withUnsafeBytes { CompactFields.time($0) } == nil, "\(text)")
        }
    }

    /// Every byte of a block with short forms changed to each of a few values: each decodes or is
    /// refused as damaged, and none crashes (a kept time past 2999 or with an offset past 14:59, say).
    @Test func damagedShortFormsAreRefusedNotACrash() throws {
        let bytes = Self.block(Array(Self.edges.prefix(4)) + [Self.edges[14]])
        var refused = 0
        for at in 3..<bytes.count {
            for value: UInt8 in [0x00, 0x01, 0x05, 0x7F, 0x80, 0xFF] where bytes[at] != value {
                var damaged = bytes
                damaged[at] = value
                do { _ = try Self.decode(damaged) } catch is BlockCodec.Malformed { refused += 1 }
            }
        }
        #expect(refused > 0)
        // A time whose offset is 15:00 (the first response's time: after its version, the key's 0
        // and 16 bytes, and the time's 1): refused.
        let time = try bytes.withUnsafeBytes { try BlockCodec.offsets(in: $0) }.offsets[0] + 19
        var offset = bytes
        offset[time] = UInt8((1024 + 900) & 0xFF)
        offset[time + 1] = offset[time + 1] & 0xF8 | UInt8((1024 + 900) >> 8)
        #expect(throws: BlockCodec.Malformed.self) { try Self.decode(offset) }
        offset[time] = UInt8((1024 + 899) & 0xFF)
        #expect(try Self.decode(offset)[0].submittedAt == "2025-01-01T00:13:28+14:59")
    }
}
