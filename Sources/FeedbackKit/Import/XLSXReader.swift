import Foundation
import ZIPFoundation

/// Reads one sheet of an Office Open XML workbook (.xlsx) as display text.
///
/// Memory: every part is unpacked in 64 KiB chunks and parsed as the chunks arrive (see `XMLScanner`), so
/// no part is ever held whole: peak memory is the shared strings (kept because cells refer to them by
/// index), the rows built so far, and one chunk plus one unfinished XML token. Declared unpacked sizes are
/// checked against what deflate can produce from the packed bytes (at most 1032:1), so the work is bounded
/// by the file size, and against fixed ceilings (`partLimit`, `stringsLimit`, `sheetLimit`); the rows are
/// bounded by `SheetBuilder.maximumCells`.
public enum XLSXReader {
    static let partLimit: UInt64 = 64 << 20
    static let stringsLimit: UInt64 = 1 << 30
    static let sheetLimit: UInt64 = 2 << 30

    /// Reads `sheet` by name, or the first worksheet in workbook order when nil.
    public static func read(url: URL, sheet: String? = nil) throws -> SheetTable {
        let package = try Package(url: url)
        let workbook = try package.workbook()
        let chosen = try workbook.sheet(named: sheet, file: package.file)
        guard let part = chosen.part, let entry = package.entry(part) else {
            throw package.damaged("sheet \"\(chosen.name)\" has no worksheet part")
        }
        let styles = try package.styles(workbook: workbook)
        let strings = try package.sharedStrings(workbook: workbook)
        var handler = WorksheetHandler(
            file: package.file, part: part, strings: strings, formats: styles, date1904: workbook.date1904)
        try package.parse(part, entry: entry, limit: sheetLimit, into: &handler)
        return SheetTable(name: chosen.name, rows: handler.builder.finish())
    }

    /// The names of all sheets, in workbook order.
    public static func sheetNames(url: URL) throws -> [String] {
        try Package(url: url).workbook().sheets.map(\.name)
    }
}

// MARK: - Package parts

/// The ZIP container with its parts looked up case-insensitively, as the packaging rules (OPC) require.
private struct Package {
    let file: String
    let archive: Archive
    let entries: [String: Entry]

