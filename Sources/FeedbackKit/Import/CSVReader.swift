import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A text encoding a CSV file can be read in.
public enum TextEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case gb18030

    /// Accepts the names people type: utf-8/utf8, and gb18030 with gbk, gb2312 and cp936,
    /// which GB18030 contains.
    public init?(name: String) {
        switch name.lowercased().replacingOccurrences(of: "_", with: "-") {
        case "utf-8", "utf8": self = .utf8
        case "gb18030", "gbk", "gb2312", "cp936", "gb-18030", "gb-2312": self = .gb18030
        default: return nil
        }
    }
}

/// How to read a CSV file; nil members are detected from the file.
public struct CSVOptions: Sendable {
    public var encoding: TextEncoding?
    public var delimiter: UInt8?
    public var maxFieldBytes: Int

    public init(encoding: TextEncoding? = nil, delimiter: UInt8? = nil, maxFieldBytes: Int = 16 << 20) {
        self.encoding = encoding
        self.delimiter = delimiter
        self.maxFieldBytes = maxFieldBytes
    }
}

/// One record of a CSV file and the physical line it starts on.
public struct CSVRecord: Sendable, Equatable {
    public var fields: [String]
    public var line: Int

    public init(fields: [String], line: Int) {
        self.fields = fields
        self.line = line
    }
}

/// Where the parser puts the fields of the record it reads.
protocol CSVFieldSink {
    /// Called before the first field of a record, with how many fields the one before had.
    mutating func startRecord(expecting fields: Int)
    /// Adds a field: `count` valid UTF-8 bytes (checked as they were read, or a decoder's output).
    mutating func appendField(_ bytes: UnsafePointer<UInt8>, count: Int)
    /// The same for a field that lies `recordOffset` bytes after the start of its record in the
    /// parser's buffer: a sink that `keepsRecord` keeps where it lies; the others copy `bytes`.
    mutating func appendField(_ bytes: UnsafePointer<UInt8>, count: Int, recordOffset: Int)
    var fieldCount: Int { get }
    /// Whether the parser keeps a record's bytes in its buffer until the next record is read (see
    /// `CSVParser.recordBase`), rather than only those of the field being read.
    static var keepsRecord: Bool { get }
}

extension CSVFieldSink {
    @inline(__always)
    mutating func appendField(_ bytes: UnsafePointer<UInt8>, count: Int, recordOffset: Int) {
        appendField(bytes, count: count)
    }

    static var keepsRecord: Bool { false }
}

extension [String]: CSVFieldSink {
    mutating func startRecord(expecting fields: Int) {
        reserveCapacity(fields)
    }

    /// The bytes were checked as they were read, so decoding never repairs anything here.
    /// String(validating:as:) would check again, but it is generic and unspecialised in the
    /// standard library, which made it several times slower.
    @inline(__always)
    mutating func appendField(_ bytes: UnsafePointer<UInt8>, count: Int) {
        append(count == 0 ? "" : String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self))
    }

    var fieldCount: Int { count }
}

/// A record's fields as bytes, one after the other, reused from record to record (for speed: an
/// import reads most cells, such as ratings, choices and departments, by their bytes; making and
/// freeing a String of every cell cost its reading thread an eighth of its instructions).
struct CSVCells: CSVFieldSink {
    /// The fields' bytes are `storage[..<used]`. The storage keeps its size from record to record
    /// and a field is copied in through its buffer (for speed: `Array.append(contentsOf:)` cost a
    /// hundred instructions a field, a twentieth of reading a CSV record).
    private var storage: [UInt8] = []
    private var used = 0
    var bytes: ArraySlice<UInt8> { storage[..<used] }
    /// Where each field ends in `bytes`; field i starts where field i - 1 ends.
    private(set) var ends: [Int] = []
    /// The physical line the record starts on (its position).
    var line = 0
    /// Fields whose value is not a text (a JSON line's nulls and arrays), each with its field.
    private(set) var others: [(field: Int, value: FieldValue)] = []
    /// The text of a JSON line the cells were read from, for the rejects file; nil for CSV.
    private(set) var json: [UInt8]?

    var fieldCount: Int { ends.count }

