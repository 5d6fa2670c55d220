import Foundation
import GRDB
import Testing

@testable import FeedbackKit

/// The lean path of an import (LeanRecord.swift) stores what the full path stores, byte for byte:
/// whole stores compared table by table, over the samples and over records made to go each way.
struct LeanPathTests {
    /// Every table an import writes, row by row in a fixed order, as text (blobs in hex); the
    /// import's start time, which differs from run to run, left out.
    static func dump(_ bench: ImportBench) throws -> [String: [String]] {
        let queries = [
            "response_block": "SELECT id, form_id, import_id, responses, hex(data) FROM response_block ORDER BY id",
            "block_month": "SELECT form_id, month, block, responses FROM block_month ORDER BY form_id, month, block",
            "digest_tally":
                "SELECT form_id, month, department, form_digest, responses, hex(sums) FROM digest_tally ORDER BY form_id, month, department",
            "digest_item_block":
                "SELECT form_id, month, kind, first_id, hex(data) FROM digest_item_block ORDER BY form_id, month, kind, first_id",
            "identity_run": "SELECT run, entries FROM identity_run ORDER BY run",
            "identity_chunk": "SELECT run, first_hash, first_id, entries, hex(data) FROM identity_chunk ORDER BY run, first_hash, first_id",
            "import": "SELECT id, form_id, source, read, accepted, duplicates, rejected FROM import ORDER BY id",
        ]
        let queue = try DatabaseQueue(path: bench.dir.file("store.sqlite").path)
        defer { try? queue.close() }
        return try queue.read { db in
            try queries.mapValues { sql in
                try Row.fetchAll(db, sql: sql).map { row in
                    row.databaseValues.map { $0.description }.joined(separator: "|")
                }
            }
        }
    }

    /// Imports `name` twice (the second time all duplicates) on the lean path and on the full path,
    /// and expects the same summaries, rejects and stores.
    static func expectSameStores(
        form: String, name: String, text: String, waitingForEntriesHere: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        var benches: [ImportBench] = []
        var summaries: [[FileImportSummary]] = []
        var rejects: [String] = []
        for lean in [true, false] {
            var bench = try ImportBench(exampleForm: form)
            bench.leanPath = lean
            bench.waitingForEntriesHere = waitingForEntriesHere
            // Named alike in both folders, so that the summaries name the same file.
            summaries.append(
                [try bench.run(name, text), try bench.run(name, text)].map { summary in
                    var summary = summary
                    summary.rejectsFile = summary.rejectsFile.map { URL(fileURLWithPath: $0).lastPathComponent }
                    return summary
                })
            rejects.append((try? bench.rejects(name)) ?? "")
            benches.append(bench)
        }
        #expect(summaries[0] == summaries[1], sourceLocation: sourceLocation)
        #expect(rejects[0] == rejects[1], sourceLocation: sourceLocation)
        let (lean, full) = (try dump(benches[0]), try dump(benches[1]))
        #expect(!(lean["response_block"] ?? []).isEmpty, sourceLocation: sourceLocation)
        for table in full.keys.sorted() where lean[table] != full[table] {
            Issue.record("\(table) differs between the lean path and the full path", sourceLocation: sourceLocation)
        }
    }

    static let sample = Fixtures.repositoryRoot.appendingPathComponent("samples/enterprise-service-2025.csv")

    /// The sample's header and rows (问卷星's export: two id columns, and columns of no question,
    /// which the responses keep).
    static func sampleRows() throws -> (header: [String], rows: [[String]]) {
        var source = try CSVSource(url: sample, display: "sample.csv", format: "csv", options: CSVOptions())
        var rows: [[String]] = []
        var header: [String] = []
        while let item = try source.next() {
            guard let record = item.record, case .cells(let cells) = record.raw else { continue }
            header = record.names
            rows.append(cells)
        }
        return (header, rows)
    }

