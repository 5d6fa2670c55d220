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

    /// The month's material from the digest, which the caller has found current (`currentTallies`).
    static func material(_ db: Database, form: Form, month: String) throws -> ReportMaterial {
        var material = ReportMaterial()
        // Read through SQLite's C API (for speed: GRDB's rows were a tenth of a report's instructions).
        // The month's comment items in the order they were stored; a comment that more than one
        // response gave is listed once, where it first appeared (see `createCommentTable`).
        let comments = try DirectStatement(
            db, sql: "SELECT pain_point, department, text FROM digest_comment WHERE form_id = ? AND month = ? ORDER BY first_id")
        var seen = Set<CommentItem>()
        try comments.forEachRow(.text(form.id), .text(month)) { row in
            let (painPoint, department, text) = (row.text(0), row.text(1), row.text(2))
            if seen.insert(CommentItem(painPoint: painPoint, department: UTF8Key(department), text: UTF8Key(text))).inserted {
                material.comments[painPoint, default: []].append((department, text))
            }
        }
        let bad = try DirectStatement(
            db,
            sql: """
                SELECT response_key, submitted_at, department, service, channel, level, pain_points, comment, contact
                FROM digest_bad_review WHERE form_id = ? AND month = ? ORDER BY response_id
                """)
        try bad.forEachRow(.text(form.id), .text(month)) { row in
            // The pain points joined with U+001F; "" is none.
            let joined = row.text(6)
            let painPoints =
                joined.isEmpty
                ? [] : joined.utf8.split(separator: 0x1F, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            material.badReviews.append(
                BadReview(
                    responseId: row.text(0), submittedAt: row.text(1), department: row.text(2), service: row.text(3),
                    channel: row.text(4), level: row.text(5),
                    painPoints: painPoints,
                    comment: row.text(7), contact: row.text(8)))
        }
        material.badReviews.sort { ($0.submittedAt, $0.responseId) < ($1.submittedAt, $1.responseId) }
        return material
    }
}

/// Keeps the digests of the forms it tracks current with what one write transaction stores: each
/// month is loaded (or rebuilt, when stale) the first time the transaction stores into it, sums
/// every response stored after that, and is written back before the transaction commits.
final class DigestKeeper {
    private final class FormState {
        let form: Form
        let fingerprint: String
        let entries: DigestEntries
        var months: [String: MonthState] = [:]
        var pendingComments: [(month: String, painPoint: String, text: String, department: String, id: Int64)] = []
        var seenComments = Set<CommentKey>()
        var badReviews: [(month: String, id: Int64, review: BadReview)] = []

        init(form: Form) {
            self.form = form
            fingerprint = ReportDigest.fingerprint(form)
            entries = DigestEntries(form: form)
        }
    }

    private struct CommentKey: Hashable {
        var month: String
        var painPoint: String
        /// Hashed by their bytes (see UTF8Key): department names and comments are mostly Chinese.
        var department: UTF8Key
        var text: UTF8Key
    }

    /// How many comment items a transaction remembers to drop repeats before they are written;
    /// past it, it starts again (bounded memory). Repeats it misses are dropped when read.
    private static let rememberedComments = 32768

    /// A class, so that one lookup of the month serves every update of it.
    private final class MonthState {
        var tallies: [String: ScoreTally]

        init(tallies: [String: ScoreTally] = [:]) {
            self.tallies = tallies
        }
    }

    private var forms: [String: FormState] = [:]

    func track(_ form: Form) {
        if forms[form.id] == nil { forms[form.id] = FormState(form: form) }
    }

    /// Called before a response of the form is stored into the month: loads the month's digest, or
    /// rebuilds it from the month's responses when it is stale.
    func prepare(formId: String, month: String, db: Database) throws {
        guard let state = forms[formId], state.months[month] == nil else { return }
        let layout = state.entries.layout
        if let tallies = try ReportDigest.currentTallies(db, layout: layout, fingerprint: state.fingerprint, month: month) {
            state.months[month] = MonthState(tallies: tallies)
            return
        }
        for table in ["digest_tally", "digest_comment", "digest_bad_review"] {
            try db.execute(sql: "DELETE FROM \(table) WHERE form_id = ? AND month = ?", arguments: [formId, month])
        }
        let rebuilt = MonthState()
        state.months[month] = rebuilt
        try SQLiteWriter(db: db).forEachWithId(formId: formId, month: month) { id, response in
            try add(
                state.entries.entry(response), month: rebuilt, named: month, department: response.department, id: id, state: state, db: db)
        }
    }

    /// What a response of a tracked form adds to the digests; nil when its form is not tracked.
    func entry(_ response: Response) -> DigestEntry? {
        forms[response.formId]?.entries.entry(response)
    }

    /// Called after a response is stored (and `prepare` before it), with its row id and what it adds.
    func inserted(formId: String, month: String, department: String?, id: Int64, db: Database, entry: DigestEntry) throws {
        // Without `prepare` the month's sums would miss earlier responses: left out, its sums fall
        // short of its count, so that it is stale when next read (see `currentTallies`).
        guard let state = forms[formId], let m = state.months[month] else { return }
        try add(entry, month: m, named: month, department: department, id: id, state: state, db: db)
    }

