import CSQLiteTuning
import GRDB

// Store format v6: responses in blocks.
//
// A response used to be a row of its own, with an index on (form, month, department) beside it.
// SQLite alone, given those rows ready made, needed about 4 s of a core to store a million of them
// through its C API (bench/README.md, ninth round): more than DuckDB's whole import of the same
// file. A block holds up to `ResponseBlocks.capacity` responses of one form and one import, in the
// order they were stored, encoded one after the other (`BlockCodec`); `block_month` counts each
// block's responses by month, which is what reports, counts and digest checks ask. Storing a
// million responses writes about a thousand blocks.
//
// A response's id is its block's id times `capacity` plus its place in the block, so ids keep the
// order responses were stored in, as row ids did (the identity runs and the digests refer to them).

/// The responses of the store, in blocks, seen from one connection inside one transaction.
final class ResponseBlocks {
    /// Responses a block holds at most; a response's id is `block * capacity + slot`.
    static let capacity: Int64 = 1024
    /// A block is written once its encoded responses reach this many bytes, whatever their number.
    static let bytesPerBlock = 256 * 1024

    private let db: Database
    /// The block being filled by this transaction; written when full, when the form or the import
    /// changes, and before anything reads the store through this object.
    private var open: OpenBlock?
    private var nextBlock: Int64?
    /// The last block read back, for identity checks that land in it again and again (a file
    /// imported twice checks every record against the same few blocks in turn).
    private var cached: (id: Int64, view: BlockView)?
    private var insertBlock: DirectStatement?
    private var insertMonth: DirectStatement?
    private var readBlock: DirectStatement?

    init(_ db: Database) {
        self.db = db
    }

    private struct OpenBlock {
        let id: Int64
        let formId: String
        let importId: Int64
        var writer: BlockCodec.Writer
        var offsets: [Int] = []
        /// How many responses of each month, in the order first met.
        var months: [(month: String, responses: Int64)] = []

        /// Appends a response, which `write` writes, and returns its id.
        mutating func add(month: String?, write: (inout BlockCodec.Writer) -> Void) -> Int64 {
            let slot = Int64(offsets.count)
            offsets.append(writer.bytes.count)
            write(&writer)
            // Responses mostly come in runs of one month: the last one is checked first.
            let month = ResponseBlocks.monthKey(month)
            if let last = months.indices.last, months[last].month == month {
                months[last].responses += 1
            } else if let i = months.firstIndex(where: { $0.month == month }) {
                months[i].responses += 1
            } else {
                months.append((month, 1))
            }
            return id * ResponseBlocks.capacity + slot
        }
    }