    init(url: URL) throws {
        file = url.path
        let kind = try SpreadsheetFile.sniff(url)
        guard kind == .zip else { throw SpreadsheetFile.notAWorkbook(url, kind: kind, expected: "XLSX") }
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw ImportError(file: url.path, message: "the XLSX file is damaged: its ZIP directory cannot be read")
        }
        var entries: [String: Entry] = [:]
        for entry in archive where entry.type == .file {
            entries[Self.key(entry.path)] = entry
        }
        self.entries = entries
    }

    static func key(_ path: String) -> String {
        var path = path.replacingOccurrences(of: "\\", with: "/")
        while path.hasPrefix("/") { path.removeFirst() }
        return path.lowercased()
    }

    func entry(_ part: String) -> Entry? { entries[Self.key(part)] }

    func damaged(_ detail: String) -> ImportError {
        ImportError(file: file, message: "the XLSX file is damaged: \(detail)")
    }

    /// Streams one part through the XML scanner.
    func parse<Handler: XMLScanHandler>(
        _ part: String, entry: Entry, limit: UInt64, into handler: inout Handler
    ) throws {
        let declared = entry.uncompressedSize
        if entry.isCompressed, declared > entry.compressedSize &* 1_032 &+ 65_536 {
            throw damaged("\(part) claims \(declared) bytes unpacked from \(entry.compressedSize) packed bytes")
        }
        if !entry.isCompressed, declared > entry.compressedSize {
            throw damaged("\(part) claims more bytes than the archive holds")
        }
        guard declared <= limit else {
            throw ImportError(
                file: file, message: "\(part) is too large to import (\(declared) bytes; the limit is \(limit))")
        }
        var scanner = XMLScanner()
        var seen: UInt64 = 0
        do {
            let checksum = try archive.extract(entry, bufferSize: 64 * 1_024) { chunk in
                seen += UInt64(chunk.count)
                guard seen <= declared else { throw damaged("\(part) holds more bytes than it declares") }
                try scanner.feed(chunk, into: &handler)
            }
            guard seen == declared else { throw damaged("\(part) is cut short") }
            guard checksum == entry.checksum else { throw damaged("\(part) fails its checksum") }
            try scanner.finish(into: &handler)
        } catch let error as ImportError {
            throw error
        } catch let error as XMLScanError {
            throw damaged("\(part) is not well-formed XML (\(error.reason))")
        } catch is Archive.ArchiveError {
            throw damaged("\(part) cannot be read from the archive")
        } catch {
            // ZIPFoundation's decompression errors are internal types; all of them mean bad packed bytes.
            throw damaged("\(part) cannot be unpacked (its packed data is corrupt)")
        }
    }

    /// Relationships of a part, from the _rels folder beside it; empty when the part has none.
    func relationships(of part: String) throws -> [Relationship] {
        let slash = part.lastIndex(of: "/")
        let directory = slash.map { String(part[..<$0]) + "/" } ?? ""
        let name = slash.map { String(part[part.index(after: $0)...]) } ?? part
        let relsPart = directory + "_rels/" + name + ".rels"
        guard let entry = entry(relsPart) else { return [] }
        var handler = RelationshipsHandler(source: part)
        try parse(relsPart, entry: entry, limit: XLSXReader.partLimit, into: &handler)
        return handler.relationships
    }

    func workbook() throws -> Workbook {
        // The package relationships name the main part; xl/workbook.xml is only the usual place.
        let main = try relationships(of: "").first { $0.type.hasSuffix("/officeDocument") }?.target
        let part = main.flatMap { entry($0) != nil ? $0 : nil } ?? "xl/workbook.xml"
        guard let entry = entry(part) else {
            throw ImportError(file: file, message: "not an XLSX workbook (no xl/workbook.xml)")
        }
        var handler = WorkbookHandler()
        try parse(part, entry: entry, limit: XLSXReader.partLimit, into: &handler)
        let relationships = try relationships(of: part)
        var byID: [String: Relationship] = [:]
        for relationship in relationships { byID[relationship.id] = relationship }
        let sheets = handler.sheets.map { sheet -> Workbook.Sheet in
            let relationship = byID[sheet.relationshipID]
            return Workbook.Sheet(
                name: sheet.name, part: relationship?.target,
                isWorksheet: relationship?.type.hasSuffix("/worksheet") ?? false)
        }
        // Some generators leave these two parts out of the relationships; they sit beside the workbook part.
        let folder = part.lastIndex(of: "/").map { String(part[...$0]) } ?? ""
        return Workbook(
            part: part, sheets: sheets, date1904: handler.date1904,
            stylesPart: relationships.first { $0.type.hasSuffix("/styles") }?.target ?? folder + "styles.xml",
            sharedStringsPart: relationships.first { $0.type.hasSuffix("/sharedStrings") }?.target
                ?? folder + "sharedStrings.xml")
    }

    /// Number format kind per cell style index; empty when the workbook has no styles part.
    func styles(workbook: Workbook) throws -> [SpreadsheetFormat.Kind] {
        guard let part = workbook.stylesPart, let entry = entry(part) else { return [] }
        var handler = StylesHandler()
        try parse(part, entry: entry, limit: XLSXReader.partLimit, into: &handler)
        return handler.cellFormats.map { id in
            handler.customFormats[id].map(SpreadsheetFormat.kind(code:)) ?? SpreadsheetFormat.builtInKind(id: id)
        }
    }

    func sharedStrings(workbook: Workbook) throws -> [String] {
        guard let part = workbook.sharedStringsPart, let entry = entry(part) else { return [] }
        var handler = SharedStringsHandler()
        try parse(part, entry: entry, limit: XLSXReader.stringsLimit, into: &handler)
        return handler.strings
    }
}

private struct Relationship {
    var id: String
    var type: String
    /// Package path of the target, resolved against the source part.
    var target: String
}

private struct Workbook {
    struct Sheet {
        var name: String
        var part: String?
        var isWorksheet: Bool
    }

    var part: String
    var sheets: [Sheet]
    var date1904: Bool
    var stylesPart: String?
    var sharedStringsPart: String?

    func sheet(named name: String?, file: String) throws -> Sheet {
        let index = try SheetChoice.pick(
            names: sheets.map(\.name), isWorksheet: sheets.map(\.isWorksheet), requested: name, file: file)
        return sheets[index]
    }
}

