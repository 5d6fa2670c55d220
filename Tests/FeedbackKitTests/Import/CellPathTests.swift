import Foundation
import Testing

@testable import FeedbackKit

/// A CSV import reads cells as bytes (CSVCells, ByteMemo, `parseRemembering(bytes:)`); every
/// other source reads them as texts. These check that both readings give the same outcomes.
struct CellPathTests {
    static func cells(_ fields: [String]) -> CSVCells {
        var cells = CSVCells()
        cells.startRecord(expecting: fields.count)
        for var field in fields {
            field.withUTF8 { bytes in
                if let base = bytes.baseAddress {
                    cells.appendField(base, count: bytes.count)
                } else {
                    var none: UInt8 = 0
                    cells.appendField(&none, count: 0)
                }
            }
        }
        return cells
    }

    /// Blank, text and remembered parses of each cell, by bytes and by text, over the tricky
    /// texts of FastPathTests (white space of every kind, full-width forms, combining marks).
    @Test func cellsReadAsTheirTexts() throws {
        let form = try ImportBench(exampleForm: "enterprise-service").form
        let departments = DepartmentIndex(form.departments)
        let texts = FastPathTests.texts + ["5", " 5", "非常满意", "\u{3000}", "\u{A0}", "\u{2028}", "\u{85}", "\u{1680}", "住房和城乡建设局"]
        let cells = Self.cells(texts)
        let values = texts.map(FieldValue.text)
        #expect(cells.count == texts.count)
        #expect(cells.strings == texts)
        for question in form.questions {
            let byBytes = AnswerParser(question: question, departments: departments)
            let byText = AnswerParser(question: question, departments: departments)
            // Twice over: first parsed, then remembered.
            for _ in 0..<2 {
                for i in texts.indices {
                    #expect(cells.isBlank(i) == values.isBlank(i), "\(texts[i].debugDescription)")
                    #expect(cells.display(i) == values.display(i))
                    #expect(cells.parse(i, with: byBytes) == values.parse(i, with: byText), "\(question.id): \(texts[i].debugDescription)")
                }
            }
        }
    }

    /// The mapper gives the same outcome for a CSV record read as cells and read as texts: every
    /// record of the example export, and records that are ragged, blank, or have blank extra fields.
    @Test func csvRecordsMapAlikeByCellsAndByTexts() throws {
        let bench = try ImportBench(exampleForm: "enterprise-service")
        let sampleURL = Fixtures.repositoryRoot.appendingPathComponent("samples/enterprise-service-2025.csv")
        let sample = try String(contentsOf: sampleURL, encoding: .utf8)
        let lines = sample.split(separator: "\n", omittingEmptySubsequences: false)
        let header = String(lines[0])
        let width = header.split(separator: ",").count
        var text = sample
        if !text.hasSuffix("\n") { text += "\n" }
        let first = String(lines[1])
        text += first + ",,\u{3000}, \n"  // blank fields past the header's end
        text += first + ",x\n"  // one field too many
        text += String(first.prefix(while: { $0 != "," })) + ",2025-02-01 08:00:00\n"  // too few
        text += String(repeating: ",", count: width - 1) + "\n"  // every field empty
        text += " \n"  // one blank field
        text += first.replacingOccurrences(of: "非常满意", with: "\u{3000}非常满意\u{A0}") + "\n"
        text += first.replacingOccurrences(of: "2025/2/1 8:25:46", with: "not a time") + "\n"
        let url = try bench.dir.write("cells.csv", text)

        let mapper = RecordMapper(form: bench.form, zone: .china, source: "cells.csv")
        let byCells = try CSVReader(url: url)
        let byTexts = try CSVReader(url: url)
        var cells = CSVCells()
        _ = try byCells.next(into: &cells)
        let names = try #require(try byTexts.next()).fields.map { $0.trimmingCharacters(in: .whitespaces) }
        let plan = mapper.plan(header: names)
        var compared = 0
        var rejected = 0
        while try byCells.next(into: &cells) {
            let record = try #require(try byTexts.next())
            let a = mapper.map(cells, names: names, position: cells.line, plan: plan)
            let b = mapper.map(record.fields.map(FieldValue.text), names: names, position: record.line, plan: plan)
            switch (a, b) {
            case (.accepted(let x), .accepted(let y)): #expect(x == y, "line \(record.line)")
            case (.rejected(let x), .rejected(let y)):
                #expect(x == y, "line \(record.line)")
                rejected += 1
            default: Issue.record("line \(record.line): \(a) by cells, \(b) by texts")
            }
            compared += 1
        }
        #expect(try byTexts.next() == nil)
        #expect(compared > 1000)
        #expect(rejected >= 5, "the ragged, blank and timeless records are rejected alike")
    }