    /// The v6 tables.
    static func createTables(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE response_block (
                    id INTEGER PRIMARY KEY,
                    form_id TEXT NOT NULL,
                    import_id INTEGER NOT NULL REFERENCES import(id),
                    responses INTEGER NOT NULL,
                    data BLOB NOT NULL
                );
                CREATE TABLE block_month (
                    form_id TEXT NOT NULL,
                    month TEXT NOT NULL,
                    block INTEGER NOT NULL,
                    responses INTEGER NOT NULL,
                    PRIMARY KEY (form_id, month, block)
                ) WITHOUT ROWID;
                """)
    }

    /// The month as `block_month` keeps it: "" for responses without a time.
    static func monthKey(_ month: String?) -> String { month ?? "" }

    /// Adds a response to the open block and returns its id.
    func add(_ response: EncodedResponse, importId: Int64) throws -> Int64 {
        try add(formId: response.formId, keys: response.keys, month: response.month, importId: importId) { $0.append(response) }
    }

    /// Adds a response of the form whose answer keys are `keys`, which `write` writes, and returns its id.
    func add(
        formId: String, keys: AnswerKeys?, month: String?, importId: Int64, write: (inout BlockCodec.Writer) -> Void
    ) throws -> Int64 {
        if let block = open,
            block.formId != formId || block.importId != importId || block.offsets.count == Int(Self.capacity)
                || block.writer.bytes.count >= Self.bytesPerBlock || !block.writer.fits(keys.map(ObjectIdentifier.init))
        {
            try flush()
        }
        // Taken out and put back, so that its bytes are changed in place rather than copied.
        var block: OpenBlock
        if let taken = open.take() {
            block = taken
        } else {
            let id = try nextBlock ?? ((try Int64.fetchOne(db, sql: "SELECT max(id) FROM response_block") ?? 0) + 1)
            nextBlock = id + 1
            block = OpenBlock(id: id, formId: formId, importId: importId, writer: BlockCodec.Writer(keys: keys))
            block.writer.reserveCapacity(Self.bytesPerBlock + 4096)
        }
        let id = block.add(month: month, write: write)
        open = block
        return id
    }

    /// Blocks written by this object since the kernel was last asked to start writing the store
    /// to disk (`feedback_sqlite_start_writeback`), which it is every `blocksPerWriteback`.
    private var blocksSinceWriteback = 0
    /// About 8 MB of blocks (for speed: a 1M import's commit waited 0.1 s for its sync, which
    /// wrote the whole store; started along the way, the writing overlaps the import, and the
    /// sync waited 26 ms; bench/README.md, twenty-first round).
    static let blocksPerWriteback = 32

    /// Writes the open block, if any.
    func flush() throws {
        guard let block = open else { return }
        open = nil
        blocksSinceWriteback += 1
        if blocksSinceWriteback == Self.blocksPerWriteback {
            blocksSinceWriteback = 0
            if let connection = db.sqliteConnection { _ = feedback_sqlite_start_writeback(connection) }
        }
        try DirectStatement.reused(
            &insertBlock, db, sql: "INSERT INTO response_block (id, form_id, import_id, responses, data) VALUES (?, ?, ?, ?, ?)"
        ).execute(.int(block.id), .text(block.formId), .int(block.importId), .int(block.offsets.count), .blob(block.writer.bytes))
        let month = try DirectStatement.reused(
            &insertMonth, db, sql: "INSERT INTO block_month (form_id, month, block, responses) VALUES (?, ?, ?, ?)")
        for (name, count) in block.months { try month.execute(.text(block.formId), .text(name), .int(block.id), .int(count)) }
    }

    /// Whether the response with this id is of this form and has this key.
    func isResponse(_ id: Int64, formId: String, key: String) throws -> Bool {
        let blockId = id / Self.capacity
        let slot = Int(id % Self.capacity)
        if let block = open, block.id == blockId {
            guard block.formId == formId, slot < block.offsets.count else { return false }
            return block.writer.bytes.withUnsafeBytes { BlockCodec.key(in: $0, at: block.offsets[slot]) == key }
        }
        if cached?.id != blockId {
            cached = nil
            var found: BlockView?
            try DirectStatement.reused(&readBlock, db, sql: "SELECT form_id, data FROM response_block WHERE id = ?")
                .forEachRow(.int(blockId)) { row in
                    found = try Self.reading(block: blockId) { try BlockView(formId: row.text(0), data: row.blob(1)) }
                }
            guard let found else { return false }
            cached = (blockId, found)
        }
        guard let view = cached?.view, view.formId == formId, slot < view.offsets.count else { return false }
        return view.data.withUnsafeBytes { BlockCodec.key(in: $0, at: view.offsets[slot], version: view.version) == key }
    }

    /// A block read back, with where each response starts in it.
    private struct BlockView {
        let formId: String
        let data: [UInt8]
        let offsets: [Int]
        /// The encoding of its responses (see `BlockCodec.marker`).
        let version: UInt8

        init(formId: String, data: [UInt8]) throws {
            self.formId = formId
            self.data = data
            (offsets, version) = try data.withUnsafeBytes { try BlockCodec.offsets(in: $0) }
        }
    }

    /// Calls `body` with each response of the blocks a query returns, as decoded (with its id, its
    /// block's import and form), in the order the query gives them; `body` returns false to stop.
    /// The query returns each block's id, form, import id and data, in that order. Callers make a
    /// `Response` only of the records they keep (for speed: that parses the answers JSON).
    func forEachRecord(
        sql: String, arguments: [DirectStatement.Value],
        _ body: (_ id: Int64, _ importId: Int64, _ formId: String, _ record: BlockCodec.Record) throws -> Bool
    ) throws {
        try flush()
        var keepGoing = true
        try DirectStatement(db, sql: sql).forEachRow(arguments) { row in
            guard keepGoing else { return }
            let blockId = row.int(0)
            let formId = row.text(1)
            let importId = row.int(2)
            var slot: Int64 = 0
            try Self.reading(block: blockId) {
                try row.withBlob(3) { bytes in
                    try BlockCodec.forEach(in: bytes) { record in
                        guard keepGoing else { return }
                        keepGoing = try body(blockId * Self.capacity + slot, importId, formId, record)
                        slot += 1
                    }
                }
            }
        }
    }

    /// Runs `body`, which reads a block, and names the block when it cannot be read.
    private static func reading<T>(block: Int64, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch is BlockCodec.Malformed {
            throw StoreError(
                "block \(block) of the store's responses is damaged and cannot be read; restore the store from a copy, or import its sources again into a new store"
            )
        }
    }

    /// The v6 migration: every stored response moves into blocks, in the order of its row id. The
    /// identity runs are rebuilt with the new ids, and the digests are emptied: each month's is rebuilt
    /// by the next import into it or the next report of it (see ReportDigest.swift).
    static func migrate(_ db: Database) throws {
        try createTables(db)
        let blocks = ResponseBlocks(db)
        try db.execute(sql: "CREATE TEMP TABLE moved_identity (hash INTEGER NOT NULL, id INTEGER NOT NULL)")
        let moved = try DirectStatement(db, sql: "INSERT INTO temp.moved_identity (hash, id) VALUES (?, ?)")
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT form_id, form_version, response_key, submitted_at, month, department, answers, other, extra, source, position,
                       import_id, key_hash
                FROM response ORDER BY id
                """)
        while let row = try rows.next() {
            let response = EncodedResponse(
                formId: row[0], formVersion: row[1], key: row[2], keyHash: row[12], submittedAt: row[3], month: row[4], department: row[5],
                answers: Array((row[6] as String).utf8), other: row[7], extra: row[8], source: row[9], position: row[10])
            let id = try blocks.add(response, importId: row[11])
            try moved.execute(.int(response.keyHash), .int(id))
        }
        try blocks.flush()
        try db.execute(
            sql: """
                DELETE FROM identity;
                DELETE FROM identity_run;
                INSERT INTO identity (run, hash, id) SELECT 1, hash, id FROM temp.moved_identity ORDER BY hash, id;
                INSERT INTO identity_run (run, entries) SELECT 1, COUNT(*) FROM identity HAVING COUNT(*) > 0;
                DROP TABLE temp.moved_identity;
                DELETE FROM digest_tally;
                DELETE FROM digest_comment;
                DELETE FROM digest_bad_review;
                DROP TABLE response;
                """)
    }
}

