import Foundation

// The lean path of an import, written by hand for speed (bench/README.md, fifteenth round).
//
// A table's record whose columns each answer a question, or are its id or its time, or are blank,
// goes from its cells' bytes to the bytes a block keeps and to its digest entry, over buffers kept
// from record to record: no Response, no answers by id, no object per record. Each question's
// parser remembers, with the outcome of each distinct cell text, that answer as a block keeps it
// (`AnswerParser.lookup`), so most of a record's answers are copies of a few bytes, taken by
// the outcome's index; a free text with nothing to trim is copied as it is, with no lookup
// (`AnswerParser.isTextAsItIs`). Before, a record made about ten objects on the reading thread,
// and counted references to their texts about two hundred times; that thread was the slower of
// the two.
//
// A record the lean path does not take goes the full way (`RecordMapper.map`): one that is
// rejected, gives an "other" text, has a column of no question that is not blank, or is empty;
// and every record of a table with a column for one choice's tick. Both ways give the same bytes
// for a record (LeanPathTests compare whole stores).

/// A record's answers as the lean path maps them, kept from record to record.
///
/// Its tables are kept through pointers (for speed: as arrays, each of the few writes per cell
/// checked that the array was not shared, a tenth of the lean path's work on a cell).
final class LeanDraft {
    let questionCount: Int
    /// The answers by question index, for the digest entry.
    private let slots: UnsafeMutablePointer<Answer?>
    /// Where each answered question's answer lies in `encoded`, as a block keeps it; -1: none.
    private let starts: UnsafeMutablePointer<Int>
    private let ends: UnsafeMutablePointer<Int>
    /// The questions answered, in the order met: the first `answeredCount`.
    private let answered: UnsafeMutablePointer<Int>
    private var answeredCount = 0
    /// The columns of no question that are not blank (nor the id or the time), in order.
    fileprivate(set) var extras: [Int] = []
    /// The submission time; nil where the record has none.
    fileprivate(set) var time: Time?

    enum Time {
        /// The cell of this column, which is a time as `Timestamp.iso` writes it (see
        /// `Timestamp.isCanonical`): copied as it is.
        case canonical(column: Int)
        case read(Timestamp)
    }
    /// Written through `UnretainedScratch`.
    private let encoded = ScratchBytes(capacity: 256)

    /// The parsers whose remembered outcomes `remembered` indexes.
    private let parsers: [AnswerParser]
    /// For each question answered by a remembered outcome, its index (see
    /// `AnswerParser.lookup`), whose answer is put in `slots` only when asked for (for speed:
    /// most records' answers are read again only from their bytes); -1: none.
    private let remembered: UnsafeMutablePointer<Int32>

    /// Where the text of an answer taken as it is starts in `encoded` (its `remembered` is
    /// `asItIs`), or the value of a digit text (`asDigits`, see `CompactFields.digits`).
    private let textStarts: UnsafeMutablePointer<Int>
    private static let asItIs: Int32 = -2
    private static let asDigits: Int32 = -4
    /// The `remembered` of an answer put in its slot already.
    private static let inSlot: Int32 = -3

    init(parsers: [AnswerParser]) {
        self.parsers = parsers
        let questionCount = parsers.count
        self.questionCount = questionCount
        remembered = .allocate(capacity: questionCount)
        remembered.initialize(repeating: -1, count: questionCount)
        textStarts = .allocate(capacity: questionCount)
        textStarts.initialize(repeating: 0, count: questionCount)
        slots = .allocate(capacity: questionCount)
        slots.initialize(repeating: nil, count: questionCount)
        starts = .allocate(capacity: questionCount)
        starts.initialize(repeating: -1, count: questionCount)
        ends = .allocate(capacity: questionCount)
        ends.initialize(repeating: -1, count: questionCount)
        answered = .allocate(capacity: questionCount)
    }

    deinit {
        slots.deinitialize(count: questionCount)
        slots.deallocate()
        starts.deallocate()
        ends.deallocate()
        remembered.deallocate()
        textStarts.deallocate()
        answered.deallocate()
    }

    var isEmpty: Bool { answeredCount == 0 }

    func has(_ q: Int) -> Bool { starts[q] >= 0 }

    /// The answer to question `q`.
    func answer(_ q: Int) -> Answer? {
        fillSlot(q)
        return slots[q]
    }

