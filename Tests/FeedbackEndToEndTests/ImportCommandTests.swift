import FeedbackKit
import Foundation
import Testing

struct ImportCommandTests {
    /// A workspace made by `feedback init` in a scratch folder.
    static func workspace() throws -> Scratch {
        let scratch = try Scratch()
        let result = try CLI.run(["init"], in: scratch.url)
        guard result.status == 0 else { throw WorkspaceError("init failed: \(result.stderr)") }
        return scratch
    }

    static let samples = CLI.repositoryRoot.appendingPathComponent("samples")

    @Test func importsTheSampleEvaluationsAndSaysWhatHappened() throws {
        let scratch = try Self.workspace()
        let input = scratch.path("evaluations.jsonl")
        try FileManager.default.copyItem(at: Self.samples.appendingPathComponent("window-evaluation-2025.jsonl"), to: input)
        let first = try CLI.run(["import", "evaluations.jsonl", "--form", "window-evaluation"], in: scratch.url)
        #expect(first.status == 2)
        #expect(
            first.stderr.contains(
                "evaluations.jsonl: read 3099 = 3092 accepted + 3 duplicates + 4 rejected (rejected records: evaluations.jsonl.rejects.csv)"
            ))
        #expect(FileManager.default.fileExists(atPath: scratch.path("evaluations.jsonl.rejects.csv").path))
        #expect(try CLI.run(["responses", "count"], in: scratch.url).stdout == "3092\n")
        #expect(try CLI.run(["responses", "count", "--month", "2025-04"], in: scratch.url).stdout == "784\n")

        let again = try CLI.run(["import", "evaluations.jsonl", "--form", "window-evaluation", "--json"], in: scratch.url)
        #expect(again.status == 2)
        let summary = try JSONParser.parse(again.stdout)
        #expect(summary["read"]?.value == .number("3099"))
        #expect(summary["accepted"]?.value == .number("0"))
        #expect(summary["duplicates"]?.value == .number("3095"))
        #expect(summary["rejected"]?.value == .number("4"))
        #expect(try CLI.run(["responses", "count"], in: scratch.url).stdout == "3092\n")
    }

    @Test func usageAndLookupErrorsSayWhatToDo() throws {
        let scratch = try Self.workspace()
        let unknown = try CLI.run(["import", "x.jsonl", "--form", "window-evaluaton"], in: scratch.url)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("did you mean \"window-evaluation\"?"))
        let missing = try CLI.run(["import", "nope.csv", "--form", "window-evaluation"], in: scratch.url)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("error: nope.csv: no such file"))
        let month = try CLI.run(["responses", "count", "--month", "../../etc"], in: scratch.url)
        #expect(month.status == 64)
        #expect(month.stderr.contains("--month must be a month written YYYY-MM"))
    }

    @Test func storeCanBeChosenWithAnOptionOrTheEnvironment() throws {
        let scratch = try Self.workspace()
        let input = Self.samples.appendingPathComponent("window-evaluation-2025.jsonl").path
        _ = try CLI.run(
            ["import", input, "--form", "window-evaluation", "--store", "other.sqlite", "--rejects", scratch.path("r.csv").path],
            in: scratch.url)
        #expect(FileManager.default.fileExists(atPath: scratch.path("other.sqlite").path))
        #expect(!FileManager.default.fileExists(atPath: scratch.path("feedback.sqlite").path))
        let viaEnvironment = try CLI.run(["responses", "count"], in: scratch.url, environment: ["FEEDBACK_STORE": "other.sqlite"])
        #expect(viaEnvironment.stdout == "3092\n")
    }
}
