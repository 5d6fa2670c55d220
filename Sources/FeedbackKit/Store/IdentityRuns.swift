import GRDB

/// The sizes of a write transaction's identity check. Tests make them small, to see the filter
/// grow and merges cross the ends of their blocks.
struct IdentitySizes: Sendable {
    /// The identity filter's room for hashes beyond those stored when it is loaded (see
    /// `SQLiteWriter.RecordStatements.mayBeStored`): a million hashes, 1 MiB.
    var filterCapacity = 1 << 20
    /// How many hashes of the runs being merged a merge reads at a time, in all.
    var mergeBlock = 1 << 16
    /// How many hashes a transaction keeps in memory before adding them, in order, to its run:
    /// 65,536, about 3 MiB at the most.
    var chunk = 1 << 16
}

/// The store's identity index (store format v5): the identity hash (KeyHash) of every stored
/// response with its row id, in runs. Each write transaction that stores responses adds their
/// hashes to a run of its own, so that an import into a large store writes new pages only.
/// Before v5 the hashes were one index ordered by hash: an import's hashes landed all over it, and
/// every page they touched was also copied to the rollback journal, so that importing 100k
/// responses into a store of a million took 1.4–1.5× as long as into an empty one (bench/README.md).
///
/// A search seeks once in each run. After a transaction, the newest two runs are merged (in hash
/// order, into a run of their own) while the newer holds at least half as many hashes as the older.
/// So each run holds over twice as many as the next newer one, a store of n responses has at most
/// about log2(n) runs, and a hash is copied by merges a few times over its life. The one large
/// import that fills a store is one run; the next smaller imports add runs beside it.
///
/// Within a transaction, hashes are kept in memory (`IdentitySizes.chunk` at a time) and added to
/// its run in hash order, so that each batch walks the run's B-tree once from start to end: added
/// one by one in the order they came, they landed all over it, which cost a 1M import 2–3 s of its
/// 11–13 s (bench/README.md). Batches of 131,072 sorted hashes took 0.79 s for a million where one
/// at a time took 1.15 s, with SQLite alone; inside an import, where the response table and the
/// month index compete for the page cache, the difference is larger. Batches are 65,536 here, for
/// the memory bar at 10M rows.
final class IdentityRuns {
    private let db: Database
    private let sizes: IdentitySizes
    /// Hashes stored in this transaction and not yet written to a run, with their row ids (a hash
    /// met twice with different identities keeps its second entry in `pendingAgain`).
    private var pending: [Int64: Int64] = [:]
    private var pendingAgain: [Entry] = []
    /// This transaction's run, once it has stored a response, and how many hashes it added.
    private var run: Int64?
    private var added: Int64 = 0
    private var containsStatement: DirectStatement?
    /// Where the responses are, to compare the texts of those whose hash matches.
    private let blocks: ResponseBlocks
    private var insertStatement: DirectStatement?

    init(_ db: Database, sizes: IdentitySizes, blocks: ResponseBlocks) {
        self.db = db
        self.blocks = blocks
        var sizes = sizes
        sizes.mergeBlock = max(sizes.mergeBlock, 1)
        sizes.chunk = max(sizes.chunk, 1)
        self.sizes = sizes
    }

