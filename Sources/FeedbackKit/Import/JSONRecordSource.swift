import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where records come from: one file of any supported format, read one record at a time.
protocol RecordSource {
    /// The format as a user names it: csv, jsonl, json, xlsx, xls.
    var format: String { get }
    /// The next record, or nil at the end. A record that cannot be read at all is returned as
    /// `.unreadable` so that it is rejected with its reason rather than stopping the import.
    mutating func next() throws -> SourceItem?
    /// The same, but a record of cells is first offered to `take` where it lies (for speed: an
    /// item holding cells copies them, counting references to each of their buffers): nil at the
    /// end; `.taken(r)` where `take` took it and returned r (not nil); else the item.
    mutating func next(offering take: (CSVCells, [String]) throws -> Bool?) throws -> Offered?
    /// The same, but a record whose values can be read where they lie (see LineCells) is offered
    /// to `takeLine` that way first; where it returns nil, the record is read into cells and
    /// offered to `take`.
    mutating func next(
        offering take: (CSVCells, [String]) throws -> Bool?, offeringLine takeLine: (LineCells, [String]) throws -> Bool?
    ) throws -> Offered?
}

/// A record offered to a taker (see `RecordSource.next(offering:)`).
enum Offered {
    case taken(Bool)
    case item(SourceItem)
}

extension RecordSource {
    mutating func next(offering take: (CSVCells, [String]) throws -> Bool?) throws -> Offered? {
        guard let item = try next() else { return nil }
        if case .cells(let cells, let names) = item, let taken = try take(cells, names) { return .taken(taken) }
        return .item(item)
    }

    mutating func next(
        offering take: (CSVCells, [String]) throws -> Bool?, offeringLine takeLine: (LineCells, [String]) throws -> Bool?
    ) throws -> Offered? {
        try next(offering: take)
    }
}

enum SourceItem {
    case record(SourceRecord)
    /// A CSV record or a flat JSON line as its cells' bytes, with its names (see CSVCells).
    case cells(CSVCells, names: [String])
    case unreadable(position: Int, raw: String, message: String)

    /// The item as a record of texts and values (cells made Strings, a JSON line's nulls and arrays
    /// as they were read); nil when unreadable.
    var record: SourceRecord? {
        switch self {
        case .record(let record): return record
        case .cells(let cells, let names):
            return SourceRecord(position: cells.line, names: names, values: cells.values, raw: cells.raw)
        case .unreadable: return nil
        }
    }
}

extension JSONNode {
    /// Compact JSON text of the value, keys in source order.
    var serialized: String {
        switch value {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .number(let n): n
        case .string(let s): JSONWriter.quoted(s)
        case .array(let items): "[" + items.map(\.serialized).joined(separator: ",") + "]"
        case .object(let members): "{" + members.map { JSONWriter.quoted($0.key) + ":" + $0.value.serialized }.joined(separator: ",") + "}"
        }
    }

    /// A JSON object as the named values of a record: nested objects become "group/field"
    /// names (as KoboToolbox and ODK name grouped questions), arrays of scalars become lists.
    func flattened() -> (names: [String], values: [FieldValue]) {
        var names: [String] = []
        var values: [FieldValue] = []
        func visit(_ node: JSONNode, prefix: String) {
            switch node.value {
            case .object(let members):
                for member in members {
                    let name = prefix.isEmpty ? member.key : prefix + "/" + member.key
                    if case .object = member.value.value {
                        visit(member.value, prefix: name)
                    } else {
                        names.append(name)
                        values.append(member.value.fieldValue)
                    }
                }
            default:
                names.append(prefix)
                values.append(node.fieldValue)
            }
        }
        visit(self, prefix: "")
        return (names, values)
    }

    var fieldValue: FieldValue {
        switch value {
        case .null: return .null
        case .bool(let b): return .text(b ? "true" : "false")
        case .number(let n): return .text(n)
        case .string(let s): return .text(s)
        case .array(let items):
            let scalars = items.compactMap { item -> String? in
                switch item.value {
                case .string(let s): s
                case .number(let n): n
                case .bool(let b): b ? "true" : "false"
                default: nil
                }
            }
            return scalars.count == items.count ? .list(scalars) : .text(serialized)
        case .object: return .text(serialized)
        }
    }
}

