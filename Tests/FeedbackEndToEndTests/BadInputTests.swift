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
