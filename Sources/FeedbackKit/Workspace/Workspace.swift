import Foundation

/// A problem with the workspace as a whole: where it is, what is wrong, what to do.
public struct WorkspaceError: LocalizedError, Sendable, Equatable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var errorDescription: String? { message }
}

/// A workspace folder: feedback.json, forms/, reports/ and the store.
public struct Workspace: Sendable {
    public static let configName = "feedback.json"

    public let root: URL
    public let config: WorkspaceConfig

    public var formsDirectory: URL { root.appendingPathComponent("forms", isDirectory: true) }
    public var reportsDirectory: URL { root.appendingPathComponent("reports", isDirectory: true) }

    public init(root: URL, config: WorkspaceConfig) {
        self.root = root
        self.config = config
    }

    /// The workspace holding `directory`: the nearest folder upwards that has a feedback.json.
    public static func locate(from directory: URL) throws -> Workspace {
        var dir = directory.standardizedFileURL
        while true {
            let candidate = dir.appendingPathComponent(configName)
            if FileManager.default.fileExists(atPath: candidate.path) {
                return try open(dir)
            }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        throw WorkspaceError(
            "no workspace here: \(directory.path) and the folders above it hold no \(configName) (run `feedback init` to make one, or pass --workspace DIR)"
        )
    }

    /// Opens the workspace rooted at `root`, reading and checking its feedback.json.
    public static func open(_ root: URL) throws -> Workspace {
        let configURL = root.appendingPathComponent(configName)
        let decoder = FormDecoder(baseDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        let display = decoder.displayPath(configURL)
        switch decoder.parseFile(configURL, display: display) {
        case .failure(let diagnostic):
            throw FormError([diagnostic])
        case .success(let node):
            var reader = StrictReader(file: display)
            let config = WorkspaceConfig.decode(node, reader: &reader)
            if !reader.diagnostics.isEmpty { throw FormError(reader.diagnostics) }
            return Workspace(root: root.standardizedFileURL, config: config)
        }
    }

    /// The form files in forms/, sorted by name.
    public func formFiles() throws -> [URL] {
        let fm = FileManager.default
        guard fm.fileExists(atPath: formsDirectory.path) else {
            throw WorkspaceError("\(formsDirectory.path): no forms folder (run `feedback init`)")
        }
        let names = try fm.contentsOfDirectory(atPath: formsDirectory.path)
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
            .map { formsDirectory.appendingPathComponent($0) }
    }

    /// Every form of the workspace that reads without problems, and the problems of the others.
    public func loadForms(decoder: FormDecoder = FormDecoder()) throws -> (forms: [Form], diagnostics: [FormDiagnostic]) {
        var forms: [Form] = []
        var diagnostics: [FormDiagnostic] = []
        for url in try formFiles() {
            switch decoder.load(url) {
            case .success(let form): forms.append(form)
            case .failure(let error): diagnostics.append(contentsOf: error.diagnostics)
            }
        }
        return (forms, diagnostics)
    }

    /// The form with this id; it must be valid.
    public func form(id: String, decoder: FormDecoder = FormDecoder()) throws -> Form {
        let files = try formFiles()
        for url in files {
            let result = decoder.load(url)
            if case .success(let form) = result, form.id == id { return form }
            if case .failure(let error) = result, url.deletingPathExtension().lastPathComponent == id { throw error }
        }
        let known = try loadForms(decoder: decoder).forms.map(\.id)
        var message = "no form with id \"\(id)\" in \(formsDirectory.path)"
        if let guess = Suggestion.closest(to: id, among: known) {
            message += "; did you mean \"\(guess)\"?"
        } else if !known.isEmpty {
            message += "; the forms are: " + known.joined(separator: ", ")
        }
        throw WorkspaceError(message + " (see `feedback forms list`)")
    }
}
