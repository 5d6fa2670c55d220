import Foundation
import GRDB
import Testing

@testable import FeedbackKit

/// The identity index in runs (store format v5): each write transaction that stores responses adds
/// a run, the newest runs are merged while the newer holds at least half as many hashes as the
/// older, and a repeat is found whichever run holds it.
struct IdentityRunsTests {
    static func response(_ i: Int) -> Response {
        Response(
            formId: "f", formVersion: 1, key: "r\(i)", submittedAt: nil, month: nil, department: nil,
            answers: ["q": .number(Double(i % 5))], source: "test", position: i)
    }

    /// Stores the responses numbered `numbers` in one transaction; true for each one stored.
    static func store(_ numbers: [Int], into store: SQLiteStore) throws -> [Bool] {
        try store.write { writer in
            let id = try writer.beginImport(formId: "f", source: "test", startedAt: "2025-04-03T09:05:31+08:00")
            return try numbers.map { try writer.insert(Self.response($0), importId: id) }
        }
    }

    static func runs(_ store: SQLiteStore) throws -> [[Int64]] {
        try store.execute { db in
            try Row.fetchAll(db, sql: "SELECT run, entries FROM identity_run ORDER BY run").map { [$0[0], $0[1]] }
        }
    }

    /// The entries of each run, in the order of its chunks, as the chunks hold them; checks that each
    /// chunk holds as many as it says, no more than `chunkEntries`, and starts with its key.
    static func entries(
        _ db: Database, chunkEntries: Int = IdentitySizes().chunkEntries, _ context: String
    ) throws -> [Int64: [IdentityRuns.Entry]] {
        var runs: [Int64: [IdentityRuns.Entry]] = [:]
        let sql = "SELECT run, first_hash, first_id, entries, data FROM identity_chunk ORDER BY run, first_hash, first_id"
        for row in try Row.fetchAll(db, sql: sql) {
            let data: Data = row[4]
            var chunk: [IdentityRuns.Entry] = []
            try data.withUnsafeBytes { bytes in try IdentityRuns.chunk(bytes, run: row[0]).forEach { chunk.append($0) } }
            #expect(chunk.count == row[3] as Int, "\(context)")
            #expect(chunk.count >= 1 && chunk.count <= chunkEntries, "\(context)")
            #expect(chunk.first == IdentityRuns.Entry(hash: row[1], id: row[2]), "\(context)")
            runs[row[0], default: []] += chunk
        }
        return runs
    }

    /// Every response has one entry, under its own id and hash; each run is in (hash, id) order
    /// across its chunks and holds as many as it says.
    static func expectConsistent(_ store: SQLiteStore, chunkEntries: Int = IdentitySizes().chunkEntries, _ context: String) throws {
        try store.execute { db in
            var responses: [Int64: Int64] = [:]
            try ResponseBlocks(db).forEachRecord(
                sql: "SELECT id, form_id, import_id, data FROM response_block ORDER BY id", arguments: []
            ) {
                id, _, formId, record in
                responses[id] = KeyHash.of(formId: formId, key: record.key)
                return true
            }
            let runs = try Self.entries(db, chunkEntries: chunkEntries, context)
            let entries = runs.values.joined().map { ($0.id, $0.hash) }
            #expect(entries.count == responses.count, "\(context)")
            #expect(entries.allSatisfy { responses[$0.0] == $0.1 }, "\(context)")
            #expect(Set(entries.map(\.0)).count == entries.count, "\(context)")
            for (run, entries) in runs {
                #expect(zip(entries, entries.dropFirst()).allSatisfy { $0 < $1 }, "run \(run) in order: \(context)")
            }
            let counts = try Row.fetchAll(db, sql: "SELECT run, entries FROM identity_run").map { ($0[0] as Int64, $0[1] as Int) }
            #expect(counts.count == runs.count, "\(context)")
            #expect(counts.allSatisfy { runs[$0.0]?.count == $0.1 }, "\(context)")
        }
    }

