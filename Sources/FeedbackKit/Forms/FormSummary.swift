import Foundation

/// Readable summaries of forms for `feedback forms list` and `feedback forms show`.
public enum FormSummary {
    /// One line per form: id, version, title, question count.
    public static func list(_ forms: [Form], english: Bool = false) -> [String] {
        var table = TextTable(columns: [
            .init("id"), .init("version", alignment: .right), .init("questions", alignment: .right), .init("title"),
        ])
        for form in forms.sorted(by: { $0.id < $1.id }) {
            table.append([form.id, String(form.version), String(form.questions.count), form.title.text(english: english)])
        }
        return table.render()
    }

    /// Questions, roles and scales of one form, then its pain points.
    public static func show(_ form: Form, english: Bool = false) -> [String] {
        var lines = [
            "\(form.id) v\(form.version): \(form.title.zh)" + (form.title.en.map { " / \($0)" } ?? ""),
            "file: \(form.path)",
            "\(form.departments.count) departments, \(form.painPoints.count) pain points, \(form.questions.count) questions",
            "",
        ]
        var questions = TextTable(columns: [
            .init("#", alignment: .right), .init("id"), .init("type"), .init("role"), .init("answers", maxWidth: 30),
            .init("req"), .init("label", maxWidth: 30),
        ])
        for (i, q) in form.questions.enumerated() {
            var role = q.role?.rawValue ?? ""
            if q.role == .dimension { role += " ×" + FormDecoder.format(q.weight) }
            questions.append([
                String(i + 1), q.id, q.type.rawValue, role, answers(q, form: form, english: english),
                q.required ? "yes" : "", q.label.text(english: english),
            ])
        }
        lines.append(contentsOf: questions.render())
        if !form.painPoints.isEmpty {
            lines.append("")
            var pains = TextTable(columns: [.init("pain point"), .init("label"), .init("keywords", maxWidth: 56)])
            for p in form.painPoints {
                pains.append([p.id, p.label.text(english: english), p.keywords.joined(separator: "、")])
            }
            lines.append(contentsOf: pains.render())
        }
        return lines
    }

    static func answers(_ q: Question, form: Form, english: Bool) -> String {
        switch q.type {
        case .rating:
            let low = q.levels.first?.text(english: english) ?? "1"
            let high = q.levels.last?.text(english: english) ?? String(q.scale)
            return "1..\(q.scale) (\(low)..\(high))"
        case .nps:
            return "0..10"
        case .single, .multiple:
            if q.role == .department && q.choices.isEmpty { return "\(form.departments.count) departments" }
            return q.choices.map { $0.label.text(english: english) }.joined(separator: " / ")
        case .yesNo:
            return english ? "yes / no" : "是 / 否"
        case .integer, .number:
            let lo = q.minimum.map(FormDecoder.format) ?? ""
            let hi = q.maximum.map(FormDecoder.format) ?? ""
            return lo.isEmpty && hi.isEmpty ? q.type.rawValue : "\(lo)..\(hi)"
        case .date, .datetime, .text:
            return ""
        }
    }
}
