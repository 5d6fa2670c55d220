import Foundation

/// Reads one sheet of a legacy Excel 97–2003 workbook (.xls, BIFF8 in an OLE2 compound file) as display text.
///
/// 问卷星 still exports this format. The BIFF8 records are parsed by hand, as no library for them is
/// available to the project; see [MS-XLS]. The whole file is loaded once (the workbook stream is then
/// copied out of it), so memory is about twice the file size plus the result. Every length read from a
/// record is checked against the record, and every offset against the stream, before it is used.
public enum XLSReader {
    /// The largest .xls file read (it is read whole).
    static let maxFileBytes = 256 << 20

    /// Reads `sheet` by name, or the first worksheet in workbook order when nil.
    public static func read(url: URL, sheet: String? = nil) throws -> SheetTable {
        let book = try Book(url: url)
        let globals = try book.globals()
        let index = try SheetChoice.pick(
            names: globals.sheets.map(\.name), isWorksheet: globals.sheets.map(\.isWorksheet),
            requested: sheet, file: book.file)
        let chosen = globals.sheets[index]
        return SheetTable(name: chosen.name, rows: try book.rows(of: chosen, globals: globals))
    }

    /// The names of all sheets, in workbook order.
    public static func sheetNames(url: URL) throws -> [String] {
        let book = try Book(url: url)
        return try book.globals().sheets.map(\.name)
    }
}

// MARK: - Records

private enum RecordType {
    static let bof: UInt16 = 0x0809
    static let eof: UInt16 = 0x000A
    static let filePass: UInt16 = 0x002F
    static let dateMode: UInt16 = 0x0022
    static let format: UInt16 = 0x041E
    static let xf: UInt16 = 0x00E0
    static let boundSheet: UInt16 = 0x0085
    static let sst: UInt16 = 0x00FC
    static let continuation: UInt16 = 0x003C
    static let labelSST: UInt16 = 0x00FD
    static let label: UInt16 = 0x0204
    static let richLabel: UInt16 = 0x00D6
    static let number: UInt16 = 0x0203
    static let rk: UInt16 = 0x027E
    static let mulRK: UInt16 = 0x00BD
    static let boolErr: UInt16 = 0x0205
    static let formula: UInt16 = 0x0006
    static let string: UInt16 = 0x0207
}

private struct Record {
    var type: UInt16
    var body: Range<Int>
    var next: Int { body.upperBound }
}

private struct SheetInfo {
    var name: String
    var offset: Int
    var isWorksheet: Bool
}

private struct Globals {
    var sheets: [SheetInfo] = []
    var date1904 = false
    var cellFormats: [SpreadsheetFormat.Kind] = []
    var strings: [String] = []
}

/// The workbook stream of an .xls file and the file's path for messages.
private struct Book {
    let file: String
    let stream: [UInt8]

