import CSQLiteTuning
import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The embedded store: one SQLite file with a rollback journal, reached through GRDB.
///
/// A rollback journal rather than WAL, for speed (bench/README.md): an import writes each new page
/// once, where WAL writes it twice (to the WAL, then at the checkpoint) and looks up every page the
/// cache misses through the WAL's index, whose search grows with the import. The price: a command
/// that reads while an import writes waits for the import to commit (as a second writer always did)
/// instead of reading the store as it was before the import. docs/import.md says so.
public final class SQLiteStore: ResponseStore {
    public let path: String
    private let queue: DatabaseQueue

    /// How long a command waits for another that holds the store's write lock before giving up.
    public static let busyTimeout: TimeInterval = 60

    /// Opens (creating where needed) the store at `path` and brings its schema up to date.
    /// `onWait` is called when a write has waited a second for another command's write to end.
    public convenience init(path: String, onWait: (@Sendable () -> Void)? = nil) throws {
        try self.init(path: path, onWait: onWait, identitySizes: IdentitySizes())
    }

    /// The sizes of each write transaction's identity check; tests make them small.
    private let identitySizes: IdentitySizes
    /// How many bytes of report material a write transaction keeps before writing them (see
    /// DigestKeeper); tests make it small.
    private let digestPendingBytes: Int

    init(
        path: String, onWait: (@Sendable () -> Void)?, identitySizes: IdentitySizes, digestPendingBytes: Int = DigestKeeper.pendingLimit
    ) throws {
        _ = Self.tuned
        self.path = path
        self.identitySizes = identitySizes
        self.digestPendingBytes = digestPendingBytes
        var config = Configuration()
        // A second writer (another import) waits for the first instead of failing at once.
        config.busyMode = .callback { tries in Self.waitWhileBusy(tries: tries, onWait: onWait) }
        config.label = "feedback"
        do {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            // The store holds contact answers unmasked: a new one is readable by its owner only (SQLite
            // gives its -journal file the same mode). O_EXCL leaves a store another command has just
            // made as it is.
            Self.createPrivately(path)
            queue = try Self.openWaiting(path: path, configuration: config)
            // Set after the store is open, so that the busy wait covers opening. synchronous=FULL syncs
            // the journal before the store is written, so that a commit is atomic even across a power
            // cut; an import has one commit, so its few syncs cost nothing worth saving. A 16 MiB
            // page cache holds the B-tree pages an import reads (its identity searches, its months'
            // digests); 32 MiB was no faster at 1M rows, and the other 16 go to the import's queue
            // (see `Importer`), within the memory bar at 10M rows (bench/README.md, thirtieth round).
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL; PRAGMA cache_size = -16384") }
        } catch let error as DatabaseError {
            throw StoreError(
                "cannot open the store \(path): \(error.message ?? "\(error.resultCode)") (is it a feedback store? pass --store to choose another)"
            )
        } catch {
            throw StoreError("cannot open the store \(path): \(error.localizedDescription)")
        }
    }

    /// SQLite tuned once per process, before its first connection (for speed: without memory
    /// statistics, SQLite's allocations take no global mutex; see CSQLiteTuning). Where SQLite was
    /// already in use the call is refused and changes nothing, which is harmless.
    private static let tuned: Int32 = feedback_sqlite_tune()

