import Foundation

@testable import FeedbackKit

/// A small form and a fresh store in a temporary folder, for import tests.
struct ImportBench {
    let dir: TemporaryDirectory
    let form: Form
    let store: SQLiteStore

    init(form formName: String = "valid-mini.json") throws {
        dir = try TemporaryDirectory()
        form = try FormDecoder(baseDirectory: Fixtures.directory).load(Fixtures.url(formName)).get()
        store = try SQLiteStore(path: dir.file("store.sqlite").path)
    }

    /// The example enterprise-service form of the repository; `digestPendingBytes` as SQLiteStore takes it.
    init(exampleForm id: String, digestPendingBytes: Int = DigestKeeper.pendingLimit) throws {
        dir = try TemporaryDirectory()
        form = try Workspace.open(Fixtures.repositoryRoot).form(id: id, decoder: FormDecoder(baseDirectory: Fixtures.repositoryRoot))
        store = try SQLiteStore(
            path: dir.file("store.sqlite").path, onWait: nil, identitySizes: IdentitySizes(), digestPendingBytes: digestPendingBytes)
    }

    /// As `Importer` takes it: when the reading thread works out the digest entries; nil keeps
    /// the importer's own.
    var waitingForEntriesHere: Int?
    /// As `Importer` takes it: whether records may take the lean path.
    var leanPath = true

    func importer() -> Importer {
        var importer = Importer(store: store, form: form, zone: .china, baseDirectory: dir.url)
        if let waitingForEntriesHere { importer.waitingForEntriesHere = waitingForEntriesHere }
        importer.leanPath = leanPath
        return importer
    }

    @discardableResult
    func run(_ name: String, _ text: String, options: ImportOptions = ImportOptions()) throws -> FileImportSummary {
        let url = try dir.write(name, text)
        return try importer().importFile(url, options: options)
    }

    /// Imports a file where it lies (the shared exports are read-only), with rejects written to
    /// the bench's folder rather than beside the input.
    @discardableResult
    func run(_ url: URL, options: ImportOptions = ImportOptions()) throws -> FileImportSummary {
        var options = options
        if options.rejectsPath == nil { options.rejectsPath = dir.file(url.lastPathComponent + ".rejects.csv").path }
        return try importer().importFile(url, options: options)
    }

    func responses(_ filter: ResponseFilter = ResponseFilter()) throws -> [Response] {
        var result: [Response] = []
        try store.read { reader in try reader.forEach(filter, limit: nil) { result.append($0.response) } }
        return result
    }

    func count() throws -> Int {
        try store.read { try $0.count(ResponseFilter()) }
    }

    func rejects(_ name: String) throws -> String {
        try String(contentsOf: dir.file(name + ".rejects.csv"), encoding: .utf8)
    }
}