    mutating func startRecord(expecting fields: Int) {
        used = 0
        // Each emptied only when it holds something, and `ends` by dropping its last elements (for
        // speed: `removeAll(keepingCapacity:)` went through the generic replacement of a range,
        // a tenth of reading a JSON line).
        if !ends.isEmpty { ends.removeLast(ends.count) }
        if ends.capacity < fields { ends.reserveCapacity(fields) }
        if !others.isEmpty { others.removeAll(keepingCapacity: true) }
        if json?.isEmpty == false { json?.removeAll(keepingCapacity: true) }
    }

    /// Keeps the text of the JSON line the cells were read from, in the room of the line before
    /// (for speed: a new array for each line was one more allocation a record).
    mutating func keepJSON(_ line: ArraySlice<UInt8>) {
        if json == nil { json = [] }
        json?.append(contentsOf: line)
    }

    @inline(__always)
    mutating func appendField(_ field: UnsafePointer<UInt8>, count: Int) {
        copyIn(field, count: count)
        ends.append(used)
    }

    @inline(__always)
    private mutating func copyIn(_ source: UnsafePointer<UInt8>, count: Int) {
        let start = used
        if start + count > storage.count { grow(to: start + count) }
        if count > 0 { storage.withUnsafeMutableBufferPointer { $0.baseAddress.map { ($0 + start).update(from: source, count: count) } } }
        used = start + count
    }

    @inline(never)
    private mutating func grow(to size: Int) {
        storage.append(contentsOf: repeatElement(0, count: max(size, 2 * storage.count, 256) - storage.count))
    }

    /// Adds a field whose bytes `write` appends.
    @inline(__always)
    mutating func appendField<E: Error>(_ write: (inout [UInt8]) throws(E) -> Void) throws(E) {
        if storage.count > used { storage.removeSubrange(used...) }
        try write(&storage)
        used = storage.count
        ends.append(used)
    }

    /// Starts a record with the first `count` fields of `other`, which holds texts only.
    mutating func copyFields(_ count: Int, of other: CSVCells) {
        startRecord(expecting: other.fieldCount)
        guard count > 0 else { return }
        let length = other.ends[count - 1]
        if length > 0 {
            other.storage.withUnsafeBufferPointer { buffer in
                if let base = buffer.baseAddress { copyIn(base, count: length) }
            }
        }
        ends.append(contentsOf: other.ends[..<count])
    }

    /// Adds a field whose value is not a text.
    mutating func appendOther(_ value: FieldValue) {
        others.append((ends.count, value))
        ends.append(used)
    }

    /// The value of field `i` when it is not a text.
    @inline(__always)
    func other(_ i: Int) -> FieldValue? {
        if others.isEmpty { return nil }
        return others.first { $0.field == i }?.value
    }

    /// Every field as a value, as a source that reads texts gives them.
    var values: [FieldValue] { (0..<fieldCount).map { other($0) ?? .text(string($0)) } }

    /// The record as read, for the rejects file.
    var raw: SourceRecord.Raw { json.map { .json(String(decoding: $0, as: UTF8.self)) } ?? .cells(strings) }

    /// Calls `body` with the bytes of field `i`.
    @inline(__always)
    func withField<T>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let start = i == 0 ? 0 : ends[i - 1]
        return try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<ends[i]])) }
    }

    /// Calls `body` with the record's bytes and where each field ends in them (field i starts
    /// where field i - 1 ends), for a caller that reads many fields (for speed: one closure a
    /// record instead of one a field).
    @inline(__always)
    func withFields<T>(_ body: (UnsafeRawBufferPointer, UnsafeBufferPointer<Int>) throws -> T) rethrows -> T {
        try storage.withUnsafeBytes { bytes in try ends.withUnsafeBufferPointer { try body(bytes, $0) } }
    }

    /// Field `i` as text.
    func string(_ i: Int) -> String {
        withField(i) { String(decoding: $0, as: UTF8.self) }
    }

    /// Every field as text.
    var strings: [String] { (0..<fieldCount).map(string) }
}

// The parser is written by hand for two reasons. Speed: imports reach a million rows, so it scans
// UInt8 buffers eight bytes at a time and creates a String only for each finished field. Encoding:
// exports saved by Chinese Excel and WPS arrive in GB18030, and no library available here parses
// CSV while decoding that encoding in chunks; iconv decodes each chunk in front of the same parser.

