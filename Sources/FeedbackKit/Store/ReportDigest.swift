import Foundation
import GRDB

// The store's report digests: per form, month and department, the tallies every figure of a score
// is computed from (ScoreTally), and per form and month the report's material (each distinct comment
// under each pain point, every bad review). They are kept in the same transaction as the responses
// they sum, so that a report reads a few hundred rows instead of rescanning every response.
//
// A digest is used only while it is current: written for the same form definition (its
// fingerprint) and summing exactly as many responses as the month holds. Responses are never
// deleted, so a count that matches means the same responses. Anything else (a store from before
// the digests, a changed form, responses stored by a path that does not keep digests) makes the
// month stale: the next import into it or the next report rebuilds it from the responses, and
// until then reports rescan the month as they always did.

enum ReportDigest {
    /// The tables as the v3 migration made them; v4 replaces digest_comment (`createCommentTable`).
    static func createTables(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE digest_tally (
                    form_id TEXT NOT NULL,
                    month TEXT NOT NULL,
                    department TEXT NOT NULL,
                    form_digest TEXT NOT NULL,
                    responses INTEGER NOT NULL,
                    sums BLOB NOT NULL,
                    PRIMARY KEY (form_id, month, department)
                ) WITHOUT ROWID;
                CREATE TABLE digest_comment (
                    form_id TEXT NOT NULL,
                    month TEXT NOT NULL,
                    pain_point TEXT NOT NULL,
                    text TEXT NOT NULL,
                    department TEXT NOT NULL,
                    first_id INTEGER NOT NULL,
                    PRIMARY KEY (form_id, month, pain_point, text, department)
                ) WITHOUT ROWID;
                CREATE TABLE digest_bad_review (
                    form_id TEXT NOT NULL,
                    month TEXT NOT NULL,
                    response_id INTEGER NOT NULL,
                    response_key TEXT NOT NULL,
                    submitted_at TEXT NOT NULL,
                    department TEXT NOT NULL,
                    service TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    level TEXT NOT NULL,
                    pain_points TEXT NOT NULL,
                    comment TEXT NOT NULL,
                    contact TEXT NOT NULL,
                    PRIMARY KEY (form_id, month, response_id)
                ) WITHOUT ROWID;
                """)
    }

    /// The v4 comment table: one row per comment item of a stored response, keyed by the
    /// response's row id, so that an import appends to each month's rows. Keyed by the item (as
    /// in v3), every import into a large store wrote all over the table and its journal: the
    /// import of 100k responses into a store of 1M took twice as long as into an empty one.
    /// Items that repeat are dropped within a transaction, and when a report reads them.
    static func createCommentTable(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE digest_comment (
                    form_id TEXT NOT NULL,
                    month TEXT NOT NULL,
                    first_id INTEGER NOT NULL,
                    pain_point TEXT NOT NULL,
                    department TEXT NOT NULL,
                    text TEXT NOT NULL,
                    PRIMARY KEY (form_id, month, first_id, pain_point)
                ) WITHOUT ROWID;
                """)
    }

    /// The v8 tables of the material: a month's comment items and bad reviews in blocks of many
    /// (`DigestItems`), in place of a row each. A row each, they were a sixth of what the thread
    /// that stores an import did (callgrind, 20k rows: 113M of 681M instructions, most of them
    /// SQLite's), for about one bad review in three responses. The digests are sums of the
    /// responses: the tallies are emptied with the old tables, and each month is rebuilt by the
    /// next import into it or the next report of it.
    static func createItemTable(_ db: Database) throws {
        try db.execute(
            sql: """
                DROP TABLE digest_comment;
                DROP TABLE digest_bad_review;
                DELETE FROM digest_tally;
                CREATE TABLE digest_item_block (
                    id INTEGER PRIMARY KEY,
                    form_id TEXT NOT NULL,
                    month TEXT NOT NULL,
                    kind INTEGER NOT NULL,
                    first_id INTEGER NOT NULL,
                    data BLOB NOT NULL
                );
                CREATE INDEX digest_item_block_month ON digest_item_block(form_id, month, kind, first_id);
                """)
    }

    /// What a digest depends on in a form: everything that scoring and the material read (roles,
    /// scales, choices and their pain points, keywords, the labels and names the material shows).
    static func fingerprint(_ form: Form) -> String {
        var hash = ContentHash()
        hash.add("report digest 1")
        hash.add(form.id)
        hash.add(String(form.departments.count))
        for d in form.departments {
            hash.add(d.id)
            hash.add(d.name.zh)
        }
        hash.add(String(form.painPoints.count))
        for p in form.painPoints {
            hash.add(p.id)
            hash.add(p.label.zh)
            hash.add(String(p.keywords.count))
            for k in p.keywords { hash.add(k) }
        }
        hash.add(String(form.questions.count))
        for q in form.questions {
            hash.add(q.id)
            hash.add(q.type.rawValue)
            hash.add(q.role?.rawValue ?? "")
            hash.add(String(q.scale))
            hash.add(String(q.levels.count))
            for l in q.levels { hash.add(l.zh) }
            hash.add(String(q.choices.count))
            for c in q.choices {
                hash.add(c.value)
                hash.add(c.label.zh)
                hash.add(c.painPoint ?? "")
            }
        }
        return hash.hex
    }

    /// The month's tallies by department when the digest is current, else nil.
    static func currentTallies(_ db: Database, layout: ScoringLayout, fingerprint: String, month: String) throws -> [String: ScoreTally]? {
        let formId = layout.form.id
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT department, form_digest, responses, sums FROM digest_tally WHERE form_id = ? AND month = ?"),
            arguments: [formId, month])
        var tallies: [String: ScoreTally] = [:]
        var total = 0
        for row in rows {
            let digest: String = row[1]
            let bytes: [UInt8] = (row[3] as Data?).map { [UInt8]($0) } ?? []
            guard digest == fingerprint, let tally = ScoreTally(encoded: bytes, layout: layout) else { return nil }
            tallies[row[0]] = tally
            total += tally.responses
        }
        let count =
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT COALESCE(SUM(responses), 0) FROM block_month WHERE form_id = ? AND month = ?"),
                arguments: [formId, month]) ?? 0
        return count == total ? tallies : nil
    }

    /// The month's material from the digest, which the caller has found current (`currentTallies`);
    /// nil when a block of it cannot be read (the caller rescans the month).
    static func material(_ db: Database, form: Form, month: String) throws -> ReportMaterial? {
        var material = ReportMaterial()
        // The month's comment items and bad reviews in the order they were stored. A comment that
        // more than one response gave is listed once, where it first appeared.
        var comments: [DigestItems.Comment] = []
        var bad: [(id: Int64, review: BadReview)] = []
        // Read through SQLite's C API (for speed: GRDB's rows were a tenth of a report's instructions).
        let blocks = try DirectStatement(
            db, sql: "SELECT kind, data FROM digest_item_block WHERE form_id = ? AND month = ? ORDER BY kind, first_id, id")
        do {
            try blocks.forEachRow(.text(form.id), .text(month)) { row in
                let kind = row.int(0)
                try row.withBlob(1) { bytes in
                    switch kind {
                    case DigestItems.commentKind: try DigestItems.readComments(bytes) { comments.append($0) }
                    case DigestItems.badReviewKind: try DigestItems.readBadReviews(bytes) { bad.append(($0, $1)) }
                    default: break
                    }
                }
            }
        } catch is BlockCodec.Malformed {
            return nil
        }
        // Blocks never overlap (each month's items are stored in the order of their responses), so
        // these are in order already; `inIdOrder` makes sure of it at little cost.
        var seen = Set<CommentItem>()
        for c in DigestItems.inIdOrder(comments, id: \.id)
        where seen.insert(CommentItem(painPoint: c.painPoint, department: UTF8Key(c.department), text: UTF8Key(c.text))).inserted {
            material.comments[c.painPoint, default: []].append((c.department, c.text))
        }
        material.badReviews = DigestItems.inIdOrder(bad, id: \.id).map(\.review)
        material.badReviews.sort { ($0.submittedAt, $0.responseId) < ($1.submittedAt, $1.responseId) }
        return material
    }
}

