import Foundation

extension Importer {
    /// CSV and spreadsheets: the first row is the header, each later row a record.
    func openTabularSource(_ url: URL, display: String, format: String, options: ImportOptions) throws -> any RecordSource & HasHeader {
        switch format {
        case "xlsx", "xls":
            let table: SheetTable
            do {
                table = try SpreadsheetReader.read(url: url, sheet: options.sheet)
            } catch var error as ImportError {
                error.file = display
                throw error
            }
            return SheetSource(format: format, table: table, file: display)
        default:
            var csvOptions = CSVOptions()
            csvOptions.encoding = options.encoding.flatMap(TextEncoding.init(name:))
            if format == "tsv" { csvOptions.delimiter = 0x09 }
            return try CSVSource(url: url, display: display, format: format, options: csvOptions)
        }
    }
}

/// A CSV file: its first record is the header.
struct CSVSource: RecordSource, HasHeader {
    let format: String
    let header: [String]?
    let positionName = "line"
    private let reader: CSVReader
    private let names: [String]
    /// The record read last, whose buffers the next one reuses.
    private var cells = CSVCells()
    /// The same where its fields lie in the reader's buffer, for `next(offering:offeringLine:)`.
    private let cellsInPlace = LineCells()

    init(url: URL, display: String, format: String, options: CSVOptions) throws {
        do {
            reader = try CSVReader(url: url, options: options)
            guard let first = try reader.next() else { throw ImportError(file: display, message: "the file is empty") }
            names = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        } catch var error as ImportError {
            error.file = display
            throw error
        }
        header = names
        self.format = format
    }

    mutating func next() throws -> SourceItem? {
        guard try reader.next(into: &cells) else { return nil }
        return .cells(cells, names: names)
    }

    mutating func next(offering take: (CSVCells, [String]) throws -> Bool?) throws -> Offered? {
        guard try reader.next(into: &cells) else { return nil }
        if let taken = try take(cells, names) { return .taken(taken) }
        return .item(.cells(cells, names: names))
    }

    /// Each record is read where its fields lie and offered to `takeLine` first (for speed: see
    /// LineCells); where it returns nil, the fields are copied into cells and offered to `take`.
    mutating func next(
        offering take: (CSVCells, [String]) throws -> Bool?, offeringLine takeLine: (LineCells, [String]) throws -> Bool?
    ) throws -> Offered? {
        guard try reader.next(into: cellsInPlace) else { return nil }
        if let taken = try takeLine(cellsInPlace, names) { return .taken(taken) }
        cellsInPlace.copyTexts(into: &cells)
        if let taken = try take(cells, names) { return .taken(taken) }
        return .item(.cells(cells, names: names))
    }
}

/// One sheet of a workbook: its first non-empty row is the header.
struct SheetSource: RecordSource, HasHeader {
    let format: String
    let header: [String]?
    let positionName = "row"
    private let rows: ArraySlice<SheetRow>
    private var index: Int

    init(format: String, table: SheetTable, file: String) {
        self.format = format
        let names = table.rows.first?.fields.map { $0.trimmingCharacters(in: .whitespaces) } ?? []
        header = names
        rows = table.rows.dropFirst()
        index = rows.startIndex
    }

    mutating func next() throws -> SourceItem? {
        guard index < rows.endIndex, let names = header else { return nil }
        let row = rows[index]
        index += 1
        // Sheets drop trailing empty cells: pad so that a short row is not read as ragged.
        var fields = row.fields
        if fields.count < names.count { fields += Array(repeating: "", count: names.count - fields.count) }
        return .record(SourceRecord(position: row.number, names: names, values: fields.map(FieldValue.text), raw: .cells(row.fields)))
    }
}
