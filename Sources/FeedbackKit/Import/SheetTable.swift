import Foundation

/// One sheet of a workbook as rows of display text.
public struct SheetTable: Sendable, Equatable {
    public var name: String
    /// In row order; fully empty rows are dropped.
    public var rows: [SheetRow]

    public init(name: String, rows: [SheetRow]) {
        self.name = name
        self.rows = rows
    }
}

/// One non-empty row of a sheet, as the cells' display text.
public struct SheetRow: Sendable, Equatable {
    /// 1-based row number as the spreadsheet shows it.
    public var number: Int
    /// Cells A.. up to the last non-empty cell; gaps are filled with "".
    public var fields: [String]

    public init(number: Int, fields: [String]) {
        self.number = number
        self.fields = fields
    }
}

/// Reads either spreadsheet format, telling them apart by their first bytes rather than by the file name,
/// because survey sites often name an old-style .xls export ".xlsx" and the reverse.
public enum SpreadsheetReader {
    /// The sheet names of a workbook, in workbook order.
    public static func sheetNames(url: URL) throws -> [String] {
        switch try SpreadsheetFile.sniff(url) {
        case .zip: return try XLSXReader.sheetNames(url: url)
        case .compoundFile: return try XLSReader.sheetNames(url: url)
        case let other: throw SpreadsheetFile.notAWorkbook(url, kind: other, expected: "spreadsheet")
        }
    }

    /// Reads one sheet (the first worksheet when `sheet` is nil) of an XLSX or XLS workbook.
    public static func read(url: URL, sheet: String? = nil) throws -> SheetTable {
        switch try SpreadsheetFile.sniff(url) {
        case .zip: return try XLSXReader.read(url: url, sheet: sheet)
        case .compoundFile: return try XLSReader.read(url: url, sheet: sheet)
        case let other: throw SpreadsheetFile.notAWorkbook(url, kind: other, expected: "spreadsheet")
        }
    }
}

// MARK: - File checks shared by both readers

enum SpreadsheetFile {
    enum Kind: Equatable {
        case empty, zip, compoundFile, markup, other
    }

    /// Looks at the first bytes only, so that a wrong file is rejected before any parser sees it.
    static func sniff(_ url: URL) throws -> Kind {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ImportError(file: path, message: "the file does not exist")
        }
        if isDirectory.boolValue {
            throw ImportError(file: path, message: "this is a folder, not a spreadsheet file")
        }
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw ImportError(file: path, message: "cannot read the file (\(error.localizedDescription))")
        }
        defer { try? handle.close() }
        let head: Data
        do {
            head = try handle.read(upToCount: 512) ?? Data()
        } catch {
            throw ImportError(file: path, message: "cannot read the file (\(error.localizedDescription))")
        }
        return kind(of: [UInt8](head))
    }

    static func kind(of head: [UInt8]) -> Kind {
        if head.isEmpty { return .empty }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            return .zip
        }
        if head.starts(with: CompoundFile.signature) { return .compoundFile }
        // Some survey sites serve an HTML or XML table under an .xls name; skip a BOM and blanks to see "<".
        var index = 0
        if head.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        while index < head.count, [0x20, 0x09, 0x0A, 0x0D].contains(head[index]) { index += 1 }
        if index < head.count, head[index] == UInt8(ascii: "<") { return .markup }
        return .other
    }

    /// The error for a file that is not the expected kind, with a hint that names what it seems to be instead.
    /// `expected` is "XLSX", "XLS" or "spreadsheet".
    static func notAWorkbook(_ url: URL, kind: Kind, expected: String) -> ImportError {
        let path = url.path
        let subject = expected == "spreadsheet" ? "not a spreadsheet" : "not an \(expected) workbook"
        switch kind {
        case .empty:
            return ImportError(file: path, message: "\(subject) (the file is empty)")
        case .zip:
            return ImportError(
                file: path, message: "\(subject) (it is a ZIP archive)",
                hint: "this looks like an .xlsx workbook; read it as XLSX")
        case .compoundFile:
            return ImportError(
                file: path, message: "\(subject) (it is an OLE2 compound file)",
                hint: "this looks like an old-style .xls workbook; read it as XLS")
        case .markup:
            return ImportError(
                file: path, message: "\(subject) (it is an HTML or XML text file)",
                hint: "open it in Excel or WPS and save it as .xlsx, or export the data as CSV")
        case .other:
            let detail = expected == "XLSX" ? "not a ZIP archive" : expected == "XLS" ? "no OLE2 signature" : "unknown format"
            return ImportError(file: path, message: "\(subject) (\(detail))")
        }
    }
}

// MARK: - Building rows