    /// Creates an empty file with mode 0600 unless one exists (an empty file is an empty SQLite database).
    private static func createPrivately(_ path: String) {
        #if canImport(Glibc)
        let fd = Glibc.open(path, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        #else
        let fd = Darwin.open(path, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        #endif
        if fd >= 0 { close(fd) }
    }

    /// SQLite's busy handler: sleeps a little longer on each try (1 ms up to 100 ms), says once per wait
    /// when a second has passed, and gives up after `busyTimeout`. The time waited is worked out from the
    /// number of tries, so the handler keeps no state.
    static func waitWhileBusy(tries: Int, onWait: (@Sendable () -> Void)?) -> Bool {
        func pause(_ n: Int) -> Int { min(100, 1 << min(n, 7)) }  // milliseconds: 1, 2, 4, … 64, 100, 100, …
        func waited(_ n: Int) -> Int { n <= 7 ? (1 << n) - 1 : 127 + (n - 7) * 100 }  // the sum of pause(0..<n)
        let before = waited(tries)
        if before >= Int(busyTimeout * 1000) { return false }
        if before < 1000 && before + pause(tries) >= 1000 { onWait?() }
        usleep(UInt32(pause(tries) * 1000))
        return true
    }

    /// Opens the store and migrates it. Two commands creating the same new store at once race for the
    /// first migration, which both may start ("table already exists" for the second); a store made by
    /// an earlier version is in WAL mode, and leaving it answers "locked" at once while another command
    /// has the store open, rather than through the busy wait. The loser tries again: busy for as long as
    /// a busy writer would be waited for, other errors twice more (a store that is really broken fails
    /// the same way each time).
    private static func openWaiting(path: String, configuration: Configuration) throws -> DatabaseQueue {
        let deadline = Date().addingTimeInterval(busyTimeout)
        var otherFailures = 0
        while true {
            do {
                let queue = try DatabaseQueue(path: path, configuration: configuration)
                // journal_mode answers the mode it is in: "wal" while another command keeps the store in WAL.
                let mode = try queue.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE") }
                if mode?.lowercased() != "delete" {
                    throw DatabaseError(resultCode: .SQLITE_BUSY, message: "the store is in \(mode ?? "another") journal mode")
                }
                // For a new store only (an existing one keeps the size it was made with): 16 KiB pages
                // rather than 4 KiB (for speed: an import writes a quarter as many pages, and the kernel's
                // work per page written was most of its cost; docs/import.md has the figures).
                try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA page_size = 16384") }
                // A newer build's format would be misread (its blocks taken for damaged ones, say).
                if try queue.read({ try migrator.hasBeenSuperseded($0) }) {
                    throw StoreError(
                        "it was written by a newer version of feedback, whose format this one cannot read; use that version or a later one")
                }
                try migrator.migrate(queue)
                return queue
            } catch let error as DatabaseError {
                let busy = error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
                if busy ? Date() > deadline : otherFailures >= 2 { throw error }
                if !busy { otherFailures += 1 }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: responses and imports") { db in
            try db.execute(
                sql: """
                    CREATE TABLE import (
                        id INTEGER PRIMARY KEY,
                        form_id TEXT NOT NULL,
                        source TEXT NOT NULL,
                        started_at TEXT NOT NULL,
                        read INTEGER,
                        accepted INTEGER,
                        duplicates INTEGER,
                        rejected INTEGER
                    );
                    CREATE TABLE response (
                        id INTEGER PRIMARY KEY,
                        form_id TEXT NOT NULL,
                        form_version INTEGER NOT NULL,
                        response_key TEXT NOT NULL,
                        submitted_at TEXT,
                        month TEXT,
                        department TEXT,
                        answers TEXT NOT NULL,
                        other TEXT,
                        extra TEXT,
                        source TEXT NOT NULL,
                        position INTEGER NOT NULL,
                        import_id INTEGER NOT NULL REFERENCES import(id)
                    );
                    CREATE UNIQUE INDEX response_identity ON response(form_id, response_key);
                    CREATE INDEX response_month ON response(form_id, month, department);
                    """)
        }
        migrator.registerMigration("v2: source cursors") { db in
            try db.execute(
                sql: """
                    CREATE TABLE source_state (
                        name TEXT PRIMARY KEY,
                        form_id TEXT NOT NULL,
                        cursor TEXT,
                        last_fetch_at TEXT,
                        last_outcome TEXT,
                        received INTEGER NOT NULL DEFAULT 0,
                        stored INTEGER NOT NULL DEFAULT 0,
                        rejected INTEGER NOT NULL DEFAULT 0
                    );
                    """)
        }
        migrator.registerMigration("v3: identity hash and report digests") { db in
            // The identity becomes a 64-bit hash with a plain index (see KeyHash); existing rows get theirs here.
            db.add(
                function: DatabaseFunction("feedback_key_hash", argumentCount: 2, pure: true) { values in
                    guard let formId = String.fromDatabaseValue(values[0]), let key = String.fromDatabaseValue(values[1]) else {
                        return nil
                    }
                    return KeyHash.of(formId: formId, key: key)
                })
            try db.execute(
                sql: """
                    ALTER TABLE response ADD COLUMN key_hash INTEGER NOT NULL DEFAULT 0;
                    UPDATE response SET key_hash = feedback_key_hash(form_id, response_key);
                    DROP INDEX response_identity;
                    CREATE INDEX response_key_hash ON response(key_hash);
                    """)
            try ReportDigest.createTables(db)
        }
        migrator.registerMigration("v4: comment digests in the order they were stored") { db in
            // The digests are sums of the responses: emptied, every month is rebuilt by the next
            // import into it or the next report of it (see ReportDigest.swift).
            try db.execute(sql: "DROP TABLE digest_comment; DELETE FROM digest_tally; DELETE FROM digest_bad_review")
            try ReportDigest.createCommentTable(db)
        }
        migrator.registerMigration("v5: identity hashes in runs") { db in
            try IdentityRuns.migrateToRuns(db)
        }
        migrator.registerMigration("v6: responses in blocks") { db in
            try ResponseBlocks.migrate(db)
        }
        migrator.registerMigration("v7: identity runs in chunks") { db in
            try IdentityRuns.migrateToChunks(db)
        }
        migrator.registerMigration("v8: report material in blocks") { db in
            try ReportDigest.createItemTable(db)
        }
        // Nothing to change: blocks say which form their answers are in (see BlockCodec), so those
        // written before stay as they are. Recorded all the same: from this version on, a build
        // refuses a store with a migration it does not know (openWaiting), and a build of v8 or
        // before, which would take the new blocks for damaged ones, is told so by the docs.
        migrator.registerMigration("v9: answers in compact form") { _ in }
        // Nothing to change either: a block's marker says which encoding its responses are in.
        migrator.registerMigration("v10: keys, times, months and digit texts in short form") { _ in }
        return migrator
    }

    public func write<T>(_ body: (any ResponseWriter) throws -> T) throws -> T {
        try translatingErrors {
            try queue.write { db in
                let writer = SQLiteWriter(db: db, digests: DigestKeeper(pendingLimit: digestPendingBytes), identitySizes: identitySizes)
                let result = try body(writer)
                try writer.finish()
                return result
            }
        }
    }

    /// Rebuilds the report digests of a form's months that are stale (see ReportDigest.swift), when
    /// the store can be written at once: a report does not wait for an import, nor fail on a store
    /// it may only read; it rescans such months instead.
    public func refreshDigests(of form: Form, months: [String]) throws {
        let layout = ScoringLayout(form: form)
        let fingerprint = ReportDigest.fingerprint(form)
        let stale = try translatingErrors {
            try queue.read { db in
                try months.filter { try ReportDigest.currentTallies(db, layout: layout, fingerprint: fingerprint, month: $0) == nil }
            }
        }
        guard !stale.isEmpty else { return }
        try translatingErrors {
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA busy_timeout = 0")
                defer { try? db.execute(sql: "PRAGMA busy_timeout = 60000") }
                try db.inTransaction(.immediate) {
                    let keeper = DigestKeeper()
                    keeper.track(form)
                    for month in stale { try keeper.prepare(formId: form.id, month: month, db: db) }
                    try keeper.finish(db)
                    return .commit
                }
            }
        }
    }

    public func read<T>(_ body: (any ResponseReader) throws -> T) throws -> T {
        try translatingErrors {
            try queue.read { db in try body(SQLiteWriter(db: db, readOnly: true)) }
        }
    }

    /// Runs a query on the raw database: for checks such as PRAGMA integrity_check.
    public func execute<T>(_ body: (Database) throws -> T) throws -> T {
        try queue.read(body)
    }

    private func translatingErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            if error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                throw StoreError(
                    "the store \(path) stayed busy for \(Int(Self.busyTimeout)) s: another feedback command is writing to it; try again when it ends"
                )
            }
            throw StoreError("the store \(path): \(error.message ?? "\(error.resultCode)")")
        }
    }
}

