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

    /// Every response has one entry, under its own id and hash; and each run holds as many as it says.
    static func expectConsistent(_ store: SQLiteStore, _ context: String) throws {
        try store.execute { db in
            var responses: [Int64: Int64] = [:]
            try ResponseBlocks(db).forEachRecord(
                sql: "SELECT id, form_id, import_id, data FROM response_block ORDER BY id", arguments: []
            ) {
                id, _, formId, record in
                responses[id] = KeyHash.of(formId: formId, key: record.key)
                return true
            }
            let entries = try Row.fetchAll(db, sql: "SELECT id, hash FROM identity").map { ($0[0] as Int64, $0[1] as Int64) }
            #expect(entries.count == responses.count, "\(context)")
            #expect(entries.allSatisfy { responses[$0.0] == $0.1 }, "\(context)")
            #expect(Set(entries.map(\.0)).count == entries.count, "\(context)")
            let wrong = try Int.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) FROM identity_run x
                    WHERE entries != (SELECT COUNT(*) FROM identity i WHERE i.run = x.run)
                    """)
            #expect(wrong == 0, "\(context)")
        }
    }

    /// Merges read each run 4 hashes at a time (65,536 outside tests), so that they cross many block
    /// ends, some of them at a run's last hash (every run here but the last is a multiple of 4).
    @Test func eachTransactionAddsARunAndTheNewestAreMerged() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("runs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(
            path: folder.appendingPathComponent("store.sqlite").path, onWait: nil,
            identitySizes: IdentitySizes(mergeBlock: 4))
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
        #expect(try Self.runs(store) == [[1, 1_000], [4, 200]], "100 and 100 merged into run 4; 200 is under half of 1,000")

        // Nothing new: no run.
        #expect(try Self.store([1, 1_001, 1_101], into: store) == [false, false, false])
        #expect(try Self.runs(store) == [[1, 1_000], [4, 200]])

        #expect(try Self.store(Array(1_200..<1_500) + [1_199, 2], into: store).filter { $0 }.count == 300)
        #expect(try Self.runs(store) == [[7, 1_500]], "300 merged with 200, then 500 with 1,000")
        try Self.expectConsistent(store, "after the merges")

        // After the merges, every stored response is still a repeat, and new ones are not.
        let all = try Self.store(Array(0..<1_500) + [1_500], into: store)
        #expect(all == Array(repeating: false, count: 1_500) + [true])
        #expect(try Self.runs(store) == [[7, 1_500], [8, 1]])
        try Self.expectConsistent(store, "at the end")
    }

    /// A transaction keeps its hashes in memory 7 at a time here (131,072 outside tests) and adds
    /// each 7 to its run in hash order; repeats are found wherever their first copy is by then: in
    /// memory, in the run, or in an earlier transaction's run.
    @Test func aTransactionAddsItsHashesToItsRunInSortedBatches() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("runs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(
            path: folder.appendingPathComponent("store.sqlite").path, onWait: nil,
            identitySizes: IdentitySizes(mergeBlock: 4, chunk: 7))
        // After 100 new: 98 in the run, 2 in memory (98 and 99).
        let repeats = [3, 50, 90, 98, 99]
        let first = try Self.store(Array(0..<100) + repeats, into: store)
        #expect(first == Array(repeating: true, count: 100) + Array(repeating: false, count: repeats.count))
        let runs = try Self.runs(store)
        #expect(runs.count == 1 && runs.first?.last == 100, "\(runs)")
        try Self.expectConsistent(store, "after the first transaction")

        // A later transaction finds every earlier response and its own repeats.
        let second = try Self.store(Array(95..<125) + [0, 110, 124], into: store)
        #expect(second == Array(repeating: false, count: 5) + Array(repeating: true, count: 25) + [false, false, false])
        #expect(try Self.runs(store).map(\.last) == [100, 25])
        try Self.expectConsistent(store, "after the second transaction")
    }

    /// Two identities with one hash are both kept, whether the first is still in memory or in a run,
    /// and whether its block is still being filled or written.
    @Test func identitiesSharingAHashAreToldApart() throws {
        for chunk in [2, 100] {
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
                    let context = "chunk \(chunk), block written: \(written)"
                    let runs = IdentityRuns(db, sizes: IdentitySizes(chunk: chunk), blocks: blocks)
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
                    #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM identity") == 2)
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

    /// The identity search starts from the hash, one seek into each run.
    @Test func theSearchSeeksByHash() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("runs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("store.sqlite").path)
        _ = try Self.store(Array(0..<100), into: store)
        let plan = try store.execute { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + IdentityRuns.containsSQL, arguments: [0]).map {
                $0["detail"] as String
            }
        }
        // The first table the plan reads is the runs, by hash.
        let reads = plan.filter { $0.hasPrefix("SEARCH") || $0.hasPrefix("SCAN") }
        #expect(reads.first == "SEARCH i USING PRIMARY KEY (run=? AND hash=?)", "\(plan)")
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
}
