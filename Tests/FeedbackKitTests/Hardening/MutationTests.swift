import Foundation
import Testing
import ZIPFoundation

@testable import FeedbackKit

// Seeded mutation tests: thousands of damaged copies of valid inputs per reader, each of which must end
// in records or in an error that names the file (and the line where it has one), never in a crash or
// a hang. The generator is seeded, so every run reads the same inputs and a failure names the input
// number that reproduces it. scripts/fuzz.sh fuzzes the same readers without bounds (fuzz/README.md).

// MARK: - Deterministic mutation

/// Damages byte strings the way files get damaged and the way parsers trip: flipped bits, bytes
/// inserted and deleted, chunks duplicated, spliced from another seed or cut off, and the bytes that
/// parsers treat specially.
struct Mutator {
    var random: SplitMix64
    /// No mutated input grows past this, so that nothing takes long.
    let maxSize: Int

    static let interesting: [[UInt8]] = [
        [0x22], [0x2C], [0x3B], [0x09], [0x0D], [0x0A], [0x0D, 0x0A], [0x00], [0xFF], [0x7B], [0x7D], [0x5B], [0x5D],
        [0x3A], [0x5C], [0x3C], [0x3E], [0x26], [0x22, 0x22], [0xEF, 0xBB, 0xBF], [0xFF, 0xFE], [0xC0, 0x80],
        [0xE4, 0xB8], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x81, 0x30, 0x81, 0x30], [0x84, 0x31, 0xA4, 0x39],
        Array("99999999999999999999999999".utf8), Array("-1e999".utf8), Array("1e308".utf8), Array("NaN".utf8),
        Array("-0".utf8), Array("\\u0000".utf8), Array("\\ud800".utf8), Array("&#0;".utf8), Array("&#x110000;".utf8),
        Array("</".utf8), Array("/>".utf8), Array("<![CDATA[".utf8), Array("]]>".utf8), Array("<!--".utf8),
        Array("_x0000_".utf8), Array("XFD1048577".utf8), Array("2958466".utf8), Array("null".utf8), Array("[]".utf8),
        Array("{}".utf8), [0xFE, 0xFF, 0xFF, 0xFF], [0xFF, 0xFF, 0xFF, 0x7F], [0x00, 0x00, 0x00, 0x80],
    ]

    init(seed: UInt64, maxSize: Int) {
        random = SplitMix64(seed: seed)
        self.maxSize = maxSize
    }

    /// One to four stacked mutations of `input`; `others` are spliced from.
    mutating func mutate(_ input: [UInt8], others: [[UInt8]] = []) -> [UInt8] {
        var bytes = input
        for _ in 0...random.below(4) { mutateOnce(&bytes, others: others) }
        if bytes.count > maxSize { bytes.removeSubrange(maxSize...) }
        return bytes
    }

    private mutating func position(in bytes: [UInt8]) -> Int { random.below(bytes.count + 1) }

    private mutating func chunk(of bytes: [UInt8]) -> ArraySlice<UInt8> {
        guard !bytes.isEmpty else { return [] }
        let start = random.below(bytes.count)
        let length = 1 + random.below(min(64, bytes.count - start))
        return bytes[start..<(start + length)]
    }

    private mutating func mutateOnce(_ bytes: inout [UInt8], others: [[UInt8]]) {
        switch random.below(12) {
        case 0 where !bytes.isEmpty:
            bytes[random.below(bytes.count)] ^= 1 << UInt8(random.below(8))
        case 1 where !bytes.isEmpty:
            bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
        case 2:
            bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position(in: bytes))
        case 3 where !bytes.isEmpty:
            let start = random.below(bytes.count)
            bytes.removeSubrange(start..<min(bytes.count, start + 1 + random.below(16)))
        case 4:
            bytes.insert(contentsOf: Self.interesting[random.below(Self.interesting.count)], at: position(in: bytes))
        case 5 where !bytes.isEmpty:
            let token = Self.interesting[random.below(Self.interesting.count)]
            let start = random.below(bytes.count)
            bytes.replaceSubrange(start..<min(bytes.count, start + token.count), with: token)
        case 6:
            let piece = chunk(of: bytes)
            bytes.insert(contentsOf: piece, at: position(in: bytes))
        case 7 where !others.isEmpty:
            let piece = chunk(of: others[random.below(others.count)])
            bytes.insert(contentsOf: piece, at: position(in: bytes))
        case 8 where !bytes.isEmpty:
            bytes.removeSubrange(random.below(bytes.count)...)
        case 9:
            // A token repeated: deep nesting, long runs of quotes or delimiters.
            let token = Self.interesting[random.below(Self.interesting.count)]
            let run = [[UInt8]](repeating: token, count: 1 + random.below(300)).flatMap { $0 }
            bytes.insert(contentsOf: run.prefix(maxSize / 2), at: position(in: bytes))
        case 10 where bytes.count > 2:
            // Two chunks trade places.
            let a = random.below(bytes.count - 1)
            let b = a + 1 + random.below(bytes.count - a - 1)
            bytes.swapAt(a, b)
        default:
            // A digit replaced by a huge or negative number.
            guard let start = bytes.indices.first(where: { bytes[$0] >= 0x30 && bytes[$0] <= 0x39 && random.chance(20) }) else {
                bytes.append(contentsOf: Self.interesting[random.below(Self.interesting.count)])
                return
            }
            bytes.replaceSubrange(
                start..<(start + 1),
                with: Array(["18446744073709551616", "-9223372036854775809", "1e400", "4294967296"][random.below(4)].utf8))
        }
    }
}

