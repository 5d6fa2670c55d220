import Foundation
import TestServers
import Testing
import ZIPFoundation

@testable import FeedbackKit

// MARK: - Fixture helpers

fileprivate extension TemporaryDirectory {
    /// Writes a ZIP with the given parts (deflated, in the order given).
    func zip(_ name: String, parts: [(String, String)]) throws -> URL {
        let url = file(name)
        let archive = try Archive(url: url, accessMode: .create)
        for (path, text) in parts {
            let data = Data(text.utf8)
            try archive.addEntry(
                with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate,
                provider: { position, size in data.subdata(in: Int(position)..<(Int(position) + size)) })
        }
        return url
    }
}

private let mainNamespace = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
private let relNamespace = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
private let relType = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

private func workbookXML(date1904: Bool = false) -> String {
    """
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <workbook xmlns="\(mainNamespace)" xmlns:r="\(relNamespace)">
    <workbookPr date1904="\(date1904 ? "1" : "false")"/>
    <sheets><sheet name="Responses" sheetId="2" r:id="rId7"/><sheet name="Notes &amp; more" sheetId="1" r:id="rId1"/></sheets>
    </workbook>
    """
}

private let packageRels = """
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
    <Relationship Id="rId1" Type="\(relType)/officeDocument" Target="xl/workbook.xml"/>
    </Relationships>
    """

/// The first sheet in workbook order is sheet2.xml, so a reader that assumes sheet1.xml gets it wrong.
private let workbookRels = """
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
    <Relationship Id="rId1" Type="\(relType)/worksheet" Target="worksheets/sheet1.xml"/>
    <Relationship Id="rId3" Type="\(relType)/styles" Target="styles.xml"/>
    <Relationship Id="rId4" Type="\(relType)/sharedStrings" Target="/xl/sharedStrings.xml"/>
    <Relationship Id="rId7" Type="\(relType)/worksheet" Target="./worksheets/../worksheets/sheet2.xml"/>
    </Relationships>
    """

private let sharedStringsXML = """
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <sst xmlns="\(mainNamespace)" count="5" uniqueCount="4">
    <si><t>序号</t></si>
    <si><r><rPr><b/></rPr><t>满意</t></r><r><t xml:space="preserve"> 程度</t></r></si>
    <si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh><phoneticPr fontId="1"/></si>
    <si><t>line_x000D_break &amp; &lt;tag&gt; &#x2503;</t></si>
    </sst>
    """

/// Style 1 is a custom date, 2 the built-in date-time 22, 3 a number format whose quoted text holds
/// date letters (so it is no date), 4 the built-in time 20.
private let stylesXML = """
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <styleSheet xmlns="\(mainNamespace)">
    <numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy/mm/dd;@"/><numFmt numFmtId="165" formatCode="&quot;Day&quot; 0"/></numFmts>
    <cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>
    <cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="22"/><xf numFmtId="165"/><xf numFmtId="20"/></cellXfs>
    </styleSheet>
    """

private let responsesSheetXML = """
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <worksheet xmlns="\(mainNamespace)"><dimension ref="A1:G7"/><sheetData>
    <row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c><c r="D1" t="inlineStr"><is><t>内联</t></is></c></row>
    <row r="2"><c r="A2"><v>5</v></c><c r="B2" t="n"><v>2.5</v></c><c r="C2" s="1"><v>45126</v></c>\
    <c r="D2" s="2"><v>45126.75</v></c><c r="E2" s="3"><v>7</v></c><c r="F2" s="4"><v>0.5</v></c></row>
    <row r="4"><c r="B4" t="b"><v>1</v></c><c r="C4" t="e"><v>#N/A</v></c><c r="D4" t="str"><f>A2&amp;"x"</f><v>5x</v></c>\
    <c r="E4"><f>A2*2</f><v>10</v></c><c r="F4" t="s"><v>2</v></c><c r="G4" t="s"><v>3</v></c></row>
    <!-- a comment between rows -->
    <row r="5"><c r="A5" t="s"><v>1</v></c></row>
    <row r="6"><c r="A6" s="1"/><c r="B6" t="inlineStr"><is><t></t></is></c></row>
    <row><c t="inlineStr"><is><r><t>no</t></r><r><t>ref</t></r></is></c><c><v>1E-3</v></c></row>
    </sheetData></worksheet>
    """

