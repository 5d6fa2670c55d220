import Foundation

/// A raw value from a source record: text from a table cell, or text and lists from JSON.
public enum FieldValue: Sendable, Equatable {
    case text(String)
    case list([String])
    case null

    var isBlank: Bool {
        switch self {
        case .null: true
        case .text(let s): s.isBlankText
        case .list(let items): items.isEmpty
        }
    }

    /// The value as one piece of text, for messages and hashes.
    var display: String {
        switch self {
        case .null: ""
        case .text(let s): s
        case .list(let items): items.joined(separator: ",")
        }
    }
}

/// The outcome of reading one answer.
enum ParsedAnswer: Equatable {
    case answer(Answer, other: String?)
    case notAnswered
    case invalid(String)
}

/// Reads answers as exports write them, for one question of a form.
///
/// Built once per question so that lookups of labels and aliases are dictionary hits.
// A class rather than a struct (for speed): an import calls `parse` for every cell, and a struct
// this size was copied out of the mapper's array, field by field, for each call.
final class AnswerParser {
    let question: Question
    /// Every accepted spelling of every choice (value, labels, aliases), folded, to its value.
    private var choiceBySpelling: [String: String] = [:]
    /// Rating levels by label and alias.
    private var levelBySpelling: [String: Int] = [:]
    private let notApplicable: Set<String>
    private let departments: DepartmentIndex?
    private let otherChoice: String?
    /// The most space-separated words in any spelling of a choice, to bound the search for
    /// labels that hold spaces in answers joined by spaces.
    private var longestSpelling = 1
    /// Whether some rating spelling is plain digits (an alias such as "10" for level 5); when none
    /// is, plain digits are read as the level without a lookup (for speed).
    private var hasNumericSpelling = true

    /// Answers that mean "skipped" in 问卷星 and coded exports.
    static let skipMarkers: Set<String> = ["(跳过)", "（跳过）", "(空)", "（空）", "-3", "-2"]

    /// Types whose answers are codes, never negative numbers or free text.
    static let codedTypes: Set<QuestionType> = [.rating, .nps, .single, .multiple, .yesNo]

    /// `blockNumber`: the number a block gives the question's id (see `BlockCodec.append`), for
    /// the lean path of an import, which copies remembered answers as a block keeps them; 0: none.
    init(question: Question, departments: DepartmentIndex?, blockNumber: Int = 0) {
        self.question = question
        self.blockNumber = blockNumber
        remembers = question.type != .date && question.type != .datetime
        onTrial = question.type == .text
        self.departments = question.role == .department ? departments : nil
        notApplicable = Set(question.notApplicable.map(Self.fold))
        otherChoice = question.choices.first { $0.other }?.value
        textAsItIs = question.type == .text && self.departments == nil && notApplicable.isEmpty && blockNumber > 0
        for choice in question.choices {
            for spelling in [choice.value, choice.label.zh] + (choice.label.en.map { [$0] } ?? []) + choice.aliases {
                let key = Self.fold(spelling)
                if choiceBySpelling[key] == nil { choiceBySpelling[key] = choice.value }
                longestSpelling = max(longestSpelling, key.split(separator: " ").count)
            }
        }
        if question.type == .yesNo {
            for (spelling, value) in [
                ("是", "yes"), ("否", "no"), ("yes", "yes"), ("no", "no"), ("y", "yes"), ("n", "no"),
                ("true", "yes"), ("false", "no"), ("1", "yes"), ("0", "no"), ("有", "yes"), ("没有", "no"),
            ] {
                choiceBySpelling[spelling] = value
            }
        }
        for (i, level) in question.levels.enumerated() {
            levelBySpelling[Self.fold(level.zh)] = i + 1
            if let en = level.en { levelBySpelling[Self.fold(en)] = i + 1 }
        }
        for (spelling, level) in question.valueAliases {
            levelBySpelling[Self.fold(spelling)] = level
        }
        hasNumericSpelling = levelBySpelling.keys.contains { Self.smallASCIIInteger($0) != nil }
    }

