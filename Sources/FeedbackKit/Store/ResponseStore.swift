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

/// A writer that stores what the lean path of an import encodes (see LeanRecord.swift).
protocol LeanResponseWriter: ResponseWriter {
    /// `insert` for a response the lean path encoded (see `LeanResponse`): its fields up to its
    /// source (`BlockCodec.record`), with answers numbered by `keys`, the form's answer keys, and the
    /// file or source it came from. The response is given where it lies (for speed: passed as a
    /// value, it was copied, as the caller reads it from memory the call might change).
    /// Called with a batch's lean responses before they are inserted one by one: the store may
    /// read ahead what inserting them reads (see `SQLiteWriter.warm`).
    func warm(_ batch: UnsafeBufferPointer<LeanResponse>)

    /// `material`: the material of its digest entry (see `DigestItems.appendMaterial`), where
    /// `lean.hasDigest`: `lean.digest` holds the entry's values.
    func insert(
        _ lean: UnsafePointer<LeanResponse>, record: UnsafeRawBufferPointer, material: UnsafeRawBufferPointer, formId: String,
        keys: AnswerKeys, source: String, importId: Int64
    )
        throws -> Bool
}

/// What the store keeps of a response, already encoded as a block keeps it, with its identity hash
/// worked out: a pipelined import makes these on its reading thread, leaving the inserting thread
/// to copy the bytes into a block (for speed: encoding there, that thread took a reference to every
/// text of the response, and each such count kept in step between the two cores cost more than the
/// encoding). An object, so that handing it on retains it once rather than every text it holds.
public final class EncodedResponse: Sendable {
    public let formId: String
    public let key: String
    /// `KeyHash.of(formId:key:)`.
    public let keyHash: Int64
    public let month: String?
    public let department: String?
    public let source: String
    public let position: Int
    /// The response's fields as a block keeps them, up to its source (see `BlockCodec.record`),
    /// which with its position depends on the responses before it in the block.
    let record: [UInt8]
    /// The form's sorted question ids that `record` numbers its answers by; nil: each names its id.
    let keys: AnswerKeys?
    /// `keys` as an identity, for the storing thread to compare without retaining the object.
    let keysIdentity: ObjectIdentifier?
    /// What the response adds to the report digests, when worked out ahead (for speed: see
    /// `Importer`); else the inserting thread works it out from `response`, if it keeps digests.
    let digest: DigestEntry?
    /// The response, for its digest entry; nil where that is worked out already, and for the stored
    /// texts of a migration.
    let response: Response?

    public convenience init(_ response: Response) {
        self.init(response, keys: nil, digest: nil)
    }

    /// With the form's answer keys, which number the answers, and the digest entry worked out on
    /// the calling thread (for speed: a pipelined import calls this on its reading thread).
    /// `scratch` is where the record is encoded (see ScratchBytes): the caller's own, reused.
    convenience init(_ response: Response, keys: AnswerKeys?, digests: DigestEntries? = nil, scratch: ScratchBytes) {
        self.init(response, keys: keys, digest: digests?.entry(response), scratch: scratch)
    }

    init(_ response: Response, keys: AnswerKeys?, digest: DigestEntry?, scratch: ScratchBytes = ScratchBytes()) {
        formId = response.formId
        key = response.key
        keyHash = KeyHash.of(formId: response.formId, key: response.key)
        month = response.month
        department = response.department
        source = response.source
        position = response.position
        let other = response.otherText.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        record = BlockCodec.record(
            formVersion: response.formVersion, key: response.key, submittedAt: response.submittedAt, month: response.month,
            department: response.department, other: other.isEmpty ? nil : SQLiteWriter.encodeStrings(other),
            extra: response.extra.isEmpty ? nil : SQLiteWriter.encodeStrings(response.extra), scratch: scratch
        ) { response.appendCompactAnswers(keys: keys, to: &$0) }
        self.keys = keys
        keysIdentity = keys.map(ObjectIdentifier.init)
        self.digest = digest
        // Kept only for its digest entry (for speed: a response let go here is freed on the thread
        // that made it, while its memory is at hand).
        self.response = digest == nil ? response : nil
    }

    /// The stored texts as they are, with the answers JSON (the v6 migration moves rows with these).
    init(
        formId: String, formVersion: Int, key: String, keyHash: Int64, submittedAt: String?, month: String?, department: String?,
        answers: [UInt8], other: String?, extra: String?, source: String, position: Int
    ) {
        self.formId = formId
        self.key = key
        self.keyHash = keyHash
        self.month = month
        self.department = department
        self.source = source
        self.position = position
        record = BlockCodec.record(
            formVersion: formVersion, key: key, submittedAt: submittedAt, month: month, department: department, other: other,
            extra: extra
        ) { Response.appendCompact(Response.decodeAnswers(String(decoding: answers, as: UTF8.self)), keys: nil, to: &$0) }
        keys = nil
        keysIdentity = nil
        digest = nil
        response = nil
    }
}

/// What the store needs of a response that the lean path of an import encoded, besides its
/// record's bytes, which lie in its batch (see LeanRecord.swift). A value with no object of its own
/// (for speed: an `EncodedResponse` is three allocations a response, and its references counted on
/// both threads).
struct LeanResponse {
    /// `KeyHash.of(formId:key:)`.
    var keyHash: Int64
    /// Where the record lies in its batch's bytes.
    var record: Range<Int>
    var month: String?
    var department: String?
    var position: Int
    /// The scoring values of what the response adds to the report digests, when worked out ahead
    /// (`hasDigest`); else the storing thread reads it all from the record (see `Importer`). Not an
    /// optional, so that the storing thread reads them where they lie (see `digest(of:)`).
    var digest: ScoringValues
    var hasDigest: Bool
    /// Where the rest of it, its material (see `DigestItems.appendMaterial`), lies in its batch's
    /// bytes; empty where it is not worked out ahead.
    var material: Range<Int>

    /// The scoring values worked out ahead, where they lie; nil where they were not. Through a
    /// pointer, for speed: passed on as a value read from memory that the callee might change, they
    /// were copied first, case by case through their witnesses, for each response.
    static func digest(of lean: UnsafePointer<LeanResponse>) -> UnsafePointer<ScoringValues>? {
        guard lean.pointee.hasDigest else { return nil }
        return UnsafeRawPointer(lean).advanced(by: digestOffset).assumingMemoryBound(to: ScoringValues.self)
    }

    private static let digestOffset = MemoryLayout<LeanResponse>.offset(of: \.digest).unsafelyUnwrapped
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