    /// The v5 migration: the runs' tables, with every stored response in one run, in place of the
    /// v3 index on `response.key_hash`. The column stays: the hashes can be read back from the rows.
    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE identity (
                    run INTEGER NOT NULL,
                    hash INTEGER NOT NULL,
                    id INTEGER NOT NULL,
                    PRIMARY KEY (run, hash, id)
                ) WITHOUT ROWID;
                CREATE TABLE identity_run (
                    run INTEGER PRIMARY KEY,
                    entries INTEGER NOT NULL
                );
                INSERT INTO identity (run, hash, id) SELECT 1, key_hash, id FROM response ORDER BY key_hash, id;
                INSERT INTO identity_run (run, entries) SELECT 1, COUNT(*) FROM identity HAVING COUNT(*) > 0;
                DROP INDEX response_key_hash;
                """)
    }

    /// Whether a response of the form with this identity is stored. Responses that share the hash
    /// are compared by their texts, so that two identities with one hash are both stored.
    func contains(hash: Int64, formId: String, key: String) throws -> Bool {
        for id in pendingIds(hash) where try blocks.isResponse(id, formId: formId, key: key) { return true }
        var found = false
        try DirectStatement.reused(&containsStatement, db, sql: Self.containsSQL).forEachRow(.int(hash)) { row in
            if !found, try blocks.isResponse(row.int(0), formId: formId, key: key) { found = true }
        }
        return found
    }

    /// The ids stored under a hash: one seek into each run.
    static let containsSQL = "SELECT i.id FROM identity i WHERE i.run IN (SELECT run FROM identity_run) AND i.hash = ?"

    /// The ids of this transaction's hashes not yet in a run that equal `hash`.
    private func pendingIds(_ hash: Int64) -> [Int64] {
        guard let id = pending[hash] else { return [] }
        return [id] + pendingAgain.lazy.filter { $0.hash == hash }.map(\.id)
    }

    /// Called for each response stored, with its row id.
    func add(hash: Int64, id: Int64) throws {
        if pending.isEmpty { pending.reserveCapacity(sizes.chunk) }
        // One lookup for the common case, a hash not met before in this batch.
        if let first = pending.updateValue(id, forKey: hash) {
            pending[hash] = first
            pendingAgain.append(Entry(hash: hash, id: id))
        }
        if pending.count + pendingAgain.count >= sizes.chunk { try writePending() }
    }

    /// Calls `body` with every stored hash, this transaction's included.
    func forEachHash(_ body: (Int64) -> Void) throws {
        try DirectStatement(db, sql: "SELECT hash FROM identity").forEachRow { body($0.int(0)) }
        for hash in pending.keys { body(hash) }
        for entry in pendingAgain { body(entry.hash) }
    }

    /// Adds the hashes kept in memory to this transaction's run, in order.
    private func writePending() throws {
        guard !pending.isEmpty else { return }
        var entries: [Entry] = []
        entries.reserveCapacity(pending.count + pendingAgain.count)
        for (hash, id) in pending { entries.append(Entry(hash: hash, id: id)) }
        entries += pendingAgain
        // Freed before sorting, which takes memory of its own (peak memory at 10M rows).
        pending = [:]
        pendingAgain = []
        entries.sort()
        let run = try self.run ?? begin()
        let append = try insert()
        for entry in entries { try append.execute(.int(run), .int(entry.hash), .int(entry.id)) }
        added += Int64(entries.count)
    }

    /// At the end of the write transaction: adds what is left in memory, records the size of its
    /// run and merges runs (see above).
    func finish() throws {
        try writePending()
        guard let run else { return }
        try db.execute(sql: "UPDATE identity_run SET entries = ? WHERE run = ?", arguments: [added, run])
        self.run = nil
        added = 0
        var runs = try Row.fetchAll(db, sql: "SELECT run, entries FROM identity_run ORDER BY run").map { row in
            (run: row[0] as Int64, entries: row[1] as Int64)
        }
        while runs.count >= 2, 2 * runs[runs.count - 1].entries >= runs[runs.count - 2].entries {
            let newer = runs.removeLast()
            let older = runs.removeLast()
            let merged = (run: newer.run + 1, entries: newer.entries + older.entries)
            try db.execute(sql: "INSERT INTO identity_run (run, entries) VALUES (?, ?)", arguments: [merged.run, merged.entries])
            try merge([older.run, newer.run], into: merged.run)
            try drop([older.run, newer.run])
            runs.append(merged)
        }
    }

    private func drop(_ runs: [Int64]) throws {
        for run in runs {
            try db.execute(sql: "DELETE FROM identity WHERE run = ?; DELETE FROM identity_run WHERE run = ?", arguments: [run, run])
        }
    }

    /// Copies runs into a new one. Each is in (hash, id) order already, so they are read side by
    /// side and the new run is appended in order without sorting: SQLite's sorter (INSERT … SELECT …
    /// ORDER BY) took the import to 116 MiB when it merged 1.6 million hashes. The new rows fall
    /// outside every read, which SQLite allows while they run.
    private func merge(_ runs: [Int64], into merged: Int64) throws {
        // The block is shared out, so that memory stays the same however many runs are merged.
        let block = max(sizes.mergeBlock / runs.count, 1)
        var readers = try runs.map { try RunReader(db, run: $0, blockSize: block) }
        let append = try insert()
        while true {
            var next: (reader: Int, entry: Entry)?
            for i in readers.indices {
                if let entry = try readers[i].peek(), next.map({ entry < $0.entry }) ?? true { next = (i, entry) }
            }
            guard let next else { return }
            try append.execute(.int(merged), .int(next.entry.hash), .int(next.entry.id))
            readers[next.reader].advance()
        }
    }

    /// Reads a run in (hash, id) order a block at a time. Stepping a read after each insert into
    /// the same table makes SQLite find its place in the B-tree again every time: 100k imported into
    /// a store of 100k (which merges the two runs) took 1.85 s against 1.31 s into an empty store
    /// that way, and 1.64 s against 1.34 s read by blocks.
    private struct RunReader {
        private let statement: DirectStatement
        private var block: [Entry] = []
        private var index = 0
        private var done = false
        private let blockSize: Int

        init(_ db: Database, run: Int64, blockSize: Int) throws {
            statement = try DirectStatement(db, sql: "SELECT hash, id FROM identity WHERE run = ? ORDER BY hash, id")
            statement.start(.int(run))
            self.blockSize = blockSize
            block.reserveCapacity(blockSize)
        }

        /// The next entry, left in place; nil after the last.
        mutating func peek() throws -> Entry? {
            if index == block.count {
                // After its last row the statement starts over: never stepped again.
                guard !done else { return nil }
                block.removeAll(keepingCapacity: true)
                index = 0
                while block.count < blockSize, let (hash, id) = try statement.nextPair() { block.append(Entry(hash: hash, id: id)) }
                done = block.count < blockSize
                if block.isEmpty { return nil }
            }
            return block[index]
        }

        mutating func advance() {
            index += 1
        }
    }

    /// An entry of a run, in the runs' order.
    private struct Entry: Comparable {
        var hash: Int64
        var id: Int64

        static func < (a: Entry, b: Entry) -> Bool {
            (a.hash, a.id) < (b.hash, b.id)
        }
    }

    /// Adds one entry to a run: for each response stored, and for each hash a merge copies.
    private func insert() throws -> DirectStatement {
        try DirectStatement.reused(&insertStatement, db, sql: "INSERT INTO identity (run, hash, id) VALUES (?, ?, ?)")
    }

    private func begin() throws -> Int64 {
        let next = (try Int64.fetchOne(db, sql: "SELECT max(run) FROM identity_run") ?? 0) + 1
        try db.execute(sql: "INSERT INTO identity_run (run, entries) VALUES (?, 0)", arguments: [next])
        run = next
        return next
    }
}
