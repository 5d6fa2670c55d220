import FeedbackKit
import Foundation
import Testing

/// `feedback score` on a known data set, figure by figure.
///
/// Fixtures/scoring/generate.py writes the responses and computes every figure of the JSON output
/// from them with its own implementation of SCORING.md's formulas; rerun it after changing the
/// data set. The data set puts a department on each side of every publication threshold, times on
/// the month boundaries, a tie that exists only at one decimal, and a significant and a
/// non-significant change.
struct ScoreEndToEndTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/scoring", isDirectory: true)

    static let score = ["score", "--month", "2025-04", "--form", "enterprise-service"]

    /// A workspace made by `feedback init` holding the fixture's responses.
    static func workspace() throws -> Scratch {
        let scratch = try ImportCommandTests.workspace()
        try FileManager.default.copyItem(
            at: fixtures.appendingPathComponent("responses.jsonl"), to: scratch.path("responses.jsonl"))
        let result = try CLI.run(["import", "responses.jsonl", "--form", "enterprise-service"], in: scratch.url)
        guard result.status == 0, result.stderr.contains("read 601 = 601 accepted + 0 duplicates + 0 rejected") else {
            throw WorkspaceError("import failed (\(result.status)): \(result.stderr)")
        }
        return scratch
    }

    static func expected() throws -> JSONNode {
        try JSONParser.parse(Array(Data(contentsOf: fixtures.appendingPathComponent("expected.json"))))
    }

    @Test func jsonHoldsEveryFigureComputedIndependently() throws {
        let scratch = try Self.workspace()
        let result = try CLI.run(Self.score + ["--format", "json"], in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        let differences = FigureComparison.differences(expected: try Self.expected(), actual: try JSONParser.parse(result.stdout))
        #expect(differences.isEmpty, "\(differences.count) differences:\n\(differences.prefix(40).joined(separator: "\n"))")
    }

    /// The comparison itself must notice a changed count, a figure off by more than its last
    /// digit, a figure printed with other decimals, and a missing or an extra key.
    @Test func comparisonCatchesEveryKindOfDifference() throws {
        let expected = try Self.expected()
        let text = try String(contentsOf: Self.fixtures.appendingPathComponent("expected.json"), encoding: .utf8)
        #expect(FigureComparison.differences(expected: expected, actual: try JSONParser.parse(text)).isEmpty)
        let edits = [
            (#""validN": 325"#, #""validN": 326"#),
            (#""tau2": 0.120002"#, #""tau2": 0.120004"#),
            (#""grandMean": 3.7077"#, #""grandMean": 3.708"#),
            (#""priorWeightSource": "empirical-bayes","#, ""),
            (#""month": "2025-04","#, #""month": "2025-04", "extra": 1,"#),
        ]
        for (old, new) in edits {
            let edited = try #require(text.range(of: old).map { text.replacingCharacters(in: $0, with: new) })
            let differences = FigureComparison.differences(expected: expected, actual: try JSONParser.parse(edited))
            #expect(differences.count == 1, "editing \(old): \(differences)")
        }
        // Within the last digit is a match: that is rounding, not a different figure.
        let rounded = text.replacingOccurrences(of: #""tau2": 0.120002"#, with: #""tau2": 0.120003"#)
        #expect(FigureComparison.differences(expected: expected, actual: try JSONParser.parse(rounded)).isEmpty)
    }

    @Test func scoreIsRepeatableAndEveryFormatRuns() throws {
        let scratch = try Self.workspace()
        let first = try CLI.run(Self.score + ["--format", "json"], in: scratch.url)
        let second = try CLI.run(Self.score + ["--format", "json"], in: scratch.url)
        #expect(first.status == 0 && second.status == 0)
        #expect(Data(first.stdout.utf8) == Data(second.stdout.utf8))

        let csv = try CLI.run(Self.score + ["--format", "csv"], in: scratch.url)
        #expect(csv.status == 0, "\(csv.stderr)")
        // CSV rows end in CRLF, one Character in Swift, which isNewline covers.
        let rows = csv.stdout.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        // A header, the district and eight departments.
        #expect(rows.count == 10)
        let suppressed = try #require(rows.first { $0.count > 2 && $0[2] == "civil-affairs" })
        #expect(
            suppressed.filter { !$0.isEmpty }.map(String.init) == [
                "enterprise-service", "2025-04", "civil-affairs", "民政局", "9", "suppressed", "true",
            ])

        let text = try CLI.run(Self.score, in: scratch.url)
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.last == "样本不足未公布：民政局 (9)")
        #expect(lines.filter { $0.contains("民政局") }.count == 1)
        #expect(lines.contains { $0.contains("税务局") && $0.contains("74.5") })
        let english = try CLI.run(Self.score + ["--english"], in: scratch.url)
        #expect(english.stdout.split(separator: "\n").last == "Not shown (too few responses): Civil Affairs Bureau (9)")
    }
}

/// Compares a JSON document with the expected one: same keys, same array lengths, equal strings,
/// booleans, nulls and integers, and decimals printed with as many places as expected and within
/// one unit of the last place (the two implementations may round the last digit differently).
enum FigureComparison {
    static func differences(expected: JSONNode, actual: JSONNode, at path: String = "$") -> [String] {
        switch (expected.value, actual.value) {
        case (.object(let e), .object(let a)):
            let actualKeys = Set(a.map(\.key))
            let expectedKeys = Set(e.map(\.key))
            var found = e.filter { !actualKeys.contains($0.key) }.map { "\(path).\($0.key): missing" }
            found += a.filter { !expectedKeys.contains($0.key) }.map { "\(path).\($0.key): not expected" }
            for member in e {
                guard let other = a.first(where: { $0.key == member.key }) else { continue }
                found += differences(expected: member.value, actual: other.value, at: "\(path).\(member.key)")
            }
            return found
        case (.array(let e), .array(let a)):
            guard e.count == a.count else { return ["\(path): \(a.count) elements, expected \(e.count)"] }
            return zip(e, a).enumerated().flatMap { i, pair in differences(expected: pair.0, actual: pair.1, at: "\(path)[\(i)]") }
        case (.number(let e), .number(let a)):
            return numbersMatch(e, a) ? [] : ["\(path): \(a), expected \(e)"]
        default:
            return expected.value == actual.value ? [] : ["\(path): \(describe(actual)), expected \(describe(expected))"]
        }
    }

    static func numbersMatch(_ expected: String, _ actual: String) -> Bool {
        guard let dot = expected.firstIndex(of: ".") else { return expected == actual }
        let places = expected.distance(from: dot, to: expected.endIndex) - 1
        guard let a = Double(actual), let e = Double(expected), let actualDot = actual.firstIndex(of: "."),
            actual.distance(from: actualDot, to: actual.endIndex) - 1 == places
        else { return false }
        // A hair over one unit, so that a last digit off by one is never lost to binary rounding.
        return abs(a - e) <= pow(10, -Double(places)) * (1 + 1e-6)
    }

    static func describe(_ node: JSONNode) -> String {
        switch node.value {
        case .string(let s): "\"\(s)\""
        case .bool(let b): String(b)
        case .number(let n): n
        default: node.kindName
        }
    }
}
