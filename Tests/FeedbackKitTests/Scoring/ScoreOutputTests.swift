import Foundation
import Testing

@testable import FeedbackKit

/// What the text and CSV forms of a score show of a suppressed department.
struct ScoreOutputTests {
    /// A score of the example enterprise-service form: 12 taxation responses this month and
    /// 3 civil-affairs ones (suppressed) after 2 the month before.
    private func makeScore() throws -> FormScore {
        let dir = try TemporaryDirectory()
        try ExampleWorkspace.write(to: dir.url, force: false)
        let workspace = try Workspace.open(dir.url)
        let form = try workspace.form(id: "enterprise-service")
        let layout = ScoringLayout(form: form)
        func tally(_ department: String, _ levels: [Int], month: String) -> ScoreTally {
            var tally = ScoreTally(form: layout)
            for (i, level) in levels.enumerated() {
                let response = Response(
                    formId: form.id, formVersion: form.version, key: "\(department)-\(month)-\(i)",
                    submittedAt: "\(month)-02T10:00:00+08:00", month: month, department: department,
                    answers: ["overall": .number(Double(level))], source: "test", position: i + 1)
                tally.add(response, layout: layout)
            }
            return tally
        }
        let current = [
            "taxation": tally("taxation", [5, 4, 4, 3, 5, 2, 4, 5, 3, 4, 4, 1], month: "2025-04"),
            "civil-affairs": tally("civil-affairs", [2, 3, 4], month: "2025-04"),
        ]
        let previous = ["civil-affairs": tally("civil-affairs", [1, 5], month: "2025-03")]
        return Scorer(settings: workspace.config.scoring).score(layout: layout, month: "2025-04", current: current, previous: previous)
    }

    @Test func textNamesSuppressedDepartmentsWithTheirCountOnly() throws {
        let score = try makeScore()
        let english = ScoreOutput.text(score, english: true)
        #expect(english.last == "Not shown (too few responses): Civil Affairs Bureau (3)")
        #expect(english.filter { $0.contains("Civil Affairs") }.count == 1)
        let chinese = ScoreOutput.text(score)
        #expect(chinese.last == "样本不足未公布：民政局 (3)")
    }

    @Test func csvRowOfASuppressedDepartmentHoldsItsCountAndNothingElse() throws {
        let score = try makeScore()
        let suppressed = try #require(score.departments.first { $0.id == "civil-affairs" })
        #expect(suppressed.publication == .suppressed)
        #expect(suppressed.change?.previousN == 2)
        let row = ScoreOutput.csvRow(suppressed, score: score)
        let filled = zip(ScoreOutput.csvHeader, row).filter { !$0.1.isEmpty }.map(\.0)
        #expect(filled == ["form", "month", "department_id", "department", "n", "publication", "low_confidence"])
    }
}
