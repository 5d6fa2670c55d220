import ArgumentParser
import FeedbackKit
import Foundation

struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch new submissions from the remote sources in feedback.json.",
        discussion: """
            Each source (KoboToolbox, ODK Central, or any JSON API) keeps a cursor in the store: a fetch asks only for what is newer, and stores each page in one transaction with the cursor that covers it, so an interrupted fetch goes on where it stopped when run again. Records go through the same checks as `feedback import`; rejected ones are written to rejects/SOURCE-TIME.rejects.csv. Secrets are read from the environment variables that the sources name, and never printed. See docs/sources.md.

            Exit status: 0 every record stored or already stored; 2 some rejected; 1 a source failed (the others are still fetched).

            Examples:
              export KOBO_TOKEN=…
              feedback fetch
              feedback fetch kobo-enterprise --dry-run
              feedback fetch odk-windows --full --json
            """
    )

    @OptionGroup var workspaceOptions: WorkspaceOptions
    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: "The sources to fetch, by name (default: all).")
    var sources: [String] = []

    @Flag(help: "Ask for every submission, not only those newer than the cursor; what is stored is skipped.")
    var full = false

    @Flag(help: "Fetch and check; store nothing and leave the cursors where they are.")
    var dryRun = false

    @Flag(help: "Print the summary as JSON on stdout.")
    var json = false

    func run() throws {
        let terminal = Terminal()
        let summaries: [FetchSummary] = try reportingErrors {
            let workspace = try workspaceOptions.open()
            let chosen = try SourceSelection.choose(sources, in: workspace)
            let store = try storeOptions.open(in: workspace)
            let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
            var fetcher = Fetcher(workspace: workspace, store: store, baseDirectory: cwd)
            var options = FetchOptions()
            options.full = full
            options.dryRun = dryRun
            var summaries: [FetchSummary] = []
            for source in chosen {
                if terminal.stderrIsTerminal {
                    fetcher.progress = { p in
                        let total = p.total.map { " of \($0)" } ?? ""
                        Progress.show("\(p.source): page \(p.page), \(p.received)\(total) records")
                    }
                }
                summaries.append(fetcher.fetch(source, options: options))
                if terminal.stderrIsTerminal { Progress.clear(terminal) }
            }
            return summaries
        }
        report(summaries, terminal: terminal)
        if summaries.contains(where: { $0.error != nil }) { throw ExitCode.failure }
        if summaries.contains(where: { $0.rejected > 0 }) { throw ExitCode(2) }
    }

    private func report(_ summaries: [FetchSummary], terminal: Terminal) {
        for s in summaries {
            if s.received > 0 || s.error == nil {
                var line =
                    "\(s.source): \(s.pages) page\(s.pages == 1 ? "" : "s"), received \(s.received) = \(s.accepted) new + \(s.duplicates) already stored + \(s.rejected) rejected"
                if let rejectsFile = s.rejectsFile { line += " (rejected records: \(rejectsFile))" }
                terminal.message(line)
            }
            if let error = s.error {
                terminal.error("source \(s.source): \(error)")
            } else if let cursor = s.cursorAfter, cursor != s.cursorBefore, !dryRun {
                terminal.message("  cursor now \(cursor)")
            }
            if s.withoutTime > 0 {
                terminal.warning("\(s.withoutTime) new record(s) of \(s.source) carry no submission time and belong to no month")
            }
        }
        if dryRun { terminal.message("dry run: nothing was stored") }
        if json {
            let document = JSONValue.object([("dryRun", .bool(dryRun)), ("sources", .array(summaries.map(\.json)))])
            Terminal.output(document.serialized(pretty: true))
        }
    }
}

/// Picks sources by name, all by default, with a clear message for a name that is not there.
enum SourceSelection {
    static func choose(_ names: [String], in workspace: Workspace) throws -> [SourceConfig] {
        let all = workspace.config.sources
        if all.isEmpty {
            throw WorkspaceError("feedback.json has no \"sources\": add one as docs/sources.md shows")
        }
        if names.isEmpty { return all }
        return try names.map { name in
            if let source = all.first(where: { $0.name == name }) { return source }
            throw WorkspaceError(
                "no source named \"\(name)\" in feedback.json; the sources are: \(all.map(\.name).joined(separator: ", ")) (see `feedback sources list`)")
        }
    }
}
