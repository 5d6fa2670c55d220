import Foundation
import TestServers
import Testing

@testable import FeedbackKit

// MARK: - Fixture helpers

private func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
private func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
private func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

/// Writes OLE2 compound files the way the reader expects to find them, so tests control every sector.
enum CompoundFileWriter {
    static let endOfChain: UInt32 = 0xFFFF_FFFE
    static let free: UInt32 = 0xFFFF_FFFF

    struct Layout {
        var sectorSize: Int
        var fatSectorCount: Int
        var directorySector: Int
        /// First sector (or mini sector) of each stream, in the order given.
        var starts: [UInt32]

        /// The FAT sectors come first and in order, so the FAT reads as one flat array from the first sector.
        func fatEntryOffset(_ sector: UInt32) -> Int { sectorSize + 4 * Int(sector) }
        func directoryEntryOffset(_ index: Int) -> Int { (directorySector + 1) * sectorSize + 128 * index }
    }

    /// Streams under 4096 bytes go to the mini stream. `paddingSectors` free sectors come before the large
    /// streams, to push them past what the first 109 FAT sectors can map and so need a DIFAT sector.
    static func build(
        streams: [(name: String, data: [UInt8])], sectorShift: Int = 9, paddingSectors: Int = 0
    ) -> (bytes: [UInt8], layout: Layout) {
        let sectorSize = 1 << sectorShift
        let perSector = sectorSize / 4
        func sectors(_ count: Int, _ unit: Int) -> Int { (count + unit - 1) / unit }

        var miniStream: [UInt8] = []
        var miniFAT: [UInt32] = []
        var starts: [UInt32] = []
        var isMini: [Bool] = []
        for stream in streams {
            guard stream.data.count < 4_096, !stream.data.isEmpty else {
                starts.append(endOfChain)
                isMini.append(false)
                continue
            }
            let first = UInt32(miniFAT.count)
            let count = sectors(stream.data.count, 64)
            for index in 0..<count { miniFAT.append(index == count - 1 ? endOfChain : first + UInt32(index) + 1) }
            miniStream += stream.data + [UInt8](repeating: 0, count: count * 64 - stream.data.count)
            starts.append(first)
            isMini.append(true)
        }
        let directorySectors = sectors((streams.count + 1) * 128, sectorSize)
        let miniFATSectors = sectors(miniFAT.count * 4, sectorSize)
        let miniStreamSectors = sectors(miniStream.count, sectorSize)
        let bigSectors = zip(streams, isMini).reduce(0) { $0 + ($1.1 ? 0 : sectors($1.0.data.count, sectorSize)) }
        let others = directorySectors + miniFATSectors + miniStreamSectors + paddingSectors + bigSectors
        var fatCount = 1
        var difatCount = 0
        while true {
            difatCount = fatCount > 109 ? sectors(fatCount - 109, perSector - 1) : 0
            if fatCount * perSector >= fatCount + difatCount + others { break }
            fatCount += 1
        }

        var fat = [UInt32](repeating: free, count: fatCount * perSector)
        var next = 0
        func chain(_ count: Int) -> UInt32 {
            guard count > 0 else { return endOfChain }
            let first = next
            for index in 0..<count { fat[first + index] = index == count - 1 ? endOfChain : UInt32(first + index + 1) }
            next += count
            return UInt32(first)
        }
        for index in 0..<fatCount { fat[index] = 0xFFFF_FFFD }
        next = fatCount
        let firstDIFAT = difatCount > 0 ? UInt32(next) : endOfChain
        for index in 0..<difatCount { fat[next + index] = 0xFFFF_FFFC }
        next += difatCount
        let directoryStart = chain(directorySectors)
        let miniFATStart = chain(miniFATSectors)
        let miniStreamStart = chain(miniStreamSectors)
        next += paddingSectors
        for (index, stream) in streams.enumerated() where !isMini[index] {
            starts[index] = chain(sectors(stream.data.count, sectorSize))
        }
        let totalSectors = next

        var header = [UInt8](repeating: 0, count: sectorSize)
        func put(_ bytes: [UInt8], at offset: Int) { header.replaceSubrange(offset..<(offset + bytes.count), with: bytes) }
        put(FeedbackKit.CompoundFile.signature, at: 0)
        put(le16(0x3E) + le16(sectorShift == 9 ? 3 : 4) + le16(0xFFFE) + le16(UInt16(sectorShift)) + le16(6), at: 24)
        put(
            le32(sectorShift == 9 ? 0 : UInt32(directorySectors)) + le32(UInt32(fatCount)) + le32(directoryStart)
                + le32(0) + le32(4_096) + le32(miniFATStart) + le32(UInt32(miniFATSectors)) + le32(firstDIFAT)
                + le32(UInt32(difatCount)), at: 40)
        for index in 0..<109 { put(le32(index < fatCount ? UInt32(index) : free), at: 76 + 4 * index) }

        var body = [UInt8](repeating: 0, count: totalSectors * sectorSize)
        func write(_ bytes: [UInt8], sector: Int) {
            body.replaceSubrange((sector * sectorSize)..<(sector * sectorSize + bytes.count), with: bytes)
        }
        for index in 0..<fatCount {
            write(fat[(index * perSector)..<((index + 1) * perSector)].flatMap(le32), sector: index)
        }
        for index in 0..<difatCount {
            var links: [UInt8] = []
            for slot in 0..<(perSector - 1) {
                let fatIndex = 109 + index * (perSector - 1) + slot
                links += le32(fatIndex < fatCount ? UInt32(fatIndex) : free)
            }
            links += le32(index == difatCount - 1 ? endOfChain : UInt32(fatCount + index + 1))
            write(links, sector: fatCount + index)
        }
        var directory: [UInt8] = []
        func entry(name: String, kind: UInt8, right: UInt32, child: UInt32, start: UInt32, size: Int) -> [UInt8] {
            let units = Array(name.utf16) + [0]
            var bytes = units.flatMap(le16)
            bytes += [UInt8](repeating: 0, count: 64 - bytes.count)
            bytes += le16(UInt16(units.count * 2)) + [kind, 1] + le32(free) + le32(right) + le32(child)
            bytes += [UInt8](repeating: 0, count: 16 + 4 + 16)
            bytes += le32(start) + le64(UInt64(size))
            return bytes
        }
        directory += entry(
            name: "Root Entry", kind: 5, right: free, child: streams.isEmpty ? free : 1,
            start: miniStream.isEmpty ? endOfChain : miniStreamStart, size: miniStream.count)
        for (index, stream) in streams.enumerated() {
            directory += entry(
                name: stream.name, kind: 2, right: index + 1 < streams.count ? UInt32(index + 2) : free,
                child: free, start: starts[index], size: stream.data.count)
        }
        write(directory, sector: Int(directoryStart))
        if miniFATSectors > 0 { write(miniFAT.flatMap(le32), sector: Int(miniFATStart)) }
        if miniStreamSectors > 0 { write(miniStream, sector: Int(miniStreamStart)) }
        for (index, stream) in streams.enumerated() where !isMini[index] {
            write(stream.data, sector: Int(starts[index]))
        }
        let layout = Layout(
            sectorSize: sectorSize, fatSectorCount: fatCount, directorySector: Int(directoryStart), starts: starts)
        return (header + body, layout)
    }
}