// MARK: - Outcomes

/// How the inputs of one test ended, and the inputs whose outcome broke a rule.
struct MutationTally {
    var inputs = 0
    var withRecords = 0
    var withErrors = 0
    var records = 0
    var problems: [String] = []

    mutating func fail(_ input: Int, _ message: String) {
        if problems.count < 10 { problems.append("input \(input): \(message)") }
    }

    /// An error must be an ImportError that names the file, says what is wrong, and has no line below 1.
    mutating func check(_ error: Error, input: Int, file name: String) {
        withErrors += 1
        guard let error = error as? ImportError else {
            fail(input, "not an ImportError: \(type(of: error)): \(error)")
            return
        }
        if !error.file.hasSuffix(name) || error.message.isEmpty || (error.line ?? 1) < 1 {
            fail(input, "an unclear error: \(error.localizedDescription)")
        }
    }

    /// Checks made after every test: every rule held, and the inputs reached both outcomes.
    func expectSound(_ inputs: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(self.inputs == inputs, sourceLocation: sourceLocation)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))", sourceLocation: sourceLocation)
        #expect(withRecords > 0, "no mutated input was read", sourceLocation: sourceLocation)
        #expect(withErrors > 0, "no mutated input was refused", sourceLocation: sourceLocation)
    }
}

// MARK: - Seeds

/// Valid inputs of every dialect, written here so that the test depends on no shared files.
enum MutationSeeds {
    static let csvText = [
        "序号,提交答卷时间,1、您办理业务的部门,4、总体满意度,14、意见和建议\n1,2025/2/1 8:25:46,税务局,非常满意,很好\n2,2025/2/2 9:00:00,市场监管局,满意,\n",
        "\u{FEFF}部门;总体满意度;提交时间\r\n税务局;5;2025-02-01T10:00:00+08:00\r\n\"市场;监管局\";\"4\";\r\n",
        "部门\t总体满意度\t意见\n税务局\t满意\t\"第一行\n第二行\"\n\t\t\n教育局\t3\t\"说\"\"好\"\"\"\n",
        "a,\"b\"\"c\",\"d\r\ne\"\r\n1,2,3\r\n4,5\r\n6,7,8,9\r\n\r\n\"x\"y,z,\n",
        "name,comment\nx,\"unterminated\ny,\n",
    ].map { Array($0.utf8) }

