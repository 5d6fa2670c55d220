import Foundation

/// One record as read from a source, before mapping: named values and where it stood.
public struct SourceRecord: Sendable {
    /// Line (CSV, JSON Lines), row (sheets) or 1-based index (JSON arrays, remote pages).
    public var position: Int
    public var names: [String]
    public var values: [FieldValue]
    /// The record as it was read, for the rejects file: table cells, or the JSON text.
    public var raw: Raw

    public enum Raw: Sendable {
        case cells([String])
        case json(String)
    }

    public init(position: Int, names: [String], values: [FieldValue], raw: Raw) {
        self.position = position
        self.names = names
        self.values = values
        self.raw = raw
    }
}

/// Why a record was rejected: the column and what is wrong with it.
public struct RecordProblem: Sendable, Equatable {
    public var column: String
    public var message: String
}

/// Maps source records onto a form: columns to questions, values to answers, and identity.
struct RecordMapper {
    let form: Form
    let zone: UTCOffset
    let source: String
    private let parsers: [AnswerParser]
    /// The questions' ids by index (for speed: reading `form.questions[q].id` copied the question).
    private let questionIds: [String]
    private let shape: FormShape
    private let requiredQuestions: [Int]
    private var tiers: [[String: Int]] = []
    private var choiceTiers: [[String: Int]] = []
    private let departmentQuestion: Int?

    /// Built-in response-id columns of the exports we know, tried when the form names none present.
    static let defaultIdColumns: [[String]] = [
        ["_uuid"], ["meta/instanceID"], ["meta-instanceID"], ["instanceID"], ["KEY"], ["__id"], ["序号", "提交答卷时间"],
    ]
    /// Built-in submission-time columns, tried after the form's own.
    static let defaultTimeColumns = [
        "提交答卷时间", "_submission_time", "SubmissionDate", "__system/submissionDate", "submissionDate", "submitted_at",
        "submittedAt", "submission_time", "end", "endtime",
    ]

    enum Target: Equatable {
        case question(Int)
        case option(question: Int, choice: String)
        case extra
    }

    /// A record's fate: the response it gives, or every problem that keeps it out.
    enum Mapped {
        case accepted(Response)
        case rejected([RecordProblem])
    }

    /// How the columns of one header map: computed once per header.
    struct Plan {
        var targets: [Target]
        var idColumns: [Int]
        var timeColumn: Int?
        /// KoboToolbox writes `_submission_time` in UTC without saying so.
        var timeIsUTC = false

        /// The questions that some column answers, whole or as the tick column of one choice.
        var answeredQuestions: Set<Int> {
            Set(
                targets.compactMap { target -> Int? in
                    switch target {
                    case .question(let q), .option(let q, _): q
                    case .extra: nil
                    }
                })
        }
    }

    /// The first names of a header, for a message: "a, b, c, …".
    static func listed(_ names: [String], most: Int = 8) -> String {
        names.prefix(most).joined(separator: ", ") + (names.count > most ? ", …" : "")
    }

    init(form: Form, zone: UTCOffset, source: String) {
        self.form = form
        self.zone = form.metadata.timezone.flatMap(UTCOffset.init) ?? zone
        self.source = source
        let departments = DepartmentIndex(form.departments)
        parsers = form.questions.map { AnswerParser(question: $0, departments: departments) }
        questionIds = form.questions.map(\.id)
        shape = FormShape(form)
        requiredQuestions = form.questions.indices.filter { form.questions[$0].required }
        departmentQuestion = form.questionIndex(withRole: .department)
        // Three tiers of matching, strictest first: as written; without 问卷星 numbering and
        // trailing punctuation; and without a trailing note in brackets such as （可多选）.
        let transforms: [(String) -> String] = [AnswerParser.fold, Self.normalize, { Self.stripNote(Self.normalize($0)) }]
        for transform in transforms {
            var tier: [String: Int] = [:]
            var ambiguous = Set<String>()
            for (i, q) in form.questions.enumerated() {
                let names = [q.id, q.label.zh] + (q.label.en.map { [$0] } ?? []) + q.columns
                for key in Set(names.map(transform)) where !key.isEmpty {
                    if let other = tier[key], other != i { ambiguous.insert(key) }
                    tier[key] = i
                }
            }
            for key in ambiguous { tier.removeValue(forKey: key) }
            tiers.append(tier)
        }
    }