/// Collects cells in any order into rows; cells usually arrive row by row, so rows are only sorted
/// when a file stores them out of order.
struct SheetBuilder {
    /// Cells counted with the gaps they open; a guard against a tiny file that names a far-away cell
    /// on every row and so would make billions of empty fields.
    static let maximumCells = 50_000_000

    private let file: String
    private var rows: [SheetRow] = []
    private var current: SheetRow?
    private var cellCount = 0
    private var outOfOrder = false

    init(file: String) {
        self.file = file
    }

    /// Sets a cell; `row` is 1-based and `column` 0-based. Empty text is ignored so trailing gaps never appear.
    mutating func set(row: Int, column: Int, text: String) throws {
        guard !text.isEmpty else { return }
        if current?.number != row {
            if let finished = current {
                if finished.number > row { outOfOrder = true }
                rows.append(finished)
            }
            current = SheetRow(number: row, fields: [])
        }
        guard var building = current else { return }
        current = nil
        if column >= building.fields.count {
            let added = column + 1 - building.fields.count
            cellCount += added
            guard cellCount <= Self.maximumCells else {
                throw ImportError(
                    file: file,
                    message: "the sheet is too large to import (more than \(Self.maximumCells) cells counting gaps)")
            }
            building.fields.append(contentsOf: repeatElement("", count: added))
        }
        building.fields[column] = text
        current = building
    }

    mutating func finish() -> [SheetRow] {
        if let last = current { rows.append(last) }
        current = nil
        if !outOfOrder { return rows }
        // Stable sort, then merge rows that the file split into several pieces (later cells win).
        let sorted = rows.enumerated().sorted { lhs, rhs in
            lhs.element.number != rhs.element.number
                ? lhs.element.number < rhs.element.number : lhs.offset < rhs.offset
        }.map(\.element)
        var merged: [SheetRow] = []
        merged.reserveCapacity(sorted.count)
        for row in sorted {
            guard var last = merged.last, last.number == row.number else {
                merged.append(row)
                continue
            }
            if row.fields.count > last.fields.count {
                last.fields.append(contentsOf: repeatElement("", count: row.fields.count - last.fields.count))
            }
            for (index, value) in row.fields.enumerated() where !value.isEmpty {
                last.fields[index] = value
            }
            merged[merged.count - 1] = last
        }
        return merged
    }
}

// MARK: - Display text of values

/// Display text of cell values, shared by the XLSX and XLS readers.
enum SpreadsheetText {
    /// Integral values without ".0"; others in the shortest form that reads back to the same Double.
    static func number(_ value: Double) -> String {
        if value == 0 { return "0" }  // also turns -0 into "0"
        if value.isFinite, value.rounded(.towardZero) == value, abs(value) < 1e15 {
            return String(Int64(value))
        }
        return "\(value)"
    }

    static func boolean(_ value: Bool) -> String { value ? "TRUE" : "FALSE" }

    /// Renders a serial date as the format kind asks, but never hides data: a date format on a value that
    /// carries a time of day shows the time too, because survey exports (KoboToolbox's start/end) often put
    /// full timestamps under a date-only format. Nil when the value is no valid date, so it shows as a number.
    static func date(serial: Double, kind: SpreadsheetFormat.Kind, date1904: Bool) -> String? {
        guard serial.isFinite, serial >= 0, serial < 2_958_466 else { return nil }  // 9999-12-31 is the last
        let totalSeconds = Int64((serial * 86_400).rounded())
        let days = totalSeconds / 86_400
        let seconds = Int(totalSeconds % 86_400)
        if kind == .duration {
            return pad(Int(totalSeconds / 3_600), 2) + ":" + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2)
        }
        let time = pad(seconds / 3_600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2)
        // Day 0 of the 1900 system ("1900-01-00") is no calendar date: a value below 1 is a time of day.
        if kind == .time || (days == 0 && !date1904) {
            return days == 0 ? time : calendarDate(days: days, date1904: date1904) + " " + time
        }
        let day = calendarDate(days: days, date1904: date1904)
        return seconds == 0 && kind == .date ? day : day + " " + time
    }

    /// Serial day to yyyy-MM-dd. The 1900 system counts the nonexistent 1900-02-29 (serial 60), as Excel does.
    static func calendarDate(days: Int64, date1904: Bool) -> String {
        let sinceUnixEpoch: Int64
        if date1904 {
            sinceUnixEpoch = days - 24_107  // 1904-01-01
        } else if days == 60 {
            return "1900-02-29"
        } else if days < 60 {
            sinceUnixEpoch = days - 25_568  // serial 1 is 1900-01-01
        } else {
            sinceUnixEpoch = days - 25_569  // serial 61 is 1900-03-01
        }
        let (year, month, day) = civil(daysSinceUnixEpoch: sinceUnixEpoch)
        return pad(Int(year), 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
    }

    /// Gregorian date from a day count. Counting from 0000-03-01 in 400-year eras puts each leap day at the
    /// end of its year, so the month lengths from March on follow a fixed 153-days-per-5-months pattern.
    static func civil(daysSinceUnixEpoch: Int64) -> (year: Int64, month: Int, day: Int) {
        let shifted = daysSinceUnixEpoch + 719_468  // days from 0000-03-01 to 1970-01-01
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthFromMarch + 2) / 5 + 1)
        let month = Int(monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9)
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Text of an Excel error code as BIFF8 stores it.
    static func errorText(code: UInt8) -> String {
        switch code {
        case 0x00: return "#NULL!"
        case 0x07: return "#DIV/0!"
        case 0x0F: return "#VALUE!"
        case 0x17: return "#REF!"
        case 0x1D: return "#NAME?"
        case 0x24: return "#NUM!"
        case 0x2A: return "#N/A"
        case 0x2B: return "#GETTING_DATA"
        default: return "#ERROR!"
        }
    }
}

