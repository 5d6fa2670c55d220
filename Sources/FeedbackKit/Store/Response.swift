import Foundation

/// One answer to one question, after mapping onto the form.
public enum Answer: Sendable, Equatable {
    /// Ratings, NPS, integers and numbers.
    case number(Double)
    /// Text, dates (yyyy-MM-dd), date-times (ISO 8601) and single-choice values.
    case text(String)
    /// The values ticked on a multiple-choice question.
    case choices([String])
    /// "Not applicable": excluded from every figure.
    case notApplicable

    /// The answer as stored: numbers, strings, arrays; null means not applicable.
    public var json: JSONValue {
        switch self {
        case .number(let v): .number(JSONWriter.number(v))
        case .text(let s): .string(s)
        case .choices(let values): .array(values.map(JSONValue.string))
        case .notApplicable: .null
        }
    }

    public init?(json node: JSONNode) {
        switch node.value {
        case .null: self = .notApplicable
        case .number(let lexeme):
            guard let v = Double(lexeme) else { return nil }
            self = .number(v)
        case .string(let s): self = .text(s)
        case .array(let items): self = .choices(items.compactMap(\.stringValue))
        case .bool, .object: return nil
        }
    }

    public var number: Double? {
        if case .number(let v) = self { return v }
        return nil
    }
}

/// A response mapped onto its form, ready to store.
///
/// A value, kept in one shared object that a change copies first (for speed: an import hands each
/// response on several times, and a copy of a dozen fields retained every text in them; one
/// object is retained once).
public struct Response: Sendable, Equatable {
    private final class Storage: @unchecked Sendable {
        // Changed only while uniquely referenced (see `unique`), so shared storage is never written.
        var formId: String
        var formVersion: Int
        var key: String
        var submittedAt: String?
        var month: String?
        var department: String?
        var answersById: [String: Answer]
        var slots: AnswerSlots?
        var otherText: [String: String]
        var extra: [(String, String)]
        var source: String
        var position: Int

        init(
            formId: String, formVersion: Int, key: String, submittedAt: String?, month: String?, department: String?,
            answersById: [String: Answer], slots: AnswerSlots?, otherText: [String: String], extra: [(String, String)],
            source: String, position: Int
        ) {
            self.formId = formId
            self.formVersion = formVersion
            self.key = key
            self.submittedAt = submittedAt
            self.month = month
            self.department = department
            self.answersById = answersById
            self.slots = slots
            self.otherText = otherText
            self.extra = extra
            self.source = source
            self.position = position
        }

        func copy() -> Storage {
            Storage(
                formId: formId, formVersion: formVersion, key: key, submittedAt: submittedAt, month: month, department: department,
                answersById: answersById, slots: slots, otherText: otherText, extra: extra, source: source, position: position)
        }
    }

    private var storage: Storage

    /// The storage, copied first when another response shares it.
    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    public var formId: String {
        get { storage.formId }
        set { unique().formId = newValue }
    }
    public var formVersion: Int {
        get { storage.formVersion }
        set { unique().formVersion = newValue }
    }
    /// The response id from the export, or a hash of the record's content ("h:…").
    public var key: String {
        get { storage.key }
        set { unique().key = newValue }
    }
    /// ISO 8601 with the offset the data was written in, such as 2025-04-03T09:05:31+08:00.
    public var submittedAt: String? {
        get { storage.submittedAt }
        set { unique().submittedAt = newValue }
    }
    /// yyyy-MM in the local time of `submittedAt`.
    public var month: String? {
        get { storage.month }
        set { unique().month = newValue }
    }
    public var department: String? {
        get { storage.department }
        set { unique().department = newValue }
    }
    /// Answers by question id; a question not answered has no entry.
    public var answers: [String: Answer] {
        get { storage.slots?.byId ?? storage.answersById }
        set {
            let storage = unique()
            storage.answersById = newValue
            storage.slots = nil
        }
    }
    /// The answers by question index, as the import's mapper made them (see AnswerSlots): when
    /// set, they are the answers, and `answers` is made from them when asked for.
    var slots: AnswerSlots? { storage.slots }
    /// Free text given with an "other" choice, by question id.
    public var otherText: [String: String] {
        get { storage.otherText }
        set { unique().otherText = newValue }
    }
    /// Columns of the source that map onto no question, kept so that nothing is lost.
    public var extra: [(String, String)] {
        get { storage.extra }
        set { unique().extra = newValue }
    }
    /// The file or remote source the record came from.
    public var source: String {
        get { storage.source }
        set { unique().source = newValue }
    }
    /// The record's line (files with lines) or 1-based index (JSON, sheets) in its source.
    public var position: Int {
        get { storage.position }
        set { unique().position = newValue }
    }

