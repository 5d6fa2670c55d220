import FeedbackKit
import Foundation
import Testing

/// The bad-input corpus: each file in Fixtures/bad-input is imported by the built binary into a new
/// workspace, and must end with exactly the exit status, messages and rejects file that its
/// `.expected` (and `.rejects.expected`) files give; a file refused whole stores nothing.
/// FEEDBACK_RECORD_GOLDEN=1 writes the expectations anew after an intended change of wording.
struct BadInputTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/bad-input")

    static let inputs: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { !$0.hasSuffix(".expected") }.sorted()
    }()

    /// JSON and JSON Lines go to the form whose sample is JSON Lines; tables to the 问卷星-style one.
    static func form(for name: String) -> String {
        name.hasSuffix(".json") || name.hasSuffix(".jsonl") ? "window-evaluation" : "enterprise-service"
    }

    /// Options a case needs, from its name: a GB18030 file read as UTF-8 on purpose.
    static func options(for name: String) -> [String] {
        name.contains("forced-utf8") ? ["--encoding", "utf-8"] : []
    }

    @Test func theCorpusCoversTheListInQualityMD() {
        let wanted = [
            "unterminated-quote", "ragged-rows", "invalid-utf8", "forced-utf8", "utf16", "truncated", "nul-bytes", "empty",
        ]
        for word in wanted {
            #expect(Self.inputs.contains { $0.contains(word) }, "no bad input named *\(word)*")
        }
        #expect(Self.inputs.count >= 30)
    }

    @Test(arguments: inputs)
    func importEndsWithTheExpectedMessages(name: String) throws {
        let scratch = try ImportCommandTests.workspace()
        try FileManager.default.copyItem(at: Self.folder.appendingPathComponent(name), to: scratch.path(name))
        let result = try CLI.run(["import", name, "--form", Self.form(for: name)] + Self.options(for: name), in: scratch.url)
        let stored = try CLI.run(["responses", "count"], in: scratch.url).stdout
        let rejects = try? String(contentsOf: scratch.path(name + ".rejects.csv"), encoding: .utf8)
        let actual = "exit: \(result.status)\nstored: \(stored)stdout:\n\(result.stdout)stderr:\n\(result.stderr)"

        let expectedURL = Self.folder.appendingPathComponent(name + ".expected")
        let rejectsURL = Self.folder.appendingPathComponent(name + ".rejects.expected")
        if ProcessInfo.processInfo.environment["FEEDBACK_RECORD_GOLDEN"] == "1" {
            try actual.write(to: expectedURL, atomically: true, encoding: .utf8)
            if let rejects { try rejects.write(to: rejectsURL, atomically: true, encoding: .utf8) }
            return
        }
        #expect(actual == (try String(contentsOf: expectedURL, encoding: .utf8)))
        #expect(rejects == (try? String(contentsOf: rejectsURL, encoding: .utf8)))
        // Whatever the input, the program ends by itself with one of its documented statuses.
        #expect([0, 1, 2].contains(result.status))
        if result.status == 1 { #expect(stored == "0\n", "a file refused whole stored records") }
    }
}

/// Inputs with a 100 MB field, line, record or run of NUL bytes: each meets its documented cap with
/// a clear message, and the import's memory stays far below the input's size.
struct LargeInputTests {
    static let hundredMB = 100 << 20

    /// Writes `head`, then `fill` repeated to about 100 MB, then `tail`, a megabyte at a time.
    static func write(_ url: URL, head: String, fill: UInt8, tail: String) throws {
        FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        handle.write(Data(head.utf8))
        let block = Data(repeating: fill, count: 1 << 20)
        for _ in 0..<(hundredMB >> 20) { handle.write(block) }
        handle.write(Data(tail.utf8))
    }

    static let evaluation = #"{"evaluation_id": "%@", "evaluated_at": "2025-04-01T09:00:00+08:00", "department": "税务局", "rating": 4}"#
    static func record(_ id: String) -> String { evaluation.replacingOccurrences(of: "%@", with: id) }

    struct Case: CustomTestStringConvertible, Sendable {
        var file: String
        var head: String
        var fill: UInt8
        var tail: String
        var status: Int32
        var message: String
        var testDescription: String { file }
    }

    static let cases: [Case] = [
        Case(
            file: "field.csv", head: "序号,提交答卷时间,您办理业务的部门,总体满意度,意见和建议\n1,2025/2/1 8:25:46,税务局,满意,好\n2,2025/2/1 9:00:00,税务局,满意,\"",
            fill: UInt8(ascii: "a"), tail: "\"\n3,2025/2/1 10:00:00,税务局,满意,好\n", status: 1,
            message: "error: field.csv:3: a field is larger than 16 MiB (a quoted field may be missing its closing quote)"),
        Case(
            file: "line.jsonl", head: record("a") + "\n" + #"{"evaluation_id": "b", "comment": ""#, fill: UInt8(ascii: "a"),
            tail: "\"}\n" + record("c") + "\n", status: 2,
            message: "line.jsonl: read 3 = 2 accepted + 0 duplicates + 1 rejected (rejected records: line.jsonl.rejects.csv)"),
        Case(
            file: "value.json", head: "[" + record("a") + ",\n" + #"{"evaluation_id": "b", "comment": ""#, fill: UInt8(ascii: "a"),
            tail: "\"},\n" + record("c") + "]\n", status: 2,
            message: "value.json: read 3 = 2 accepted + 0 duplicates + 1 rejected (rejected records: value.json.rejects.csv)"),
        Case(
            file: "nul.csv", head: "", fill: 0, tail: "", status: 1,
            message: "error: nul.csv:1: holds NUL bytes: it is a binary file, not CSV text (export the responses as CSV)"),
    ]

    @Test(arguments: cases)
    func aHundredMegabytesMeetTheirCap(_ input: Case) throws {
        let scratch = try ImportCommandTests.workspace()
        try Self.write(scratch.path(input.file), head: input.head, fill: input.fill, tail: input.tail)
        let form = input.file.hasSuffix(".csv") ? "enterprise-service" : "window-evaluation"
        let (result, peakKiB) = try CLI.runMeasuringMemory(["import", input.file, "--form", form], in: scratch.url)
        #expect(result.status == input.status, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").first.map(String.init) == input.message)
        #expect(peakKiB < 100 << 10, "the import of a 100 MB input peaked at \(peakKiB >> 10) MiB")
        if input.status == 2 {
            let rejects = try String(contentsOf: scratch.path(input.file + ".rejects.csv"), encoding: .utf8)
            #expect(rejects.contains(input.file.hasSuffix(".json") ? "record 2 is larger than 16 MiB" : "the line is longer than 16 MiB"))
        }
    }
}
