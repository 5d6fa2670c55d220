import Foundation

/// How to read the input files of one import.
public struct ImportOptions: Sendable {
    /// csv, tsv, json, jsonl, xlsx or xls; nil: from the file's name and first bytes.
    public var format: String?
    /// The text encoding of CSV files; nil: detected.
    public var encoding: String?
    /// The sheet of a workbook; nil: the first.
    public var sheet: String?
    /// Where the records are in a JSON document, such as "results" or "data.items".
    public var recordsPath: String?
    /// Where to write rejected records; nil: `<input>.rejects.csv` beside the input.
    public var rejectsPath: String?
    /// Check and summarise, store nothing.
    public var dryRun = false

    public init() {}
}

/// What one file gave: read = accepted + duplicates + rejected.
public struct FileImportSummary: Sendable, Equatable {
    public var file: String
    public var format: String
    public var read = 0
    public var accepted = 0
    public var duplicates = 0
    public var rejected = 0
    /// Accepted records that carry no submission time, so belong to no month.
    public var withoutTime = 0
    public var rejectsFile: String?
    /// Source columns that map onto no question (kept with each response).
    public var unmatchedColumns: [String] = []
    /// Why the file could not be imported at all; nothing of it was stored.
    public var error: String?

    public init(file: String, format: String) {
        self.file = file
        self.format = format
    }

    public var json: JSONValue {
        .object([
            ("file", .string(file)), ("format", .string(format)), ("read", .int(read)), ("accepted", .int(accepted)),
            ("duplicates", .int(duplicates)), ("rejected", .int(rejected)), ("withoutTime", .int(withoutTime)),
            ("rejectsFile", .optional(rejectsFile)), ("unmatchedColumns", .array(unmatchedColumns.map(JSONValue.string))),
            ("error", .optional(error)),
        ])
    }
}

/// Imports files into a store: each file read, mapped onto the form, checked, and stored in one transaction.
public struct Importer {
    public let store: any ResponseStore
    public let form: Form
    public let zone: UTCOffset
    /// Folder that file names in messages are shown relative to.
    public var baseDirectory: URL
    /// Called now and then with the number of records read so far.
    public var progress: (@Sendable (Int) -> Void)?
    /// How many batches must wait for the inserting thread before the reading thread works out the
    /// digest entries itself (see `runPipelined`); tests set 0 (always) and `Int.max` (never).
    var waitingForEntriesHere = 8
    /// Whether records may take the lean path (see LeanRecord.swift); tests compare it with the full path.
    var leanPath = true

    public init(store: any ResponseStore, form: Form, zone: UTCOffset, baseDirectory: URL) {
        self.store = store
        self.form = form
        self.zone = zone
        self.baseDirectory = baseDirectory
    }