    public init(
        formId: String, formVersion: Int, key: String, submittedAt: String?, month: String?, department: String?,
        answers: [String: Answer], otherText: [String: String] = [:], extra: [(String, String)] = [], source: String, position: Int
    ) {
        storage = Storage(
            formId: formId, formVersion: formVersion, key: key, submittedAt: submittedAt, month: month, department: department,
            answersById: answers, slots: nil, otherText: otherText, extra: extra, source: source, position: position)
    }

    /// A response whose answers are by question index (the import's mapper: for speed, it makes
    /// no dictionary by id, which only a reader that asks for `answers` builds).
    init(
        formId: String, formVersion: Int, key: String, submittedAt: String?, month: String?, department: String?,
        slots: AnswerSlots, otherText: [String: String], extra: [(String, String)], source: String, position: Int
    ) {
        storage = Storage(
            formId: formId, formVersion: formVersion, key: key, submittedAt: submittedAt, month: month, department: department,
            answersById: [:], slots: slots, otherText: otherText, extra: extra, source: source, position: position)
    }

    public static func == (lhs: Response, rhs: Response) -> Bool {
        lhs.formId == rhs.formId && lhs.formVersion == rhs.formVersion && lhs.key == rhs.key && lhs.submittedAt == rhs.submittedAt
            && lhs.month == rhs.month && lhs.department == rhs.department && lhs.answers == rhs.answers
            && lhs.otherText == rhs.otherText && lhs.extra.elementsEqual(rhs.extra, by: { $0 == $1 })
            && lhs.source == rhs.source && lhs.position == rhs.position
    }

    /// Answers as a JSON object with keys sorted (as `export` writes them, and as stores before
    /// format v9 kept them).
    public var answersJSON: String { String(decoding: answersJSONBytes, as: UTF8.self) }

    /// The UTF-8 bytes of `answersJSON`.
    var answersJSONBytes: [UInt8] {
        // Written directly rather than through JSONValue; the text is the same as
        // JSONValue.object(...).serialized() gives.
        var out: [UInt8] = [0x7B]
        for (i, (key, answer)) in answers.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { out.append(0x2C) }
            JSONWriter.appendQuoted(key, to: &out)
            out.append(0x3A)
            Self.append(answer, to: &out)
        }
        out.append(0x7D)
        return out
    }

    /// Appends the answers as a block keeps them (see `BlockCodec`): each under its id's number in
    /// `keys` (the form's sorted ids, which a block lists once), or under the id itself where
    /// `keys` is nil or lacks it. Where the mapper made the answers by index for the form of `keys`,
    /// they are walked by index (for speed: that spares building and sorting a dictionary by id).
    func appendCompactAnswers<Out: ByteOutput>(keys: AnswerKeys?, to out: inout Out) {
        guard let keys, let byIndex = slots?.values(for: keys.shape) else {
            return Self.appendCompact(answers, keys: keys, to: &out)
        }
        for n in keys.ids.indices {
            guard let answer = byIndex[keys.indices[n]] else { continue }
            BlockCodec.append(answer, number: n + 1, id: nil, to: &out)
        }
    }

    /// `appendCompactAnswers` of answers by id.
    static func appendCompact<Out: ByteOutput>(_ answers: [String: Answer], keys: AnswerKeys?, to out: inout Out) {
        for (id, answer) in answers.sorted(by: { $0.key < $1.key }) {
            if let n = keys?.index(of: id) {
                BlockCodec.append(answer, number: n + 1, id: nil, to: &out)
            } else {
                BlockCodec.append(answer, number: 0, id: id, to: &out)
            }
        }
    }

    private static func append(_ answer: Answer, to out: inout [UInt8]) {
        switch answer {
        case .number(let v): JSONWriter.appendNumber(v, to: &out)
        case .text(let s): JSONWriter.appendQuoted(s, to: &out)
        case .choices(let values):
            out.append(0x5B)
            for (j, value) in values.enumerated() {
                if j > 0 { out.append(0x2C) }
                JSONWriter.appendQuoted(value, to: &out)
            }
            out.append(0x5D)
        case .notApplicable: out.append(contentsOf: "null".utf8)
        }
    }

    static func decodeAnswers(_ text: String) -> [String: Answer] {
        guard let node = try? JSONParser.parse(text), let members = node.members else { return [:] }
        var result: [String: Answer] = [:]
        for member in members {
            if let answer = Answer(json: member.value) { result[member.key] = answer }
        }
        return result
    }
}