/// Keeps the digests of the forms it tracks current with what one write transaction stores: each
/// month is loaded (or rebuilt, when stale) the first time the transaction stores into it, sums
/// every response stored after that, and is written back before the transaction commits.
final class DigestKeeper {
    fileprivate final class FormState {
        let form: Form
        let fingerprint: String
        let entries: DigestEntries
        var months: [String: MonthState] = [:]
        /// The comment items this transaction has written, by their month and texts (see `add`).
        var seenComments = ByteMemo<Bool>(limit: DigestKeeper.rememberedComments, keyBytesLimit: DigestKeeper.rememberedCommentBytes)
        /// Where an item's key is put together, kept from item to item.
        var itemKey: [UInt8] = []
        /// The bytes of the months' item blocks not yet written.
        var pendingBytes = 0
        /// The answers of a lean record by question index, kept from record to record (see
        /// `insertedRecord`); one per form, as what it remembers is (see `RecordAnswers.mask`).
        let recordAnswers: RecordAnswers
        /// Adds to the months' tallies.
        let adder: TallyAdder

        init(form: Form) {
            self.form = form
            fingerprint = ReportDigest.fingerprint(form)
            entries = DigestEntries(form: form)
            adder = TallyAdder(layout: entries.layout)
            recordAnswers = RecordAnswers(questionCount: form.questions.count)
        }
    }

