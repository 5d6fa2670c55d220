import Foundation
import Testing

@testable import FeedbackKit

struct ExampleWorkspaceTests {
    @Test func initWritesAValidWorkspaceIntoAnEmptyFolder() throws {
        let dir = try TemporaryDirectory()
        let target = dir.url.appendingPathComponent("district")
        let written = try ExampleWorkspace.write(to: target, force: false)
        #expect(
            written == ["feedback.json", "departments.json", "forms/enterprise-service.json", "forms/window-evaluation.json", "reports/"])
        let workspace = try Workspace.open(target)
        #expect(workspace.config.store == "feedback.sqlite")
        #expect(workspace.config.scoring.rankFrom == 30)
        let (forms, diagnostics) = try workspace.loadForms(decoder: FormDecoder(baseDirectory: target))
        #expect(diagnostics.isEmpty)
        #expect(forms.count == 2)
        #expect(FileManager.default.fileExists(atPath: target.appendingPathComponent("reports").path))
    }

    @Test func initRefusesToOverwriteAndNamesTheFiles() throws {
        let dir = try TemporaryDirectory()
        try dir.write("feedback.json", "{}\n")
        try dir.write("forms/window-evaluation.json", "mine\n")
        #expect(
            throws: WorkspaceError(
                "\(dir.url.path) already holds feedback.json, forms/window-evaluation.json: nothing was written (pass --force to overwrite them)"
            )
        ) {
            try ExampleWorkspace.write(to: dir.url, force: false)
        }
        #expect(try String(contentsOf: dir.file("forms/window-evaluation.json"), encoding: .utf8) == "mine\n")
        #expect(!FileManager.default.fileExists(atPath: dir.file("departments.json").path))
        try ExampleWorkspace.write(to: dir.url, force: true)
        #expect(try String(contentsOf: dir.file("feedback.json"), encoding: .utf8).contains("\"store\""))
    }

    @Test func initKeepsFilesItDoesNotWrite() throws {
        let dir = try TemporaryDirectory()
        try dir.write("notes.txt", "keep me\n")
        try ExampleWorkspace.write(to: dir.url, force: false)
        #expect(try String(contentsOf: dir.file("notes.txt"), encoding: .utf8) == "keep me\n")
    }

    /// The files embedded in the binary are the repository's example workspace, byte for byte.
    @Test func exampleWorkspaceMatchesRepository() throws {
        for file in ExampleWorkspace.files {
            let onDisk = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent(file.path), encoding: .utf8)
            #expect(onDisk == file.contents, "\(file.path) differs from the embedded copy: run scripts/embed-example-workspace.py")
        }
    }

    @Test func configProblemsAreReportedWithPaths() throws {
        let dir = try TemporaryDirectory()
        try dir.write("feedback.json", #"{"store": "x.sqlite", "timezone": "Beijing", "scoring": {"rankFrom": 5, "goodfrom": 3}}"#)
        #expect(
            throws: FormError([
                FormDiagnostic(
                    file: dir.file("feedback.json").path, location: "$.timezone", message: #""Beijing" is not an offset such as "+08:00""#),
                FormDiagnostic(
                    file: dir.file("feedback.json").path, location: "$.scoring.goodfrom",
                    message: #"unknown key "goodfrom"; did you mean "goodFrom"?"#),
                FormDiagnostic(
                    file: dir.file("feedback.json").path, location: "$.scoring.rankFrom",
                    message: "must not be less than suppressBelow (10)"),
            ])
        ) {
            try Workspace.open(dir.url)
        }
    }

    @Test func locateWalksUpAndExplainsWhenThereIsNoWorkspace() throws {
        let dir = try TemporaryDirectory()
        try ExampleWorkspace.write(to: dir.url, force: false)
        let found = try Workspace.locate(from: dir.url.appendingPathComponent("forms"))
        #expect(found.root.path == dir.url.standardizedFileURL.path)
        let empty = try TemporaryDirectory()
        do {
            _ = try Workspace.locate(from: empty.url)
            Issue.record("found a workspace in an empty folder")
        } catch let error as WorkspaceError {
            #expect(error.message.contains("no workspace here"))
        }
    }
}
