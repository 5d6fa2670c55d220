/// A record's values where they lie, for the lean path of an import: a flat JSON line's in the
/// line (see `FlatJSONLine.readLean`), a CSV record's in the reader's buffer (see
/// `CSVReader.next(into:)`). A value's bytes are not copied into cells of their own, as CSVCells
/// copies them, but for a JSON string that held escapes, which is unescaped into memory kept here.
///
/// Written by hand for speed: for the 1M lines of the bench data, copying each value into
/// CSVCells, and reading it back by the cells' ends, was about a tenth of the reading thread's work
/// (callgrind), and each array of strings (a choice question's list) made a String of each item.
/// An array's items are kept as the key `AnswerParser` remembers a list's outcome under, which
/// `withOther` looks up; they are made into Strings only for an outcome not remembered.
///
/// Its bytes hold only while the line's or the buffer's do: the lean path reads the record and
/// takes it in one go, before the next one is read (`RecordSource.next(offering:offeringLine:)`).
final class LineCells {
    /// What a field holds.
    private enum Kind: UInt8 {
        case text
        case null
        /// An array of strings, numbers and booleans, as its key (`AnswerParser.listKey`).
        case list
    }

    private struct Field {
        var start: UnsafeRawPointer?
        var count: Int
        var kind: Kind
        /// A CSV field's offset from its record's start, until `place` sets `start`.
        var offset = 0
    }

    private(set) var fieldCount = 0
    /// The physical line the record is on (its position).
    var line = 0
    private var fields: UnsafeMutablePointer<Field>
    private var fieldCapacity = 0
    /// Where unescaped strings and lists' keys are written; `startRecord` makes room enough for the
    /// line's, so that nothing moves while a line is read.
    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCapacity = 0
    private var arenaUsed = 0
    /// Where the list being read starts in `arena` (see `startList`).
    private var listStart = 0

    init() {
        fields = .allocate(capacity: 0)
        arena = .allocate(capacity: 0)
    }

    deinit {
        fields.deallocate()
        arena.deallocate()
    }

    /// Starts a line of `lineLength` bytes, with room for `expecting` fields.
    func startRecord(expecting: Int, lineLength: Int) {
        fieldCount = 0
        arenaUsed = 0
        if fieldCapacity < expecting {
            fields.deallocate()
            fieldCapacity = max(expecting, 2 * fieldCapacity)
            fields = .allocate(capacity: fieldCapacity)
        }
        // An unescaped string takes no more bytes than it did escaped, and a list's key no more
        // than twice its text (an item's length and bytes against its text and the comma or
        // bracket after it): twice the line is room enough.
        let needed = 2 * lineLength + 64
        if arenaCapacity < needed {
            arena.deallocate()
            arenaCapacity = max(needed, 2 * arenaCapacity)
            arena = .allocate(capacity: arenaCapacity)
        }
    }

    @inline(__always)
    private func append(_ start: UnsafeRawPointer?, _ count: Int, _ kind: Kind, offset: Int = 0) {
        if fieldCount == fieldCapacity { grow() }
        fields[fieldCount] = Field(start: start, count: count, kind: kind, offset: offset)
        fieldCount &+= 1
    }

    /// Room for more fields than `startRecord` expected (a CSV record may have any number).
    @inline(never)
    private func grow() {
        let grown = UnsafeMutablePointer<Field>.allocate(capacity: max(8, 2 * fieldCapacity))
        grown.update(from: fields, count: fieldCount)
        fields.deallocate()
        fields = grown
        fieldCapacity = max(8, 2 * fieldCapacity)
    }

    /// Adds a text whose bytes hold as long as the line's: in the line, or a literal.
    @inline(__always)
    func append(lasting start: UnsafePointer<UInt8>, count: Int) {
        append(UnsafeRawPointer(start), count, .text)
    }

    /// Adds a text whose bytes are about to change (an unescaped string): they are copied here.
    func append(copying bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = arenaUsed
        guard copy(bytes) else { return false }
        append(UnsafeRawPointer(arena + start), bytes.count, .text)
        return true
    }