/// How a block's responses are encoded: each response's fields one after the other, each text as
/// its length and its UTF-8 bytes, numbers as variable-length integers (LEB128). Written by hand:
/// a block is read and written for every response an import stores, and a general encoder (JSON,
/// property lists) would cost more than SQLite's own work on the block.
///
/// A block (store format v9) starts with `marker`, then the question ids its answers are numbered
/// by: their count, then each as a text (the sorted ids of the import's form). A response: form
/// version; key; time, month, department (optional texts); answers (below); other texts and extra
/// columns (optional texts, as `SQLiteWriter.encodeStrings` writes them); source; position. An
/// optional text is its length plus one, or 0 when absent. The source is 0 when it is the one of
/// the response before it in the block (an import's responses share theirs), else its length plus
/// one. The position is zigzag-encoded (it may be any `Int`). Since v10 (version 2 of `marker`) the
/// key, the time and the month have short forms (`appendFields`, CompactFields.swift).
///
/// Answers: their length in bytes, then each answer in the order of its question id: a number that
/// holds its id's place in the block's list (from 1) times 8 plus the kind of answer, the id itself
/// as a text when that place is 0 (an id the list lacks), then the value. Kinds: 0 not applicable;
/// 1 a whole number, zigzag-encoded; 2 any other number, its 8 bytes (IEEE 754, little-endian); 3
/// a text; 4 choices, their count then each as a text; since v10, 5 a text of digits, as the
/// number they spell (`CompactFields.digits`). A response is encoded apart from the block
/// it goes in but for its source and position (`record`), so the reading thread of an import
/// encodes it. Blocks written before v9 have no marker and no ids, and each response's answers are
/// a text, the answers JSON (`Response.answersJSON`); they are read as they are. The compact form
/// halves a store (a million bench responses: 372 MB of blocks with the JSON), and on this kind of
/// machine the kernel's copying of the pages written was a quarter of the storing thread's time.
enum BlockCodec {
    struct Malformed: Error {}

