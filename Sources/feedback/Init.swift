import ArgumentParser
import FeedbackKit
import Foundation

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a new workspace: feedback.json, departments.json, forms/ with two example forms, reports/.",
        discussion: """
            Refuses to overwrite existing files unless --force is given, and names them.

            Example:
              feedback init my-district
            """
    )

    @Argument(help: "The folder to write the workspace into (default: the current folder).")
    var directory: String = "."

    @Flag(help: "Overwrite files that already exist.")
    var force = false

    func run() throws {
        try reportingErrors {
            let url = URL(fileURLWithPath: directory, isDirectory: true)
            let written = try ExampleWorkspace.write(to: url, force: force)
            let terminal = Terminal()
            terminal.message("wrote a workspace in \(directory):")
            for path in written { terminal.message("  \(path)") }
            terminal.message("next: edit the forms in forms/, then run `feedback forms validate`")
        }
    }
}