/// Writes BIFF8 records.
private struct BIFFWriter {
    var bytes: [UInt8] = []

    mutating func record(_ type: UInt16, _ body: [UInt8]) {
        bytes += le16(type) + le16(UInt16(body.count)) + body
    }

    static func bof(_ kind: UInt16, version: UInt16 = 0x0600) -> [UInt8] {
        le16(version) + le16(kind) + le16(0x0DBB) + le16(0x07CC) + le32(0) + le32(0x06)
    }

    /// Character count, option byte, then the characters: 8-bit when every one fits, else UTF-16LE.
    static func string(_ text: String, countBytes: Int = 2) -> [UInt8] {
        let units = Array(text.utf16)
        let wide = units.contains { $0 > 0xFF }
        let count = countBytes == 1 ? [UInt8(units.count)] : le16(UInt16(units.count))
        return count + [wide ? 1 : 0] + (wide ? units.flatMap(le16) : units.map { UInt8($0) })
    }

    static func cell(_ row: UInt16, _ column: UInt16, xf: UInt16 = 0) -> [UInt8] {
        le16(row) + le16(column) + le16(xf)
    }

    static func rkInteger(_ value: Int32, hundredths: Bool = false) -> UInt32 {
        UInt32(bitPattern: value << 2) | 0x02 | (hundredths ? 0x01 : 0)
    }