    /// How many comment items a transaction remembers to drop repeats before they are written, and
    /// how many bytes of their texts; past either, it starts again (bounded memory). Repeats it
    /// misses are dropped when read.
    static let rememberedComments = 32768
    static let rememberedCommentBytes = 1 << 21
    /// The material of an entry worked out here (see `insertedRecord`), kept from entry to entry.
    private var material: [UInt8] = []

    /// The item blocks of a transaction are written once they hold this many bytes in all (memory
    /// stays bounded however many months an import spans): 256 KiB. With 1 MiB an import of 10M rows
    /// peaked at 97.9 MiB, with 256 KiB at 96.5 MiB (`/usr/bin/time feedback import …`).
    static let pendingLimit = 1 << 18
    private let pendingLimit: Int

    init(pendingLimit: Int = DigestKeeper.pendingLimit) {
        self.pendingLimit = pendingLimit
    }

    /// A class, so that one lookup of the month serves every update of it.
    fileprivate final class MonthState {
        /// Each department's name and tally, in the order first met; the tallies as their words,
        /// one after the other (see `TallyAdder`).
        private(set) var departments: [String] = []
        private(set) var words: [UInt64] = []
        let adder: TallyAdder
        /// Each department's index, by its name's bytes (see UTF8Key: department names are mostly Chinese).
        private var byName: [UTF8Key: Int] = [:]
        /// The same, looked up first (for speed: the dictionary hashed each response's department
        /// with SipHash); it may forget (see ByteMemo), never the dictionary.
        private var indices = ByteMemo<Int32>(limit: 1024)
        /// The month's comment items and bad reviews stored since its blocks were last written.
        var comments = DigestItems.Block()
        var badReviews = DigestItems.Block()

        init(tallies: [String: ScoreTally] = [:], adder: TallyAdder) {
            self.adder = adder
            for (department, tally) in tallies {
                byName[UTF8Key(department)] = departments.count
                departments.append(department)
                words.append(contentsOf: tally.encodedWords)
            }
        }

        /// Adds a response's values to its department's tally, which is made empty when first met.
        func add(_ values: UnsafePointer<ScoringValues>, department: String) {
            let start = index(of: department) * adder.words
            words.withUnsafeMutableBufferPointer { adder.add(values, to: $0.baseAddress.unsafelyUnwrapped + start) }
        }

        /// Each department's name and the bytes of its tally (`ScoreTally.encoded`), with the
        /// responses it sums.
        var tallies: [(department: String, responses: Int, bytes: [UInt8])] {
            departments.indices.map { i in
                let tally = words[i * adder.words..<(i + 1) * adder.words]
                return (departments[i], Int(Int64(bitPattern: tally.first ?? 0)), TallyWords.bytes(of: tally))
            }
        }

        /// The index of a department's tally, which is made empty when first met.
        private func index(of department: String) -> Int {
            if let memo = indices.value(for: department) { return Int(memo) }
            let index: Int
            if let known = byName[UTF8Key(department)] {
                index = known
            } else {
                index = departments.count
                byName[UTF8Key(department)] = index
                departments.append(department)
                words.append(contentsOf: adder.empty)
            }
            department.withUTF8Bytes { indices.insert(Int32(index), for: UnsafeRawBufferPointer($0)) }
            return index
        }
    }