/// What answers by question index are made for: a form's id, version and number of questions.
struct FormShape: Sendable, Equatable {
    let id: String
    let version: Int
    let questionCount: Int

    init(_ form: Form) {
        id = form.id
        version = form.version
        questionCount = form.questions.count
    }
}

/// A response's answers by the index of their question in its form, which the import's mapper
/// makes instead of a dictionary by id, so that the import reads them without hashing question
/// ids (for speed: building and reading that dictionary was a sixth of the reading thread's time).
final class AnswerSlots: Sendable {
    let shape: FormShape
    /// The form's question ids, by index.
    let ids: [String]
    private let values: [Answer?]

    convenience init(form: Form, values: [Answer?]) {
        self.init(shape: FormShape(form), ids: form.questions.map(\.id), values: values)
    }

    /// `ids`: the question ids of the form `shape` describes, by index (shared by every response).
    init(shape: FormShape, ids: [String], values: [Answer?]) {
        precondition(ids.count == shape.questionCount && values.count == shape.questionCount)
        self.shape = shape
        self.ids = ids
        self.values = values
    }

    /// The answers by question index when they were made for this form; nil otherwise.
    func values(for shape: FormShape) -> [Answer?]? {
        shape == self.shape ? values : nil
    }

    /// The answers by question id.
    var byId: [String: Answer] {
        var result: [String: Answer] = [:]
        result.reserveCapacity(values.count)
        for (id, value) in zip(ids, values) { if let value { result[id] = value } }
        return result
    }
}

/// Reads a response's answers by question: from its slots where it has them for the form, else by id.
struct AnswerLookup {
    private let answers: [String: Answer]
    private let slots: [Answer?]?
    /// The lean path's draft, whose answers by question index are made when first asked for.
    private let draft: Unmanaged<LeanDraft>?
    /// A lean record read back, whose texts and choices are made when first asked for.
    private let record: Unmanaged<RecordAnswers>?

    init(_ response: Response, shape: FormShape) {
        draft = nil
        record = nil
        if let values = response.slots?.values(for: shape) {
            slots = values
            answers = [:]
        } else {
            slots = nil
            answers = response.answers
        }
    }

    /// The answers of the lean path's draft, each made when first read (for speed: most answers
    /// are not read); valid while the draft holds the record.
    init(draft: LeanDraft) {
        self.draft = Unmanaged.passUnretained(draft)
        record = nil
        self.slots = nil
        answers = [:]
    }

    /// The answers of a lean record read back, each text or choices made when first read; valid
    /// while `record` holds the record.
    init(record: RecordAnswers) {
        self.record = Unmanaged.passUnretained(record)
        draft = nil
        self.slots = nil
        answers = [:]
    }

    /// The answer to the question with this id and index in the form; nil when either is nil.
    subscript(_ id: String?, _ index: Int?) -> Answer? {
        guard let id, let index else { return nil }
        if let draft { return draft._withUnsafeGuaranteedRef { $0.answer(index) } }
        if let record { return record._withUnsafeGuaranteedRef { $0.answer(index) } }
        if let slots { return slots[index] }
        return answers[id]
    }

    /// The same as scoring reads a number (from a draft without making the answer).
    @inline(__always)
    func item(_ id: String?, _ index: Int?) -> ScoringValues.Item {
        if let draft, let index, id != nil { return draft._withUnsafeGuaranteedRef { $0.item(index) } }
        if let record, let index, id != nil { return record._withUnsafeGuaranteedRef { $0.item(index) } }
        return ScoringValues.Item(self[id, index])
    }

    /// The mask `work` gives the answer (from a draft, worked out once per remembered outcome; from
    /// a record, once per list of choices); nil where there is none.
    @inline(__always)
    func mask(_ id: String?, _ index: Int?, _ work: (Answer) -> UInt64) -> UInt64? {
        if let draft, let index, id != nil { return draft._withUnsafeGuaranteedRef { $0.mask(index, work) } }
        if let record, let index, id != nil { return record._withUnsafeGuaranteedRef { $0.mask(index, work) } }
        return self[id, index].map(work)
    }

    /// The UTF-8 bytes of a text answer that is kept as bytes: a draft's text taken as it is (see
    /// `LeanDraft.textAsItIs`), a record's text not made yet; nil otherwise. They hold until the
    /// draft or the record is started again, as long as the lookup may be used.
    @inline(__always)
    func textBytes(_ id: String?, _ index: Int?) -> UnsafeBufferPointer<UInt8>? {
        guard let index, id != nil else { return nil }
        if let draft { return draft._withUnsafeGuaranteedRef { $0.textAsItIs(index) } }
        if let record { return record._withUnsafeGuaranteedRef { $0.text(index) } }
        return nil
    }
}