    /// The first bytes of a block in the compact form: a number written in two bytes (0x80 0x00)
    /// where `appendNumber` writes one, so no block written before it can start with them; then the
    /// version of the encoding of its responses: 1 for store format v9, 2 since v10 (keys, times,
    /// months and digit texts in short form, see CompactFields.swift).
    static let marker: [UInt8] = [0x80, 0x00, recordVersion]
    /// The version of the encoding this build writes (`marker`); a response encoded alone (`record`)
    /// is in it too.
    static let recordVersion: UInt8 = 2

    /// Writes a block whose answers are numbered by `keys`.
    struct Writer {
        private(set) var bytes = BlockCodec.marker
        let keys: AnswerKeys?
        private let keysIdentity: ObjectIdentifier?
        private var lastSource: String?

        init(keys: AnswerKeys?) {
            self.keys = keys
            keysIdentity = keys.map(ObjectIdentifier.init)
            let ids = keys?.ids ?? []
            appendNumber(UInt64(ids.count), to: &bytes)
            for id in ids { appendText(id, to: &bytes) }
        }

        mutating func reserveCapacity(_ count: Int) { bytes.reserveCapacity(count) }

        /// Whether the response's answers are numbered as this block's are (or name their ids).
        /// By the keys' identity, which the response holds as a value (for speed: comparing the
        /// objects retained them on this thread while the reading thread retained them too, and the
        /// two cores passed their count back and forth; see bench/README.md, fourteenth round).
        func fits(_ keys: ObjectIdentifier?) -> Bool { keys == nil || keys == keysIdentity }

        mutating func append(_ r: EncodedResponse) {
            precondition(fits(r.keysIdentity), "a response goes in a block whose ids number its answers")
            r.record.withUnsafeBytes { append(record: $0, source: r.source, position: r.position) }
        }

        /// Appends a response given as its fields up to its source (`BlockCodec.record`), whose
        /// answers are numbered by this block's keys or name their ids.
        mutating func append(record: UnsafeRawBufferPointer, source: String, position: Int) {
            bytes.append(contentsOf: record)
            // The source is kept only when it changes (for speed, as above: it is one String shared
            // by every response of the file).
            if lastSource == source {
                bytes.append(0)
            } else {
                appendOptional(source, to: &bytes)
                lastSource = source
            }
            appendSigned(Int64(position), to: &bytes)
        }
    }

    /// A response's fields up to its source, as a block keeps them; `answers` appends the answers.
    /// Written in `scratch` (see ScratchBytes), which the caller may reuse for the next record.
    static func record(
        formVersion: Int, key: String, submittedAt: String?, month: String?, department: String?, other: String?, extra: String?,
        scratch: ScratchBytes = ScratchBytes(), answers: (inout ScratchBytes) -> Void
    ) -> [UInt8] {
        var out = scratch
        out.removeAll()
        key.withUTF8Bytes {
            appendFields(formVersion: formVersion, key: $0, submittedAt: submittedAt, month: month, department: department, to: &out)
        }
        // The answers' length goes before them: they are written after a byte kept for it, and
        // moved along in the rare case that the length takes more.
        let lengthAt = out.count
        out.append(0)
        answers(&out)
        let length = out.count - lengthAt - 1
        if length < 0x80 {
            out[lengthAt] = UInt8(length)
        } else {
            var prefix: [UInt8] = []
            appendNumber(UInt64(length), to: &prefix)
            out.open(at: lengthAt + 1, by: prefix.count - 1)
            for (i, byte) in prefix.enumerated() { out[lengthAt + i] = byte }
        }
        appendOptional(other, to: &out)
        appendOptional(extra, to: &out)
        return out.bytes
    }

    /// A record's fields before its answers, the key given as its UTF-8 bytes.
    static func appendFields<Out: ByteOutput>(
        formVersion: Int, key: UnsafeBufferPointer<UInt8>, submittedAt: String?, month: String?, department: String?,
        to out: inout Out
    ) {
        (submittedAt ?? "").withUTF8Bytes { time in
            (month ?? "").withUTF8Bytes { monthText in
                appendFields(
                    formVersion: formVersion, key: key, submittedAt: submittedAt == nil ? nil : UnsafeRawBufferPointer(time),
                    month: month == nil ? nil : UnsafeRawBufferPointer(monthText), department: department, to: &out)
            }
        }
    }

