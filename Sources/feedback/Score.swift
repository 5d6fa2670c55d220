import ArgumentParser
import FeedbackKit
import Foundation

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score departments for a month: indices, rates with intervals, pain points, ranking, change, drivers.",
        discussion: """
            Months are counted in the local time written in the data. Departments with fewer than suppressBelow responses are not shown, fewer than rankFrom are not ranked, fewer than cautionBelow are marked low confidence (feedback.json "scoring"). docs/scoring.md gives every formula and the JSON fields.

            Examples:
              feedback score --month 2025-04
              feedback score --month 2025-04 --form enterprise-service --format json
            """
    )

    @OptionGroup var workspaceOptions: WorkspaceOptions
    @OptionGroup var storeOptions: StoreOptions

    @OptionGroup var target: MonthOptions

    @Option(help: "text, csv or json.")
    var format: String = "text"

    @Flag(help: "English labels and headings where the forms have them.")
    var english = false

    func validate() throws {
        if !["text", "csv", "json"].contains(format) { throw ValidationError("--format takes text, csv or json (got \"\(format)\")") }
    }

    func run() throws {
        try reportingErrors {
            let workspace = try workspaceOptions.open()
            let store = try storeOptions.open(in: workspace)
            let scorer = Scorer(settings: workspace.config.scoring)
            let month = target.month
            let scores: [FormScore] = try target.read(in: workspace, store: store) { forms, reader in
                try forms.map { try scorer.score(form: $0, month: month, reader: reader) }
            }
            switch format {
            case "json":
                Terminal.output(
                    ScoreOutput.document(scores, month: month, settings: workspace.config.scoring, english: english).serialized(
                        pretty: true))
            case "csv":
                var csv = CSVWriter(escapesFormulas: true)
                csv.append(ScoreOutput.csvHeader)
                for score in scores {
                    for group in [score.district] + score.departments {
                        csv.append(ScoreOutput.csvRow(group, score: score, english: english))
                    }
                }
                FileHandle.standardOutput.write(csv.data)
            default:
                if scores.isEmpty { Terminal().message("no responses in \(month)") }
                for (i, score) in scores.enumerated() {
                    if i > 0 { Terminal.output("") }
                    ScoreOutput.text(score, english: english).forEach(Terminal.output)
                }
            }
        }
    }
}