    /// The same records in GB18030, as Chinese Excel and WPS save them.
    static let csvGB18030: [UInt8] = [
        0xB2, 0xBF, 0xC3, 0xC5, 0x2C, 0xD7, 0xDC, 0xCC, 0xE5, 0xC2, 0xFA, 0xD2, 0xE2, 0xB6, 0xC8, 0x2C, 0xCC, 0xE1,
        0xBD, 0xBB, 0xCA, 0xB1, 0xBC, 0xE4, 0x2C, 0xD2, 0xE2, 0xBC, 0xFB, 0x0D, 0x0A, 0xCB, 0xB0, 0xCE, 0xF1, 0xBE,
        0xD6, 0x2C, 0xC2, 0xFA, 0xD2, 0xE2, 0x2C, 0x32, 0x30, 0x32, 0x35, 0x2F, 0x32, 0x2F, 0x31, 0x20, 0x38, 0x3A,
        0x32, 0x35, 0x3A, 0x34, 0x36, 0x2C, 0x22, 0xBA, 0xDC, 0xBA, 0xC3, 0xA3, 0xAC, 0x22, 0x22, 0xB5, 0xE3, 0xD4,
        0xDE, 0x22, 0x22, 0x22, 0x0D, 0x0A, 0xCA, 0xD0, 0xB3, 0xA1, 0xBC, 0xE0, 0xB9, 0xDC, 0xBE, 0xD6, 0x3B, 0xB7,
        0xC7, 0xB3, 0xA3, 0xC2, 0xFA, 0xD2, 0xE2, 0x2C, 0x32, 0x30, 0x32, 0x35, 0x2D, 0x30, 0x32, 0x2D, 0x30, 0x32,
        0x2C, 0xA2, 0xE3, 0x95, 0x32, 0x82, 0x36, 0x0D, 0x0A,
    ]

    static let jsonLines = Array(
        """
        {"evaluation_id": "HCP1", "evaluated_at": "2025-02-01T21:48:51+08:00", "department": "医疗保障局", "rating": 5, "bad_reasons": [], "comment": ""}
        {"evaluation_id": "HCP2", "evaluated_at": "2025-02-02 09:08:18", "department": "税务局", "service_item": "社保费缴纳", "rating": "4", "bad_reasons": ["态度差", "多次跑"]}
        {"evaluation_id": "HCP3", "evaluated_at": "2025/2/3", "department": "不动产登记中心", "rating": 1.5e0, "comment": "\\u5f88\\u597d\\n\\"ok\\"", "extra": {"a": {"b": null}}}

        """.utf8)

    static let jsonDocuments = [
        "[" + String(decoding: jsonLines, as: UTF8.self).split(separator: "\n").joined(separator: ",\n") + "]",
        #"{"count": 2, "next": null, "results": [{"department": "税务局", "rating": 5, "evaluated_at": "2025-02-01"}, {"rating": true}]}"#,
        #"{"data": {"items": [{"department": "教育局", "rating": -0.5e-3, "tags": [1, "a", false, null]}]}}"#,
        #"{"department": "税务局", "matrix": {"speed": 5, "attitude": "满意"}, "evaluated_at": "2025-02-01T08:00:00Z"}"#,
    ].map { Array($0.utf8) }

    static func repositoryFile(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Fixtures.repositoryRoot.appendingPathComponent(path)))
    }
}

// MARK: - Tests

struct MutationTests {
    @Test func mutationsDependOnlyOnTheSeed() {
        var first = Mutator(seed: 42, maxSize: 4096)
        var second = Mutator(seed: 42, maxSize: 4096)
        let seed = MutationSeeds.csvText[0]
        let a = (0..<50).map { _ in first.mutate(seed, others: MutationSeeds.jsonDocuments) }
        let b = (0..<50).map { _ in second.mutate(seed, others: MutationSeeds.jsonDocuments) }
        #expect(a == b)
        #expect(Set(a).count > 40, "mutations repeat")
        #expect(a.allSatisfy { $0.count <= 4096 })
    }

