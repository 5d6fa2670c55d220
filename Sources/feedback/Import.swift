import ArgumentParser
import FeedbackKit
import Foundation

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import responses from CSV, JSON, JSON Lines or XLSX files into the store.",
        discussion: """
            Every record is checked against the form. Valid records are stored; rejected ones are written whole to FILE.rejects.csv with their line, column and reason. Re-importing a file stores nothing twice. Each file is imported in one transaction.

            Exit status: 0 every record accepted or already stored; 2 some rejected, the rest stored; 1 a file could not be read, the form is unknown, or every record was rejected.

            Examples:
              feedback import exports/2025-04.csv --form enterprise-service
              feedback import survey.xlsx --sheet Sheet2 --form enterprise-service --dry-run
              feedback import api-dump.json --records data.items --form window-evaluation --json
            """
    )

    @OptionGroup var workspaceOptions: WorkspaceOptions
    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: "The files to import.")
    var files: [String]

    @Option(help: "The id of the form the records answer.")
    var form: String

    @Option(help: "csv, tsv, json, jsonl, xlsx or xls (default: from the file).")
    var format: String?

    @Option(help: "The text encoding of CSV files: utf-8 or gb18030 (gbk) (default: detected).")
    var encoding: String?

    @Option(help: "The sheet of a workbook to read (default: the first).")
    var sheet: String?

    @Option(help: "Where the records are in a JSON document, such as results or data.items.")
    var records: String?

    @Option(help: "Where to write rejected records (default: FILE.rejects.csv beside each input).")
    var rejects: String?

    @Flag(help: "Check and summarise; store nothing.")
    var dryRun = false

    @Flag(help: "Print the summary as JSON on stdout.")
    var json = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one file to import") }
        if rejects != nil && files.count > 1 {
            throw ValidationError(
                "--rejects names one file, so it takes one input file; leave it out to write a rejects file beside each input")
        }
        if let format, !["csv", "tsv", "json", "jsonl", "ndjson", "xlsx", "xls"].contains(format.lowercased()) {
            throw ValidationError("--format must be csv, tsv, json, jsonl, xlsx or xls (got \"\(format)\")")
        }
        if let encoding, !["utf-8", "utf8", "gb18030", "gbk", "gb2312"].contains(encoding.lowercased()) {
            throw ValidationError("--encoding must be utf-8 or gb18030 (gbk and gb2312 are read as gb18030) (got \"\(encoding)\")")
        }
    }

    func run() throws {
        let terminal = Terminal()
        let outcome: [FileImportSummary] = try reportingErrors {
            let workspace = try workspaceOptions.open()
            let form = try workspace.form(id: self.form)
            let store = try storeOptions.open(in: workspace)
            let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
            var options = ImportOptions()
            options.format = format?.lowercased()
            options.encoding = encoding?.lowercased()
            options.sheet = sheet
            options.recordsPath = records
            options.rejectsPath = rejects
            options.dryRun = dryRun
            var importer = Importer(store: store, form: form, zone: workspace.config.timezone, baseDirectory: cwd)
            var summaries: [FileImportSummary] = []
            for file in files {
                if terminal.stderrIsTerminal { importer.progress = Progress.reporter(label: file, terminal: terminal) }
                do {
                    summaries.append(try importer.importFile(URL(fileURLWithPath: file, relativeTo: cwd), options: options))
                } catch {
                    var failed = FileImportSummary(file: file, format: options.format ?? "")
                    failed.error = (error as? any LocalizedError)?.errorDescription ?? "\(error)"
                    summaries.append(failed)
                }
                if terminal.stderrIsTerminal { Progress.clear(terminal) }
            }
            return summaries
        }
        report(outcome, terminal: terminal)
        let failed = outcome.contains { $0.error != nil }
        let kept = outcome.reduce(0) { $0 + $1.accepted + $1.duplicates }
        let rejected = outcome.reduce(0) { $0 + $1.rejected }
        // Every record rejected is a failure; duplicates count as kept, they are already stored.
        if failed || (kept == 0 && rejected > 0) { throw ExitCode.failure }
        if rejected > 0 { throw ExitCode(2) }
    }

    private func report(_ summaries: [FileImportSummary], terminal: Terminal) {
        for s in summaries {
            if let error = s.error {
                terminal.error("\(error)\n  nothing of \(s.file) was stored")
                continue
            }
            var line =
                "\(s.file): read \(s.read) = \(s.accepted) accepted + \(s.duplicates) duplicate\(s.duplicates == 1 ? "" : "s") + \(s.rejected) rejected"
            if let rejectsFile = s.rejectsFile { line += " (rejected records: \(rejectsFile))" }
            terminal.message(line)
            if s.withoutTime > 0 {
                terminal.warning(
                    "\(s.withoutTime) accepted record(s) of \(s.file) carry no submission time and belong to no month; name the time column in the form's metadata.submittedAt"
                )
            }
            if !s.unmatchedColumns.isEmpty {
                let shown = s.unmatchedColumns.prefix(6).joined(separator: ", ") + (s.unmatchedColumns.count > 6 ? ", …" : "")
                terminal.message("  \(s.unmatchedColumns.count) column(s) match no question and are kept as extra data: \(shown)")
            }
        }
        if dryRun { terminal.message("dry run: nothing was stored") }
        if json {
            let totals: [(String, JSONValue)] = ["read", "accepted", "duplicates", "rejected"].map { key in
                (
                    key,
                    .int(
                        summaries.reduce(0) { total, s in
                            total
                                + (key == "read"
                                    ? s.read : key == "accepted" ? s.accepted : key == "duplicates" ? s.duplicates : s.rejected)
                        })
                )
            }
            let document = JSONValue.object(
                [("form", .string(form)), ("dryRun", .bool(dryRun)), ("files", .array(summaries.map(\.json)))] + totals)
            Terminal.output(document.serialized(pretty: true))
        }
    }
}

/// Records-per-second progress on a terminal, redrawn in place on stderr.
enum Progress {
    static func reporter(label: String, terminal: Terminal) -> @Sendable (Int) -> Void {
        let start = Date()
        return { count in
            let seconds = max(Date().timeIntervalSince(start), 0.001)
            let rate = Int(Double(count) / seconds)
            show("\(label): \(count) records (\(rate)/s)")
        }
    }

    /// Redraws the progress line in place.
    static func show(_ text: String) {
        FileHandle.standardError.write(Data("\r\(text)\u{1B}[K".utf8))
    }

    static func clear(_ terminal: Terminal) {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