/// Streams the records of a CSV file (RFC 4180, leniently), detecting its encoding and delimiter.
public final class CSVReader {
    /// How much of the file's start decides its encoding and delimiter.
    static let sampleSize = 64 << 10

    public let url: URL
    public let encoding: TextEncoding
    public let delimiter: UInt8
    private var parser: CSVParser
    private var failure: ImportError?

    public convenience init(url: URL, options: CSVOptions = CSVOptions()) throws {
        // 128 KiB a read, so that what is read is still in the core's cache when parsed (with 1 MiB, a
        // 1M import spent more time in the kernel copying; bench/README.md, twenty-third round).
        try self.init(url: url, options: options, chunkSize: 1 << 17)
    }

    /// `chunkSize` is the most read from the file at once; tests shrink it to hit every boundary.
    init(url: URL, options: CSVOptions, chunkSize: Int) throws {
        let file = url.isFileURL ? url.relativePath : url.absoluteString
        let chunkSize = max(1, chunkSize)
        let input = try FileByteSource(path: url.path, file: file, chunkSize: chunkSize)
        try input.sampleHead(limit: CSVReader.sampleSize)
        let head = input.head
        let complete = input.headIsWholeFile

        if head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF]) {
            throw ImportError(
                file: file, line: 1, message: "is UTF-16 text, not UTF-8 or GB18030",
                hint: "save it as \"CSV UTF-8\" instead of Unicode text")
        }
        let bomLength = head.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        let body = head[bomLength...]
        if complete && body.allSatisfy({ $0 == 0x0A || $0 == 0x0D }) {
            throw ImportError(file: file, line: 1, message: "the file is empty")
        }
        if let nul = body.firstIndex(of: 0) {
            throw ImportError(
                file: file, line: CSVReader.lineNumber(in: head, before: nul),
                message: "holds NUL bytes: it is a binary file, not CSV text",
                hint: "export the responses as CSV")
        }

        let encoding: TextEncoding
        if let forced = options.encoding {
            if forced == .gb18030 && bomLength > 0 {
                throw ImportError(
                    file: file, line: 1, message: "starts with a UTF-8 byte-order mark, but GB18030 was asked for",
                    hint: "drop --encoding gb18030")
            }
            encoding = forced
        } else if bomLength > 0 {
            encoding = .utf8
        } else {
            encoding = try CSVReader.detectEncoding(head, complete: complete, file: file)
        }

        let delimiter: UInt8
        if let forced = options.delimiter {
            guard forced != 0x22, forced != 0x0A, forced != 0x0D else {
                throw ImportError(file: file, message: "the delimiter cannot be a quote, CR or LF")
            }
            delimiter = forced
        } else {
            // GB18030 never uses , ; \t " CR or LF inside a multibyte character, so the raw bytes do.
            delimiter =
                body.withContiguousStorageIfAvailable {
                    CSVReader.detectDelimiter(in: $0, complete: complete)
                } ?? 0x2C
        }

        input.skipHead(bomLength)
        let source: any CSVByteSource
        switch encoding {
        case .utf8: source = input
        case .gb18030: source = try TextDecoder(input: input, chunkSize: chunkSize, file: file)
        }
        self.url = url
        self.encoding = encoding
        self.delimiter = delimiter
        self.parser = CSVParser(
            source: source, file: file, delimiter: delimiter,
            maxFieldBytes: max(0, options.maxFieldBytes), chunkSize: chunkSize, checksUTF8: encoding == .utf8)
    }

    deinit {
        parser.buffer.deallocate()
    }

    /// The next record, or nil at the end of the file; the header is simply the first record.
    /// After an error every later call throws the same error.
    public func next() throws -> CSVRecord? {
        var fields: [String] = []
        guard let line = try next(into: &fields) else { return nil }
        return CSVRecord(fields: fields, line: line)
    }

    /// Reads the next record into `cells`; false at the end of the file. Errors as `next()`.
    func next(into cells: inout CSVCells) throws -> Bool {
        guard let line = try next(into: &cells) else { return false }
        cells.line = line
        return true
    }

    /// Reads the next record into `cells` where its fields lie in the buffer, which holds them
    /// until the next record is read; false at the end of the file.
    func next(into cells: LineCells) throws -> Bool {
        var sink = cells
        guard let line = try next(into: &sink) else { return false }
        cells.place(at: parser.recordBase)
        cells.line = line
        return true
    }

    private func next<Sink: CSVFieldSink>(into fields: inout Sink) throws -> Int? {
        if let failure { throw failure }
        do {
            return try parser.nextRecord(into: &fields)
        } catch let error as ImportError {
            failure = error
            throw error
        }
    }

    /// The parse buffer's size, which tests check stays bounded.
    var bufferCapacity: Int { parser.capacity }

    // MARK: - Detection

    static func detectEncoding(_ head: [UInt8], complete: Bool, file: String) throws -> TextEncoding {
        try head.withUnsafeBufferPointer { bytes in
            guard let badUTF8 = CSVScan.firstInvalidUTF8(bytes, complete: complete) else { return .utf8 }
            if try TextDecoder.firstInvalidGB18030(bytes, complete: complete, file: file) == nil {
                return .gb18030
            }
            throw ImportError(
                file: file, line: lineNumber(in: head, before: badUTF8), message: "not UTF-8 or GB18030 text",
                hint: "pass --encoding utf-8 or --encoding gb18030 if you know which it is, or save it as CSV UTF-8")
        }
    }

    /// Picks the candidate that splits the header into the most fields consistently with the
    /// records after it; `,` when none splits the header at all.
    static func detectDelimiter(in sample: UnsafeBufferPointer<UInt8>, complete: Bool) -> UInt8 {
        var best: UInt8 = 0x2C
        var bestConsistency = -1.0
        var bestWidth = 1
        for candidate: UInt8 in [0x2C, 0x3B, 0x09] {
            let counts = fieldCounts(in: sample, delimiter: candidate, complete: complete, limit: 20)
            guard let width = counts.first, width > 1 else { continue }
            let rest = counts.dropFirst()
            let consistency =
                rest.isEmpty ? 1 : Double(rest.filter { $0 == width }.count) / Double(rest.count)
            if consistency > bestConsistency || (consistency == bestConsistency && width > bestWidth) {
                best = candidate
                bestConsistency = consistency
                bestWidth = width
            }
        }
        return best
    }

    /// Field counts of the first `limit` records, honouring quotes; a record cut off by the end of
    /// an incomplete sample is left out.
    static func fieldCounts(
        in sample: UnsafeBufferPointer<UInt8>, delimiter: UInt8, complete: Bool, limit: Int
    ) -> [Int] {
        var counts: [Int] = []
        var fields = 1
        var inQuotes = false
        var atFieldStart = true
        var blank = true
        var index = 0
        while index < sample.count && counts.count < limit {
            let byte = sample[index]
            index += 1
            if inQuotes {
                if byte == 0x22 {
                    if index < sample.count && sample[index] == 0x22 {
                        index += 1
                    } else {
                        inQuotes = false
                    }
                }
                continue
            }
            switch byte {
            case 0x0A, 0x0D:
                if !blank { counts.append(fields) }
                fields = 1
                atFieldStart = true
                blank = true
            case delimiter:
                fields += 1
                atFieldStart = true
                blank = false
            case 0x22 where atFieldStart:
                inQuotes = true
                atFieldStart = false
                blank = false
            default:
                atFieldStart = false
                blank = false
            }
        }
        if complete && !blank && !inQuotes && counts.count < limit { counts.append(fields) }
        return counts
    }

    /// The 1-based line of `offset` in `bytes`.
    static func lineNumber(in bytes: [UInt8], before offset: Int) -> Int {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return 1 }
            return 1 + CSVScan.countLineBreaks(base, from: 0, to: min(offset, buffer.count), afterCR: false)
        }
    }
}