/// Resolves a relationship target (a relative URI) against the folder of its source part.
private func resolve(target: String, source: String) -> String {
    let decoded = target.removingPercentEncoding ?? target
    var segments: [Substring] = []
    if !decoded.hasPrefix("/"), let slash = source.lastIndex(of: "/") {
        segments = source[..<slash].split(separator: "/")
    }
    for segment in decoded.split(separator: "/") {
        switch segment {
        case ".": continue
        case "..": if !segments.isEmpty { segments.removeLast() }
        default: segments.append(segment)
        }
    }
    return segments.joined(separator: "/")
}

// MARK: - Part handlers

private struct RelationshipsHandler: XMLScanHandler {
    let source: String
    var relationships: [Relationship] = []
    var wantsText: Bool { false }

    mutating func startElement(_ name: String, attributes: [XMLAttribute]) throws {
        guard name == "Relationship", attributes.value("TargetMode") != "External",
            let id = attributes.value("Id"), let target = attributes.value("Target")
        else { return }
        relationships.append(
            Relationship(
                id: id, type: attributes.value("Type") ?? "", target: resolve(target: target, source: source)))
    }
}

private struct WorkbookHandler: XMLScanHandler {
    struct SheetEntry {
        var name: String
        var relationshipID: String
    }

    var sheets: [SheetEntry] = []
    var date1904 = false
    var wantsText: Bool { false }

    mutating func startElement(_ name: String, attributes: [XMLAttribute]) throws {
        switch name {
        case "workbookPr":
            let value = attributes.value("date1904")?.lowercased()
            date1904 = value == "1" || value == "true"
        case "sheet":
            // r:id arrives as "id" because prefixes are dropped; sheetId is a different attribute.
            sheets.append(
                SheetEntry(
                    name: attributes.value("name") ?? "", relationshipID: attributes.value("id") ?? ""))
        default:
            break
        }
    }
}

private struct StylesHandler: XMLScanHandler {
    var customFormats: [Int: String] = [:]
    var cellFormats: [Int] = []
    private var inCellFormats = false
    var wantsText: Bool { false }

    mutating func startElement(_ name: String, attributes: [XMLAttribute]) throws {
        switch name {
        case "numFmt":
            if let id = attributes.value("numFmtId").flatMap({ Int($0) }), let code = attributes.value("formatCode") {
                customFormats[id] = code
            }
        case "cellXfs":
            inCellFormats = true
        case "xf" where inCellFormats:
            cellFormats.append(attributes.value("numFmtId").flatMap { Int($0) } ?? 0)
        default:
            break
        }
    }

    mutating func endElement(_ name: String) throws {
        if name == "cellXfs" { inCellFormats = false }
    }
}

private struct SharedStringsHandler: XMLScanHandler {
    var strings: [String] = []
    private var current = ""
    private var inItem = false
    private var inText = false
    private var phoneticDepth = 0

    // Phonetic runs (<rPh>) carry furigana-style readings that Excel does not show in the cell.
    var wantsText: Bool { inText && phoneticDepth == 0 }

    mutating func startElement(_ name: String, attributes: [XMLAttribute]) throws {
        switch name {
        case "si":
            inItem = true
            current = ""
        case "t" where inItem: inText = true
        case "rPh": phoneticDepth += 1
        default: break
        }
    }

    mutating func endElement(_ name: String) throws {
        switch name {
        case "t": inText = false
        case "rPh": phoneticDepth = max(0, phoneticDepth - 1)
        case "si":
            strings.append(decodeExcelEscapes(current))
            inItem = false
        default: break
        }
    }

    mutating func text(_ text: String) throws { current += text }
}

private struct WorksheetHandler: XMLScanHandler {
    let file: String
    let part: String
    let strings: [String]
    let formats: [SpreadsheetFormat.Kind]
    let date1904: Bool
    var builder: SheetBuilder

    private var inSheetData = false
    private var rowNumber = 0
    private var nextColumn = 0
    private var inCell = false
    private var cellColumn = 0
    private var cellType = "n"
    private var cellStyle = 0
    private var cellText = ""
    private var inValue = false
    private var inInline = false
    private var inText = false
    private var phoneticDepth = 0

