import Foundation
import Testing

@testable import FeedbackKit

/// The adder an import keeps its tallies with (`TallyAdder`) gives the bytes `ScoreTally` gives,
/// bit for bit, whatever the values: its floating-point sums take the same additions in the same order.
struct TallyAdderTests {
    /// The small fixture form (no recommend question), the repository's example form, and the
    /// example made wide: thirteen dimensions (past the eight values hold inline) and seventy-seven
    /// pain points (past a mask's sixty-four).
    private static func layouts() throws -> [ScoringLayout] {
        let mini = try FormDecoder(baseDirectory: Fixtures.directory).load(Fixtures.url("valid-mini.json")).get()
        let example = try Workspace.open(Fixtures.repositoryRoot).form(
            id: "enterprise-service", decoder: FormDecoder(baseDirectory: Fixtures.repositoryRoot))
        var wide = example
        let dimension = try #require(wide.questions.first { $0.role == .dimension })
        for n in 0..<9 {
            var question = dimension
            question.id = "extra_\(n)"
            question.scale = 3 + n
            wide.questions.append(question)
        }
        for n in 0..<70 {
            wide.painPoints.append(PainPoint(id: "pain-\(n)", label: LocalizedText(zh: "痛点\(n)"), description: nil, keywords: []))
        }
        return [ScoringLayout(form: mini), ScoringLayout(form: example), ScoringLayout(form: wide)]
    }

    /// Values of every kind, on and off each scale, with fractions for the floating-point sums.
    private static func randomValues(_ layout: ScoringLayout, _ random: inout SplitMix64) -> ScoringValues {
        var values = ScoringValues.none
        let pains = layout.painPoints.count
        values.overall = random.chance(10) ? nil : random.level(-1...12)
        values.dimensions = ScoringValues.Dimensions(count: layout.dimensionIndices.count) { _ in
            switch random.below(4) {
            case 0: .unanswered
            case 1: .notApplicable
            case 2: .number(Double(random.level(-1...12)))
            default: .number(Double(random.level(0...40)) / 8)
            }
        }
        values.recommend = random.chance(20) ? nil : random.level(-2...12)
        switch random.below(3) {
        case 0: values.painTicks = nil
        case 1: values.painTicks = .mask(random.next() & (pains >= 64 ? .max : (1 << UInt64(pains)) - 1))
        default: values.painTicks = .flags((0..<pains).map { _ in random.chance(30) })
        }
        switch random.below(3) {
        case 0: values.commentTags = nil
        case 1: values.commentTags = .mask(random.next() & (pains >= 64 ? .max : (1 << UInt64(pains)) - 1))
        default: values.commentTags = .list((0..<random.below(4)).map { _ in random.below(pains) })
        }
        let days: [Double?] = [nil, -1, 0, 0.5, 3, 7, 10.25, .infinity, .nan]
        values.daysTaken = days[random.below(days.count)]
        values.daysPromised = days[random.below(days.count)]
        values.trips = random.chance(15) ? nil : random.level(-1...9)
        return values
    }

    @Test(arguments: 0..<3) func addsWhatScoreTallyAdds(_ which: Int) throws {
        let layout = try Self.layouts()[which]
        let adder = TallyAdder(layout: layout)
        var random = SplitMix64(seed: 29 + UInt64(which))
        var tally = ScoreTally(form: layout)
        #expect(TallyWords.bytes(of: adder.empty) == tally.encoded)
        // As an import finds a month: a tally stored before, which it goes on adding to.
        for _ in 0..<300 { tally.add(Self.randomValues(layout, &random)) }
        var words = tally.encodedWords
        #expect(words.count == adder.words)
        for n in 1...3000 {
            var values = Self.randomValues(layout, &random)
            tally.add(values)
            withUnsafePointer(to: &values) { values in
                words.withUnsafeMutableBufferPointer { adder.add(values, to: $0.baseAddress!) }
            }
            if n % 250 == 0 {
                // The first word that differs, if any (the whole tallies make a long message).
                let differing = zip(words, tally.encodedWords).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                try #require(differing == nil, "word \(differing ?? 0) differs after \(n) responses")
                #expect(TallyWords.bytes(of: words) == tally.encoded)
            }
        }
        #expect(tally.responses == 3300)
        // The floating-point sums hold fractions, whose order of addition matters.
        #expect(tally.drivers.contains { $0.sumXY != $0.sumXY.rounded() })
        #expect(tally.efficiency.ratioSum != tally.efficiency.ratioSum.rounded())
        #expect(ScoreTally(encoded: TallyWords.bytes(of: words), layout: layout) == tally)
    }
}