    private var forms: [String: FormState] = [:]
    /// The form and month the last response went into, which most responses share with the one
    /// before (for speed: two lookups by text, for each response, were a tenth of the storing
    /// thread's instructions).
    ///
    /// Unretained (for speed: retaining and releasing them, a few times a response, cost more than
    /// the rest of the lookup): `forms` and each form's `months` hold them, and `finish`, which
    /// lets go of the months, forgets it.
    private var last: (formId: String, month: String, state: Unmanaged<FormState>, m: Unmanaged<MonthState>)?

    /// The form's state and the month's, when both are loaded.
    @inline(__always)
    private func loaded(formId: String, month: String) -> (Unmanaged<FormState>, Unmanaged<MonthState>)? {
        if let last, last.month == month, last.formId == formId { return (last.state, last.m) }
        guard let state = forms[formId], let m = state.months[month] else { return nil }
        let found = (Unmanaged.passUnretained(state), Unmanaged.passUnretained(m))
        last = (formId, month, found.0, found.1)
        return found
    }

    func track(_ form: Form) {
        if forms[form.id] == nil { forms[form.id] = FormState(form: form) }
    }

    /// A month of a tracked form, loaded by `prepare`: where `inserted` and `insertedRecord` add a
    /// response (for speed: each found the form and the month again by their texts, and copying
    /// the texts of the last ones found counted references a few times a response).
    struct Prepared {
        fileprivate let state: Unmanaged<FormState>
        fileprivate let m: Unmanaged<MonthState>
        fileprivate let month: String
    }

    /// Called before a response of the form is stored into the month: loads the month's digest, or
    /// rebuilds it from the month's responses when it is stale. Nil when the form is not tracked.
    /// What it returns holds until `finish`.
    @discardableResult
    func prepare(formId: String, month: String, db: Database) throws -> Prepared? {
        if let (state, m) = loaded(formId: formId, month: month) { return Prepared(state: state, m: m, month: month) }
        guard let state = forms[formId] else { return nil }
        let layout = state.entries.layout
        if let tallies = try ReportDigest.currentTallies(db, layout: layout, fingerprint: state.fingerprint, month: month) {
            state.months[month] = MonthState(tallies: tallies, adder: state.adder)
        } else {
            for table in ["digest_tally", "digest_item_block"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE form_id = ? AND month = ?", arguments: [formId, month])
            }
            let rebuilt = MonthState(adder: state.adder)
            state.months[month] = rebuilt
            try SQLiteWriter(db: db).forEachWithId(formId: formId, month: month) { id, response in
                let entry = state.entries.entry(response)
                try entry.material.withUnsafeBytes { material in
                    try withUnsafePointer(to: entry.values) { values in
                        try add(
                            values, material, month: rebuilt, named: month, department: response.department, id: id, state: state, db: db)
                    }
                }
            }
        }
        return loaded(formId: formId, month: month).map { Prepared(state: $0.0, m: $0.1, month: month) }
    }

    /// What a response of a tracked form adds to the digests; nil when its form is not tracked.
    func entry(_ response: Response) -> DigestEntry? {
        forms[response.formId]?.entries.entry(response)
    }

    /// Adds to the digests a response the lean path of an import encoded, stored with this id,
    /// working out what it adds from its record (see `BlockCodec.Reader.leanRecord`), whose answers
    /// `keys` numbers, and `department`, the record's own. As `inserted`.
    func insertedRecord(
        _ record: UnsafeRawBufferPointer, into prepared: Prepared, keys: AnswerKeys, department: String?, id: Int64, db: Database
    ) throws {
        let (entries, kept) = prepared.state._withUnsafeGuaranteedRef { ($0.entries, $0.recordAnswers) }
        // `keys` numbers the form's questions; a count that differs (never met) gets answers of its own.
        let recordAnswers = kept.questionCount == keys.indices.count ? kept : RecordAnswers(questionCount: keys.indices.count)
        var reader = BlockCodec.Reader(bytes: record, at: 0)
        let (key, submittedAt) = try reader.leanRecord(keys: keys, into: recordAnswers)
        material.removeAll(keepingCapacity: true)
        let values = entries.entry(AnswerLookup(record: recordAnswers), department: department, material: &material) {
            (key.text, submittedAt?.text)
        }
        try material.withUnsafeBytes { material in
            try withUnsafePointer(to: values) { values in
                try inserted(into: prepared, department: department, id: id, db: db, values: values, material: material)
            }
        }
    }