/// Written with a namespace prefix on every element, as some generators do.
private let notesSheetXML = """
    <?xml version="1.0" encoding="UTF-8"?>
    <x:worksheet xmlns:x="\(mainNamespace)"><x:sheetData>
    <x:row r="3"><x:c r="B3" t="inlineStr"><x:is><x:t><![CDATA[note <1>]]></x:t></x:is></x:c></x:row>
    </x:sheetData></x:worksheet>
    """

private func handMadeParts(date1904: Bool = false) -> [(String, String)] {
    [
        ("[Content_Types].xml", "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>"),
        ("_rels/.rels", packageRels),
        ("xl/workbook.xml", workbookXML(date1904: date1904)),
        ("xl/_rels/workbook.xml.rels", workbookRels),
        ("xl/sharedStrings.xml", sharedStringsXML),
        ("xl/styles.xml", stylesXML),
        ("xl/worksheets/sheet1.xml", notesSheetXML),
        ("xl/worksheets/sheet2.xml", responsesSheetXML),
    ]
}

/// Finds a part's central-directory record in a ZIP and overwrites its unpacked-size field.
private func patchDeclaredSize(_ bytes: inout [UInt8], part: String, size: UInt32) {
    let name = Array(part.utf8)
    var index = 0
    while index + 46 + name.count <= bytes.count {
        if bytes[index] == 0x50, bytes[index + 1] == 0x4B, bytes[index + 2] == 0x01, bytes[index + 3] == 0x02,
            Array(bytes[(index + 46)..<(index + 46 + name.count)]) == name
        {
            for shift in 0..<4 { bytes[index + 24 + shift] = UInt8(truncatingIfNeeded: size >> (8 * shift)) }
            return
        }
        index += 1
    }
}

// MARK: - Hand-made workbooks

@Suite("XLSX reader: hand-made workbooks")
struct XLSXHandMadeTests {
    @Test func readsTheFirstSheetInWorkbookOrderWithEveryKindOfValue() throws {
        let scratch = try TemporaryDirectory()
        let url = try scratch.zip("survey.xlsx", parts: handMadeParts())
        let table = try XLSXReader.read(url: url)
        #expect(
            table
                == SheetTable(
                    name: "Responses",
                    rows: [
                        SheetRow(number: 1, fields: ["序号", "", "满意 程度", "内联"]),
                        SheetRow(number: 2, fields: ["5", "2.5", "2023-07-19", "2023-07-19 18:00:00", "7", "12:00:00"]),
                        SheetRow(number: 4, fields: ["", "TRUE", "#N/A", "5x", "10", "東京", "line\rbreak & <tag> ┃"]),
                        SheetRow(number: 5, fields: ["满意 程度"]),
                        SheetRow(number: 7, fields: ["noref", "0.001"]),
                    ]))
    }

    @Test func readsASheetByNameAndListsSheetNames() throws {
        let scratch = try TemporaryDirectory()
        let url = try scratch.zip("survey.xlsx", parts: handMadeParts())
        #expect(try XLSXReader.sheetNames(url: url) == ["Responses", "Notes & more"])
        #expect(try SpreadsheetReader.sheetNames(url: url) == ["Responses", "Notes & more"])
        let notes = try XLSXReader.read(url: url, sheet: "Notes & more")
        #expect(notes == SheetTable(name: "Notes & more", rows: [SheetRow(number: 3, fields: ["", "note <1>"])]))
        #expect(try XLSXReader.read(url: url, sheet: "notes & MORE").name == "Notes & more")
        #expect(try SpreadsheetReader.read(url: url) == XLSXReader.read(url: url))
    }

    @Test func honoursThe1904DateSystem() throws {
        let scratch = try TemporaryDirectory()
        let url = try scratch.zip("mac.xlsx", parts: handMadeParts(date1904: true))
        let row = try #require(try XLSXReader.read(url: url).rows.first { $0.number == 2 })
        #expect(row.fields[2] == "2027-07-20")
        #expect(row.fields[3] == "2027-07-20 18:00:00")
    }

    @Test func unknownSheetNameListsTheSheets() throws {
        let scratch = try TemporaryDirectory()
        let url = try scratch.zip("survey.xlsx", parts: handMadeParts())
        #expect(
            throws: ImportError(
                file: url.path, message: "the workbook has no sheet named \"Summary\"",
                hint: "its sheets are \"Responses\", \"Notes & more\"")
        ) {
            try XLSXReader.read(url: url, sheet: "Summary")
        }
    }
}