    func appendNull() {
        append(nil, 0, .null)
    }

    /// Starts a list; its items follow (`appendItem`), then `endList`.
    func startList() -> Bool {
        listStart = arenaUsed
        guard arenaUsed < arenaCapacity else { return false }
        arena[arenaUsed] = AnswerParser.listKeyMark
        arenaUsed &+= 1
        return true
    }

    /// Adds an item of the list being read: its length, then its bytes, as `AnswerParser` keys a list.
    func appendItem(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // At most ten bytes of length.
        guard arenaCapacity - arenaUsed > 10 else { return false }
        var length = UInt64(bytes.count)
        while length >= 0x80 {
            arena[arenaUsed] = UInt8(truncatingIfNeeded: length) | 0x80
            arenaUsed &+= 1
            length >>= 7
        }
        arena[arenaUsed] = UInt8(length)
        arenaUsed &+= 1
        return copy(bytes)
    }

    func endList() {
        append(UnsafeRawPointer(arena + listStart), arenaUsed - listStart, .list)
    }

    private func copy(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard arenaCapacity - arenaUsed >= bytes.count else { return false }
        if let base = bytes.baseAddress { (arena + arenaUsed).update(from: base, count: bytes.count) }
        arenaUsed &+= bytes.count
        return true
    }

    /// Sets where the CSV record whose fields were given by their offsets starts (see
    /// `CSVParser.recordBase`).
    func place(at base: UnsafePointer<UInt8>) {
        for i in 0..<fieldCount { fields[i].start = UnsafeRawPointer(base + fields[i].offset) }
    }

    /// Copies the fields, texts only (a CSV record's), into `cells`.
    func copyTexts(into cells: inout CSVCells) {
        cells.startRecord(expecting: fieldCount)
        for i in 0..<fieldCount {
            let field = bytes(i).assumingMemoryBound(to: UInt8.self)
            cells.appendField(field.baseAddress ?? UnsafePointer(arena), count: field.count)
        }
        cells.line = line
    }

    /// The bytes of field `i`: a text's, or a list's key.
    @inline(__always)
    func bytes(_ i: Int) -> UnsafeRawBufferPointer {
        let field = fields[i]
        return UnsafeRawBufferPointer(start: field.start, count: field.count)
    }
}

extension LineCells: LeanCells {
    var count: Int { fieldCount }

    struct Fields: LeanFields {
        let cells: Unmanaged<LineCells>

        @inline(__always)
        func bytes(_ i: Int) -> UnsafeRawBufferPointer { cells._withUnsafeGuaranteedRef { $0.bytes(i) } }
    }

    @inline(__always)
    func withLeanFields<T>(_ body: (Fields) throws -> T) rethrows -> T {
        try body(Fields(cells: Unmanaged.passUnretained(self)))
    }

    func other(_ i: Int) -> FieldValue? {
        switch fields[i].kind {
        case .text: nil
        case .null: .null
        case .list: .list(AnswerParser.items(ofListKey: bytes(i)))
        }
    }

    @inline(__always)
    func withOther<T>(_ i: Int, of parser: AnswerParser, _ body: (ParsedAnswer, UnsafeRawBufferPointer?) -> T) -> T? {
        switch fields[i].kind {
        case .text: nil
        case .null: parser.withOutcome(FieldValue.null, body)
        case .list: parser.withOutcome(listKey: bytes(i), body)
        }
    }

    @inline(__always)
    func withField<T>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try body(bytes(i))
    }
}

/// A CSV record's fields where they lie in the parser's buffer (see `CSVReader.next(into:)`).
extension LineCells: CSVFieldSink {
    func startRecord(expecting fields: Int) {
        startRecord(expecting: fields, lineLength: 0)
    }

    func appendField(_ bytes: UnsafePointer<UInt8>, count: Int) {
        append(lasting: bytes, count: count)
    }

    @inline(__always)
    func appendField(_ bytes: UnsafePointer<UInt8>, count: Int, recordOffset: Int) {
        append(nil, count, .text, offset: recordOffset)
    }

    static var keepsRecord: Bool { true }
}