    /// Case- and width-insensitive form of a spelling, trimmed: fullwidth Latin letters, digits
    /// and punctuation (ＡＰＰ, ５分, ：) read as their ASCII forms, and ASCII letters lowercased.
    static func fold(_ text: String) -> String {
        // By the UTF-8 bytes (for speed: this runs on most values of an import and on every
        // comment, whose fullwidth punctuation sent the scalar-by-scalar way through each one).
        // ASCII A–Z are 41–5A; U+FF01–FF5E are EF BC 81–BF and EF BD 80–9E; U+3000 is E3 80 80.
        // A lead byte (EF, E3) is never a continuation byte, so a match at any offset is a scalar.
        let folded: [UInt8]? = text.withUTF8Bytes { bytes in
            func change(at i: Int) -> (byte: UInt8, length: Int)? {
                let b = bytes[i]
                if b >= 0x41 && b <= 0x5A { return (b + 0x20, 1) }
                guard i + 2 < bytes.count else { return nil }
                let (b1, b2) = (bytes[i + 1], bytes[i + 2])
                var ascii: UInt8
                if b == 0xEF && b1 == 0xBC && b2 >= 0x81 && b2 <= 0xBF {
                    ascii = b2 - 0x60
                } else if b == 0xEF && b1 == 0xBD && b2 >= 0x80 && b2 <= 0x9E {
                    ascii = b2 - 0x20
                } else if b == 0xE3 && b1 == 0x80 && b2 == 0x80 {
                    ascii = 0x20
                } else {
                    return nil
                }
                if ascii >= 0x41 && ascii <= 0x5A { ascii += 0x20 }
                return (ascii, 3)
            }
            var i = 0
            while i < bytes.count, change(at: i) == nil { i += 1 }
            guard i < bytes.count else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            out.append(contentsOf: bytes[..<i])
            while i < bytes.count {
                if let (byte, length) = change(at: i) {
                    out.append(byte)
                    i += length
                } else {
                    out.append(bytes[i])
                    i += 1
                }
            }
            return out
        }
        guard let folded else { return text.trimmingSpaceAndNewlines() }
        return String(decoding: folded, as: UTF8.self).trimmingSpaceAndNewlines()
    }

    /// The outcomes remembered (see `parseRemembering`), by the index that `memo` and
    /// `smallNumbers` keep for a text.
    private var outcomes: [ParsedAnswer] = []
    /// Each remembered outcome's answer as a block keeps it under `blockNumber`, one after the
    /// other (for the lean path of an import, which copies these bytes; see LeanRecord.swift).
    /// Kept through a pointer (for speed: as an array, each read counted a reference to it).
    private let encodings = ScratchBytes(capacity: 256)
    private var encodingEnds: [Int] = []
    /// See `isTextAsItIs`.
    private let textAsItIs: Bool
    /// Each remembered outcome's `LeanKind`.
    private var leanKinds: [LeanKind] = []
    /// Each remembered outcome's answer as scoring reads a number (for the digest entries of the
    /// lean path, which read it without making the answer: see `LeanDraft.item`).
    private var items: [ScoringValues.Item] = []
    /// A mask the digest entries work out from each remembered outcome when first asked for (the
    /// pain points a list of choices ticks), kept with it; `notWorkedOut` until then.
    private var masks: [UInt64] = []
    static let notWorkedOut = UInt64.max
    /// The index of the outcome of each cell text, for questions whose answers repeat.
    private var memo = ByteMemo<Int32>(limit: AnswerParser.rememberedLimit)
    /// Where a list's key is written (see `withOutcome`), kept from list to list (for speed: a new
    /// array for each, grown item by item, cost about 450 instructions a JSON line).
    private let listKey = ScratchBytes(capacity: 64)
    /// The same for the texts "0" to "999", by their value (-1: none yet); empty until one is met.
    private var smallNumbers: [Int32] = []
    /// Whether this question's answers are remembered: codes that repeat from record to record,
    /// and the answers to a text question while enough of them repeat (see `textTrial`).
    private var remembers: Bool
    /// A text question's answers are remembered on trial: after its first `textTrial` lookups, only
    /// when at least a quarter of them were met before. A service's name or an empty comment repeats;
    /// a phone number seldom does, and remembering what never repeats costs more than parsing it.
    private var onTrial: Bool
    private var trialLookups = 0
    private var trialHits = 0
    static let textTrial = 4096
    /// Whether answers are still remembered (for tests).
    var remembersAnswers: Bool { remembers }
    /// The number a block gives this question's id (see `BlockCodec.append`); 0: no encodings kept.
    let blockNumber: Int