    /// Every encoding (detected, UTF-8, GB18030) and delimiter (detected, comma, semicolon, tab), read in
    /// one go and in small reads that cut every token: both reads must give the same records or error.
    @Test func csvReaderEndsInRecordsOrAClearError() throws {
        let dir = try TemporaryDirectory()
        let seeds = MutationSeeds.csvText + [MutationSeeds.csvGB18030]
        var mutator = Mutator(seed: 0xC5F, maxSize: 8 << 10)
        var tally = MutationTally()
        let count = 3_000
        for input in 0..<count {
            let bytes = mutator.mutate(seeds[input % seeds.count], others: seeds)
            let url = try dir.write("m.csv", bytes)
            var options = CSVOptions()
            options.encoding = [nil, .utf8, .gb18030][input / seeds.count % 3]
            options.delimiter = [nil, 0x2C, 0x3B, 0x09][input / (seeds.count * 3) % 4]
            let chunkSize = [1, 2, 3, 7, 64][input % 5]
            tally.inputs += 1
            let whole = readAllCSV(url, options: options, chunkSize: 1 << 20)
            let pieces = readAllCSV(url, options: options, chunkSize: chunkSize)
            if whole.records != pieces.records || "\(String(describing: whole.error))" != "\(String(describing: pieces.error))" {
                tally.fail(input, "reads of \(chunkSize) bytes differ from one read")
            }
            if !whole.records.isEmpty { tally.withRecords += 1 }
            tally.records += whole.records.count
            if zip(whole.records, whole.records.dropFirst()).contains(where: { $0.line >= $1.line }) {
                tally.fail(input, "record lines do not increase")
            }
            if let error = whole.error { tally.check(error, input: input, file: "m.csv") }
            // Records written as the rejects file writes them read back the same (a lone empty field
            // makes a blank line, which is skipped).
            let kept = whole.records.map(\.fields).filter { $0 != [""] }
            if !kept.isEmpty {
                var writer = CSVWriter(escapesFormulas: false)
                for fields in kept { writer.append(fields) }
                let again = readAllCSV(
                    try dir.write("again.csv", Array(writer.text.utf8)), options: CSVOptions(encoding: .utf8, delimiter: 0x2C),
                    chunkSize: 1 << 20)
                if again.error != nil || again.records.map(\.fields) != kept {
                    tally.fail(input, "records written by CSVWriter read back differently")
                }
            }
        }
        tally.expectSound(count)
    }

    private func readAllCSV(_ url: URL, options: CSVOptions, chunkSize: Int) -> (records: [CSVRecord], error: Error?) {
        var records: [CSVRecord] = []
        do {
            let reader = try CSVReader(url: url, options: options, chunkSize: chunkSize)
            while let record = try reader.next() { records.append(record) }
            return (records, nil)
        } catch {
            return (records, error)
        }
    }

    @Test func jsonDocumentReaderEndsInRecordsOrAClearError() throws {
        let dir = try TemporaryDirectory()
        let seeds = MutationSeeds.jsonDocuments
        var mutator = Mutator(seed: 0x7501, maxSize: 8 << 10)
        var tally = MutationTally()
        let count = 3_000
        for input in 0..<count {
            let url = try dir.write("m.json", mutator.mutate(seeds[input % seeds.count], others: seeds))
            tally.inputs += 1
            do {
                var source = try JSONDocumentSource(
                    url: url, displayPath: "m.json", recordsPath: [nil, "results", "data.items", "$"][input / seeds.count % 4])
                tally.withRecords += 1
                // A JSON document is read as a stream, so a syntax error after the records before it
                // ends the reading (the import's transaction then stores nothing).
                drain(&source, input: input, tally: &tally, mayStopWithErrorIn: "m.json")
            } catch {
                tally.check(error, input: input, file: "m.json")
            }
        }
        tally.expectSound(count)
    }

    @Test func jsonLinesReaderEndsInRecordsOrAClearReason() throws {
        let dir = try TemporaryDirectory()
        var mutator = Mutator(seed: 0x751, maxSize: 8 << 10)
        var tally = MutationTally()
        var unreadable = 0
        let count = 3_000
        for input in 0..<count {
            let url = try dir.write("m.jsonl", mutator.mutate(MutationSeeds.jsonLines, others: MutationSeeds.jsonDocuments))
            tally.inputs += 1
            do {
                var source = try JSONLinesSource(url: url, displayPath: "m.jsonl")
                tally.withRecords += 1
                unreadable += drain(&source, input: input, tally: &tally)
            } catch {
                tally.check(error, input: input, file: "m.jsonl")
            }
        }
        // A bad line is rejected with its reason rather than stopping the file, so here the errors to
        // count are the unreadable lines.
        tally.withErrors += unreadable
        tally.expectSound(count)
    }

