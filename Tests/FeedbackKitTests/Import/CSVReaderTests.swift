import Foundation
import TestServers
import Testing

@testable import FeedbackKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension TemporaryDirectory {
    /// A file of `size` bytes that starts with `prefix` and continues with NUL bytes, written
    /// sparse so a test can hold a huge field without writing it out.
    fileprivate func writeSparse(_ name: String, prefix: [UInt8], size: Int) throws -> URL {
        let url = try write(name, prefix)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.truncate(atOffset: UInt64(size))
        return url
    }
}

private func readAll(_ url: URL, options: CSVOptions = CSVOptions(), chunkSize: Int = 1 << 20) throws -> [CSVRecord] {
    let reader = try CSVReader(url: url, options: options, chunkSize: chunkSize)
    var records: [CSVRecord] = []
    while let record = try reader.next() { records.append(record) }
    return records
}

/// The same, each record read where its fields lie in the reader's buffer (LineCells).
private func readInPlace(_ url: URL, options: CSVOptions = CSVOptions(), chunkSize: Int = 1 << 20) throws -> [CSVRecord] {
    let reader = try CSVReader(url: url, options: options, chunkSize: chunkSize)
    let cells = LineCells()
    var records: [CSVRecord] = []
    while try reader.next(into: cells) {
        records.append(CSVRecord(fields: (0..<cells.fieldCount).map(cells.display), line: cells.line))
    }
    return records
}

private func fields(_ records: [CSVRecord]) -> [[String]] {
    records.map(\.fields)
}

private func lines(_ records: [CSVRecord]) -> [Int] {
    records.map(\.line)
}

/// Encodes text as GB18030 with the C library's iconv, as Chinese Excel or WPS would save it.
private func gb18030(_ text: String) throws -> [UInt8] {
    let converter = iconv_open("GB18030", "UTF-8")
    guard let converter, Int(bitPattern: converter) != -1 else { throw CocoaError(.featureUnsupported) }
    defer { iconv_close(converter) }
    var input = Array(text.utf8)
    var output = [UInt8](repeating: 0, count: input.count * 2 + 16)
    let produced = input.withUnsafeMutableBytes { inBytes in
        output.withUnsafeMutableBytes { outBytes in
            var inPointer = inBytes.baseAddress?.assumingMemoryBound(to: CChar.self)
            var inLeft = inBytes.count
            var outPointer = outBytes.baseAddress?.assumingMemoryBound(to: CChar.self)
            var outLeft = outBytes.count
            let result = iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
            return result == -1 ? -1 : outBytes.count - outLeft
        }
    }
    guard produced >= 0 else { throw CocoaError(.fileWriteInapplicableStringEncoding) }
    return Array(output[..<produced])
}

private let utf8Hint = "if it was saved by Excel or WPS on Chinese Windows, pass --encoding gb18030"
private let gb18030Hint = "pass --encoding utf-8 if the file is UTF-8, or save it as CSV UTF-8"

// MARK: - Delimiters

@Test func detectsComma() throws {
    let files = try TemporaryDirectory()
    let url = try files.write("comma.csv", "name,score;note,comment\nA,5;x,ok\nB,4;y,fine\n")
    let reader = try CSVReader(url: url)
    #expect(reader.delimiter == UInt8(ascii: ","))
    #expect(try reader.next()?.fields == ["name", "score;note", "comment"])
}

@Test func detectsSemicolonWhenCommasAreInsideFields() throws {
    let files = try TemporaryDirectory()
    let url = try files.write(
        "semicolon.csv", "\"Name, full\";\"Score\";\"City\"\n\"Li, Wei\";\"5\";\"Xi'an\"\n\"Wang\";\"4\";\"Jinan, Licheng\"\n")
    let reader = try CSVReader(url: url)
    #expect(reader.delimiter == UInt8(ascii: ";"))
    #expect(try reader.next()?.fields == ["Name, full", "Score", "City"])
    #expect(try reader.next()?.fields == ["Li, Wei", "5", "Xi'an"])
}

