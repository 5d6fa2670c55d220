import FeedbackKit
import Foundation
import GRDB
import Testing

#if canImport(Glibc)
import Glibc
#endif

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

    /// An import killed with SIGKILL at a random moment leaves the store as it was; a rerun completes it.
    @Test func importKilledHalfWayLeavesTheStoreIntactAndARerunCompletesIt() throws {
        let scratch = try Self.workspace()
        let first = scratch.path("first.jsonl")
        try Data(
            #"{"evaluation_id": "first", "evaluated_at": "2025-04-01T09:00:00+08:00", "department": "税务局", "rating": 5}"#.utf8 + [0x0A]
        ).write(to: first)
        #expect(try CLI.run(["import", "first.jsonl", "--form", "window-evaluation"], in: scratch.url).status == 0)

        let count = 40_000
        var text = ""
        text.reserveCapacity(count * 150)
        for i in 0..<count {
            text +=
                #"{"evaluation_id": "E\#(i)", "evaluated_at": "2025-04-\#(String(format: "%02d", i % 28 + 1))T10:00:00+08:00", "department": "市场监督管理局", "rating": \#(i % 5 + 1), "comment": "第\#(i)条"}"#
                + "\n"
        }
        try Data(text.utf8).write(to: scratch.path("big.jsonl"))

        var generator = SystemRandomNumberGenerator()
        for trial in 0..<3 {
            let process = try CLI.start(["import", "big.jsonl", "--form", "window-evaluation"], in: scratch.url)
            usleep(UInt32.random(in: 150_000...900_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal, "trial \(trial): the import ended before it was killed")
            let store = try SQLiteStore(path: scratch.path("feedback.sqlite").path)
            let check = try store.execute { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
            #expect(check == "ok")
            #expect(try store.read { try $0.count(ResponseFilter()) } == 1, "trial \(trial): a killed import left records behind")
        }
        let rerun = try CLI.run(["import", "big.jsonl", "--form", "window-evaluation"], in: scratch.url)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try CLI.run(["responses", "count"], in: scratch.url).stdout == "\(count + 1)\n")
        let twice = try CLI.run(["import", "big.jsonl", "--form", "window-evaluation"], in: scratch.url)
        #expect(twice.stderr.contains("read \(count) = 0 accepted + \(count) duplicates + 0 rejected"))
    }
}