// MARK: - Damaged and wrong files

@Suite("XLSX reader: damaged files")
struct XLSXDamagedTests {
    @Test func emptyFile() throws {
        let scratch = try TemporaryDirectory()
        let url = try scratch.write("empty.xlsx", [])
        #expect(throws: ImportError(file: url.path, message: "not an XLSX workbook (the file is empty)")) {
            try XLSXReader.read(url: url)
        }
    }

    @Test func randomBytes() throws {
        let scratch = try TemporaryDirectory()
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<4_096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[0] = 0x17  // never a ZIP, OLE2 or markup start
        let url = try scratch.write("noise.xlsx", bytes)
        #expect(throws: ImportError(file: url.path, message: "not an XLSX workbook (not a ZIP archive)")) {
            try XLSXReader.read(url: url)
        }
    }

    @Test func zipWithoutWorkbook() throws {
        let scratch = try TemporaryDirectory()
        let url = try scratch.zip("other.xlsx", parts: [("word/document.xml", "<document/>")])
        #expect(throws: ImportError(file: url.path, message: "not an XLSX workbook (no xl/workbook.xml)")) {
            try XLSXReader.read(url: url)
        }
    }

    @Test func legacyWorkbookUnderAnXLSXName() throws {
        let scratch = try TemporaryDirectory()
        let url = try scratch.write(
            "export.xlsx", [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 504))
        #expect(
            throws: ImportError(
                file: url.path, message: "not an XLSX workbook (it is an OLE2 compound file)",
                hint: "this looks like an old-style .xls workbook; read it as XLS")
        ) {
            try XLSXReader.read(url: url)
        }
    }

    @Test func htmlTableUnderAnXLSName() throws {
        let scratch = try TemporaryDirectory()
        let url = try scratch.write("export.xls", Array("\u{FEFF}\n<html><table><tr><td>1</td></tr></table></html>".utf8))
        #expect(
            throws: ImportError(
                file: url.path, message: "not a spreadsheet (it is an HTML or XML text file)",
                hint: "open it in Excel or WPS and save it as .xlsx, or export the data as CSV")
        ) {
            try SpreadsheetReader.read(url: url)
        }
    }

    @Test func truncatedArchive() throws {
        let scratch = try TemporaryDirectory()
        let whole = try scratch.zip("whole.xlsx", parts: handMadeParts())
        let bytes = [UInt8](try Data(contentsOf: whole))
        let url = try scratch.write("cut.xlsx", Array(bytes.prefix(bytes.count / 2)))
        #expect(throws: ImportError(file: url.path, message: "the XLSX file is damaged: its ZIP directory cannot be read")) {
            try XLSXReader.read(url: url)
        }
    }

    @Test func hugeDeclaredSize() throws {
        let scratch = try TemporaryDirectory()
        let whole = try scratch.zip("whole.xlsx", parts: handMadeParts())
        var bytes = [UInt8](try Data(contentsOf: whole))
        patchDeclaredSize(&bytes, part: "xl/worksheets/sheet2.xml", size: 4_000_000_000)
        let url = try scratch.write("bomb.xlsx", bytes)
        let archive = try Archive(url: url, accessMode: .read)
        let packed = try #require(archive["xl/worksheets/sheet2.xml"]).compressedSize
        #expect(
            throws: ImportError(
                file: url.path,
                message: "the XLSX file is damaged: xl/worksheets/sheet2.xml claims 4000000000 bytes unpacked from \(packed) packed bytes")
        ) {
            try XLSXReader.read(url: url)
        }
    }

    /// A sheet whose XML is damaged in one way, and the message it must give.
    @Test(arguments: [
        (
            "<worksheet><sheetData><row r=\"1\"><c r=\"A1\"><v>1</v></c></row><row r=\"2\"",
            "xl/worksheets/sheet2.xml is not well-formed XML (it ends inside a tag)"
        ),
        (
            "<worksheet><sheetData><row r=\"1\"><c r=\"C1\" t=\"s\"><v>99</v></c></row></sheetData></worksheet>",
            "shared string \"99\" does not exist in xl/worksheets/sheet2.xml"
        ),
        (
            "<worksheet><sheetData><row r=\"1\"><c r=\"ZZZZ1\"><v>1</v></c></row></sheetData></worksheet>",
            "cell reference \"ZZZZ1\" is not valid in xl/worksheets/sheet2.xml"
        ),
    ])
    func damagedSheet(xml: String, problem: String) throws {
        let scratch = try TemporaryDirectory()
        var parts = handMadeParts()
        parts[parts.count - 1].1 = xml
        let url = try scratch.zip("damaged.xlsx", parts: parts)
        #expect(throws: ImportError(file: url.path, message: "the XLSX file is damaged: " + problem)) {
            try XLSXReader.read(url: url)
        }
    }

    @Test func sheetWithoutPart() throws {
        let scratch = try TemporaryDirectory()
        let url = try scratch.zip("orphan.xlsx", parts: handMadeParts().filter { $0.0 != "xl/worksheets/sheet2.xml" })
        #expect(
            throws: ImportError(
                file: url.path, message: "the XLSX file is damaged: sheet \"Responses\" has no worksheet part")
        ) {
            try XLSXReader.read(url: url)
        }
    }

    @Test func missingFile() throws {
        let scratch = try TemporaryDirectory()
        let url = scratch.file("absent.xlsx")
        #expect(throws: ImportError(file: url.path, message: "the file does not exist")) {
            try XLSXReader.read(url: url)
        }
    }
}