/// The record state machine over a growable byte buffer that the source refills.
///
/// Only the field being parsed is kept when the buffer is refilled; finished fields are already
/// in the sink (Strings, or bytes of their own), unless the sink keeps where they lie (LineCells),
/// and then the record is kept from its start. A quoted field is unescaped in place (doubled
/// quotes collapse towards its start), so a field never needs a second copy before the sink takes it.
struct CSVParser {
    private static let quote: UInt8 = 0x22
    private static let lf: UInt8 = 0x0A
    private static let cr: UInt8 = 0x0D

    private(set) var buffer: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    /// The next unparsed byte; everything before it may be discarded on refill, or everything
    /// before `recordStart` where the sink `keepsRecord`.
    private var pos = 0
    /// Where the record being read starts.
    private var recordStart = 0
    private var keepsRecord = false
    private var end = 0
    /// The physical line of `pos`.
    private var line = 1
    private var eof = false
    private var expectedFields = 8
    /// Whether bytes are checked as UTF-8 when read (a decoder's output needs no check).
    private let checksUTF8: Bool
    /// Bytes before this index are checked; a character cut by the end of a read waits here.
    /// Quoted text is never moved across it, so the check can resume where it stopped.
    private var checked = 0
    /// Where the first invalid UTF-8 byte lies, reported when the field holding it is finished.
    private var invalidAt = Int.max
    private let minimumRead: Int
    private let delimiter: UInt8
    /// Finds where an unquoted field ends.
    private let stops: CSVScan.ByteFinder
    private let maxFieldBytes: Int
    private let source: any CSVByteSource
    private let file: String