@Test func detectsTab() throws {
    let files = try TemporaryDirectory()
    let url = try files.write("tab.tsv", "部门\t满意度\t意见\n税务局\t5\t很好, 很快\n公安局\t4\t\"排队;太久\"\n")
    let reader = try CSVReader(url: url)
    #expect(reader.delimiter == UInt8(ascii: "\t"))
    #expect(try reader.next()?.fields == ["部门", "满意度", "意见"])
    #expect(try reader.next()?.fields == ["税务局", "5", "很好, 很快"])
    #expect(try reader.next()?.fields == ["公安局", "4", "排队;太久"])
}

@Test func delimiterDefaultsToCommaAndCanBeForced() throws {
    let files = try TemporaryDirectory()
    let single = try files.write("single.csv", "comment\nfine\n")
    #expect(try CSVReader(url: single).delimiter == UInt8(ascii: ","))

    let url = try files.write("pipe.csv", "a|b,c\n1|2,3\n")
    let reader = try CSVReader(url: url, options: CSVOptions(delimiter: UInt8(ascii: "|")))
    #expect(reader.delimiter == UInt8(ascii: "|"))
    #expect(try reader.next()?.fields == ["a", "b,c"])
    #expect(try reader.next()?.fields == ["1", "2,3"])
}

@Test func delimiterDetectionIgnoresQuotedText() throws {
    let sample = Array("\"a;b;c\",d\n\"e;f;g\",h\n".utf8)
    let delimiter = sample.withUnsafeBufferPointer { CSVReader.detectDelimiter(in: $0, complete: true) }
    #expect(delimiter == UInt8(ascii: ","))
}

// MARK: - RFC 4180 and line numbers

@Test func quotedFieldsDoubledQuotesAndNewlines() throws {
    let files = try TemporaryDirectory()
    let url = try files.write(
        "quotes.csv",
        "id,text,note\n1,\"a, b\",\"say \"\"hi\"\"\"\n2,\"first\nsecond\nthird\",\"\"\n3,plain,end\n")
    let records = try readAll(url)
    #expect(
        fields(records) == [
            ["id", "text", "note"],
            ["1", "a, b", "say \"hi\""],
            ["2", "first\nsecond\nthird", ""],
            ["3", "plain", "end"],
        ])
    #expect(lines(records) == [1, 2, 3, 6])
}

@Test func crlfLineEndings() throws {
    let files = try TemporaryDirectory()
    let url = try files.write("crlf.csv", "a,b\r\n1,2\r\n\"x\r\ny\",3\r\n4,5\r\n")
    let records = try readAll(url)
    #expect(fields(records) == [["a", "b"], ["1", "2"], ["x\r\ny", "3"], ["4", "5"]])
    #expect(lines(records) == [1, 2, 3, 5])
}

@Test func loneCarriageReturnsEndLines() throws {
    let files = try TemporaryDirectory()
    let url = try files.write("cr.csv", "a,b\r1,2\r\r\"x\ry\",3\r")
    let records = try readAll(url)
    #expect(fields(records) == [["a", "b"], ["1", "2"], ["x\ry", "3"]])
    #expect(lines(records) == [1, 2, 4])
}

@Test func utf8ByteOrderMarkIsStripped() throws {
    let files = try TemporaryDirectory()
    let url = try files.write("bom.csv", [0xEF, 0xBB, 0xBF] + Array("序号,部门\n1,税务局\n".utf8))
    let reader = try CSVReader(url: url)
    #expect(reader.encoding == .utf8)
    #expect(try reader.next() == CSVRecord(fields: ["序号", "部门"], line: 1))
    #expect(try reader.next() == CSVRecord(fields: ["1", "税务局"], line: 2))
    #expect(try reader.next() == nil)
}

@Test func lastRecordWithoutTrailingNewline() throws {
    let files = try TemporaryDirectory()
    let plain = try files.write("plain.csv", "a,b\n1,2")
    #expect(fields(try readAll(plain)) == [["a", "b"], ["1", "2"]])
    let empty = try files.write("empty-last.csv", "a,b\n1,")
    #expect(fields(try readAll(empty)) == [["a", "b"], ["1", ""]])
    let quoted = try files.write("quoted.csv", "a,b\n1,\"x\"")
    #expect(fields(try readAll(quoted)) == [["a", "b"], ["1", "x"]])
}