// MARK: - Value rendering

@Suite("Cell display text")
struct CellTextTests {
    @Test(arguments: [
        ("General", SpreadsheetFormat.Kind.general),
        ("0.00", .general),
        ("0.00E+00", .general),
        ("#,##0;[Red]-#,##0", .general),
        ("\"Day\" 0", .general),
        ("yyyy\\-mm\\-dd", .date),
        ("m/d/yyyy", .date),
        ("mmm-yy", .date),
        ("[$-804]yyyy\"年\"m\"月\"d\"日\"", .date),
        ("h:mm:ss", .time),
        ("mm:ss", .time),
        ("h:mm AM/PM", .time),
        ("yyyy-mm-dd hh:mm:ss", .dateTime),
        ("[h]:mm:ss", .duration),
        ("yyyy/mm/dd;@", .date),
    ])
    func formatCodes(code: String, kind: SpreadsheetFormat.Kind) {
        #expect(SpreadsheetFormat.kind(code: code) == kind)
    }

    @Test func builtInFormats() {
        #expect((14...17).allSatisfy { SpreadsheetFormat.builtInKind(id: $0) == .date })
        #expect((18...21).allSatisfy { SpreadsheetFormat.builtInKind(id: $0) == .time })
        #expect(SpreadsheetFormat.builtInKind(id: 22) == .dateTime)
        #expect([45, 47].allSatisfy { SpreadsheetFormat.builtInKind(id: $0) == .time })
        #expect(SpreadsheetFormat.builtInKind(id: 46) == .duration)
        #expect([0, 1, 2, 9, 10, 11, 49].allSatisfy { SpreadsheetFormat.builtInKind(id: $0) == .general })
    }

