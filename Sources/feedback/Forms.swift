import ArgumentParser
import FeedbackKit
import Foundation

struct Forms: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check, list and show the workspace's forms.",
        subcommands: [Validate.self, List.self, Show.self]
    )
}

extension Forms {
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check forms and report every problem as FILE: JSON-PATH: message.",
            discussion: """
                Exits 0 when every form is valid and 1 when any problem was found.

                Examples:
                  feedback forms validate
                  feedback forms validate forms/enterprise-service.json
                """
        )

        @OptionGroup var options: WorkspaceOptions

        @Argument(help: "Form files to check (default: every form in the workspace's forms/).")
        var files: [String] = []

        func run() throws {
            try reportingErrors {
                let decoder = FormDecoder()
                var forms: [Form] = []
                var diagnostics: [FormDiagnostic] = []
                if files.isEmpty {
                    let workspace = try options.open()
                    (forms, diagnostics) = try workspace.loadForms(decoder: decoder)
                    if forms.isEmpty && diagnostics.isEmpty {
                        throw WorkspaceError("\(workspace.formsDirectory.path) holds no forms (*.json)")
                    }
                } else {
                    for file in files {
                        switch decoder.load(URL(fileURLWithPath: file)) {
                        case .success(let form): forms.append(form)
                        case .failure(let error): diagnostics.append(contentsOf: error.diagnostics)
                        }
                    }
                }
                let terminal = Terminal()
                // A departments file shared by several broken forms would otherwise repeat its problems.
                var seen = Set<String>()
                for diagnostic in diagnostics where seen.insert(diagnostic.description).inserted {
                    Terminal.output(diagnostic.description)
                }
                for form in forms { terminal.message("ok: \(form.path) (\(form.id), \(form.questions.count) questions)") }
                if !diagnostics.isEmpty {
                    terminal.message("\(seen.count) problem\(seen.count == 1 ? "" : "s") found")
                    throw ExitCode.failure
                }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the workspace's forms: id, version, question count, title.",
            discussion: "Example:\n  feedback forms list"
        )

        @OptionGroup var options: WorkspaceOptions

        @Flag(help: "Show English titles where the form has them.")
        var english = false

        func run() throws {
            try reportingErrors {
                let (forms, diagnostics) = try options.open().loadForms()
                FormSummary.list(forms, english: english).forEach(Terminal.output)
                if !diagnostics.isEmpty {
                    Terminal().warning("\(diagnostics.count) problem(s) in other forms; run `feedback forms validate`")
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a form's questions, roles, scales and pain points.",
            discussion: "Example:\n  feedback forms show enterprise-service"
        )

        @OptionGroup var options: WorkspaceOptions

        @Argument(help: "The form's id.")
        var id: String

        @Flag(help: "Show English labels where the form has them.")
        var english = false

        func run() throws {
            try reportingErrors {
                let form = try options.open().form(id: id)
                FormSummary.show(form, english: english).forEach(Terminal.output)
            }
        }
    }
}