    /// Question `q`'s answer as scoring reads a number, without making the answer where it is a
    /// remembered outcome (for speed: a digest entry reads about ten of them).
    @inline(__always)
    func item(_ q: Int) -> ScoringValues.Item {
        let index = remembered[q]
        if index >= 0 { return parsers[q].rememberedItem(index) }
        // A text taken as it is, or none.
        if index == Self.asItIs || index == Self.asDigits || starts[q] < 0 { return .unanswered }
        return ScoringValues.Item(slots[q])
    }

    /// The mask `work` gives question `q`'s answer, worked out once per remembered outcome (see
    /// `AnswerParser.rememberedMask`); nil where the question is not answered.
    @inline(__always)
    func mask(_ q: Int, _ work: (Answer) -> UInt64) -> UInt64? {
        let index = remembered[q]
        if index >= 0 { return parsers[q].rememberedMask(index, work) }
        return answer(q).map(work)
    }

    /// The bytes of question `q`'s answer where it is a text taken as it is (see
    /// `AnswerParser.isTextAsItIs`), which hold until `reset`; nil otherwise.
    @inline(__always)
    func textAsItIs(_ q: Int) -> UnsafeBufferPointer<UInt8>? {
        guard remembered[q] == Self.asItIs else { return nil }
        return UnsafeBufferPointer(rebasing: encoded.written[textStarts[q]..<ends[q]])
    }

    /// The answers by question index.
    var answers: [Answer?] {
        fillSlots()
        return Array(UnsafeBufferPointer(start: slots, count: questionCount))
    }

    /// Calls `body` with a lookup of the answers, valid only in `body`. Each answer is made when
    /// the lookup is first asked for it.
    func withAnswers<T>(_ body: (AnswerLookup) -> T) -> T {
        body(AnswerLookup(draft: self))
    }

    /// Puts the answers of remembered outcomes, and of texts taken as they are, in `slots`.
    private func fillSlots() {
        for n in 0..<answeredCount { fillSlot(answered[n]) }
    }

    /// Puts the answer of question `q` in its slot, where it is a remembered outcome or a text
    /// taken as it is and not there yet.
    @inline(__always)
    private func fillSlot(_ q: Int) {
        let index = remembered[q]
        if index >= 0 {
            slots[q] = parsers[q].rememberedAnswer(index)
        } else if index == Self.asItIs {
            slots[q] = .text(String(decoding: UnsafeBufferPointer(rebasing: encoded.written[textStarts[q]..<ends[q]]), as: UTF8.self))
        } else if index == Self.asDigits {
            slots[q] = .text(String(textStarts[q]))
        } else {
            return
        }
        remembered[q] = Self.inSlot
    }

    func reset() {
        for n in 0..<answeredCount {
            let q = answered[n]
            slots[q] = nil
            starts[q] = -1
            remembered[q] = -1
        }
        answeredCount = 0
        if !extras.isEmpty { extras.removeAll(keepingCapacity: true) }
        time = nil
        encoded.removeAll()
    }

    /// Takes the parsed cell of question `q`, with its answer as a block keeps it when the parser
    /// has it (else encoded here under `number`). False where the record must go the full way.
    @inline(__always)
    func take(_ q: Int, _ parsed: ParsedAnswer, _ encoding: UnsafeRawBufferPointer?, number: Int) -> Bool {
        switch parsed {
        case .answer(let answer, let other):
            guard other == nil else { return false }
            slots[q] = answer
            starts[q] = encoded.count
            var out = UnretainedScratch(encoded)
            if let encoding {
                out.append(contentsOf: encoding.assumingMemoryBound(to: UInt8.self))
            } else {
                BlockCodec.append(answer, number: number, id: nil, to: &out)
            }
            ends[q] = encoded.count
            answered[answeredCount] = q
            answeredCount += 1
            return true
        case .notAnswered:
            return true
        case .invalid:
            return false
        }
    }

    /// Takes the cell `bytes` of question `q`, whose parser is `parser`; false where the record
    /// must go the full way.
    @inline(__always)
    func take(_ q: Int, _ bytes: UnsafeRawBufferPointer, of parser: AnswerParser) -> Bool {
        if parser.isTextAsItIs(bytes) {
            take(q, textAsItIs: bytes, number: parser.blockNumber)
            return true
        }
        switch parser.lookup(bytes: bytes) {
        case .empty:
            return true
        case .remembered(let index):
            switch parser.leanKind(index) {
            case .answer:
                take(q, remembered: index, of: parser)
                return true
            case .notAnswered: return true
            case .other: return false
            }
        case .parsed(let parsed):
            return take(q, parsed, nil, number: parser.blockNumber)
        }
    }

