import Foundation

/// Running sums for one group (a department, or the whole district) in one month.
///
/// Every figure of a score is computed from these sums alone, so tallies can be merged (the
/// district is the merge of its departments) and kept between runs instead of rescanning responses.
public struct ScoreTally: Sendable, Equatable {
    public var responses = 0
    public var overall: ItemAccumulator
    /// One per dimension question, in form order.
    public var dimensions: [ItemAccumulator]
    /// Each dimension paired with the overall item, for key drivers.
    public var drivers: [PairAccumulator]
    public var recommend: ItemAccumulator?
    /// Ticks per pain point of the taxonomy, over the respondents who answered the pain-point question.
    public var painPoints: [ProportionAccumulator]
    /// Comments that mention each pain point's keywords, over all comments.
    public var commentMentions: [Int]
    public var comments = 0
    public var efficiency = EfficiencyAccumulator()
    /// Not-applicable answers to each dimension.
    public var notApplicable: [Int]

    public init(form: ScoringLayout) {
        overall = ItemAccumulator(levels: 1...form.overallScale)
        dimensions = form.dimensions.map { ItemAccumulator(levels: 1...$0.scale) }
        drivers = form.dimensions.map { _ in PairAccumulator() }
        recommend = form.recommend == nil ? nil : ItemAccumulator(levels: 0...10)
        painPoints = form.painPoints.map { _ in ProportionAccumulator() }
        commentMentions = form.painPoints.map { _ in 0 }
        notApplicable = form.dimensions.map { _ in 0 }
    }

    /// Adds one response.
    public mutating func add(_ response: Response, layout: ScoringLayout) {
        add(response, layout: layout, commentTags: nil)
    }

    /// The same, with `layout.tags` of the response's comment when the caller knows them already.
    mutating func add(_ response: Response, layout: ScoringLayout, commentTags: [Int]?) {
        add(ScoringValues(response, layout: layout, commentTags: commentTags))
    }

    /// Adds what one response gives, read from its answers beforehand.
    mutating func add(_ values: ScoringValues) {
        responses += 1
        if let level = values.overall { _ = overall.add(level) }
        values.dimensions.forEach { i, item in
            switch item {
            case .number(let v):
                _ = dimensions[i].add(Int(v))
                if let level = values.overall { _ = drivers[i].add(x: v, y: Double(level)) }
            case .notApplicable:
                notApplicable[i] += 1
            case .unanswered:
                break
            }
        }
        if let v = values.recommend { _ = recommend?.add(v) }
        switch values.painTicks {
        case .mask(let mask):
            for i in painPoints.indices { painPoints[i].add(mask & (1 << UInt64(i)) != 0) }
        case .flags(let flags):
            for i in painPoints.indices { painPoints[i].add(flags[i]) }
        case nil:
            break
        }
        switch values.commentTags {
        case .mask(var mask):
            comments += 1
            while mask != 0 {
                commentMentions[mask.trailingZeroBitCount] += 1
                mask &= mask - 1
            }
        case .list(let tags):
            comments += 1
            for i in tags { commentMentions[i] += 1 }
        case nil:
            break
        }
        efficiency.add(daysTaken: values.daysTaken, promisedDays: values.daysPromised, trips: values.trips)
    }

    public mutating func merge(_ other: ScoreTally) {
        responses += other.responses
        overall.merge(other.overall)
        for i in dimensions.indices {
            dimensions[i].merge(other.dimensions[i])
            drivers[i].merge(other.drivers[i])
            notApplicable[i] += other.notApplicable[i]
        }
        if let r = other.recommend { recommend?.merge(r) }
        for i in painPoints.indices {
            painPoints[i].merge(other.painPoints[i])
            commentMentions[i] += other.commentMentions[i]
        }
        comments += other.comments
        efficiency.merge(other.efficiency)
    }
}