    static func rkDouble(_ value: Double) -> UInt32 { UInt32(value.bitPattern >> 32) & 0xFFFF_FFFC }
}

struct SyntheticOptions {
    var date1904 = false
    var biffVersion: UInt16 = 0x0600
    var encrypted = false
    var shortLastString = false
    var missingStringIndex = false
}

/// A workbook stream with a chart sheet first, then "Responses" holding every kind of cell record, then "第二页".
/// Its shared strings are split across CONTINUE records mid-string, in both directions between 8- and 16-bit.
func syntheticWorkbookStream(_ options: SyntheticOptions = SyntheticOptions()) -> [UInt8] {
    var book = BIFFWriter()
    book.record(0x0809, BIFFWriter.bof(0x0005, version: options.biffVersion))
    if options.encrypted { book.record(0x002F, le16(0) + le16(0) + le16(0)) }
    book.record(0x0022, le16(options.date1904 ? 1 : 0))
    book.record(0x041E, le16(164) + BIFFWriter.string("yyyy\\-mm\\-dd"))
    for format in [0, 164, 22, 20] as [UInt16] {
        book.record(0x00E0, le16(0) + le16(format) + [UInt8](repeating: 0, count: 16))
    }
    var sheetOffsetFields: [Int] = []
    for (name, kind) in [("图表", UInt8(2)), ("Responses", 0), ("第二页", 0)] {
        sheetOffsetFields.append(book.bytes.count + 4)
        book.record(0x0085, le32(0) + [0, kind] + BIFFWriter.string(name, countBytes: 1))
    }
    // s1 "中文ABC" starts 16-bit and continues 8-bit; s2 "xyz┋é" starts 8-bit and continues 16-bit;
    // s3 has two formatting runs; s4's phonetic block is split across a boundary without an option byte.
    var sst = le32(9) + le32(6)
    sst += BIFFWriter.string("alpha")
    sst += le16(5) + [0x01] + Array("中文".utf16).flatMap(le16)
    book.record(0x00FC, sst)
    var continue1: [UInt8] = [0x00] + Array("ABC".utf8)
    continue1 += le16(5) + [0x00] + Array("xyz".utf8)
    book.record(0x003C, continue1)
    var continue2: [UInt8] = [0x01] + Array("┋é".utf16).flatMap(le16)
    continue2 += le16(4) + [0x08] + le16(2) + Array("rich".utf8) + [UInt8](repeating: 0xAA, count: 8)
    continue2 += le16(3) + [0x04] + le32(6) + Array("ext".utf8) + [0xBB, 0xBB]
    book.record(0x003C, continue2)
    let last = options.shortLastString ? le16(5) + [0] + Array("end".utf8) : BIFFWriter.string("end")
    book.record(0x003C, [0xCC, 0xCC, 0xCC, 0xCC] + last)
    book.record(0x000A, [])

    var sheetOffsets: [Int] = []
    sheetOffsets.append(book.bytes.count)
    book.record(0x0809, BIFFWriter.bof(0x0020))
    book.record(0x000A, [])

    sheetOffsets.append(book.bytes.count)
    book.record(0x0809, BIFFWriter.bof(0x0010))
    book.record(0x0200, le32(0) + le32(7) + le16(0) + le16(8) + le16(0))  // DIMENSIONS, ignored
    for column in 0..<6 as Range<UInt16> {
        let index = options.missingStringIndex && column == 5 ? UInt32(99) : UInt32(column)
        book.record(0x00FD, BIFFWriter.cell(0, column) + le32(index))
    }
    book.record(0x0203, BIFFWriter.cell(1, 0) + le64((5.0).bitPattern))
    book.record(0x0203, BIFFWriter.cell(1, 1) + le64((2.5).bitPattern))
    book.record(0x027E, BIFFWriter.cell(1, 2) + le32(BIFFWriter.rkInteger(42)))
    book.record(0x027E, BIFFWriter.cell(1, 3) + le32(BIFFWriter.rkInteger(12_345, hundredths: true)))
    book.record(0x027E, BIFFWriter.cell(1, 4) + le32(BIFFWriter.rkDouble(1.5)))
    book.record(0x0203, BIFFWriter.cell(1, 5, xf: 1) + le64((45_126.0).bitPattern))
    book.record(0x027E, BIFFWriter.cell(1, 6) + le32(BIFFWriter.rkInteger(-7)))
    book.record(
        0x00BD,
        le16(3) + le16(1)
            + le16(0) + le32(BIFFWriter.rkInteger(7))
            + le16(2) + le32(BIFFWriter.rkDouble(45_126.5))
            + le16(3) + le32(BIFFWriter.rkDouble(0.75))
            + le16(3))
    book.record(0x0205, BIFFWriter.cell(4, 0) + [1, 0])
    book.record(0x0205, BIFFWriter.cell(4, 1) + [0x2A, 1])
    let formulaTail = le16(0) + le32(0) + le16(3) + [0x1E, 0x01, 0x00]  // flags, chn, then "=1" as tokens
    book.record(0x0006, BIFFWriter.cell(4, 2) + le64((3.25).bitPattern) + formulaTail)
    book.record(0x0006, BIFFWriter.cell(4, 3) + [0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + formulaTail)
    book.record(0x0207, BIFFWriter.string("total"))
    book.record(0x0006, BIFFWriter.cell(4, 4) + [1, 0, 0, 0, 0, 0, 0xFF, 0xFF] + formulaTail)
    book.record(0x0006, BIFFWriter.cell(4, 5) + [2, 0, 0x07, 0, 0, 0, 0xFF, 0xFF] + formulaTail)
    book.record(0x0204, BIFFWriter.cell(4, 6) + BIFFWriter.string("标签 label"))
    book.record(0x0006, BIFFWriter.cell(4, 7) + [3, 0, 0, 0, 0, 0, 0xFF, 0xFF] + formulaTail)
    // An embedded chart's substream: its records are not cells of this sheet.
    book.record(0x0809, BIFFWriter.bof(0x0020))
    book.record(0x0204, BIFFWriter.cell(9, 0) + BIFFWriter.string("hidden"))
    book.record(0x000A, [])
    book.record(0x0204, BIFFWriter.cell(6, 0) + BIFFWriter.string("tail"))
    book.record(0x0203, BIFFWriter.cell(6, 1, xf: 2) + le64((0.5).bitPattern))
    book.record(0x0201, BIFFWriter.cell(6, 2))
    book.record(0x0203, BIFFWriter.cell(6, 3) + le64((0.000_01).bitPattern))
    // A cell stored after later rows still lands in its own row.
    book.record(0x0203, BIFFWriter.cell(2, 2) + le64((9.0).bitPattern))
    book.record(0x000A, [])

    sheetOffsets.append(book.bytes.count)
    book.record(0x0809, BIFFWriter.bof(0x0010))
    book.record(0x0204, BIFFWriter.cell(0, 0) + BIFFWriter.string("second"))
    book.record(0x027E, BIFFWriter.cell(0, 1) + le32(BIFFWriter.rkInteger(1)))
    book.record(0x000A, [])

    for (field, offset) in zip(sheetOffsetFields, sheetOffsets) {
        book.bytes.replaceSubrange(field..<(field + 4), with: le32(UInt32(offset)))
    }
    return book.bytes
}

private let expectedResponses: [SheetRow] = [
    SheetRow(number: 1, fields: ["alpha", "中文ABC", "xyz┋é", "rich", "ext", "end"]),
    SheetRow(number: 2, fields: ["5", "2.5", "42", "123.45", "1.5", "2023-07-19", "-7"]),
    SheetRow(number: 3, fields: ["", "", "9"]),
    SheetRow(number: 4, fields: ["", "7", "2023-07-19 12:00:00", "18:00:00"]),
    SheetRow(number: 5, fields: ["TRUE", "#N/A", "3.25", "total", "FALSE", "#DIV/0!", "标签 label"]),
    SheetRow(number: 7, fields: ["tail", "12:00:00", "", "1e-05"]),
]

// MARK: - Synthetic workbooks

@Suite("XLS reader: synthetic workbooks")
struct XLSSyntheticTests {
    @Test func readsEveryCellRecordFromTheMiniStream() throws {
        let scratch = try TemporaryDirectory()
        let stream = syntheticWorkbookStream()
        #expect(stream.count < 4_096)
        let (bytes, _) = CompoundFileWriter.build(streams: [
            ("\u{5}SummaryInformation", [UInt8](repeating: 7, count: 200)), ("Workbook", stream),
        ])
        let url = try scratch.write("small.xls", bytes)
        #expect(try XLSReader.sheetNames(url: url) == ["图表", "Responses", "第二页"])
        #expect(try XLSReader.read(url: url) == SheetTable(name: "Responses", rows: expectedResponses))
        #expect(
            try XLSReader.read(url: url, sheet: "第二页")
                == SheetTable(
                    name: "第二页", rows: [SheetRow(number: 1, fields: ["second", "1"])]))
        #expect(try XLSReader.read(url: url, sheet: "图表") == SheetTable(name: "图表", rows: []))
        #expect(try SpreadsheetReader.read(url: url, sheet: "responses") == XLSReader.read(url: url))
    }

    @Test func readsALargeStreamThroughExtraDIFATSectors() throws {
        let scratch = try TemporaryDirectory()
        let stream = syntheticWorkbookStream() + [UInt8](repeating: 0, count: 5_000)
        let (bytes, layout) = CompoundFileWriter.build(streams: [("Workbook", stream)], paddingSectors: 14_100)
        #expect(layout.fatSectorCount > 109)
        #expect(layout.starts[0] > 109 * 128)
        let url = try scratch.write("large.xls", bytes)
        #expect(try XLSReader.read(url: url) == SheetTable(name: "Responses", rows: expectedResponses))
    }

    @Test func readsFourKilobyteSectors() throws {
        let scratch = try TemporaryDirectory()
        let stream = syntheticWorkbookStream() + [UInt8](repeating: 0, count: 9_000)
        let (bytes, _) = CompoundFileWriter.build(streams: [("Workbook", stream)], sectorShift: 12)
        let url = try scratch.write("v4.xls", bytes)
        #expect(try XLSReader.read(url: url) == SheetTable(name: "Responses", rows: expectedResponses))
    }

    @Test func honoursThe1904DateSystem() throws {
        let scratch = try TemporaryDirectory()
        let (bytes, _) = CompoundFileWriter.build(streams: [("Workbook", syntheticWorkbookStream(.init(date1904: true)))])
        let url = try scratch.write("mac.xls", bytes)
        let rows = try XLSReader.read(url: url).rows
        #expect(rows[1].fields[5] == "2027-07-20")
        #expect(rows[3].fields[2] == "2027-07-20 12:00:00")
        #expect(rows[5].fields[1] == "1904-01-01 12:00:00")
    }

    @Test func unknownSheetNameListsTheSheets() throws {
        let scratch = try TemporaryDirectory()
        let (bytes, _) = CompoundFileWriter.build(streams: [("Workbook", syntheticWorkbookStream())])
        let url = try scratch.write("book.xls", bytes)
        #expect(
            throws: ImportError(
                file: url.path, message: "the workbook has no sheet named \"Sheet1\"",
                hint: "its sheets are \"图表\", \"Responses\", \"第二页\"")
        ) {
            try XLSReader.read(url: url, sheet: "Sheet1")
        }
    }
}