    /// Takes question `q`'s answer from `parser`'s remembered outcome at `index`, whose kind is
    /// `.answer`: its bytes as a block keeps them, and the index, for its answer when asked for.
    @inline(__always)
    func take(_ q: Int, remembered index: Int32, of parser: AnswerParser) {
        remembered[q] = index
        starts[q] = encoded.count
        parser.withEncoding(index) { encoded.append(contentsOf: $0.assumingMemoryBound(to: UInt8.self)) }
        ends[q] = encoded.count
        answered[answeredCount] = q
        answeredCount += 1
    }

    /// Takes question `q`'s answer, the text `bytes` as they are (see `AnswerParser.isTextAsItIs`),
    /// encoded as `BlockCodec.append` encodes a text under `number`.
    @inline(__always)
    func take(_ q: Int, textAsItIs bytes: UnsafeRawBufferPointer, number: Int) {
        starts[q] = encoded.count
        var out = UnretainedScratch(encoded)
        let text = bytes.assumingMemoryBound(to: UInt8.self)
        if let value = CompactFields.digits(text) {
            remembered[q] = Self.asDigits
            BlockCodec.appendDigitsAnswer(value, number: number, to: &out)
            textStarts[q] = Int(value)
        } else {
            remembered[q] = Self.asItIs
            BlockCodec.appendTextAnswer(bytes: text, number: number, to: &out)
            textStarts[q] = encoded.count - bytes.count
        }
        ends[q] = encoded.count
        answered[answeredCount] = q
        answeredCount += 1
    }

    /// Appends the answers as `BlockCodec.record` does: their length, then each in the order of
    /// `order` (question indices in the order of the form's sorted ids).
    func appendAnswers(order: UnsafeBufferPointer<Int>, to out: inout UnretainedScratch) {
        BlockCodec.appendNumber(UInt64(encoded.count), to: &out)
        let bytes = encoded.written
        for q in order where starts[q] >= 0 {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[starts[q]..<ends[q]]))
        }
    }
}

/// A record's fields as the lean path reads them: a CSV record's or a JSON line's cells
/// (CSVCells), or a flat JSON line's values where they lie in the line (LineCells).
protocol LeanCells: RecordValues {
    associatedtype Fields: LeanFields
    var fieldCount: Int { get }
    /// The record's position.
    var line: Int { get }
    /// Calls `body` with the fields' bytes, for a caller that reads many fields (for speed: one
    /// closure a record instead of one a field).
    func withLeanFields<T>(_ body: (Fields) throws -> T) rethrows -> T
    /// The value of field `i` when it is not a text.
    func other(_ i: Int) -> FieldValue?
    /// `parser.withOutcome` of field `i` when it is not a text; nil for a text.
    func withOther<T>(_ i: Int, of parser: AnswerParser, _ body: (ParsedAnswer, UnsafeRawBufferPointer?) -> T) -> T?
    /// Calls `body` with the bytes of field `i`.
    func withField<T>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T
}

/// The bytes of each field of a record, valid inside `LeanCells.withLeanFields`.
protocol LeanFields {
    /// The bytes of field `i`, a text.
    func bytes(_ i: Int) -> UnsafeRawBufferPointer
}

extension CSVCells: LeanCells {
    struct Fields: LeanFields {
        let all: UnsafeRawBufferPointer
        let ends: UnsafeBufferPointer<Int>

        @inline(__always)
        func bytes(_ i: Int) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: all[(i == 0 ? 0 : ends[i &- 1])..<ends[i]])
        }
    }

    @inline(__always)
    func withLeanFields<T>(_ body: (Fields) throws -> T) rethrows -> T {
        try withFields { try body(Fields(all: $0, ends: $1)) }
    }

    @inline(__always)
    func withOther<T>(_ i: Int, of parser: AnswerParser, _ body: (ParsedAnswer, UnsafeRawBufferPointer?) -> T) -> T? {
        guard let value = other(i) else { return nil }
        return parser.withOutcome(value, body)
    }
}