@Test func blankLinesAreSkippedButCounted() throws {
    let files = try TemporaryDirectory()
    let url = try files.write("blank.csv", "\n\na,b\n\n\r\n1,2\n\n")
    let records = try readAll(url)
    #expect(fields(records) == [["a", "b"], ["1", "2"]])
    #expect(lines(records) == [3, 6])
}

@Test func strayQuotesAreKeptLiterally() throws {
    let files = try TemporaryDirectory()
    let url = try files.write("stray.csv", "a,b,c\n5\"6,x\"y\"z,\"ab\"cd\n")
    let records = try readAll(url)
    #expect(fields(records) == [["a", "b", "c"], ["5\"6", "x\"y\"z", "abcd"]])
}

@Test func raggedRowsAreReturnedAsTheyAre() throws {
    let files = try TemporaryDirectory()
    let url = try files.write("ragged.csv", "a,b,c\n1,2\n1,2,3,4\n,\n")
    #expect(fields(try readAll(url)) == [["a", "b", "c"], ["1", "2"], ["1", "2", "3", "4"], ["", ""]])
    // Where they lie too, with more fields than the record before (room grows) and a record
    // ending in a delimiter at the end of the file.
    let wide = try files.write("wide.csv", "a\n" + (1...40).map(String.init).joined(separator: ",") + "\n1,")
    #expect(try readInPlace(wide) == (try readAll(wide)))
    #expect(fields(try readInPlace(wide)).map(\.count) == [1, 40, 2])
}

@Test func everyChunkBoundaryGivesTheSameRecords() throws {
    let files = try TemporaryDirectory()
    let text =
        "序号,意见,评分\r\n1,\"办事效率高,\"\"一网通办\"\"\r\n好\",5\r\n\r\n2,😀 满意,\"\"\n3,\"a\"\"\"\"b\",\"\r\"\n"
        + "4,\"x\"tail,end\r5,末尾,\"最后\""
    let url = try files.write("chunks.csv", text)
    let expected = try readAll(url)
    #expect(
        fields(expected) == [
            ["序号", "意见", "评分"],
            ["1", "办事效率高,\"一网通办\"\r\n好", "5"],
            ["2", "😀 满意", ""],
            ["3", "a\"\"b", "\r"],
            ["4", "xtail", "end"],
            ["5", "末尾", "最后"],
        ])
    #expect(lines(expected) == [1, 2, 5, 6, 8, 9])
    for chunkSize in 1...48 {
        #expect(try readAll(url, chunkSize: chunkSize) == expected, "chunk size \(chunkSize)")
        // Where they lie, the record so far is kept when the buffer is refilled.
        #expect(try readInPlace(url, chunkSize: chunkSize) == expected, "chunk size \(chunkSize), in place")
    }
}

// MARK: - Encodings

@Test func knownGBKBytesAreDetectedAsGB18030() throws {
    let files = try TemporaryDirectory()
    // "市场,满意度\n市场,5\n" as Chinese Windows saves it.
    let bytes: [UInt8] =
        [0xCA, 0xD0, 0xB3, 0xA1, 0x2C, 0xC2, 0xFA, 0xD2, 0xE2, 0xB6, 0xC8, 0x0A]
        + [0xCA, 0xD0, 0xB3, 0xA1, 0x2C, 0x35, 0x0A]
    let url = try files.write("gbk.csv", bytes)
    let reader = try CSVReader(url: url)
    #expect(reader.encoding == .gb18030)
    #expect(try reader.next() == CSVRecord(fields: ["市场", "满意度"], line: 1))
    #expect(try reader.next() == CSVRecord(fields: ["市场", "5"], line: 2))
    #expect(try reader.next() == nil)
}

@Test func gb18030FourByteCharactersAndCRLFDecode() throws {
    let files = try TemporaryDirectory()
    let text = "序号,意见\r\n1,\"办事效率，很高 😀\r\n下次再来\"\r\n2,部门\r\n"
    let url = try files.write("gb.csv", try gb18030(text))
    let records = try readAll(url)
    #expect(fields(records) == [["序号", "意见"], ["1", "办事效率，很高 😀\r\n下次再来"], ["2", "部门"]])
    #expect(lines(records) == [1, 2, 4])
}

