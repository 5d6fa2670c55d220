import Foundation

/// A store of responses. SQLite is the one built in; the protocol is the seam for others
/// (PostgreSQL for offices that write into one store from several places).
public protocol ResponseStore: Sendable {
    /// Runs `body` in one transaction: everything it wrote is kept, or nothing if it throws.
    func write<T>(_ body: (any ResponseWriter) throws -> T) throws -> T
    /// Runs `body` against a consistent snapshot of the store.
    func read<T>(_ body: (any ResponseReader) throws -> T) throws -> T
    /// Brings the report digests of these months of a form up to date where the store can do so
    /// without waiting (a report calls this before reading).
    func refreshDigests(of form: Form, months: [String]) throws
}

extension ResponseStore {
    public func refreshDigests(of form: Form, months: [String]) throws {}
}

/// Queries that see one consistent state of the store.
public protocol ResponseReader {
    /// Whether a response with this identity is stored for the form.
    func contains(formId: String, key: String) throws -> Bool
    func count(_ filter: ResponseFilter) throws -> Int
    /// Whether any response matches (without counting them).
    func hasResponses(_ filter: ResponseFilter) throws -> Bool
    /// Visits responses in import order (form, then position of import).
    func forEach(_ filter: ResponseFilter, limit: Int?, _ body: (StoredResponse) throws -> Void) throws
    /// The months that hold responses of a form, oldest first, with their counts.
    func months(formId: String?) throws -> [(month: String, count: Int)]
    /// What the store keeps of every remote source it has fetched from, by name.
    func sourceStates() throws -> [SourceState]
    /// A month's tallies by department from the store's report digest, when it has one that is
    /// current for this layout's form; nil otherwise (the caller rescans the month).
    func digestTallies(of layout: ScoringLayout, month: String) throws -> [String: ScoreTally]?
    /// A month's report material from the store's digest, when current; nil otherwise.
    func digestMaterial(of form: Form, month: String) throws -> ReportMaterial?
}

extension ResponseReader {
    public func hasResponses(_ filter: ResponseFilter) throws -> Bool { try count(filter) > 0 }
    public func digestTallies(of layout: ScoringLayout, month: String) throws -> [String: ScoreTally]? { nil }
    public func digestMaterial(of form: Form, month: String) throws -> ReportMaterial? { nil }
}

/// Writes inside one transaction of the store.
public protocol ResponseWriter: ResponseReader {
    /// Records the start of an import and returns its id.
    func beginImport(formId: String, source: String, startedAt: String) throws -> Int64
    /// Stores a response unless one with the same identity exists; returns whether it was stored.
    func insert(_ response: Response, importId: Int64) throws -> Bool
    /// The same with the stored texts already encoded (see `EncodedResponse`).
    func insert(_ encoded: EncodedResponse, importId: Int64) throws -> Bool
    /// Records the outcome of an import.
    func finishImport(_ id: Int64, read: Int, accepted: Int, duplicates: Int, rejected: Int) throws
    /// Saves a source's state, replacing what was kept under its name.
    func saveSourceState(_ state: SourceState) throws
    /// Keeps the report digests of `form` current with the responses this transaction stores (for
    /// speed: reports then read sums instead of rescanning the month).
    func keepDigests(of form: Form)
}

extension ResponseWriter {
    public func keepDigests(of form: Form) {}
}

/// What the store keeps of a response, with its other texts and extra columns already encoded and
/// its identity hash worked out: a pipelined import makes these on its reading thread, leaving the
/// inserting thread less to do (for speed; the texts are those `insert(_: Response, …)` would
/// write). The answers are left to the inserting thread (see `answersSource`); the response it
/// is written from is freed with its batch on the reading thread, which made it: freeing another
/// thread's memory costs the inserting thread a lock (ImportPipeline.swift). An object, so that
/// handing it on retains it once rather than every text it holds.
public final class EncodedResponse: Sendable {
    public let formId: String
    public let formVersion: Int
    public let key: String
    /// `KeyHash.of(formId:key:)`.
    public let keyHash: Int64
    public let submittedAt: String?
    public let month: String?
    public let department: String?
    /// The answers JSON (a store before v9), or the response to write the answers from. The
    /// inserting thread writes them, and only for a response it stores (for speed: that thread had less to do than the reading one; the
    /// response is freed with its batch on the thread that made it, see ImportPipeline.swift).
    private let answersSource: AnswersSource