/// A form's question ids in sorted order, the order a block lists a response's answers in, with
/// each one's index in the form (for `AnswerSlots`).
final class AnswerKeys: Sendable {
    let shape: FormShape
    let ids: [String]
    let indices: [Int]

    init(form: Form) {
        let order = form.questions.indices.sorted { form.questions[$0].id < form.questions[$1].id }
        shape = FormShape(form)
        indices = order
        ids = order.map { form.questions[$0].id }
    }

    /// Where `id` is in `ids`; nil when the form has no such question.
    func index(of id: String) -> Int? {
        // A binary search: the ids are sorted, as Strings compare.
        var low = 0
        var high = ids.count
        while low < high {
            let mid = (low + high) / 2
            if ids[mid] < id { low = mid + 1 } else { high = mid }
        }
        // Equal by their bytes: an id only canonically equivalent keeps its own spelling.
        return low < ids.count && ids[low].utf8.elementsEqual(id.utf8) ? low : nil
    }
}

/// A response as read back from the store, with where and when it was imported.
public struct StoredResponse: Sendable, Equatable {
    public var response: Response
    public var importedAt: String
}

/// Which responses a query is about.
public struct ResponseFilter: Sendable, Equatable {
    public var formId: String?
    public var month: String?
    public var department: String?

    public init(formId: String? = nil, month: String? = nil, department: String? = nil) {
        self.formId = formId
        self.month = month
        self.department = department
    }
}

/// A lean record's answers by question index, as `BlockCodec.Reader.leanRecord` reads them back
/// on the thread that stores an import, kept from record to record. Numbers are read at once;
/// texts and choices are made when first asked for (for speed: reading the record back, each text
/// made a String at once, was a third of working out a digest entry there, and not every text is
/// read: a service's name or a phone number only for a bad review; callgrind, 20k CSV rows: 13.1k
/// to 12.6k instructions an entry). Valid while the record's bytes are.
final class RecordAnswers {
    let questionCount: Int
    /// What each question holds (see `Kind`); a byte each, with its number in `numbers` (for speed:
    /// with every answer kept as an `Answer?`, copied in and destroyed as an enum, reading a record
    /// back took 3,600 instructions, this way 1,800; bench/README.md, twenty-fifth round).
    private let kinds: UnsafeMutablePointer<UInt8>
    private let numbers: UnsafeMutablePointer<Double>
    /// A text or choices made when first asked for.
    private let slots: UnsafeMutablePointer<Answer?>
    /// For a text, digits or choices not made yet, the head of its answer.
    private let heads: UnsafeMutablePointer<UInt64>
    /// Where that answer's value starts in `bytes`.
    private let starts: UnsafeMutablePointer<Int>
    /// The questions answered, the first `answeredCount`, which `start` forgets.
    private let answered: UnsafeMutablePointer<Int>
    private var answeredCount = 0
    private var bytes = UnsafeRawBufferPointer(start: nil, count: 0)
    /// The masks `mask` has worked out for lists of choices to `maskQuestion`, by their bytes.
    private var masks = ByteMemo<UInt64>(limit: 1024)
    private var maskQuestion = -1

    private enum Kind {
        static let none: UInt8 = 0
        static let number: UInt8 = 1
        static let notApplicable: UInt8 = 2
        /// A text, digits or choices not made yet (`heads`, `starts`).
        static let deferred: UInt8 = 3
        /// A text, digits or choices made (`slots`).
        static let made: UInt8 = 4
    }

    init(questionCount: Int) {
        self.questionCount = questionCount
        kinds = .allocate(capacity: questionCount)
        kinds.initialize(repeating: Kind.none, count: questionCount)
        numbers = .allocate(capacity: questionCount)
        numbers.initialize(repeating: 0, count: questionCount)
        slots = .allocate(capacity: questionCount)
        slots.initialize(repeating: nil, count: questionCount)
        heads = .allocate(capacity: questionCount)
        heads.initialize(repeating: 0, count: questionCount)
        starts = .allocate(capacity: questionCount)
        starts.initialize(repeating: 0, count: questionCount)
        answered = .allocate(capacity: questionCount)
    }

    deinit {
        slots.deinitialize(count: questionCount)
        slots.deallocate()
        kinds.deallocate()
        numbers.deallocate()
        heads.deallocate()
        starts.deallocate()
        answered.deallocate()
    }