    init(file: String, part: String, strings: [String], formats: [SpreadsheetFormat.Kind], date1904: Bool) {
        self.file = file
        self.part = part
        self.strings = strings
        self.formats = formats
        self.date1904 = date1904
        builder = SheetBuilder(file: file)
    }

    var wantsText: Bool { inValue || (inText && phoneticDepth == 0) }

    private func damaged(_ detail: String) -> ImportError {
        ImportError(file: file, message: "the XLSX file is damaged: \(detail) in \(part)")
    }

    mutating func startElement(_ name: String, attributes: [XMLAttribute]) throws {
        switch name {
        case "sheetData":
            inSheetData = true
        case "row" where inSheetData:
            if let text = attributes.value("r") {
                guard let number = Int(text), (1...1_048_576).contains(number) else {
                    throw damaged("row number \"\(text)\" is out of range")
                }
                rowNumber = number
            } else {
                rowNumber += 1
            }
            nextColumn = 0
        case "c" where inSheetData:
            inCell = true
            cellColumn = nextColumn
            if let reference = attributes.value("r") {
                guard let (column, row) = XLSXReader.cellReference(reference) else {
                    throw damaged("cell reference \"\(reference)\" is not valid")
                }
                cellColumn = column
                // A cell outside any <row> element takes its row from its own reference.
                if rowNumber == 0, let row { rowNumber = row }
            }
            cellType = attributes.value("t") ?? "n"
            cellStyle = attributes.value("s").flatMap { Int($0) } ?? 0
            cellText = ""
        case "v" where inCell:
            inValue = true
        case "is" where inCell:
            inInline = true
        case "t" where inInline:
            inText = true
        case "rPh" where inInline:
            phoneticDepth += 1
        default:
            break
        }
    }

    mutating func endElement(_ name: String) throws {
        switch name {
        case "v": inValue = false
        case "t": inText = false
        case "rPh": phoneticDepth = max(0, phoneticDepth - 1)
        case "is": inInline = false
        case "sheetData": inSheetData = false
        case "c" where inCell:
            inCell = false
            nextColumn = cellColumn + 1
            try builder.set(row: max(rowNumber, 1), column: cellColumn, text: try display())
        default: break
        }
    }

    mutating func text(_ text: String) throws { cellText += text }

    private func display() throws -> String {
        switch cellType {
        case "s":
            let trimmed = trimmedXMLSpace(cellText)
            if trimmed.isEmpty { return "" }
            guard let index = Int(trimmed), strings.indices.contains(index) else {
                throw damaged("shared string \"\(trimmed)\" does not exist")
            }
            return strings[index]
        case "inlineStr", "str":
            return decodeExcelEscapes(cellText)
        case "b":
            switch trimmedXMLSpace(cellText) {
            case "1", "true": return SpreadsheetText.boolean(true)
            case "0", "false": return SpreadsheetText.boolean(false)
            case let other: return other
            }
        case "e":
            return cellText
        case "d":
            return isoDateText(trimmedXMLSpace(cellText))
        default:
            let trimmed = trimmedXMLSpace(cellText)
            guard let value = Double(trimmed) else { return trimmed }
            let kind = formats.indices.contains(cellStyle) ? formats[cellStyle] : .general
            if kind != .general, let date = SpreadsheetText.date(serial: value, kind: kind, date1904: date1904) {
                return date
            }
            return SpreadsheetText.number(value)
        }
    }
}

/// Drops XML white space around a value. Values almost never have any, so that case returns at once;
/// Foundation's trimmingCharacters(in:) bridges to NSString and took a third of the time on large sheets.
private func trimmedXMLSpace(_ text: String) -> String {
    let utf8 = text.utf8
    func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
    guard let first = utf8.first, let last = utf8.last, isSpace(first) || isSpace(last) else { return text }
    guard let start = utf8.firstIndex(where: { !isSpace($0) }), let end = utf8.lastIndex(where: { !isSpace($0) }) else {
        return ""
    }
    return String(text[start..<utf8.index(after: end)])
}

