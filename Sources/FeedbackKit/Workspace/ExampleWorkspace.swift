import Foundation

/// The ready example workspace that `feedback init` writes: config, departments and two forms.
public enum ExampleWorkspace {
    /// Writes the example workspace into `directory`, creating it where needed.
    ///
    /// Nothing is written when a file would be overwritten and `force` is false; the error
    /// names every such file. Returns the paths written, relative to `directory`.
    @discardableResult
    public static func write(to directory: URL, force: Bool) throws -> [String] {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: directory.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw WorkspaceError("\(directory.path) is a file, not a folder: choose another place for the workspace")
        }
        let existing = files.map(\.path).filter { fm.fileExists(atPath: directory.appendingPathComponent($0).path) }
        if !existing.isEmpty && !force {
            throw WorkspaceError(
                "\(directory.path) already holds \(existing.joined(separator: ", ")): nothing was written (pass --force to overwrite them)"
            )
        }
        do {
            for folder in ["forms", "reports"] {
                try fm.createDirectory(at: directory.appendingPathComponent(folder, isDirectory: true), withIntermediateDirectories: true)
            }
            for file in files {
                try Data(file.contents.utf8).write(to: directory.appendingPathComponent(file.path), options: .atomic)
            }
        } catch {
            throw WorkspaceError("cannot write the workspace in \(directory.path): \(FormDecoder.reason(error))")
        }
        return files.map(\.path) + ["reports/"]
    }
}