    private func add(
        _ entry: DigestEntry, month m: MonthState, named month: String, department: String?, id: Int64, state: FormState, db: Database
    ) throws {
        m.tallies[department ?? "", default: ScoreTally(form: state.entries.layout)].add(entry.values)
        for c in entry.comments
        where state.seenComments.insert(
            CommentKey(month: month, painPoint: c.painPoint, department: UTF8Key(c.department), text: UTF8Key(c.text))
        ).inserted {
            state.pendingComments.append((month, c.painPoint, c.text, c.department, id))
        }
        if let bad = entry.badReview { state.badReviews.append((month, id, bad)) }
        if state.pendingComments.count + state.badReviews.count >= 4096 { try writePending(state, db: db) }
    }

    private func writePending(_ state: FormState, db: Database) throws {
        let formId = state.form.id
        if !state.pendingComments.isEmpty {
            // Bound directly (see DirectStatement): an import writes a row here for many of its records.
            let comment = try DirectStatement(
                db,
                sql:
                    "INSERT OR IGNORE INTO digest_comment (form_id, month, pain_point, text, department, first_id) VALUES (?, ?, ?, ?, ?, ?)"
            )
            // OR IGNORE: a response gives each pain point once, so only a rebuilt month's rows could clash.
            for c in state.pendingComments {
                try comment.execute(.text(formId), .text(c.month), .text(c.painPoint), .text(c.text), .text(c.department), .int(c.id))
            }
        }
        if !state.badReviews.isEmpty {
            let bad = try DirectStatement(
                db,
                sql: """
                    INSERT OR REPLACE INTO digest_bad_review
                    (form_id, month, response_id, response_key, submitted_at, department, service, channel, level, pain_points, comment,
                     contact)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for b in state.badReviews {
                let r = b.review
                try bad.execute(
                    .text(formId), .text(b.month), .int(b.id), .text(r.responseId), .text(r.submittedAt), .text(r.department),
                    .text(r.service), .text(r.channel), .text(r.level), .text(r.painPoints.joined(separator: "\u{1F}")), .text(r.comment),
                    .text(r.contact))
            }
        }
        state.pendingComments.removeAll(keepingCapacity: true)
        state.badReviews.removeAll(keepingCapacity: true)
        if state.seenComments.count >= Self.rememberedComments { state.seenComments.removeAll(keepingCapacity: true) }
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
                for (department, tally) in m.tallies.sorted(by: { $0.key < $1.key }) {
                    try statement.execute(arguments: [
                        formId, month, department, state.fingerprint, tally.responses, Data(tally.encoded),
                    ])
                }
            }
            state.months.removeAll()
        }
    }
}

/// A comment item of the report material: a comment under a pain point, with its department's
/// name. Compared by their bytes, as SQLite compares text (and for speed: see UTF8Key).
private struct CommentItem: Hashable {
    var painPoint: String
    var department: UTF8Key
    var text: UTF8Key
}

/// What one response adds to its month's digest: its scoring values, the (pain point, department
/// name, masked comment) items of the material, and its bad review, if it is one.
struct DigestEntry: Sendable {
    var values: ScoringValues
    var comments: [(painPoint: String, department: String, text: String)]
    var badReview: BadReview?
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
        let commentFacts = comments.facts(of: response)
        var items: [(painPoint: String, department: String, text: String)] = []
        let bad = visitor.visit(
            response, badThrough: MaterialReader.badThrough,
            maskAndTag: { text in
                // Called with the response's comment, whose facts are known by now (unless it is empty).
                let facts = commentFacts ?? self.comments.facts(text)
                return (facts.masked, facts.maskedTags)
            }
        ) { painPoint, department, text in items.append((painPoint, department, text)) }
        return DigestEntry(
            values: ScoringValues(response, layout: layout, commentTags: commentFacts?.tags), comments: items, badReview: bad)
    }
}

/// A comment masked, and the pain points its text and its masked text mention.
struct CommentFacts: Sendable {
    var masked: String
    var tags: [Int]
    var maskedTags: [Int]
}

/// What each comment gives, remembered by its text: exports repeat comments, and masking and
/// tagging walk every character. One per thread: an import works them out on its reading thread.
final class CommentFactsCache {
    let layout: ScoringLayout
    private var known: [UTF8Key: CommentFacts] = [:]

    init(layout: ScoringLayout) {
        self.layout = layout
    }

    func facts(_ text: String) -> CommentFacts {
        let key = UTF8Key(text)
        if let facts = known[key] { return facts }
        let masked = PersonalData.maskText(text)
        let tags = text.isEmpty ? [] : layout.tags(text)
        let facts = CommentFacts(
            masked: masked, tags: tags, maskedTags: masked == text ? tags : masked.isEmpty ? [] : layout.tags(masked))
        if known.count >= 16384 { known.removeAll(keepingCapacity: true) }
        known[key] = facts
        return facts
    }

    /// The facts of a response's comment; nil when it has none.
    func facts(of response: Response) -> CommentFacts? {
        guard case .text(let text) = AnswerLookup(response, shape: layout.shape)[layout.commentId, layout.commentIndex], !text.isEmpty
        else { return nil }
        return facts(text)
    }
}
