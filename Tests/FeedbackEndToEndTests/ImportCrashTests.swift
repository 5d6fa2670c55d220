import FeedbackKit
import Foundation
import GRDB
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Imports killed with SIGKILL at random moments: after each kill the store passes integrity_check and
/// holds exactly what it held before the import or exactly what the whole import adds, never a part;
/// a rerun completes it without duplicates.
struct ImportCrashTests {
    /// What a store holds, as the checks compare it.
    struct Counts: Equatable, CustomStringConvertible {
        var responses: Int
        var imports: Int
        var distinctKeys: Int

        var description: String { "\(responses) responses, \(imports) imports, \(distinctKeys) distinct keys" }
    }

    static func counts(_ store: URL) throws -> Counts {
        let stored = try StoredResponses.all(in: store.path)
        let pool = try DatabaseQueue(path: store.path)
        return try pool.read { db in
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
            // The import's own row is written in the same transaction as its responses.
            let unfinished = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM import WHERE accepted IS NULL") ?? -1
            #expect(unfinished == 0, "an import row without its totals is visible")
            return Counts(
                responses: stored.count,
                imports: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM import") ?? -1,
                distinctKeys: Set(stored.map { $0.formId + " " + $0.key }).count)
        }
    }

    /// A file of `count` evaluations numbered from `first`, as JSON Lines or as CSV.
    static func evaluations(first: Int, count: Int, csv: Bool) -> Data {
        var text = csv ? "evaluation_id,evaluated_at,department,rating,comment\n" : ""
        text.reserveCapacity(count * 150)
        for i in first..<(first + count) {
            let day = String(format: "%02d", i % 28 + 1)
            if csv {
                text += "E\(i),2025-04-\(day)T10:00:00+08:00,市场监督管理局,\(i % 5 + 1),\"第\(i)条, 很好\"\n"
            } else {
                text +=
                    #"{"evaluation_id": "E\#(i)", "evaluated_at": "2025-04-\#(day)T10:00:00+08:00", "department": "市场监督管理局", "rating": \#(i % 5 + 1), "comment": "第\#(i)条"}"#
                    + "\n"
            }
        }
        return Data(text.utf8)
    }

    @Test func killedImportsLeaveTheStoreAsBeforeOrAfterAndARerunCompletesThem() throws {
        let scratch = try ImportCommandTests.workspace()
        let store = scratch.path("feedback.sqlite")
        let perFile = 10_000

        // The first import, run to its end, gives the time a whole import takes here; kills are spread
        // over a little more than that, so that some land before the store is opened, most in the
        // middle, and a few after the commit; trials go on until ten imports were killed while running.
        try Self.evaluations(first: 0, count: perFile, csv: false).write(to: scratch.path("file-0.jsonl"))
        let started = Date()
        let baseline = try CLI.run(["import", "file-0.jsonl", "--form", "window-evaluation"], in: scratch.url)
        let duration = Date().timeIntervalSince(started)
        #expect(baseline.status == 0, "\(baseline.stderr)")
        var expected = Counts(responses: perFile, imports: 1, distinctKeys: perFile)
        #expect(try Self.counts(store) == expected)

        var generator = SystemRandomNumberGenerator()
        var interrupted = 0
        var trial = 0
        while interrupted < 10 && trial < 24 {
            trial += 1
            let csv = trial % 3 == 0
            let file = "file-\(trial).\(csv ? "csv" : "jsonl")"
            // Each trial's file holds records of its own and, as real re-exports do, some of the last one's.
            try Self.evaluations(first: trial * perFile - 500, count: perFile + 500, csv: csv).write(to: scratch.path(file))
            let delay = Double.random(in: 0.02...(duration * 1.15), using: &generator)
            let process = try CLI.start(["import", file, "--form", "window-evaluation"], in: scratch.url)
            usleep(UInt32(delay * 1_000_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let killed = process.terminationReason == .uncaughtSignal
            if killed { interrupted += 1 }

            let before = expected
            let after = Counts(responses: before.responses + perFile, imports: before.imports + 1, distinctKeys: before.distinctKeys + perFile)
            let found = try Self.counts(store)
            #expect(
                found == before || found == after,
                "trial \(trial) (\(killed ? "killed" : "ended") after \(delay) s): \(found); before: \(before), after: \(after)")
            let rerun = try CLI.run(["import", file, "--form", "window-evaluation"], in: scratch.url)
            #expect(rerun.status == 0, "trial \(trial): \(rerun.stderr)")
            let newRecords = found == after ? 0 : perFile
            #expect(
                rerun.stderr.contains("read \(perFile + 500) = \(newRecords) accepted + \(perFile + 500 - newRecords) duplicates + 0 rejected"),
                "trial \(trial): \(rerun.stderr)")
            expected = Counts(responses: after.responses, imports: found.imports + 1, distinctKeys: after.distinctKeys)
            #expect(try Self.counts(store) == expected, "trial \(trial): after the rerun")
        }
        #expect(interrupted >= 10, "only \(interrupted) of \(trial) imports were still running when killed")
    }
}
