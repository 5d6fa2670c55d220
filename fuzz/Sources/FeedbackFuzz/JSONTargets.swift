import Foundation

@testable import FeedbackKit

/// A JSON document of records. Byte 0 picks where the records are (`--records`): found by the
/// reader, "data", "data.items" or "$"; the rest is the file.
func fuzzJSONDocument(_ input: inout FuzzInput) {
    let path = [nil, "data", "data.items", "$"][Int(input.takeByte() & 3)]
    let url = Scratch.write(input.bytes, as: "input.json")
    do {
        var source = try JSONDocumentSource(url: url, displayPath: url.path, recordsPath: path)
        try jsonMapping.drain(&source)
    } catch {
        requireClearImportError(error, file: url)
    }
}

/// JSON Lines: the whole input is the file.
func fuzzJSONLines(_ input: inout FuzzInput) {
    let url = Scratch.write(input.bytes, as: "input.jsonl")
    do {
        var source = try JSONLinesSource(url: url, displayPath: url.path)
        try jsonMapping.drain(&source)
    } catch {
        requireClearImportError(error, file: url)
    }
}

/// A form file in forms/, with the example workspace's departments file in the folder above, where
/// the example forms name it ("../departments.json").
func fuzzForm(_ input: inout FuzzInput) {
    let departments = Scratch.directory.appendingPathComponent("departments.json")
    if !FileManager.default.fileExists(atPath: departments.path) {
        try? FileManager.default.createDirectory(
            at: Scratch.directory.appendingPathComponent("forms"), withIntermediateDirectories: true)
        try? FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("departments.json"), to: departments)
    }
    let url = Scratch.write(input.bytes, as: "forms/form.json")
    switch FormDecoder(baseDirectory: Scratch.directory).load(url) {
    case .success(let form):
        if form.id.isEmpty || form.questions.isEmpty { fatalError("a form without an id or questions was accepted") }
    case .failure(let error):
        requireClearFormError(error)
    }
}

/// A workspace's feedback.json, with its sources.
func fuzzConfig(_ input: inout FuzzInput) {
    let folder = Scratch.directory.appendingPathComponent("workspace")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    _ = Scratch.write(input.bytes, as: "workspace/feedback.json")
    do {
        _ = try Workspace.open(folder)
    } catch {
        requireClearFormError(error)
    }
}