// MARK: - Damaged and wrong files

@Suite("XLS reader: damaged files")
struct XLSDamagedTests {
    private static func largeBook() -> (bytes: [UInt8], layout: CompoundFileWriter.Layout) {
        CompoundFileWriter.build(streams: [("Workbook", syntheticWorkbookStream() + [UInt8](repeating: 0, count: 5_000))])
    }

    private static func expectDamaged(_ bytes: [UInt8], _ detail: String) throws {
        let scratch = try TemporaryDirectory()
        let url = try scratch.write("damaged.xls", bytes)
        #expect(throws: ImportError(file: url.path, message: "the XLS file is damaged: \(detail)")) {
            try XLSReader.read(url: url)
        }
    }

    @Test func emptyFile() throws {
        let scratch = try TemporaryDirectory()
        let url = try scratch.write("empty.xls", [])
        #expect(throws: ImportError(file: url.path, message: "not an XLS workbook (the file is empty)")) {
            try XLSReader.read(url: url)
        }
    }

    @Test func randomBytes() throws {
        let scratch = try TemporaryDirectory()
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<4_096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[0] = 0x17
        let url = try scratch.write("noise.xls", bytes)
        #expect(throws: ImportError(file: url.path, message: "not an XLS workbook (no OLE2 signature)")) {
            try XLSReader.read(url: url)
        }
    }

    @Test func xlsxUnderAnXLSName() throws {
        let scratch = try TemporaryDirectory()
        let url = try scratch.write("export.xls", [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 60))
        #expect(
            throws: ImportError(
                file: url.path, message: "not an XLS workbook (it is a ZIP archive)",
                hint: "this looks like an .xlsx workbook; read it as XLSX")
        ) {
            try XLSReader.read(url: url)
        }
    }

    @Test func compoundFileWithoutWorkbook() throws {
        let scratch = try TemporaryDirectory()
        let (bytes, _) = CompoundFileWriter.build(streams: [("WordDocument", [UInt8](repeating: 1, count: 600))])
        let url = try scratch.write("letter.xls", bytes)
        #expect(
            throws: ImportError(
                file: url.path, message: "not an XLS workbook (the compound file has no Workbook stream)",
                hint: "it may be a Word document or another Office file")
        ) {
            try XLSReader.read(url: url)
        }
    }

    @Test func excel95Workbook() throws {
        let scratch = try TemporaryDirectory()
        let (bytes, _) = CompoundFileWriter.build(streams: [("Book", syntheticWorkbookStream(.init(biffVersion: 0x0500)))])
        let url = try scratch.write("old.xls", bytes)
        #expect(
            throws: ImportError(
                file: url.path,
                message: "the XLS file is in a format older than Excel 97 (BIFF5 or earlier), which is not supported",
                hint: "open it in Excel or WPS and save it as .xlsx")
        ) {
            try XLSReader.read(url: url)
        }
    }

    @Test func passwordProtectedWorkbook() throws {
        let scratch = try TemporaryDirectory()
        let (bytes, _) = CompoundFileWriter.build(streams: [("Workbook", syntheticWorkbookStream(.init(encrypted: true)))])
        let url = try scratch.write("secret.xls", bytes)
        #expect(
            throws: ImportError(
                file: url.path, message: "the XLS workbook is password-protected",
                hint: "remove the password in Excel or WPS and save it again")
        ) {
            try XLSReader.read(url: url)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func cyclicSectorChain() throws {
        var (bytes, layout) = Self.largeBook()
        // Point the stream's second sector back at its first.
        let second = layout.starts[0] + 1
        bytes.replaceSubrange(layout.fatEntryOffset(second)..<(layout.fatEntryOffset(second) + 4), with: le32(layout.starts[0]))
        try Self.expectDamaged(bytes, "the sector chain of the Workbook stream loops")
    }

    @Test(.timeLimit(.minutes(1)))
    func cyclicDirectoryChain() throws {
        var (bytes, layout) = Self.largeBook()
        let directory = UInt32(layout.directorySector)
        bytes.replaceSubrange(layout.fatEntryOffset(directory)..<(layout.fatEntryOffset(directory) + 4), with: le32(directory))
        try Self.expectDamaged(bytes, "the sector chain of the directory loops")
    }

    @Test func outOfRangeStartSector() throws {
        var (bytes, layout) = Self.largeBook()
        let field = layout.directoryEntryOffset(1) + 116
        bytes.replaceSubrange(field..<(field + 4), with: le32(0x00FF_FFFF))
        try Self.expectDamaged(bytes, "the sector chain of the Workbook stream points to sector 16777215, which does not exist")
    }

    @Test func hugeDeclaredStreamSize() throws {
        var (bytes, layout) = Self.largeBook()
        let field = layout.directoryEntryOffset(1) + 120
        bytes.replaceSubrange(field..<(field + 4), with: le32(0x7FFF_FFFF))
        try Self.expectDamaged(
            bytes, "the Workbook stream claims 2147483647 bytes, more than the whole file (\(bytes.count) bytes)")
    }

    @Test func hugeFATSectorCount() throws {
        var (bytes, _) = Self.largeBook()
        bytes.replaceSubrange(44..<48, with: le32(0x1000_0000))
        try Self.expectDamaged(
            bytes, "the header lists 268435456 FAT sectors but the file holds only \(bytes.count / 512 - 1) sectors")
    }

    @Test func truncatedSyntheticFile() throws {
        let (bytes, _) = Self.largeBook()
        // Cut inside the stream's second-to-last sector: the FAT still maps the last one, but the file ends first.
        let size = bytes.count - 1_000
        let firstMissing = (size - 512 + 511) / 512
        try Self.expectDamaged(
            Array(bytes.prefix(size)),
            "sector \(firstMissing) of the Workbook stream lies past the end of the file (\(size) bytes); the file looks cut short")
    }

    @Test func garbageSectorNumberInAWholeFile() throws {
        var (bytes, _) = Self.largeBook()
        bytes.replaceSubrange(76..<80, with: le32(0x0ABC_DEF0))
        try Self.expectDamaged(bytes, "FAT sector 180150000 lies past the end of the file (\(bytes.count) bytes)")
    }

    @Test func sharedStringTableRunsShort() throws {
        let (bytes, _) = CompoundFileWriter.build(streams: [("Workbook", syntheticWorkbookStream(.init(shortLastString: true)))])
        try Self.expectDamaged(bytes, "the shared string table runs past the end of its records")
    }

    @Test func missingSharedString() throws {
        let (bytes, _) = CompoundFileWriter.build(streams: [("Workbook", syntheticWorkbookStream(.init(missingStringIndex: true)))])
        try Self.expectDamaged(bytes, "a cell refers to shared string 99, which does not exist")
    }

    @Test func sheetWithoutEOF() throws {
        var stream = syntheticWorkbookStream()
        stream.removeLast(4)  // the last sheet's EOF record
        let (bytes, _) = CompoundFileWriter.build(streams: [("Workbook", stream)])
        let scratch = try TemporaryDirectory()
        let url = try scratch.write("open.xls", bytes)
        #expect(throws: ImportError(file: url.path, message: "the XLS file is damaged: sheet \"第二页\" ends without its EOF record")) {
            try XLSReader.read(url: url, sheet: "第二页")
        }
        #expect(try XLSReader.read(url: url).rows == expectedResponses)
    }

    @Test func headerOnly() throws {
        try Self.expectDamaged(
            Array(FeedbackKit.CompoundFile.signature) + [UInt8](repeating: 0, count: 100),
            "the file is cut short inside its 512-byte header")
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
    func truncatedRealExport() throws {
        let source = try #require(SharedData.realWorld("wjx_zte_tianji7_All_Data_Readable.xls"))
        let head = try FileHandle(forReadingFrom: source)
        defer { try? head.close() }
        let bytes = [UInt8](try head.read(upToCount: 2_000) ?? Data())
        try Self.expectDamaged(bytes, "FAT sector 15 lies past the end of the file (2000 bytes); the file looks cut short")
    }
}