    /// Forgets the answers before, for a record whose answers are `bytes`.
    func start(_ bytes: UnsafeRawBufferPointer) {
        for n in 0..<answeredCount {
            let q = answered[n]
            if kinds[q] == Kind.made { slots[q] = nil }
            kinds[q] = Kind.none
        }
        answeredCount = 0
        self.bytes = bytes
    }

    /// Question `q`'s answer is the number `value`; each question is answered once in a record (a
    /// repeat is damage, which `leanRecord` refuses).
    @inline(__always)
    func setNumber(_ q: Int, _ value: Double) throws {
        try answering(q, Kind.number)
        numbers[q] = value
    }

    /// Question `q`'s answer is "not applicable".
    @inline(__always)
    func setNotApplicable(_ q: Int) throws {
        try answering(q, Kind.notApplicable)
    }

    /// Question `q`'s answer has head `head` (a text, digits or choices) and its value at `at`,
    /// checked already.
    @inline(__always)
    func `defer`(_ q: Int, head: UInt64, at: Int) throws {
        try answering(q, Kind.deferred)
        heads[q] = head
        starts[q] = at
    }

    @inline(__always)
    private func answering(_ q: Int, _ kind: UInt8) throws {
        guard kinds[q] == Kind.none, answeredCount < questionCount else { throw BlockCodec.Malformed() }
        kinds[q] = kind
        answered[answeredCount] = q
        answeredCount += 1
    }

    /// Question `q`'s answer as scoring reads a number (see `LeanDraft.item`): numbers are made as
    /// the record is read, and a text, digits or choices are neither a number nor "not applicable".
    @inline(__always)
    func item(_ q: Int) -> ScoringValues.Item {
        switch kinds[q] {
        case Kind.number: .number(numbers[q])
        case Kind.notApplicable: .notApplicable
        default: .unanswered
        }
    }

    /// The UTF-8 bytes of question `q`'s answer where it is a text not made yet (in the record's
    /// bytes, which hold until `start`); nil otherwise.
    func text(_ q: Int) -> UnsafeBufferPointer<UInt8>? {
        guard kinds[q] == Kind.deferred, heads[q] & 7 == 3 else { return nil }
        var reader = BlockCodec.Reader(bytes: bytes, at: starts[q])
        // Checked by `leanRecord`, so reading it cannot fail.
        guard let count = try? reader.number(), let text = try? reader.span(count) else { return nil }
        return text.assumingMemoryBound(to: UInt8.self)
    }

    /// The mask `work` gives question `q`'s answer; nil where it is not answered. For a list of
    /// choices not made yet, worked out once per list and remembered by its bytes (for speed:
    /// making the list's texts, then looking each up, took about 800 instructions a response of the
    /// bench data; callgrind). Every caller must give the same `work` for the same question, as for
    /// `AnswerParser.rememberedMask` (a record's answers are read for one form).
    func mask(_ q: Int, _ work: (Answer) -> UInt64) -> UInt64? {
        guard let key = choicesBytes(q) else { return answer(q).map(work) }
        if maskQuestion != q {
            masks.removeAll()
            maskQuestion = q
        }
        if let mask = masks.value(for: key) { return mask }
        guard let answer = answer(q) else { return nil }
        let mask = work(answer)
        masks.insert(mask, for: key)
        return mask
    }

    /// The bytes of question `q`'s answer where it is a list of choices not made yet: its count,
    /// then each choice's length and bytes; nil otherwise.
    private func choicesBytes(_ q: Int) -> UnsafeRawBufferPointer? {
        guard kinds[q] == Kind.deferred, heads[q] & 7 == 4 else { return nil }
        var reader = BlockCodec.Reader(bytes: bytes, at: starts[q])
        // Checked by `leanRecord`, so reading it cannot fail.
        guard let count = try? reader.number() else { return nil }
        for _ in 0..<count { guard (try? reader.skipText()) != nil else { return nil } }
        return UnsafeRawBufferPointer(rebasing: bytes[starts[q]..<reader.at])
    }

    func answer(_ q: Int) -> Answer? {
        switch kinds[q] {
        case Kind.number: return .number(numbers[q])
        case Kind.notApplicable: return .notApplicable
        case Kind.deferred:
            kinds[q] = Kind.made
            var reader = BlockCodec.Reader(bytes: bytes, at: starts[q])
            // Checked by `leanRecord`, so reading it cannot fail.
            slots[q] = try? reader.answer(heads[q])
            return slots[q]
        case Kind.made: return slots[q]
        default: return nil
        }
    }
}