/// What one response gives a tally, read from its answers once. Apart from the tally (for speed):
/// an import works these out on its reading thread, and the thread that stores then only adds.
struct ScoringValues: Sendable {
    enum Item: Sendable {
        case unanswered
        case notApplicable
        case number(Double)

        /// What scoring reads of an answer: its number, "not applicable", or neither.
        init(_ answer: Answer?) {
            switch answer {
            case .number(let v): self = .number(v)
            case .notApplicable: self = .notApplicable
            default: self = .unanswered
            }
        }

        var number: Double? {
            if case .number(let v) = self { v } else { nil }
        }
    }

    /// The pain points a comment mentions (`ScoringLayout.tags`, which lists each once): bit i for
    /// pain point i, or the list where one is past 63. A mask is a plain value (for speed: the
    /// list, shared with the reading thread's memo of comments, was retained and released on the
    /// storing thread as the values were read from a batch, about 6% of that thread's samples;
    /// bench/README.md, twenty-third round).
    enum CommentTags: Sendable {
        case mask(UInt64)
        case list([Int])

        init(_ tags: [Int]) {
            var mask: UInt64 = 0
            for i in tags {
                guard i < 64 else {
                    self = .list(tags)
                    return
                }
                mask |= 1 << UInt64(i)
            }
            self = .mask(mask)
        }
    }

    /// Which pain points the pain-point question ticks: bit i for pain point i, or one flag each
    /// when there are more than 64.
    enum PainTicks: Sendable {
        case mask(UInt64)
        case flags([Bool])
    }

    var overall: Int?
    /// One per dimension question, in form order.
    var dimensions: Dimensions
    var recommend: Int?
    /// Nil when the pain-point question is unanswered or not applicable.
    var painTicks: PainTicks?
    /// Whether the answer to the pain-point question is a list of choices (the report's material
    /// lists the pain points of those only: see `MaterialReader.visit`).
    var ticksAreChoices = false
    /// The pain points the comment mentions; nil without a comment.
    var commentTags: CommentTags?
    var daysTaken: Double?
    var daysPromised: Double?
    var trips: Int?

    /// The items of the dimension questions, held inline up to eight (for speed: as an array,
    /// they were an object to make and free for each response of an import).
    struct Dimensions: Sendable {
        let count: Int
        private var values: (Double, Double, Double, Double, Double, Double, Double, Double) = (0, 0, 0, 0, 0, 0, 0, 0)
        /// Two bits each of the first eight: 0 unanswered, 1 not applicable, 2 a number.
        private var kinds: UInt16 = 0
        /// All of them, where there are more than eight.
        private var all: [Item]?
        static let inline = 8

        init(count: Int, _ item: (Int) -> Item) {
            self.count = count
            if count > Self.inline {
                all = (0..<count).map(item)
                return
            }
            withUnsafeMutableBytes(of: &values) { slots in
                for i in 0..<count {
                    switch item(i) {
                    case .unanswered: break
                    case .notApplicable: kinds |= 1 << (2 * i)
                    case .number(let v):
                        kinds |= 2 << (2 * i)
                        slots.storeBytes(of: v, toByteOffset: 8 * i, as: Double.self)
                    }
                }
            }
        }

        /// Calls `body` with each index and item, in order (for speed: the values are read in place
        /// once, where the subscript copies them for each item).
        @inline(__always)
        func forEach(_ body: (Int, Item) -> Void) {
            if let all {
                for (i, item) in all.enumerated() { body(i, item) }
                return
            }
            withUnsafeBytes(of: values) { slots in
                for i in 0..<count {
                    switch (kinds >> (2 * i)) & 3 {
                    case 1: body(i, .notApplicable)
                    case 2: body(i, .number(slots.load(fromByteOffset: 8 * i, as: Double.self)))
                    default: body(i, .unanswered)
                    }
                }
            }
        }

    }