    /// The sample's rows, with rows after them made to go each way: each an edit of a sample row.
    static func edgeRows() throws -> (header: [String], rows: [[String]]) {
        let (header, rows) = try sampleRows()
        func column(_ prefix: String) throws -> Int { try #require(header.firstIndex { $0.hasPrefix(prefix) }) }
        let (id, time, used, department) = (try column("序号"), try column("提交答卷时间"), try column("所用时间"), try column("1、"))
        let (overall, attitude, painPoints, comment, phone) = (
            try column("4、"), try column("5、"), try column("10、"), try column("14、"), try column("15、")
        )
        let service = try column("2、")
        // Texts at the edges of those the lean path copies as they are (AnswerParser.isTextAsItIs):
        // skip markers, white space to trim at either end, and first or last characters of each kind.
        let texts = [
            "(跳过)", "（空）", "-3", "-2", " 前后有空格 ", "结尾是全角空格\u{3000}", "\u{3000}开头是全角空格", "ＡＢ开头全角", "-开头的短横",
            "\t制表", "a", "末尾句号。", "中", "👍表情", "办事很快\u{00A0}", "(括号开头)", "1", "这个事项办了很久才办完",
        ]
        var out = rows
        var next = 900_000
        func edited(_ row: Int, _ changes: [(Int, String)]) {
            var cells = rows[row % rows.count]
            cells[id] = String(next)
            next += 1
            for (i, text) in changes { cells[i] = text }
            out.append(cells)
        }
        for i in 0..<40 {
            edited(i, [(overall, "9")])  // not a level: rejected
            edited(i, [(department, "不存在的局")])  // no such department: rejected
            edited(i, [(painPoints, "其他〖窗口太少〗")])  // an "other" text: the full way
            edited(i, [(painPoints, "慢作为：办理慢、不催不办┋其他〖要跑三趟〗")])
            edited(i, [(time, "")])  // no time: no month
            edited(i, [(time, "2025-13-45 10:00:00")])  // not a time: rejected
            edited(i, [(id, "")])  // a blank id: keyed by a hash of the record
            edited(i, [(id, " \(next) ")])  // an id trimmed
            edited(i, [(used, "")])  // one column of no question blank
            edited(i, [(overall, "非常不满意"), (comment, "材料太多，电话13912345678"), (phone, "13912345678")])  // a bad review
            edited(i, [(overall, "不适用"), (attitude, "未涉及")])  // not applicable
            edited(i, [(overall, "")])  // a required question unanswered: rejected
            out.append(rows[i])  // a duplicate of an earlier row
            out.append(Array(repeating: "", count: header.count))  // empty: rejected
            let text = texts[i % texts.count]
            edited(i, [(comment, text), (phone, text), (service, text)])  // texts as they are, or not
        }
        return (header, out)
    }

    static func csv(_ header: [String], _ rows: [[String]]) -> String {
        var writer = CSVWriter(escapesFormulas: false, byteOrderMark: false)
        for row in [header] + rows { writer.append(row) }
        return writer.text
    }

    /// The same rows as JSON Lines: each cell a string, a blank one null, and the pain points a list.
    static func jsonLines(_ header: [String], _ rows: [[String]]) throws -> String {
        let painPoints = try #require(header.firstIndex { $0.hasPrefix("10、") })
        return rows.map { cells in
            JSONValue.object(
                zip(header, cells).enumerated().map { i, pair in
                    let (name, text) = pair
                    if text.isEmpty { return (name, .null) }
                    if i == painPoints { return (name, .array(text.components(separatedBy: "┋").map(JSONValue.string))) }
                    return (name, .string(text))
                }
            ).serialized()
        }.joined(separator: "\n") + "\n"
    }

    @Test(arguments: [0, Int.max])
    func csvStoresAlikeBothWays(waitingForEntriesHere: Int) throws {
        let (header, rows) = try Self.edgeRows()
        try Self.expectSameStores(
            form: "enterprise-service", name: "edges.csv", text: Self.csv(header, rows), waitingForEntriesHere: waitingForEntriesHere)
    }

    @Test(arguments: [0, Int.max])
    func jsonLinesStoreAlikeBothWays(waitingForEntriesHere: Int) throws {
        let (header, rows) = try Self.edgeRows()
        try Self.expectSameStores(
            form: "enterprise-service", name: "edges.jsonl", text: try Self.jsonLines(header, rows),
            waitingForEntriesHere: waitingForEntriesHere)
    }

    @Test func windowSampleStoresAlikeBothWays() throws {
        let url = Fixtures.repositoryRoot.appendingPathComponent("samples/window-evaluation-2025.jsonl")
        try Self.expectSameStores(
            form: "window-evaluation", name: "window.jsonl", text: String(contentsOf: url, encoding: .utf8), waitingForEntriesHere: 2)
    }

    /// The comparisons above would pass, and prove nothing, if the lean path took no record: it
    /// takes the sample's rows, and leaves the rows that need the full way to it.
    @Test func theLeanPathTakesPlainRowsAndLeavesTheRest() throws {
        let form = try Workspace.open(Fixtures.repositoryRoot).form(
            id: "enterprise-service", decoder: FormDecoder(baseDirectory: Fixtures.repositoryRoot))
        let (header, rows) = try Self.edgeRows()
        let sampleCount = try Self.sampleRows().rows.count
        let mapper = RecordMapper(form: form, zone: .china, source: "edges.csv")
        let plan = mapper.plan(header: header)
        let draft = LeanDraft(parsers: mapper.parsers)
        var taken: [Bool] = []
        for row in rows {
            let cells = CellPathTests.cells(row)
            let lean = mapper.mapLean(cells, names: header, plan: plan, into: draft)
            taken.append(lean)
            // Where the lean path takes a record, the full path accepts it, with the same answers.
            if lean, case .accepted(let response) = mapper.map(cells, names: header, position: 1, plan: plan) {
                #expect(response.otherText.isEmpty)
                #expect(AnswerSlots(form: form, values: draft.answers).byId == response.answers)
            } else if lean {
                Issue.record("the lean path took a record the full path does not accept: \(row)")
            }
        }
        let sampleTaken = taken.prefix(sampleCount).filter { $0 }.count
        #expect(sampleTaken * 10 >= sampleCount * 9, "\(sampleTaken) of \(sampleCount) sample rows")
        // Of each group of edits: the invalid level, the unknown department, the two "other" texts,
        // the invalid time, the unanswered required question and the empty row go the full way.
        let edges = Array(taken.dropFirst(sampleCount))
        for group in stride(from: 0, to: edges.count, by: 15) {
            #expect(edges[group..<group + 15].enumerated().filter { !$0.element }.map(\.offset) == [0, 1, 2, 3, 5, 11, 13])
        }
    }
}