    /// The most outcomes `parseRemembering` keeps; past it, it starts again (memory stays bounded).
    static let rememberedLimit = 4096

    /// `parse`, remembering the outcome for each distinct text (for speed: an import parses the
    /// same few ratings, choices and departments in every record). `parse` is a function of the
    /// question and the text alone, so the outcome is the same as parsing again.
    func parseRemembering(_ value: FieldValue) -> ParsedAnswer {
        withOutcome(value) { parsed, _ in parsed }
    }

    /// `parseRemembering` of a cell given as its UTF-8 bytes, which are looked up as they are: a
    /// String is made only of a text not met before (for speed: see CSVCells).
    func parseRemembering(bytes: UnsafeRawBufferPointer) -> ParsedAnswer {
        withOutcome(bytes: bytes) { parsed, _ in parsed }
    }

    /// Calls `body` with `parseRemembering(bytes:)` and, when the outcome is remembered and this
    /// parser has a `blockNumber`, its answer as a block keeps it (nil otherwise).
    @inline(__always)
    func withOutcome<T>(bytes: UnsafeRawBufferPointer, _ body: (ParsedAnswer, UnsafeRawBufferPointer?) -> T) -> T {
        switch lookup(bytes: bytes) {
        case .empty: body(.notAnswered, nil)
        case .remembered(let index): outcome(index, body)
        case .parsed(let parsed): body(parsed, nil)
        }
    }

    /// The same for a value that is not a text (a JSON line's null or list) or a text as a String.
    func withOutcome<T>(_ value: FieldValue, _ body: (ParsedAnswer, UnsafeRawBufferPointer?) -> T) -> T {
        guard remembers else { return body(parse(value), nil) }
        switch value {
        case .text(let text):
            return text.withUTF8Bytes { utf8 in withOutcome(bytes: UnsafeRawBufferPointer(utf8), body) }
        case .list(let items):
            // Remembered under a key no text has (see `listKeyMark`).
            listKey.removeAll()
            var key = UnretainedScratch(listKey)
            key.append(Self.listKeyMark)
            for item in items {
                item.withUTF8Bytes { bytes in
                    BlockCodec.appendNumber(UInt64(bytes.count), to: &key)
                    key.append(contentsOf: bytes)
                }
            }
            let bytes = UnsafeRawBufferPointer(listKey.written)
            if let index = memo.value(for: bytes) { return outcome(index, body) }
            let parsed = parse(value)
            guard let index = remember(parsed, bytes) else { return body(parsed, nil) }
            return outcome(index, body)
        case .null:
            return body(parse(value), nil)
        }
    }

    /// The first byte of the key a list's outcome is remembered under, which no text has (0xFF is
    /// never in UTF-8); then each item's length (`BlockCodec.appendNumber`) and bytes.
    static let listKeyMark: UInt8 = 0xFF

    /// `withOutcome(.list(…))` of the list whose key (see `listKeyMark`) is `key`, which is
    /// made into the list's items only when its outcome is not remembered.
    func withOutcome<T>(listKey key: UnsafeRawBufferPointer, _ body: (ParsedAnswer, UnsafeRawBufferPointer?) -> T) -> T {
        if remembers, let index = memo.value(for: key) { return outcome(index, body) }
        return withOutcome(.list(Self.items(ofListKey: key)), body)
    }