extension XLSXReader {
    /// Column (0-based) and row (1-based, when present) of a reference such as "C7" or "$C$7".
    static func cellReference(_ reference: String) -> (column: Int, row: Int?)? {
        var column = 0
        var letters = 0
        var row = 0
        var digits = 0
        for byte in reference.utf8 {
            switch byte {
            case UInt8(ascii: "$"):
                continue
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
                guard digits == 0, letters < 3 else { return nil }
                column = column * 26 + Int((byte | 0x20) - UInt8(ascii: "a")) + 1
                letters += 1
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard letters > 0, digits < 7 else { return nil }
                row = row * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
            default:
                return nil
            }
        }
        // XFD (16384 columns) and 1048576 rows are the largest sheet Excel makes.
        guard letters > 0, column <= 16_384, digits == 0 || (1...1_048_576).contains(row) else { return nil }
        return (column - 1, digits == 0 ? nil : row)
    }
}

/// Excel writes characters that XML cannot hold (control characters, lone surrogates) as _xHHHH_,
/// and a literal "_x" followed by four hex digits as _x005F_xHHHH_.
private func decodeExcelEscapes(_ text: String) -> String {
    // A byte scan, because Foundation's contains(_:) bridges to NSString and dominated large sheets.
    var sawUnderscore = false
    var found = false
    for byte in text.utf8 {
        if sawUnderscore, byte == UInt8(ascii: "x") {
            found = true
            break
        }
        sawUnderscore = byte == UInt8(ascii: "_")
    }
    guard found else { return text }
    let units = Array(text.utf16)
    var output: [UInt16] = []
    output.reserveCapacity(units.count)
    var index = 0
    func hexValue(_ unit: UInt16) -> UInt16? {
        switch unit {
        case 0x30...0x39: return unit - 0x30
        case 0x41...0x46: return unit - 0x41 + 10
        case 0x61...0x66: return unit - 0x61 + 10
        default: return nil
        }
    }
    while index < units.count {
        if units[index] == 0x5F, index + 6 < units.count, units[index + 1] == 0x78, units[index + 6] == 0x5F,
            let a = hexValue(units[index + 2]), let b = hexValue(units[index + 3]),
            let c = hexValue(units[index + 4]), let d = hexValue(units[index + 5])
        {
            output.append(a << 12 | b << 8 | c << 4 | d)
            index += 7
        } else {
            output.append(units[index])
            index += 1
        }
    }
    return String(decoding: output, as: UTF16.self)
}

/// Cells of type "d" hold ISO 8601 text; shown in the same form as serial dates.
private func isoDateText(_ text: String) -> String {
    let parts = text.split(separator: "T", maxSplits: 1)
    guard let datePart = parts.first else { return text }
    guard parts.count == 2 else { return String(datePart) }
    let time = String(parts[1].prefix(8))
    if datePart == "1899-12-30" || datePart == "1899-12-31" { return time }
    return time == "00:00:00" ? String(datePart) : datePart + " " + time
}

// MARK: - XML scanning

/// An attribute with its namespace prefix removed and its entities decoded.
private struct XMLAttribute {
    var name: String
    var value: String
}

extension Array where Element == XMLAttribute {
    func value(_ name: String) -> String? { first { $0.name == name }?.value }
}

/// Receives what `XMLScanner` finds. Element names arrive without their namespace prefix.
private protocol XMLScanHandler {
    /// Whether text at the current point matters; unwanted text is skipped without being decoded.
    var wantsText: Bool { get }
    mutating func startElement(_ name: String, attributes: [XMLAttribute]) throws
    mutating func endElement(_ name: String) throws
    mutating func text(_ text: String) throws
}

extension XMLScanHandler {
    mutating func endElement(_ name: String) throws {}
    mutating func text(_ text: String) throws {}
}

private struct XMLScanError: Error {
    var reason: String
}

/// A small push tokenizer for the XML in workbook parts, fed chunk by chunk as they are unpacked.
///
/// FoundationXML's XMLParser was the first choice, but it needs the whole document (or a pull-style
/// InputStream that ZIPFoundation's push-style extraction cannot provide), and on Linux it took about 2 s
/// in a release build just to deliver the events of a 49 MB sheet; with this scanner the whole reader turns
/// a 113 MB sheet (2.8 million cells) into rows in about 2.5 s at under 90 MB of memory. SpreadsheetML uses no DTDs or custom
/// entities, so this scanner handles elements, attributes, the predefined and numeric entities, CDATA,
/// comments and processing instructions, and skips DOCTYPE declarations without expanding anything.
/// It does not check that end tags match; handlers only look at the elements they know.
private struct XMLScanner {
    private var pending: [UInt8] = []

