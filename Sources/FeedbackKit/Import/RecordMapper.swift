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
// A class (for speed): the lean path reads it for every record, and as a struct it was copied,
// reference by reference, each time.
final class RecordMapper {
    let form: Form
    let zone: UTCOffset
    let source: String
    let parsers: [AnswerParser]
    /// The same, for the lean path to reach unretained (see `mapLean`); `parsers` keeps them.
    let unmanagedParsers: [Unmanaged<AnswerParser>]
    /// The questions' ids by index (for speed: reading `form.questions[q].id` copied the question).
    private let questionIds: [String]
    private let shape: FormShape
    let requiredQuestions: [Int]
    private let tiers: [[String: Int]]
    let departmentQuestion: Int?
    /// The form's sorted question ids, which number the answers a block keeps; each parser keeps
    /// its question's number, for the lean path (see LeanRecord.swift).
    let keys: AnswerKeys

    /// Built-in response-id columns of the exports we know, tried when the form names none present.
    static let defaultIdColumns: [[String]] = [
        ["_uuid"], ["meta/instanceID"], ["meta-instanceID"], ["instanceID"], ["KEY"], ["__id"], ["序号", "提交答卷时间"],
    ]
    /// Built-in submission-time columns, tried after the form's own.
    static let defaultTimeColumns = [
        "提交答卷时间", "_submission_time", "SubmissionDate", "__system/submissionDate", "submissionDate", "submitted_at",
        "submittedAt", "submission_time", "end", "endtime",
    ]

    enum Target: Equatable, Sendable {
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
    /// An object (for speed: as a struct, its arrays were each retained and released wherever a
    /// record's plan was passed on, on the reading thread of an import).
    final class Plan: Sendable {
        let targets: [Target]
        let idColumns: [Int]
        let timeColumn: Int?
        /// KoboToolbox writes `_submission_time` in UTC without saying so.
        let timeIsUTC: Bool
        /// Whether records of this header may take the lean path (see LeanRecord.swift): no column
        /// is one choice's tick.
        let isLean: Bool

        init(targets: [Target], idColumns: [Int], timeColumn: Int?, timeIsUTC: Bool = false, isLean: Bool = false) {
            self.targets = targets
            self.idColumns = idColumns
            self.timeColumn = timeColumn
            self.timeIsUTC = timeIsUTC
            self.isLean = isLean
        }

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
        let keys = AnswerKeys(form: form)
        var numbers = [Int](repeating: 0, count: form.questions.count)
        for (n, q) in keys.indices.enumerated() { numbers[q] = n + 1 }
        parsers = form.questions.indices.map {
            AnswerParser(question: form.questions[$0], departments: departments, blockNumber: numbers[$0])
        }
        unmanagedParsers = parsers.map(Unmanaged.passUnretained)
        self.keys = keys
        questionIds = form.questions.map(\.id)
        shape = FormShape(form)
        requiredQuestions = form.questions.indices.filter { form.questions[$0].required }
        departmentQuestion = form.questionIndex(withRole: .department)
        // Three tiers of matching, strictest first: as written; without 问卷星 numbering and
        // trailing punctuation; and without a trailing note in brackets such as （可多选）.
        let transforms: [(String) -> String] = [AnswerParser.fold, Self.normalize, { Self.stripNote(Self.normalize($0)) }]
        var tiers: [[String: Int]] = []
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
        self.tiers = tiers
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
        let isLean = !targets.contains { if case .option = $0 { true } else { false } }
        return Plan(targets: targets, idColumns: idColumns, timeColumn: timeColumn, timeIsUTC: timeIsUTC, isLean: isLean)
    }

    /// The id columns' values joined by "|", nil when there are none or one is blank.
    static func responseId<Values: RecordValues>(_ values: Values, columns: [Int]) -> String? {
        // One column, the usual case, makes no list (for speed: once a record).
        if columns.count == 1 {
            let id = values.display(columns[0]).trimmingSpace()
            return id.isEmpty ? nil : id
        }
        let parts = columns.map { values.display($0).trimmingSpace() }
        return parts.isEmpty || parts.contains(where: \.isEmpty) ? nil : parts.joined(separator: "|")
    }

