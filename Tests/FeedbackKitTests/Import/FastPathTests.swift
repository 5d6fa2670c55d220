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
        "材料繁琐，跑了三趟！", "ＡＰＰ卡顿；ｏｋ～", "\u{FF00}\u{FF01}\u{FF3F}\u{FF40}\u{FF5E}\u{FF5F}\u{FF60}", "全角空格\u{3000}中",
        "\u{3001}\u{3000}\u{2FFF}", "@[`{", "ZAz", "端\u{FF3A}", "\u{FF21}\u{FF3A}\u{FF41}\u{FF5A}", "\u{EFBC}\u{E380}",
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

    /// Whether text is made of simple scalars, read from its bytes, agrees with the scalars' own
    /// test for every scalar, alone and between others.
    @Test func simpleTextByItsBytesMatchesByItsScalars() {
        var mismatches: [UInt32] = []
        for v in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(v) else { continue }
            for var text in [String(Character(scalar)), "中" + String(Character(scalar)) + "a"] {
                let byScalars = text.unicodeScalars.allSatisfy(ScoringLayout.isSimple)
                if text.withUTF8({ ScoringLayout.isSimple($0) }) != byScalars { mismatches.append(v) }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10).map { String($0, radix: 16) })")
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

    @Test(arguments: [
        "plain", "with \"quote\"", "back\\slash", "new\nline", "tab\t", "\u{1}", "sep\u{2028}", "…省略", "中文", "", "\u{2029}end",
        "“引号”\r\n", "\u{1F}\u{7F}\u{0}", "\u{2027}\u{202A}€", "\u{E2}", "🙂\\\"", "\u{2028}\u{2028}", "a\u{2028}", "\u{E2}\u{80}",
    ])
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
        var appended: [UInt8] = [0x2C]
        JSONWriter.appendQuoted(text, to: &appended)
        #expect(appended == [0x2C] + Array((expected + "\"").utf8))
    }

    /// A response with an answer of every kind, and text that needs escapes.
    static let sampleAnswers = Response(
        formId: "f", formVersion: 1, key: "k", submittedAt: nil, month: nil, department: nil,
        answers: [
            "b": .number(4), "a": .text("满意 \"x\""), "c": .choices(["x", "y\n"]), "d": .notApplicable, "e": .number(2.5),
            "f": .choices([]),
        ], source: "s", position: 1)

    @Test func answersJSONMatchesJSONValue() {
        let response = Self.sampleAnswers
        let plain = JSONValue.object(response.answers.keys.sorted().map { ($0, response.answers[$0]!.json) }).serialized()
        #expect(response.answersJSON == plain)
        #expect(Response.decodeAnswers(response.answersJSON) == response.answers)
    }

    /// A response's answers as a block keeps them.
    static func compactAnswers(_ response: Response, keys: AnswerKeys?) -> [UInt8] {
        var out: [UInt8] = []
        response.appendCompactAnswers(keys: keys, to: &out)
        return out
    }

    /// Remembered outcomes are the outcomes of parsing again: for every question of a real form,
    /// over values that repeat, values that are invalid, and more distinct values than are kept.
    @Test func rememberedParsesMatchParsingAgain() throws {
        let form = try ImportBench(exampleForm: "enterprise-service").form
        let departments = DepartmentIndex(form.departments)
        var values = ["", " ", "5", "5分", "非常满意", "不适用", "(跳过)", "-3", "市监局", "A┋B", "其他〖x〗", "2025-04-03", "abc", "7", "3.0"]
        // Around the texts remembered by their value ("0" to "999" without a leading zero).
        values += ["0", "00", "05", "007", "999", "1000", "0999", "5 ", " 5", "٥", "５", "+5", "1e2"]
        values += (0..<(AnswerParser.rememberedLimit + 50)).map { String($0 % 9000) }
        for question in form.questions {
            let remembering = AnswerParser(question: question, departments: departments)
            let plain = AnswerParser(question: question, departments: departments)
            for value in values + values.reversed() {
                #expect(remembering.parseRemembering(.text(value)) == plain.parse(.text(value)), "\(question.id): \(value)")
            }
        }
    }

    /// A text question's answers are remembered on trial: one whose answers seldom repeat stops
    /// remembering after `textTrial` lookups, one whose answers repeat keeps on; both answer as
    /// parsing again does, by text and by bytes, before and after the trial.
    @Test func textAnswersAreRememberedOnlyWhileTheyRepeat() throws {
        let form = try ImportBench(exampleForm: "enterprise-service").form
        let question = try #require(form.questions.first { $0.type == .text })
        let departments = DepartmentIndex(form.departments)
        let plain = AnswerParser(question: question, departments: departments)
        // One parser by bytes and one by text for each kind of column.
        let unique = (0..<2).map { _ in AnswerParser(question: question, departments: departments) }
        let repeating = (0..<2).map { _ in AnswerParser(question: question, departments: departments) }
        for i in 0..<(AnswerParser.textTrial + 100) {
            let fresh = i % 3 == 0 ? " 电话\(i) " : "139\(i)"
            let again = ["", "材料繁琐", " 5 ", String(i % 50)][i % 4]
            for (parsers, value) in [(unique, fresh), (repeating, again)] {
                var text = value
                let byBytes = text.withUTF8 { parsers[0].parseRemembering(bytes: UnsafeRawBufferPointer($0)) }
                #expect(byBytes == plain.parse(.text(value)), "\(value)")
                #expect(parsers[1].parseRemembering(.text(value)) == plain.parse(.text(value)), "\(value)")
            }
        }
        #expect(unique.allSatisfy { !$0.remembersAnswers })
        #expect(repeating.allSatisfy { $0.remembersAnswers })
    }

    /// The lookup that ends a trial may find an outcome that the trial then forgets, with every
    /// other: it is answered all the same, as parsing again answers it.
    @Test func aTrialThatEndsOnARepeatStillAnswers() throws {
        let form = try ImportBench(exampleForm: "enterprise-service").form
        let question = try #require(form.questions.first { $0.type == .text })
        let departments = DepartmentIndex(form.departments)
        let plain = AnswerParser(question: question, departments: departments)
        let parser = AnswerParser(question: question, departments: departments, blockNumber: 3)
        func lookUp(_ text: String) -> (ParsedAnswer, [UInt8]?) {
            var text = text
            return text.withUTF8 { parser.withOutcome(bytes: UnsafeRawBufferPointer($0)) { ($0, $1.map(Array.init)) } }
        }
        for i in 0..<(AnswerParser.textTrial - 1) { _ = lookUp("139\(i)") }
        #expect(parser.remembersAnswers)
        // The trial's last lookup, a text met before: one hit in all, so the trial forgets.
        let (parsed, encoding) = lookUp("1390")
        #expect(!parser.remembersAnswers)
        #expect(parsed == plain.parse(.text("1390")))
        #expect(encoding == nil)
        let (after, _) = lookUp("1391")
        #expect(after == plain.parse(.text("1391")))
    }

    /// Keys by bytes: equal bytes are one key, canonically equal texts of other bytes are two.
    @Test func utf8KeysCompareBytes() {
        let composed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        #expect(composed == decomposed)
        #expect(UTF8Key(composed) != UTF8Key(decomposed))
        #expect(UTF8Key(composed) == UTF8Key(String(decoding: Array(composed.utf8), as: UTF8.self)))
        let table: [UTF8Key: Int] = [UTF8Key(composed): 1, UTF8Key(decomposed): 2, UTF8Key("中文"): 3, UTF8Key(""): 4]
        #expect(table.count == 4)
        #expect(table[UTF8Key("中" + "文")] == 3)
        #expect(table[UTF8Key("")] == 4)
    }

    /// `withUTF8Bytes` reads a string's bytes as `utf8` gives them, short (kept inline) or long,
    /// and passes on what the body returns, nil included.
    @Test func utf8BytesReadInPlaceAreTheString() {
        for text in ["", "a", "d39", "中文", "2025-01-01T00:13:28+08:00", "工业和信息化局告知单写得很清楚", String(repeating: "材料繁琐", count: 40)] {
            #expect(text.withUTF8Bytes { Array($0) } == Array(text.utf8))
        }
        let none: Int? = "abc".withUTF8Bytes { _ in nil }
        #expect(none == nil)
        #expect("abc".withUTF8Bytes { Optional($0.count) } == 3)
        #expect(PersonalData.maskMobile("13812345678") == "138****5678")
        #expect(PersonalData.maskMobile("1381234567") == nil)
    }

    /// What the direct binding stores reads back as it was: empty texts stay empty (not NULL),
    /// absent ones NULL, and texts with quotes or Chinese keep every byte. A key with a NUL byte is
    /// told apart from the same key cut at the NUL (GRDB's own binding stopped at it).
    @Test func directlyBoundResponsesReadBackAsTheyWere() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fastpath-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("store.sqlite").path)
        let responses = [
            Response(
                formId: "f", formVersion: 1, key: "", submittedAt: nil, month: nil, department: nil, answers: [:], source: "",
                position: 0),
            Response(
                formId: "f", formVersion: 2, key: "k1", submittedAt: "2025-04-03T09:05:31+08:00", month: "2025-04", department: "市场监管",
                answers: ["a": .text("a\u{0}b \"引号\""), "b": .number(-3.25), "c": .choices(["", "x"])], otherText: ["c": ""],
                extra: [("列", "")], source: "文件.csv", position: Int(Int32.max) + 5),
        ]
        let stored = try store.write { writer in
            let id = try writer.beginImport(formId: "f", source: "test", startedAt: "2025-04-03T09:05:31+08:00")
            var withNUL = responses[1]
            withNUL.key = "k\u{0}2"
            return try (responses + [withNUL]).map { try writer.insert(EncodedResponse($0), importId: id) }
        }
        #expect(stored == [true, true, true])
        let read = try store.read { reader in
            var all: [Response] = []
            try reader.forEach(ResponseFilter(formId: "f"), limit: 2) { all.append($0.response) }
            let found = try ["", "k\u{0}2", "k"].map { try reader.contains(formId: "f", key: $0) }
            return (all, found[0], found[1], found[2])
        }
        #expect(read.0 == responses)
        #expect(read.1 && read.2 && !read.3)
    }

    /// The answers by question index that the mapper makes are the response's answers: read by
    /// index for the form they were made for, by id for any other, and replaced by a dictionary
    /// when the answers are changed.
    @Test func answerSlotsAreTheAnswersAndServeTheirFormByIndex() throws {
        let form = try FormDecoder(baseDirectory: Fixtures.directory).load(Fixtures.url("valid-mini.json")).get()
        // Questions: department, overall, speed, problems, comment.
        var response = Response(
            formId: form.id, formVersion: form.version, key: "k", submittedAt: nil, month: nil, department: nil,
            slots: AnswerSlots(form: form, values: [nil, .number(4), nil, .choices(["慢", "乱"]), .text("好")]), otherText: [:],
            extra: [], source: "", position: 1)
        #expect(response.answers == ["overall": .number(4), "problems": .choices(["慢", "乱"]), "comment": .text("好")])
        let layout = ScoringLayout(form: form)
        #expect(AnswerLookup(response, shape: FormShape(form))["overall", 1] == .number(4))
        // By index, the lookup reads whatever the index holds: for another form, it goes by id.
        #expect(AnswerLookup(response, shape: FormShape(form))["overall", 4] == .text("好"))
        var other = form
        other.version += 1
        #expect(AnswerLookup(response, shape: FormShape(other))["overall", 4] == .number(4))
        #expect(ScoringValues(response, layout: layout, commentTags: nil).overall == 4)
        // A block's answers walked by index are those written from the answers by id, numbered by
        // the form's ids; answers under other ids name theirs, and every answer reads back.
        var byId = response
        byId.answers = response.answers
        #expect(byId.slots == nil)
        let keys = AnswerKeys(form: form)
        #expect(Self.compactAnswers(response, keys: keys) == Self.compactAnswers(byId, keys: keys))
        var extra = byId
        extra.answers["zz"] = .text("x")
        extra.answers["a"] = .notApplicable
        for (r, keys) in [(response, keys), (byId, nil), (extra, keys), (extra, nil)] as [(Response, AnswerKeys?)] {
            let writer = BlockCodec.Writer(keys: keys)
            var block = writer.bytes
            block += BlockCodec.record(
                formVersion: 1, key: "k", submittedAt: nil, month: nil, department: nil, other: nil, extra: nil
            ) { r.appendCompactAnswers(keys: keys, to: &$0) }
            block += [1, 2]  // source "", position 1
            var decoded: [Response] = []
            try block.withUnsafeBytes { try BlockCodec.forEach(in: $0) { decoded.append($0.response(formId: form.id)) } }
            #expect(decoded.map(\.answers) == [r.answers])
        }
        // Numbered, the answers are shorter than when each names its id.
        #expect(Self.compactAnswers(response, keys: keys).count < Self.compactAnswers(response, keys: nil).count)
        response.answers["overall"] = .number(3)
        #expect(response.slots == nil)
        #expect(response.answers == ["overall": .number(3), "problems": .choices(["慢", "乱"]), "comment": .text("好")])
        #expect(ScoringValues(response, layout: layout, commentTags: nil).overall == 3)
    }

    /// A ticked answer's pain points, found by the bytes of each value, are those its choices count
    /// for; a value only canonically equal to a choice counts as the choice, as a String would.
    @Test func painPointMasksAreTheChoicesTicked() throws {
        var form = try FormDecoder(baseDirectory: Fixtures.directory).load(Fixtures.url("valid-mini.json")).get()
        let problems = try #require(form.questions.firstIndex { $0.id == "problems" })
        form.painPoints.append(PainPoint(id: "paperwork", label: LocalizedText(zh: "材料繁琐"), description: nil, keywords: []))
        // "é" precomposed; the answers below spell it as "e" and a combining accent.
        form.questions[problems].choices[1].value = "caf\u{E9}"
        form.questions[problems].choices[1].painPoint = "paperwork"
        let layout = ScoringLayout(form: form)
        #expect(layout.tickMask([]) == 0)
        #expect(layout.tickMask(["slow"]) == 0b01)
        #expect(layout.tickMask(["caf\u{E9}"]) == 0b10)
        #expect(layout.tickMask(["cafe\u{301}"]) == 0b10)
        #expect(layout.tickMask(["slow", "cafe\u{301}", "other"]) == 0b11)
        #expect(layout.tickMask(["other", "Slow"]) == 0)
    }

    /// The scoring values read the pain-point answer through one mask (`AnswerLookup.mask`), whose
    /// top bits say "not applicable" and "a list of choices": each kind of answer gives what it gave
    /// before, and only a list of choices is listed as ticked in the material.
    @Test func painPointAnswersOfEachKindGiveTheirTicks() throws {
        let form = try FormDecoder(baseDirectory: Fixtures.directory).load(Fixtures.url("valid-mini.json")).get()
        let layout = ScoringLayout(form: form)
        func values(_ answer: Answer?) -> ScoringValues {
            var answers: [String: Answer] = ["overall": .number(2)]
            answers["problems"] = answer
            let response = Response(
                formId: form.id, formVersion: form.version, key: "k", submittedAt: nil, month: nil, department: nil, answers: answers,
                source: "test", position: 1)
            return ScoringValues(response, layout: layout, commentTags: nil)
        }
        func mask(_ values: ScoringValues) -> UInt64? {
            if case .mask(let mask) = values.painTicks { mask } else { nil }
        }
        let slow = try #require(layout.tickMask(["slow"]))
        #expect(slow != 0)
        #expect(mask(values(.choices(["slow"]))) == slow)
        #expect(values(.choices(["slow"])).ticksAreChoices)
        #expect(mask(values(.choices([]))) == 0)
        #expect(values(.choices([])).ticksAreChoices)
        #expect(mask(values(.text("slow"))) == slow)
        #expect(!values(.text("slow")).ticksAreChoices)
        #expect(mask(values(.number(1))) == 0)
        #expect(values(.notApplicable).painTicks == nil)
        #expect(!values(.notApplicable).ticksAreChoices)
        #expect(values(nil).painTicks == nil)
        #expect(values(.choices(["slow"])).overall == 2)
    }

    /// A comment's tags are kept as a mask while every pain point is below 64, else as the list;
    /// a tally counts the same mentions from either.
    @Test func commentTagsCountTheSameAsAMaskOrAList() throws {
        func mask(_ tags: ScoringValues.CommentTags) -> UInt64? {
            if case .mask(let mask) = tags { mask } else { nil }
        }
        #expect(mask(ScoringValues.CommentTags([])) == 0)
        #expect(mask(ScoringValues.CommentTags([0, 2, 63])) == (1 | 4 | 1 << 63 as UInt64))
        #expect(mask(ScoringValues.CommentTags([1, 64])) == nil)

        var form = try FormDecoder(baseDirectory: Fixtures.directory).load(Fixtures.url("valid-mini.json")).get()
        form.painPoints.append(PainPoint(id: "paperwork", label: LocalizedText(zh: "材料繁琐"), description: nil, keywords: []))
        let layout = ScoringLayout(form: form)
        try #require(layout.painPoints.count == 2)
        let response = Response(
            formId: form.id, formVersion: form.version, key: "k", submittedAt: nil, month: nil, department: nil,
            answers: ["overall": .number(2), "comment": .text("x")], source: "test", position: 1)
        var values = ScoringValues(response, layout: layout, commentTags: [])
        var byMask = ScoreTally(form: layout)
        var byList = ScoreTally(form: layout)
        values.commentTags = ScoringValues.CommentTags([0, 1])
        byMask.add(values)
        values.commentTags = .list([0, 1])
        byList.add(values)
        #expect(byMask == byList)
        #expect(byMask.comments == 1)
        #expect(byMask.commentMentions.prefix(2) == [1, 1])
        values.commentTags = nil
        byMask.add(values)
        #expect(byMask.comments == 1)
    }
}