/// Reads and writes on one GRDB connection, inside whatever transaction it is in.
struct SQLiteWriter: LeanResponseWriter {
    let db: Database
    /// In a write transaction: the report digests kept current with what it stores.
    let digests: DigestKeeper?
    /// `digests`, unretained, for the lean path's inserts (for speed: binding `digests` retained
    /// and released it a few times a response).
    private let keeper: Unmanaged<DigestKeeper>?
    /// The identity check and the insert, run once per record.
    private let statements: RecordStatements
    /// In a read transaction: the digests already looked up, by form, definition and month. What a
    /// read transaction sees does not change while it lasts, so a report counts a month's
    /// responses (to check its digest) once, not once per look at the month.
    private let readDigests: DigestMemo?

    final class DigestMemo {
        var tallies: [String: [String: ScoreTally]?] = [:]
    }

    init(db: Database, digests: DigestKeeper? = nil, identitySizes: IdentitySizes = IdentitySizes(), readOnly: Bool = false) {
        self.db = db
        self.digests = digests
        keeper = digests.map { Unmanaged.passUnretained($0) }
        statements = RecordStatements(db, sizes: identitySizes)
        readDigests = readOnly ? DigestMemo() : nil
    }

    /// The responses' blocks, the identity runs, and the identity filter of the transaction's inserts.
    final class RecordStatements {
        private let db: Database
        let blocks: ResponseBlocks
        let identity: IdentityRuns
        /// The stored identity hashes, once loaded (see `mayBeStored`).
        private var filter: IdentityFilter?
        /// How many responses the store held when first asked.
        private var storedRows: Int64?
        private var checked: Int64 = 0
        /// The filter's room for hashes beyond those stored when it is loaded.
        private let identityCapacity: Int

