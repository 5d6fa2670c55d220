import Foundation

@testable import FeedbackKit

/// Tables map onto the enterprise survey, JSON onto the window evaluations, as in the samples/ folder.
nonisolated(unsafe) var tableMapping = FormMapping(form: "enterprise-service")
nonisolated(unsafe) var jsonMapping = FormMapping(form: "window-evaluation")

/// The outcome of reading a whole CSV file: its records, then the error that stopped it, if any.
struct CSVOutcome: Equatable {
    var records: [CSVRecord] = []
    var error: ImportError?
}

/// The CSV reader in every encoding and dialect.
///
/// Byte 0: the encoding (bits 0–1: detected, UTF-8, GB18030), the delimiter (bits 2–4: detected,
/// `,` `;` tab `|` space) and the size of each read (bits 5–7: 1 to 4096 bytes).
/// Byte 1: below 32, a field cap of that many bytes (so that the cap's error is reached); else none.
/// The rest is the file. Beyond not crashing, a file must read the same in tiny reads as in one.
func fuzzCSV(_ input: inout FuzzInput) {
    let choice = input.takeByte()
    let cap = input.takeByte()
    var options = CSVOptions()
    options.encoding = [nil, .utf8, .gb18030, nil][Int(choice & 3)]
    options.delimiter = [nil, 0x2C, 0x3B, 0x09, 0x7C, 0x20, nil, nil][Int(choice >> 2 & 7)]
    let capped = cap < 32
    if capped { options.maxFieldBytes = Int(cap) }
    let chunkSize = [1, 2, 3, 5, 8, 17, 64, 4096][Int(choice >> 5 & 7)]
    let url = Scratch.write(input.bytes, as: "input.csv")

    let whole = readCSV(url, options: options, chunkSize: 1 << 20)
    let pieces = readCSV(url, options: options, chunkSize: chunkSize)
    // A field cap is checked as the buffer fills, so with one the two may stop at different places.
    if !capped && whole != pieces {
        fatalError("reads of \(chunkSize) bytes differ from one read:\n\(pieces)\n\(whole)")
    }
    var previous = 0
    for record in whole.records {
        if record.line <= previous || record.fields.isEmpty {
            fatalError("record at line \(record.line) after line \(previous) with \(record.fields.count) fields")
        }
        previous = record.line
    }
    if let error = whole.error { requireClearImportError(error, file: url) }
    if let error = whole.error, let line = error.line, line < previous {
        fatalError("error at line \(line) after a record at line \(previous): \(error)")
    }

    // What the reader gives, the rejects writer must write so that it reads back the same. A record
    // of one empty field writes a blank line, which readers skip; NUL bytes mark a binary file.
    let kept = whole.records.filter { $0.fields != [""] && !$0.fields.contains { $0.utf8.contains(0) } }
    if !kept.isEmpty {
        var writer = CSVWriter(escapesFormulas: false)
        for record in kept { writer.append(record.fields) }
        let again = readCSV(
            Scratch.write(Array(writer.text.utf8), as: "again.csv"), options: CSVOptions(encoding: .utf8, delimiter: 0x2C),
            chunkSize: 1 << 20)
        if again.error != nil || again.records.map(\.fields) != kept.map(\.fields) {
            fatalError("records written by CSVWriter read back differently:\n\(kept)\n\(again)")
        }
    }

    guard let header = whole.records.first else { return }
    let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
    for record in whole.records.dropFirst() {
        tableMapping.map(
            SourceRecord(
                position: record.line, names: names, values: record.fields.map(FieldValue.text),
                raw: .cells(record.fields)))
    }
}

func readCSV(_ url: URL, options: CSVOptions, chunkSize: Int) -> CSVOutcome {
    var outcome = CSVOutcome()
    do {
        let reader = try CSVReader(url: url, options: options, chunkSize: chunkSize)
        while let record = try reader.next() { outcome.records.append(record) }
    } catch let error as ImportError {
        outcome.error = error
    } catch {
        fatalError("not an ImportError: \(type(of: error)): \(error)")
    }
    return outcome
}
