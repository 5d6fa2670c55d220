import Foundation
import Testing

@testable import FeedbackKit

/// The report's quoted comments compare texts by their bytes where every comment and department of
/// the month is made of simple scalars, and as `String`s otherwise. These check that the bytes give
/// the `String` answers, and that a report is the same either way.
struct TextRulesTests {
    /// Simple texts that differ, share prefixes, repeat, and tie in length.
    static let simpleTexts: [String] = {
        var texts = [
            "", "a", "A", "ab", "abc", "排队", "排队时间长", "排队时间长，窗口少", "排队时间长，窗口少。", "材料繁琐", "材料繁琐！！",
            "ＡＢＣ材料", "Ａ", "　开头全角空格", "tab\tinside", "line\nbreak", "办事指南写得不清楚需要跑多次", "办事指南写得不清楚需要跑多趟",
            "12345678", "1234567８", "〔2025〕第3号文件要求的材料", "~!@#$%^&*()_+", "中梗阻慢作为推诿扯皮多头跑",
        ]
        var rng = SplitMix64(seed: 7)
        let pool = Array("排队窗口材料繁琐推诿扯皮慢作为中梗阻多头跑，。！？（）ＡＢ１２ab12 ")
        // Lengths up to 80 characters, longer than the sample's comments, so that these are quoted;
        // many of one length, so that ties are ordered by text.
        for _ in 0..<300 {
            texts.append(String((0..<Int(rng.next() % 81)).map { _ in pool[Int(rng.next() % UInt64(pool.count))] }))
        }
        return texts
    }()

    @Test func bytesGiveTheStringAnswersForSimpleTexts() {
        let bytes = TextRules(simple: true)
        let strings = TextRules(simple: false)
        #expect(Self.simpleTexts.allSatisfy(TextRules.isSimple))
        for a in Self.simpleTexts {
            #expect(bytes.length(a) == strings.length(a), "\(a)")
            for b in Self.simpleTexts {
                #expect(bytes.equal(a, b) == strings.equal(a, b), "\(a) \(b)")
                #expect(bytes.less(a, b) == strings.less(a, b), "\(a) \(b)")
                #expect(bytes.hasPrefix(a, b) == strings.hasPrefix(a, b), "\(a) \(b)")
            }
        }
        var set = TextRules.Set(bytes)
        #expect(set.insert("排队") && !set.insert("排队") && set.contains("排队") && !set.contains("排"))
    }

    /// One text that is not simple (a combining mark, a compatibility ideograph that NFC maps to
    /// another, a curly quote) sends the whole month the `String` way.
    @Test(arguments: ["cafe\u{301} 排队太久了啊", "\u{F900}有此理排队太久", "“排队”时间太长了"])
    func oneTextThatIsNotSimpleComparesAllAsStrings(text: String) {
        var material = ReportMaterial()
        material.comments["queue"] = [("办事大厅", "排队时间长，窗口少"), ("办事大厅", text)]
        #expect(!TextRules(material).simple)
        material.comments["queue"]?.removeLast()
        #expect(TextRules(material).simple)
        #expect(!TextRules(material, byBytes: false).simple)
        material.comments["queue"] = [(text, "排队时间长，窗口少")]
        #expect(!TextRules(material).simple)
    }

    /// The report of the sample, with many more simple comments under its pain points (repeats,
    /// prefixes, ties), is the same compared by bytes and as strings; and canonically equal texts of
    /// other bytes are quoted once.
    @Test func reportsAreTheSameEitherWay() throws {
        let bench = try ImportBench(exampleForm: "enterprise-service")
        try bench.run(ReportDigestTests.sample)
        let month = try #require(try ReportDigestTests.months(bench).first)
        let (score, material) = try bench.store.read { reader in
            (
                try Scorer(settings: ScoringSettings()).score(form: bench.form, month: month, reader: reader),
                try MonthlyReport.material(form: bench.form, month: month, reader: reader)
            )
        }
        var simple = material
        let departments = ["办事大厅", "市场监管局", "税务局", "Ａ局"]
        for (i, id) in bench.form.painPoints.map(\.id).enumerated() {
            simple.comments[id, default: []] += Self.simpleTexts.enumerated().map { (departments[($0.offset + i) % 4], $0.element) }
        }
        simple.comments = simple.comments.mapValues { $0.filter { TextRules.isSimple($0.text) && TextRules.isSimple($0.department) } }
        #expect(TextRules(simple).simple)
        func text(_ material: ReportMaterial, byBytes: Bool) -> String {
            var report = MonthlyReport(month: month, settings: ScoringSettings(), english: false, sections: [(score, material)])
            report.textsByBytes = byBytes
            return report.text()
        }
        let quoted = text(simple, byBytes: true)
        #expect(quoted == text(simple, byBytes: false))
        // The added comments are what is quoted.
        #expect(quoted != text(material, byBytes: true))

        // Twins: one comment under every pain point, composed and decomposed; quoted once.
        var twins = simple
        for id in bench.form.painPoints.map(\.id) {
            twins.comments[id] = [("税务局", "Caf\u{E9} 的窗口排队时间太长了太长了太长了"), ("税务局", "Cafe\u{301} 的窗口排队时间太长了太长了太长了")]
        }
        #expect(!TextRules(twins).simple)
        let report = text(twins, byBytes: true)
        #expect(report.components(separatedBy: "的窗口排队时间太长了").count == 2, "\(report)")
    }
}