    /// Values that add nothing but a response: where none were worked out (see `LeanResponse`).
    /// Made where it is needed (for speed: a stored one was copied through its witnesses).
    static var none: ScoringValues { ScoringValues(dimensions: Dimensions(count: 0) { _ in .unanswered }) }

    private init(dimensions: Dimensions) {
        self.dimensions = dimensions
    }

    /// `commentTags`: `layout.tags` of the response's comment when the caller knows them already.
    init(_ response: Response, layout: ScoringLayout, commentTags known: [Int]?) {
        self.init(AnswerLookup(response, shape: layout.shape), layout: layout, commentTags: known)
    }

    /// The same from the response's answers, looked up once by the caller for all it reads of them.
    /// `commentKnown`: `known` is what `layout.tags` gives the comment, and nil only where the
    /// response has no comment (the caller has read it: see `CommentFactsCache.facts(of:)`).
    init(_ answers: AnswerLookup, layout: ScoringLayout, commentTags known: [Int]?, commentKnown: Bool = false) {
        // By the layout's question ids and indices (for speed: reading a Question to get its id copies it).
        overall = answers.item(layout.overallId, layout.overallIndex).number.map { Int($0) }
        // As items (for speed: a draft gives them without making the answers).
        dimensions = Dimensions(count: layout.dimensionIndices.count) { n in
            answers.item(layout.dimensionIds[n], layout.dimensionIndices[n])
        }
        recommend = answers.item(layout.recommendId, layout.recommendIndex).number.map { Int($0) }
        if layout.painPoints.count < 62 {
            // A mask, worked out once for each remembered answer (for speed); fewer than 62 pain
            // points leave the top bits for "not applicable" and "a list of choices".
            let mask = answers.mask(layout.painPointQuestionId, layout.painPointQuestionIndex) { answer in
                switch answer {
                case .notApplicable: Self.notApplicableBit
                case .choices(let values): Self.choicesBit | (layout.tickMask(values) ?? 0)
                default: layout.tickMask(Self.ticked(answer)) ?? 0
                }
            }
            if let mask, mask != Self.notApplicableBit {
                painTicks = .mask(mask & ~Self.choicesBit)
                ticksAreChoices = mask & Self.choicesBit != 0
            }
        } else if let answer = answers[layout.painPointQuestionId, layout.painPointQuestionIndex], answer != .notApplicable {
            if case .choices = answer { ticksAreChoices = true }
            let ticked = Self.ticked(answer)
            if let mask = layout.tickMask(ticked) {
                painTicks = .mask(mask)
            } else {
                painTicks = .flags(layout.painChoices.map { choices in ticked.contains { choices.contains($0) } })
            }
        }
        if commentKnown {
            commentTags = known.map(CommentTags.init)
        } else if case .text(let text) = answers[layout.commentId, layout.commentIndex], !text.isEmpty {
            commentTags = CommentTags(known ?? layout.tags(text))
        }
        daysTaken = answers.item(layout.daysTakenId, layout.daysTakenIndex).number
        daysPromised = answers.item(layout.daysPromisedId, layout.daysPromisedIndex).number
        trips = answers.item(layout.tripsId, layout.tripsIndex).number.map { Int($0) }
    }

    private static let notApplicableBit: UInt64 = 1 << 63
    private static let choicesBit: UInt64 = 1 << 62

    /// The choice values an answer to the pain-point question ticks.
    private static func ticked(_ answer: Answer) -> [String] {
        switch answer {
        case .choices(let values): values
        case .text(let value): [value]
        default: []
        }
    }
}

