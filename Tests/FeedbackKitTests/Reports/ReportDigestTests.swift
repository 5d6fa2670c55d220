import Foundation
import GRDB
import Testing

@testable import FeedbackKit

/// Reports read the store's digests (sums kept at import) instead of rescanning responses. These
/// compare what the digests give with the rescan, the reference, byte by byte: over the sample, over
/// random records imported in overlapping parts, after records stored by a path that keeps no
/// digests (the months go stale, reports rescan, a refresh rebuilds them) and by the record-by-record
/// path that fetch uses.
struct ReportDigestTests {
    /// The report files of a month, from the digests where current (as `feedback report` reads) or by rescanning.
    static func files(_ bench: ImportBench, month: String, scanned: Bool, english: Bool = false) throws -> [(name: String, data: Data)] {
        let settings = ScoringSettings()
        let scorer = Scorer(settings: settings)
        let layout = ScoringLayout(form: bench.form)
        return try bench.store.read { reader in
            let score =
                scanned
                ? scorer.score(
                    layout: layout, month: month, current: try scorer.scannedTallies(reader, layout: layout, month: month),
                    previous: try scorer.scannedTallies(reader, layout: layout, month: Scorer.previousMonth(month)))
                : try scorer.score(form: bench.form, month: month, reader: reader)
            let material =
                scanned
                ? try MonthlyReport.scannedMaterial(form: bench.form, month: month, reader: reader)
                : try MonthlyReport.material(form: bench.form, month: month, reader: reader)
            return MonthlyReport(month: month, settings: settings, english: english, sections: [(score, material)]).files()
        }
    }

    static func months(_ bench: ImportBench) throws -> [String] {
        try bench.store.read { try $0.months(formId: bench.form.id).map(\.month) }
    }

    static func isCurrent(_ bench: ImportBench, _ month: String) throws -> Bool {
        try bench.store.read { reader in
            try reader.digestTallies(of: ScoringLayout(form: bench.form), month: month) != nil
                && reader.digestMaterial(of: bench.form, month: month) != nil
        }
    }

