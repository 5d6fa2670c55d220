import Foundation
import Testing

@testable import FeedbackKit

/// The identity filter that spares an import most of its index searches never lets a stored
/// response be stored again, whether the filter is loaded at the start of a transaction, part way
/// through it, or grows within it.
struct IdentityFilterTests {
    static func hashes(_ range: Range<Int>, prefix: String = "k") -> [Int64] {
        range.map { KeyHash.of(formId: "f", key: "\(prefix)\($0)") }
    }

    /// Stores keep these hashes, so they must never change: the values were worked out apart from
    /// the code (FNV-1a over the form id, 0xFF and the key, then SplitMix64's finalizer).
    @Test func identityHashesStayAsStored() {
        #expect(KeyHash.of(formId: "bench-survey", key: "39285443-e97f-4600-acdc-f15c4e7f9106") == 5_501_237_104_432_522_231)
        #expect(KeyHash.of(formId: "政务服务", key: "h:问卷-001") == -2_847_821_937_355_255_862)
        #expect(KeyHash.of(formId: "", key: "") == 5_705_415_379_283_624_141)
    }

    @Test func everyInsertedHashIsReportedAndFewOthersAre() {
        var filter = IdentityFilter(capacity: 100_000)
        let inserted = Self.hashes(0..<100_000)
        for h in inserted { filter.insert(h) }
        #expect(inserted.allSatisfy(filter.mayContain))
        #expect(filter.count == 100_000)
        // At capacity: about 0.6% of hashes never inserted are reported (12 bits a hash, 5 bits set
        // in a block of 256). With 8 bits a hash it was about 2.5%, and with 16 it would be 0.2%:
        // the bounds hold the filter to the memory it is said to take, as well as to its rate.
        let others = Self.hashes(0..<100_000, prefix: "other")
        let falsePositives = others.filter(filter.mayContain).count
        #expect(falsePositives > 350 && falsePositives < 900, "\(falsePositives) false positives in 100,000")
    }

    /// A copy that is changed gets words of its own (copy on write), wherever they lie; its blocks
    /// must be where they were.
    @Test func aCopyChangedAfterwardsStillReportsEveryHash() {
        var filter = IdentityFilter(capacity: 4_096)
        let first = Self.hashes(0..<2_000)
        for h in first { filter.insert(h) }
        var copy = filter
        let second = Self.hashes(0..<2_000, prefix: "more")
        for h in second { copy.insert(h) }
        #expect((first + second).allSatisfy(copy.mayContain))
        #expect(first.allSatisfy(filter.mayContain))
        #expect(copy.count == 4_000 && filter.count == 2_000)
    }

    @Test func anEmptyFilterReportsNothing() {
        let filter = IdentityFilter(capacity: 0)
        #expect(filter.capacity == 1024)
        #expect(!Self.hashes(0..<10_000).contains(where: filter.mayContain))
    }

    /// The first few positions where `got` differs from `expected`, which are as long.
    static func wrong(_ got: [Bool], _ expected: [Bool]) -> [Int] {
        #expect(got.count == expected.count)
        return Array(zip(got, expected).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset).prefix(5))
    }

    static func response(_ i: Int) -> Response {
        Response(
            formId: "f", formVersion: 1, key: "r\(i)", submittedAt: nil, month: nil, department: nil,
            answers: ["q": .number(Double(i % 5))], source: "test", position: i)
    }

    /// A filter of 1,024 hashes at first: the first transaction grows it four times (1,024 → 1,536
    /// → 2,304 → 3,456 → 5,184) while every 7th record repeats an earlier one; the second loads it
    /// from the 5,000 stored hashes once it has checked 40 records, and must still find every one.
    @Test func repeatsAreFoundAcrossLoadsAndGrowth() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(
            path: folder.appendingPathComponent("store.sqlite").path, onWait: nil, identitySizes: IdentitySizes(filterCapacity: 1024))
        var first: [Int] = []
        for i in 0..<5_000 {
            first.append(i)
            if i % 7 == 6 { first.append(i / 2) }
        }
        let stored = try store.write { writer in
            let id = try writer.beginImport(formId: "f", source: "test", startedAt: "2025-04-03T09:05:31+08:00")
            return try first.map { try writer.insert(Self.response($0), importId: id) }
        }
        var seen = Set<Int>()
        #expect(Self.wrong(stored, first.map { seen.insert($0).inserted }).isEmpty)
        #expect(stored.filter { $0 }.count == 5_000)
        // Old and new interleaved: 4,000 repeats, 1,000 new.
        let second = (0..<5_000).map { $0 % 5 == 4 ? 10_000 + $0 : $0 }
        let again = try store.write { writer in
            let id = try writer.beginImport(formId: "f", source: "test", startedAt: "2025-04-03T09:05:31+08:00")
            return try second.map { try writer.insert(Self.response($0), importId: id) }
        }
        #expect(Self.wrong(again, second.map { $0 >= 10_000 }).isEmpty)
        #expect(try store.read { try $0.count(ResponseFilter(formId: "f")) } == 6_000)
    }
}