/// The questions of a form that scoring reads, found once by their roles.
// A class (for speed): tallies and digests read it for every response, and a struct this size
// was copied, reference by reference, wherever it was bound to a name.
public final class ScoringLayout: Sendable {
    public let form: Form
    /// The form's id, version and size, for `AnswerLookup` (for speed: reading `form` copies it).
    let shape: FormShape
    public let overall: Question?
    public let overallScale: Int
    public let dimensions: [Question]
    public let recommend: Question?
    public let painPointQuestion: Question?
    public let painPoints: [PainPoint]
    /// The choice values that count as a tick for each pain point.
    public let choicesFor: [String: Set<String>]
    public let comment: Question?
    public let trips: Question?
    public let daysTaken: Question?
    public let daysPromised: Question?
    private let keywords: [[String]]
    // The ids of the questions above and the choice values of each pain point by index, which
    // tallies read for every response (for speed).
    let overallId: String?
    let dimensionIds: [String]
    let recommendId: String?
    let painPointQuestionId: String?
    let painChoices: [Set<String>]
    /// The pain points (by index) each choice value counts for: one lookup per ticked value.
    private let painsByChoice: [String: [Int]]
    /// The same by bytes as a mask (bit i for pain point i), looked up first (for speed: `String`
    /// hashes Chinese choices through Unicode normalization, and a dictionary by UTF8Key hashed them
    /// with SipHash, a thousand instructions a response); a choice written with other bytes is
    /// still found by the above. Empty with more than 64 pain points.
    private let painMasksByBytes: ByteMemo<UInt64>
    let commentId: String?
    let tripsId: String?
    let daysTakenId: String?
    let daysPromisedId: String?
    /// The indices in the form of the questions above, for `AnswerLookup`.
    let overallIndex: Int?
    let dimensionIndices: [Int]
    let recommendIndex: Int?
    let painPointQuestionIndex: Int?
    let commentIndex: Int?
    let tripsIndex: Int?
    let daysTakenIndex: Int?
    let daysPromisedIndex: Int?
    /// The keywords' UTF-8 bytes, where every keyword is made of simple scalars (see `isSimple`).
    private let keywordBytes: [[[UInt8]]]?
    /// Whether no keyword holds an ASCII byte (see `tags`).
    private let keywordsOutsideASCII: Bool

    public init(form: Form) {
        self.form = form
        shape = FormShape(form)
        overall = form.question(withRole: .overall)
        overallScale = overall?.scale ?? 5
        dimensions = form.questions(withRole: .dimension)
        recommend = form.question(withRole: .recommend)
        painPointQuestion = form.question(withRole: .painPoints)
        painPoints = form.painPoints
        var choices: [String: Set<String>] = [:]
        for choice in painPointQuestion?.choices ?? [] {
            if let p = choice.painPoint { choices[p, default: []].insert(choice.value) }
        }
        choicesFor = choices
        comment = form.question(withRole: .comment)
        trips = form.question(withRole: .trips)
        daysTaken = form.question(withRole: .daysTaken)
        daysPromised = form.question(withRole: .daysPromised)
        keywords = form.painPoints.map { $0.keywords.map(AnswerParser.fold).filter { !$0.isEmpty } }
        overallId = overall?.id
        dimensionIds = dimensions.map(\.id)
        recommendId = recommend?.id
        painPointQuestionId = painPointQuestion?.id
        painChoices = form.painPoints.map { choices[$0.id] ?? [] }
        var pains: [String: [Int]] = [:]
        for (i, values) in painChoices.enumerated() {
            for value in values { pains[value, default: []].append(i) }
        }
        painsByChoice = pains
        painMasksByBytes = ByteMemo(
            keeping: form.painPoints.count > 64 ? [] : pains.map { (key: $0.key, value: $0.value.reduce(0) { $0 | 1 << UInt64($1) }) })
        commentId = comment?.id
        tripsId = trips?.id
        daysTakenId = daysTaken?.id
        daysPromisedId = daysPromised?.id
        overallIndex = form.questionIndex(withRole: .overall)
        dimensionIndices = form.questionIndices(withRole: .dimension)
        recommendIndex = form.questionIndex(withRole: .recommend)
        painPointQuestionIndex = form.questionIndex(withRole: .painPoints)
        commentIndex = form.questionIndex(withRole: .comment)
        tripsIndex = form.questionIndex(withRole: .trips)
        daysTakenIndex = form.questionIndex(withRole: .daysTaken)
        daysPromisedIndex = form.questionIndex(withRole: .daysPromised)
        keywordBytes =
            keywords.allSatisfy { $0.allSatisfy { $0.unicodeScalars.allSatisfy(Self.isSimple) } }
            ? keywords.map { $0.map { Array($0.utf8) } } : nil
        keywordsOutsideASCII = keywords.allSatisfy { $0.allSatisfy { $0.utf8.allSatisfy { $0 >= 0x80 } } }
    }