// MARK: - Real exports

@Suite("XLS reader: real 问卷星 exports")
struct XLSRealWorldTests {
    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
    func readableTextExport() throws {
        let url = try #require(SharedData.realWorld("wjx_zte_tianji7_All_Data_Readable.xls"))
        let table = try XLSReader.read(url: url)
        #expect(table.name == "Sheet1")
        #expect(table.rows.map(\.number) == [1, 2, 3, 4, 5])
        #expect(table.rows.allSatisfy { $0.fields.count == 33 })
        #expect(Array(table.rows[0].fields.prefix(6)) == ["序号", "提交答卷时间", "所用时间", "来自IP", "来源", "来源详情"])
        #expect(table.rows[0].fields[12].hasPrefix("13、"))
        #expect(table.rows[0].fields[13] == "界面美观度")
        // 问卷星 stores everything as text here, the time stamp and the sequence number included.
        let second = table.rows[2].fields
        #expect(Array(second.prefix(6)) == ["2", "2016/12/17 14:25:31", "136秒", "183.192.16.69(上海-上海)", "手机提交", "微信"])
        #expect(second[8].contains("┋"))
        #expect(second[8].hasSuffix("其他【请注明】〖柜台〗"))
        #expect(second[9] == "其他【请注明】〖你好好〗")
        #expect(second[11].contains("→"))
        #expect(second[12] == "4分")
        #expect(table.rows[1].fields[7] == "(跳过)")
        #expect(table.rows[4].fields.last == "天津-红桥区")
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
    func codedExport() throws {
        let url = try #require(SharedData.realWorld("wjx_zte_tianji7_All_Data_Original.xls"))
        let table = try XLSReader.read(url: url)
        #expect(table.rows.count == 5)
        #expect(table.rows.allSatisfy { $0.fields.count == 74 })
        #expect(table.rows[0].fields[8].hasPrefix("第3题("))
        #expect(
            Array(table.rows[1].fields.prefix(9)) == [
                "1", "2016/12/17 14:22:55", "5秒", "183.192.16.69(上海-上海)", "手机提交", "微信", "1", "-3", "-3",
            ])
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
    func phoneSurveyTextExport() throws {
        let url = try #require(SharedData.realWorld("wjx_phone_survey_800_text.xls"))
        let table = try XLSReader.read(url: url)
        #expect(table.rows.count == 801)
        #expect(table.rows.map(\.number) == Array(1...801))
        #expect(table.rows.allSatisfy { $0.fields.count == 14 })
        #expect(
            table.rows[0].fields == [
                "序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "1、手机部数", "2、手机价格", "3、性别 ", "4、年龄 ",
                "5、月收入", "6、兴趣爱好", "7、爱好投入占收入比重 ", "8、关注资讯",
            ])
        #expect(table.rows[2].fields[11] == "运动┋阅读┋影视┋美食┋旅游┋IT数码┋艺术┋音乐┋游戏动漫┋手工艺┋摄影┋购物┋健康")
        #expect(table.rows[800].fields[0] == "800")
        // The converted .xlsx holds the same cells.
        if let converted = SharedData.realWorld("wjx_phone_survey_800_text_DERIVED.xlsx") {
            #expect(try XLSXReader.read(url: converted).rows == table.rows)
        }
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
    func phoneSurveyCodedExport() throws {
        let url = try #require(SharedData.realWorld("wjx_phone_survey_800_coded.xls"))
        let table = try SpreadsheetReader.read(url: url)
        #expect(table.rows.count == 801)
        #expect(table.rows.allSatisfy { $0.fields.count == 36 })
        #expect(table.rows[0].fields[11] == "第6题(运动)")
        #expect(table.rows[0].fields.last == "第8题(其他【请注明】)")
        #expect(
            table.rows[1].fields == [
                "1", "", "", "", "", "", "1", "7", "1", "5", "3", "1", "0", "1", "0", "0", "0", "0", "0", "0", "0", "0",
                "1", "0", "0", "4", "0", "1", "0", "1", "0", "0", "0", "0", "0", "0",
            ])
    }
}