    /// Reads every item of a source; returns how many were unreadable, each of which must say why.
    @discardableResult
    private func drain(
        _ source: inout some RecordSource, input: Int, tally: inout MutationTally, mayStopWithErrorIn file: String? = nil
    ) -> Int {
        var unreadable = 0
        var previous = 0
        do {
            while let item = try source.next() {
                switch item {
                case .record, .cells:
                    guard let record = item.record else { continue }
                    // A line read straight into cells gives what the full parser gives for it.
                    if case .cells(let cells, let names) = item, let line = cells.json {
                        let whole = try? JSONParser.parse(line).flattened()
                        if whole?.names != names || whole?.values != record.values {
                            tally.fail(input, "line \(record.position) read into cells differs from its full parse")
                        }
                    }
                    tally.records += 1
                    if record.position <= previous { tally.fail(input, "record \(record.position) after \(previous)") }
                    previous = record.position
                    // The JSON kept for the rejects file parses again, and is stable once written compactly.
                    if case .json(let text) = record.raw {
                        let once = try? JSONParser.parse(Array(text.utf8)).serialized
                        if once == nil || once != (try? JSONParser.parse(Array((once ?? "").utf8)).serialized) {
                            tally.fail(input, "the raw JSON of record \(record.position) does not read back: \(text)")
                        }
                    }
                case .unreadable(let position, _, let message):
                    unreadable += 1
                    if position <= previous || message.isEmpty { tally.fail(input, "unreadable \(position) without a reason") }
                    previous = position
                }
            }
        } catch {
            if let file {
                tally.check(error, input: input, file: file)
            } else {
                tally.fail(input, "an opened source threw: \(error)")
            }
        }
        return unreadable
    }

    /// Most inputs damage one XML part of a valid workbook and pack it into a sound ZIP, so that the
    /// damage reaches the XML; the rest damage the ZIP's own bytes.
    @Test func xlsxReaderEndsInRowsOrAClearError() throws {
        let dir = try TemporaryDirectory()
        let parts = MutationWorkbook.parts
        let texts = parts.map { Array($0.text.utf8) }
        let valid = try MutationWorkbook.zip(parts.map { ($0.path, Array($0.text.utf8)) }, deflate: true)
        var mutator = Mutator(seed: 0x715, maxSize: 16 << 10)
        var tally = MutationTally()
        let count = 1_500
        for input in 0..<count {
            let bytes: [UInt8]
            if input % 5 == 4 {
                bytes = mutator.mutate(valid)
            } else {
                // The sheet and the shared strings are damaged most often: they hold the cells.
                let target = [0, 0, 0, 1, 1, 2, 3, 4, 5, 6][input % 10]
                var damaged = parts.map { ($0.path, Array($0.text.utf8)) }
                damaged[target].1 = mutator.mutate(texts[target], others: texts)
                bytes = try MutationWorkbook.zip(damaged, deflate: input % 2 == 0)
            }
            let url = try dir.write("m.xlsx", bytes)
            tally.inputs += 1
            readSheet(url, input: input, tally: &tally)
        }
        tally.expectSound(count)
    }

    /// Most inputs damage the BIFF records of the workbook stream and wrap them in a sound compound
    /// file; the rest damage the compound file's sectors.
    @Test func xlsReaderEndsInRowsOrAClearError() throws {
        let dir = try TemporaryDirectory()
        let streams = [syntheticWorkbookStream(), syntheticWorkbookStream(SyntheticOptions(date1904: true))]
        let valid = CompoundFileWriter.build(streams: [("Workbook", streams[0])]).bytes
        var mutator = Mutator(seed: 0x715_0, maxSize: 16 << 10)
        var tally = MutationTally()
        let count = 1_500
        for input in 0..<count {
            let bytes: [UInt8]
            if input % 4 == 3 {
                bytes = mutator.mutate(valid)
            } else {
                let stream = mutator.mutate(streams[input % 2], others: streams)
                bytes = CompoundFileWriter.build(streams: [("Workbook", stream)], sectorShift: input % 8 == 0 ? 12 : 9).bytes
            }
            let url = try dir.write("m.xls", bytes)
            tally.inputs += 1
            readSheet(url, input: input, tally: &tally)
        }
        tally.expectSound(count)
    }

