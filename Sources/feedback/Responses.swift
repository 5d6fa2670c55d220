import ArgumentParser
import FeedbackKit
import Foundation

struct Responses: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "See what the store holds: count, list and export responses.",
        subcommands: [Count.self, List.self, Export.self]
    )

    /// Filters shared by the responses subcommands.
    struct Filter: ParsableArguments {
        @Option(help: "Only responses to this form.")
        var form: String?

        @Option(help: "Only responses of this month, YYYY-MM (local time).")
        var month: String?

        @Option(help: "Only responses about this department (its id).")
        var department: String?

        func validate() throws {
            _ = try checkedMonth(month)
        }

        var filter: ResponseFilter { ResponseFilter(formId: form, month: month, department: department) }
    }
}

extension Responses {
    struct Count: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count stored responses; with --by, per month or per department.",
            discussion:
                "Examples:\n  feedback responses count --form enterprise-service --month 2025-04\n  feedback responses count --by month"
        )

        @OptionGroup var workspaceOptions: WorkspaceOptions
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var filter: Filter

        @Option(help: "month or department: one line per value.")
        var by: String?

        func validate() throws {
            if let by, by != "month" && by != "department" { throw ValidationError("--by takes month or department (got \"\(by)\")") }
        }

        func run() throws {
            try reportingErrors {
                let workspace = try workspaceOptions.open()
                let store = try storeOptions.open(in: workspace)
                guard let by else {
                    Terminal.output(String(try store.read { try $0.count(filter.filter) }))
                    return
                }
                var table = TextTable(columns: [.init(by), .init("responses", alignment: .right)])
                if by == "month" {
                    for entry in try store.read({ try $0.months(formId: filter.form) })
                    where filter.month == nil || filter.month == entry.month {
                        var f = filter.filter
                        f.month = entry.month
                        table.append([entry.month, String(try store.read { try $0.count(f) })])
                    }
                } else {
                    var counts: [String: Int] = [:]
                    try store.read { reader in
                        try reader.forEach(filter.filter, limit: nil) { counts[$0.response.department ?? "(none)", default: 0] += 1 }
                    }
                    for (department, n) in counts.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                        table.append([department, String(n)])
                    }
                }
                table.render().forEach(Terminal.output)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List stored responses: id, time, department, overall rating, comment (contacts masked).",
            discussion: "Example:\n  feedback responses list --form window-evaluation --month 2025-04 --department taxation"
        )

        @OptionGroup var workspaceOptions: WorkspaceOptions
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var filter: Filter

        @Option(help: "At most this many responses.")
        var limit: Int = 50

        func run() throws {
            try reportingErrors {
                let workspace = try workspaceOptions.open()
                let store = try storeOptions.open(in: workspace)
                let forms = try workspace.loadForms().forms
                var table = TextTable(columns: [
                    .init("response", maxWidth: 28), .init("form"), .init("submitted"), .init("department", maxWidth: 16),
                    .init("overall", alignment: .right), .init("comment", maxWidth: 40),
                ])
                try store.read { reader in
                    try reader.forEach(filter.filter, limit: limit) { stored in
                        let r = stored.response
                        let form = forms.first { $0.id == r.formId }
                        let overall = form?.question(withRole: .overall).flatMap { r.answers[$0.id]?.number }.map { String(Int($0)) } ?? ""
                        var comment = ""
                        if let q = form?.question(withRole: .comment), case .text(let text) = r.answers[q.id] {
                            comment = PersonalData.maskText(text.replacingOccurrences(of: "\n", with: " "))
                        }
                        let department = form?.departments.first { $0.id == r.department }?.name.zh ?? r.department ?? ""
                        table.append([
                            r.key, r.formId, r.submittedAt.map { String($0.prefix(16)).replacingOccurrences(of: "T", with: " ") } ?? "",
                            department, overall, comment,
                        ])
                    }
                }
                table.render().forEach(Terminal.output)
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export stored responses in full as CSV or JSON Lines (contact answers masked unless --include-contact).",
            discussion:
                "Examples:\n  feedback responses export --format jsonl > all.jsonl\n  feedback responses export --format csv --form enterprise-service --month 2025-04 --out april.csv"
        )

        @OptionGroup var workspaceOptions: WorkspaceOptions
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var filter: Filter

        @Option(help: "csv or jsonl.")
        var format: String = "jsonl"

        @Option(help: "Write to this file instead of stdout.")
        var out: String?

        @Flag(help: "Export contact answers unmasked (personal data: keep the file safe).")
        var includeContact = false

        func validate() throws {
            if format != "csv" && format != "jsonl" { throw ValidationError("--format takes csv or jsonl (got \"\(format)\")") }
            if format == "csv" && filter.form == nil {
                throw ValidationError("CSV has one column per question, so --format csv needs --form ID")
            }
        }

        func run() throws {
            try reportingErrors {
                let workspace = try workspaceOptions.open()
                let store = try storeOptions.open(in: workspace)
                let form = try filter.form.map { try workspace.form(id: $0) }
                let export = ResponseExport(form: form, includeContact: includeContact)
                let sink: FileHandle
                if let out {
                    // Unmasked contact answers make the file personal data: the owner's alone.
                    let attributes: [FileAttributeKey: Any]? = includeContact ? [.posixPermissions: 0o600] : nil
                    guard FileManager.default.createFile(atPath: out, contents: nil, attributes: attributes) else {
                        throw WorkspaceError("cannot write \(out): check the folder exists and is writable")
                    }
                    sink = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
                } else {
                    sink = FileHandle.standardOutput
                }
                var buffer = ""
                func flush(_ force: Bool) {
                    if force || buffer.utf8.count > 1 << 16 {
                        sink.write(Data(buffer.utf8))
                        buffer = ""
                    }
                }
                var count = 0
                if format == "csv" {
                    // A CSV is opened in a spreadsheet: cells that would run as formulas are escaped.
                    var header = CSVWriter(escapesFormulas: true)
                    header.append(export.csvHeader)
                    buffer = header.text
                }
                try store.read { reader in
                    try reader.forEach(filter.filter, limit: nil) { stored in
                        if format == "csv" {
                            var row = CSVWriter(escapesFormulas: true, byteOrderMark: false)
                            row.append(export.csvRow(stored))
                            buffer += row.text
                        } else {
                            buffer += export.jsonLine(stored) + "\n"
                        }
                        count += 1
                        flush(false)
                    }
                }
                flush(true)
                if out != nil { try sink.close() }
                Terminal().message("exported \(count) response\(count == 1 ? "" : "s")" + (out.map { " to \($0)" } ?? ""))
            }
        }
    }
}
