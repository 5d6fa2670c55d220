import CSQLiteTuning
import Foundation
import GRDB
import Testing

@testable import FeedbackKit

/// Responses in blocks (store format v6): what is stored reads back the same, blocks end where
/// they should, counts come from the blocks' months, and a damaged block is named, not a crash.
struct ResponseBlocksTests {
    static func newStore() throws -> (SQLiteStore, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("blocks-\(UUID().uuidString)")
        return (try SQLiteStore(path: folder.appendingPathComponent("store.sqlite").path), folder)
    }

    /// Responses with every field set or not: empty and non-ASCII texts, other texts, extra
    /// columns, sources that change, positions of any sign.
    static let varied: [Response] = [
        Response(
            formId: "f", formVersion: 3, key: "k-1", submittedAt: "2025-04-01T09:00:00+08:00", month: "2025-04", department: "税务局",
            answers: ["q_overall": .number(4), "comment": .text("材料繁琐，\"跑了三趟\"\n"), "pains": .choices(["a", "其他"])],
            otherText: ["pains": "窗口少"], extra: [("备注", "x"), ("a", "")], source: "a.csv", position: 2),
        Response(
            formId: "f", formVersion: 1, key: "", submittedAt: nil, month: nil, department: nil, answers: [:], source: "a.csv",
            position: 0),
        Response(
            formId: "f", formVersion: 1, key: "k-3", submittedAt: "2025-05-31T23:59:59+08:00", month: "2025-05", department: "",
            answers: ["q_overall": .notApplicable, "n": .number(-2.5)], source: "b.jsonl", position: -7),
        Response(
            formId: "f", formVersion: Int.max, key: String(repeating: "长", count: 300), submittedAt: "", month: "2025-05",
            department: "d", answers: ["t": .text("")], source: "", position: Int.max),
        Response(
            formId: "f", formVersion: 1, key: "k-5", submittedAt: nil, month: nil, department: "d", answers: [:], source: "a.csv",
            position: Int.min),
    ]

    static func storeAll(_ responses: [Response], into store: SQLiteStore) throws -> [Bool] {
        try store.write { writer in
            let id = try writer.beginImport(formId: "f", source: "test", startedAt: "2025-06-01T08:00:00+08:00")
            return try responses.map { try writer.insert($0, importId: id) }
        }
    }

    static func stored(_ store: SQLiteStore, _ filter: ResponseFilter = ResponseFilter(), limit: Int? = nil) throws -> [Response] {
        try store.read { reader in
            var found: [Response] = []
            try reader.forEach(filter, limit: limit) { found.append($0.response) }
            return found
        }
    }

