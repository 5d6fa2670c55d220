import FeedbackKit
import Foundation
import GRDB
import Testing

/// The monthly report of the example workspace's April 2025, against golden files.
/// Set FEEDBACK_RECORD_GOLDEN=1 to write the golden files anew after an intended change.
struct ReportCommandTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let files = ["report.txt", "departments.csv", "pain-points.csv", "dimensions.csv", "bad-reviews.csv"]

    /// A workspace holding the repository's sample responses.
    static func workspaceWithSamples() throws -> Scratch {
        let scratch = try ImportCommandTests.workspace()
        for (file, form) in [("enterprise-service-2025.csv", "enterprise-service"), ("window-evaluation-2025.jsonl", "window-evaluation")] {
            let input = ImportCommandTests.samples.appendingPathComponent(file).path
            let result = try CLI.run(
                ["import", input, "--form", form, "--rejects", scratch.path("\(file).rejects.csv").path], in: scratch.url)
            guard result.status == 2 else { throw WorkspaceError("import of \(file) ended with \(result.status): \(result.stderr)") }
        }
        return scratch
    }

    /// A store as earlier versions left it (WAL mode, a row per response, no identity hashes, no
    /// digests) goes through every migration since: the rollback journal, the identity hash (v3), the
    /// comment digests (v4), the identity runs (v5), the blocks (v6, written in the compact form of
    /// v10), the runs in chunks (v7), the material in blocks (v8), v9 and v10. It then holds the same
    /// responses in the same order, reports the golden report, and importing the samples again
    /// stores nothing.
    @Test func aStoreOfThePreviousFormatIsUpgradedAndReportsTheSame() throws {
        let scratch = try Self.workspaceWithSamples()
        let store = scratch.path("feedback.sqlite").path
        let before = try StoredResponses.all(in: store)
        #expect(before.count > 0)
        do {
            let queue = try DatabaseQueue(path: store)
            let mode = try queue.writeWithoutTransaction { (db: Database) throws in
                try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            }
            #expect(mode == "wal")
            try queue.write { (db: Database) throws in
                try db.execute(
                    sql: """
                        DROP TABLE response_block;
                        DROP TABLE block_month;
                        DROP TABLE identity_chunk;
                        DROP TABLE identity_run;
                        DROP TABLE digest_tally;
                        DROP TABLE digest_item_block;
                        DELETE FROM grdb_migrations WHERE identifier >= 'v3';
                        CREATE TABLE response (
                            id INTEGER PRIMARY KEY, form_id TEXT NOT NULL, form_version INTEGER NOT NULL, response_key TEXT NOT NULL,
                            submitted_at TEXT, month TEXT, department TEXT, answers TEXT NOT NULL, other TEXT, extra TEXT,
                            source TEXT NOT NULL, position INTEGER NOT NULL, import_id INTEGER NOT NULL REFERENCES import(id)
                        );
                        CREATE UNIQUE INDEX response_identity ON response(form_id, response_key);
                        CREATE INDEX response_month ON response(form_id, month, department);
                        """)
                let importId = try Int64.fetchOne(db, sql: "SELECT min(id) FROM import") ?? 0
                for r in before {
                    try db.execute(
                        sql: """
                            INSERT INTO response (form_id, form_version, response_key, submitted_at, month, department, answers, other, extra,
                                                  source, position, import_id)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            r.formId, r.formVersion, r.key, r.submittedAt, r.month, r.department, r.answersJSON,
                            try Self.jsonObject(r.otherText.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }),
                            try Self.jsonObject(r.extra), r.source, r.position, importId,
                        ])
                }
            }
        }
        let run = try CLI.run(["report", "--month", "2025-04", "--out", "upgraded"], in: scratch.url)
        #expect(run.status == 0, "\(run.stderr)")
        for file in Self.files {
            let expected = try Data(contentsOf: Self.golden.appendingPathComponent("report-2025-04-zh/\(file)"))
            #expect(try Data(contentsOf: scratch.path("upgraded/\(file)")) == expected, "\(file) differs from the golden file")
        }
        let after = try StoredResponses.all(in: store)
        #expect(after == before)
        let queue = try DatabaseQueue(path: store)
        try queue.read { (db: Database) throws in
            #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "delete")
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM grdb_migrations WHERE identifier >= 'v3'") == 7)
            // The material's tables of v3 and v4 gone into blocks (v8), and the month's digests rebuilt by the report.
            #expect(try !db.tableExists("digest_comment") && !db.tableExists("digest_bad_review"))
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM digest_tally WHERE month = '2025-04'") ?? 0 > 0)
            #expect(
                try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT kind) FROM digest_item_block WHERE month = '2025-04'") == 2)
            // v5 and v6: every response's identity in run 1, the rows gone into blocks.
            #expect(try Int.fetchOne(db, sql: "SELECT entries FROM identity_run WHERE run = 1") == before.count)
            #expect(try Int.fetchOne(db, sql: "SELECT SUM(responses) FROM response_block") == before.count)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM response_block WHERE substr(data, 1, 3) <> x'800002'") == 0)
            #expect(try !db.tableExists("response"))
        }
        let input = ImportCommandTests.samples.appendingPathComponent("enterprise-service-2025.csv").path
        let again = try CLI.run(
            ["import", input, "--form", "enterprise-service", "--rejects", scratch.path("again.rejects.csv").path], in: scratch.url)
        #expect(again.stderr.contains("= 0 accepted"), "\(again.stderr)")
    }

    /// Pairs of texts as a JSON object, as the store kept other texts and extra columns; nil for none.
    static func jsonObject(_ pairs: [(String, String)]) throws -> String? {
        guard !pairs.isEmpty else { return nil }
        func quoted(_ text: String) throws -> String { String(decoding: try JSONEncoder().encode(text), as: UTF8.self) }
        return "{" + (try pairs.map { try quoted($0.0) + ":" + quoted($0.1) }).joined(separator: ",") + "}"
    }

    @Test(arguments: ["zh", "en"])
    func reportMatchesTheGoldenFilesAndIsByteIdenticalWhenRunAgain(lang: String) throws {
        let scratch = try Self.workspaceWithSamples()
        let first = try CLI.run(["report", "--month", "2025-04", "--lang", lang, "--out", "a"], in: scratch.url)
        #expect(first.status == 0, "\(first.stderr)")
        let second = try CLI.run(["report", "--month", "2025-04", "--lang", lang, "--out", "b"], in: scratch.url)
        #expect(second.status == 0)
        let record = ProcessInfo.processInfo.environment["FEEDBACK_RECORD_GOLDEN"] == "1"
        let goldenDir = Self.golden.appendingPathComponent("report-2025-04-\(lang)")
        for file in Self.files {
            let a = try Data(contentsOf: scratch.path("a/\(file)"))
            let b = try Data(contentsOf: scratch.path("b/\(file)"))
            #expect(a == b, "\(file) differs between two runs on the same store")
            let expectedURL = goldenDir.appendingPathComponent(file)
            if record {
                try FileManager.default.createDirectory(at: goldenDir, withIntermediateDirectories: true)
                try a.write(to: expectedURL)
                continue
            }
            let expected = try Data(contentsOf: expectedURL)
            if a != expected {
                let diff = try CLI.shell("diff", [expectedURL.path, scratch.path("a/\(file)").path])
                Issue.record(
                    "\(file) differs from Golden/report-2025-04-\(lang)/\(file) (FEEDBACK_RECORD_GOLDEN=1 re-records):\n\(diff.prefix(3000))"
                )
            }
        }
        #expect(first.stdout == String(decoding: try Data(contentsOf: scratch.path("a/report.txt")), as: UTF8.self))
    }

    /// Only the forms with responses in the month are scored (see also `aMonthWithoutResponsesSaysSo`).
    @Test func onlyFormsWithResponsesInTheMonthAreScored() throws {
        let scratch = try ImportCommandTests.workspace()
        let input = ImportCommandTests.samples.appendingPathComponent("window-evaluation-2025.jsonl").path
        let imported = try CLI.run(["import", input, "--form", "window-evaluation"], in: scratch.url)
        #expect(imported.status == 0 || imported.status == 2, "\(imported.stderr)")
        let april = try CLI.run(["score", "--month", "2025-04", "--format", "csv"], in: scratch.url)
        #expect(april.status == 0, "\(april.stderr)")
        #expect(april.stdout.contains("window-evaluation") && !april.stdout.contains("enterprise-service"))
    }

    @Test func tablesStayAlignedAndFitOneHundredColumns() throws {
        let text = try String(contentsOf: Self.golden.appendingPathComponent("report-2025-04-zh/report.txt"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.allSatisfy { DisplayWidth.of($0) <= 100 })
        // A table is a header line followed by a rule of dashes; its rows run until a blank or non-table line.
        var tables = 0
        for (i, line) in lines.enumerated() where i > 0 && !line.isEmpty && line.allSatisfy({ $0 == "-" }) {
            tables += 1
            let width = DisplayWidth.of(line)
            #expect(DisplayWidth.of(lines[i - 1]) == width, "header of the table at line \(i)")
            var j = i + 1
            while j < lines.count, !lines[j].isEmpty,
                DisplayWidth.of(lines[j]) == width || lines[j].hasPrefix(" ") || lines[j].first?.isNumber == true || lines[j].hasPrefix("-")
            {
                #expect(DisplayWidth.of(lines[j]) == width, "line \(j + 1): \(lines[j])")
                j += 1
            }
        }
        // Ranking, pain points and drivers for the enterprise survey; ranking and pain points for the 好差评 form.
        #expect(tables == 5)
    }

    @Test func csvFilesReadBackWithAnIndependentParserAndAreSafe() throws {
        let scratch = try Self.workspaceWithSamples()
        // A bad review whose comment is a formula and holds a phone number.
        let extra = scratch.path("extra.jsonl")
        let line =
            #"{"evaluation_id": "X1", "evaluated_at": "2025-04-15T10:00:00+08:00", "department": "税务局", "rating": 1, "bad_reasons": ["slow-action"], "comment": "=HYPERLINK(\"http://example.invalid\",\"点我\") 电话13812345678"}"#
        try Data((line + "\n").utf8).write(to: extra)
        #expect(try CLI.run(["import", "extra.jsonl", "--form", "window-evaluation"], in: scratch.url).status == 0)
        #expect(try CLI.run(["report", "--month", "2025-04", "--quiet"], in: scratch.url).status == 0)
        let dir = scratch.path("reports/2025-04")
        let script = """
            import csv, json, sys
            out = {}
            for name in sys.argv[1:]:
                with open(name, encoding="utf-8-sig", newline="") as f:
                    rows = list(csv.reader(f))
                out[name.rsplit("/", 1)[-1]] = {"rows": len(rows), "widths": sorted({len(r) for r in rows}), "header": rows[0]}
            print(json.dumps(out))
            """
        let files = Self.files.filter { $0.hasSuffix(".csv") }.map { dir.appendingPathComponent($0).path }
        let result = try CLI.shell("python3", ["-c", script] + files)
        let parsed = try JSONParser.parse(result)
        for file in Self.files where file.hasSuffix(".csv") {
            let entry = try #require(parsed[file])
            #expect(entry["widths"]?.elements?.count == 1, "\(file): every row has the header's number of columns")
        }
        #expect(parsed["bad-reviews.csv"]?["rows"]?.value == .number("\(1 + 78 + 34)"))
        #expect(parsed["departments.csv"]?["header"]?.elements?.first?.stringValue == "form")
        let badReviews = try String(contentsOf: dir.appendingPathComponent("bad-reviews.csv"), encoding: .utf8)
        #expect(badReviews.contains("\"'=HYPERLINK(\"\"http://example.invalid\"\",\"\"点我\"\") 电话138****5678\""))
        #expect(!badReviews.contains(",=HYPERLINK"))

        // The CSV export escapes the formula too; JSON Lines keeps the value exactly.
        let export = ["responses", "export", "--form", "window-evaluation", "--month", "2025-04"]
        let csv = try CLI.run(export + ["--format", "csv"], in: scratch.url).stdout
        #expect(csv.contains("\"'=HYPERLINK(\"\"http://example.invalid\"\""))
        #expect(!csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"))
        let jsonl = try CLI.run(export + ["--format", "jsonl"], in: scratch.url).stdout
        #expect(jsonl.contains(#""=HYPERLINK(\"http://example.invalid\""#))
        for file in Self.files {
            let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            #expect(text.range(of: #"1[3-9][0-9]{9}"#, options: .regularExpression) == nil, "an unmasked phone number in \(file)")
        }
    }

    @Test func aMonthWithoutResponsesSaysSo() throws {
        let scratch = try ImportCommandTests.workspace()
        let result = try CLI.run(["report", "--month", "2024-01"], in: scratch.url)
        #expect(result.status == 0)
        #expect(result.stdout.contains("本月（2024-01）没有收到任何评价"))
        #expect(FileManager.default.fileExists(atPath: scratch.path("reports/2024-01/bad-reviews.csv").path))
        #expect(try CLI.run(["report", "--month", "../x"], in: scratch.url).status == 64)
    }
}
