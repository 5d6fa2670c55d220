import Foundation
import ZIPFoundation

@testable import FeedbackKit

/// The XLSX reader. Byte 0, bit 0: the rest is the file's bytes as they are (0), or the XML of the
/// parts (1), separated by 0x1E, in the order of `XLSXParts.names`; those are packed into a valid ZIP
/// here, so that mutations reach the XML rather than die at the ZIP's checksums. Parts left out are
/// the valid defaults. Bit 1: deflate the parts. Bits 2–3: the sheet asked for.
func fuzzXLSX(_ input: inout FuzzInput) {
    let choice = input.takeByte()
    let bytes: [UInt8]
    if choice & 1 == 0 {
        bytes = input.bytes
    } else {
        let texts = input.bytes.split(separator: 0x1E, omittingEmptySubsequences: false).map(Array.init)
        guard let packed = XLSXParts.zip(texts, deflate: choice & 2 != 0) else { return }
        bytes = packed
    }
    let url = Scratch.write(bytes, as: "input.xlsx")
    readSpreadsheet(url, sheet: [nil, "Sheet1", "sheet1", "Other"][Int(choice >> 2 & 3)])
}

/// The legacy XLS reader (OLE2 compound file, BIFF8). Byte 0, bit 0: ask for a sheet by name.
func fuzzXLS(_ input: inout FuzzInput) {
    let choice = input.takeByte()
    let url = Scratch.write(input.bytes, as: "input.xls")
    readSpreadsheet(url, sheet: choice & 1 == 0 ? nil : "Sheet1")
}

private func readSpreadsheet(_ url: URL, sheet: String?) {
    do {
        let names = try SpreadsheetReader.sheetNames(url: url)
        let table = try SpreadsheetReader.read(url: url, sheet: sheet)
        if sheet == nil && !names.contains(table.name) { fatalError("read sheet \"\(table.name)\" of \(names)") }
        var previous = 0
        for row in table.rows {
            if row.number <= previous { fatalError("row \(row.number) after row \(previous)") }
            previous = row.number
        }
        var source = SheetSource(format: "xlsx", table: table, file: url.path)
        try tableMapping.drain(&source)
    } catch {
        requireClearImportError(error, file: url)
    }
}

/// The parts of a small valid workbook, which fuzz inputs replace one by one.
enum XLSXParts {
    static let names = [
        "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "_rels/.rels",
    ]

    static let defaults: [String] = [
        """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>\
        <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>提交时间</t></is></c></row>\
        <row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>5</v></c><c r="C2" s="1"><v>45292.5</v></c></row>\
        </sheetData></worksheet>
        """,
        """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">\
        <si><t>部门</t></si><si><t>总体满意度</t></si><si><r><t>税务</t></r><r><t xml:space="preserve">局 </t></r></si></sst>
        """,
        """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
        <numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/></numFmts>\
        <cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>
        """,
        """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
        xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
        <workbookPr date1904="false"/><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>
        """,
        """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
        <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>\
        <Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>\
        <Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>\
        </Relationships>
        """,
        """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
        <Default Extension="xml" ContentType="application/xml"/></Types>
        """,
        """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
        <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>\
        </Relationships>
        """,
    ]

    /// A ZIP of the parts: `texts[i]` in place of the default of `names[i]`; nil if ZIPFoundation fails.
    static func zip(_ texts: [[UInt8]], deflate: Bool) -> [UInt8]? {
        do {
            let archive = try Archive(accessMode: .create)
            for (index, name) in names.enumerated() {
                let data = index < texts.count ? Data(texts[index]) : Data(defaults[index].utf8)
                try archive.addEntry(
                    with: name, type: .file, uncompressedSize: Int64(data.count),
                    compressionMethod: deflate ? .deflate : .none,
                    provider: { position, size in data.subdata(in: Int(position)..<(Int(position) + size)) })
            }
            return archive.data.map { [UInt8]($0) }
        } catch {
            return nil
        }
    }
}