    /// The items of the list whose key is `key` (see `listKeyMark`).
    static func items(ofListKey key: UnsafeRawBufferPointer) -> [String] {
        var reader = BlockCodec.Reader(bytes: key, at: 1)
        var items: [String] = []
        while reader.at < key.count, let length = try? reader.number(), length <= UInt64(key.count - reader.at) {
            let start = reader.at
            reader.at += Int(length)
            items.append(String(decoding: UnsafeRawBufferPointer(rebasing: key[start..<reader.at]), as: UTF8.self))
        }
        return items
    }

    /// What a lookup of a cell finds: no answer, an outcome remembered (by its index, which holds
    /// until the next lookup), or one parsed and not remembered.
    enum Lookup {
        case empty
        case remembered(Int32)
        case parsed(ParsedAnswer)
    }

    /// The kind of each remembered outcome, for the lean path (for speed: reading the outcome
    /// itself copied it, and counted references to its texts, for every cell).
    enum LeanKind: UInt8 {
        /// An answer with no "other" text.
        case answer
        case notAnswered
        /// Any other outcome, which sends the record the full way.
        case other
    }

    /// A cell's outcome, remembered where it can be: by its index, which `outcome`, and on the lean
    /// path `leanKind`, `rememberedAnswer` and `withEncoding`, read.
    @inline(__always)
    func lookup(bytes: UnsafeRawBufferPointer) -> Lookup {
        // An empty cell is no answer, and no lookup: nor is it counted in a text question's trial,
        // where a column mostly empty, such as a phone number, would pass for one that repeats.
        if bytes.isEmpty { return .empty }
        guard remembers else { return .parsed(parse(.text(String(decoding: bytes, as: UTF8.self)))) }
        if let index = remembered(bytes) { return .remembered(index) }
        let parsed = parse(.text(String(decoding: bytes, as: UTF8.self)))
        // The lookup may have ended a trial that forgot every outcome.
        guard remembers, let index = remember(parsed, bytes) else { return .parsed(parsed) }
        return .remembered(index)
    }

    @inline(__always)
    func leanKind(_ index: Int32) -> LeanKind { leanKinds[Int(index)] }

    /// Whether a non-empty cell is, as it is, its answer's text: for a text question with neither
    /// departments nor not-applicable spellings, a text that is no skip marker and has nothing to
    /// trim (for the lean path, which copies it without a String, a parse or a lookup: a phone
    /// number seldom repeats). A skip marker starts with "(", "（" or "-"; what is trimmed is white
    /// space, never an ASCII letter, digit or mark, nor a CJK ideograph (UTF-8 lead byte E4 to E9).
    /// The bytes are UTF-8, as every reader of the lean path checks.
    @inline(__always)
    func isTextAsItIs(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard textAsItIs, let first = bytes.first, let last = bytes.last else { return false }
        guard (first > 0x20 && first < 0x80 && first != 0x28 && first != 0x2D) || (0xE4...0xE9).contains(first) else {
            return false
        }
        if last > 0x20 && last < 0x80 { return true }
        let n = bytes.count
        return n >= 3 && (0xE4...0xE9).contains(bytes[n - 3]) && (0x80..<0xC0).contains(bytes[n - 2]) && (0x80..<0xC0).contains(last)
    }

    /// The scoring item of a remembered outcome whose `leanKind` is `.answer`.
    @inline(__always)
    func rememberedItem(_ index: Int32) -> ScoringValues.Item { items[Int(index)] }

    /// The mask `work` gives a remembered outcome's answer, worked out once per outcome. Every
    /// caller must give the same `work` for the same answer (one parser serves one form).
    @inline(__always)
    func rememberedMask(_ index: Int32, _ work: (Answer) -> UInt64) -> UInt64 {
        let i = Int(index)
        if masks[i] != Self.notWorkedOut { return masks[i] }
        let mask = work(rememberedAnswer(index))
        masks[i] = mask
        return mask
    }