    @Test func numbers() {
        #expect(SpreadsheetText.number(5) == "5")
        #expect(SpreadsheetText.number(-3) == "-3")
        #expect(SpreadsheetText.number(-0.0) == "0")
        #expect(SpreadsheetText.number(2.5) == "2.5")
        #expect(SpreadsheetText.number(0.1 + 0.2) == "0.30000000000000004")
        #expect(SpreadsheetText.number(254_135_872) == "254135872")
        #expect(SpreadsheetText.number(43.6000022888184) == "43.6000022888184")
    }

    @Test func dates() {
        #expect(SpreadsheetText.date(serial: 1, kind: .date, date1904: false) == "1900-01-01")
        #expect(SpreadsheetText.date(serial: 59, kind: .date, date1904: false) == "1900-02-28")
        #expect(SpreadsheetText.date(serial: 60, kind: .date, date1904: false) == "1900-02-29")
        #expect(SpreadsheetText.date(serial: 61, kind: .date, date1904: false) == "1900-03-01")
        #expect(SpreadsheetText.date(serial: 36_526, kind: .date, date1904: false) == "2000-01-01")
        #expect(SpreadsheetText.date(serial: 0, kind: .date, date1904: true) == "1904-01-01")
        #expect(SpreadsheetText.date(serial: 45_126.604_308_321_8, kind: .date, date1904: false) == "2023-07-19 14:30:12")
        #expect(SpreadsheetText.date(serial: 45_126.5, kind: .dateTime, date1904: false) == "2023-07-19 12:00:00")
        #expect(SpreadsheetText.date(serial: 45_126, kind: .dateTime, date1904: false) == "2023-07-19 00:00:00")
        #expect(SpreadsheetText.date(serial: 0.75, kind: .time, date1904: false) == "18:00:00")
        #expect(SpreadsheetText.date(serial: 0.999_999_9, kind: .dateTime, date1904: false) == "1900-01-01 00:00:00")
        #expect(SpreadsheetText.date(serial: 1.5, kind: .duration, date1904: false) == "36:00:00")
        #expect(SpreadsheetText.date(serial: 2_958_465, kind: .date, date1904: false) == "9999-12-31")
        #expect(SpreadsheetText.date(serial: -1, kind: .date, date1904: false) == nil)
        #expect(SpreadsheetText.date(serial: 3_000_000, kind: .date, date1904: false) == nil)
    }

    @Test func cellReferences() {
        func reference(_ text: String) -> [Int?]? {
            XLSXReader.cellReference(text).map { [$0.column, $0.row] }
        }
        #expect(reference("A1") == [0, 1])
        #expect(reference("$AW$2") == [48, 2])
        #expect(reference("XFD1048576") == [16_383, 1_048_576])
        #expect(reference("C") == [2, nil])
        #expect(reference("XFE1") == nil)
        #expect(reference("1A") == nil)
        #expect(reference("") == nil)
    }
}

// MARK: - Real exports