    init(url: URL) throws {
        file = url.path
        let kind = try SpreadsheetFile.sniff(url)
        guard kind == .compoundFile else { throw SpreadsheetFile.notAWorkbook(url, kind: kind, expected: "XLS") }
        // The legacy format holds at most 65,536 rows, and its container is read whole (its streams are
        // chains of sectors anywhere in the file); the cap keeps that bounded.
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        if size > XLSReader.maxFileBytes {
            throw ImportError(
                file: url.path, message: "the XLS file is larger than \(XLSReader.maxFileBytes >> 20) MiB",
                hint: "save it as XLSX or CSV, which are read as a stream")
        }
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: url))
        } catch {
            throw ImportError(file: url.path, message: "cannot read the file (\(error.localizedDescription))")
        }
        do {
            let container = try CompoundFile(bytes: bytes)
            // "Workbook" holds BIFF8; "Book" is the Excel 5.0/95 name, found so the error can say so.
            guard let found = try container.stream(named: ["Workbook", "Book"]) else {
                throw ImportError(
                    file: url.path, message: "not an XLS workbook (the compound file has no Workbook stream)",
                    hint: "it may be a Word document or another Office file")
            }
            stream = found.data
        } catch let error as CompoundFileError {
            throw ImportError(file: url.path, message: "the XLS file is damaged: \(error.reason)")
        }
    }

    func damaged(_ detail: String) -> ImportError {
        ImportError(file: file, message: "the XLS file is damaged: \(detail)")
    }

    func record(at position: Int) throws -> Record? {
        guard position + 4 <= stream.count else { return nil }
        let length = Int(CompoundFile.uint16(stream, position + 2))
        let body = (position + 4)..<(position + 4 + length)
        guard body.upperBound <= stream.count else {
            throw damaged("a record at byte \(position) of the workbook stream runs past its end")
        }
        return Record(type: CompoundFile.uint16(stream, position), body: body)
    }

    /// The record's body followed by the bodies of the CONTINUE records after it, and where the next record starts.
    func continued(_ record: Record) throws -> (segments: [Range<Int>], next: Int) {
        var segments = [record.body]
        var position = record.next
        while let following = try self.record(at: position), following.type == RecordType.continuation {
            segments.append(following.body)
            position = following.next
        }
        return (segments, position)
    }

    func uint16(_ record: Record, _ offset: Int) -> UInt16? {
        guard offset + 2 <= record.body.count else { return nil }
        return CompoundFile.uint16(stream, record.body.lowerBound + offset)
    }

    func uint32(_ record: Record, _ offset: Int) -> UInt32? {
        guard offset + 4 <= record.body.count else { return nil }
        return CompoundFile.uint32(stream, record.body.lowerBound + offset)
    }

    func double(_ record: Record, _ offset: Int) -> Double? {
        guard offset + 8 <= record.body.count else { return nil }
        let start = record.body.lowerBound + offset
        var bits: UInt64 = 0
        for index in (0..<8).reversed() { bits = bits << 8 | UInt64(stream[start + index]) }
        return Double(bitPattern: bits)
    }

    func string(_ segments: [Range<Int>], skipping prefix: Int, lengthBytes: Int, what: String) throws -> String {
        var reader = ContinuedReader(data: stream, segments: segments)
        do {
            try reader.skip(prefix)
            return try reader.string(lengthBytes: lengthBytes, extended: false)
        } catch is ContinuedReader.EndOfData {
            throw damaged("\(what) runs past the end of its record")
        }
    }

    // MARK: Workbook globals

    func globals() throws -> Globals {
        guard let bof = try record(at: 0), bof.type == RecordType.bof || [0x0009, 0x0209, 0x0409].contains(bof.type) else {
            throw damaged("the workbook stream does not start with a BOF record")
        }
        let version = uint16(bof, 0) ?? 0
        guard bof.type == RecordType.bof, version == 0x0600 else {
            throw ImportError(
                file: file, message: "the XLS file is in a format older than Excel 97 (BIFF5 or earlier), which is not supported",
                hint: "open it in Excel or WPS and save it as .xlsx")
        }
        var globals = Globals()
        var formatCodes: [Int: String] = [:]
        var formatIDs: [Int] = []
        var position = bof.next
        scan: while let record = try record(at: position) {
            position = record.next
            switch record.type {
            case RecordType.eof:
                break scan
            case RecordType.filePass:
                throw ImportError(
                    file: file, message: "the XLS workbook is password-protected",
                    hint: "remove the password in Excel or WPS and save it again")
            case RecordType.dateMode:
                globals.date1904 = uint16(record, 0) == 1
            case RecordType.format:
                guard let id = uint16(record, 0) else { throw damaged("a FORMAT record is too short") }
                formatCodes[Int(id)] = try string(
                    [record.body], skipping: 2, lengthBytes: 2, what: "a number format")
            case RecordType.xf:
                guard let id = uint16(record, 2) else { throw damaged("an XF record is too short") }
                formatIDs.append(Int(id))
            case RecordType.boundSheet:
                guard let offset = uint32(record, 0), record.body.count >= 6 else {
                    throw damaged("a BOUNDSHEET record is too short")
                }
                let name = try string([record.body], skipping: 6, lengthBytes: 1, what: "a sheet name")
                globals.sheets.append(
                    SheetInfo(
                        name: name, offset: Int(offset), isWorksheet: stream[record.body.lowerBound + 5] == 0))
            case RecordType.sst:
                let (segments, next) = try continued(record)
                globals.strings = try sharedStrings(segments)
                position = next
            default:
                break
            }
        }
        globals.cellFormats = formatIDs.map { id in
            formatCodes[id].map(SpreadsheetFormat.kind(code:)) ?? SpreadsheetFormat.builtInKind(id: id)
        }
        return globals
    }

    /// The shared string table, whose strings may be split across CONTINUE records (see `ContinuedReader`).
    private func sharedStrings(_ segments: [Range<Int>]) throws -> [String] {
        var reader = ContinuedReader(data: stream, segments: segments)
        do {
            try reader.skip(4)  // total number of references to the table
            let unique = Int(try reader.uint32())
            var strings: [String] = []
            // Each string takes at least 3 bytes, which caps what a damaged count can make us reserve.
            strings.reserveCapacity(min(unique, reader.remaining / 3))
            while strings.count < unique, reader.remaining > 0 {
                strings.append(try reader.string(lengthBytes: 2, extended: true))
            }
            return strings
        } catch is ContinuedReader.EndOfData {
            throw damaged("the shared string table runs past the end of its records")
        }
    }

    // MARK: Sheet cells

    func rows(of sheet: SheetInfo, globals: Globals) throws -> [SheetRow] {
        guard let bof = try record(at: sheet.offset), bof.type == RecordType.bof else {
            throw damaged("sheet \"\(sheet.name)\" does not start where the workbook says (byte \(sheet.offset))")
        }
        var builder = SheetBuilder(file: file)
        guard sheet.isWorksheet else { return builder.finish() }

        func format(_ xf: UInt16?) -> SpreadsheetFormat.Kind {
            guard let xf, Int(xf) < globals.cellFormats.count else { return .general }
            return globals.cellFormats[Int(xf)]
        }
        func numberText(_ value: Double, xf: UInt16?) -> String {
            let kind = format(xf)
            if kind != .general, let date = SpreadsheetText.date(serial: value, kind: kind, date1904: globals.date1904) {
                return date
            }
            return SpreadsheetText.number(value)
        }
        func place(_ record: Record, _ text: String) throws {
            guard let row = uint16(record, 0), let column = uint16(record, 2) else {
                throw damaged("a cell record is too short")
            }
            try builder.set(row: Int(row) + 1, column: Int(column), text: text)
        }

        // Charts embedded in a sheet come as nested BOF…EOF substreams; only the sheet's own level holds cells.
        var depth = 1
        var pendingFormula: Record?
        var position = bof.next
        while let record = try record(at: position) {
            position = record.next
            switch record.type {
            case RecordType.bof:
                depth += 1
                continue
            case RecordType.eof:
                depth -= 1
                if depth == 0 { return builder.finish() }
                continue
            default:
                guard depth == 1 else { continue }
            }
            switch record.type {
            case RecordType.labelSST:
                guard let index = uint32(record, 6) else { throw damaged("a LABELSST record is too short") }
                guard Int(index) < globals.strings.count else {
                    throw damaged("a cell refers to shared string \(index), which does not exist")
                }
                try place(record, globals.strings[Int(index)])
            case RecordType.label, RecordType.richLabel:
                let (segments, next) = try continued(record)
                position = next
                try place(record, try string(segments, skipping: 6, lengthBytes: 2, what: "a text cell"))
            case RecordType.number:
                guard let value = double(record, 6) else { throw damaged("a NUMBER record is too short") }
                try place(record, numberText(value, xf: uint16(record, 4)))
            case RecordType.rk:
                guard let rk = uint32(record, 6) else { throw damaged("an RK record is too short") }
                try place(record, numberText(Self.decodeRK(rk), xf: uint16(record, 4)))
            case RecordType.mulRK:
                guard let row = uint16(record, 0), let first = uint16(record, 2), record.body.count >= 6 else {
                    throw damaged("a MULRK record is too short")
                }
                // Six bytes per cell (XF index, RK value) between the 4-byte start and the 2-byte last column.
                let cells = (record.body.count - 6) / 6
                for cell in 0..<cells {
                    let offset = 4 + cell * 6
                    guard let rk = uint32(record, offset + 2) else { break }
                    try builder.set(
                        row: Int(row) + 1, column: Int(first) + cell,
                        text: numberText(Self.decodeRK(rk), xf: uint16(record, offset)))
                }
            case RecordType.boolErr:
                guard record.body.count >= 8 else { throw damaged("a BOOLERR record is too short") }
                let value = stream[record.body.lowerBound + 6]
                let isError = stream[record.body.lowerBound + 7] != 0
                try place(record, isError ? SpreadsheetText.errorText(code: value) : SpreadsheetText.boolean(value != 0))
            case RecordType.formula:
                guard record.body.count >= 14 else { throw damaged("a FORMULA record is too short") }
                pendingFormula = nil
                let result = record.body.lowerBound + 6
                // A cached result that is not a number is flagged by 0xFFFF in its top two bytes.
                guard stream[result + 6] == 0xFF, stream[result + 7] == 0xFF else {
                    try place(record, numberText(double(record, 6) ?? 0, xf: uint16(record, 4)))
                    continue
                }
                switch stream[result] {
                case 0: pendingFormula = record  // the text follows in a STRING record
                case 1: try place(record, SpreadsheetText.boolean(stream[result + 2] != 0))
                case 2: try place(record, SpreadsheetText.errorText(code: stream[result + 2]))
                default: break  // an empty string
                }
            case RecordType.string:
                let (segments, next) = try continued(record)
                position = next
                if let formula = pendingFormula {
                    pendingFormula = nil
                    try place(formula, try string(segments, skipping: 0, lengthBytes: 2, what: "a formula result"))
                }
            default:
                break
            }
        }
        // Returning the cells read so far would silently drop responses, so a missing end is an error.
        throw damaged("sheet \"\(sheet.name)\" ends without its EOF record")
    }

    /// RK packs a number into 30 bits: either a signed integer or the top of a double, optionally divided by 100.
    static func decodeRK(_ rk: UInt32) -> Double {
        let value: Double
        if rk & 0x02 != 0 {
            value = Double(Int32(bitPattern: rk) >> 2)
        } else {
            value = Double(bitPattern: UInt64(rk & 0xFFFF_FFFC) << 32)
        }
        return rk & 0x01 != 0 ? value / 100 : value
    }
}