/// Number formats, reduced to what matters for rendering a cell as text.
enum SpreadsheetFormat {
    /// Which parts of a serial date-time a format shows.
    enum Kind: Sendable, Equatable {
        case general
        case date
        case time
        case dateTime
        /// Elapsed time such as [h]:mm:ss, where hours go past 24.
        case duration
    }

    /// Kinds of the built-in formats, which files refer to by id without spelling them out.
    /// 27–36 and 50–58 are the Chinese-locale date and time formats (yyyy"年"m"月"d"日", h"时"mm"分" …).
    static func builtInKind(id: Int) -> SpreadsheetFormat.Kind {
        switch id {
        case 14...17, 27...31, 36, 50...54, 57, 58: return .date
        case 18...21, 32...35, 45, 47, 55, 56: return .time
        case 22: return .dateTime
        case 46: return .duration
        default: return .general
        }
    }

    /// Classifies a format code by the date and time letters left after removing quoted text, escapes,
    /// fill and padding characters and [..] sections (colours, locales, conditions). Only the first section
    /// counts: it is the one used for positive numbers, and dates are positive.
    static func kind(code: String) -> SpreadsheetFormat.Kind {
        var hasDate = false
        var hasTime = false
        var hasMonthOrMinute = false
        var elapsed = false
        var iterator = code.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            switch scalar {
            case ";":
                return kind(date: hasDate, time: hasTime, monthOrMinute: hasMonthOrMinute, elapsed: elapsed)
            case "\"":
                while let inner = iterator.next(), inner != "\"" {}
            case "\\", "_", "*":
                _ = iterator.next()
            case "[":
                var inside = ""
                while let inner = iterator.next(), inner != "]" { inside.unicodeScalars.append(inner) }
                let lowered = inside.lowercased()
                if !lowered.isEmpty, lowered.allSatisfy({ "hms".contains($0) }) {
                    elapsed = true
                    hasTime = true
                }
            default:
                switch Character(scalar).lowercased() {
                case "y", "d": hasDate = true
                case "h", "s": hasTime = true
                case "m": hasMonthOrMinute = true
                default: break
                }
            }
        }
        return kind(date: hasDate, time: hasTime, monthOrMinute: hasMonthOrMinute, elapsed: elapsed)
    }

    private static func kind(date: Bool, time: Bool, monthOrMinute: Bool, elapsed: Bool) -> SpreadsheetFormat.Kind {
        if elapsed { return .duration }
        // "m" alone is a month; next to hours or seconds it is minutes.
        let isDate = date || (monthOrMinute && !time)
        switch (isDate, time) {
        case (true, true): return .dateTime
        case (true, false): return .date
        case (false, true): return .time
        case (false, false): return .general
        }
    }
}

// MARK: - Choosing a sheet

enum SheetChoice {
    /// Index of the sheet to read: the requested name (exact, else ignoring case), or when none is requested
    /// the first worksheet in workbook order, since chart sheets hold no cells.
    static func pick(names: [String], isWorksheet: [Bool], requested: String?, file: String) throws -> Int {
        guard !names.isEmpty else { throw ImportError(file: file, message: "the workbook has no sheets") }
        guard let requested else {
            return zip(names.indices, isWorksheet).first { $0.1 }?.0 ?? 0
        }
        if let exact = names.firstIndex(of: requested) { return exact }
        let lowered = requested.lowercased()
        if let loose = names.firstIndex(where: { $0.lowercased() == lowered }) { return loose }
        let list = names.map { "\"\($0)\"" }.joined(separator: ", ")
        throw ImportError(
            file: file, message: "the workbook has no sheet named \"\(requested)\"", hint: "its sheets are \(list)")
    }
}
