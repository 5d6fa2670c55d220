import ArgumentParser
import FeedbackKit
import Foundation

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the monthly report into reports/YYYY-MM/ and print it.",
        discussion: """
            Writes report.txt (the 通报), departments.csv, pain-points.csv, dimensions.csv and bad-reviews.csv (every 差评, personal data masked). CSV files are UTF-8 with a BOM so that Excel shows Chinese. The same store always gives byte-identical files.

            Examples:
              feedback report --month 2025-04
              feedback report --month 2025-04 --form window-evaluation --lang en --out /tmp/april
            """
    )

    @OptionGroup var workspaceOptions: WorkspaceOptions
    @OptionGroup var storeOptions: StoreOptions

    @OptionGroup var target: MonthOptions

    @Option(help: "The folder to write into (default: reports/YYYY-MM in the workspace).")
    var out: String?

    @Option(help: "zh or en.")
    var lang: String = "zh"

    @Flag(help: "Write the files without printing the report.")
    var quiet = false

    func validate() throws {
        if lang != "zh" && lang != "en" { throw ValidationError("--lang takes zh or en (got \"\(lang)\")") }
    }

    func run() throws {
        try reportingErrors {
            let workspace = try workspaceOptions.open()
            let store = try storeOptions.open(in: workspace)
            let scorer = Scorer(settings: workspace.config.scoring)
            let month = target.month
            let sections: [(score: FormScore, material: ReportMaterial)] = try target.read(in: workspace, store: store) {
                forms, reader in
                try forms.map { form in
                    (
                        try scorer.score(form: form, month: month, reader: reader),
                        try MonthlyReport.material(form: form, month: month, reader: reader)
                    )
                }
            }
            let report = MonthlyReport(month: month, settings: workspace.config.scoring, english: lang == "en", sections: sections)
            let directory =
                out.map { URL(fileURLWithPath: $0, isDirectory: true) }
                ?? workspace.reportsDirectory.appendingPathComponent(month, isDirectory: true)
            try report.write(to: directory)
            if !quiet { FileHandle.standardOutput.write(Data(report.text().utf8)) }
            Terminal().message("wrote \(directory.path)/: report.txt, departments.csv, pain-points.csv, dimensions.csv, bad-reviews.csv")
        }
    }
}