    /// What a memo is given it keeps, told apart by every byte, up to its limits.
    @Test func byteMemoKeepsWhatItWasGiven() {
        var memo = ByteMemo<Int>(limit: 100, keyBytesLimit: 10_000)
        func key(_ text: String) -> [UInt8] { Array(text.utf8) }
        func get(_ text: String) -> Int? { key(text).withUnsafeBytes { memo.value(for: $0) } }
        func put(_ text: String, _ value: Int) { key(text).withUnsafeBytes { memo.insert(value, for: $0) } }
        let texts = ["", "a", "b", "ab", "ba", "中文", "caf\u{E9}", "cafe\u{301}", "12345678", "123456789", "1234567", "a\0b", "a\0c"]
        for (i, text) in texts.enumerated() { put(text, i) }
        for (i, text) in texts.enumerated() { #expect(get(text) == i, "\(text.debugDescription)") }
        #expect(get("abc") == nil)
        #expect(get("12345679") == nil)
        #expect(memo.count == texts.count)

        // A key longer than the longest kept is not kept.
        let long = String(repeating: "x", count: ByteMemo<Int>.longestKey + 1)
        put(long, 1)
        #expect(get(long) == nil)

        // Past the limit the memo starts again: the newest entry is there, the oldest gone.
        for i in 0..<150 { put("k\(i)", i) }
        #expect(get("k149") == 149)
        #expect(get("k0") == nil)
        #expect(memo.count <= 100)
        for i in 100..<150 { #expect(get("k\(i)") == i) }

        // Past the key bytes limit, too.
        var small = ByteMemo<Int>(limit: 1000, keyBytesLimit: 64)
        for i in 0..<20 { Array("key-\(i)".utf8).withUnsafeBytes { small.insert(i, for: $0) } }
        #expect(Array("key-19".utf8).withUnsafeBytes { small.value(for: $0) } == 19)
        #expect(Array("key-0".utf8).withUnsafeBytes { small.value(for: $0) } == nil)
    }

    /// As a set (the digests' comment items): a key is new once, until the memo starts again; a
    /// key too long to keep is new every time.
    @Test func byteMemoTellsNewKeys() {
        var seen = ByteMemo<Bool>(limit: 4, keyBytesLimit: 10_000)
        func isNew(_ text: String) -> Bool { Array(text.utf8).withUnsafeBytes { seen.insertIfNew(true, for: $0) } }
        #expect(isNew("a") && isNew("b") && isNew("") && isNew("中文"))
        #expect(!isNew("a") && !isNew("b") && !isNew("") && !isNew("中文"))
        #expect(seen.count == 4)
        // The fifth starts the memo again, and is the one it keeps.
        #expect(isNew("c"))
        #expect(seen.count == 1)
        #expect(!isNew("c"))
        #expect(isNew("a"))
        let long = String(repeating: "x", count: ByteMemo<Bool>.longestKey + 1)
        #expect(isNew(long) && isNew(long))
        #expect(seen.count == 2)
    }

    /// Lines of JSON Lines, flat and not, written compactly and not, valid and not (see below).
    static let jsonLines: [[UInt8]] =
        jsonLineTexts.map { Array($0.utf8).map { $0 == UInt8(ascii: "?") ? 0xC3 : $0 } } + notUTF8Lines

    private static let jsonLineTexts: [String] =
        [
            #"{"a":"x","b":1,"c":true,"d":null,"e":[1,"y",false],"f":[]}"#,
            #"{"a":"x","b":2,"c":false,"d":"","e":[],"f":["中文"]}"#,
            #"{"b":"x","a":2}"#,
            #"{"a":"\u4e2d\n\"q\"","b":"tab\t","c":"\ud83d\ude00"}"#,
            #"{}"#,
            #"{"a":1,"a":2}"#,
            #"  { "a" : 1 , "b" :[ 1 , 2 ] }  "#,
            #"{"a":-0.5e+3,"b":0,"c":1E5}"#,
            // Keys like the line before's: the same, escaped, fewer, more, longer, and with a quote.
            #"{"a":1,"b":2,"c":3}"#,
            // The same keys read by the template of the line before: with white space after
            // some are read, with an escape, an array, a null and white space after the object,
            // and with a byte after the object.
            #"{"a":1, "b":2,"c":3}"#,
            #"{"a":"x\"y","b":[1],"c":null} "#,
            #"{"a":1,"b":2,"c":3}}"#,
            #"{"a":1,"\u0062":2,"c":3}"#,
            #"{"a":1,"b":2}"#,
            #"{"a":1,"b":2,"c":3,"d":4}"#,
            #"{"a":1,"bb":2,"c":3,"d":4}"#,
            #"{"a":1,"b\"":2}"#,
            // Not JSON, though its bytes are those of the known key between quotes.
            #"{"a":1,"b"":3}"#,
            #"{"a":1,"b\"":3}"#,
            #"{"a":1,"b":3,"ab":4}"#,
            // Keys past ASCII known from the line before, one longer, and an empty key twice.
            #"{"部门":"x","评分":1}"#,
            #"{"部门":"y","评分":2}"#,
            #"{"部门":"y","评分x":2}"#,
            #"{"":1}"#,
            #"{"":2}"#,
            // Bytes that are not UTF-8 (here a "?", replaced below) in a key after a known one.
            #"{"":2,"?":3}"#,
            // Escapes in an array and one after another.
            #"{"a":["x\"y","\u00e9",true,-1],"b":"\/\\\b\f\r"}"#,
            #"{"a":{"b":1}}"#,
            #"{"a":[null]}"#,
            // An escape JSON does not have, a quote after it, and a control byte not escaped.
            #"{"a":"\q"}"#,
            #"{"a":"\x","b":"y"}"#,
            "{\"a\":\"x\u{09}y\"}",
            #"{"a":[[1]]}"#,
            #"{"a":[{"b":1}]}"#,
            #"{"a":1,}"#,
            #"{"a":1} x"#,
            #"{"a":01}"#,
            #"[1,2]"#,
            #"{"a":"\ud800"}"#,
            #"{"a":tru}"#,
            #"{"a" 1}"#,
        ]

    /// Bytes that are not UTF-8 in a string after an escape, in a string of more than eight bytes,
    /// and outside any string.
    private static let notUTF8Lines: [[UInt8]] =
        [
            Array(#"{"a":"\n"#.utf8) + [0xE4, 0xB8, 0x22, 0x7D],
            Array(#"{"a":"abcdefgh"#.utf8) + [0xFF] + Array(#"ijk"}"#.utf8),
            Array(#"{"a":1"#.utf8) + [0xC3, 0xA9, 0x7D],
            Array(#"{"a":"x"}"#.utf8),
            [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC3, 0x22, 0x7D],  // {"a":"<cut UTF-8>"}
        ]

    /// `jsonLines` as a file: a byte-order mark before the first line, and a CR before the last line's LF.
    static func jsonLinesFile(in dir: TemporaryDirectory) throws -> URL {
        let lines = jsonLines
        var text = [0xEF, 0xBB, 0xBF] + lines.dropLast(2).joined(separator: [0x0A])
        text += [0x0A] + lines[lines.count - 2] + [0x0D, 0x0A] + lines[lines.count - 1]
        let url = dir.url.appendingPathComponent("lines.jsonl")
        try Data(text).write(to: url)
        return url
    }

    /// JSON Lines whose objects are flat are read into cells; each gives the names, values and
    /// text that the full parser gives, and every other line is left to the full parser.
    @Test func flatJSONLinesReadAsTheFullParserReadsThem() throws {
        let lines = Self.jsonLines
        let dir = try TemporaryDirectory()
        let url = try Self.jsonLinesFile(in: dir)
        var source = try JSONLinesSource(url: url, displayPath: "lines.jsonl")
        var flat = 0
        var position = 0
        while let item = try source.next() {
            position += 1
            let line = lines[position - 1]
            let whole = try? JSONParser.parse(line)
            switch item {
            case .cells(let cells, let names):
                flat += 1
                let expected = try #require(whole?.flattened(), "line \(position) was read into cells but does not parse")
                let record = try #require(item.record)
                #expect(names == expected.names, "line \(position)")
                #expect(record.values == expected.values, "line \(position)")
                #expect(record.position == position && cells.line == position)
                guard case .json(let raw) = record.raw else { throw WorkspaceError("line \(position) without its text") }
                #expect(raw == String(decoding: line, as: UTF8.self))
            case .record(let record):
                #expect(record.position == position)
                #expect(whole?.members != nil, "line \(position)")
            case .unreadable(let at, _, _):
                #expect(at == position)
                #expect(whole?.members == nil, "line \(position) parses but was unreadable")
            }
        }
        #expect(position == lines.count)
        #expect(flat == 25, "the flat lines, and only those, are read into cells")
    }
}