    /// Bit i set when one of `values` counts for pain point i (as `painChoices[i]` says); nil with
    /// more than 64 pain points.
    func tickMask(_ values: [String]) -> UInt64? {
        guard painPoints.count <= 64 else { return nil }
        var mask: UInt64 = 0
        for value in values {
            if let bits = painMasksByBytes.value(for: value) {
                mask |= bits
            } else {
                for i in painsByChoice[value] ?? [] { mask |= 1 << UInt64(i) }
            }
        }
        return mask
    }

    /// The pain points whose keywords a comment mentions (indices into `painPoints`).
    public func tags(_ comment: String) -> [Int] {
        // Folding turns only ASCII letters, fullwidth forms and U+3000 into ASCII, and trims white
        // space: a keyword with no ASCII byte occurs in the folded text where it occurs in the text
        // itself, which is searched as it is (for speed: folding was half of tagging).
        if keywordsOutsideASCII, let found = bytewiseTags(comment) { return found }
        let folded = AnswerParser.fold(comment)
        if let found = bytewiseTags(folded) { return found }
        return keywords.indices.filter { i in keywords[i].contains { folded.contains($0) } }
    }

    /// The keywords found in a text by a search of its bytes, where the text and the keywords are
    /// made of simple scalars only: there Foundation's search, which matches canonically equivalent
    /// text on character boundaries, finds exactly what a search of the bytes finds (for speed:
    /// every comment of an import is tagged). Nil otherwise.
    private func bytewiseTags(_ text: String) -> [Int]? {
        text.withUTF8Bytes(bytewiseTags)
    }

    private func bytewiseTags(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int]? {
        guard let keywordBytes, Self.isSimple(bytes) else { return nil }
        return keywordBytes.indices.filter { i in keywordBytes[i].contains { Self.occurs($0, in: bytes) } }
    }

    /// The same as `tags` given a comment's UTF-8 bytes, with no String made where the bytes tell
    /// (see above); `text` makes it where they do not.
    func tags(utf8 bytes: UnsafeBufferPointer<UInt8>, text: () -> String) -> [Int] {
        if keywordsOutsideASCII, let found = bytewiseTags(bytes) { return found }
        return tags(text())
    }