extension RecordMapper {
    /// Maps a record of cells into `draft`; false where it must go the full way (see above), which
    /// then finds what it gives. True only where `map` would accept it with no "other" text, with
    /// the answers and the time `draft` holds, and with the columns of no question `draft.extras` lists.
    func mapLean<Cells: LeanCells>(_ cells: Cells, names: [String], plan: Plan, into draft: LeanDraft) -> Bool {
        guard plan.isLean, cells.fieldCount == names.count else { return false }
        draft.reset()
        // The fields are read through one closure, and the parsers unretained (for speed: a
        // closure a cell retained its parser and the draft, a fifth of the reference counting of
        // a record on a thread where counting was a third of the work).
        let taken = cells.withLeanFields { fields in
            plan.targets.withUnsafeBufferPointer { targets in
                unmanagedParsers.withUnsafeBufferPointer { parsers in
                    for i in 0..<names.count {
                        switch targets[i] {
                        case .question(let q):
                            if draft.has(q) { continue }
                            let taken = parsers[q]._withUnsafeGuaranteedRef { parser in
                                // Only values the closure need not retain (for speed, as above).
                                let (target, number) = (Unmanaged.passUnretained(draft), parser.blockNumber)
                                let other = cells.withOther(i, of: parser) { parsed, encoding in
                                    target._withUnsafeGuaranteedRef { $0.take(q, parsed, encoding, number: number) }
                                }
                                if let other { return other }
                                return draft.take(q, fields.bytes(i), of: parser)
                            }
                            guard taken else { return false }
                        case .option:
                            return false
                        case .extra:
                            if plan.timeColumn == i || plan.idColumns.contains(i) { continue }
                            if !cells.isBlank(i) { draft.extras.append(i) }
                        }
                    }
                    return true
                }
            }
        }
        guard taken else { return false }
        // A record with no answer may be empty, which `map` rejects.
        guard !draft.isEmpty else { return false }
        for q in requiredQuestions where !draft.has(q) { return false }
        if let t = plan.timeColumn {
            if cells.other(t) == nil, cells.withField(t, Timestamp.isCanonical) {
                draft.time = .canonical(column: t)
            } else if !cells.isBlank(t) {
                guard let read = cells.timestamp(t, zone: zone, unmarkedIsUTC: plan.timeIsUTC) else { return false }
                draft.time = .read(read)
            }
        }
        return true
    }

    /// Calls `body` with the UTF-8 bytes of the response key `map` gives the record.
    // Inlined with its caller's closure (for speed: as a call, the closure's context held copies
    // of the record's cells, names and plan, a dozen reference counts a record; see `LeanEncoder.take`).
    @inline(__always)
    func withKey<Cells: LeanCells, T>(_ cells: Cells, names: [String], plan: Plan, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        // One id column, with nothing to trim at its ends: the cell's bytes as they are.
        if plan.idColumns.count == 1, cells.other(plan.idColumns[0]) == nil {
            let done: T? = cells.withField(plan.idColumns[0]) { raw in
                let bytes = raw.assumingMemoryBound(to: UInt8.self)
                guard let first = bytes.first, let last = bytes.last, first > 0x20 && first < 0x80 && last > 0x20 && last < 0x80
                else { return nil }
                return body(bytes)
            }
            if let done { return done }
        }
        var key = Self.responseId(cells, columns: plan.idColumns) ?? Self.contentKey(cells, names: names)
        return key.withUTF8(body)
    }
}

/// The reading thread's half of the lean path: maps records and encodes them into batches.
final class LeanEncoder {
    let mapper: RecordMapper
    private let digests: DigestEntries
    private let draft: LeanDraft
    /// Written through `UnretainedScratch`.
    private let record = ScratchBytes(capacity: 512)
    /// `mapper.keys.indices`, the order of a record's answers, kept through a pointer (for speed:
    /// read through two objects, the array was retained and released for each record).
    private let answerOrder: UnsafeMutableBufferPointer<Int>
    /// The extra columns' JSON text (`SQLiteWriter.encodeStrings`), kept from record to record.
    private var extraJSON: [UInt8] = []
    private let seed: KeyHash.Seed
    private let formVersion: Int
    /// The month of the last record (see `monthText`).
    private var lastMonth: (word: UInt64, text: String)?

    init(mapper: RecordMapper, digests: DigestEntries) {
        self.mapper = mapper
        self.digests = digests
        draft = LeanDraft(parsers: mapper.parsers)
        seed = KeyHash.Seed(formId: mapper.form.id)
        formVersion = mapper.form.version
        answerOrder = .allocate(capacity: mapper.keys.indices.count)
        _ = answerOrder.initialize(from: mapper.keys.indices)
    }

    deinit { answerOrder.deallocate() }