    mutating func feed<Handler: XMLScanHandler>(_ chunk: Data, into handler: inout Handler) throws {
        pending.append(contentsOf: chunk)
        let consumed = try scan(final: false, into: &handler)
        pending.removeSubrange(0..<consumed)
    }

    mutating func finish<Handler: XMLScanHandler>(into handler: inout Handler) throws {
        let consumed = try scan(final: true, into: &handler)
        guard consumed == pending.count else { throw XMLScanError(reason: "it ends inside a tag") }
        pending.removeAll()
    }

    /// Handles every complete token and returns how many bytes were used; the rest waits for more input.
    private func scan<Handler: XMLScanHandler>(final: Bool, into handler: inout Handler) throws -> Int {
        try pending.withUnsafeBufferPointer { bytes -> Int in
            let count = bytes.count
            var index = 0
            while index < count {
                if bytes[index] != UInt8(ascii: "<") {
                    guard let open = Self.find(UInt8(ascii: "<"), in: bytes, from: index) else {
                        if final {
                            if handler.wantsText { try handler.text(Self.decodeText(bytes, index..<count)) }
                            index = count
                        } else if !handler.wantsText {
                            index = count
                        }
                        break
                    }
                    if handler.wantsText { try handler.text(Self.decodeText(bytes, index..<open)) }
                    index = open
                    continue
                }
                guard index + 1 < count else { break }
                switch bytes[index + 1] {
                case UInt8(ascii: "?"):
                    guard let end = Self.find(sequence: "?>", in: bytes, from: index + 2) else { return index }
                    index = end + 2
                case UInt8(ascii: "!"):
                    if Self.matches("<!--", bytes, at: index) {
                        guard let end = Self.find(sequence: "-->", in: bytes, from: index + 4) else { return index }
                        index = end + 3
                    } else if Self.matches("<![CDATA[", bytes, at: index) {
                        guard let end = Self.find(sequence: "]]>", in: bytes, from: index + 9) else { return index }
                        if handler.wantsText {
                            try handler.text(
                                String(
                                    decoding: UnsafeBufferPointer(rebasing: bytes[(index + 9)..<end]),
                                    as: UTF8.self))
                        }
                        index = end + 3
                    } else {
                        // Wait until enough bytes are there to tell a comment or CDATA from a declaration.
                        if !final, count - index < 9 { return index }
                        guard let end = Self.closingAngle(bytes, from: index + 2, nestsBrackets: true) else { return index }
                        index = end + 1
                    }
                case UInt8(ascii: "/"):
                    guard let end = Self.find(UInt8(ascii: ">"), in: bytes, from: index + 2) else { return index }
                    try handler.endElement(Self.localName(bytes, (index + 2)..<end))
                    index = end + 1
                default:
                    guard let end = Self.closingAngle(bytes, from: index + 1, nestsBrackets: false) else { return index }
                    try Self.startTag(bytes, (index + 1)..<end, into: &handler)
                    index = end + 1
                }
            }
            return index
        }
    }

    private static func find(_ byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress else { return nil }
        guard let hit = memchr(base + start, Int32(byte), bytes.count - start) else { return nil }
        return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }

    private static func find(sequence: StaticString, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let pattern = UnsafeBufferPointer(start: sequence.utf8Start, count: sequence.utf8CodeUnitCount)
        var position = start
        while let hit = find(pattern[0], in: bytes, from: position) {
            if hit + pattern.count > bytes.count { return nil }
            if (0..<pattern.count).allSatisfy({ bytes[hit + $0] == pattern[$0] }) { return hit }
            position = hit + 1
        }
        return nil
    }

    private static func matches(_ prefix: StaticString, _ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        let pattern = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        guard index + pattern.count <= bytes.count else { return false }
        return (0..<pattern.count).allSatisfy { bytes[index + $0] == pattern[$0] }
    }