    /// The answer of a remembered outcome whose `leanKind` is `.answer`.
    func rememberedAnswer(_ index: Int32) -> Answer {
        guard case .answer(let answer, _) = outcomes[Int(index)] else { preconditionFailure("not an answer") }
        return answer
    }

    /// Calls `body` with a remembered outcome's answer as a block keeps it. Only for a parser with
    /// a `blockNumber`, as every parser of a `RecordMapper` has (without one, `encodingEnds` is
    /// empty, and reading it traps).
    @inline(__always)
    func withEncoding<T>(_ index: Int32, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        let i = Int(index)
        let start = i == 0 ? 0 : encodingEnds[i - 1]
        return body(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: encodings.written[start..<encodingEnds[i]])))
    }

    /// Calls `body` with the outcome kept at `index`, and its encoding.
    @inline(__always)
    private func outcome<T>(_ index: Int32, _ body: (ParsedAnswer, UnsafeRawBufferPointer?) -> T) -> T {
        let i = Int(index)
        guard blockNumber > 0 else { return body(outcomes[i], nil) }
        let start = i == 0 ? 0 : encodingEnds[i - 1]
        return body(outcomes[i], UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: encodings.written[start..<encodingEnds[i]])))
    }

    /// The index of the outcome remembered for a text, if any.
    @inline(__always)
    private func remembered(_ bytes: UnsafeRawBufferPointer) -> Int32? {
        let found: Int32?
        if let small = Self.smallNumber(bytes) {
            found = smallNumbers.isEmpty || smallNumbers[small] < 0 ? nil : smallNumbers[small]
        } else {
            found = memo.value(for: bytes)
        }
        if onTrial { judge(hit: found != nil) }
        // Nil where the trial has just ended and forgotten the outcome found.
        return remembers ? found : nil
    }

    /// Counts a lookup of a text question on trial, and ends the trial after `textTrial` of them.
    private func judge(hit: Bool) {
        trialLookups += 1
        if hit { trialHits += 1 }
        guard trialLookups == Self.textTrial else { return }
        onTrial = false
        if trialHits * 4 < trialLookups {
            remembers = false
            forget()
        }
    }

    /// Forgets every outcome.
    private func forget() {
        memo.removeAll()
        smallNumbers = []
        outcomes.removeAll(keepingCapacity: true)
        leanKinds.removeAll(keepingCapacity: true)
        items.removeAll(keepingCapacity: true)
        masks.removeAll(keepingCapacity: true)
        encodings.removeAll()
        encodingEnds.removeAll(keepingCapacity: true)
    }

    /// A number of up to three digits, written without a leading zero (most ratings, counts and
    /// codes), is remembered by its value instead of its hashed text (for speed: hashing was a
    /// tenth of the reading thread's work). Each such text has one value and back.
    @inline(__always)
    private static func smallNumber(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard (1...3).contains(bytes.count), bytes[0] != 0x30 || bytes.count == 1 else { return nil }
        var n = 0
        for b in bytes {
            guard (0x30...0x39).contains(b) else { return nil }
            n = n * 10 + Int(b - 0x30)
        }
        return n
    }

    /// Remembers the outcome of parsing a text, and returns its index; nil where the text is too
    /// long to remember.
    private func remember(_ parsed: ParsedAnswer, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        let small = Self.smallNumber(bytes)
        if small == nil && bytes.count > ByteMemo<Int32>.longestKey { return nil }
        // Every outcome is forgotten at once, so that the memo never starts again on its own and
        // leaves indices of outcomes no longer kept.
        if outcomes.count >= Self.rememberedLimit + 1000 || (small == nil && memo.isFull(adding: bytes.count)) { forget() }
        let index = Int32(outcomes.count)
        outcomes.append(parsed)
        switch parsed {
        case .answer(_, nil): leanKinds.append(.answer)
        case .notAnswered: leanKinds.append(.notAnswered)
        default: leanKinds.append(.other)
        }
        if case .answer(let answer, _) = parsed { items.append(ScoringValues.Item(answer)) } else { items.append(.unanswered) }
        masks.append(Self.notWorkedOut)
        if blockNumber > 0 {
            if case .answer(let answer, _) = parsed {
                var out = encodings
                BlockCodec.append(answer, number: blockNumber, id: nil, to: &out)
            }
            encodingEnds.append(encodings.count)
        }
        if let small {
            if smallNumbers.isEmpty { smallNumbers = Array(repeating: -1, count: 1000) }
            smallNumbers[small] = index
        } else {
            memo.insert(index, for: bytes)
        }
        return index
    }

    func parse(_ value: FieldValue) -> ParsedAnswer {
        if value.isBlank { return .notAnswered }
        if case .list(let items) = value {
            guard question.type == .multiple else {
                return items.count == 1
                    ? parse(.text(items[0])) : .invalid("a list is not one answer to a \(question.type.rawValue) question")
            }
            return parseChoices(items, original: value.display)
        }
        let text = value.display.trimmingSpaceAndNewlines()
        // "-3" and "-2" are 问卷星's skip codes only where a negative number cannot be an answer.
        // Every skip marker starts with "(", "（" (0xEF first) or "-", which nothing else is canonically
        // equal to: other text skips the set's hashing (for speed: this runs on every cell).
        if let first = text.utf8.first, first == 0x28 || first == 0xEF || first == 0x2D, Self.skipMarkers.contains(text),
            !text.hasPrefix("-") || Self.codedTypes.contains(question.type)
        {
            return .notAnswered
        }
        if !notApplicable.isEmpty && notApplicable.contains(Self.fold(text)) { return .answer(.notApplicable, other: nil) }

        switch question.type {
        case .rating, .nps:
            return parseLevel(text)
        case .single, .yesNo:
            if let departments {
                return departments.lookup(text).map { .answer(.text($0), other: nil) } ?? .invalid(departments.unknownMessage(text))
            }
            return parseSingle(text)
        case .multiple:
            return parseMultiple(text)
        case .integer, .number:
            return parseNumber(text)
        case .date:
            guard let date = Timestamp.date(text) else { return .invalid("\"\(text)\" is not a date (write it as 2025-04-03)") }
            return .answer(.text(date), other: nil)
        case .datetime:
            guard let t = Timestamp(text, zone: .china) else {
                return .invalid("\"\(text)\" is not a date and time (write it as 2025-04-03 09:30)")
            }
            return .answer(.text(t.iso), other: nil)
        case .text:
            if let departments {
                return departments.lookup(text).map { .answer(.text($0), other: nil) } ?? .invalid(departments.unknownMessage(text))
            }
            return .answer(.text(text), other: nil)
        }
    }

    private func parseLevel(_ text: String) -> ParsedAnswer {
        let range = question.valueRange ?? 1...question.scale
        let folded = Self.fold(text)
        var level: Int?
        if !hasNumericSpelling, let n = Self.smallASCIIInteger(folded) {
            // Plain digits where no spelling is digits: the lookup below would miss.
            level = n
        } else {
            level = levelBySpelling[folded]
        }
        if level == nil, let n = Self.smallASCIIInteger(folded) {
            // Fast path, for speed: plain digits, the usual rating, read as Int(folded) would.
            level = n
        } else if level == nil {
            var digits = folded
            // "5分" and "5 分" are how 问卷星 writes a level.
            if digits.hasSuffix("分") { digits = String(digits.dropLast()).trimmingSpace() }
            if let n = Int(digits) {
                level = n
            } else if let d = Double(digits), d.rounded() == d, abs(d) < 1e9 {
                level = Int(d)
            }
        }
        guard let level else {
            let labels = question.levels.isEmpty ? "" : " or \(question.levels[0].zh)..\(question.levels[question.levels.count - 1].zh)"
            return .invalid("\"\(text)\" is not a level of \(question.label.zh) (\(range.lowerBound)..\(range.upperBound)\(labels))")
        }
        guard range.contains(level) else {
            return .invalid("\"\(text)\" is outside the scale \(range.lowerBound)..\(range.upperBound) of \(question.label.zh)")
        }
        return .answer(.number(Double(level)), other: nil)
    }

    /// A choice as written, and the free text 问卷星 writes after a choice in 〖…〗.
    private typealias Match = (value: String, spelling: String, other: String?)

    /// A choice, with the free text 问卷星 writes after an "other" choice in 〖…〗.
    private func matchChoice(_ token: String) -> Match? {
        var spelling = token
        var other: String?
        if let open = token.firstIndex(of: "〖"), token.hasSuffix("〗") {
            let text = token[token.index(after: open)..<token.index(before: token.endIndex)]
            // "A〖x〗┋B〖y〗" is two choices with a text each, not one choice whose text is "x〗┋B〖y".
            if text.contains("〗") { return nil }
            spelling = String(token[..<open])
            other = String(text)
        }
        if let value = choiceBySpelling[Self.fold(spelling)] {
            return (value, spelling, other?.isEmpty == true ? nil : other)
        }
        return nil
    }

    private func parseSingle(_ text: String) -> ParsedAnswer {
        if let (value, _, other) = matchChoice(text) { return .answer(.text(value), other: other) }
        return .invalid("\"\(text)\" is not a choice of \(question.label.zh) (\(choiceList))")
    }

    private var choiceList: String {
        let names = question.type == .yesNo ? ["是", "否"] : question.choices.map(\.label.zh)
        let shown = names.prefix(8).joined(separator: ", ")
        return names.count > 8 ? shown + ", …" : shown
    }

    private func parseMultiple(_ text: String) -> ParsedAnswer {
        if let (value, _, other) = matchChoice(text) { return .answer(.choices([value]), other: other) }
        // Labels may themselves hold commas or spaces, so try each separator exports use and
        // keep the first split in which every piece is a choice.
        for separator in ["┋", "|", ";", "；", ",", "，", "、", " "] where text.contains(separator) {
            let tokens = text.components(separatedBy: separator).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if tokens.isEmpty { continue }
            let matched = tokens.map(matchChoice)
            if matched.allSatisfy({ $0 != nil }) {
                return combine(matched.compactMap { $0 })
            }
            // KoboToolbox joins labels with spaces, and labels hold spaces of their own
            // ("Oral storytelling Apprenticeships"): group the words into choices.
            if separator == " ", let grouped = groupWords(tokens) {
                return combine(grouped)
            }
            if separator == "┋" {
                let unknown = tokens.filter { matchChoice($0) == nil }.map { "\"\($0)\"" }.joined(separator: ", ")
                return .invalid(
                    "\(unknown) \(unknown.contains(",") ? "are not choices" : "is not a choice") of \(question.label.zh) (\(choiceList))")
            }
        }
        return .invalid("\"\(text)\" is not a choice of \(question.label.zh) (\(choiceList))")
    }

    /// The words read as consecutive choices, each as long as it can be while the rest still
    /// reads as choices; nil when no grouping makes every word part of a choice.
    private func groupWords(_ words: [String]) -> [Match]? {
        // rest[i]: the choices that words[i...] read as, when they do.
        var rest = [[Match]?](repeating: nil, count: words.count + 1)
        rest[words.count] = []
        for start in stride(from: words.count - 1, through: 0, by: -1) {
            for end in stride(from: min(words.count, start + longestSpelling), to: start, by: -1) {
                guard let after = rest[end], let match = matchChoice(words[start..<end].joined(separator: " ")) else { continue }
                rest[start] = [match] + after
                break
            }
        }
        return rest[0]
    }

    private func parseChoices(_ items: [String], original: String) -> ParsedAnswer {
        var matched: [Match] = []
        for item in items {
            guard let m = matchChoice(item) else {
                return .invalid("\"\(item)\" is not a choice of \(question.label.zh) (\(choiceList))")
            }
            matched.append(m)
        }
        return combine(matched)
    }

    private func combine(_ matched: [Match]) -> ParsedAnswer {
        var values: [String] = []
        for m in matched where !values.contains(m.value) { values.append(m.value) }
        // 问卷星 lets any choice carry text. One text is kept as written; several keep their
        // choices, in the export's own notation, so that none is lost.
        let texts = matched.filter { $0.other != nil }
        let other: String?
        if texts.count > 1 {
            other = texts.map { "\($0.spelling)〖\($0.other ?? "")〗" }.joined(separator: "┋")
        } else {
            other = texts.first?.other
        }
        return .answer(.choices(values), other: other)
    }

    /// The value of 1 to 9 ASCII digits, as `Int(text)` reads them; nil for anything else.
    @inline(__always)
    static func smallASCIIInteger(_ text: String) -> Int? {
        let bytes = text.utf8
        guard !bytes.isEmpty, bytes.count <= 9 else { return nil }
        var n = 0
        for b in bytes {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            n = n * 10 + Int(b - 0x30)
        }
        return n
    }

    /// Units that exports append to counts ("3次", "5个工作日").
    private static let units = ["个工作日", "工作日", "次", "趟", "天", "日", "个"]

    private func parseNumber(_ text: String) -> ParsedAnswer {
        var digits = text
        // Every unit ends in a CJK character, never in an ASCII byte (for speed: hasSuffix is slow).
        let endsNonASCII = (text.utf8.last ?? 0) >= 0x80
        for unit in Self.units where endsNonASCII && digits.hasSuffix(unit) {
            digits = String(digits.dropLast(unit.count)).trimmingCharacters(in: .whitespaces)
            break
        }
        guard let value = Double(digits), value.isFinite, digits.first.map({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }) == true
        else {
            return .invalid("\"\(text)\" is not a number (write digits, such as 3)")
        }
        if question.type == .integer && value.rounded() != value {
            return .invalid("\"\(text)\" is not a whole number")
        }
        if let lo = question.minimum, value < lo {
            return .invalid("\(text) is below the minimum \(FormDecoder.format(lo)) of \(question.label.zh)")
        }
        if let hi = question.maximum, value > hi {
            return .invalid("\(text) is above the maximum \(FormDecoder.format(hi)) of \(question.label.zh)")
        }
        return .answer(.number(value), other: nil)
    }
}

/// Finds a department by id, name, English name or alias, as exports write them.
struct DepartmentIndex {
    private var byName: [String: String] = [:]
    private let departments: [Department]

    init(_ departments: [Department]) {
        self.departments = departments
        for d in departments {
            for name in [d.id, d.name.zh] + (d.name.en.map { [$0] } ?? []) + d.aliases {
                byName[AnswerParser.fold(name)] = d.id
            }
        }
    }

    func lookup(_ text: String) -> String? {
        let folded = AnswerParser.fold(text)
        if let id = byName[folded] { return id }
        // "XX区市场监督管理局" names the district's 市场监督管理局: accept a unique suffix match.
        let matches = Set(byName.filter { folded.count > $0.key.count && $0.key.count >= 3 && folded.hasSuffix($0.key) }.values)
        return matches.count == 1 ? matches.first : nil
    }

    func unknownMessage(_ text: String) -> String {
        var message = "\"\(text)\" is not a department of this form"
        let names = departments.map(\.name.zh)
        if let guess = Suggestion.closest(to: text, among: names) {
            message += "; did you mean \"\(guess)\"?"
        } else {
            message += " (add it, or an alias, to the departments file)"
        }
        return message
    }
}