    /// Maps `cells` and appends what the store keeps of it to `batch`, with its digest entry when
    /// `withDigest` (else the storing thread reads it from the record); false where the record must
    /// go the full way, and then `batch` is as it was.
    func take<Cells: LeanCells>(
        _ cells: Cells, names: [String], plan: RecordMapper.Plan, withDigest: Bool, into batch: inout ResponseBatch
    ) -> Bool {
        guard mapper.mapLean(cells, names: names, plan: plan, into: draft) else { return false }
        var department: String?
        if let q = mapper.departmentQuestion, case .text(let id) = draft.answer(q) { department = id }
        // A time copied from its cell was checked by `mapLean` (see `Time.canonical`).
        let timeIsCanonical = if case .canonical = draft.time { true } else { false }
        // The entry's material goes in the batch's bytes, before the record.
        let materialStart = batch.bytes.count
        let (keyHash, digest, month) = withTime(cells) { submittedAt, month in
            mapper.withKey(cells, names: names, plan: plan) { key in
                record.removeAll()
                var out = UnretainedScratch(record)
                BlockCodec.appendFields(
                    formVersion: formVersion, key: key, submittedAt: submittedAt, month: month, department: department,
                    timeIsCanonical: timeIsCanonical, to: &out)
                draft.appendAnswers(order: UnsafeBufferPointer(answerOrder), to: &out)
                // No "other" texts.
                out.append(0)
                appendExtra(cells, names: names, to: &out)
                let digest =
                    withDigest
                    ? draft.withAnswers { answers in
                        digests.entry(answers, department: department, material: &batch.bytes) {
                            (String(decoding: key, as: UTF8.self), submittedAt.map { String(decoding: $0, as: UTF8.self) })
                        }
                    } : ScoringValues.none
                return (KeyHash.of(seed, key: key), digest, month.map(monthText))
            }
        }
        let start = batch.bytes.count
        batch.bytes.append(contentsOf: record.written)
        batch.append(
            LeanResponse(
                keyHash: keyHash, record: start..<batch.bytes.count, month: month, department: department, position: cells.line,
                digest: digest, hasDigest: withDigest, material: materialStart..<start))
        return true
    }

    /// The month whose bytes these are, as a String: the last one's again when the same (for speed:
    /// most records share the month of the one before, and making it anew was a tenth of the
    /// strings a record made).
    private func monthText(_ bytes: UnsafeRawBufferPointer) -> String {
        // Compared as a word: a month takes seven bytes.
        guard bytes.count < 8, let base = bytes.baseAddress else { return String(decoding: bytes, as: UTF8.self) }
        var word: UInt64 = 0
        memcpy(&word, base, bytes.count)
        word |= UInt64(bytes.count) << 60
        if let last = lastMonth, last.word == word { return last.text }
        let text = String(decoding: bytes, as: UTF8.self)
        lastMonth = (word, text)
        return text
    }

    /// Calls `body` with the bytes of the record's time as `Timestamp.iso` writes it and of its
    /// month (yyyy-MM), or nil where it has none.
    // Inlined with the closure `take` gives it, as `RecordMapper.withKey` is.
    @inline(__always)
    private func withTime<Cells: LeanCells, T>(_ cells: Cells, _ body: (UnsafeRawBufferPointer?, UnsafeRawBufferPointer?) -> T) -> T {
        switch draft.time {
        case nil:
            return body(nil, nil)
        case .canonical(let column):
            return cells.withField(column) { body($0, UnsafeRawBufferPointer(rebasing: $0.prefix(7))) }
        case .read(let timestamp):
            return timestamp.iso.withUTF8Bytes {
                body(UnsafeRawBufferPointer($0), UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer($0).prefix(7)))
            }
        }
    }

    /// Appends the record's extra columns as `BlockCodec.record` does (`SQLiteWriter.encodeStrings`
    /// of each column's name and text, as an optional text).
    private func appendExtra<Cells: LeanCells>(_ cells: Cells, names: [String], to out: inout UnretainedScratch) {
        guard !draft.extras.isEmpty else { return out.append(0) }
        extraJSON.removeAll(keepingCapacity: true)
        extraJSON.append(0x7B)
        for (n, i) in draft.extras.enumerated() {
            if n > 0 { extraJSON.append(0x2C) }
            JSONWriter.appendQuoted(names[i], to: &extraJSON)
            extraJSON.append(0x3A)
            JSONWriter.appendQuoted(cells.display(i), to: &extraJSON)
        }
        extraJSON.append(0x7D)
        BlockCodec.appendNumber(UInt64(extraJSON.count) + 1, to: &out)
        extraJSON.withUnsafeBufferPointer { out.append(contentsOf: $0) }
    }
}