/// Reads fields and strings from a record and its CONTINUE records as one run of bytes, except that a
/// string's characters, when split, resume after a new option byte that says whether the rest is stored
/// as 16-bit units or as "compressed" 8-bit (Latin-1) ones.
private struct ContinuedReader {
    struct EndOfData: Error {}

    private let data: [UInt8]
    private let segments: [Range<Int>]
    private var segment = 0
    private var position: Int

    init(data: [UInt8], segments: [Range<Int>]) {
        self.data = data
        self.segments = segments
        position = segments.first?.lowerBound ?? 0
    }

    /// Bytes left in this segment and the ones after it.
    var remaining: Int {
        guard segment < segments.count else { return 0 }
        return segments[segment].upperBound - position
            + segments[(segment + 1)...].reduce(0) { $0 + $1.count }
    }

    private mutating func advanceIfAtEnd() throws {
        while segment < segments.count, position >= segments[segment].upperBound {
            segment += 1
            guard segment < segments.count else { throw EndOfData() }
            position = segments[segment].lowerBound
        }
        guard segment < segments.count else { throw EndOfData() }
    }

    mutating func byte() throws -> UInt8 {
        try advanceIfAtEnd()
        defer { position += 1 }
        return data[position]
    }

    mutating func uint16() throws -> UInt16 {
        UInt16(try byte()) | UInt16(try byte()) << 8
    }