    @Test func whatIsStoredReadsBackTheSameInTheSameOrder() throws {
        let (store, folder) = try Self.newStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try Self.storeAll(Self.varied, into: store) == Array(repeating: true, count: Self.varied.count))
        #expect(try Self.stored(store) == Self.varied)
        #expect(try Self.stored(store, ResponseFilter(month: "2025-05")) == [Self.varied[2], Self.varied[3]])
        #expect(try Self.stored(store, ResponseFilter(department: "d")) == [Self.varied[3], Self.varied[4]])
        #expect(try Self.stored(store, ResponseFilter(formId: "g")).isEmpty)
        #expect(try Self.stored(store, limit: 2) == Array(Self.varied.prefix(2)))
        #expect(try Self.stored(store, limit: 0).isEmpty)
        try store.read { reader in
            #expect(try reader.count(ResponseFilter()) == 5)
            #expect(try reader.count(ResponseFilter(formId: "f", month: "2025-05")) == 2)
            #expect(try reader.count(ResponseFilter(month: "2025-05", department: "d")) == 1)
            #expect(try reader.hasResponses(ResponseFilter(department: "税务局")))
            #expect(try !reader.hasResponses(ResponseFilter(department: "nobody")))
            #expect(try !reader.hasResponses(ResponseFilter(month: "2025-06")))
            // Responses without a time are counted, but in no month.
            let months = try reader.months(formId: "f")
            #expect(months.map(\.month) == ["2025-04", "2025-05"] && months.map(\.count) == [1, 2])
        }
        // Stored again: every one is found.
        #expect(try Self.storeAll(Self.varied, into: store) == Array(repeating: false, count: Self.varied.count))
    }

    /// A block ends at `capacity` responses or at `bytesPerBlock` bytes, and when the import changes;
    /// ids run on across blocks, and every response is found again whichever block holds it.
    @Test func blocksEndWhereTheyShouldAndEveryResponseIsFoundAgain() throws {
        let (store, folder) = try Self.newStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        let many = (0..<2_500).map { i in
            Response(
                formId: "f", formVersion: 1, key: "r\(i)", submittedAt: nil, month: i < 1_200 ? "2025-01" : "2025-02",
                department: "d\(i % 3)", answers: ["q": .number(Double(i % 5))], source: "s", position: i + 1)
        }
        let large = (0..<3).map { i in
            Response(
                formId: "f", formVersion: 1, key: "big\(i)", submittedAt: nil, month: "2025-03", department: nil,
                answers: ["comment": .text(String(repeating: "长", count: 100_000))], source: "s", position: i)
        }
        #expect(try Self.storeAll(many, into: store).allSatisfy { $0 })
        #expect(try Self.storeAll(large, into: store).allSatisfy { $0 })
        let blocks = try store.execute { db in
            try Row.fetchAll(db, sql: "SELECT id, responses FROM response_block ORDER BY id").map { [$0[0] as Int64, $0[1] as Int64] }
        }
        // 1024 + 1024 + 452 in the first import; the large ones (300 KB each) one to a block.
        let sizes = blocks.map { $0[1] }
        #expect(sizes == [1024, 1024, 452, 1, 1, 1], "\(sizes): \(ResponseBlocks.bytesPerBlock) bytes end a block")
        #expect(blocks.map { $0[0] } == Array(1...6))
        let inFebruaryD1 = many.filter { $0.month == "2025-02" && $0.department == "d1" }.count
        let counts = try store.read { reader in
            try [
                reader.count(ResponseFilter(month: "2025-01")), reader.count(ResponseFilter(month: "2025-02")),
                reader.count(ResponseFilter(month: "2025-02", department: "d1")),
            ]
        }
        #expect(counts == [1_200, 1_300, inFebruaryD1])
        #expect(try Self.stored(store) == many + large)
        #expect(try Self.storeAll(many.reversed() + large, into: store).allSatisfy { !$0 })
    }

    /// What a write transaction has stored and not yet written out in a block is seen by its own
    /// reads and identity checks.
    @Test func aTransactionSeesWhatItHasStored() throws {
        let (store, folder) = try Self.newStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        try store.write { writer in
            let id = try writer.beginImport(formId: "f", source: "test", startedAt: "2025-06-01T08:00:00+08:00")
            for response in Self.varied.prefix(3) { #expect(try writer.insert(response, importId: id)) }
            #expect(try writer.contains(formId: "f", key: "k-3"))
            #expect(try !writer.insert(Self.varied[0], importId: id))
            #expect(try writer.count(ResponseFilter(formId: "f")) == 3)
            for response in Self.varied.dropFirst(3) { #expect(try writer.insert(response, importId: id)) }
            #expect(try writer.count(ResponseFilter(month: "2025-05")) == 2)
            #expect(try !writer.insert(Self.varied[4], importId: id))
        }
        #expect(try Self.stored(store) == Self.varied)
    }

    /// A damaged block is named in a clear error, by reads and by the identity check alike.
    @Test func aDamagedBlockIsNamedNotACrash() throws {
        let (store, folder) = try Self.newStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try Self.storeAll(Self.varied, into: store)
        let queue = try DatabaseQueue(path: folder.appendingPathComponent("store.sqlite").path)
        try queue.write { db in try db.execute(sql: "UPDATE response_block SET data = substr(data, 1, 40)") }
        let read = #expect(throws: StoreError.self) { _ = try Self.stored(store) }
        #expect(read?.message.contains("block 1 of the store's responses is damaged") == true, "\(read?.message ?? "")")
        let check = #expect(throws: StoreError.self) { _ = try Self.storeAll([Self.varied[2]], into: store) }
        #expect(check?.message.contains("block 1") == true, "\(check?.message ?? "")")
    }

    /// Each response encodes and decodes to itself, and a block cut anywhere fails to decode
    /// instead of reading past its end.
    @Test func theCodecRoundTripsAndRefusesCutBlocks() throws {
        var writer = BlockCodec.Writer(keys: nil)
        let responses = Self.varied + [Self.numbers, Self.varied[0]]
        for response in responses { writer.append(EncodedResponse(response)) }
        let bytes = writer.bytes
        #expect(bytes.starts(with: [0x80, 0x00, 0x02, 0x00]))
        var decoded: [Response] = []
        try bytes.withUnsafeBytes { try BlockCodec.forEach(in: $0) { decoded.append($0.response(formId: "f")) } }
        #expect(decoded == responses)
        // Equal as numbers is not enough: -0.0 keeps its sign, and every bit of the others is kept.
        let numbers = decoded[Self.varied.count].answers.mapValues { $0.number?.bitPattern }
        #expect(numbers == Self.numbers.answers.mapValues { $0.number?.bitPattern })
        let (offsets, version) = try bytes.withUnsafeBytes { try BlockCodec.offsets(in: $0) }
        #expect(version == 2)
        #expect(offsets.count == responses.count)
        #expect(bytes.withUnsafeBytes { b in offsets.map { BlockCodec.key(in: b, at: $0) } } == responses.map(\.key))
        for cut in stride(from: 1, to: bytes.count, by: 3) where !offsets.contains(cut) {
            let prefix = Array(bytes.prefix(cut))
            #expect(throws: BlockCodec.Malformed.self) { try prefix.withUnsafeBytes { try BlockCodec.forEach(in: $0) { _ in } } }
        }
        // A later version of the compact form is not read as this one.
        var later = bytes
        later[2] = 3
        #expect(throws: BlockCodec.Malformed.self) { try later.withUnsafeBytes { try BlockCodec.forEach(in: $0) { _ in } } }
    }

    /// Numbers at the edges of the compact form: whole ones up to 2^53, and those written as their bits.
    static let numbers = Response(
        formId: "f", formVersion: 1, key: "k-n", submittedAt: nil, month: nil, department: nil,
        answers: [
            "zero": .number(0), "minus zero": .number(-0.0), "big": .number(9_007_199_254_740_991),
            "bigger": .number(9_007_199_254_740_992), "negative": .number(-9_007_199_254_740_991), "huge": .number(1e300),
            "tiny": .number(5e-324), "third": .number(1.0 / 3),
            "min": .number(-Double.greatestFiniteMagnitude), "q_overall": .number(5), "none": .choices([]), "na": .notApplicable,
        ], source: "a.csv", position: 9)

    /// A block lists the ids its answers are numbered by: responses numbered by other keys start a
    /// block of their own, responses that name their ids go in any block, and all read back.
    @Test func responsesNumberedByOtherKeysStartABlock() throws {
        let (store, folder) = try Self.newStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        let form = try FormDecoder(baseDirectory: Fixtures.directory).load(Fixtures.url("valid-mini.json")).get()
        let (first, second) = (AnswerKeys(form: form), AnswerKeys(form: form))
        let responses = (0..<4).map { i in
            Response(
                formId: "f", formVersion: 1, key: "k\(i)", submittedAt: nil, month: nil, department: nil,
                answers: ["overall": .number(Double(i)), "comment": .text("好"), "other": .text("x")], source: "s", position: i)
        }
        let keys: [AnswerKeys?] = [first, nil, second, first]
        try store.write { writer in
            let id = try writer.beginImport(formId: "f", source: "test", startedAt: "2025-06-01T08:00:00+08:00")
            for (r, k) in zip(responses, keys) { #expect(try writer.insert(EncodedResponse(r, keys: k, digest: nil), importId: id)) }
        }
        #expect(try Self.stored(store) == responses)
        let blocks = try DatabaseQueue(path: folder.appendingPathComponent("store.sqlite").path).read { db in
            try Int.fetchAll(db, sql: "SELECT responses FROM response_block ORDER BY id")
        }
        #expect(blocks == [2, 1, 1])
    }

    /// A store that a newer build has migrated further is refused with what to do, not misread.
    @Test func aStoreOfANewerFormatIsRefused() throws {
        let (store, folder) = try Self.newStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try Self.storeAll(Self.varied, into: store)
        let path = folder.appendingPathComponent("store.sqlite").path
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from a later version')")
        }
        let error = #expect(throws: StoreError.self) { _ = try SQLiteStore(path: path) }
        #expect(error?.message.contains("written by a newer version of feedback") == true, "\(error?.message ?? "")")
    }

    /// Responses encoded by hand as blocks before v10 kept them: fields in full, each answer
    /// appended by `answers`.
    static func encodedBeforeV10(_ responses: [Response], answers: (Response, inout [UInt8]) -> Void) -> [UInt8] {
        var earlier: [UInt8] = []
        var source: String?
        for r in responses {
            func optional(_ text: String?) {
                guard let text else { return earlier.append(0) }
                BlockCodec.appendNumber(UInt64(text.utf8.count) + 1, to: &earlier)
                earlier.append(contentsOf: text.utf8)
            }
            BlockCodec.appendNumber(UInt64(r.formVersion), to: &earlier)
            BlockCodec.appendText(r.key, to: &earlier)
            optional(r.submittedAt)
            optional(r.month)
            optional(r.department)
            answers(r, &earlier)
            let other = r.otherText.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            optional(other.isEmpty ? nil : SQLiteWriter.encodeStrings(other))
            optional(r.extra.isEmpty ? nil : SQLiteWriter.encodeStrings(r.extra))
            optional(source == r.source ? nil : r.source)
            source = r.source
            BlockCodec.appendSigned(Int64(r.position), to: &earlier)
        }
        return earlier
    }

    /// Puts `data` in place of the store's only block, and checks that it reads back as `varied`
    /// and that the identity check finds each of them in it.
    static func expectReadBack(_ data: [UInt8], store: SQLiteStore, folder: URL) throws {
        let queue = try DatabaseQueue(path: folder.appendingPathComponent("store.sqlite").path)
        try queue.write { db in try db.execute(sql: "UPDATE response_block SET data = ?", arguments: [Data(data)]) }
        #expect(try Self.stored(store) == Self.varied)
        #expect(try Self.stored(store, ResponseFilter(department: "d")) == [Self.varied[3], Self.varied[4]])
        #expect(try Self.storeAll(Self.varied, into: store) == Array(repeating: false, count: Self.varied.count))
    }

    /// Blocks written before v9, with each response's answers as JSON and no marker, read as they did.
    @Test func blocksOfTheEarlierFormReadBack() throws {
        let (store, folder) = try Self.newStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try Self.storeAll(Self.varied, into: store)
        let earlier = Self.encodedBeforeV10(Self.varied) { r, out in BlockCodec.appendText(r.answersJSON, to: &out) }
        try Self.expectReadBack(earlier, store: store, folder: folder)
    }

    /// Blocks of v9, in the compact form with keys, times and months in full, read as they did.
    @Test func compactBlocksOfV9ReadBack() throws {
        let (store, folder) = try Self.newStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try Self.storeAll(Self.varied, into: store)
        // The marker of version 1 and no ids: each answer names its id.
        let records = Self.encodedBeforeV10(Self.varied) { r, out in
            var answers: [UInt8] = []
            for (id, answer) in r.answers.sorted(by: { $0.key < $1.key }) {
                BlockCodec.append(answer, number: 0, id: id, to: &answers)
            }
            BlockCodec.appendNumber(UInt64(answers.count), to: &out)
            out += answers
        }
        let v9 = [0x80, 0x00, 0x01, 0x00] + records
        try Self.expectReadBack(v9, store: store, folder: folder)
    }

    /// The kernel is asked to start writing a store to disk through the descriptor SQLite holds on
    /// it (found among the process's open files), inside a transaction as an import asks; never
    /// for a database without a file.
    @Test func writebackFindsTheStoresDescriptor() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("w.sqlite").path
        // A store opened first, on the same disk, must not be taken for it.
        let other = try DatabaseQueue(path: dir.url.appendingPathComponent("other.sqlite").path)
        try other.write { try $0.execute(sql: "CREATE TABLE t (b BLOB)") }
        let queue = try DatabaseQueue(path: path)
        let (fd, started) = try queue.write { db -> (Int32, Int32) in
            try db.execute(sql: "PRAGMA cache_size = 16; CREATE TABLE t (b BLOB)")
            try db.execute(sql: "INSERT INTO t VALUES (zeroblob(4000000))")
            let connection = try #require(db.sqliteConnection)
            return (feedback_sqlite_file_descriptor(connection), feedback_sqlite_start_writeback(connection))
        }
        #if os(Linux)
        var file = stat()
        var seen = stat()
        #expect(stat(path, &file) == 0 && fstat(fd, &seen) == 0)
        #expect(seen.st_ino == file.st_ino && seen.st_dev == file.st_dev, "the descriptor is the store's")
        #expect(started == 0)
        #else
        #expect(fd == -1 && started == -1)
        #endif
        let memory = try DatabaseQueue()
        #expect(try memory.write { db in feedback_sqlite_start_writeback(try #require(db.sqliteConnection)) } == -1)
        // A store whose file is gone (deleted while open) is not one to write back.
        let gone = try DatabaseQueue(path: dir.url.appendingPathComponent("gone.sqlite").path)
        try gone.write { try $0.execute(sql: "CREATE TABLE t (b BLOB)") }
        try FileManager.default.removeItem(at: dir.url.appendingPathComponent("gone.sqlite"))
        #expect(try gone.write { db in feedback_sqlite_start_writeback(try #require(db.sqliteConnection)) } == -1)
    }
}
