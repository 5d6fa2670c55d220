import ArgumentParser
import CurlHTTP
import FeedbackKit
import Foundation

struct Sources: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the remote sources with their cursors, and test one.",
        subcommands: [List.self, Test.self]
    )
}

extension Sources {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each source: kind, form, URL, cursor, last fetch and totals.",
            discussion: "Example:\n  feedback sources list"
        )

        @OptionGroup var workspaceOptions: WorkspaceOptions
        @OptionGroup var storeOptions: StoreOptions

        @Flag(help: "Print the list as JSON on stdout.")
        var json = false

        func run() throws {
            try reportingErrors {
                let workspace = try workspaceOptions.open()
                let sources = try SourceSelection.choose([], in: workspace)
                let store = try storeOptions.open(in: workspace)
                let states = try Fetcher(workspace: workspace, store: store, baseDirectory: workspace.root).states()
                if json {
                    let items = sources.map { source -> JSONValue in
                        let state = states[source.name]
                        return .object([
                            ("name", .string(source.name)), ("kind", .string(source.kind.rawValue)), ("form", .string(source.form)),
                            ("url", .string(URLRedaction.redact(source.url))), ("cursor", .optional(state?.cursor)),
                            ("lastFetchAt", .optional(state?.lastFetchAt)), ("lastOutcome", .optional(state?.lastOutcome)),
                            ("received", .int(state?.received ?? 0)), ("stored", .int(state?.stored ?? 0)),
                            ("rejected", .int(state?.rejected ?? 0)),
                        ])
                    }
                    Terminal.output(JSONValue.array(items).serialized(pretty: true))
                    return
                }
                var table = TextTable(columns: [
                    .init("source"), .init("kind"), .init("form"), .init("cursor"), .init("last fetch"), .init("stored", alignment: .right),
                    .init("rejected", alignment: .right), .init("url", maxWidth: 60),
                ])
                for source in sources {
                    let state = states[source.name]
                    table.append([
                        source.name, source.kind.rawValue, source.form, state?.cursor ?? "-",
                        state?.lastFetchAt.map { String($0.prefix(16)).replacingOccurrences(of: "T", with: " ") } ?? "never",
                        String(state?.stored ?? 0), String(state?.rejected ?? 0), URLRedaction.redact(source.url),
                    ])
                }
                table.render().forEach(Terminal.output)
                let terminal = Terminal()
                for source in sources {
                    if let outcome = states[source.name]?.lastOutcome, outcome != "ok" {
                        terminal.message("\(source.name): last fetch \(outcome)")
                    }
                }
            }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make one request to a source and say what it found; stores nothing.",
            discussion: """
                Asks for the first page, as a fetch from the start would, and reports the status, the records on the page, how many questions of the form their fields answer, and how the records would fare.

                Example:
                  feedback sources test kobo-enterprise
                """
        )

        @OptionGroup var workspaceOptions: WorkspaceOptions
        @OptionGroup var storeOptions: StoreOptions

        @Argument(help: "The source's name.")
        var name: String

        func run() throws {
            try reportingErrors {
                let workspace = try workspaceOptions.open()
                guard let source = try SourceSelection.choose([name], in: workspace).first else { return }
                let store = try storeOptions.open(in: workspace)
                let fetcher = Fetcher(workspace: workspace, store: store, baseDirectory: workspace.root)
                let probe = try fetcher.test(source)
                var lines = [
                    "GET \(probe.url)",
                    "  \(probe.status), \(probe.contentType ?? "no Content-Type"), \(probe.bytes) bytes",
                    "  \(probe.records) record\(probe.records == 1 ? "" : "s") on the first page"
                        + (probe.total.map { ", \($0) in all" } ?? "") + (probe.hasNextPage ? "; more pages follow" : "; no more pages"),
                    "  their fields answer \(probe.questionsMatched) of the \(probe.questionCount) questions of form \(source.form)",
                    "  of this page: \(probe.wouldAccept) new, \(probe.alreadyStored) already stored, \(probe.wouldReject) would be rejected",
                ]
                if let problem = probe.firstProblem { lines.append("  first rejection: \(problem)") }
                if let newest = probe.newest { lines.append("  newest submission on the page: \(newest)") }
                lines.forEach(Terminal.output)
            }
        }
    }
}
