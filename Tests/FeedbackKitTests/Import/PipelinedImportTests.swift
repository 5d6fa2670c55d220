import Foundation
import Testing

@testable import FeedbackKit

/// The import reads and maps on one thread while the store inserts on another. These compare what
/// it stores with the plain path, one thread doing `RecordIntake.take` record by record (as fetch
/// still does), over the repository's samples, and check that a failure part-way stores nothing.
struct PipelinedImportTests {
    /// The plain path: each record mapped and inserted in turn, in one transaction.
    /// `keepingDigests`: as fetch does, keeping the report digests current (see ReportDigestTests).
    static func importPlainly(_ url: URL, into bench: ImportBench, format: String, keepingDigests: Bool = false) throws -> (
        accepted: Int, duplicates: Int, rejected: Int
    ) {
        // Named as the importer names it, which every response keeps as its source.
        let display = FormDecoder(baseDirectory: bench.dir.url).displayPath(url)
        var source: any RecordSource =
            format == "jsonl"
            ? try JSONLinesSource(url: url, displayPath: display)
            : try CSVSource(url: url, display: display, format: "csv", options: CSVOptions())
        var intake = RecordIntake(mapper: RecordMapper(form: bench.form, zone: .china, source: display))
        return try bench.store.write { writer in
            if keepingDigests { writer.keepDigests(of: bench.form) }
            let importId = try writer.beginImport(formId: bench.form.id, source: display, startedAt: "2025-01-01T00:00:00+08:00")
            var counts = (accepted: 0, duplicates: 0, rejected: 0)
            while let item = try source.next() {
                // A CSV record's cells made Strings: the plain path reads no cell by its bytes.
                guard let record = item.record else {
                    counts.rejected += 1
                    continue
                }
                switch try intake.take(record, reader: writer, writer: writer, importId: importId) {
                case .stored: counts.accepted += 1
                case .duplicate: counts.duplicates += 1
                case .rejected: counts.rejected += 1
                }
            }
            return counts
        }
    }

    @Test(arguments: [
        ("enterprise-service", "samples/enterprise-service-2025.csv", "csv"),
        ("window-evaluation", "samples/window-evaluation-2025.jsonl", "jsonl"),
    ])
    func pipelinedImportStoresWhatThePlainPathStores(form: String, file: String, format: String) throws {
        let url = Fixtures.repositoryRoot.appendingPathComponent(file)
        let fast = try ImportBench(exampleForm: form)
        let summary = try fast.run(url)
        let plain = try ImportBench(exampleForm: form)
        let counts = try Self.importPlainly(url, into: plain, format: format)

        #expect(summary.accepted == counts.accepted)
        #expect(summary.duplicates == counts.duplicates)
        #expect(summary.rejected == counts.rejected)
        #expect(summary.accepted > 1000, "the sample spans several batches")
        let stored = try fast.responses()
        let expected = try plain.responses()
        #expect(stored.count == expected.count)
        for (a, b) in zip(stored, expected) where a != b {
            Issue.record("\(a.key) differs: \(a) vs \(b)")
            break
        }
        // Importing again stores nothing twice, on both paths alike.
        let again = try fast.run(url)
        #expect(again.accepted == 0)
        #expect(again.duplicates == summary.accepted + summary.duplicates)
        #expect(try fast.count() == expected.count)
    }

    /// Batches already inserted when the reader fails are rolled back with the rest.
    @Test func aFileThatBreaksAfterManyBatchesStoresNothing() throws {
        let bench = try ImportBench()
        var text = "id,submitted_at,部门,overall\n"
        for i in 0..<3000 { text += "r\(i),2025-04-03 09:00:00,税务局,5\n" }
        text += "r-last,2025-04-03 09:00:00,\"税务局,5\n"
        #expect(throws: ImportError.self) { try bench.run("broken.csv", text) }
        #expect(try bench.count() == 0)
        // The whole file without its broken last line imports in full.
        let good = try bench.run("good.csv", String(text.dropLast("r-last,2025-04-03 09:00:00,\"税务局,5\n".count)))
        #expect(good.accepted == 3000)
        #expect(try bench.count() == 3000)
    }
}
