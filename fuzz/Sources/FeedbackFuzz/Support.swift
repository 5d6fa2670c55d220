import Foundation

@testable import FeedbackKit

/// The bytes of one fuzz input, with options taken from its front.
struct FuzzInput {
    private(set) var bytes: [UInt8]

    init(_ data: UnsafeRawPointer?, _ count: Int) {
        bytes = count > 0 ? [UInt8](UnsafeRawBufferPointer(start: data, count: count)) : []
    }

    /// Removes and returns the first byte (0 when there is none), to choose options with.
    mutating func takeByte() -> UInt8 {
        guard !bytes.isEmpty else { return 0 }
        return bytes.removeFirst()
    }
}

/// A scratch folder per fuzzing process, in memory when /dev/shm exists; the readers take paths, so each
/// input is written to a file there.
enum Scratch {
    static let directory: URL = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let url = URL(fileURLWithPath: base).appendingPathComponent("feedback-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Scratch.directory) }
        return url
    }()

    /// Writes `bytes` to `name` in the scratch folder and returns its URL.
    static func write(_ bytes: [UInt8], as name: String) -> URL {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: url.path, contents: Data(bytes)) else {
            fatalError("cannot write the fuzz input to \(url.path)")
        }
        return url
    }
}

/// Stops the run (so libFuzzer saves the input) when an error is not one a user could act on: every
/// failure must be an ImportError naming the file, with a message.
func requireClearImportError(_ error: Error, file: URL) {
    guard let error = error as? ImportError else {
        fatalError("not an ImportError: \(type(of: error)): \(error)")
    }
    guard !error.message.isEmpty, error.file.hasSuffix(file.lastPathComponent) else {
        fatalError("an ImportError without a place or a message: \(error)")
    }
    if let line = error.line, line < 1 { fatalError("an ImportError with line \(line): \(error)") }
}

/// The same for forms and feedback.json: each diagnostic names the file, a place in it and the problem.
func requireClearFormError(_ error: Error) {
    guard let error = error as? FormError else {
        fatalError("not a FormError: \(type(of: error)): \(error)")
    }
    guard !error.diagnostics.isEmpty else { fatalError("a FormError without diagnostics") }
    for diagnostic in error.diagnostics where diagnostic.file.isEmpty || diagnostic.location.isEmpty || diagnostic.message.isEmpty {
        fatalError("a diagnostic without a place or a message: \(diagnostic)")
    }
}

/// The checkout this file is in (fuzz/Sources/FeedbackFuzz/Support.swift), for the example workspace.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// Maps records onto a form of the example workspace, so that the answer and time parsers see every
/// value a reader produces.
struct FormMapping {
    private var intake: RecordIntake

    init(form name: String) {
        let root = repositoryRoot
        let formURL = root.appendingPathComponent("forms/\(name).json")
        guard case .success(let form) = FormDecoder(baseDirectory: root).load(formURL) else {
            fatalError("cannot load \(formURL.path)")
        }
        intake = RecordIntake(mapper: RecordMapper(form: form, zone: .china, source: "fuzz"))
    }

    /// A rejected record must say why.
    mutating func map(_ record: SourceRecord) {
        do {
            switch try intake.map(record) {
            case .accepted: break
            case .rejected(let problems):
                if problems.isEmpty || problems.contains(where: { $0.message.isEmpty }) {
                    fatalError("record at \(record.position) rejected without a reason: \(problems)")
                }
            }
        } catch {
            fatalError("mapping threw \(error)")
        }
    }

    /// Drains a record source, mapping each record; an unreadable one must come with its place and reason.
    mutating func drain(_ source: inout some RecordSource, limit: Int = 100_000) throws {
        var count = 0
        while count < limit, let item = try source.next() {
            count += 1
            switch item {
            case .record(let record):
                if record.position < 1 { fatalError("record at position \(record.position)") }
                if case .json(let text) = record.raw { requireStableJSON(text) }
                map(record)
            case .unreadable(let position, _, let message):
                if message.isEmpty || position < 1 { fatalError("unreadable record without a place or a message") }
            }
        }
    }
}

/// The JSON text kept for a record (in the rejects file) must parse again, and its compact form
/// must not change when parsed and written once more.
func requireStableJSON(_ text: String) {
    do {
        let once = try JSONParser.parse(Array(text.utf8)).serialized
        let twice = try JSONParser.parse(Array(once.utf8)).serialized
        if once != twice { fatalError("JSON text changes when parsed again:\n\(once)\n\(twice)") }
    } catch {
        fatalError("the JSON text kept for a record does not parse: \(error)\n\(text)")
    }
}