    /// Imports one file. A file that cannot be read at all throws and stores nothing.
    public func importFile(_ url: URL, options: ImportOptions) throws -> FileImportSummary {
        let display = FormDecoder(baseDirectory: baseDirectory).displayPath(url)
        var source = try openSource(url, display: display, options: options)
        var summary = FileImportSummary(file: display, format: source.format)

        let rejectsURL =
            options.rejectsPath.map { URL(fileURLWithPath: $0, relativeTo: baseDirectory) }
            ?? url.deletingLastPathComponent().appendingPathComponent(url.lastPathComponent + ".rejects.csv")
        var intake = RecordIntake(mapper: RecordMapper(form: form, zone: zone, source: display))
        var rejects: RejectsWriter?
        defer { rejects?.close() }
        let startedAt = Timestamp.now(zone: zone)

        /// Reads and maps every record, rejecting what is rejected, and hands each accepted response to
        /// `accept`, which returns false to stop reading. Where `offersLean`, `lean` is offered each
        /// table's record first, with its plan: it returns nil where it does not take it, else whether to go on.
        func readAll(
            lean: (CSVCells, [String], RecordMapper.Plan) throws -> Bool? = { _, _, _ in nil },
            leanLine: (LineCells, [String], RecordMapper.Plan) throws -> Bool? = { _, _, _ in nil }, offersLean: Bool = false,
            _ accept: (Response) throws -> Bool
        ) throws {
            func firstHeader(_ plan: RecordMapper.Plan, _ header: [String]) throws {
                try check(plan: plan, header: header, file: display, summary: &summary)
            }
            // The lean path is offered each record of cells where it lies (see `next(offering:)`).
            func offer(_ cells: CSVCells, _ names: [String]) throws -> Bool? {
                guard offersLean else { return nil }
                return try lean(cells, names, try intake.plan(for: names, firstHeader: firstHeader))
            }
            func offerLine(_ cells: LineCells, _ names: [String]) throws -> Bool? {
                try leanLine(cells, names, try intake.plan(for: names, firstHeader: firstHeader))
            }
            while let offered = try offersLean ? source.next(offering: offer, offeringLine: offerLine) : source.next(offering: offer) {
                summary.read += 1
                if summary.read % 4096 == 0 { progress?(summary.read) }
                let item: SourceItem
                switch offered {
                case .taken(let goOn):
                    guard goOn else { return }
                    continue
                case .item(let offered):
                    item = offered
                }
                let mapped: RecordMapper.Mapped
                switch item {
                case .unreadable(let position, let raw, let message):
                    try reject(raw: .json(raw), names: [], position: position, problems: [RecordProblem(column: "", message: message)])
                    continue
                case .record(let record):
                    mapped = try intake.map(record, firstHeader: firstHeader)
                case .cells(let cells, let names):
                    mapped = try intake.map(cells, names: names, position: cells.line, firstHeader: firstHeader)
                }
                switch mapped {
                case .rejected(let problems):
                    guard let record = item.record else { continue }
                    try reject(raw: record.raw, names: record.names, position: record.position, problems: problems)
                case .accepted(let response):
                    guard try accept(response) else { return }
                }
            }
            // A table with a header and no records: its columns are checked all the same, so that a
            // wrong form or an export of the wrong survey is not reported as "read 0".
            if summary.read == 0, let header = source.header {
                try check(plan: intake.mapper.plan(header: header), header: header, file: display, summary: &summary)
            }
        }

        /// A dry run: checks each record against the store without writing.
        func checkOnly(_ reader: any ResponseReader) throws {
            try readAll { response in
                if try intake.isNew(response, reader: reader) {
                    summary.accepted += 1
                    if response.month == nil { summary.withoutTime += 1 }
                } else {
                    summary.duplicates += 1
                }
                return true
            }
        }

        /// The stored import: this thread inserts, in the store's transaction, what another thread
        /// reads and maps (see ImportPipeline.swift).
        func runPipelined(_ writer: any ResponseWriter) throws {
            writer.keepDigests(of: form)
            let importId = try writer.beginImport(formId: form.id, source: display, startedAt: startedAt)
            // Room for 16 MiB of batches (about 130 of the bench's), with the entries worked out
            // here from 8 waiting. For speed: with less room, the reading thread waited for this one
            // through its pauses, such as its merges of identity runs (1M JSON Lines, alternated
            // runs: room for 4 batches and entries here from 2, wall median 1.76 s; room for 32,
            // 1.63 s; for 128, 5% below 32; see bench/README.md). Bounded by bytes, so that wide
            // records do not take more memory.
            let channel = BatchChannel<ResponseBatch>(capacity: 512, byteLimit: 16 << 20)
            let batchSize = 256
            let keys = intake.mapper.keys
            // The lean path, where the store takes what it encodes (see LeanRecord.swift).
            let leanWriter = leanPath ? writer as? any LeanResponseWriter : nil
            // Until `waitForReader()` returns, `source`, `intake`, `rejects` and `summary` belong to
            // the reading thread alone; this thread keeps its own counts.
            let waitForReader = runOnThread {
                do {
                    var batch = ResponseBatch(capacity: batchSize, lean: leanWriter != nil)
                    var consumerStopped = false
                    let digests = DigestEntries(form: form)
                    let scratch = ScratchBytes()
                    let lean = LeanEncoder(mapper: intake.mapper, digests: digests)
                    // A response's digest entry is worked out by whichever thread has time (for
                    // speed: a quarter of this thread's work, which left the other thread idle two
                    // fifths of the time at 1M rows). With batches waiting, the inserting thread is
                    // the slower, and this one works them out; else it leaves them to that one,
                    // which works them out for the responses it stores. Either way the entries are
                    // the same.
                    var entriesHere = waitingForEntriesHere == 0
                    /// Hands the batch on when full; false when the consumer has stopped.
                    func handOn() -> Bool {
                        guard batch.count == batchSize else { return true }
                        // The next batch's records likely take about as many bytes as this one's.
                        let bytes = batch.bytes.count + batch.bytes.count / 8
                        guard channel.put(batch, bytes: batch.memoryBytes) else {
                            consumerStopped = true
                            return false
                        }
                        entriesHere = channel.waiting >= waitingForEntriesHere
                        batch = ResponseBatch(capacity: batchSize, lean: leanWriter != nil, bytes: bytes)
                        return true
                    }
                    /// Offers a record of either kind of cells to the lean path.
                    func takeLean<Cells: LeanCells>(_ cells: Cells, _ names: [String], _ plan: RecordMapper.Plan) -> Bool? {
                        lean.take(cells, names: names, plan: plan, withDigest: entriesHere, into: &batch) ? handOn() : nil
                    }
                    // Not escaping (for speed: as an optional closure it escaped, and each record
                    // retained what it holds).
                    try readAll(lean: takeLean, leanLine: takeLean, offersLean: leanWriter != nil) { response in
                        batch.append(EncodedResponse(response, keys: keys, digests: entriesHere ? digests : nil, scratch: scratch))
                        return handOn()
                    }
                    if consumerStopped || (batch.count > 0 && !channel.put(batch, bytes: batch.memoryBytes)) { return }
                    channel.finish(nil)
                } catch {
                    channel.finish(error)
                }
            }
            var accepted = 0
            var duplicates = 0
            var withoutTime = 0
            // Bound once (for speed: read from `form` for each response, each was retained and released).
            let formId = form.id
            let source = display
            do {
                while let batch = try channel.take() {
                    var (e, l) = (0, 0)
                    // Each response is read where it lies, through pointers (for speed, as
                    // `ResponseBatch` says: an array's subscript copies).
                    try batch.bytes.withUnsafeBytes { bytes in
                        try batch.lean.withUnsafeBufferPointer { lean in
                            leanWriter?.warm(lean)
                            try batch.encoded.withUnsafeBufferPointer { encoded in
                                for kind in batch.order {
                                    let stored: Bool
                                    let timed: Bool
                                    switch kind {
                                    case .encoded:
                                        stored = try writer.insert(encoded[e], importId: importId)
                                        timed = encoded[e].month != nil
                                        e += 1
                                    case .lean:
                                        // Made only where the writer takes them (see `leanWriter`).
                                        guard let leanWriter else { throw StoreError("the store does not take lean records") }
                                        stored = try leanWriter.insert(
                                            lean.baseAddress.unsafelyUnwrapped + l,
                                            record: UnsafeRawBufferPointer(rebasing: bytes[lean[l].record]),
                                            material: UnsafeRawBufferPointer(rebasing: bytes[lean[l].material]),
                                            formId: formId, keys: keys, source: source, importId: importId)
                                        timed = lean[l].month != nil
                                        l += 1
                                    }
                                    if stored {
                                        accepted += 1
                                        if !timed { withoutTime += 1 }
                                    } else {
                                        duplicates += 1
                                    }
                                }
                            }
                        }
                    }
                    channel.giveBack(batch)
                }
            } catch {
                channel.cancel()
                waitForReader()
                throw error
            }
            waitForReader()
            summary.accepted += accepted
            summary.duplicates += duplicates
            summary.withoutTime += withoutTime
            try writer.finishImport(
                importId, read: summary.read, accepted: summary.accepted, duplicates: summary.duplicates, rejected: summary.rejected)
        }

        func reject(raw: SourceRecord.Raw, names: [String], position: Int, problems: [RecordProblem]) throws {
            summary.rejected += 1
            if rejects == nil {
                let header: [String]
                switch raw {
                case .cells: header = source.header ?? names
                case .json: header = ["_record"]
                }
                rejects = RejectsWriter(url: rejectsURL, header: header, positionName: source.positionName)
            }
            switch raw {
            case .cells(let cells): try rejects?.write(cells: cells, position: position, problems: problems)
            case .json(let text): try rejects?.write(cells: [text], position: position, problems: problems)
            }
        }

        if options.dryRun {
            try store.read { reader in try checkOnly(reader) }
        } else {
            try store.write { writer in try runPipelined(writer) }
        }
        progress?(summary.read)
        if rejects != nil {
            summary.rejectsFile = FormDecoder(baseDirectory: baseDirectory).displayPath(rejectsURL)
        } else if FileManager.default.fileExists(atPath: rejectsURL.path), rejectsURL.lastPathComponent.hasSuffix(".rejects.csv") {
            // A rejects file left by an earlier run of this input no longer describes it.
            try? FileManager.default.removeItem(at: rejectsURL)
        }
        return summary
    }

