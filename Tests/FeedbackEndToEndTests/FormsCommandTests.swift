import FeedbackKit
import Foundation
import Testing

struct FormsCommandTests {
    @Test func initThenValidateExitsZero() throws {
        let scratch = try Scratch()
        let initResult = try CLI.run(["init", "district"], in: scratch.url)
        #expect(initResult.status == 0, "\(initResult.stderr)")
        #expect(initResult.stderr.contains("forms/enterprise-service.json"))
        let validate = try CLI.run(["forms", "validate"], in: scratch.path("district"))
        #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")
        #expect(validate.stdout.isEmpty)
        #expect(validate.stderr.contains("ok: forms/enterprise-service.json (enterprise-service, 15 questions)"))
        #expect(validate.stderr.contains("ok: forms/window-evaluation.json (window-evaluation, 6 questions)"))
    }

    @Test func initIntoANonEmptyWorkspaceRefusesWithoutForce() throws {
        let scratch = try Scratch()
        #expect(try CLI.run(["init"], in: scratch.url).status == 0)
        let again = try CLI.run(["init"], in: scratch.url)
        #expect(again.status == 1)
        #expect(
            again.stderr.contains(
                "already holds feedback.json, departments.json, forms/enterprise-service.json, forms/window-evaluation.json"))
        #expect(again.stderr.contains("--force"))
        #expect(try CLI.run(["init", "--force"], in: scratch.url).status == 0)
    }

    @Test func syntaxErrorIsReportedWithLineAndColumn() throws {
        let scratch = try Scratch()
        #expect(try CLI.run(["init"], in: scratch.url).status == 0)
        let form = scratch.path("forms/enterprise-service.json")
        var text = try String(contentsOf: form, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"version\": 1,", with: "\"version\": 1")
        try Data(text.utf8).write(to: form)
        let result = try CLI.run(["forms", "validate"], in: scratch.url)
        #expect(result.status == 1)
        #expect(
            result.stdout
                == "forms/enterprise-service.json: line 4, column 3: syntax error: expected ',' or '}' after an object member but found '\"' (is a comma missing before it?)\n"
        )
        #expect(result.stderr.contains("ok: forms/window-evaluation.json"))
        #expect(result.stderr.contains("1 problem found"))
    }

    @Test func duplicatedQuestionIdNamesTheJSONPath() throws {
        let scratch = try Scratch()
        #expect(try CLI.run(["init"], in: scratch.url).status == 0)
        let form = scratch.path("forms/window-evaluation.json")
        let text = try String(contentsOf: form, encoding: .utf8)
            .replacingOccurrences(of: "\"id\": \"comment\"", with: "\"id\": \"rating\"")
        try Data(text.utf8).write(to: form)
        let result = try CLI.run(["forms", "validate", "forms/window-evaluation.json"], in: scratch.url)
        #expect(result.status == 1)
        #expect(
            result.stdout == "forms/window-evaluation.json: $.questions[5].id: duplicate question id \"rating\" (first at $.questions[3])\n"
        )
    }

    @Test func validateOutsideAWorkspaceSaysWhatToDo() throws {
        let scratch = try Scratch()
        let result = try CLI.run(["forms", "validate"], in: scratch.url)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: no workspace here"))
        #expect(result.stderr.contains("feedback init"))
    }

    @Test func listAndShowAreAlignedWithChineseText() throws {
        let scratch = try Scratch()
        #expect(try CLI.run(["init"], in: scratch.url).status == 0)
        let list = try CLI.run(["forms", "list"], in: scratch.url)
        #expect(list.status == 0)
        #expect(
            list.stdout == """
                id                  version  questions  title
                ------------------------------------------------------------
                enterprise-service        1         15  企业办事满意度调查
                window-evaluation         1          6  窗口服务“好差评”评价

                """)
        let show = try CLI.run(["forms", "show", "window-evaluation"], in: scratch.url)
        #expect(show.status == 0)
        let lines = show.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "window-evaluation v1: 窗口服务“好差评”评价 / Service window good/bad review")
        // The label column starts at the same display column on the header and on every row.
        let header = try #require(lines.firstIndex { $0.hasPrefix("#") })
        let labels = ["label", "您办理业务的部门", "办理事项", "办理渠道", "服务评价", "差评原因（可多选）", "评价内容"]
        let table = Array(lines[header...].prefix { !$0.isEmpty }).enumerated().filter { $0.offset != 1 }.map(\.element)
        #expect(table.count == labels.count)
        let starts = zip(table, labels).map { line, label in
            line.range(of: label).map { DisplayWidth.of(String(line[..<$0.lowerBound])) }
        }
        #expect(starts.allSatisfy { $0 != nil && $0 == starts[0] }, "\(table)")
        let unknown = try CLI.run(["forms", "show", "window-evaluaton"], in: scratch.url)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("did you mean \"window-evaluation\"?"))
    }

    @Test func usageErrorsExit64() throws {
        let scratch = try Scratch()
        let result = try CLI.run(["forms", "show"], in: scratch.url)
        #expect(result.status == 64)
    }

    @Test func repositoryExampleWorkspaceValidates() throws {
        let result = try CLI.run(["forms", "validate"], in: CLI.repositoryRoot)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }
}
