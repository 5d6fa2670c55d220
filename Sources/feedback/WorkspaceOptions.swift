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