    static func normalize(_ header: String) -> String {
        var s = Substring(AnswerParser.fold(header))
        // 问卷星 numbers its questions: "3、", "3.", "Q3.", "第3题".
        if s.hasPrefix("q"), s.dropFirst().first?.isNumber == true { s = s.dropFirst() }
        if s.hasPrefix("第") {
            let rest = s.dropFirst().drop { $0.isNumber }
            if rest.hasPrefix("题"), rest.startIndex != s.index(after: s.startIndex) { s = rest.dropFirst() }
        }
        let digits = s.prefix { $0.isNumber }
        if !digits.isEmpty {
            let rest = s.dropFirst(digits.count)
            if let mark = rest.first, "、.．:：)）".contains(mark) { s = rest.dropFirst() }
        }
        while let last = s.last, "：:？?".contains(last) || last.isWhitespace { s = s.dropLast() }
        return s.trimmingCharacters(in: .whitespaces)
    }

    /// The header without trailing notes in brackets, such as "(多选,) (多选题 *必答)" or "（可选）".
    static func stripNote(_ text: String) -> String {
        var s = text
        var changed = true
        while changed {
            changed = false
            for (open, close) in [("（", "）"), ("(", ")"), ("【", "】"), ("[", "]")] where s.hasSuffix(close) {
                if let start = s.range(of: open, options: .backwards), start.lowerBound != s.startIndex {
                    s = String(s[..<start.lowerBound])
                    while let last = s.last, "：:？?".contains(last) || last.isWhitespace { s.removeLast() }
                    changed = true
                }
            }
        }
        return s
    }

    private func question(forHeader header: String) -> Int? {
        let transforms: [(String) -> String] = [AnswerParser.fold, Self.normalize, { Self.stripNote(Self.normalize($0)) }]
        for (tier, transform) in zip(tiers, transforms) {
            if let i = tier[transform(header)] { return i }
        }
        return nil
    }

    func target(forColumn header: String) -> Target {
        if let q = question(forHeader: header) { return .question(q) }
        // KoboToolbox: "group/field" for grouped questions and "Question/option" 0/1 columns;
        // 问卷星: "matrix title—row" on the first row of a matrix (later rows are bare). A label or
        // an option may itself hold the separator ("Schools/educational institutions"), so every
        // cut is tried, the last first.
        for separator in ["/", "-", "—"] {
            var end = header.endIndex
            while let cut = header.range(of: separator, options: .backwards, range: header.startIndex..<end) {
                end = cut.lowerBound
                let head = String(header[..<cut.lowerBound])
                let tail = String(header[cut.upperBound...])
                if separator != "—", let q = question(forHeader: head), form.questions[q].type == .multiple,
                    case .answer(.choices(let values), _) = parsers[q].parse(.text(tail)), values.count == 1
                {
                    return .option(question: q, choice: values[0])
                }
                if separator != "-", let q = question(forHeader: tail) { return .question(q) }
            }
        }
        return .extra
    }

    func plan(header: [String]) -> Plan {
        let targets = header.map(target(forColumn:))
        let folded = header.map(AnswerParser.fold)
        func index(of name: String) -> Int? { folded.firstIndex(of: AnswerParser.fold(name)) }
        var idColumns = form.metadata.responseId.compactMap(index(of:))
        if idColumns.isEmpty {
            for alternative in Self.defaultIdColumns {
                let found = alternative.compactMap(index(of:))
                if found.count == alternative.count {
                    idColumns = found
                    break
                }
            }
        }
        let timeColumn = (form.metadata.submittedAt + Self.defaultTimeColumns).lazy.compactMap(index(of:)).first
        let timeIsUTC = timeColumn.map { folded[$0] == "_submission_time" } ?? false
        return Plan(targets: targets, idColumns: idColumns, timeColumn: timeColumn, timeIsUTC: timeIsUTC)
    }