    /// Called after a response is stored into the month `prepare` gave, with its row id and what it
    /// adds: its scoring values and its material (see `DigestItems.appendMaterial`). (Without
    /// `prepare` the month's sums would miss earlier responses: left out, its sums fall short of its
    /// count, so that it is stale when next read; see `currentTallies`.)
    func inserted(
        into prepared: Prepared, department: String?, id: Int64, db: Database, values: UnsafePointer<ScoringValues>,
        material: UnsafeRawBufferPointer
    ) throws {
        try prepared.state._withUnsafeGuaranteedRef { state in
            try prepared.m._withUnsafeGuaranteedRef { m in
                try add(values, material, month: m, named: prepared.month, department: department, id: id, state: state, db: db)
            }
        }
    }

    /// Adds a response's values to its department's tally, and its material's items to the month's
    /// blocks as they are: a comment item unless this transaction wrote it already (by its month and
    /// texts' bytes, for speed: with a set of texts, each item's four were retained and released on
    /// this thread after the reading thread made them), then its bad review.
    private func add(
        _ values: UnsafePointer<ScoringValues>, _ material: UnsafeRawBufferPointer, month m: MonthState, named month: String,
        department: String?, id: Int64, state: FormState, db: Database
    ) throws {
        m.add(values, department: department ?? "")
        try DigestItems.forEachItem(in: material) { kind, item in
            if kind == DigestItems.commentKind {
                state.itemKey.removeAll(keepingCapacity: true)
                BlockCodec.appendText(month, to: &state.itemKey)
                state.itemKey.append(contentsOf: item)
                let isNew = state.itemKey.withUnsafeBytes { state.seenComments.insertIfNew(true, for: $0) }
                guard isNew else { return }
                state.pendingBytes += m.comments.add(id: id) { $0.append(contentsOf: item) }
            } else {
                state.pendingBytes += m.badReviews.add(id: id) { $0.append(contentsOf: item) }
            }
        }
        if state.pendingBytes >= pendingLimit { try writePending(state, db: db) }
    }

    /// Writes the months' item blocks.
    private func writePending(_ state: FormState, db: Database) throws {
        // Bound directly (see DirectStatement).
        let insert = try DirectStatement(
            db, sql: "INSERT INTO digest_item_block (form_id, month, kind, first_id, data) VALUES (?, ?, ?, ?, ?)")
        for (month, m) in state.months {
            for (kind, block) in [(DigestItems.commentKind, m.comments), (DigestItems.badReviewKind, m.badReviews)] {
                guard let first = block.firstId else { continue }
                try insert.execute(.text(state.form.id), .text(month), .int(kind), .int(first), .blob(block.bytes))
            }
            m.comments = DigestItems.Block()
            m.badReviews = DigestItems.Block()
        }
        state.pendingBytes = 0
    }

    /// Writes every month back, in the transaction that stored the responses. Their counts are not
    /// checked here: a response stored into a month without its share of the sums leaves them short
    /// of the month's count, which `currentTallies` checks when the month is next read. (Counting a
    /// month's rows reads its whole share of an index; `prepare` has done so once already.)
    func finish(_ db: Database) throws {
        for state in forms.values {
            try writePending(state, db: db)
            let formId = state.form.id
            for (month, m) in state.months {
                let statement = try db.cachedStatement(
                    sql: """
                        INSERT OR REPLACE INTO digest_tally (form_id, month, department, form_digest, responses, sums)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """)
                // Every department of the month, also those this transaction left as they were (a few dozen rows).
                for tally in m.tallies.sorted(by: { $0.department < $1.department }) {
                    try statement.execute(arguments: [
                        formId, month, tally.department, state.fingerprint, tally.responses, Data(tally.bytes),
                    ])
                }
            }
            state.months.removeAll()
        }
        last = nil
    }
}

