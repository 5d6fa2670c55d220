import GRDB

/// The sizes of a write transaction's identity check. Tests make them small, to see the filter
/// grow, runs cross the ends of their chunks and merges read many chunks.
struct IdentitySizes: Sendable {
    /// The identity filter's room for hashes beyond those stored when it is loaded (see
    /// `SQLiteWriter.RecordStatements.mayBeStored`): a million hashes, 1.5 MiB.
    var filterCapacity = 1 << 20
    /// How many entries a merge holds at a time, in all. It holds one chunk of each run it reads, so
    /// it reads at most `mergeBlock / chunkEntries` runs at once (262), and merges more in steps.
    var mergeBlock = 1 << 16
    /// How many hashes a transaction keeps in memory before writing them, sorted, as a run of its
    /// own: 65,536, about 1.6 MiB in the buckets that find them (see `IdentityRuns.PendingHashes`).
    var batch = 1 << 16
    /// How many entries a chunk of a run holds: 250, 4,000 bytes, so that a chunk's row fits in its
    /// page of a store of 16 KiB pages (see `IdentityRuns`).
    var chunkEntries = 250
    /// How many of a transaction's runs of one size are merged into one, while it writes batches.
    var fanIn = 4
}

/// The store's identity index (store formats v5 and v7): the identity hash (KeyHash) of every
/// stored response with its row id, in runs. Each write transaction that stores responses adds
/// their hashes as a run of its own, so that an import into a large store writes new pages only.
/// Before v5 the hashes were one index ordered by hash: an import's hashes landed all over it, and
/// every page they touched was also copied to the rollback journal, so that importing 100k
/// responses into a store of a million took 1.4–1.5× as long as into an empty one (bench/README.md).
///
/// A run is a sequence of (hash, id) entries sorted by hash, then id, kept in chunks (store format
/// v7): rows of `identity_chunk`, each `chunkEntries` entries of the run (the last fewer) packed in
/// one blob, keyed by the run and the chunk's first entry. From v5 to v6 each entry was a row of its
/// own in a B-tree; inserting those rows one by one through SQLite was about a fifth of the
/// instructions of the thread that stores an import (callgrind, 20k rows: 128M of 681M). Writing a
/// million entries now writes 4,000 rows.
///
/// A search looks in each run: the chunk with the greatest first hash below the hash sought holds
/// its first entries, if any, and the chunks after it that start with that very hash hold the rest
/// (entries with one hash may cross the end of a chunk). One seek per run finds them, stepping
/// backwards from the hash (`searchSQL`), and each chunk is binary-searched where SQLite holds it.
/// Chunks are small for the searches' sake: SQLite copies the whole blob of each chunk a search
/// reads, and from overflow pages when it does not fit in its B-tree page. Importing 100k responses
/// into a store of a million (which searches about 55k chunks) took 5,943M instructions on its
/// storing thread with chunks of 2,048 entries, 2,969M with 512, 2,739M with 250 and 2,759M with
/// 128, against 3,914M before v7 (callgrind); importing 20k into an empty store, 565–567M with
/// each. Nothing is cached between searches: hashes are random, so a search lands in the chunk the
/// one before it read about once in as many searches as the run has chunks (4,000 at a million).
///
/// After a transaction, the newest two runs are merged (in hash order, into a run of their own)
/// while the newer holds at least half as many hashes as the older. So each run holds over twice
/// as many as the next newer one, a store of n responses has at most about log2(n) runs, and a hash
/// is copied by merges a few times over its life. The one large import that fills a store is one
/// run; the next smaller imports add runs beside it. The runs that policy would merge one pair
/// after another are merged at once, reading them side by side, so each hash is copied once.
///
/// Within a transaction, hashes are kept in memory (`IdentitySizes.batch` at a time) and written in
/// hash order. Batches are not in order relative to each other, so each is written as a run of its
/// own, in temporary files rather than the store (`ScratchRuns`), and the newest `fanIn` (4) are
/// merged whenever they are of one size: a search during a large import looks in at most three runs
/// of each size (about 6 at ten million, on average), and each batch is copied log4(batches) times
/// (4 at ten million). At the end of the transaction those runs and the hashes still in memory are
/// merged into one run of the store, with the older runs the policy above would merge it with, all
/// at once. The other way, one run whose chunks overlap batch by batch, makes every search read a
/// chunk of every batch written (16 at a million): written as runs merged only at the end, which is
/// the same, the batches took a 1M import to 12.9–13.4 s of processor time against 11.5 s (chunks
/// of 2,048, two runs each). Until the thirty-second round (bench/README.md) the batches were runs
/// of the store, merged two at a time: see `ScratchRuns` for what that cost at ten million.
final class IdentityRuns {
    private let db: Database
    private let sizes: IdentitySizes
    /// Hashes stored in this transaction and not yet written to a run, with their row ids.
    private let pending: PendingHashes
    /// The store's runs, oldest first, once read; kept up to date with this transaction's writes.
    private var loadedRuns: [Run]?
    /// This transaction's batches, once it has written one, until its end.
    private var scratch: ScratchRuns?
    /// Where the responses are, to compare the texts of those whose hash matches.
    private let blocks: ResponseBlocks
    private var searchStatement: DirectStatement?
    private var insertStatement: DirectStatement?
    /// The ids a search found, kept between searches for its room.
    private var found: [Int64] = []