    /// The key of a record with no id: a hash of its names and values ("h:…").
    static func contentKey<Values: RecordValues>(_ values: Values, names: [String]) -> String {
        var hash = ContentHash()
        for i in 0..<names.count {
            hash.add(names[i])
            hash.add(values.display(i))
        }
        return "h:" + hash.hex
    }

    /// The response a record gives, or every problem that keeps it out.
    func map(_ record: SourceRecord, plan: Plan) -> Mapped {
        map(record.values, names: record.names, position: record.position, plan: plan)
    }

    /// The same for a record given as its values by column, its header's names and its position.
    func map<Values: RecordValues>(_ values: Values, names: [String], position: Int, plan: Plan) -> Mapped {
        var problems: [RecordProblem] = []
        // Fields past the header's end are dropped when they are all blank.
        let count = values.count
        if count > names.count {
            if !(names.count..<count).allSatisfy(values.isBlank) {
                return .rejected([
                    RecordProblem(
                        column: "",
                        message: "has \(count) fields but the header has \(names.count) (is a quote or a delimiter out of place?)")
                ])
            }
        } else if count < names.count {
            if count == 1 && values.isBlank(0) {
                return .rejected([RecordProblem(column: "", message: "the record is empty")])
            }
            return .rejected([
                RecordProblem(
                    column: "",
                    message: "has \(count) fields but the header has \(names.count) (is a quote or a delimiter out of place?)"
                )
            ])
        }
        let columns = 0..<names.count
        if columns.allSatisfy(values.isBlank) {
            return .rejected([RecordProblem(column: "", message: "the record is empty")])
        }

        // The answers by question index (see AnswerSlots).
        // Made through its buffer (for speed: `init(repeating:count:)` copied nil as an Answer?
        // element by element, a thousand instructions a record).
        var slots = [Answer?](unsafeUninitializedCapacity: questionIds.count) { buffer, count in
            buffer.initialize(repeating: nil)
            count = buffer.count
        }
        var otherText: [String: String] = [:]
        var ticks: [Int: [String]] = [:]
        var extra: [(String, String)] = []
        // Questions whose answer was invalid: already reported, not reported again as missing.
        var invalid = Set<Int>()
        for i in columns {
            switch plan.targets[i] {
            case .question(let q):
                if slots[q] != nil { continue }
                switch values.parse(i, with: parsers[q]) {
                case .answer(let answer, let other):
                    slots[q] = answer
                    if let other { otherText[questionIds[q]] = other }
                case .notAnswered:
                    break
                case .invalid(let message):
                    invalid.insert(q)
                    problems.append(RecordProblem(column: names[i], message: message))
                }
            case .option(let q, let choice):
                let text = values.display(i).trimmingSpace()
                if text.isEmpty || AnswerParser.skipMarkers.contains(text) { continue }
                var list = ticks[q] ?? []
                if ["1", "true", "yes", "是", "1.0"].contains(AnswerParser.fold(text)) {
                    list.append(choice)
                } else if !["0", "false", "no", "否", "0.0"].contains(AnswerParser.fold(text)) {
                    problems.append(RecordProblem(column: names[i], message: "\"\(text)\" is not a tick (1) or no tick (0)"))
                }
                ticks[q] = list
            case .extra:
                if !values.isBlank(i), !plan.idColumns.contains(i), plan.timeColumn != i {
                    extra.append((names[i], values.display(i)))
                }
            }
        }
        for (q, chosen) in ticks.sorted(by: { $0.key < $1.key }) where slots[q] == nil {
            let order = form.questions[q].choices.map(\.value)
            slots[q] = .choices(order.filter(chosen.contains))
        }
        for q in requiredQuestions where slots[q] == nil && !invalid.contains(q) {
            let question = form.questions[q]
            let column = plan.targets.firstIndex(of: .question(q)).map { names[$0] } ?? question.id
            problems.append(RecordProblem(column: column, message: "\(question.label.zh) is required but has no answer"))
        }

        var timestamp: Timestamp?
        if let t = plan.timeColumn, !values.isBlank(t) {
            timestamp = values.timestamp(t, zone: zone, unmarkedIsUTC: plan.timeIsUTC)
            if timestamp == nil {
                problems.append(
                    RecordProblem(
                        column: names[t], message: "\"\(values.display(t))\" is not a date and time (such as 2025-04-03 09:30:00)"))
            }
        }
        if !problems.isEmpty { return .rejected(problems) }

        let key = Self.responseId(values, columns: plan.idColumns) ?? Self.contentKey(values, names: names)
        var department: String?
        if let dq = departmentQuestion, case .text(let id) = slots[dq] { department = id }
        return .accepted(
            Response(
                formId: form.id, formVersion: form.version, key: key, submittedAt: timestamp?.iso, month: timestamp?.month,
                department: department, slots: AnswerSlots(shape: shape, ids: questionIds, values: slots), otherText: otherText,
                extra: extra, source: source, position: position))
    }
}

/// A record's values by column, as the mapper reads them: the values of a JSON record or a sheet's
/// row, or a CSV record's cells as bytes (see CSVCells).
protocol RecordValues {
    var count: Int { get }
    func isBlank(_ i: Int) -> Bool
    /// The value as one piece of text (`FieldValue.display`).
    func display(_ i: Int) -> String
    /// `parser.parseRemembering` of the value.
    func parse(_ i: Int, with parser: AnswerParser) -> ParsedAnswer
    /// The value read as a time (`Timestamp(display(i), …)`).
    func timestamp(_ i: Int, zone: UTCOffset, unmarkedIsUTC: Bool) -> Timestamp?
}

extension [FieldValue]: RecordValues {
    func isBlank(_ i: Int) -> Bool { self[i].isBlank }
    func display(_ i: Int) -> String { self[i].display }
    func parse(_ i: Int, with parser: AnswerParser) -> ParsedAnswer { parser.parseRemembering(self[i]) }
    func timestamp(_ i: Int, zone: UTCOffset, unmarkedIsUTC: Bool) -> Timestamp? {
        Timestamp(self[i].display, zone: zone, unmarkedIsUTC: unmarkedIsUTC)
    }
}

extension CSVCells: RecordValues {
    var count: Int { fieldCount }