/// How the material's items are kept (store format v8): each month's comment items and bad reviews
/// in blocks, each item after the one before it: the id of its response (the first whole, then the
/// difference from the one before, as `BlockCodec.appendSigned` writes it), then its texts,
/// each as its length and its UTF-8 bytes (`BlockCodec.appendText`). Written by hand, like the
/// response blocks, for speed (see `ReportDigest.createItemTable`).
enum DigestItems {
    static let commentKind: Int64 = 1
    static let badReviewKind: Int64 = 2

    /// A comment item as read back: the response that first gave it, its pain point, its
    /// department's name and the masked comment.
    struct Comment {
        var id: Int64
        var painPoint: String
        var department: String
        var text: String
    }

    /// A block being filled.
    struct Block {
        var bytes: [UInt8] = []
        var firstId: Int64?
        private var lastId: Int64 = 0

        /// Appends an item of the response `id`, whose texts `body` appends; returns the bytes added.
        mutating func add(id: Int64, _ body: (inout [UInt8]) -> Void) -> Int {
            let start = bytes.count
            if firstId == nil { firstId = id }
            BlockCodec.appendSigned(id &- lastId, to: &bytes)
            lastId = id
            body(&bytes)
            return bytes.count - start
        }
    }

    /// Appends to a response's material (what a digest entry carries of the report's material,
    /// from the thread that works it out to the one that stores it) a comment item, as a block
    /// keeps it, after its kind.
    static func appendMaterial(comment painPoint: String, department: String, text: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(commentKind))
        append(comment: painPoint, department: department, text: text, to: &out)
    }

    /// The same for a bad review, which comes last.
    static func appendMaterial(badReview r: BadReview, to out: inout [UInt8]) {
        out.append(UInt8(badReviewKind))
        append(badReview: r, to: &out)
    }

    /// Calls `body` with the kind and the bytes, as a block keeps them, of each item of a
    /// response's material (see `appendMaterial`).
    static func forEachItem(in material: UnsafeRawBufferPointer, _ body: (Int64, UnsafeRawBufferPointer) throws -> Void) throws {
        var reader = BlockCodec.Reader(bytes: material, at: 0)
        while reader.at < material.count {
            let kind = Int64(material[reader.at])
            let start = reader.at + 1
            if kind == commentKind {
                reader.at = start
                for _ in 0..<3 { try reader.skipText() }
                try body(kind, UnsafeRawBufferPointer(rebasing: material[start..<reader.at]))
            } else {
                guard kind == badReviewKind else { throw BlockCodec.Malformed() }
                // The bad review is the last item.
                try body(kind, UnsafeRawBufferPointer(rebasing: material[start...]))
                return
            }
        }
    }

    /// A comment item, as a block keeps it, given the comment's UTF-8 bytes.
    static func append(comment painPoint: String, department: String, text: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        BlockCodec.appendText(painPoint, to: &out)
        BlockCodec.appendText(department, to: &out)
        BlockCodec.appendText(bytes: text, to: &out)
    }

    static func append(badReview r: BadReview, to out: inout [UInt8]) {
        // One by one (for speed: an array of the six was an object for each bad review).
        BlockCodec.appendText(r.responseId, to: &out)
        BlockCodec.appendText(r.submittedAt, to: &out)
        BlockCodec.appendText(r.department, to: &out)
        BlockCodec.appendText(r.service, to: &out)
        BlockCodec.appendText(r.channel, to: &out)
        BlockCodec.appendText(r.level, to: &out)
        // The pain points as their count, then each.
        BlockCodec.appendNumber(UInt64(r.painPoints.count), to: &out)
        for p in r.painPoints { BlockCodec.appendText(p, to: &out) }
        BlockCodec.appendText(r.comment, to: &out)
        BlockCodec.appendText(r.contact, to: &out)
    }

    static func readComments(_ bytes: UnsafeRawBufferPointer, _ body: (Comment) throws -> Void) throws {
        var reader = BlockCodec.Reader(bytes: bytes, at: 0)
        var id: Int64 = 0
        while reader.at < bytes.count {
            id &+= try reader.signed()
            try body(Comment(id: id, painPoint: try reader.text(), department: try reader.text(), text: try reader.text()))
        }
    }

    static func readBadReviews(_ bytes: UnsafeRawBufferPointer, _ body: (Int64, BadReview) throws -> Void) throws {
        var reader = BlockCodec.Reader(bytes: bytes, at: 0)
        var id: Int64 = 0
        while reader.at < bytes.count {
            id &+= try reader.signed()
            let (key, time, department, service, channel, level) = (
                try reader.text(), try reader.text(), try reader.text(), try reader.text(), try reader.text(), try reader.text()
            )
            let count = try reader.number()
            // Each pain point takes a byte at least: a count beyond the bytes left is damage.
            guard count <= UInt64(bytes.count - reader.at) else { throw BlockCodec.Malformed() }
            var painPoints: [String] = []
            for _ in 0..<count { painPoints.append(try reader.text()) }
            let review = BadReview(
                responseId: key, submittedAt: time, department: department, service: service, channel: channel, level: level,
                painPoints: painPoints, comment: try reader.text(), contact: try reader.text())
            try body(id, review)
        }
    }

    /// The items in the order of their ids, as they are unless they are not (a stable sort).
    static func inIdOrder<T>(_ items: [T], id: (T) -> Int64) -> [T] {
        if zip(items, items.dropFirst()).allSatisfy({ id($0) <= id($1) }) { return items }
        return items.enumerated().sorted { (id($0.element), $0.offset) < (id($1.element), $1.offset) }.map(\.element)
    }
}