    init(
        source: any CSVByteSource, file: String, delimiter: UInt8, maxFieldBytes: Int, chunkSize: Int,
        checksUTF8: Bool
    ) {
        self.checksUTF8 = checksUTF8
        // A decoder needs room for at least one whole UTF-8 character per read.
        self.minimumRead = max(chunkSize, 16)
        self.capacity = 2 * minimumRead
        self.buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        self.source = source
        self.file = file
        self.delimiter = delimiter
        self.stops = CSVScan.ByteFinder(delimiter, Self.lf, Self.cr)
        self.maxFieldBytes = maxFieldBytes
    }

    /// Reads the next record into `fields` and returns the line it starts on; nil at the end.
    mutating func nextRecord<Sink: CSVFieldSink>(into fields: inout Sink) throws -> Int? {
        keepsRecord = Sink.keepsRecord
        recordStart = pos
        // Blank lines are skipped, but still counted.
        while true {
            if pos == end {
                if eof { return nil }
                try refill()
                continue
            }
            let byte = buffer[pos]
            if byte == Self.lf {
                pos += 1
                line += 1
            } else if byte == Self.cr {
                if pos + 1 == end && !eof {
                    try refill()
                    continue
                }
                pos += pos + 1 < end && buffer[pos + 1] == Self.lf ? 2 : 1
                line += 1
            } else {
                break
            }
        }
        let recordLine = line
        recordStart = pos
        fields.startRecord(expecting: expectedFields)
        var more = true
        while more {
            while pos == end && !eof { try refill() }
            if pos == end {
                // The record ended with a delimiter right at the end of the file.
                fields.appendField(buffer + pos, count: 0, recordOffset: pos - recordStart)
                more = false
            } else if buffer[pos] == Self.quote {
                more = try quotedField(into: &fields)
            } else {
                more = try plainField(into: &fields)
            }
        }
        expectedFields = fields.fieldCount
        return recordLine
    }

    /// Parses an unquoted field at `pos` and its terminator; true when another field follows.
    private mutating func plainField<Sink: CSVFieldSink>(into fields: inout Sink) throws -> Bool {
        var scan = pos
        while true {
            let stop = stops.firstIndex(in: buffer, from: scan, to: end)
            if stop < end {
                if buffer[stop] == Self.cr && stop + 1 == end && !eof {
                    // Whether a CR is followed by LF decides where the next line starts.
                    let shift = try refill()
                    scan = stop - shift
                    continue
                }
                try appendField(from: pos, count: stop - pos, rawEnd: stop, line: line, to: &fields)
                return consumeTerminator(at: stop)
            }
            if eof {
                try appendField(from: pos, count: end - pos, rawEnd: end, line: line, to: &fields)
                pos = end
                return false
            }
            if end - pos > maxFieldBytes { throw fieldTooLarge(line: line) }
            let oldEnd = end
            let shift = try refill()
            scan = oldEnd - shift
        }
    }