    /// Refuses a file whose columns cannot give valid records, before reading it all.
    private func check(plan: RecordMapper.Plan, header: [String], file: String, summary: inout FileImportSummary) throws {
        let mapped = plan.answeredQuestions
        if mapped.isEmpty {
            let shown = RecordMapper.listed(header)
            throw ImportError(
                file: file, line: 1, message: "none of its columns matches a question of form \(form.id) (columns: \(shown))",
                hint: "is it the right form? Map columns with \"columns\" in the form (docs/forms.md)")
        }
        for (q, question) in form.questions.enumerated() where question.required && !mapped.contains(q) {
            throw ImportError(
                file: file, line: 1, message: "no column holds the required question \(question.id) (\(question.label.zh))",
                hint: "add the export's column name to the question's \"columns\" in \(form.path)")
        }
        summary.unmatchedColumns = zip(header, plan.targets).filter {
            $0.1 == .extra && !plan.idColumns.contains(header.firstIndex(of: $0.0) ?? -1)
        }
        .map(\.0).filter { name in plan.timeColumn.map { header[$0] != name } ?? true }
    }

    private func openSource(_ url: URL, display: String, options: ImportOptions) throws -> any RecordSource & HasHeader {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ImportError(file: display, message: "no such file")
        }
        if isDirectory.boolValue { throw ImportError(file: display, message: "is a folder, not a file") }
        let format = try options.format ?? Self.detectFormat(url, display: display)
        switch format {
        case "jsonl", "ndjson":
            return try JSONLinesSource(url: url, displayPath: display)
        case "json":
            return try JSONDocumentSource(url: url, displayPath: display, recordsPath: options.recordsPath)
        default:
            return try openTabularSource(url, display: display, format: format, options: options)
        }
    }

    /// The format from the file's first bytes, then its name.
    static func detectFormat(_ url: URL, display: String) throws -> String {
        let head: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            head = try handle.read(upToCount: 4096) ?? Data()
        } catch {
            throw ImportError(file: display, message: "cannot read the file: \(FormDecoder.reason(error))")
        }
        let bytes = [UInt8](head)
        if bytes.isEmpty { throw ImportError(file: display, message: "the file is empty") }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return "xlsx" }
        if bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) { return "xls" }
        let ext = url.pathExtension.lowercased()
        switch ext {
        case "jsonl", "ndjson": return "jsonl"
        case "json":
            // Some tools write JSON Lines under a .json name: one object, a newline, another.
            let text = bytes.drop { [0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }
            if text.first == UInt8(ascii: "{"), let nl = text.firstIndex(of: 0x0A),
                text[(nl + 1)...].drop(while: { [0x20, 0x09, 0x0D, 0x0A].contains($0) }).first == UInt8(ascii: "{")
            {
                return "jsonl"
            }
            return "json"
        case "xlsx", "xlsm": return "xlsx"
        case "xls": return "xls"
        case "tsv", "tab": return "tsv"
        default: return "csv"
        }
    }
}

/// Sources whose records share one header (tables) say so, for the rejects file.
protocol HasHeader {
    var header: [String]? { get }
    /// How the source counts positions: line, row or record.
    var positionName: String { get }
}

extension JSONLinesSource: HasHeader {
    var header: [String]? { nil }
    var positionName: String { "line" }
}

extension JSONDocumentSource: HasHeader {
    var header: [String]? { nil }
    var positionName: String { "record" }
}

extension Timestamp {
    /// The current time in a zone, for import records.
    static func now(zone: UTCOffset) -> String {
        format(Date().addingTimeInterval(TimeInterval(zone.seconds)), offset: zone.seconds)
    }
}