    /// The response a record gives, or every problem that keeps it out.
    func map(_ record: SourceRecord, plan: Plan) -> Mapped {
        var problems: [RecordProblem] = []
        var values = record.values
        if values.count > record.names.count {
            if values[record.names.count...].allSatisfy(\.isBlank) {
                values.removeLast(values.count - record.names.count)
            } else {
                return .rejected([
                    RecordProblem(
                        column: "",
                        message:
                            "has \(values.count) fields but the header has \(record.names.count) (is a quote or a delimiter out of place?)")
                ])
            }
        } else if values.count < record.names.count {
            if values.count == 1 && values[0].isBlank {
                return .rejected([RecordProblem(column: "", message: "the record is empty")])
            }
            return .rejected([
                RecordProblem(
                    column: "",
                    message: "has \(values.count) fields but the header has \(record.names.count) (is a quote or a delimiter out of place?)"
                )
            ])
        }
        if values.allSatisfy(\.isBlank) {
            return .rejected([RecordProblem(column: "", message: "the record is empty")])
        }

        // The answers by question index (see AnswerSlots).
        var slots = [Answer?](repeating: nil, count: questionIds.count)
        var otherText: [String: String] = [:]
        var ticks: [Int: [String]] = [:]
        var extra: [(String, String)] = []
        // Questions whose answer was invalid: already reported, not reported again as missing.
        var invalid = Set<Int>()
        for (i, value) in values.enumerated() {
            switch plan.targets[i] {
            case .question(let q):
                if slots[q] != nil { continue }
                switch parsers[q].parseRemembering(value) {
                case .answer(let answer, let other):
                    slots[q] = answer
                    if let other { otherText[questionIds[q]] = other }
                case .notAnswered:
                    break
                case .invalid(let message):
                    invalid.insert(q)
                    problems.append(RecordProblem(column: record.names[i], message: message))
                }
            case .option(let q, let choice):
                let text = value.display.trimmingSpace()
                if text.isEmpty || AnswerParser.skipMarkers.contains(text) { continue }
                var list = ticks[q] ?? []
                if ["1", "true", "yes", "是", "1.0"].contains(AnswerParser.fold(text)) {
                    list.append(choice)
                } else if !["0", "false", "no", "否", "0.0"].contains(AnswerParser.fold(text)) {
                    problems.append(RecordProblem(column: record.names[i], message: "\"\(text)\" is not a tick (1) or no tick (0)"))
                }
                ticks[q] = list
            case .extra:
                if !value.isBlank, !plan.idColumns.contains(i), plan.timeColumn != i {
                    extra.append((record.names[i], value.display))
                }
            }
        }
        for (q, chosen) in ticks.sorted(by: { $0.key < $1.key }) where slots[q] == nil {
            let order = form.questions[q].choices.map(\.value)
            slots[q] = .choices(order.filter(chosen.contains))
        }
        for q in requiredQuestions where slots[q] == nil && !invalid.contains(q) {
            let question = form.questions[q]
            let column = plan.targets.firstIndex(of: .question(q)).map { record.names[$0] } ?? question.id
            problems.append(RecordProblem(column: column, message: "\(question.label.zh) is required but has no answer"))
        }

        var timestamp: Timestamp?
        if let t = plan.timeColumn, !values[t].isBlank {
            timestamp = Timestamp(values[t].display, zone: zone, unmarkedIsUTC: plan.timeIsUTC)
            if timestamp == nil {
                problems.append(
                    RecordProblem(
                        column: record.names[t], message: "\"\(values[t].display)\" is not a date and time (such as 2025-04-03 09:30:00)"))
            }
        }
        if !problems.isEmpty { return .rejected(problems) }

        let idParts = plan.idColumns.map { values[$0].display.trimmingSpace() }.filter { !$0.isEmpty }
        let key: String
        if !idParts.isEmpty && idParts.count == plan.idColumns.count {
            key = idParts.joined(separator: "|")
        } else {
            var hash = ContentHash()
            for (name, value) in zip(record.names, values) {
                hash.add(name)
                hash.add(value.display)
            }
            key = "h:" + hash.hex
        }
        var department: String?
        if let dq = departmentQuestion, case .text(let id) = slots[dq] { department = id }
        return .accepted(
            Response(
                formId: form.id, formVersion: form.version, key: key, submittedAt: timestamp?.iso, month: timestamp?.month,
                department: department, slots: AnswerSlots(shape: shape, ids: questionIds, values: slots), otherText: otherText,
                extra: extra, source: source, position: record.position))
    }
}