    /// Chunks hold 3 entries here (250 outside tests), so that runs and merges cross many chunk
    /// ends, some of them at a run's last hash, and merges read 2 runs of the store at a time (262
    /// outside tests), so that merging three runs takes two steps. A run's number is one past the
    /// newest's when it is written.
    @Test func eachTransactionAddsARunAndTheNewestAreMerged() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("runs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(
            path: folder.appendingPathComponent("store.sqlite").path, onWait: nil,
            identitySizes: IdentitySizes(mergeBlock: 4, chunkEntries: 3))
        #expect(try Self.runs(store).isEmpty)

        // 1,000 new, with repeats within the transaction.
        let first = Array(0..<1_000) + [3, 999]
        #expect(try Self.store(first, into: store).filter { $0 }.count == 1_000)
        #expect(try Self.runs(store) == [[1, 1_000]])

        // Each later transaction repeats responses of every earlier one: they are all found.
        #expect(
            try Self.store(Array(1_000..<1_100) + [0, 500, 999], into: store) == Array(repeating: true, count: 100) + [false, false, false])
        #expect(try Self.runs(store) == [[1, 1_000], [2, 100]], "100 is under half of 1,000: no merge")

        #expect(try Self.store(Array(1_100..<1_200) + [1_050, 7], into: store).filter { $0 }.count == 100)
        #expect(try Self.runs(store) == [[1, 1_000], [3, 200]], "100 and 100 merged into run 3; 200 is under half of 1,000")

        // Nothing new: no run.
        #expect(try Self.store([1, 1_001, 1_101], into: store) == [false, false, false])
        #expect(try Self.runs(store) == [[1, 1_000], [3, 200]])

        #expect(try Self.store(Array(1_200..<1_500) + [1_199, 2], into: store).filter { $0 }.count == 300)
        #expect(try Self.runs(store) == [[6, 1_500]], "300 written as run 4, merged with 200 into 5, then 500 with 1,000 into 6")
        try Self.expectConsistent(store, chunkEntries: 3, "after the merges")

        // After the merges, every stored response is still a repeat, and new ones are not.
        let all = try Self.store(Array(0..<1_500) + [1_500], into: store)
        #expect(all == Array(repeating: false, count: 1_500) + [true])
        #expect(try Self.runs(store) == [[6, 1_500], [7, 1]])
        try Self.expectConsistent(store, chunkEntries: 3, "at the end")
    }

    /// A transaction keeps its hashes in memory 7 at a time here (65,536 outside tests) and writes
    /// each 7 in hash order as a run, which its earlier runs merge with as they grow; repeats are
    /// found wherever their first copy is by then: in memory, in one of its runs, or in an earlier
    /// transaction's run. At its end, its runs are one.
    @Test func aTransactionAddsItsHashesToItsRunInSortedBatches() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("runs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(
            path: folder.appendingPathComponent("store.sqlite").path, onWait: nil,
            identitySizes: IdentitySizes(mergeBlock: 4, batch: 7, chunkEntries: 3))
        // After 100 new: 98 in the run, 2 in memory (98 and 99).
        let repeats = [3, 50, 90, 98, 99]
        let first = try Self.store(Array(0..<100) + repeats, into: store)
        #expect(first == Array(repeating: true, count: 100) + Array(repeating: false, count: repeats.count))
        let runs = try Self.runs(store)
        #expect(runs.count == 1 && runs.first?.last == 100, "\(runs)")
        try Self.expectConsistent(store, chunkEntries: 3, "after the first transaction")

        // A later transaction finds every earlier response and its own repeats.
        let second = try Self.store(Array(95..<125) + [0, 110, 124], into: store)
        #expect(second == Array(repeating: false, count: 5) + Array(repeating: true, count: 25) + [false, false, false])
        #expect(try Self.runs(store).map(\.last) == [100, 25])
        try Self.expectConsistent(store, chunkEntries: 3, "after the second transaction")
    }

    /// Two identities with one hash are both kept, whether the first is still in memory or in a run,
    /// whether the two are in one chunk or two, and whether its block is still being filled or written.
    @Test func identitiesSharingAHashAreToldApart() throws {
        for (batch, chunkEntries) in [(2, 1), (2, 2048), (100, 2048)] {
            for written in [false, true] {
                let queue = try DatabaseQueue()
                try SQLiteStore.migrator.migrate(queue)
                try queue.write { db in
                    try db.execute(sql: "INSERT INTO import (id, form_id, source, started_at) VALUES (1, 'f', 's', 't')")
                    let blocks = ResponseBlocks(db)
                    let ids = try ["a", "b"].enumerated().map { position, key in
                        try blocks.add(
                            EncodedResponse(
                                formId: "f", formVersion: 1, key: key, keyHash: 42, submittedAt: nil, month: nil, department: nil,
                                answers: Array("{}".utf8), other: nil, extra: nil, source: "s", position: position + 1),
                            importId: 1)
                    }
                    if written { try blocks.flush() }
                    let context = "batch \(batch), chunks of \(chunkEntries), block written: \(written)"
                    let runs = IdentityRuns(db, sizes: IdentitySizes(batch: batch, chunkEntries: chunkEntries), blocks: blocks)
                    #expect(try !runs.contains(hash: 42, formId: "f", key: "a"))
                    try runs.add(hash: 42, id: ids[0])
                    #expect(try runs.contains(hash: 42, formId: "f", key: "a"), "\(context)")
                    #expect(try !runs.contains(hash: 42, formId: "f", key: "b"))
                    #expect(try !runs.contains(hash: 42, formId: "g", key: "a"), "another form")
                    try runs.add(hash: 42, id: ids[1])
                    #expect(try runs.contains(hash: 42, formId: "f", key: "a"), "\(context)")
                    #expect(try runs.contains(hash: 42, formId: "f", key: "b"), "\(context)")
                    #expect(try !runs.contains(hash: 42, formId: "f", key: "c"))
                    var hashes: [Int64] = []
                    try runs.forEachHash { hashes.append($0) }
                    #expect(hashes == [42, 42])
                    try runs.finish()
                    try blocks.flush()
                    #expect(try runs.contains(hash: 42, formId: "f", key: "b"), "\(context)")
                    #expect(try Int.fetchOne(db, sql: "SELECT SUM(entries) FROM identity_chunk") == 2)
                    #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM identity_chunk") == (chunkEntries == 1 ? 2 : 1))
                }
            }
        }
    }

    /// A rolled-back transaction leaves no run, no entry and no response.
    @Test func aFailedTransactionLeavesNoRun() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("runs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("store.sqlite").path)
        _ = try Self.store(Array(0..<10), into: store)
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try store.write { writer in
                let id = try writer.beginImport(formId: "f", source: "test", startedAt: "2025-04-03T09:05:31+08:00")
                for i in 10..<20 { _ = try writer.insert(Self.response(i), importId: id) }
                throw Stop()
            }
        }
        #expect(try Self.runs(store) == [[1, 10]])
        try Self.expectConsistent(store, "after the rollback")
        #expect(try Self.store(Array(5..<15), into: store) == Array(repeating: false, count: 5) + Array(repeating: true, count: 5))
    }

    /// The identity search starts from the hash, one seek into each run, and steps back from there.
    @Test func theSearchSeeksByHash() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("runs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("store.sqlite").path)
        _ = try Self.store(Array(0..<100), into: store)
        let plan = try store.execute { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + IdentityRuns.searchSQL, arguments: [1, 0]).map {
                $0["detail"] as String
            }
        }
        // One read, by run and hash, in the order of the key (no sorting step).
        let reads = plan.filter { $0.hasPrefix("SEARCH") || $0.hasPrefix("SCAN") || $0.contains("TEMP B-TREE") }
        #expect(reads == ["SEARCH identity_chunk USING PRIMARY KEY (run=? AND first_hash<?)"], "\(plan)")
    }

    /// A new store is made with 16 KiB pages; a store made with another size keeps it, and works.
    @Test func aNewStoreHasLargePagesAndAnOldOneKeepsItsOwn() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pages-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let fresh = try SQLiteStore(path: folder.appendingPathComponent("new.sqlite").path)
        #expect(try fresh.execute { db in try Int.fetchOne(db, sql: "PRAGMA page_size") } == 16384)

        let oldPath = folder.appendingPathComponent("old.sqlite").path
        let made = try DatabaseQueue(path: oldPath)
        try made.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA page_size = 4096; CREATE TABLE t (x); DROP TABLE t") }
        try made.close()
        let old = try SQLiteStore(path: oldPath)
        #expect(try Self.store([1, 2, 1], into: old) == [true, true, false])
        #expect(try old.execute { db in try Int.fetchOne(db, sql: "PRAGMA page_size") } == 4096)
    }

    /// A database of the current format holding responses of form "f" with these keys, each with the
    /// hash given rather than its own, and the ids they were given.
    static func responses(_ db: Database, _ keys: [(key: String, hash: Int64)]) throws -> (ResponseBlocks, [Int64]) {
        try db.execute(sql: "INSERT INTO import (id, form_id, source, started_at) VALUES (1, 'f', 's', 't')")
        let blocks = ResponseBlocks(db)
        let ids = try keys.enumerated().map { position, key in
            try blocks.add(
                EncodedResponse(
                    formId: "f", formVersion: 1, key: key.key, keyHash: key.hash, submittedAt: nil, month: nil, department: nil,
                    answers: Array("{}".utf8), other: nil, extra: nil, source: "s", position: position + 1),
                importId: 1)
        }
        try blocks.flush()
        return (blocks, ids)
    }

    /// Entries with one hash that cross the end of a chunk, or of several, are all found: whether
    /// chunks before them hold smaller hashes or none, and whatever the place of the chunk's end.
    @Test func aHashThatCrossesChunkEndsIsFoundInEachChunk() throws {
        for chunkEntries in [2, 3, 4] {
            for smaller in 0...4 {
                let context = "chunks of \(chunkEntries), \(smaller) smaller hashes"
                let queue = try DatabaseQueue()
                try SQLiteStore.migrator.migrate(queue)
                try queue.write { db in
                    let keys =
                        (0..<smaller).map { (key: "low\($0)", hash: Int64(-5 + $0)) } + (0..<7).map { (key: "same\($0)", hash: Int64(42)) }
                        + (0..<3).map { (key: "high\($0)", hash: Int64(100 + $0)) }
                    let (blocks, ids) = try Self.responses(db, keys)
                    let sizes = IdentitySizes(batch: 1_000, chunkEntries: chunkEntries)
                    let writing = IdentityRuns(db, sizes: sizes, blocks: blocks)
                    // Added out of order: the run is sorted when written.
                    for i in ids.indices.reversed() { try writing.add(hash: keys[i].hash, id: ids[i]) }
                    try writing.finish()
                    let runs = try Self.entries(db, chunkEntries: chunkEntries, context)
                    #expect(runs.count == 1 && runs.first?.value.map(\.hash) == keys.map(\.hash), "\(context)")
                    // A later transaction's search, reading the run from its chunks.
                    let searching = IdentityRuns(db, sizes: sizes, blocks: blocks)
                    for key in keys {
                        #expect(try searching.contains(hash: key.hash, formId: "f", key: key.key), "\(key.key): \(context)")
                    }
                    #expect(try !searching.contains(hash: 42, formId: "f", key: "same7"), "\(context)")
                    #expect(try !searching.contains(hash: 42, formId: "f", key: "low0"), "\(context)")
                    #expect(try !searching.contains(hash: 41, formId: "f", key: "same0"), "\(context)")
                    #expect(try !searching.contains(hash: 43, formId: "f", key: "same0"), "\(context)")
                    #expect(try !searching.contains(hash: 42, formId: "g", key: "same0"), "another form: \(context)")
                }
            }
        }
    }

    /// The runs, whether written in one batch or many and merged a few at a time, end as the policy
    /// says: after each transaction, the newest two merged while the newer holds at least half as
    /// many as the older. Batches of 7, chunks of 3 and merges of 3 runs at a time here.
    @Test func runsMergeAsThePolicySaysAcrossChunksAndSteps() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("runs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(
            path: folder.appendingPathComponent("store.sqlite").path, onWait: nil,
            identitySizes: IdentitySizes(mergeBlock: 9, batch: 7, chunkEntries: 3))
        var expected: [Int64] = []
        var next = 0
        for (step, size) in [100, 30, 20, 60, 5, 5, 5, 9, 200, 1, 2, 3].enumerated() {
            // New responses, and repeats of every earlier transaction's and of its own.
            let numbers = Array(next..<next + size) + stride(from: 0, to: next + size, by: 13)
            let stored = try Self.store(numbers, into: store)
            #expect(stored == Array(repeating: true, count: size) + Array(repeating: false, count: numbers.count - size), "step \(step)")
            next += size
            expected.append(Int64(size))
            while expected.count >= 2, 2 * expected[expected.count - 1] >= expected[expected.count - 2] {
                let newer = expected.removeLast()
                expected[expected.count - 1] += newer
            }
            #expect(try Self.runs(store).map(\.last) == expected, "step \(step)")
            try Self.expectConsistent(store, chunkEntries: 3, "step \(step)")
        }
    }

    /// A store of format v6, with entries in two runs of the old table, is moved into chunks: the
    /// runs keep their numbers and counts, each run's entries are in order across its chunks, and
    /// every stored response is found again.
    @Test func aStoreOfFormatV6KeepsFindingItsIdentities() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("runs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("store.sqlite").path
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // 5,010 in run 1 (chunks of 250 at most: the last holds 10) and 7 in run 2, as v6 stored them.
        let old = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(old, upTo: "v6: responses in blocks")
        try old.write { db in
            try db.execute(sql: "INSERT INTO import (id, form_id, source, started_at) VALUES (1, 'f', 's', 't')")
            let blocks = ResponseBlocks(db)
            for i in 0..<5_017 {
                let encoded = EncodedResponse(Self.response(i), keys: nil, digest: nil)
                let id = try blocks.add(encoded, importId: 1)
                try db.execute(
                    sql: "INSERT INTO identity (run, hash, id) VALUES (?, ?, ?)", arguments: [i < 5_010 ? 1 : 2, encoded.keyHash, id])
            }
            try blocks.flush()
            try db.execute(sql: "INSERT INTO identity_run (run, entries) VALUES (1, 5010), (2, 7)")
        }
        try old.close()

        let store = try SQLiteStore(path: path)
        #expect(try Self.runs(store) == [[1, 5_010], [2, 7]])
        try store.execute { db in
            #expect(try !db.tableExists("identity"))
            let chunks = try Row.fetchAll(db, sql: "SELECT run, entries FROM identity_chunk ORDER BY run, first_hash, first_id").map {
                [$0[0], $0[1]] as [Int64]
            }
            #expect(chunks == Array(repeating: [1, 250], count: 20) + [[1, 10], [2, 7]])
        }
        try Self.expectConsistent(store, "after the migration")
        #expect(try Self.store(Array(0..<5_017) + [5_017], into: store) == Array(repeating: false, count: 5_017) + [true])
        #expect(try Self.runs(store) == [[1, 5_010], [2, 7], [3, 1]])
        try Self.expectConsistent(store, "after an import")
    }
}