    init(_ db: Database, sizes: IdentitySizes, blocks: ResponseBlocks) {
        self.db = db
        self.blocks = blocks
        var sizes = sizes
        sizes.batch = max(sizes.batch, 1)
        sizes.chunkEntries = max(sizes.chunkEntries, 1)
        sizes.mergeBlock = max(sizes.mergeBlock, 2 * sizes.chunkEntries)
        sizes.fanIn = max(sizes.fanIn, 2)
        self.sizes = sizes
        pending = PendingHashes(batch: sizes.batch)
    }

    /// The v5 migration: the runs' tables, with every stored response in one run, in place of the
    /// v3 index on `response.key_hash`. The column stays: the hashes can be read back from the rows.
    static func migrateToRuns(_ db: Database) throws {
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

    /// The v7 migration: each run's entries, read in order from the v5 table, move into chunks; the
    /// runs and their counts stay as they were.
    static func migrateToChunks(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE identity_chunk (
                    run INTEGER NOT NULL,
                    first_hash INTEGER NOT NULL,
                    first_id INTEGER NOT NULL,
                    entries INTEGER NOT NULL,
                    data BLOB NOT NULL,
                    PRIMARY KEY (run, first_hash, first_id)
                ) WITHOUT ROWID;
                """)
        // In a scope of its own: the statements are finalized before the table they read is dropped.
        do {
            let insert = try DirectStatement(db, sql: insertSQL)
            var writer: ChunkWriter?
            try DirectStatement(db, sql: "SELECT run, hash, id FROM identity ORDER BY run, hash, id").forEachRow { row in
                let run = row.int(0)
                if writer?.run != run {
                    try writer?.finish()
                    writer = ChunkWriter(run: run, capacity: IdentitySizes().chunkEntries, insert: insert)
                }
                try writer?.append(Entry(hash: row.int(1), id: row.int(2)))
            }
            try writer?.finish()
        }
        try db.execute(sql: "DROP TABLE identity")
    }

    /// Whether a response of the form with this identity is stored. Responses that share the hash
    /// are compared by their texts, so that two identities with one hash are both stored.
    func contains(hash: Int64, formId: String, key: String) throws -> Bool {
        for id in pendingIds(hash) where try blocks.isResponse(id, formId: formId, key: key) { return true }
        if let scratch {
            found.removeAll(keepingCapacity: true)
            try scratch.ids(of: hash, into: &found)
            for id in found where try blocks.isResponse(id, formId: formId, key: key) { return true }
        }
        for run in try allRuns() {
            try search(hash, in: run.id)
            for id in found where try blocks.isResponse(id, formId: formId, key: key) { return true }
        }
        return false
    }

    /// The chunks of a run that may hold a hash, from the last back: those that start with the hash,
    /// then the one before them. `search` stops stepping after that one.
    static let searchSQL = """
        SELECT first_hash, data FROM identity_chunk WHERE run = ? AND first_hash <= ? ORDER BY first_hash DESC, first_id DESC
        """

    /// Puts in `found` the ids that a run holds under a hash.
    private func search(_ hash: Int64, in run: Int64) throws {
        found.removeAll(keepingCapacity: true)
        try DirectStatement.reused(&searchStatement, db, sql: Self.searchSQL).forRows(.int(run), .int(hash)) { row in
            try row.withBlob(1) { bytes in try Self.chunk(bytes, run: run).ids(of: hash, into: &found) }
            return row.int(0) == hash
        }
    }

    /// The ids of this transaction's hashes not yet in a run that equal `hash`.
    private func pendingIds(_ hash: Int64) -> [Int64] {
        var ids: [Int64] = []
        pending.forEachId(of: hash) { ids.append($0) }
        return ids
    }

    /// Called for each response stored, with its row id.
    func add(hash: Int64, id: Int64) throws {
        pending.add(Entry(hash: hash, id: id))
        if pending.count >= sizes.batch { try writePending() }
    }

    /// Calls `body` with every stored hash, this transaction's included.
    func forEachHash(_ body: (Int64) -> Void) throws {
        try DirectStatement(db, sql: "SELECT run, data FROM identity_chunk").forEachRow { row in
            try row.withBlob(1) { bytes in try Self.chunk(bytes, run: row.int(0)).forEachHash(body) }
        }
        try scratch?.forEachHash(body)
        pending.forEachHash(body)
    }

    /// Writes the hashes kept in memory, in order, as a run of this transaction, which its newest
    /// runs merge with as the policy says (see above).
    private func writePending() throws {
        guard !pending.isEmpty else { return }
        if scratch == nil { scratch = ScratchRuns(folder: ScratchRuns.folder(of: db)) }
        // The batch is freed when this returns, before any merge (peak memory at 10M rows).
        try scratch?.add(sorted: pending.takeSorted(), fanIn: sizes.fanIn)
    }

    /// At the end of the write transaction: merges this transaction's runs and the hashes left in
    /// memory into one run of the store, with the older runs that the policy (see above) would
    /// merge it with, all at once.
    func finish() throws {
        let last = pending.takeSorted()
        let scratch = self.scratch
        self.scratch = nil
        defer { scratch?.removeAll() }
        var feeds: [EntryFeed] = try scratch?.cursors() ?? []
        if !last.isEmpty { feeds.append(ArrayFeed(last)) }
        guard !feeds.isEmpty else { return }
        let runs = try allRuns()
        var count = 0
        var entries = Int64(last.count + (scratch?.entries ?? 0))
        while count < runs.count, 2 * entries >= runs[runs.count - count - 1].entries {
            entries += runs[runs.count - count - 1].entries
            count += 1
        }
        if count + 1 <= mergeWidth {
            try mergeIntoRun(feeds, replacing: count)
        } else {
            try mergeIntoRun(feeds, replacing: 0)
            try mergeNewest(count + 1)
        }
    }

    /// A run: its number, and how many entries it holds.
    private struct Run {
        let id: Int64
        let entries: Int64
    }

    private func allRuns() throws -> [Run] {
        if let loadedRuns { return loadedRuns }
        let runs = try Row.fetchAll(db, sql: "SELECT run, entries FROM identity_run ORDER BY run").map { row in
            Run(id: row[0], entries: row[1])
        }
        loadedRuns = runs
        return runs
    }

    /// The number of a new run: after every other, so that its chunks come after theirs.
    private func nextRun() throws -> Int64 {
        (try allRuns().last?.id ?? 0) + 1
    }

    /// Records a run whose chunks are written.
    private func added(_ run: Run) throws {
        try db.execute(sql: "INSERT INTO identity_run (run, entries) VALUES (?, ?)", arguments: [run.id, run.entries])
        loadedRuns = try allRuns() + [run]
    }

    /// How many of the store's runs a merge reads at once: a chunk of each, `mergeBlock` entries in all.
    private var mergeWidth: Int { max(sizes.mergeBlock / sizes.chunkEntries, 2) }

    /// Merges the newest `count` runs into one: at most `mergeWidth` at a time, the newest (which
    /// are the smallest) first.
    private func mergeNewest(_ count: Int) throws {
        var count = count
        while count > 1 {
            let now = min(count, mergeWidth)
            try mergeIntoRun([], replacing: now)
            count -= now - 1
        }
    }

    /// Writes a new run of what `feeds` give and the newest `count` runs of the store, and drops
    /// those. Each is in (hash, id) order already, so they are read side by side, a chunk at a
    /// time, and the new run is written in order without sorting: SQLite's sorter (INSERT … SELECT
    /// … ORDER BY) took the import to 116 MiB when it merged 1.6 million hashes. The new chunks fall
    /// outside every read (their run comes after every other), which SQLite allows while the reads
    /// run.
    private func mergeIntoRun(_ feeds: [EntryFeed], replacing count: Int) throws {
        let sources = Array(try allRuns().suffix(count))
        var writer = ChunkWriter(run: try nextRun(), capacity: sizes.chunkEntries, insert: try insert())
        try Self.merge(feeds + sources.map { RunReader(db: db, run: $0.id) }) { try writer.append($0) }
        try writer.finish()
        for run in sources {
            try db.execute(
                sql: "DELETE FROM identity_chunk WHERE run = ?; DELETE FROM identity_run WHERE run = ?", arguments: [run.id, run.id])
        }
        loadedRuns = Array(try allRuns().dropLast(count))
        try added(Run(id: writer.run, entries: writer.written))
    }

    /// Where a merge reads a run's entries, in order, some at a time.
    protocol EntryFeed: AnyObject {
        /// Replaces `entries` with the run's next entries; false, with none, after the last.
        func fill(_ entries: inout [Entry]) throws -> Bool
    }

    /// Passes on the entries of runs, read side by side, in (hash, id) order.
    static func merge(_ feeds: [EntryFeed], _ body: (Entry) throws -> Void) throws {
        var sources = feeds.map(MergeSource.init)
        var live = try sources.indices.filter { try sources[$0].load() }
        while !live.isEmpty {
            // Few runs are merged at once (a transaction's merge four, its end about a dozen): a
            // scan of them for the least entry is as quick as a heap.
            var least = 0
            for i in live.indices.dropFirst() where sources[live[i]].current < sources[live[least]].current { least = i }
            let source = live[least]
            try body(sources[source].current)
            if try !sources[source].advance() { live.remove(at: least) }
        }
    }

    /// A feed, and the entries it gave last.
    private struct MergeSource {
        let feed: EntryFeed
        private var entries: [Entry] = []
        private var index = 0

        init(_ feed: EntryFeed) {
            self.feed = feed
        }

        /// The entry the source is at; valid after `load` or `advance` returned true.
        var current: Entry { entries[index] }

        /// Reads the next entries; false after the last.
        mutating func load() throws -> Bool {
            index = 0
            // A feed that gives no entry before its end is passed over.
            while try feed.fill(&entries) {
                if !entries.isEmpty { return true }
            }
            return false
        }

        /// Moves to the next entry; false after the last.
        mutating func advance() throws -> Bool {
            index += 1
            return index < entries.count ? true : try load()
        }
    }

    /// Gives the entries of an array, at once.
    private final class ArrayFeed: EntryFeed {
        private var entries: [Entry]

        init(_ entries: [Entry]) {
            self.entries = entries
        }

        func fill(_ entries: inout [Entry]) throws -> Bool {
            swap(&entries, &self.entries)
            self.entries = []
            return !entries.isEmpty
        }
    }

    /// Reads a run of the store in (hash, id) order, a chunk at a time.
    private final class RunReader: EntryFeed {
        private let db: Database
        private let run: Int64
        private var statement: DirectStatement?

        init(db: Database, run: Int64) {
            self.db = db
            self.run = run
        }

        func fill(_ entries: inout [Entry]) throws -> Bool {
            entries.removeAll(keepingCapacity: true)
            if statement == nil {
                statement = try DirectStatement(db, sql: "SELECT data FROM identity_chunk WHERE run = ? ORDER BY first_hash, first_id")
                statement?.start(.int(run))
            }
            // After its last row the statement is reset, and never stepped again.
            let run = self.run
            let read: Void? = try statement?.nextRow { row in
                try row.withBlob(0) { bytes in try IdentityRuns.chunk(bytes, run: run).forEach { entries.append($0) } }
            }
            return read != nil
        }
    }

    /// This transaction's hashes not yet in a run, with their row ids, in buckets by their top bits
    /// (the sign bit flipped, so that the buckets follow the hashes' order as signed numbers), each
    /// in the order stored. A hash is looked for in its bucket only, and the batch comes out in run
    /// order by sorting each bucket (a few dozen entries) and putting them one after the other.
    /// Written by hand for speed: a table that found each entry by a salted hash, and a sort of the
    /// whole batch, were together about 4% of an import's processor time, on the storing thread,
    /// the slower of the two (bench/README.md, twenty-third round); a Dictionary before them hashed
    /// each Int64 with SipHash. A file whose hashes crowd one bucket makes the search of that
    /// bucket long; it is made only for hashes the identity filter may hold, and such a file makes
    /// every hash one, and the search of the runs in the store longer still.
    final class PendingHashes {
        private var buckets: [[Entry]]
        private let shift: UInt64
        private let batch: Int
        private(set) var count = 0

        /// About `batch / 64` buckets: a batch fills each with about 64 entries.
        init(batch: Int) {
            self.batch = batch
            var bits = 0
            while bits < 16, (batch >> bits) > 64 { bits += 1 }
            shift = UInt64(64 - bits)
            buckets = Array(repeating: [], count: 1 << bits)
        }

        var isEmpty: Bool { count == 0 }

        @inline(__always)
        private func bucket(_ hash: Int64) -> Int {
            // A shift by 64 (one bucket) gives 0.
            Int(truncatingIfNeeded: (UInt64(bitPattern: hash) ^ (1 << 63)) >> shift)
        }

        func add(_ entry: Entry) {
            let b = bucket(entry.hash)
            if buckets[b].capacity == 0 { buckets[b].reserveCapacity(3 * batch / buckets.count / 2 + 8) }
            buckets[b].append(entry)
            count += 1
        }

        /// Calls `body` with the id of each entry of `hash`.
        func forEachId(of hash: Int64, _ body: (Int64) -> Void) {
            buckets[bucket(hash)].withUnsafeBufferPointer { entries in
                for entry in entries where entry.hash == hash { body(entry.id) }
            }
        }

        /// Calls `body` with each entry's hash.
        func forEachHash(_ body: (Int64) -> Void) {
            for bucket in buckets {
                for entry in bucket { body(entry.hash) }
            }
        }

        /// The entries in run order (by hash, then id), leaving none.
        func takeSorted() -> [Entry] {
            var sorted: [Entry] = []
            sorted.reserveCapacity(count)
            for b in buckets.indices {
                buckets[b].sort()
                sorted.append(contentsOf: buckets[b])
                // Emptied, its room kept for the next batch.
                buckets[b].removeAll(keepingCapacity: true)
            }
            count = 0
            return sorted
        }
    }

    /// An entry of a run, in the runs' order.
    struct Entry: Comparable {
        var hash: Int64
        var id: Int64

        static func < (a: Entry, b: Entry) -> Bool {
            (a.hash, a.id) < (b.hash, b.id)
        }
    }

    static let insertSQL = "INSERT INTO identity_chunk (run, first_hash, first_id, entries, data) VALUES (?, ?, ?, ?, ?)"

    private func insert() throws -> DirectStatement {
        try DirectStatement.reused(&insertStatement, db, sql: Self.insertSQL)
    }

    /// A chunk's entries, as stored: each entry's hash, then its id, as 8-byte little-endian
    /// integers, in (hash, id) order. Fixed-size rather than LEB128 deltas as in `BlockCodec`: a
    /// search binary-searches the blob where SQLite holds it, and a merge reads it without decoding.
    /// Deltas would make it 9.9 bytes an entry rather than 16 (measured on the runs of a store of a
    /// million), 6 MB less in a store of 500 MB, but every search would decode half a chunk.
    struct Chunk {
        static let entrySize = 16
        let bytes: UnsafeRawBufferPointer

        var count: Int { bytes.count / Self.entrySize }

        func hash(_ i: Int) -> Int64 {
            Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * Self.entrySize, as: Int64.self))
        }

        func id(_ i: Int) -> Int64 {
            Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * Self.entrySize + 8, as: Int64.self))
        }

        /// Appends the ids stored under `hash`.
        func ids(of hash: Int64, into found: inout [Int64]) {
            var low = 0
            var high = count
            while low < high {
                let middle = (low + high) / 2
                if self.hash(middle) < hash { low = middle + 1 } else { high = middle }
            }
            while low < count, self.hash(low) == hash {
                found.append(id(low))
                low += 1
            }
        }

        func forEachHash(_ body: (Int64) -> Void) {
            for i in 0..<count { body(hash(i)) }
        }

        func forEach(_ body: (Entry) -> Void) {
            for i in 0..<count { body(Entry(hash: hash(i), id: id(i))) }
        }
    }

    /// A chunk's blob, checked for its size.
    static func chunk(_ bytes: UnsafeRawBufferPointer, run: Int64) throws -> Chunk {
        guard bytes.count % Chunk.entrySize == 0 else {
            throw StoreError(
                "the identity index of the store (run \(run)) is damaged and cannot be read; restore the store from a copy, or import its sources again into a new store"
            )
        }
        return Chunk(bytes: bytes)
    }

    /// Writes a run's entries, given in order, as chunks.
    private struct ChunkWriter {
        let run: Int64
        private let capacity: Int
        private let insert: DirectStatement
        private var bytes: [UInt8]
        private var count = 0
        private var first = Entry(hash: 0, id: 0)
        /// Entries written so far.
        private(set) var written: Int64 = 0

        init(run: Int64, capacity: Int, insert: DirectStatement) {
            self.run = run
            self.capacity = capacity
            self.insert = insert
            bytes = Array(repeating: 0, count: capacity * Chunk.entrySize)
        }

        mutating func append(_ entry: Entry) throws {
            if count == 0 { first = entry }
            let offset = count * Chunk.entrySize
            bytes.withUnsafeMutableBytes { raw in
                raw.storeBytes(of: entry.hash.littleEndian, toByteOffset: offset, as: Int64.self)
                raw.storeBytes(of: entry.id.littleEndian, toByteOffset: offset + 8, as: Int64.self)
            }
            count += 1
            if count == capacity { try flush() }
        }

        /// Writes the last chunk, if it holds any entry.
        mutating func finish() throws {
            try flush()
        }

        private mutating func flush() throws {
            guard count > 0 else { return }
            let data = count == capacity ? bytes : Array(bytes[0..<count * Chunk.entrySize])
            try insert.execute(.int(run), .int(first.hash), .int(first.id), .int(count), .blob(data))
            written += Int64(count)
            count = 0
        }
    }
}
