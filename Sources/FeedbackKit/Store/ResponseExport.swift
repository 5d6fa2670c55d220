import Foundation

/// Writes stored responses out in full, so that the store is never a trap.
public struct ResponseExport {
    public var form: Form?
    /// Contact answers are masked unless this is set.
    public var includeContact = false

    public init(form: Form?, includeContact: Bool = false) {
        self.form = form
        self.includeContact = includeContact
    }

    private var contactIds: Set<String> {
        Set(form?.questions.filter { $0.role == .contact }.map(\.id) ?? [])
    }

    private func shown(_ answer: Answer, question: String) -> Answer {
        guard !includeContact, contactIds.contains(question), case .text(let s) = answer else { return answer }
        return .text(PersonalData.maskContact(s))
    }

    /// One JSON object per response: identity, time, department, source, answers.
    public func jsonLine(_ stored: StoredResponse) -> String {
        let r = stored.response
        var answers: [(String, JSONValue)] = []
        let given = r.answers
        let order = form?.questions.map(\.id) ?? given.keys.sorted()
        for id in order { if let a = given[id] { answers.append((id, shown(a, question: id).json)) } }
        for id in given.keys.sorted() where !order.contains(id) { answers.append((id, given[id]?.json ?? .null)) }
        var members: [(String, JSONValue)] = [
            ("form", .string(r.formId)), ("formVersion", .int(r.formVersion)), ("responseId", .string(r.key)),
            ("submittedAt", .optional(r.submittedAt)), ("month", .optional(r.month)), ("department", .optional(r.department)),
            ("answers", .object(answers)),
        ]
        if !r.otherText.isEmpty {
            members.append(("other", .object(r.otherText.keys.sorted().map { ($0, .string(r.otherText[$0] ?? "")) })))
        }
        if !r.extra.isEmpty { members.append(("extra", .object(r.extra.map { ($0.0, .string($0.1)) }))) }
        members += [("source", .string(r.source)), ("position", .int(r.position)), ("importedAt", .string(stored.importedAt))]
        return JSONValue.object(members).serialized()
    }

    /// The CSV header: fixed columns, then one column per question of the form.
    public var csvHeader: [String] {
        // The department is the department question's column.
        ["response_id", "form", "form_version", "submitted_at", "month"] + (form?.questions.map(\.id) ?? [])
            + ["other", "source", "position", "imported_at"]
    }

    public func csvRow(_ stored: StoredResponse) -> [String] {
        let r = stored.response
        var row = [r.key, r.formId, String(r.formVersion), r.submittedAt ?? "", r.month ?? ""]
        let given = r.answers
        for q in form?.questions ?? [] {
            guard let answer = given[q.id] else {
                row.append("")
                continue
            }
            switch shown(answer, question: q.id) {
            case .number(let v): row.append(JSONWriter.number(v))
            case .text(let s): row.append(s)
            case .choices(let values): row.append(values.joined(separator: ";"))
            case .notApplicable: row.append("N/A")
            }
        }
        let other = r.otherText.keys.sorted().map { "\($0): \(r.otherText[$0] ?? "")" }.joined(separator: "; ")
        row += [other, r.source, String(r.position), stored.importedAt]
        return row
    }
}