@Test func gb18030CharactersSplitAcrossChunks() throws {
    let files = try TemporaryDirectory()
    let text = "部门,满意度,意见\n市场监督管理局,非常满意,\"😀,\"\"好\"\"\n很快\"\n税务局,满意,办事效率很高\n"
    let url = try files.write("gb-split.csv", try gb18030(text))
    let expected = [
        ["部门", "满意度", "意见"], ["市场监督管理局", "非常满意", "😀,\"好\"\n很快"], ["税务局", "满意", "办事效率很高"],
    ]
    // Odd sizes put two-byte characters across boundaries; 1...3 split four-byte ones too.
    for chunkSize in 1...13 {
        let reader = try CSVReader(url: url, options: CSVOptions(), chunkSize: chunkSize)
        #expect(reader.encoding == .gb18030)
        var records: [CSVRecord] = []
        while let record = try reader.next() { records.append(record) }
        #expect(fields(records) == expected, "chunk size \(chunkSize)")
        #expect(lines(records) == [1, 2, 4], "chunk size \(chunkSize)")
        #expect(try readInPlace(url, chunkSize: chunkSize) == records, "chunk size \(chunkSize), in place")
    }
}

@Test func forcedEncodingIsUsed() throws {
    let files = try TemporaryDirectory()
    let url = try files.write("utf8.csv", "市场,5\n")
    let reader = try CSVReader(url: url, options: CSVOptions(encoding: .gb18030))
    #expect(reader.encoding == .gb18030)
    // UTF-8 bytes read as GB18030 decode, wrongly but validly, to other characters.
    let record = try #require(try reader.next())
    #expect(record.fields.count == 2)
    #expect(record.fields[0] != "市场")

    let gbk = try files.write("gbk.csv", [0x61, 0x2C, 0x62, 0x0A, 0xCA, 0xD0, 0xB3, 0xA1, 0x2C, 0x35, 0x0A])
    let forced = try CSVReader(url: gbk, options: CSVOptions(encoding: .utf8))
    #expect(forced.encoding == .utf8)
    #expect(try forced.next()?.fields == ["a", "b"])
    #expect(throws: ImportError(file: gbk.path, line: 2, message: "invalid UTF-8 text", hint: utf8Hint)) {
        try forced.next()
    }
}

@Test func encodingNames() {
    #expect(TextEncoding(name: "UTF-8") == .utf8)
    #expect(TextEncoding(name: "utf8") == .utf8)
    #expect(TextEncoding(name: "GBK") == .gb18030)
    #expect(TextEncoding(name: "gb2312") == .gb18030)
    #expect(TextEncoding(name: "gb18030") == .gb18030)
    #expect(TextEncoding(name: "latin1") == nil)
}

// MARK: - Errors

@Test func emptyFiles() throws {
    let files = try TemporaryDirectory()
    for (name, bytes) in [("empty.csv", []), ("bom-only.csv", [0xEF, 0xBB, 0xBF]), ("newlines.csv", [0x0D, 0x0A, 0x0A])]
        as [(String, [UInt8])]
    {
        let url = try files.write(name, bytes)
        #expect(throws: ImportError(file: url.path, line: 1, message: "the file is empty")) {
            try CSVReader(url: url)
        }
    }
}

@Test func nulBytesMeanABinaryFile() throws {
    let files = try TemporaryDirectory()
    let zeros = try files.write("zeros.csv", [UInt8](repeating: 0, count: 4096))
    #expect(
        throws: ImportError(
            file: zeros.path, line: 1, message: "holds NUL bytes: it is a binary file, not CSV text",
            hint: "export the responses as CSV")
    ) {
        try CSVReader(url: zeros)
    }
    let later = try files.write("later.csv", Array("a,b\n1,2\n".utf8) + [0x50, 0x4B, 0x00, 0x03])
    #expect(
        throws: ImportError(
            file: later.path, line: 3, message: "holds NUL bytes: it is a binary file, not CSV text",
            hint: "export the responses as CSV")
    ) {
        try CSVReader(url: later)
    }
}