/// JSON Lines: one object per line, read in chunks so that memory stays flat.
struct JSONLinesSource: RecordSource {
    let format = "jsonl"
    /// A line longer than this is rejected without being held in memory.
    static let maxLineBytes = 16 << 20
    /// How much a read asks for: 128 KiB, as CSVReader reads.
    static let readSize = 1 << 17

    private let file: String
    private let input: FileByteSource
    /// The bytes read and not yet taken are `buffer[start..<end]`.
    private var buffer: [UInt8] = []
    private var end = 0
    private var start = 0
    private var eof = false
    private var line = 0
    /// The cells of the last flat line, its keys and the keys of the line before, with their names.
    private var values = CSVCells()
    private var keys = CSVCells()
    private var lastKeys = CSVCells()
    /// `FlatJSONLine.Template(lastKeys)`.
    private var template = FlatJSONLine.Template(CSVCells())
    private var names: [String] = []
    /// Where FlatJSONLine unescapes strings, kept from line to line.
    private var unescaped: [UInt8] = []
    /// Where a line's values are kept where they lie, for `next(offering:offeringLine:)`.
    private let lineCells = LineCells()

    init(url: URL, displayPath: String) throws {
        file = displayPath
        input = try FileByteSource(path: url.path, file: displayPath, chunkSize: Self.readSize)
    }

    private mutating func fill() throws {
        // What is left of the buffer moves to its front, and the file is read into the room after
        // it (for speed: read into a chunk of its own and appended, every byte was copied twice).
        if start > 0 {
            let left = end - start
            buffer.withUnsafeMutableBufferPointer { all in
                guard let base = all.baseAddress, left > 0 else { return }
                memmove(base, base + start, left)
            }
            end = left
            start = 0
        }
        if buffer.count - end < Self.readSize {
            buffer.append(contentsOf: repeatElement(0, count: max(end + Self.readSize, 2 * buffer.count) - buffer.count))
        }
        let read: Int
        do {
            read = try buffer.withUnsafeMutableBufferPointer { all in
                try input.read(into: all.baseAddress.unsafelyUnwrapped + end, count: Self.readSize)
            }
        } catch let error as ImportError {
            throw ImportError(file: file, line: line + 1, message: error.message)
        }
        end += read
        if read == 0 { eof = true }
    }

    /// Where the next line lies in `buffer`, without its terminator, or nil at the end; `tooLong`
    /// when it passed the cap (and then it is empty). As plain numbers (for speed: as a slice of
    /// `buffer`, optional, each line's copy and release of it went through the runtime's generic
    /// witnesses, about 500 instructions a line).
    private mutating func nextLine() throws -> (start: Int, end: Int, tooLong: Bool)? {
        var searchFrom = start
        var tooLong = false
        while true {
            // By memchr (for speed: the generic search took a twentieth of the reading thread).
            let found: Int? = buffer.withUnsafeBufferPointer { all in
                guard searchFrom < end, let base = all.baseAddress, let hit = memchr(base + searchFrom, 0x0A, end - searchFrom)
                else { return nil }
                return UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
            }
            if let nl = found {
                line += 1
                var last = nl
                if last > start, buffer[last - 1] == 0x0D { last -= 1 }
                let first = start
                start = nl + 1
                return tooLong ? (first, first, true) : (first, last, false)
            }
            if end - start > Self.maxLineBytes {
                // Drop what was read of an over-long line and read on to its end.
                tooLong = true
                start = end
            }
            if eof {
                guard start < end || tooLong else { return nil }
                line += 1
                let (first, last) = (start, end)
                start = end
                return tooLong ? (first, first, true) : (first, last, false)
            }
            let searched = end - start
            try fill()
            searchFrom = start + searched
        }
    }

    mutating func next() throws -> SourceItem? {
        guard let offered = try next(offering: { _, _ in nil }) else { return nil }
        switch offered {
        case .item(let item): return item
        // Never: nothing is taken above.
        case .taken: return nil
        }
    }

