import Foundation
import Testing

/// Arguments and form ids that could name a path outside the workspace's reports/ are refused, and
/// the files that hold personal data as it was read are readable by their owner only.
struct FileSafetyTests {
    @Test(arguments: ["../x", "/etc", "2025-04/../../x", "..", "2025-4", "2025-04-01", "２０２５-04", "+202-04"])
    func monthsThatAreNotYYYYMMAreRefusedByEveryCommand(month: String) throws {
        let scratch = try ImportCommandTests.workspace()
        for command in [["report"], ["score"], ["responses", "count"]] {
            let result = try CLI.run(command + ["--month", month], in: scratch.url)
            #expect(result.status == 64, "\(command) --month \(month)")
            #expect(result.stderr.contains("--month must be a month written YYYY-MM, such as 2025-04 (got \"\(month)\")"))
        }
        let made = try FileManager.default.contentsOfDirectory(atPath: scratch.path("reports").path)
        #expect(made.isEmpty, "a refused month made \(made)")
    }

    @Test func aFormIdThatIsAPathIsRefusedAndItsFormLeftOut() throws {
        let scratch = try ReportCommandTests.workspaceWithSamples()
        let form = try String(contentsOf: scratch.path("forms/window-evaluation.json"), encoding: .utf8)
        try form.replacingOccurrences(of: #""id": "window-evaluation""#, with: #""id": "../../escape""#)
            .write(to: scratch.path("forms/escape.json"), atomically: true, encoding: .utf8)

        let validate = try CLI.run(["forms", "validate"], in: scratch.url)
        #expect(validate.status == 1)
        #expect(
            validate.stdout.contains(
                #"forms/escape.json: $.id: "../../escape" is not a valid form id: use lowercase letters, digits and '-', starting with a letter (e.g. "enterprise-service")"#
            ) || validate.stderr.contains(#"forms/escape.json: $.id: "../../escape" is not a valid form id"#), "\(validate.stdout)\(validate.stderr)")

        let report = try CLI.run(["report", "--month", "2025-04", "--quiet"], in: scratch.url)
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stderr.contains("warning: forms/escape.json is not a valid form and is left out (`feedback forms validate` says why)"))
        #expect(report.stderr.components(separatedBy: "warning: forms/escape.json").count == 2, "the warning is given once")
        #expect(!FileManager.default.fileExists(atPath: scratch.url.deletingLastPathComponent().appendingPathComponent("escape").path))

        let byId = try CLI.run(["import", "x.csv", "--form", "../../escape"], in: scratch.url)
        #expect(byId.status == 1)
        #expect(byId.stderr.contains(#"no form with id "../../escape""#))
    }

    @Test func theStoreAndTheRejectsFileAreReadableByTheOwnerOnly() throws {
        let scratch = try ImportCommandTests.workspace()
        let input = BadInputTests.folder.appendingPathComponent("02-ragged-rows.csv")
        let result = try CLI.run(["import", input.path, "--form", "enterprise-service", "--rejects", "rejects.csv"], in: scratch.url)
        #expect(result.status == 2, "\(result.stderr)")
        for file in ["feedback.sqlite", "rejects.csv"] {
            let mode = try FileManager.default.attributesOfItem(atPath: scratch.path(file).path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file) has mode \(String(mode ?? 0, radix: 8))")
        }
    }
}