    /// Parses a quoted field at `pos` and its terminator; true when another field follows.
    private mutating func quotedField<Sink: CSVFieldSink>(into fields: inout Sink) throws -> Bool {
        let fieldLine = line
        var start = pos + 1
        var read = start
        var write = start
        var breaks = 0
        body: while true {
            if let quoteIndex = indexOfQuote(from: read) {
                if quoteIndex > read {
                    breaks += moveContent(from: read, to: quoteIndex, writingAt: write, contentStart: start)
                    write += quoteIndex - read
                    read = quoteIndex
                }
                if read + 1 == end && !eof {
                    // A quote at the end of the buffer may be the first half of a doubled quote.
                    let shift = try refill()
                    start -= shift
                    read -= shift
                    write -= shift
                    continue
                }
                if read + 1 < end && buffer[read + 1] == Self.quote {
                    buffer[write] = Self.quote
                    write += 1
                    read += 2
                    continue
                }
                read += 1
                break body
            }
            // A character cut by the end of the buffer stays where it is until the rest is read
            // and checked, and so does a final CR until we know whether LF follows it.
            var stop = checked
            if !eof && stop > read && buffer[stop - 1] == Self.cr { stop -= 1 }
            if stop > read {
                breaks += moveContent(from: read, to: stop, writingAt: write, contentStart: start)
                write += stop - read
                read = stop
            }
            if eof { throw unterminatedQuote(line: fieldLine) }
            if write - start > maxFieldBytes { throw fieldTooLarge(line: fieldLine) }
            let shift = try refill()
            start -= shift
            read -= shift
            write -= shift
        }
        // Text between the closing quote and the delimiter is kept literally, as Excel does.
        while true {
            let stop = stops.firstIndex(in: buffer, from: read, to: end)
            if stop < end && !(buffer[stop] == Self.cr && stop + 1 == end && !eof) {
                if stop > read {
                    buffer.advanced(by: write).update(from: buffer + read, count: stop - read)
                    write += stop - read
                }
                try appendField(from: start, count: write - start, rawEnd: stop, line: fieldLine, to: &fields)
                line += breaks
                return consumeTerminator(at: stop)
            }
            if stop == end && eof {
                if end > read {
                    buffer.advanced(by: write).update(from: buffer + read, count: end - read)
                    write += end - read
                }
                try appendField(from: start, count: write - start, rawEnd: end, line: fieldLine, to: &fields)
                line += breaks
                pos = end
                return false
            }
            if write - start + (end - read) > maxFieldBytes { throw fieldTooLarge(line: fieldLine) }
            let shift = try refill()
            start -= shift
            read -= shift
            write -= shift
        }
    }

    /// Moves quoted content left over collapsed quotes and returns the line breaks it holds.
    private mutating func moveContent(from: Int, to: Int, writingAt write: Int, contentStart: Int) -> Int {
        let afterCR = write > contentStart && buffer[write - 1] == Self.cr
        let breaks = CSVScan.countLineBreaks(buffer, from: from, to: to, afterCR: afterCR)
        if write != from {
            memmove(buffer + write, buffer + from, to - from)
        }
        return breaks
    }

    private mutating func indexOfQuote(from index: Int) -> Int? {
        guard index < end, let hit = memchr(buffer + index, Int32(Self.quote), end - index) else { return nil }
        return UnsafeRawPointer(hit) - UnsafeRawPointer(buffer)
    }

    /// Steps over the delimiter or line break at `index`; true when it was a delimiter.
    @inline(__always)
    private mutating func consumeTerminator(at index: Int) -> Bool {
        let byte = buffer[index]
        pos = index + 1
        if byte == delimiter { return true }
        if byte == Self.cr && pos < end && buffer[pos] == Self.lf { pos += 1 }
        line += 1
        return false
    }

    /// Appends `count` bytes at `start` as a field whose raw text in the file ended at `rawEnd`.
    @inline(__always)
    private mutating func appendField<Sink: CSVFieldSink>(
        from start: Int, count: Int, rawEnd: Int, line fieldLine: Int, to fields: inout Sink
    ) throws {
        if count > maxFieldBytes || rawEnd > invalidAt {
            throw fieldError(from: start, count: count, line: fieldLine)
        }
        fields.appendField(buffer + start, count: count, recordOffset: start - recordStart)
    }