    /// A scalar that is a character by itself, has no canonical decomposition and combines with
    /// nothing: printable ASCII, tab, line feed, CJK ideographs, CJK punctuation (without its
    /// combining tone marks) and fullwidth forms.
    static func isSimple(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x20...0x7E, 0x3000...0x3029, 0x3030...0x303F, 0x4E00...0x9FFF, 0xFF01...0xFF5E: true
        default: false
        }
    }

    /// Whether every scalar of valid UTF-8 text is simple (see above), read from its bytes (for
    /// speed: decoding the scalars of every comment was a cost of its own).
    static func isSimple(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 {
                guard b == 0x09 || b == 0x0A || (0x20...0x7E).contains(b) else { return false }
                i += 1
                continue
            }
            // Every simple scalar past ASCII takes three bytes: E3 80 xx (U+3000–303F), E4 B8 xx
            // to E9 BF xx (U+4E00–9FFF) and EF BC xx, EF BD xx (U+FF00–FF7F).
            guard i + 2 < n else { return false }
            let (b1, b2) = (bytes[i + 1], bytes[i + 2])
            switch b {
            case 0xE3: guard b1 == 0x80, b2 <= 0xA9 || b2 >= 0xB0 else { return false }
            case 0xE4: guard b1 >= 0xB8 else { return false }
            case 0xE5...0xE9: break
            case 0xEF: guard (b1 == 0xBC && b2 >= 0x81) || (b1 == 0xBD && b2 <= 0x9E) else { return false }
            default: return false
            }
            i += 3
        }
        return true
    }

    private static func occurs(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = needle.count
        guard n > 0 else { return true }
        guard n <= haystack.count, let text = haystack.baseAddress else { return false }
        // The C library finds each place of one byte of the keyword, and there the keyword is
        // compared whole (for speed: in Chinese text a keyword's first byte is one of a handful of
        // lead bytes, so a byte-by-byte search stopped at most characters). The byte looked for is
        // the third: a continuation byte of a Chinese keyword, one of 64 values.
        let anchor = min(2, n - 1)
        let lastPlace = haystack.count - n + anchor
        return needle.withUnsafeBufferPointer { keyword in
            guard let pattern = keyword.baseAddress else { return true }
            var from = anchor
            while from <= lastPlace {
                guard let hit = memchr(text + from, Int32(keyword[anchor]), lastPlace - from + 1) else { return false }
                let place = UnsafeRawPointer(text).distance(to: UnsafeRawPointer(hit))
                if memcmp(text + (place - anchor), pattern, n) == 0 { return true }
                from = place + 1
            }
            return false
        }
    }

    /// The same by Foundation's search alone: the reference the fast path is tested against.
    func tagsBySearch(_ comment: String) -> [Int] {
        let folded = AnswerParser.fold(comment)
        return keywords.indices.filter { i in keywords[i].contains { folded.contains($0) } }
    }
}

extension ScoreTally {
    /// The sums as bytes, in an order fixed by the layout (see `TallyWords`).
    var encoded: [UInt8] {
        TallyWords.bytes(of: encodedWords)
    }

    /// The same as words, before they are bytes (see `TallyAdder`).
    var encodedWords: [UInt64] {
        var out = TallyWords()
        out.put(responses)
        overall.write(&out)
        for d in dimensions { d.write(&out) }
        for d in drivers { d.write(&out) }
        recommend?.write(&out)
        for p in painPoints { p.write(&out) }
        for n in commentMentions { out.put(n) }
        out.put(comments)
        efficiency.write(&out)
        for n in notApplicable { out.put(n) }
        return out.words
    }

    /// The tally `encoded` wrote for the same layout; nil when the bytes do not fit it.
    init?(encoded bytes: [UInt8], layout: ScoringLayout) {
        guard var input = TallyWords(bytes: bytes) else { return nil }
        self.init(form: layout)
        guard let n = input.int(), let o = ItemAccumulator(levels: overall.levels, reading: &input) else { return nil }
        responses = n
        overall = o
        for i in dimensions.indices {
            guard let d = ItemAccumulator(levels: dimensions[i].levels, reading: &input) else { return nil }
            dimensions[i] = d
        }
        for i in drivers.indices {
            guard let d = PairAccumulator(reading: &input) else { return nil }
            drivers[i] = d
        }
        if let r = recommend {
            guard let d = ItemAccumulator(levels: r.levels, reading: &input) else { return nil }
            recommend = d
        }
        for i in painPoints.indices {
            guard let p = ProportionAccumulator(reading: &input) else { return nil }
            painPoints[i] = p
        }
        for i in commentMentions.indices {
            guard let v = input.int() else { return nil }
            commentMentions[i] = v
        }
        guard let c = input.int(), let e = EfficiencyAccumulator(reading: &input) else { return nil }
        comments = c
        efficiency = e
        for i in notApplicable.indices {
            guard let v = input.int() else { return nil }
            notApplicable[i] = v
        }
        guard input.atEnd else { return nil }
    }
}