    /// The same with the time and the month given as their UTF-8 bytes; `timeIsCanonical` where
    /// the time is known to be one `Timestamp.isCanonical` accepts.
    static func appendFields<Out: ByteOutput>(
        formVersion: Int, key: UnsafeBufferPointer<UInt8>, submittedAt: UnsafeRawBufferPointer?, month: UnsafeRawBufferPointer?,
        department: String?, timeIsCanonical: Bool = false, to out: inout Out
    ) {
        appendNumber(UInt64(truncatingIfNeeded: formVersion), to: &out)
        // The key: 0 then its 16 bytes for a UUID, else its length plus one and its bytes.
        if let (high, low) = CompactFields.uuid(key) {
            out.append(0)
            withUnsafeBytes(of: (high.littleEndian, low.littleEndian)) { out.append(contentsOf: $0.assumingMemoryBound(to: UInt8.self)) }
        } else {
            appendNumber(UInt64(key.count) + 1, to: &out)
            out.append(contentsOf: key)
        }
        // The time: 0 for none; 1 then `CompactFields.time`'s number in its bytes (little-endian) for
        // one as `Timestamp.iso` writes it; else its length plus two and its bytes.
        if let submittedAt {
            if let word = timeIsCanonical ? CompactFields.time(canonical: submittedAt) : CompactFields.time(submittedAt) {
                out.append(1)
                withUnsafeBytes(of: word.littleEndian) { bytes in
                    let low = bytes.assumingMemoryBound(to: UInt8.self)[..<CompactFields.timeBytes]
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: low))
                }
            } else {
                appendNumber(UInt64(submittedAt.count) + 2, to: &out)
                out.append(contentsOf: submittedAt.assumingMemoryBound(to: UInt8.self))
            }
        } else {
            out.append(0)
        }
        // The month: 0 for none; 1 for the time's first seven characters; else its length plus two
        // and its bytes.
        if let month {
            if let submittedAt, month.count == 7, submittedAt.count >= 7,
                month.baseAddress == submittedAt.baseAddress || (0..<7).allSatisfy({ month[$0] == submittedAt[$0] })
            {
                out.append(1)
            } else {
                appendNumber(UInt64(month.count) + 2, to: &out)
                out.append(contentsOf: month.assumingMemoryBound(to: UInt8.self))
            }
        } else {
            out.append(0)
        }
        appendOptional(department, to: &out)
    }

    /// Appends an answer under the id at place `number` of the block's list, or under `id` (number 0).
    static func append<Out: ByteOutput>(_ answer: Answer, number: Int, id: String?, to out: inout Out) {
        let head = UInt64(number) << 3
        switch answer {
        case .notApplicable:
            appendHead(head | 0, id: id, to: &out)
        case .number(let v):
            // Whole numbers below 2^53 (and not -0.0) as integers; `Int64(exactly:)` is nil for
            // every fraction, infinity and NaN.
            if let whole = Int64(exactly: v), whole.magnitude < 1 << 53, !(v == 0 && v.sign == .minus) {
                appendHead(head | 1, id: id, to: &out)
                appendSigned(whole, to: &out)
            } else {
                appendHead(head | 2, id: id, to: &out)
                withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0.assumingMemoryBound(to: UInt8.self)) }
            }
        case .text(let text):
            text.withUTF8Bytes { bytes in
                if let value = CompactFields.digits(bytes) {
                    appendHead(head | 5, id: id, to: &out)
                    appendNumber(value, to: &out)
                } else {
                    appendHead(head | 3, id: id, to: &out)
                    appendText(bytes: bytes, to: &out)
                }
            }
        case .choices(let values):
            appendHead(head | 4, id: id, to: &out)
            appendNumber(UInt64(values.count), to: &out)
            for value in values { appendText(value, to: &out) }
        }
    }

    /// An answer's head, and `id` when the head has no number.
    @inline(__always)
    private static func appendHead<Out: ByteOutput>(_ head: UInt64, id: String?, to out: inout Out) {
        appendNumber(head, to: &out)
        if head >> 3 == 0 { appendText(id ?? "", to: &out) }
    }

    /// Appends a number that may be negative, zigzag-encoded (0, -1, 1, -2, … as 0, 1, 2, 3, …) as LEB128.
    static func appendSigned<Out: ByteOutput>(_ value: Int64, to out: inout Out) {
        appendNumber(UInt64(bitPattern: (value << 1) ^ (value >> 63)), to: &out)
    }

    /// Appends `value` as LEB128: seven bits a byte, low bits first, the high bit set on all but the last.
    @inline(__always)
    static func appendNumber<Out: ByteOutput>(_ value: UInt64, to out: inout Out) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    static func appendText<Out: ByteOutput>(_ text: String, to out: inout Out) {
        text.withUTF8Bytes { appendText(bytes: $0, to: &out) }
    }

    /// A text given as its UTF-8 bytes: its length, then the bytes.
    @inline(__always)
    static func appendText<Out: ByteOutput>(bytes: UnsafeBufferPointer<UInt8>, to out: inout Out) {
        appendNumber(UInt64(bytes.count), to: &out)
        out.append(contentsOf: bytes)
    }

    /// `append(.text(…), number:, id: nil)` for a text given as its UTF-8 bytes that is not a digit
    /// text (`CompactFields.digits`), under a number above 0 (the lean path of an import copies a
    /// cell's bytes this way).
    @inline(__always)
    static func appendTextAnswer<Out: ByteOutput>(bytes: UnsafeBufferPointer<UInt8>, number: Int, to out: inout Out) {
        precondition(number > 0, "an answer written without its id has a number")
        appendHead(UInt64(number) << 3 | 3, id: nil, to: &out)
        appendText(bytes: bytes, to: &out)
    }

    /// `append(.text(…), number:, id: nil)` for a digit text of this value (`CompactFields.digits`).
    @inline(__always)
    static func appendDigitsAnswer<Out: ByteOutput>(_ value: UInt64, number: Int, to out: inout Out) {
        precondition(number > 0, "an answer written without its id has a number")
        appendHead(UInt64(number) << 3 | 5, id: nil, to: &out)
        appendNumber(value, to: &out)
    }

    static func appendOptional<Out: ByteOutput>(_ text: String?, to out: inout Out) {
        guard let text else { return out.append(0) }
        text.withUTF8Bytes { appendOptional(bytes: UnsafeRawBufferPointer($0), to: &out) }
    }

    /// An optional text given as its UTF-8 bytes.
    @inline(__always)
    static func appendOptional<Out: ByteOutput>(bytes: UnsafeRawBufferPointer?, to out: inout Out) {
        guard let bytes else { return out.append(0) }
        appendNumber(UInt64(bytes.count) + 1, to: &out)
        out.append(contentsOf: bytes.assumingMemoryBound(to: UInt8.self))
    }

    /// A response as decoded from a block.
    struct Record {
        var formVersion: Int
        var key: String
        var submittedAt: String?
        var month: String?
        var department: String?
        var answers: Answers
        var other: String?
        var extra: String?
        var source: String
        var position: Int

        /// Answers as a block keeps them: decoded (the compact form) or the answers JSON, which is
        /// parsed only for a response that is made (for speed: most readers skip most responses).
        enum Answers {
            case decoded([String: Answer])
            case json(String)

            var byId: [String: Answer] {
                switch self {
                case .decoded(let answers): answers
                case .json(let text): Response.decodeAnswers(text)
                }
            }
        }

        func response(formId: String) -> Response {
            Response(
                formId: formId, formVersion: formVersion, key: key, submittedAt: submittedAt, month: month, department: department,
                answers: answers.byId,
                otherText: SQLiteWriter.decodeStrings(other).reduce(into: [:]) { $0[$1.0] = $1.1 },
                extra: SQLiteWriter.decodeStrings(extra), source: source, position: position)
        }
    }

    /// Reads a block from the start (or from `at`).
    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var at: Int
        /// The encoding of the responses read (see `marker`), which `blockStart` sets; 1 also for a
        /// block of the earlier form (answers JSON).
        var version = BlockCodec.recordVersion

        @inline(__always)
        mutating func number() throws -> UInt64 {
            // Inline for a number of one byte, as most are (for speed: a record holds dozens).
            if at < bytes.count, bytes[at] < 0x80 {
                at += 1
                return UInt64(bytes[at - 1])
            }
            return try longNumber()
        }

        private mutating func longNumber() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard at < bytes.count, shift < 64 else { throw Malformed() }
                let byte = bytes[at]
                at += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }

        /// A number written by `appendSigned`.
        mutating func signed() throws -> Int64 {
            let zigzag = try number()
            return Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1)))
        }

        mutating func span(_ count: UInt64) throws -> UnsafeRawBufferPointer {
            guard count <= UInt64(bytes.count - at) else { throw Malformed() }
            let start = at
            at += Int(count)
            return UnsafeRawBufferPointer(rebasing: bytes[start..<at])
        }

        mutating func text() throws -> String {
            String(decoding: try span(number()), as: UTF8.self)
        }

        mutating func optional() throws -> String? {
            try optionalSpan().map { String(decoding: $0, as: UTF8.self) }
        }

        /// The bytes of a text written by `appendOptional`; nil where it wrote none.
        mutating func optionalSpan() throws -> UnsafeRawBufferPointer? {
            let n = try number()
            return n == 0 ? nil : try span(n - 1)
        }

        mutating func skipText() throws {
            _ = try span(number())
        }

        mutating func skipOptional() throws {
            let n = try number()
            if n > 0 { _ = try span(n - 1) }
        }

        /// A response's key.
        mutating func key() throws -> KeptText {
            guard version >= 2 else { return .bytes(try span(number())) }
            let n = try number()
            return n == 0 ? .uuid(try span(16)) : .bytes(try span(n - 1))
        }

        /// A response's time; nil where it has none.
        mutating func time() throws -> KeptText? {
            guard version >= 2 else { return try optionalSpan().map(KeptText.bytes) }
            switch try number() {
            case 0: return nil
            case 1:
                let bytes = try span(UInt64(CompactFields.timeBytes))
                // Its bytes (little-endian) as one number, read as a word where the block goes on
                // for two more bytes (for speed: a byte at a time was a tenth of reading a record back).
                var word: UInt64 = 0
                if at &+ 2 <= self.bytes.count, let base = bytes.baseAddress {
                    word = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self)) & ((1 << (8 * UInt64(CompactFields.timeBytes))) - 1)
                } else {
                    for (i, byte) in bytes.enumerated() { word |= UInt64(byte) << (8 * i) }
                }
                guard CompactFields.isTime(word) else { throw Malformed() }
                return .time(word)
            case let n: return .bytes(try span(n - 2))
            }
        }

        /// A response's month, after its time `time`; nil where it has none.
        mutating func month(time: String?) throws -> String? {
            guard version >= 2 else { return try optional() }
            switch try number() {
            case 0: return nil
            case 1:
                // Its first seven bytes, as `appendFields` compared them (not characters).
                guard let time, time.utf8.count >= 7 else { throw Malformed() }
                return String(decoding: time.utf8.prefix(7), as: UTF8.self)
            case let n: return String(decoding: try span(n - 2), as: UTF8.self)
            }
        }

        /// Passes over a response's month (after its time).
        mutating func skipMonth() throws {
            guard version >= 2 else { return try skipOptional() }
            let n = try number()
            if n > 1 { _ = try span(n - 2) }
        }

        /// Reads a block's start: the ids its answers are numbered by, or nil for a block of the
        /// earlier form (answers JSON).
        mutating func blockStart() throws -> [String]? {
            guard bytes.count >= 2, bytes[0] == 0x80, bytes[1] == 0 else {
                version = 1
                return nil
            }
            // The marker of the compact form; a later version is one this build cannot read.
            guard bytes.count >= 3, (1...BlockCodec.recordVersion).contains(bytes[2]) else { throw Malformed() }
            version = bytes[2]
            at = 3
            let count = try number()
            // Each id takes a byte at least: a count past the bytes left is damage.
            guard count <= UInt64(bytes.count - at) else { throw Malformed() }
            var ids: [String] = []
            for _ in 0..<count { ids.append(try text()) }
            return ids
        }

        /// One response; `previousSource` is the source of the one before it, and `ids` the block's
        /// (nil for a block of the earlier form).
        mutating func record(previousSource: String?, ids: [String]?) throws -> Record {
            let formVersion = try number()
            let key = try key().text
            let submittedAt = try time()?.text
            let month = try month(time: submittedAt)
            let department = try optional()
            let answers: Record.Answers
            if let ids {
                var inner = Reader(bytes: try span(number()), at: 0)
                answers = .decoded(try inner.answers(ids: ids))
            } else {
                answers = .json(try text())
            }
            let other = try optional()
            let extra = try optional()
            guard let source = try optional() ?? previousSource else { throw Malformed() }
            let position = try signed()
            return Record(
                formVersion: Int(truncatingIfNeeded: formVersion), key: key, submittedAt: submittedAt, month: month, department: department,
                answers: answers, other: other, extra: extra, source: source, position: Int(truncatingIfNeeded: position))
        }

        /// A response's answers in the compact form, to their end.
        private mutating func answers(ids: [String]) throws -> [String: Answer] {
            var answers: [String: Answer] = [:]
            while at < bytes.count {
                let head = try number()
                let place = head >> 3
                let id: String
                if place == 0 {
                    id = try text()
                } else {
                    guard place <= UInt64(ids.count) else { throw Malformed() }
                    id = ids[Int(place) - 1]
                }
                answers[id] = try answer(head)
            }
            return answers
        }

        /// An answer in the compact form, after its head.
        mutating func answer(_ head: UInt64) throws -> Answer {
            switch head & 7 {
            case 0: return .notApplicable
            case 1, 2: return .number(try number(head))
            case 3: return .text(try text())
            case 5: return .text(String(try number()))
            case 4:
                let count = try number()
                // Each choice takes a byte at least: a count past the bytes left is damage.
                guard count <= UInt64(bytes.count - at) else { throw Malformed() }
                var values: [String] = []
                for _ in 0..<count { values.append(try text()) }
                return .choices(values)
            default: throw Malformed()
            }
        }

        /// The number of an answer whose head is of kind 1 (a whole number) or 2 (its eight bytes).
        @inline(__always)
        mutating func number(_ head: UInt64) throws -> Double {
            if head & 7 == 1 { return Double(try signed()) }
            let raw = try span(8)
            return Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self)))
        }

        /// A record as the lean path of an import writes it (see LeanRecord.swift), up to its
        /// answers: its key's and time's bytes (its department is skipped: the batch that carries
        /// the record has it as a String already); its answers go into `answers` by their
        /// question's index in the form, which `keys` numbers them by.
        mutating func leanRecord(keys: AnswerKeys, into answers: RecordAnswers) throws -> (
            key: KeptText, submittedAt: KeptText?
        ) {
            _ = try number()
            let key = try key()
            let submittedAt = try time()
            try skipMonth()
            try skipOptional()
            var inner = Reader(bytes: try span(number()), at: 0)
            answers.start(inner.bytes)
            while inner.at < inner.bytes.count {
                let head = try inner.number()
                let place = head >> 3
                guard place > 0, place <= UInt64(keys.indices.count) else { throw Malformed() }
                let q = keys.indices[Int(place) - 1]
                // As `answer` reads them; texts, digits and choices are made only when asked for
                // (checked here all the same).
                switch head & 7 {
                case 0: try answers.setNotApplicable(q)
                case 1, 2: try answers.setNumber(q, try inner.number(head))
                case 3:
                    try answers.defer(q, head: head, at: inner.at)
                    try inner.skipText()
                case 4:
                    try answers.defer(q, head: head, at: inner.at)
                    let count = try inner.number()
                    // As `answer` checks it: each choice takes a byte at least.
                    guard count <= UInt64(inner.bytes.count - inner.at) else { throw Malformed() }
                    for _ in 0..<count { try inner.skipText() }
                case 5:
                    try answers.defer(q, head: head, at: inner.at)
                    _ = try inner.number()
                default: throw Malformed()
                }
            }
            return (key, submittedAt)
        }

        /// Passes over one response.
        mutating func skip() throws {
            _ = try number()
            _ = try key()
            _ = try time()
            try skipMonth()
            try skipOptional()
            try skipText()  // the answers, whichever form they are in
            for _ in 0..<3 { try skipOptional() }
            _ = try number()
        }
    }

    /// Calls `body` with each response of a block, in order.
    static func forEach(in bytes: UnsafeRawBufferPointer, _ body: (Record) throws -> Void) throws {
        var reader = Reader(bytes: bytes, at: 0)
        let ids = try reader.blockStart()
        var source: String?
        while reader.at < bytes.count {
            let record = try reader.record(previousSource: source, ids: ids)
            source = record.source
            try body(record)
        }
    }

    /// Where each response of a block starts, and the encoding they are in (see `marker`).
    static func offsets(in bytes: UnsafeRawBufferPointer) throws -> (offsets: [Int], version: UInt8) {
        var reader = Reader(bytes: bytes, at: 0)
        _ = try reader.blockStart()
        var offsets: [Int] = []
        while reader.at < bytes.count {
            offsets.append(reader.at)
            try reader.skip()
        }
        return (offsets, reader.version)
    }

    /// The key of the response that starts at `offset` of `bytes` in encoding `version` (a record
    /// encoded alone by `record` is in the current one); nil when the bytes are malformed there.
    static func key(in bytes: UnsafeRawBufferPointer, at offset: Int, version: UInt8 = recordVersion) -> String? {
        var reader = Reader(bytes: bytes, at: offset, version: version)
        guard (try? reader.number()) != nil else { return nil }
        return try? reader.key().text
    }
}
