import Foundation
import Testing

@testable import FeedbackKit

/// A write transaction's identity runs, in temporary files until its end: batches merge four of a
/// level at a time, the files are written over where merged runs were, every entry is found
/// whichever page and run it is in, and no file is left in the store's folder.
struct ScratchRunsTests {
    typealias Entry = IdentityRuns.Entry

    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("scratch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// A batch of 300 entries with ids from `firstId`: hashes spread over the whole range, and one
    /// hash (7) given 260 times in every fifth batch, so that its entries cross a page's end (256 a
    /// page) within one run and then across runs.
    static func batch(_ number: Int, firstId: Int64) -> [Entry] {
        var generator = SplitMix64(seed: UInt64(number) + 1)
        var entries = (0..<300).map { i in Entry(hash: Int64(bitPattern: generator.next()), id: firstId + Int64(i)) }
        if number % 5 == 0 {
            for i in 0..<260 { entries[i].hash = 7 }
        }
        return entries.sorted()
    }

    @Test func batchesMergeFourOfALevelAndEveryEntryIsFound() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let runs = ScratchRuns(folder: folder.path)
        var all: [Entry] = []
        for number in 0..<21 {
            let entries = Self.batch(number, firstId: Int64(number * 1_000))
            all += entries
            try runs.add(sorted: entries, fanIn: 4)
            // The levels are the digits of the number of batches in base 4, highest first.
            var levels: [Int] = []
            var count = number + 1
            var level = 0
            while count > 0 {
                levels = Array(repeating: level, count: count % 4) + levels
                count /= 4
                level += 1
            }
            #expect(runs.runs.map(\.level) == levels, "after batch \(number)")
            #expect(runs.entries == all.count)
        }
        // 21 batches: a run of 16 batches, one of 4 and one of 1. The run of 16 was written at the
        // start of the even levels' file, where the batches before it had been; the run of 4 at
        // the start of the other, where the runs of 4 that made the run of 16 had been; and the
        // newest batch where the four before it began, after the run of 16.
        #expect(runs.runs.map(\.count) == [4_800, 1_200, 300])
        #expect(runs.runs.map(\.offset) == [0, 0, 4_800 * 16])

        var byHash: [Int64: [Int64]] = [:]
        for entry in all { byHash[entry.hash, default: []].append(entry.id) }
        for (hash, ids) in byHash {
            var found: [Int64] = []
            try runs.ids(of: hash, into: &found)
            #expect(found.sorted() == ids.sorted(), "hash \(hash)")
        }
        #expect(byHash[7]?.count == 5 * 260)
        var generator = SplitMix64(seed: 99)
        for _ in 0..<2_000 {
            let hash = Int64(bitPattern: generator.next())
            var found: [Int64] = []
            try runs.ids(of: hash, into: &found)
            #expect(found.isEmpty || byHash[hash] != nil)
        }
        for hash: Int64 in [.min, .max, 0, 6, 8] where byHash[hash] == nil {
            var found: [Int64] = []
            try runs.ids(of: hash, into: &found)
            #expect(found.isEmpty, "hash \(hash)")
        }

        var hashes: [Int64] = []
        try runs.forEachHash { hashes.append($0) }
        #expect(hashes.sorted() == all.map(\.hash).sorted())
        var merged: [Entry] = []
        try IdentityRuns.merge(try runs.cursors()) { merged.append($0) }
        #expect(merged == all.sorted())

        // The files were unlinked when made.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        runs.removeAll()
        #expect(runs.isEmpty)
    }

    @Test func aFolderThatCannotHoldTheFilesIsNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("absent-\(UUID().uuidString)").path
        let runs = ScratchRuns(folder: folder)
        #expect(runs.isEmpty)
        let error = #expect(throws: StoreError.self) {
            try runs.add(sorted: Self.batch(1, firstId: 1), fanIn: 4)
        }
        #expect(error?.message.contains(folder) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("identity check") == true)
    }

    /// An import large enough to write batches leaves no file beside the store, during or after, and
    /// stores every response once.
    @Test func anImportLeavesNoFileBesideTheStore() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(
            path: folder.appendingPathComponent("store.sqlite").path, onWait: nil,
            identitySizes: IdentitySizes(batch: 50, chunkEntries: 7))
        var during: [String] = []
        let stored = try store.write { writer in
            let id = try writer.beginImport(formId: "f", source: "test", startedAt: "2025-04-03T09:05:31+08:00")
            let stored = try (Array(0..<1_000) + Array(0..<1_000)).map { try writer.insert(IdentityRunsTests.response($0), importId: id) }
            during = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            return stored
        }
        #expect(stored == Array(repeating: true, count: 1_000) + Array(repeating: false, count: 1_000))
        #expect(!during.contains { $0.contains("identity") }, "\(during)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).allSatisfy { $0.hasPrefix("store.sqlite") })
        #expect(try IdentityRunsTests.runs(store) == [[1, 1_000]])
        try IdentityRunsTests.expectConsistent(store, chunkEntries: 7, "after the import")
    }
}