    /// Offers each flat line's cells where they lie (for speed: made into a `SourceItem` first, as
    /// `RecordSource` does by default, they were copied reference by reference, about thirty
    /// reference counts a line on the reading thread).
    mutating func next(offering take: (CSVCells, [String]) throws -> Bool?) throws -> Offered? {
        try next(offering: take, offeringLine: { _, _ in nil }, offersLines: false)
    }

    /// A line with the keys of the one before, in its order and written without white space, is
    /// read where it lies and offered to `takeLine` first (for speed: see LineCells).
    mutating func next(
        offering take: (CSVCells, [String]) throws -> Bool?, offeringLine takeLine: (LineCells, [String]) throws -> Bool?
    ) throws -> Offered? {
        try next(offering: take, offeringLine: takeLine, offersLines: true)
    }

    private mutating func next(
        offering take: (CSVCells, [String]) throws -> Bool?, offeringLine takeLine: (LineCells, [String]) throws -> Bool?,
        offersLines: Bool
    ) throws -> Offered? {
        while true {
            let position = line + 1
            guard let (lineStart, lineEnd, tooLong) = try nextLine() else { return nil }
            if tooLong {
                return .item(
                    .unreadable(position: position, raw: "", message: "the line is longer than \(Self.maxLineBytes >> 20) MiB"))
            }
            var from = lineStart
            if position == 1, lineEnd - lineStart >= 3, buffer[from] == 0xEF, buffer[from + 1] == 0xBB, buffer[from + 2] == 0xBF {
                from += 3
            } else if buffer[lineStart..<lineEnd].allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                continue
            }
            if offersLines {
                // Read and taken where the line lies: its bytes hold until the next line is read.
                let (lineTemplate, cells, lineNames) = (template, lineCells, names)
                let takenWhereItLies = try buffer.withUnsafeBufferPointer { all -> Bool? in
                    let line = UnsafeBufferPointer(rebasing: all[from..<lineEnd])
                    guard FlatJSONLine.readLean(line, template: lineTemplate, into: cells, scratch: &unescaped) else { return nil }
                    cells.line = position
                    return try takeLine(cells, lineNames)
                }
                if let taken = takenWhereItLies { return .taken(taken) }
            }
            let text = buffer[from..<lineEnd]
            guard readFlat(text, position: position) else { return .item(item(Array(text), position: position)) }
            if let taken = try take(values, names) { return .taken(taken) }
            // The line's text only for a record that goes on as an item, the one kind whose text a
            // rejects file may need (for speed: a copy of every line was a twentieth of reading it).
            values.keepJSON(text)
            return .item(.cells(values, names: names))
        }
    }

    /// Reads a line holding a flat object into `values` (see FlatJSONLine); false for any other
    /// line. Lines with the same keys as the one before share its names, so that the mapper finds
    /// their plan without comparing them.
    private mutating func readFlat(_ text: ArraySlice<UInt8>, position: Int) -> Bool {
        var sameKeys = false
        let read = text.withUnsafeBufferPointer { line in
            FlatJSONLine.read(
                line, expected: lastKeys, template: template, keys: &keys, values: &values, sameKeys: &sameKeys,
                scratch: &unescaped)
        }
        guard read else { return false }
        if !sameKeys && (keys.bytes != lastKeys.bytes || keys.ends != lastKeys.ends) {
            names = keys.strings
            swap(&keys, &lastKeys)
            template = FlatJSONLine.Template(lastKeys)
        }
        values.line = position
        return true
    }

    private func item(_ bytes: [UInt8], position: Int) -> SourceItem {
        let raw = String(decoding: bytes, as: UTF8.self)
        if bytes.contains(0) {
            return .unreadable(position: position, raw: raw, message: "the line holds NUL bytes: this is not JSON text")
        }
        do {
            let node = try JSONParser.parse(bytes)
            guard node.members != nil else {
                return .unreadable(position: position, raw: raw, message: "the line holds \(node.kindName), not a JSON object")
            }
            let (names, values) = node.flattened()
            return .record(SourceRecord(position: position, names: names, values: values, raw: .json(raw)))
        } catch {
            let column = TextPosition(offset: error.offset, in: bytes).column
            return .unreadable(position: position, raw: raw, message: "not valid JSON at column \(column): \(error.message)")
        }
    }
}