    /// Whether a text of these UTF-8 bytes is blank (`isBlankText`), read from the bytes where they settle it.
    static func isBlank(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for b in bytes {
            switch b {
            case 0x09...0x0D, 0x20: continue
            // The first bytes of every white space beyond ASCII: U+0085, U+00A0 (C2), U+1680 (E1),
            // U+2000–U+205F (E2), U+3000 (E3).
            case 0xC2, 0xE1, 0xE2, 0xE3: return String(decoding: bytes, as: UTF8.self).isBlankText
            default: return false
            }
        }
        return true
    }
}

/// A record's values read from its cells' bytes (CSVCells, LineCells): a value that is not a
/// text as `FieldValue` reads it, a text from its bytes.
extension LeanCells {
    /// `FieldValue.text(…).isBlank`, from the bytes where they settle it.
    func isBlank(_ i: Int) -> Bool {
        if let value = other(i) { return value.isBlank }
        return withField(i, CSVCells.isBlank)
    }

    func display(_ i: Int) -> String {
        other(i)?.display ?? withField(i) { String(decoding: $0, as: UTF8.self) }
    }

    func parse(_ i: Int, with parser: AnswerParser) -> ParsedAnswer {
        if let value = other(i) { return parser.parseRemembering(value) }
        return withField(i) { parser.parseRemembering(bytes: $0) }
    }

    func timestamp(_ i: Int, zone: UTCOffset, unmarkedIsUTC: Bool) -> Timestamp? {
        if let value = other(i) { return Timestamp(value.display, zone: zone, unmarkedIsUTC: unmarkedIsUTC) }
        return withField(i) { Timestamp(bytes: $0, zone: zone, unmarkedIsUTC: unmarkedIsUTC) }
    }
}
