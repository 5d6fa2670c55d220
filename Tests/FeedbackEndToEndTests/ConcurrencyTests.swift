import FeedbackKit
import Foundation
import GRDB
import Synchronization
import Testing

/// Commands run at once against one store: both succeed (a writer waits for the other, and says so),
/// and the store stays consistent.
struct ConcurrencyTests {
    /// Runs each command line at the same moment, each on its own thread, and returns their results in order.
    static func together(_ commands: [[String]], in directory: URL) -> [Result<CLI.Result, any Error>] {
        let results = Mutex<[Int: Result<CLI.Result, any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: commands.count) { i in
            let result = Result { try CLI.run(commands[i], in: directory) }
            results.withLock { $0[i] = result }
        }
        return results.withLock { all in (0..<commands.count).map { all[$0]! } }
    }

    /// The totals an import prints: "read N = A accepted + D duplicates + R rejected".
    static func totals(_ stderr: String) -> [Int]? {
        guard let line = stderr.split(separator: "\n").first(where: { $0.contains(": read ") }) else { return nil }
        let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        return numbers.count >= 4 ? Array(numbers.suffix(4)) : nil
    }

    @Test func twoImportsIntoOneNewStoreBothSucceedAndStoreEachResponseOnce() throws {
        let scratch = try ImportCommandTests.workspace()
        // Two exports that share 5,000 responses, imported at once into a store neither has created yet.
        try ImportCrashTests.evaluations(first: 0, count: 15_000, csv: true).write(to: scratch.path("a.csv"))
        try ImportCrashTests.evaluations(first: 10_000, count: 15_000, csv: false).write(to: scratch.path("b.jsonl"))
        let results = Self.together(
            [["import", "a.csv", "--form", "window-evaluation"], ["import", "b.jsonl", "--form", "window-evaluation"]], in: scratch.url)
        var accepted = 0
        var duplicates = 0
        for result in results {
            let run = try result.get()
            #expect(run.status == 0, "\(run.stderr)")
            let totals = try #require(Self.totals(run.stderr), "\(run.stderr)")
            #expect(totals[0] == 15_000 && totals[3] == 0)
            accepted += totals[1]
            duplicates += totals[2]
        }
        // Whichever ran second found the shared responses already stored.
        #expect(accepted == 25_000)
        #expect(duplicates == 5_000)

        let db = try DatabaseQueue(path: scratch.path("feedback.sqlite").path)
        try db.read { (db: Database) throws in
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
            #expect(try Int.fetchOne(db, sql: "SELECT SUM(accepted) FROM import") == 25_000)
        }
        let stored = try StoredResponses.all(in: scratch.path("feedback.sqlite").path)
        #expect(stored.count == 25_000)
        #expect(Set(stored.map(\.key)).count == 25_000)
    }

    @Test func aWriterThatMustWaitSaysSoAndGoesOnWhenTheStoreIsFree() throws {
        let scratch = try ImportCommandTests.workspace()
        try ImportCrashTests.evaluations(first: 0, count: 100, csv: false).write(to: scratch.path("a.jsonl"))
        #expect(try CLI.run(["import", "a.jsonl", "--form", "window-evaluation"], in: scratch.url).status == 0)
        // Another program holds the write lock for two seconds.
        let db = try DatabaseQueue(path: scratch.path("feedback.sqlite").path)
        let holding = Thread {
            try? db.inTransaction(.immediate) { _ in
                Thread.sleep(forTimeInterval: 2)
                return .commit
            }
        }
        holding.start()
        Thread.sleep(forTimeInterval: 0.3)
        try ImportCrashTests.evaluations(first: 100, count: 100, csv: false).write(to: scratch.path("b.jsonl"))
        let started = Date()
        let waiting = try CLI.run(["import", "b.jsonl", "--form", "window-evaluation"], in: scratch.url)
        #expect(waiting.status == 0, "\(waiting.stderr)")
        #expect(Date().timeIntervalSince(started) > 1)
        #expect(waiting.stderr.contains("waiting for another feedback command to finish writing to \(scratch.path("feedback.sqlite").path)"))
        #expect(waiting.stderr.contains("read 100 = 100 accepted + 0 duplicates + 0 rejected"))
    }

    @Test func aReportDuringAnImportSeesTheStoreWhollyBeforeOrWhollyAfterIt() throws {
        let scratch = try ReportCommandTests.workspaceWithSamples()
        // The import adds April 2025 evaluations of one department, which moves its row of the ranking.
        try ImportCrashTests.evaluations(first: 0, count: 20_000, csv: false).write(to: scratch.path("april.jsonl"))
        let report = ["report", "--month", "2025-04", "--quiet"]
        #expect(try CLI.run(report + ["--out", "before"], in: scratch.url).status == 0)
        let before = try Data(contentsOf: scratch.path("before/departments.csv"))

        let importing = try CLI.start(["import", "april.jsonl", "--form", "window-evaluation"], in: scratch.url)
        var during: [Data] = []
        var startedWhileImporting = 0
        while importing.isRunning || during.isEmpty {
            if importing.isRunning { startedWhileImporting += 1 }
            let out = "during-\(during.count)"
            let run = try CLI.run(report + ["--out", out], in: scratch.url)
            #expect(run.status == 0, "\(run.stderr)")
            during.append(try Data(contentsOf: scratch.path("\(out)/departments.csv")))
        }
        importing.waitUntilExit()
        #expect(importing.terminationStatus == 0)
        #expect(startedWhileImporting > 0, "the import ended before a report could start")

        #expect(try CLI.run(report + ["--out", "after"], in: scratch.url).status == 0)
        let after = try Data(contentsOf: scratch.path("after/departments.csv"))
        #expect(before != after, "the import should change the ranking")
        for (i, seen) in during.enumerated() {
            #expect(seen == before || seen == after, "report \(i), made during the import, mixes the two")
        }
    }
}
