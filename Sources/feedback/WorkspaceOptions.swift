import ArgumentParser
import FeedbackKit
import Foundation

/// The option that picks the workspace, shared by every command that needs one.
struct WorkspaceOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "The workspace folder (default: the nearest folder upwards with a feedback.json).")
    var workspace: String?

    func open() throws -> Workspace {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        if let workspace {
            let url = URL(fileURLWithPath: workspace, relativeTo: cwd)
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent(Workspace.configName).path) else {
                throw WorkspaceError(
                    "\(workspace) holds no \(Workspace.configName): is it a workspace? (`feedback init \(workspace)` makes one)")
            }
            return try Workspace.open(url)
        }
        return try Workspace.locate(from: cwd)
    }
}

/// Runs a command body, printing library errors as one clear message and exiting 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        Terminal().error((error as? any LocalizedError)?.errorDescription ?? "\(error)")
        throw ExitCode.failure
    }
}

/// The option that picks the store; FEEDBACK_STORE works the same way.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The store file (default: FEEDBACK_STORE, then the workspace's \"store\", feedback.sqlite).")
    var store: String?

    /// Where the store is: --store, then FEEDBACK_STORE, then feedback.json's "store" in the workspace.
    func path(in workspace: Workspace) -> String {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        if let store { return URL(fileURLWithPath: store, relativeTo: cwd).standardizedFileURL.path }
        if let env = ProcessInfo.processInfo.environment["FEEDBACK_STORE"], !env.isEmpty {
            return URL(fileURLWithPath: env, relativeTo: cwd).standardizedFileURL.path
        }
        return URL(fileURLWithPath: workspace.config.store, relativeTo: workspace.root).standardizedFileURL.path
    }

    /// Opens the store; a command that has to wait for another one's write says so on stderr.
    func open(in workspace: Workspace) throws -> SQLiteStore {
        let path = try path(in: workspace)
        return try SQLiteStore(path: path) {
            FileHandle.standardError.write(Data("waiting for another feedback command to finish writing to \(path)\n".utf8))
        }
    }
}

/// A month argument, YYYY-MM, checked so that it can never name a path outside reports/.
func checkedMonth(_ month: String?) throws -> String? {
    guard let month else { return nil }
    let parts = month.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let y = Int(parts[0]), let m = Int(parts[1]), y >= 1900,
        (1...12).contains(m)
    else {
        throw ValidationError("--month must be a month written YYYY-MM, such as 2025-04 (got \"\(month)\")")
    }
    return month
}

/// The month and form a score or report is about, shared by `score` and `report`.
struct MonthOptions: ParsableArguments {
    @Option(help: "The month, YYYY-MM.")
    var month: String

    @Option(help: "Only this form (default: every form with responses in the month).")
    var form: String?

    func validate() throws {
        _ = try checkedMonth(month)
    }

    /// The named form, or every valid form of the workspace (a form file that is not valid is left
    /// out with a warning); `read` keeps those with responses in the month.
    private func candidateForms(in workspace: Workspace) throws -> [Form] {
        if let form { return [try workspace.form(id: form)] }
        let (forms, diagnostics) = try workspace.loadForms()
        for file in Set(diagnostics.map(\.file)).sorted() {
            Terminal().warning("\(file) is not a valid form and is left out (`feedback forms validate` says why)")
        }
        return forms
    }

    /// Runs `body` in one read of the store with the forms of the month (the named form, or every
    /// form with responses in the month), their report digests for this month and the last
    /// current. When a digest is stale it is brought up to date first where the store can be
    /// written at once; otherwise `score` and `report` rescan those months (docs/reports.md).
    func read<T>(in workspace: Workspace, store: SQLiteStore, _ body: ([Form], any ResponseReader) throws -> T) throws -> T {
        let candidates = try candidateForms(in: workspace)
        let months = [month, Scorer.previousMonth(month)]
        // The common case, digests current, takes one read: checking them there leaves the month
        // counts they are checked against remembered for the scoring that follows.
        let first: (result: T?, forms: [Form], stale: [Form]) = try store.read { reader in
            let forms =
                form != nil ? candidates : try candidates.filter { try reader.hasResponses(ResponseFilter(formId: $0.id, month: month)) }
            let stale = try forms.filter { form in
                let layout = ScoringLayout(form: form)
                return try months.contains { try reader.digestTallies(of: layout, month: $0) == nil }
            }
            return (stale.isEmpty ? try body(forms, reader) : nil, forms, stale)
        }
        if let result = first.result { return result }
        for form in first.stale { try? store.refreshDigests(of: form, months: months) }
        return try store.read { reader in try body(first.forms, reader) }
    }
}