    private enum AnswersSource {
        case json([UInt8])
        case response(Response, AnswerKeys?)
    }

    /// Appends the answers as a block keeps them (see `BlockCodec`).
    func appendAnswers(ids: inout BlockCodec.AnswerIds, to out: inout [UInt8]) {
        switch answersSource {
        case .json(let bytes): Response.appendCompact(Response.decodeAnswers(String(decoding: bytes, as: UTF8.self)), ids: &ids, to: &out)
        case .response(let response, let keys): response.appendCompactAnswers(keys: keys, ids: &ids, to: &out)
        }
    }
    public let other: String?
    public let extra: String?
    public let source: String
    public let position: Int

    /// What the response adds to the report digests, when worked out ahead (for speed: see
    /// `Importer`); else the inserting thread works it out from `response`, if it keeps digests.
    let digest: DigestEntry?

    /// The response the answers are written from; nil for the stored texts of a migration.
    var response: Response? {
        if case .response(let response, _) = answersSource { return response }
        return nil
    }

    public convenience init(_ response: Response) {
        self.init(response, keys: nil)
    }

    /// With the form's answer keys, which spare sorting the answers, and the digest entry worked
    /// out on the calling thread (for speed: a pipelined import calls this on its reading thread).
    convenience init(_ response: Response, keys: AnswerKeys?, digests: DigestEntries? = nil) {
        self.init(response, keys: keys, digest: digests?.entry(response))
    }

    init(_ response: Response, keys: AnswerKeys?, digest: DigestEntry?) {
        formId = response.formId
        formVersion = response.formVersion
        key = response.key
        keyHash = KeyHash.of(formId: response.formId, key: response.key)
        submittedAt = response.submittedAt
        month = response.month
        department = response.department
        answersSource = .response(response, keys)
        other =
            response.otherText.isEmpty
            ? nil : SQLiteWriter.encodeStrings(response.otherText.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        extra = response.extra.isEmpty ? nil : SQLiteWriter.encodeStrings(response.extra)
        source = response.source
        position = response.position
        self.digest = digest
    }

    /// The stored texts as they are (the v6 migration moves rows with these).
    init(
        formId: String, formVersion: Int, key: String, keyHash: Int64, submittedAt: String?, month: String?, department: String?,
        answers: [UInt8], other: String?, extra: String?, source: String, position: Int
    ) {
        self.formId = formId
        self.formVersion = formVersion
        self.key = key
        self.keyHash = keyHash
        self.submittedAt = submittedAt
        self.month = month
        self.department = department
        answersSource = .json(answers)
        self.other = other
        self.extra = extra
        self.source = source
        self.position = position
        digest = nil
    }
}

/// What the store keeps of a remote source between fetches.
public struct SourceState: Sendable, Equatable {
    public var name: String
    public var formId: String
    /// A submission time, written as the server writes it: every submission up to it is stored. Nil
    /// before the first complete page.
    public var cursor: String?
    public var lastFetchAt: String?
    /// "ok", or what went wrong the last time (redacted, as every fetch error is).
    public var lastOutcome: String?
    /// Totals over every fetch: records received, stored as new, and rejected.
    public var received = 0
    public var stored = 0
    public var rejected = 0

    public init(name: String, formId: String) {
        self.name = name
        self.formId = formId
    }
}

/// A problem with the store: which store, what went wrong, what to do.
public struct StoreError: LocalizedError, Sendable, Equatable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var errorDescription: String? { message }
}