/// A comment item of the report material: a comment under a pain point, with its department's
/// name. Compared by their bytes, as SQLite compares text (and for speed: see UTF8Key).
private struct CommentItem: Hashable {
    var painPoint: String
    var department: UTF8Key
    var text: UTF8Key
}

/// What one response adds to its month's digest: its scoring values, and its material: the
/// (pain point, department name, masked comment) items of the report's material, and its bad
/// review, if it is one, as `DigestItems.appendMaterial` writes them.
struct DigestEntry: Sendable {
    var values: ScoringValues
    var material: [UInt8]
}

/// Works out digest entries for one form. Apart from the keeper (for speed): a pipelined import
/// works them out on its reading thread, so that the thread that stores only adds them up. One per
/// thread: it remembers what each comment gives.
final class DigestEntries {
    let visitor: MaterialReader
    let comments: CommentFactsCache
    var layout: ScoringLayout { visitor.layout }

    init(form: Form) {
        visitor = MaterialReader(form: form)
        comments = CommentFactsCache(layout: visitor.layout)
    }

    func entry(_ response: Response) -> DigestEntry {
        var material: [UInt8] = []
        // Looked up once for the three readers of the answers below (for speed: each made its own).
        let values = entry(AnswerLookup(response, shape: layout.shape), department: response.department, material: &material) {
            (response.key, response.submittedAt)
        }
        return DigestEntry(values: values, material: material)
    }

    /// The same given the response's answers, its department and its key and time, which
    /// `identity` gives only for a bad review (see `MaterialReader.visit`): returns the scoring
    /// values, and appends the material to `material` (for speed: where the material was an array
    /// of texts, the thread that stored the response retained and released each, after the reading
    /// thread made them, and the reading thread freed them).
    // Not inlined (for speed: inlined in the storing thread's loop, copies of its values went through
    // the runtime's generic value witnesses; callgrind).
    @inline(never)
    func entry(
        _ answers: AnswerLookup, department: String?, material: inout [UInt8], identity: () -> (key: String, submittedAt: String?)
    ) -> ScoringValues {
        // The comment read once, for the values and the material (for speed: each read it), as the
        // bytes it is kept as where it is (for speed: most comments are then never made a String).
        if let bytes = answers.textBytes(layout.commentId, layout.commentIndex) {
            return entry(
                answers, comment: bytes, { String(decoding: bytes, as: UTF8.self) }, department: department, material: &material,
                identity: identity)
        }
        let text = if case .text(let text) = answers[layout.commentId, layout.commentIndex] { text } else { "" }
        return text.withUTF8Bytes { bytes in
            entry(answers, comment: bytes, { text }, department: department, material: &material, identity: identity)
        }
    }