@Test func utf16IsNamed() throws {
    let files = try TemporaryDirectory()
    let url = try files.write("unicode.txt", [0xFF, 0xFE, 0x61, 0x00, 0x09, 0x00, 0x62, 0x00])
    #expect(
        throws: ImportError(
            file: url.path, line: 1, message: "is UTF-16 text, not UTF-8 or GB18030",
            hint: "save it as \"CSV UTF-8\" instead of Unicode text")
    ) {
        try CSVReader(url: url)
    }
}

@Test func textInNeitherEncoding() throws {
    let files = try TemporaryDirectory()
    // 0xFF starts no character in either encoding.
    let url = try files.write("latin.csv", Array("a,b\n".utf8) + [0xFF, 0x2C, 0x31, 0x0A])
    #expect(
        throws: ImportError(
            file: url.path, line: 2, message: "not UTF-8 or GB18030 text",
            hint: "pass --encoding utf-8 or --encoding gb18030 if you know which it is, or save it as CSV UTF-8")
    ) {
        try CSVReader(url: url)
    }
}

@Test func unterminatedQuoteNamesItsFirstLine() throws {
    let files = try TemporaryDirectory()
    let url = try files.write("open.csv", "a,b\n1,2\n3,\"never\nclosed\n4,5\n")
    let reader = try CSVReader(url: url)
    #expect(try reader.next()?.line == 1)
    #expect(try reader.next()?.line == 2)
    let expected = ImportError(
        file: url.path, line: 3, message: "a quoted field starting here never ends",
        hint: "a quote inside a quoted field must be doubled (\"\")")
    #expect(throws: expected) { try reader.next() }
    // The reader stays failed rather than resuming mid-record.
    #expect(throws: expected) { try reader.next() }
}

@Test func hugeFieldsStopAtTheCap() throws {
    let files = try TemporaryDirectory()
    let filler = [UInt8](repeating: UInt8(ascii: "x"), count: 70_000)
    let quoted = try files.writeSparse("quoted.csv", prefix: Array("a,b\n1,\"".utf8) + filler, size: 100_000_000)
    let plain = try files.writeSparse("plain.csv", prefix: Array("a,b\n\n1,".utf8) + filler, size: 100_000_000)
    let hint = "a quoted field may be missing its closing quote"
    for (url, line) in [(quoted, 2), (plain, 3)] {
        let reader = try CSVReader(url: url, options: CSVOptions(maxFieldBytes: 1 << 20), chunkSize: 1 << 20)
        #expect(try reader.next()?.fields == ["a", "b"])
        #expect(throws: ImportError(file: url.path, line: line, message: "a field is larger than 1 MiB", hint: hint)) {
            try reader.next()
        }
        // Reading stopped soon after the cap instead of buffering the 100 MB field.
        #expect(reader.bufferCapacity <= 4 << 20)
    }

    let fits = try files.write("fits.csv", Array("a\n\"".utf8) + filler + Array("\"\n".utf8))
    let records = try readAll(fits, options: CSVOptions(maxFieldBytes: 70_000), chunkSize: 4096)
    #expect(records.last?.fields.first?.utf8.count == 70_000)
    #expect(throws: ImportError(file: fits.path, line: 2, message: "a field is larger than 69999 bytes", hint: hint)) {
        try readAll(fits, options: CSVOptions(maxFieldBytes: 69_999), chunkSize: 4096)
    }
}

@Test func defaultCapRejectsATwentyMegabyteField() throws {
    let files = try TemporaryDirectory()
    let prefix = Array("id,comment\n1,\"".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 70_000)
    let url = try files.writeSparse("big.csv", prefix: prefix, size: 20_000_000)
    #expect(
        throws: ImportError(
            file: url.path, line: 2, message: "a field is larger than 16 MiB",
            hint: "a quoted field may be missing its closing quote")
    ) {
        try readAll(url)
    }
}