        init(_ db: Database, sizes: IdentitySizes) {
            self.db = db
            identityCapacity = sizes.filterCapacity
            blocks = ResponseBlocks(db)
            identity = IdentityRuns(db, sizes: sizes, blocks: blocks)
        }

        /// False when no stored row carries this identity hash: then the runs need not be searched.
        /// The filter of stored hashes is loaded (one scan of the runs) once this transaction has
        /// checked a 128th as many records as the store holds: an import of a few records into a
        /// large store searches the runs instead, which costs it less than the scan. (Measured at a
        /// million: the scan reads a hash in about 45 ns, a search takes 5–10 µs; so the searches
        /// before the load cost about what the load does.)
        func mayBeStored(_ hash: Int64) throws -> Bool {
            checked += 1
            if filter == nil {
                if storedRows == nil {
                    storedRows = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(responses), 0) FROM response_block") ?? 0
                }
                let stored = storedRows ?? 0
                if checked * 128 >= stored { try loadFilter(capacity: Int(stored) + max(Int(stored) / 2, identityCapacity)) }
            }
            return filter?.mayContain(hash) ?? true
        }

        /// What `warm` read, kept so that its reads are made.
        private var warmth: UInt64 = 0

        /// Reads the filter's words of these hashes, so that checking and then storing each finds
        /// its word in the cache: read in a row, the reads of memory overlap, where each check made
        /// as it comes waits for its own (for speed: those waits were about 4% of an import's time,
        /// on the storing thread; bench/README.md, twenty-third round).
        func warm(_ hashes: some Sequence<Int64>) {
            if let filter { warmth |= filter.touch(hashes) }
        }