    /// Every month's report (and the month after the last, whose previous month is the last) is the same both ways.
    static func expectSameReports(_ bench: ImportBench, current: Bool? = true, _ note: String) throws {
        let months = try Self.months(bench)
        #expect(!months.isEmpty)
        for month in months + ["2030-01"] {
            if let current, month != "2030-01" { #expect(try isCurrent(bench, month) == current, "\(note): \(month)") }
            for english in [false, true] {
                let digest = try files(bench, month: month, scanned: false, english: english)
                let scan = try files(bench, month: month, scanned: true, english: english)
                for (a, b) in zip(digest, scan) where a.data != b.data {
                    Issue.record(
                        "\(note): \(month) \(a.name) differs:\n\(String(decoding: a.data, as: UTF8.self).prefix(3000))\n---\n\(String(decoding: b.data, as: UTF8.self).prefix(3000))"
                    )
                }
            }
        }
    }

    static let sample = Fixtures.repositoryRoot.appendingPathComponent("samples/enterprise-service-2025.csv")

    @Test func sampleReportsFromDigestsMatchTheRescan() throws {
        let bench = try ImportBench(exampleForm: "enterprise-service")
        try bench.run(Self.sample)
        try Self.expectSameReports(bench, "after import")
        try bench.run(Self.sample)
        try Self.expectSameReports(bench, "after importing again (all duplicates)")
    }

    /// An import works out each response's digest entry on whichever thread has time: the digests
    /// are current and match the rescan when the reading thread works out every one, and when the
    /// inserting thread does.
    @Test(arguments: [0, Int.max])
    func digestsAreTheSameWhicheverThreadWorksOutTheEntries(waitingForEntriesHere: Int) throws {
        var bench = try ImportBench(exampleForm: "enterprise-service")
        bench.waitingForEntriesHere = waitingForEntriesHere
        try bench.run(Self.sample)
        try Self.expectSameReports(bench, "entries worked out with \(waitingForEntriesHere) batches waiting")
    }

    /// Comments that hold a phone number, an ID number or an e-mail address come into the digests'
    /// material masked, as the rescan masks them, whichever thread works out the entries (most
    /// comments are tagged from their bytes, with no text made; these are the ones masked), and no
    /// report file holds one whole.
    @Test(arguments: [0, Int.max])
    func commentsWithPersonalDataAreMaskedInTheDigests(waitingForEntriesHere: Int) throws {
        var bench = try ImportBench(exampleForm: "enterprise-service")
        bench.waitingForEntriesHere = waitingForEntriesHere
        let (header, random) = try Self.randomRecords(seed: 7, count: 300)
        let whole = ["13912345678", "110101199003071234", "someone@example.com", "87654321"]
        let comments = ["材料太多，请回电13912345678", "推诿，身份证110101199003071234", "联系someone@example.com，多头跑", "等了三天 0571-87654321"]
        // The comment is the nineteenth column.
        let rows = random.enumerated().map { i, row in
            var cells = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            cells[18] = comments[i % comments.count]
            return cells.joined(separator: ",")
        }
        try bench.run("personal.csv", ([header] + rows).joined(separator: "\n") + "\n")
        try Self.expectSameReports(bench, "entries worked out with \(waitingForEntriesHere) batches waiting")
        var quoted = 0
        for month in try Self.months(bench) {
            let text = try Self.files(bench, month: month, scanned: false).map { String(decoding: $0.data, as: UTF8.self) }.joined()
            for number in whole { #expect(!text.contains(number), "\(month) shows \(number)") }
            quoted += text.components(separatedBy: "139****5678").count - 1
        }
        #expect(quoted > 0)
    }

    @Test func windowSampleReportsFromDigestsMatchTheRescan() throws {
        let bench = try ImportBench(exampleForm: "window-evaluation")
        try bench.run(Fixtures.repositoryRoot.appendingPathComponent("samples/window-evaluation-2025.jsonl"))
        try Self.expectSameReports(bench, "after import")
    }

    /// Random records: each column's values drawn from the sample's rows of that column, with fresh ids.
    static func randomRecords(seed: UInt64, count: Int) throws -> (header: String, rows: [String]) {
        let text = try String(contentsOf: sample, encoding: .utf8)
        // Split by scalars: the sample's CRLF is one Character, which a split on "\n" would not see.
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n").filter { !$0.isEmpty }
        let header = lines.removeFirst()
        // Rows whose cells split plainly (the few with quoted fields are left out).
        let width = header.split(separator: ",", omittingEmptySubsequences: false).count
        let rows = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }.filter {
            $0.count == width && !$0.contains { $0.contains("\"") }
        }
        var rng = SplitMix64(seed: seed)
        var out: [String] = []
        for i in 0..<count {
            var cells = (0..<width).map { column in rows[Int(rng.next() % UInt64(rows.count))][column] }
            cells[0] = String(100_000 + Int(seed) * 10_000 + i)
            out.append(cells.joined(separator: ","))
        }
        return (header, out)
    }

    /// Seed 3 writes the material's blocks every few hundred bytes, so that each month has many
    /// blocks, written in turns with the other months' (see DigestKeeper).
    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomRecordsInOverlappingPartsMatchTheRescan(seed: UInt64) throws {
        let bench = try ImportBench(exampleForm: "enterprise-service", digestPendingBytes: seed == 3 ? 300 : DigestKeeper.pendingLimit)
        let (header, rows) = try Self.randomRecords(seed: seed, count: 900)
        // Overlapping parts: every part after the first repeats some rows of the one before.
        let parts = [rows[0..<300], rows[250..<600], rows[590..<900]]
        for (i, part) in parts.enumerated() {
            let summary = try bench.run("part-\(i).csv", ([header] + part).joined(separator: "\n") + "\n")
            #expect(summary.accepted > 0)
            try Self.expectSameReports(bench, "seed \(seed), after part \(i)")
        }
        // Records stored through a path that keeps no digests: those months go stale and reports rescan.
        let (_, more) = try Self.randomRecords(seed: seed + 100, count: 200)
        let url = try bench.dir.write("more.csv", ([header] + more).joined(separator: "\n") + "\n")
        _ = try PipelinedImportTests.importPlainly(url, into: bench, format: "csv", keepingDigests: false)
        try Self.expectSameReports(bench, current: nil, "seed \(seed), after a store without digests")
        #expect(try Self.months(bench).contains { !(try Self.isCurrent(bench, $0)) })
        // A refresh (what `feedback report` does first) rebuilds the stale months.
        try bench.store.refreshDigests(of: bench.form, months: try Self.months(bench))
        try Self.expectSameReports(bench, "seed \(seed), after a refresh")
        // The record-by-record path that fetch takes keeps them current too.
        let (_, fetched) = try Self.randomRecords(seed: seed + 200, count: 200)
        let fetchedURL = try bench.dir.write("fetched.csv", ([header] + fetched + more.prefix(20)).joined(separator: "\n") + "\n")
        _ = try PipelinedImportTests.importPlainly(fetchedURL, into: bench, format: "csv", keepingDigests: true)
        try Self.expectSameReports(bench, "seed \(seed), after the record-by-record path")
        // An import into stale months (after a store without digests) rebuilds them as it goes.
        let (_, stale) = try Self.randomRecords(seed: seed + 300, count: 100)
        let staleURL = try bench.dir.write("stale.csv", ([header] + stale).joined(separator: "\n") + "\n")
        _ = try PipelinedImportTests.importPlainly(staleURL, into: bench, format: "csv", keepingDigests: false)
        let (_, last) = try Self.randomRecords(seed: seed + 400, count: 300)
        try bench.run("last.csv", ([header] + last).joined(separator: "\n") + "\n")
        try Self.expectSameReports(bench, current: nil, "seed \(seed), after importing into stale months")
    }

    /// The material's blocks read back what was written, and a block cut short reads as damaged or
    /// as the items before the cut, never as a crash.
    @Test func materialBlocksReadBackWhatWasWritten() throws {
        let comments: [(painPoint: String, department: String, text: String)] = [
            ("slow-action", "税务局", "排队\u{0}太久，电话13812345678"), ("", "", ""), ("obstruction", "d", String(repeating: "长", count: 300)),
        ]
        let commentIds: [Int64] = [7, 7, 1 << 40]
        var block = DigestItems.Block()
        for (c, id) in zip(comments, commentIds) {
            _ = block.add(id: id) { out in
                c.text.withUTF8Bytes { DigestItems.append(comment: c.painPoint, department: c.department, text: $0, to: &out) }
            }
        }
        #expect(block.firstId == 7)
        func readComments(_ bytes: [UInt8]) throws -> [DigestItems.Comment] {
            var read: [DigestItems.Comment] = []
            try bytes.withUnsafeBytes { try DigestItems.readComments($0) { read.append($0) } }
            return read
        }
        let read = try readComments(block.bytes)
        #expect(read.map(\.id) == commentIds)
        #expect(read.map { [$0.painPoint, $0.department, $0.text] } == comments.map { [$0.painPoint, $0.department, $0.text] })

        let reviews = [
            BadReview(
                responseId: "r1", submittedAt: "2025-04-03T09:05:31+08:00", department: "税务局", service: "", channel: "窗口", level: "不满意",
                painPoints: [], comment: "", contact: "138****5678"),
            BadReview(
                responseId: "r\u{0}2", submittedAt: "", department: "", service: "s", channel: "", level: "",
                painPoints: ["中梗阻", "", "慢作为"], comment: "多头跑", contact: ""),
        ]
        let reviewIds: [Int64] = [3, 2]
        var badBlock = DigestItems.Block()
        for (r, id) in zip(reviews, reviewIds) { _ = badBlock.add(id: id) { DigestItems.append(badReview: r, to: &$0) } }
        func readReviews(_ bytes: [UInt8]) throws -> [(Int64, BadReview)] {
            var read: [(Int64, BadReview)] = []
            try bytes.withUnsafeBytes { try DigestItems.readBadReviews($0) { read.append(($0, $1)) } }
            return read
        }
        let readBack = try readReviews(badBlock.bytes)
        #expect(readBack.map(\.0) == reviewIds)
        #expect(readBack.map(\.1) == reviews)
        #expect(DigestItems.inIdOrder(readBack, id: \.0).map(\.0) == [2, 3])

        for cut in 0..<block.bytes.count {
            do {
                let prefix = try readComments(Array(block.bytes[..<cut]))
                #expect(prefix.count < comments.count && prefix.map(\.text) == comments.prefix(prefix.count).map(\.text), "cut at \(cut)")
            } catch is BlockCodec.Malformed {}
        }
        for cut in 0..<badBlock.bytes.count {
            do {
                let prefix = try readReviews(Array(badBlock.bytes[..<cut]))
                #expect(prefix.count < reviews.count && prefix.map(\.1) == Array(reviews.prefix(prefix.count)), "cut at \(cut)")
            } catch is BlockCodec.Malformed {}
        }
    }

    /// A damaged block of a month's material is not read: the report rescans the month and says the same.
    @Test func aDamagedMaterialBlockIsRescanned() throws {
        let bench = try ImportBench(exampleForm: "enterprise-service")
        try bench.run(Self.sample)
        let month = try #require(try Self.months(bench).first)
        #expect(try Self.isCurrent(bench, month))
        try DatabaseQueue(path: bench.store.path).write { db in
            // Cut every block of the month to a single byte that promises more.
            try db.execute(sql: "UPDATE digest_item_block SET data = x'80' WHERE month = ?", arguments: [month])
        }
        #expect(try !Self.isCurrent(bench, month))
        try Self.expectSameReports(bench, current: nil, "after damaging \(month)")
    }

    @Test func aChangedFormMakesTheDigestsStale() throws {
        let bench = try ImportBench(exampleForm: "enterprise-service")
        try bench.run(Self.sample)
        let month = try #require(try Self.months(bench).first)
        var changed = bench.form
        changed.painPoints[0].keywords.append("排队")
        let (before, after) = try bench.store.read { reader in
            (
                try reader.digestTallies(of: ScoringLayout(form: bench.form), month: month),
                try reader.digestTallies(of: ScoringLayout(form: changed), month: month)
            )
        }
        #expect(before != nil)
        #expect(after == nil)
    }

    @Test func tallyBytesRoundTrip() throws {
        let bench = try ImportBench(exampleForm: "enterprise-service")
        try bench.run(Self.sample)
        let layout = ScoringLayout(form: bench.form)
        let month = try #require(try Self.months(bench).first)
        let tallies = try bench.store.read { try Scorer(settings: ScoringSettings()).scannedTallies($0, layout: layout, month: month) }
        for tally in tallies.values {
            #expect(ScoreTally(encoded: tally.encoded, layout: layout) == tally)
            #expect(ScoreTally(encoded: Array(tally.encoded.dropLast(8)), layout: layout) == nil)
        }
    }

    /// The byte search that tags comments finds what Foundation's search finds.
    @Test func fastTagsMatchFoundationSearch() throws {
        let bench = try ImportBench(exampleForm: "enterprise-service")
        let layout = ScoringLayout(form: bench.form)
        let (_, rows) = try Self.randomRecords(seed: 9, count: 300)
        let keywords = bench.form.painPoints.flatMap(\.keywords)
        var texts = rows.map { $0 } + keywords + keywords.map { "前\($0)后" } + keywords.map { "e\u{301}\($0)\r\n" }
        texts += ["", "ＡＢＣ排队", "Ａ", "\u{302A}排队", "材料\u{301}繁琐"]
        // A keyword cut short, alone, before the whole keyword and overlapping it.
        texts += keywords.flatMap { k in [String(k.dropLast()), "\(k.dropLast())\(k)", "\(k.prefix(1))\(k)", "\(k)\(k.dropFirst())"] }
        // Fullwidth forms, U+3000 and white space inside, around and beside keywords.
        texts += keywords.flatMap { k in
            [
                "！\(k)，", "\u{3000}\(k)\u{3000}", " \(k)\n", "\(k.prefix(1))\u{3000}\(k.dropFirst())", "\(k.prefix(1))Ａ\(k.dropFirst())",
                "\u{00A0}\(k)",
            ]
        }
        for text in texts {
            #expect(layout.tags(text) == layout.tagsBySearch(text), "\(text)")
        }
    }
}