    mutating func uint32() throws -> UInt32 {
        UInt32(try uint16()) | UInt32(try uint16()) << 16
    }

    mutating func skip(_ count: Int) throws {
        var left = count
        while left > 0 {
            try advanceIfAtEnd()
            let step = min(left, segments[segment].upperBound - position)
            position += step
            left -= step
        }
    }

    /// A string with a 1- or 2-byte character count. `extended` strings (the shared string table's) may
    /// carry formatting runs and phonetic data after the characters, which are skipped.
    mutating func string(lengthBytes: Int, extended: Bool) throws -> String {
        let count = lengthBytes == 1 ? Int(try byte()) : Int(try uint16())
        let options = try byte()
        let runs = extended && options & 0x08 != 0 ? Int(try uint16()) : 0
        let extraBytes = extended && options & 0x04 != 0 ? Int(try uint32()) : 0
        let text = try characters(count, wide: options & 0x01 != 0)
        try skip(runs * 4)
        try skip(extraBytes)
        return text
    }

    private mutating func characters(_ count: Int, wide initiallyWide: Bool) throws -> String {
        var units: [UInt16] = []
        units.reserveCapacity(count)
        var wide = initiallyWide
        while units.count < count {
            guard segment < segments.count else { throw EndOfData() }
            let end = segments[segment].upperBound
            if position >= end {
                segment += 1
                guard segment < segments.count else { throw EndOfData() }
                position = segments[segment].lowerBound
                guard position < segments[segment].upperBound else { continue }
                wide = data[position] & 0x01 != 0
                position += 1
                continue
            }
            if wide {
                // A lone byte before the boundary cannot hold a character; writers do not leave one.
                guard position + 1 < end else {
                    position = end
                    continue
                }
                units.append(UInt16(data[position]) | UInt16(data[position + 1]) << 8)
                position += 2
            } else {
                units.append(UInt16(data[position]))
                position += 1
            }
        }
        return String(decoding: units, as: UTF16.self)
    }
}