@Test func invalidUTF8NamesItsLine() throws {
    let files = try TemporaryDirectory()
    // Valid UTF-8 for the whole sampled start, then bytes saved in another encoding.
    var bytes = Array("id,comment\n".utf8)
    for row in 1...3000 { bytes += Array("\(row),办事效率很高，态度很好\n".utf8) }
    #expect(bytes.count > CSVReader.sampleSize)
    bytes += Array("3001,\"first line\nsecond ".utf8) + [0xCA, 0xD0, 0xB3, 0xA1] + Array("\"\n".utf8)
    let url = try files.write("mixed.csv", bytes)
    let reader = try CSVReader(url: url)
    #expect(reader.encoding == .utf8)
    var count = 0
    let error = ImportError(file: url.path, line: 3003, message: "invalid UTF-8 text", hint: utf8Hint)
    #expect(throws: error) {
        while try reader.next() != nil { count += 1 }
    }
    #expect(count == 3001)

    // The same check applies in the sample when UTF-8 is asked for, also behind doubled quotes.
    let small = try files.write("small.csv", Array("a,b\n1,\"x\"\"y\n".utf8) + [0xFF] + Array("\"\n".utf8))
    #expect(throws: ImportError(file: small.path, line: 3, message: "invalid UTF-8 text", hint: utf8Hint)) {
        try readAll(small, options: CSVOptions(encoding: .utf8), chunkSize: 5)
    }
}

@Test func invalidGB18030NamesItsLine() throws {
    let files = try TemporaryDirectory()
    var text = "序号,意见\r\n"
    for row in 1...4000 { text += "\(row),办事效率很高\r\n" }
    var bytes = try gb18030(text)
    #expect(bytes.count > CSVReader.sampleSize)
    bytes += Array("4001,bad ".utf8) + [0xFF, 0x0D, 0x0A]
    let url = try files.write("gb-bad.csv", bytes)
    let reader = try CSVReader(url: url)
    #expect(reader.encoding == .gb18030)
    var count = 0
    #expect(throws: ImportError(file: url.path, line: 4002, message: "invalid GB18030 text", hint: gb18030Hint)) {
        while try reader.next() != nil { count += 1 }
    }
    #expect(count == 4001)

    let truncated = try files.write("gb-cut.csv", [0x61, 0x0A, 0x62, 0x0A, 0xCA])
    #expect(throws: ImportError(file: truncated.path, line: 3, message: "invalid GB18030 text", hint: gb18030Hint)) {
        try readAll(truncated, options: CSVOptions(encoding: .gb18030))
    }
}

@Test func contradictoryOptions() throws {
    let files = try TemporaryDirectory()
    let url = try files.write("bom.csv", [0xEF, 0xBB, 0xBF] + Array("a,b\n".utf8))
    #expect(
        throws: ImportError(
            file: url.path, line: 1, message: "starts with a UTF-8 byte-order mark, but GB18030 was asked for",
            hint: "drop --encoding gb18030")
    ) {
        try CSVReader(url: url, options: CSVOptions(encoding: .gb18030))
    }
    #expect(throws: ImportError(file: url.path, message: "the delimiter cannot be a quote, CR or LF")) {
        try CSVReader(url: url, options: CSVOptions(delimiter: UInt8(ascii: "\"")))
    }
}

@Test func missingFile() throws {
    let url = URL(fileURLWithPath: "/nonexistent/responses.csv")
    #expect(throws: ImportError(file: url.path, message: "cannot open: No such file or directory")) {
        try CSVReader(url: url)
    }
}

// MARK: - Real-world exports

@Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
func wjxTextExport() throws {
    let url = try #require(SharedData.realWorld("wjx_collegeschat_v2_text_export.csv"))
    let reader = try CSVReader(url: url)
    #expect(reader.encoding == .utf8)
    #expect(reader.delimiter == UInt8(ascii: ","))
    var records: [CSVRecord] = []
    while let record = try reader.next() { records.append(record) }
    #expect(records.count == 11)
    #expect(records.allSatisfy { $0.fields.count == 36 })
    #expect(records.first?.fields.prefix(2) == ["序号", "提交答卷时间"])
    // One cell spans two lines, so one record starts a line later than its index suggests.
    #expect(records.last?.line == 12)
    #expect(records.contains { record in record.fields.contains { $0.contains("\n") } })
}

@Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
func koboSemicolonExport() throws {
    let url = try #require(SharedData.realWorld("kobotoolbox_export_semicolon_labels.csv"))
    let reader = try CSVReader(url: url)
    #expect(reader.delimiter == UInt8(ascii: ";"))
    var records: [CSVRecord] = []
    while let record = try reader.next() { records.append(record) }
    #expect(records.count == 4)
    let width = try #require(records.first?.fields.count)
    #expect(width == 50)
    #expect(records.allSatisfy { $0.fields.count == width })
    #expect(records.first?.fields.first == "start")
    #expect(records.first?.fields.suffix(2) == ["_index", "_geolocation"])
}

@Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
func odkCentralExport() throws {
    let url = try #require(SharedData.realWorld("odkcentral_export_submissions.csv"))
    let reader = try CSVReader(url: url)
    #expect(reader.delimiter == UInt8(ascii: ","))
    var records: [CSVRecord] = []
    while let record = try reader.next() { records.append(record) }
    #expect(records.count == 3)
    #expect(records.allSatisfy { $0.fields.count == 34 })
    #expect(records.first?.fields.first == "SubmissionDate")
    #expect(records.first?.fields.contains("meta-instanceID") == true)
}

@Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
func wjxGBKExport() throws {
    let url = try #require(SharedData.realWorld("wjx_zte_tianji7_All_Data_Readable_DERIVED.gbk.csv"))
    let reader = try CSVReader(url: url)
    #expect(reader.encoding == .gb18030)
    #expect(reader.delimiter == UInt8(ascii: ","))
    var records: [CSVRecord] = []
    while let record = try reader.next() { records.append(record) }
    #expect(records.count == 5)
    #expect(lines(records) == [1, 2, 3, 4, 5])
    let header = try #require(records.first)
    #expect(header.fields.prefix(3) == ["序号", "提交答卷时间", "所用时间"])
    #expect(records.allSatisfy { $0.fields.count == header.fields.count })
    #expect(header.fields.count == 33)
    // CRLF endings leave no stray CR in the last column.
    #expect(records.allSatisfy { $0.fields.last?.hasSuffix("\r") == false })
}

/// Where `bytes` stop being UTF-8, by the standard library's decoder: the offset of the first
/// character that is not whole and valid; nil when every byte is.
private func firstNonUTF8(_ bytes: [UInt8]) -> Int? {
    var iterator = bytes.makeIterator()
    var parser = Unicode.UTF8.ForwardParser()
    var offset = 0
    while true {
        switch parser.parseScalar(from: &iterator) {
        case .valid(let scalar): offset += scalar.count
        case .emptyInput: return nil
        case .error: return offset
        }
    }
}

/// `CSVScan.checkUTF8` finds the same first bad byte as the standard library, over random runs of
/// characters of one to four bytes (mostly Chinese, read two at a time) and of bad sequences: cut,
/// overlong, surrogates, beyond U+10FFFF, stray continuation bytes; from every offset of a word.
@Test func utf8CheckFindsTheFirstBadByteTheStandardLibraryFinds() {
    let valid = ["a", "é", "中", "文", "件", "\u{E000}", "\u{FFFF}", "\u{D7FF}", "\u{0800}", "\u{1000}", "😀", "\n"].map { Array($0.utf8) }
    let chinese = ["中", "文", "办", "事"].map { Array($0.utf8) }
    let invalid: [[UInt8]] = [
        [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xE4, 0xB8], [0xE4, 0x41, 0x80],
        [0xE4, 0xB8, 0x41], [0xEF, 0xC0, 0x80], [0xC0, 0x80], [0xC2], [0xFF], [0x80], [0xF4, 0x90, 0x80, 0x80], [0xF0, 0x80, 0x80, 0x80],
    ]
    var random = SplitMix64(seed: 20_251_122)
    var checked = 0
    for _ in 0..<30_000 {
        var bytes: [UInt8] = []
        for _ in 0..<(1 + random.below(14)) {
            let roll = random.below(100)
            bytes +=
                roll < 55
                ? chinese[random.below(chinese.count)] : roll < 90 ? valid[random.below(valid.count)] : invalid[random.below(invalid.count)]
        }
        let found: Int? = bytes.withUnsafeBufferPointer { buffer in
            switch CSVScan.checkUTF8(buffer.baseAddress.unsafelyUnwrapped, from: 0, to: buffer.count) {
            case .valid: nil
            case .invalid(let index), .truncated(let index): index
            }
        }
        #expect(found == firstNonUTF8(bytes), "\(bytes.map { String($0, radix: 16) })")
        checked += 1
    }
    #expect(checked == 30_000)
}