    /// The ">" that closes a start tag, or (with `nestsBrackets`) a <!DOCTYPE …> style declaration, whose
    /// internal subset in brackets may hold ">". Quoted values may hold ">" too, so quotes are tracked.
    private static func closingAngle(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, nestsBrackets: Bool) -> Int? {
        var depth = 0
        var quote: UInt8 = 0
        for index in start..<bytes.count {
            let byte = bytes[index]
            if quote != 0 {
                if byte == quote { quote = 0 }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if nestsBrackets && byte == UInt8(ascii: "[") {
                depth += 1
            } else if nestsBrackets && byte == UInt8(ascii: "]") {
                depth = max(0, depth - 1)
            } else if byte == UInt8(ascii: ">"), depth == 0 {
                return index
            }
        }
        return nil
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func localName(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, isSpace(bytes[lower]) { lower += 1 }
        while upper > lower, isSpace(bytes[upper - 1]) { upper -= 1 }
        var start = lower
        for index in lower..<upper where bytes[index] == UInt8(ascii: ":") { start = index + 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<upper]), as: UTF8.self)
    }

    private static func startTag<Handler: XMLScanHandler>(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into handler: inout Handler
    ) throws {
        var upper = range.upperBound
        let selfClosing = upper > range.lowerBound && bytes[upper - 1] == UInt8(ascii: "/")
        if selfClosing { upper -= 1 }
        var index = range.lowerBound
        while index < upper, !isSpace(bytes[index]) { index += 1 }
        let name = localName(bytes, range.lowerBound..<index)
        guard !name.isEmpty else { throw XMLScanError(reason: "a tag has no name") }
        var attributes: [XMLAttribute] = []
        while index < upper {
            while index < upper, isSpace(bytes[index]) { index += 1 }
            guard index < upper else { break }
            let nameStart = index
            while index < upper, bytes[index] != UInt8(ascii: "="), !isSpace(bytes[index]) { index += 1 }
            let nameEnd = index
            while index < upper, isSpace(bytes[index]) { index += 1 }
            guard index < upper, bytes[index] == UInt8(ascii: "=") else {
                throw XMLScanError(reason: "attribute in <\(name)> has no value")
            }
            index += 1
            while index < upper, isSpace(bytes[index]) { index += 1 }
            guard index < upper, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
                throw XMLScanError(reason: "attribute in <\(name)> is not quoted")
            }
            let quote = bytes[index]
            index += 1
            let valueStart = index
            while index < upper, bytes[index] != quote { index += 1 }
            guard index < upper else { throw XMLScanError(reason: "attribute in <\(name)> is not closed") }
            attributes.append(
                XMLAttribute(
                    name: localName(bytes, nameStart..<nameEnd), value: decodeText(bytes, valueStart..<index)))
            index += 1
        }
        try handler.startElement(name, attributes: attributes)
        if selfClosing { try handler.endElement(name) }
    }

    /// UTF-8 text with entities replaced and line ends normalised to "\n", as XML requires.
    static func decodeText(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        let slice = UnsafeBufferPointer(rebasing: bytes[range])
        guard slice.contains(where: { $0 == UInt8(ascii: "&") || $0 == 0x0D }) else {
            return String(decoding: slice, as: UTF8.self)
        }
        var output: [UInt8] = []
        output.reserveCapacity(slice.count)
        var index = 0
        while index < slice.count {
            let byte = slice[index]
            if byte == 0x0D {
                output.append(0x0A)
                index += (index + 1 < slice.count && slice[index + 1] == 0x0A) ? 2 : 1
                continue
            }
            guard byte == UInt8(ascii: "&") else {
                output.append(byte)
                index += 1
                continue
            }
            var end = index + 1
            while end < slice.count, end - index <= 10, slice[end] != UInt8(ascii: ";") { end += 1 }
            guard end < slice.count, slice[end] == UInt8(ascii: ";") else {
                output.append(byte)
                index += 1
                continue
            }
            let entity = String(decoding: UnsafeBufferPointer(rebasing: slice[(index + 1)..<end]), as: UTF8.self)
            if let replacement = entityText(entity) {
                output.append(contentsOf: replacement.utf8)
            } else {
                output.append(contentsOf: slice[index...end])
            }
            index = end + 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func entityText(_ entity: String) -> String? {
        switch entity {
        case "lt": return "<"
        case "gt": return ">"
        case "amp": return "&"
        case "quot": return "\""
        case "apos": return "'"
        default:
            guard entity.hasPrefix("#") else { return nil }
            let digits = entity.dropFirst()
            let code =
                digits.hasPrefix("x") || digits.hasPrefix("X")
                ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            return code.flatMap(Unicode.Scalar.init).map { String(Character($0)) }
        }
    }
}