        /// Called after a row with this hash is inserted in this transaction, with its row id.
        func stored(_ hash: Int64, id: Int64) throws {
            try identity.add(hash: hash, id: id)
            // Read through `self.filter` only: a copy held while inserting would copy its words each time.
            guard let count = filter?.count, let capacity = filter?.capacity else { return }
            if count < capacity {
                filter?.insert(hash)
            } else {
                // Full: a larger one from the runs, which hold the row just inserted. Half as large
                // again rather than twice, for memory (15 MB at 10 million rows).
                try loadFilter(capacity: capacity + capacity / 2)
            }
        }

        private func loadFilter(capacity: Int) throws {
            // The old filter goes first, so that the two are never held at once (peak memory).
            filter = nil
            var loaded = IdentityFilter(capacity: capacity)
            try identity.forEachHash { loaded.insert($0) }
            filter = loaded
        }
    }

    /// Ends the write transaction's work: the identity runs and the report digests.
    func finish() throws {
        try statements.blocks.flush()
        try statements.identity.finish()
        try digests?.finish(db)
    }

    func keepDigests(of form: Form) {
        digests?.track(form)
    }

    func digestTallies(of layout: ScoringLayout, month: String) throws -> [String: ScoreTally]? {
        try statements.blocks.flush()
        let fingerprint = ReportDigest.fingerprint(layout.form)
        guard let readDigests else {
            return try ReportDigest.currentTallies(db, layout: layout, fingerprint: fingerprint, month: month)
        }
        let key = [layout.form.id, fingerprint, month].joined(separator: "\u{1F}")
        if let known = readDigests.tallies[key] { return known }
        let tallies = try ReportDigest.currentTallies(db, layout: layout, fingerprint: fingerprint, month: month)
        readDigests.tallies[key] = tallies
        return tallies
    }

    func digestMaterial(of form: Form, month: String) throws -> ReportMaterial? {
        guard try digestTallies(of: ScoringLayout(form: form), month: month) != nil else { return nil }
        return try ReportDigest.material(db, form: form, month: month)
    }

    /// The responses of a form's month with their ids, in the order they were stored.
    func forEachWithId(formId: String, month: String, _ body: (Int64, Response) throws -> Void) throws {
        try forEachMatching(ResponseFilter(formId: formId, month: month)) { id, _, formId, record in
            try body(id, record.response(formId: formId))
            return true
        }
    }

    func contains(formId: String, key: String) throws -> Bool {
        try contains(formId: formId, key: key, hash: KeyHash.of(formId: formId, key: key))
    }

    private func contains(formId: String, key: String, hash: Int64) throws -> Bool {
        try statements.identity.contains(hash: hash, formId: formId, key: key)
    }

    /// The conditions on `block_month` (as `m`) for a filter's form and month.
    private func monthClause(_ filter: ResponseFilter) -> (String, [String]) {
        var conditions: [String] = []
        var arguments: [String] = []
        if let formId = filter.formId {
            conditions.append("m.form_id = ?")
            arguments.append(formId)
        }
        if let month = filter.month {
            conditions.append("m.month = ?")
            arguments.append(month)
        }
        return (conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "), arguments)
    }

    func count(_ filter: ResponseFilter) throws -> Int {
        guard filter.department == nil else {
            // Departments are inside the blocks: counted by reading them.
            var count = 0
            try forEachMatching(filter) { _, _, _, _ in
                count += 1
                return true
            }
            return count
        }
        try statements.blocks.flush()
        let (clause, arguments) = monthClause(filter)
        return try Int.fetchOne(
            db, sql: "SELECT COALESCE(SUM(m.responses), 0) FROM block_month m \(clause)", arguments: StatementArguments(arguments)) ?? 0
    }

    func hasResponses(_ filter: ResponseFilter) throws -> Bool {
        guard filter.department == nil else {
            var found = false
            try forEachMatching(filter) { _, _, _, _ in
                found = true
                return false
            }
            return found
        }
        try statements.blocks.flush()
        let (clause, arguments) = monthClause(filter)
        return try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM block_month m \(clause))", arguments: StatementArguments(arguments))
            ?? false
    }

    func forEach(_ filter: ResponseFilter, limit: Int?, _ body: (StoredResponse) throws -> Void) throws {
        if let limit, limit <= 0 { return }
        var importedAt: [Int64: String] = [:]
        var visited = 0
        try forEachMatching(filter) { _, importId, formId, record in
            if importedAt[importId] == nil {
                importedAt[importId] =
                    try String.fetchOne(db, sql: "SELECT started_at FROM import WHERE id = ?", arguments: [importId]) ?? ""
            }
            try body(StoredResponse(response: record.response(formId: formId), importedAt: importedAt[importId] ?? ""))
            visited += 1
            return limit.map { visited < $0 } ?? true
        }
    }

    /// The stored responses that match a filter, as decoded from their blocks, in the order they were
    /// stored (see `ResponseBlocks.forEachRecord`): the blocks of the filter's month where it has one.
    private func forEachMatching(
        _ filter: ResponseFilter, _ body: (_ id: Int64, _ importId: Int64, _ formId: String, _ record: BlockCodec.Record) throws -> Bool
    ) throws {
        let sql: String
        let arguments: [DirectStatement.Value]
        if filter.month != nil {
            let (clause, monthArguments) = monthClause(filter)
            sql = """
                SELECT b.id, b.form_id, b.import_id, b.data FROM block_month m JOIN response_block b ON b.id = m.block \(clause)
                ORDER BY m.block
                """
            arguments = monthArguments.map { .text($0) }
        } else if let formId = filter.formId {
            sql = "SELECT id, form_id, import_id, data FROM response_block WHERE form_id = ? ORDER BY id"
            arguments = [.text(formId)]
        } else {
            sql = "SELECT id, form_id, import_id, data FROM response_block ORDER BY id"
            arguments = []
        }
        try statements.blocks.forEachRecord(sql: sql, arguments: arguments) { id, importId, formId, record in
            if let month = filter.month, record.month != month { return true }
            if let department = filter.department, record.department != department { return true }
            return try body(id, importId, formId, record)
        }
    }

    func months(formId: String?) throws -> [(month: String, count: Int)] {
        try statements.blocks.flush()
        let (clause, arguments) = monthClause(ResponseFilter(formId: formId))
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT m.month, SUM(m.responses) FROM block_month m \(clause.isEmpty ? "WHERE" : clause + " AND") m.month <> ''
                GROUP BY m.month ORDER BY m.month
                """,
            arguments: StatementArguments(arguments))
        return rows.map { (month: $0[0], count: $0[1]) }
    }

    func beginImport(formId: String, source: String, startedAt: String) throws -> Int64 {
        try db.execute(sql: "INSERT INTO import (form_id, source, started_at) VALUES (?, ?, ?)", arguments: [formId, source, startedAt])
        return db.lastInsertedRowID
    }

    func insert(_ response: Response, importId: Int64) throws -> Bool {
        try insert(EncodedResponse(response, keys: nil, digest: nil), importId: importId)
    }

    func insert(_ encoded: EncodedResponse, importId: Int64) throws -> Bool {
        // The identity: rows sharing the key's hash are compared by their texts (the write
        // transaction serializes imports, so no other writer comes between the check and the insert).
        if try statements.mayBeStored(encoded.keyHash), try contains(formId: encoded.formId, key: encoded.key, hash: encoded.keyHash) {
            return false
        }
        let prepared = try encoded.month.flatMap { month in try digests?.prepare(formId: encoded.formId, month: month, db: db) }
        let id = try statements.blocks.add(encoded, importId: importId)
        try statements.stored(encoded.keyHash, id: id)
        // The entry worked out ahead, or else now (only for a response that is stored).
        if let digests, let prepared, let entry = encoded.digest ?? encoded.response.flatMap(digests.entry) {
            try entry.material.withUnsafeBytes { material in
                try withUnsafePointer(to: entry.values) { values in
                    try digests.inserted(into: prepared, department: encoded.department, id: id, db: db, values: values, material: material)
                }
            }
        }
        return true
    }

    func warm(_ batch: UnsafeBufferPointer<LeanResponse>) {
        statements.warm(batch.lazy.map(\.keyHash))
    }

    func insert(
        _ lean: UnsafePointer<LeanResponse>, record: UnsafeRawBufferPointer, material: UnsafeRawBufferPointer, formId: String,
        keys: AnswerKeys, source: String, importId: Int64
    ) throws -> Bool {
        // As `insert(_: EncodedResponse, …)` does; the key, needed only where the hash is met
        // before, is read from the record.
        if try statements.mayBeStored(lean.pointee.keyHash),
            try contains(formId: formId, key: BlockCodec.key(in: record, at: 0) ?? "", hash: lean.pointee.keyHash)
        {
            return false
        }
        var prepared: DigestKeeper.Prepared?
        if let keeper, let month = lean.pointee.month {
            prepared = try keeper._withUnsafeGuaranteedRef { try $0.prepare(formId: formId, month: month, db: db) }
        }
        let id = try statements.blocks.add(formId: formId, keys: keys, month: lean.pointee.month, importId: importId) {
            $0.append(record: record, source: source, position: lean.pointee.position)
        }
        try statements.stored(lean.pointee.keyHash, id: id)
        if let keeper, let prepared {
            try keeper._withUnsafeGuaranteedRef { digests in
                // Read where it lies when worked out ahead (for speed, as `ResponseBatch` says).
                if let values = LeanResponse.digest(of: lean) {
                    try digests.inserted(
                        into: prepared, department: lean.pointee.department, id: id, db: db, values: values, material: material)
                } else {
                    try digests.insertedRecord(record, into: prepared, keys: keys, department: lean.pointee.department, id: id, db: db)
                }
            }
        }
        return true
    }

    func finishImport(_ id: Int64, read: Int, accepted: Int, duplicates: Int, rejected: Int) throws {
        try statements.blocks.flush()
        try db.execute(
            sql: "UPDATE import SET read = ?, accepted = ?, duplicates = ?, rejected = ? WHERE id = ?",
            arguments: [read, accepted, duplicates, rejected, id])
    }

    func sourceStates() throws -> [SourceState] {
        try Row.fetchAll(
            db, sql: "SELECT name, form_id, cursor, last_fetch_at, last_outcome, received, stored, rejected FROM source_state ORDER BY name"
        ).map { row in
            var state = SourceState(name: row[0], formId: row[1])
            state.cursor = row[2]
            state.lastFetchAt = row[3]
            state.lastOutcome = row[4]
            state.received = row[5]
            state.stored = row[6]
            state.rejected = row[7]
            return state
        }
    }

    func saveSourceState(_ state: SourceState) throws {
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO source_state (name, form_id, cursor, last_fetch_at, last_outcome, received, stored, rejected)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                state.name, state.formId, state.cursor, state.lastFetchAt, state.lastOutcome, state.received, state.stored, state.rejected,
            ])
    }

    static func encodeStrings(_ pairs: [(String, String)]) -> String {
        JSONValue.object(pairs.map { ($0.0, .string($0.1)) }).serialized()
    }

    static func decodeStrings(_ text: String?) -> [(String, String)] {
        guard let text, let node = try? JSONParser.parse(text), let members = node.members else { return [] }
        return members.compactMap { m in m.value.stringValue.map { (m.key, $0) } }
    }
}
