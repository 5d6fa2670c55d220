import Foundation
import Testing

@testable import FeedbackKit

struct ImporterTests {
    static let lines = """
        {"id": "r1", "submitted_at": "2025-04-03T09:05:31+08:00", "部门": "税务局", "overall": 5, "speed": "4分", "problems": ["slow"], "comment": "很好"}
        {"id": "r2", "submitted_at": "2025-05-01T00:30:00+08:00", "部门": "市场监管局", "overall": "不满意", "problems": [], "comment": "等了很久"}
        {"id": "r3", "submitted_at": "2025-04-09 10:00:00", "部门": "税务局", "overall": 9}
        {"id": "r4", "submitted_at": "2025-04-09 10:00:00", "部门": "
        {"id": "r1", "submitted_at": "2025-04-03T09:05:31+08:00", "部门": "税务局", "overall": 5, "speed": "4分", "problems": ["slow"], "comment": "很好"}

        """

    @Test func jsonLinesAreMappedStoredAndAccountedFor() throws {
        let bench = try ImportBench()
        let summary = try bench.run("a.jsonl", Self.lines)
        #expect(summary.format == "jsonl")
        #expect(summary.read == 5)
        #expect(summary.accepted == 2)
        #expect(summary.duplicates == 1)
        #expect(summary.rejected == 2)
        #expect(summary.read == summary.accepted + summary.duplicates + summary.rejected)
        let stored = try bench.responses()
        #expect(stored.map(\.key) == ["h:" + stored[0].key.dropFirst(2), "h:" + stored[1].key.dropFirst(2)])
        #expect(stored[0].department == "tax")
        #expect(stored[0].answers["overall"] == .number(5))
        #expect(stored[0].answers["speed"] == .number(4))
        #expect(stored[0].answers["problems"] == .choices(["slow"]))
        #expect(stored[0].month == "2025-04")
        #expect(stored[1].month == "2025-05")
        #expect(stored[1].department == "market")
        #expect(stored[1].answers["overall"] == .number(2))
        #expect(stored[1].position == 2)
        #expect(stored[0].extra.map(\.0) == ["id"])
        let rejects = try bench.rejects("a.jsonl")
        let bytes = try Data(contentsOf: bench.dir.file("a.jsonl.rejects.csv"))
        #expect(bytes.starts(with: [0xEF, 0xBB, 0xBF]), "UTF-8 with a byte-order mark")
        #expect(rejects.contains("_record,_reject_line,_reject_column,_reject_reason\r\n"))
        #expect(rejects.contains(",3,overall,\"\"\"9\"\" is outside the scale 1..5 of 总体满意度\"\r\n"))
        #expect(
            rejects.contains(
                #"{""id"": ""r4"", ""submitted_at"": ""2025-04-09 10:00:00"", ""部门"": """,4,,"not valid JSON at column 59: a string is not closed (missing '""')""#
                    + "\r\n"))
    }

    @Test func responseIdColumnsGiveTheIdentity() throws {
        let bench = try ImportBench()
        let text = """
            序号,提交答卷时间,1、部门：,2、总体满意度
            1,2025/4/3 9:05:31,税务局,非常满意
            2,2025/4/3 9:07:00,市场监管局,5分

            """
        // CSV needs its reader; JSON carries the same columns.
        _ = text
        let json = #"[{"序号": 1, "提交答卷时间": "2025/4/3 9:05:31", "1、部门：": "税务局", "2、总体满意度": "非常满意"}]"#
        let summary = try bench.run("w.json", json)
        #expect(summary.accepted == 1)
        #expect(try bench.responses().first?.key == "1|2025/4/3 9:05:31")
        #expect(try bench.responses().first?.submittedAt == "2025-04-03T09:05:31+08:00")
    }

    @Test func reimportStoresNothingTwice() throws {
        let bench = try ImportBench()
        try bench.run("a.jsonl", Self.lines)
        let again = try bench.run("a.jsonl", Self.lines)
        #expect(again.accepted == 0)
        #expect(again.duplicates == 3)
        #expect(again.rejected == 2)
        #expect(try bench.count() == 2)
    }

    @Test func dryRunStoresNothingButCountsDuplicates() throws {
        let bench = try ImportBench()
        var options = ImportOptions()
        options.dryRun = true
        let summary = try bench.run("a.jsonl", Self.lines, options: options)
        #expect(summary.accepted == 2)
        #expect(summary.duplicates == 1)
        #expect(try bench.count() == 0)
    }

    @Test func anImportThatFailsHalfWayLeavesTheStoreAsItWas() throws {
        let bench = try ImportBench()
        try bench.run("first.jsonl", #"{"id": "x", "submitted_at": "2025-04-01 08:00:00", "部门": "税务局", "overall": 4}"# + "\n")
        #expect(try bench.count() == 1)
        // The rejects file cannot be written (its folder does not exist): the import stops at the
        // third record, after two were inserted, and must roll them back.
        var options = ImportOptions()
        options.rejectsPath = bench.dir.file("missing-folder/rejects.csv").path
        #expect(throws: ImportError.self) {
            try bench.run("b.jsonl", Self.lines, options: options)
        }
        #expect(try bench.count() == 1)
        #expect(try bench.store.read { try $0.contains(formId: "mini", key: "x") } == false)
    }

    @Test func jsonDocumentsFindTheirRecords() throws {
        let bench = try ImportBench()
        let kobo =
            #"{"count": 2, "next": null, "results": [{"部门": "税务局", "overall": 4, "_submission_time": "2025-04-01T08:00:00"}, {"部门": "税务局", "overall": 3, "_submission_time": "2025-04-02T08:00:00"}]}"#
        #expect(try bench.run("kobo.json", kobo).accepted == 2)
        let nested = #"{"data": {"items": [{"部门": "税务局", "overall": 1}]}, "meta": [1]}"#
        var options = ImportOptions()
        options.recordsPath = "data.items"
        #expect(try bench.run("nested.json", nested, options: options).accepted == 1)
        #expect(
            throws: ImportError(
                file: "nested2.json", message: "the JSON object holds no array of records that could be found",
                hint: "pass --records KEY to say where the records are; its keys are data, meta, more")
        ) {
            try bench.run("nested2.json", #"{"data": {"items": []}, "meta": [1], "more": [2]}"#)
        }
        #expect(
            throws: ImportError(
                file: "broken.json", line: 1, message: "not valid JSON at column 12: expected ',' or ']' but found the end of the file (an array is not closed)")
        ) {
            try bench.run("broken.json", #"[{"a": 1}, "#)
        }
    }

    @Test func aJSONObjectThatWrapsNoRecordsIsOneRecord() throws {
        let bench = try ImportBench()
        // A SurveyJS result: answers by question name, choices in arrays, a matrix as {row: value}.
        let result = #"{"部门": "税务局", "overall": 4, "problems": ["slow"], "ratings": {"speed": "4分"}}"#
        let summary = try bench.run("result.json", result)
        #expect(summary.read == 1)
        #expect(summary.accepted == 1)
        let stored = try bench.responses()
        #expect(
            stored.first?.answers == [
                "department": .text("tax"), "overall": .number(4), "problems": .choices(["slow"]), "speed": .number(4),
            ])
        // A record under a key of its own is named with --records.
        var options = ImportOptions()
        options.recordsPath = "response"
        let wrapped = #"{"response": {"部门": "市场监管局", "overall": 2}, "meta": [{"page": 1}, {"page": 2}]}"#
        #expect(try bench.run("wrapped.json", wrapped, options: options).accepted == 1)
        #expect(try bench.count() == 2)
    }

    @Test func matrixRowsAndOptionsHoldingTheSeparator() throws {
        let form = try ImportBench(exampleForm: "enterprise-service").form
        let mapper = RecordMapper(form: form, zone: .china, source: "")
        let attitude = try #require(form.questions.firstIndex { $0.id == "attitude" })
        // 问卷星 titles the first row of a matrix "title—row"; later rows are bare.
        #expect(mapper.target(forColumn: "5、请评价窗口的服务 (矩阵量表题 *必答)—办事态度") == .question(attitude))
        #expect(mapper.target(forColumn: "5、请评价窗口的服务—不存在的行") == .extra)

        let kobo = try FormDecoder(baseDirectory: Fixtures.directory).load(
            Fixtures.url("real-world-forms/kobo-biocultural-monitoring.json")
        ).get()
        let koboMapper = RecordMapper(form: kobo, zone: .china, source: "")
        let tek = try #require(kobo.questions.firstIndex { $0.id == "traditional_ecological_knowledge" })
        let question = "How is traditional ecological knowledge (TEK) passed on within your community?"
        #expect(
            koboMapper.target(forColumn: question + "/Schools/educational institutions")
                == .option(question: tek, choice: "schools_educational_institutions"))
        #expect(koboMapper.target(forColumn: question + "/Oral storytelling") == .option(question: tek, choice: "oral_storytelling"))
    }

    @Test func aFileWithoutTheRequiredColumnsIsRefusedWhole() throws {
        let bench = try ImportBench(exampleForm: "window-evaluation")
        #expect(
            throws: ImportError(
                file: "x.jsonl", line: 1, message: "none of its columns matches a question of form window-evaluation (columns: foo, bar)",
                hint: "is it the right form? Map columns with \"columns\" in the form (docs/forms.md)")
        ) {
            try bench.run("x.jsonl", #"{"foo": 1, "bar": 2}"# + "\n")
        }
        #expect(try bench.count() == 0)
    }

    @Test func sampleWindowEvaluationsImportWithTheirKnownDefects() throws {
        let bench = try ImportBench(exampleForm: "window-evaluation")
        let url = Fixtures.repositoryRoot.appendingPathComponent("samples/window-evaluation-2025.jsonl")
        var options = ImportOptions()
        options.rejectsPath = bench.dir.file("rejects.csv").path
        let summary = try bench.importer().importFile(url, options: options)
        #expect(summary.read == 3099)
        #expect(summary.accepted == 3092)
        #expect(summary.duplicates == 3)
        #expect(summary.rejected == 4)
        let rejects = try String(contentsOf: bench.dir.file("rejects.csv"), encoding: .utf8)
        #expect(rejects.split(separator: "\r\n").count == 5)
        #expect(rejects.contains("HCP202504240017"))
        #expect(
            try bench.store.read { try $0.months(formId: "window-evaluation") }.map(\.month) == [
                "2025-02", "2025-03", "2025-04", "2025-05",
            ])
    }
}