    private func readSheet(_ url: URL, input: Int, tally: inout MutationTally) {
        do {
            let table = try SpreadsheetReader.read(url: url)
            tally.withRecords += 1
            tally.records += table.rows.count
            if zip(table.rows, table.rows.dropFirst()).contains(where: { $0.number >= $1.number }) {
                tally.fail(input, "row numbers do not increase")
            }
            if table.rows.contains(where: { $0.number < 1 }) { tally.fail(input, "a row numbered below 1") }
        } catch {
            tally.check(error, input: input, file: url.lastPathComponent)
        }
    }

    /// Forms are read strictly: a damaged form gives every problem, each with the file and a JSON path
    /// or line and column.
    @Test func formDecoderEndsInAFormOrClearDiagnostics() throws {
        let dir = try TemporaryDirectory()
        try dir.write("departments.json", try MutationSeeds.repositoryFile("departments.json"))
        let seeds = [
            try MutationSeeds.repositoryFile("forms/enterprise-service.json"),
            try MutationSeeds.repositoryFile("forms/window-evaluation.json"),
            [UInt8](try Data(contentsOf: Fixtures.url("valid-mini.json"))),
        ]
        var mutator = Mutator(seed: 0xF0, maxSize: 64 << 10)
        var tally = MutationTally()
        let count = 1_500
        for input in 0..<count {
            let url = try dir.write("forms/m.json", mutator.mutate(seeds[input % seeds.count], others: seeds))
            tally.inputs += 1
            switch FormDecoder(baseDirectory: dir.url).load(url) {
            case .success(let form):
                tally.withRecords += 1
                if form.questions.isEmpty { tally.fail(input, "a form without questions was accepted") }
            case .failure(let error):
                tally.withErrors += 1
                if error.diagnostics.isEmpty { tally.fail(input, "no diagnostics") }
                for diagnostic in error.diagnostics
                where diagnostic.file.isEmpty || diagnostic.location.isEmpty || diagnostic.message.isEmpty {
                    tally.fail(input, "an unclear diagnostic: \(diagnostic)")
                }
            }
        }
        tally.expectSound(count)
    }

    /// A dry-run import of damaged files, through the whole path from reader to form: each file is
    /// refused with a clear error, or every record it holds is accounted for.
    @Test func importAccountsForEveryRecordOfDamagedFiles() throws {
        let tables = try ImportBench(exampleForm: "enterprise-service")
        let evaluations = try ImportBench(exampleForm: "window-evaluation")
        let sample = try MutationSeeds.repositoryFile("samples/enterprise-service-2025.csv").prefix(3_000)
        let csvSeed = Array(sample[...(sample.lastIndex(of: 0x0A) ?? sample.startIndex)])
        var mutator = Mutator(seed: 0x1A, maxSize: 8 << 10)
        var tally = MutationTally()
        var accepted = 0
        var rejected = 0
        var options = ImportOptions()
        options.dryRun = true
        let count = 600
        for input in 0..<count {
            let (bench, name, seed) =
                input % 2 == 0 ? (tables, "m.csv", csvSeed) : (evaluations, "m.jsonl", MutationSeeds.jsonLines)
            let url = try bench.dir.write(name, mutator.mutate(seed))
            tally.inputs += 1
            do {
                let summary = try bench.importer().importFile(url, options: options)
                tally.withRecords += 1
                tally.records += summary.read
                accepted += summary.accepted
                rejected += summary.rejected
                if summary.read != summary.accepted + summary.duplicates + summary.rejected {
                    tally.fail(input, "read \(summary.read) ≠ \(summary.accepted) + \(summary.duplicates) + \(summary.rejected)")
                }
            } catch {
                tally.check(error, input: input, file: name)
            }
        }
        tally.expectSound(count)
        #expect(accepted > 0 && rejected > 0)
    }
}