@Suite("XLSX reader: real exports")
struct XLSXRealWorldTests {
    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
    func koboToolboxExport() throws {
        let url = try #require(SharedData.realWorld("kobotoolbox_export.xlsx"))
        let table = try XLSXReader.read(url: url)
        #expect(table.name == "Biocultural monitoring form .-1")
        #expect(table.rows.map(\.number) == [1, 2, 3, 4])
        #expect(table.rows.allSatisfy { $0.fields.count == 49 })
        let header = table.rows[0].fields
        #expect(header.first == "start")
        #expect(header[41] == "_submission_time")
        #expect(header.last == "_index")
        // start, end and today are typed date cells under a yyyy-mm-dd format.
        #expect(Array(table.rows[1].fields.prefix(4)) == ["2023-07-19 14:30:12", "2023-07-19 14:33:06", "2023-07-18", "Arlington"])
        #expect(table.rows[1].fields[41] == "2023-07-19 18:33:06")
        #expect(table.rows[2].fields[2] == "2023-07-19")
        #expect(Array(table.rows[1].fields[30...33]) == ["2.164341 -55.963451 0 0", "2.164341", "-55.963451", "0"])
        #expect(table.rows[1].fields[39] == "254135872")
        #expect(table.rows[3].fields.last == "3")
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
    func wjxPhoneSurveyConvertedToXLSX() throws {
        let url = try #require(SharedData.realWorld("wjx_phone_survey_800_text_DERIVED.xlsx"))
        let table = try XLSXReader.read(url: url)
        #expect(table.name == "Sheet1")
        #expect(table.rows.count == 801)
        #expect(table.rows.map(\.number) == Array(1...801))
        #expect(table.rows.allSatisfy { $0.fields.count == 14 })
        #expect(Array(table.rows[0].fields.prefix(3)) == ["序号", "提交答卷时间", "所用时间"])
        #expect(table.rows[0].fields[8] == "3、性别 ")
        #expect(
            table.rows[1].fields == [
                "1", "", "", "", "", "", "1部", "3000-3499元", "男", "30~34岁", "5001-8000元", "运动┋影视┋购物", "30%左右",
                "娱乐八卦┋汽车类",
            ])
        #expect(table.rows.filter { $0.fields[11].contains("┋") }.count > 400)
        #expect(table.rows[800].fields[0] == "800")
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
    func koboXLSFormSheetsByName() throws {
        let url = try #require(SharedData.realWorld("kbtbr_xlsform_testing_survey.xlsx"))
        #expect(try SpreadsheetReader.sheetNames(url: url) == ["survey", "choices", "settings"])
        let survey = try XLSXReader.read(url: url, sheet: "survey")
        #expect(survey.rows.count == 29)
        #expect(survey.rows[0].fields == ["type", "name", "label", "hint", "appearance", "required", "parameters", "calculation"])
        #expect(survey.rows[1].fields == ["start", "start"])
        let choices = try XLSXReader.read(url: url, sheet: "choices")
        #expect(choices.rows.count == 30)
        #expect(choices.rows[0].fields == ["list_name", "name", "label"])
        #expect(choices.rows[1].fields == ["ys4jh05", "1", "Very important"])
        #expect(try XLSXReader.read(url: url) == survey)
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
    func odkXLSFormSheetsByName() throws {
        let url = try #require(SharedData.realWorld("ruODK_xlsform_I8n_lang_choicefilter_en_fr.xlsx"))
        let survey = try XLSXReader.read(url: url, sheet: "survey")
        #expect(survey.rows.count == 13)
        #expect(survey.rows[0].fields.count == 17)
        #expect(Array(survey.rows[0].fields[3...4]) == ["label::English (en)", "label::French (fr)"])
        #expect(survey.rows[0].fields.last == "choice_filter")
        #expect(survey.rows[1].fields.last == "name != 99")
        let choices = try XLSXReader.read(url: url, sheet: "choices")
        #expect(choices.rows.count == 10)
        #expect(choices.rows[0].fields == ["list_name", "name", "label::English (en)", "label::French (fr)"])
        #expect(choices.rows[1].fields == ["yes_no", "0", "Yes", "Oui"])
        let settings = try XLSXReader.read(url: url, sheet: "settings")
        #expect(
            settings.rows == [
                SheetRow(number: 1, fields: ["form_title", "form_id"]),
                SheetRow(number: 2, fields: ["I8n label lang with choice filter", "I8n_lang_choicefilter"]),
            ])
    }
}