    /// The same given the comment's UTF-8 bytes (empty: none), which `text` makes a String.
    private func entry(
        _ answers: AnswerLookup, comment: UnsafeBufferPointer<UInt8>, _ text: () -> String, department: String?,
        material: inout [UInt8], identity: () -> (key: String, submittedAt: String?)
    ) -> ScoringValues {
        let facts = comment.isEmpty ? nil : comments.facts(comment, text)
        let values = ScoringValues(answers, layout: layout, commentTags: facts?.tags, commentKnown: true)
        let ticks: UInt64? =
            if !values.ticksAreChoices { 0 } else if case .mask(let mask) = values.painTicks { mask } else { nil }
        let bad = visitor.visit(
            answers, hasComment: facts != nil, tags: facts?.maskedTags ?? [],
            level: answers.item(layout.overallId, layout.overallIndex).number, ticks: ticks,
            departmentName: { visitor.departmentName(department) }, identity: identity, badThrough: MaterialReader.badThrough,
            comment: { facts?.masked ?? text() }
        ) { painPoint, department in
            if let masked = facts?.masked {
                masked.withUTF8Bytes { DigestItems.appendMaterial(comment: painPoint, department: department, text: $0, to: &material) }
            } else {
                DigestItems.appendMaterial(comment: painPoint, department: department, text: comment, to: &material)
            }
        }
        if let bad { DigestItems.appendMaterial(badReview: bad, to: &material) }
        return values
    }
}

/// A comment's masked text and the pain points its text and its masked text mention.
struct CommentFacts: Sendable {
    /// Nil where masking leaves the comment as it is (for speed: then no String of it is made).
    var masked: String?
    var tags: [Int]
    var maskedTags: [Int]
}

/// What each comment gives, remembered by its text: exports repeat comments, and masking and
/// tagging walk every character. One per thread: an import works them out on its reading thread.
final class CommentFactsCache {
    let layout: ScoringLayout
    /// By the comment's bytes (for speed: a dictionary by text needed a String of each comment to
    /// look it up, and hashed it with SipHash).
    private var known = ByteMemo<CommentFacts>(limit: CommentFactsCache.limit)
    /// The most comments remembered; past it, the cache starts again (memory stays bounded: an
    /// import keeps one cache on each of its two threads).
    static let limit = 4096
    /// Only comments up to this many bytes are remembered: short ones ("很好", "材料要求不清楚") are
    /// the ones that come back, and a longer one costs less to work out again than to look up and
    /// remember (callgrind: about 2,400 instructions to mask and tag a comment of the bench data,
    /// 1,000 to look one up, 2,000 more to remember it).
    static let longestRemembered = 64

    init(layout: ScoringLayout) {
        self.layout = layout
    }

    /// The facts of the non-empty comment whose UTF-8 bytes are `bytes`; `text` makes it a String.
    func facts(_ bytes: UnsafeBufferPointer<UInt8>, _ text: () -> String) -> CommentFacts {
        guard bytes.count <= Self.longestRemembered else { return Self.workOut(bytes, text, layout: layout) }
        let key = UnsafeRawBufferPointer(bytes)
        if let facts = known.value(for: key) { return facts }
        let facts = Self.workOut(bytes, text, layout: layout)
        known.insert(facts, for: key)
        return facts
    }

    private static func workOut(_ bytes: UnsafeBufferPointer<UInt8>, _ text: () -> String, layout: ScoringLayout) -> CommentFacts {
        // Most comments hold nothing to mask: their bytes are tagged as they are, and no String of
        // them is made (for speed: making one checked every byte again, about a thousand
        // instructions a comment of the bench data; callgrind).
        if !PersonalData.mayHoldPersonalData(bytes) {
            let tags = layout.tags(utf8: bytes, text: text)
            return CommentFacts(masked: nil, tags: tags, maskedTags: tags)
        }
        let text = text()
        let masked = PersonalData.maskText(text)
        let tags = layout.tags(text)
        if masked == text { return CommentFacts(masked: nil, tags: tags, maskedTags: tags) }
        return CommentFacts(masked: masked, tags: tags, maskedTags: masked.isEmpty ? [] : layout.tags(masked))
    }
}