/// The XLS seeds of the fuzz target (fuzz/seeds/xls) come from the same writer as the XLS tests:
/// `FEEDBACK_WRITE_FUZZ_SEEDS=fuzz/seeds/xls swift test --filter writesXLSFuzzSeeds`.
@Test(.enabled(if: ProcessInfo.processInfo.environment["FEEDBACK_WRITE_FUZZ_SEEDS"] != nil))
func writesXLSFuzzSeeds() throws {
    let folder = URL(fileURLWithPath: ProcessInfo.processInfo.environment["FEEDBACK_WRITE_FUZZ_SEEDS"] ?? ".")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let seeds: [(String, [UInt8])] = [
        ("mini-stream.xls", CompoundFileWriter.build(streams: [("Workbook", syntheticWorkbookStream())]).bytes),
        (
            "date1904-4k-sectors.xls",
            CompoundFileWriter.build(
                streams: [("Workbook", syntheticWorkbookStream(SyntheticOptions(date1904: true)))], sectorShift: 12
            ).bytes
        ),
        (
            "summary-and-short-string.xls",
            CompoundFileWriter.build(streams: [
                ("\u{5}SummaryInformation", [UInt8](repeating: 7, count: 200)),
                ("Workbook", syntheticWorkbookStream(SyntheticOptions(shortLastString: true))),
            ]).bytes
        ),
        (
            "large-stream.xls",
            CompoundFileWriter.build(streams: [
                ("Workbook", syntheticWorkbookStream() + [UInt8](repeating: 0, count: 5_000))
            ]).bytes
        ),
    ]
    // The target's first byte picks the sheet: 0 the first worksheet, 1 "Sheet1".
    for (name, bytes) in seeds {
        try Data([0] + bytes).write(to: folder.appendingPathComponent(name))
    }
}

// MARK: - A workbook to damage

enum MutationWorkbook {
    static let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    static let relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

    static let parts: [(path: String, text: String)] = [
        (
            "xl/worksheets/sheet1.xml",
            """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <worksheet xmlns="\(main)"><sheetData>
            <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>提交时间</t></is></c></row>
            <row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>5</v></c><c r="C2" s="1"><v>45292.5</v></c><c r="D2" t="b"><v>1</v></c></row>
            <row r="3"><c r="A3" t="str"><v>_x000D_x</v></c><c r="C3" s="2"><v>1.25</v></c><c r="E3" t="d"><v>2024-03-01T10:00:00</v></c></row>
            </sheetData></worksheet>
            """
        ),
        (
            "xl/sharedStrings.xml",
            """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <sst xmlns="\(main)" count="3" uniqueCount="3"><si><t>部门</t></si><si><t>总体满意度</t></si>\
            <si><r><t>税务</t></r><r><t xml:space="preserve">局 </t></r><rPh><t>ぜい</t></rPh></si></sst>
            """
        ),
        (
            "xl/styles.xml",
            """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <styleSheet xmlns="\(main)"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/>\
            <numFmt numFmtId="165" formatCode="[h]:mm:ss"/></numFmts>\
            <cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="165"/></cellXfs></styleSheet>
            """
        ),
        (
            "xl/workbook.xml",
            """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <workbook xmlns="\(main)" xmlns:r="\(relationships)"><workbookPr date1904="false"/>\
            <sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>
            """
        ),
        (
            "xl/_rels/workbook.xml.rels",
            """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            <Relationship Id="rId1" Type="\(relationships)/worksheet" Target="worksheets/sheet1.xml"/>\
            <Relationship Id="rId2" Type="\(relationships)/sharedStrings" Target="sharedStrings.xml"/>\
            <Relationship Id="rId3" Type="\(relationships)/styles" Target="styles.xml"/></Relationships>
            """
        ),
        (
            "[Content_Types].xml",
            """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
            <Default Extension="xml" ContentType="application/xml"/></Types>
            """
        ),
        (
            "_rels/.rels",
            """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            <Relationship Id="rId1" Type="\(relationships)/officeDocument" Target="xl/workbook.xml"/></Relationships>
            """
        ),
    ]

    /// A ZIP archive of the parts, built in memory.
    static func zip(_ parts: [(String, [UInt8])], deflate: Bool) throws -> [UInt8] {
        let archive = try Archive(accessMode: .create)
        for (path, bytes) in parts {
            let data = Data(bytes)
            try archive.addEntry(
                with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: deflate ? .deflate : .none,
                provider: { position, size in data.subdata(in: Int(position)..<(Int(position) + size)) })
        }
        return [UInt8](archive.data ?? Data())
    }
}