    /// Where the record last read starts, for a sink that `keepsRecord`: its fields lie at their
    /// offsets from here until the next record is read.
    var recordBase: UnsafePointer<UInt8> { UnsafePointer(buffer + recordStart) }

    @inline(never)
    private func fieldError(from start: Int, count: Int, line fieldLine: Int) -> ImportError {
        if count > maxFieldBytes { return fieldTooLarge(line: fieldLine) }
        // Collapsing doubled quotes moved the bad byte, so look for it again in the field's text.
        let bad = CSVScan.firstInvalidUTF8(UnsafeBufferPointer(start: buffer + start, count: count), complete: true) ?? 0
        return ImportError(
            file: file, line: fieldLine + CSVScan.countLineBreaks(buffer, from: start, to: start + bad, afterCR: false),
            message: "invalid UTF-8 text",
            hint: "if it was saved by Excel or WPS on Chinese Windows, pass --encoding gb18030")
    }

    /// Drops the bytes before `pos` (before the record's start where it is kept), grows the buffer if
    /// what is kept fills it, and reads
    /// more; returns how far the kept bytes moved down, so callers can shift their indices.
    @discardableResult
    private mutating func refill() throws -> Int {
        let shift = keepsRecord ? recordStart : pos
        let live = end - shift
        if shift > 0 {
            if live > 0 { memmove(buffer, buffer + shift, live) }
            pos -= shift
            recordStart -= min(shift, recordStart)
            end = live
            checked -= shift
            if invalidAt != Int.max { invalidAt -= shift }
        }
        if capacity - end < minimumRead {
            // Reached only for a field longer than the buffer (callers cap fields first), or a
            // record where the record is kept.
            let newCapacity = max(capacity * 2, end + minimumRead)
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.update(from: buffer, count: end)
            buffer.deallocate()
            buffer = grown
            capacity = newCapacity
        }
        let count = try source.read(into: buffer + end, count: capacity - end)
        if count == 0 { eof = true } else { end += count }
        if checksUTF8 && invalidAt == Int.max {
            // Checking whole chunks here is much cheaper than checking each field's bytes.
            switch CSVScan.checkUTF8(buffer, from: checked, to: end) {
            case .valid: checked = end
            case .invalid(let index): invalidAt = index; checked = end
            case .truncated(let index): if eof { invalidAt = index; checked = end } else { checked = index }
            }
        } else {
            checked = end
        }
        return shift
    }

    private func fieldTooLarge(line: Int) -> ImportError {
        ImportError(
            file: file, line: line, message: "a field is larger than \(Self.describe(bytes: maxFieldBytes))",
            hint: "a quoted field may be missing its closing quote")
    }

    private func unterminatedQuote(line: Int) -> ImportError {
        ImportError(
            file: file, line: line, message: "a quoted field starting here never ends",
            hint: "a quote inside a quoted field must be doubled (\"\")")
    }

    static func describe(bytes: Int) -> String {
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 && bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}

/// Byte-level scanning shared by the parser, the sniffing of a file's start and the decoder.
enum CSVScan {
    /// Counts line breaks in `buffer[from..<to]`: LF, CRLF and a lone CR each count once.
    /// `afterCR` says whether the byte just before `from` was a CR, so a CRLF split there counts once.
    static func countLineBreaks(_ buffer: UnsafePointer<UInt8>, from: Int, to: Int, afterCR: Bool) -> Int {
        let lineEnds = ByteFinder(0x0A, 0x0D, 0x0D)
        var count = 0
        var index = from
        while true {
            let hit = lineEnds.firstIndex(in: buffer, from: index, to: to)
            if hit == to { return count }
            if buffer[hit] == 0x0D {
                count += 1
            } else if !(hit == from ? afterCR : buffer[hit - 1] == 0x0D) {
                count += 1
            }
            index = hit + 1
        }
    }

    /// Finds the first of three byte values, testing eight bytes per step with the classic "has a
    /// zero byte" bit trick, which keeps scans of long text close to memchr speed.
    struct ByteFinder {
        private let a: UInt8
        private let b: UInt8
        private let c: UInt8
        private let maskA: UInt64
        private let maskB: UInt64
        private let maskC: UInt64

        init(_ a: UInt8, _ b: UInt8, _ c: UInt8) {
            self.a = a
            self.b = b
            self.c = c
            maskA = 0x0101_0101_0101_0101 &* UInt64(a)
            maskB = 0x0101_0101_0101_0101 &* UInt64(b)
            maskC = 0x0101_0101_0101_0101 &* UInt64(c)
        }

        /// The first index in `buffer[from..<to]` holding one of the bytes, or `to` when none does.
        @inline(__always)
        func firstIndex(in buffer: UnsafePointer<UInt8>, from: Int, to: Int) -> Int {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            let raw = UnsafeRawPointer(buffer)
            var index = from
            while index &+ 8 <= to {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let xa = word ^ maskA
                let xb = word ^ maskB
                let xc = word ^ maskC
                // A zero byte of x sets its high bit here; false positives only lie above a true one.
                let hits = (((xa &- ones) & ~xa) | ((xb &- ones) & ~xb) | ((xc &- ones) & ~xc)) & highs
                if hits != 0 { return index &+ (hits.trailingZeroBitCount &>> 3) }
                index &+= 8
            }
            while index < to {
                let byte = buffer[index]
                if byte == a || byte == b || byte == c { return index }
                index &+= 1
            }
            return to
        }
    }

    /// The outcome of checking bytes as UTF-8.
    enum UTF8Check: Equatable {
        case valid
        /// The first byte that breaks UTF-8.
        case invalid(Int)
        /// Valid up to a character cut off by the end of the bytes, which starts here.
        case truncated(Int)
    }

    /// Checks `buffer[from..<to]` as UTF-8, skipping ASCII eight bytes at a time, and most Chinese
    /// text two characters at a time.
    static func checkUTF8(_ buffer: UnsafePointer<UInt8>, from: Int, to: Int) -> UTF8Check {
        let raw = UnsafeRawPointer(buffer)
        var index = from
        while index < to {
            if index &+ 8 <= to {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                if word & 0x8080_8080_8080_8080 == 0 {
                    index &+= 8
                    continue
                }
                // Two characters of three bytes, each led by E1–EC or EE–EF (whose second byte may
                // be any continuation byte, see below), in the word's first six bytes: leads of the
                // form 1110xxxx other than E0 and ED, then continuation bytes 10xxxxxx (for speed:
                // one character at a time, checking took a twentieth of reading the bench's CSV).
                if word & 0x0000_C0C0_F0C0_C0F0 == 0x0000_8080_E080_80E0 {
                    let first = word & 0x0F
                    let second = (word >> 24) & 0x0F
                    if first != 0 && first != 0x0D && second != 0 && second != 0x0D {
                        index &+= 6
                        continue
                    }
                }
            }
            let lead = buffer[index]
            if lead < 0x80 {
                index &+= 1
                continue
            }
            // Most Chinese characters take three bytes with no special range for the second one.
            if lead >= 0xE1 && lead != 0xED && lead <= 0xEF && index &+ 2 < to {
                guard buffer[index &+ 1] & 0xC0 == 0x80, buffer[index &+ 2] & 0xC0 == 0x80 else {
                    return .invalid(index)
                }
                index &+= 3
                continue
            }
            // Unicode table 3-7: the allowed range of the second byte depends on the lead byte.
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            let length: Int
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xED: length = 3; high = 0x9F
            case 0xE1...0xEF: length = 3
            case 0xF0: length = 4; low = 0x90
            case 0xF4: length = 4; high = 0x8F
            case 0xF1...0xF3: length = 4
            default: return .invalid(index)
            }
            for offset in 1..<length {
                guard index &+ offset < to else { return .truncated(index) }
                let byte = buffer[index &+ offset]
                let ok = offset == 1 ? (byte >= low && byte <= high) : (byte & 0xC0 == 0x80)
                if !ok { return .invalid(index) }
            }
            index &+= length
        }
        return .valid
    }

    /// The offset of the first byte that breaks UTF-8 in `bytes`, or nil when all of it is valid.
    /// When `complete` is false the bytes are a sample, so a character cut at the end is accepted.
    static func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>, complete: Bool) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        switch checkUTF8(base, from: 0, to: bytes.count) {
        case .valid: return nil
        case .invalid(let index): return index
        case .truncated(let index): return complete ? index : nil
        }
    }
}
