import Foundation
import Testing

@testable import FeedbackKit

/// A JSON line read where it lies (LineCells, `FlatJSONLine.readLean`) gives what reading it into
/// cells gives: the same values, the same answers on the lean path, the same remembered outcomes.
struct LineCellsTests {
    /// The values of line cells as a source that reads texts gives them.
    static func values(_ cells: LineCells) -> [FieldValue] {
        (0..<cells.fieldCount).map { cells.other($0) ?? .text(cells.display($0)) }
    }

    /// Reads `url` offering each line where it lies, which is taken; returns, by position, the
    /// names and values of each line read that way, and the positions of every line.
    static func readWhereTheyLie(_ url: URL) throws -> (offered: [Int: (names: [String], values: [FieldValue])], positions: Int) {
        var source = try JSONLinesSource(url: url, displayPath: url.lastPathComponent)
        var offered: [Int: (names: [String], values: [FieldValue])] = [:]
        var positions = 0
        while true {
            var read: (line: Int, names: [String], values: [FieldValue])?
            let item = try source.next(
                offering: { _, _ in nil },
                offeringLine: { cells, names in
                    read = (cells.line, names, values(cells))
                    return true
                })
            guard let item else { break }
            positions += 1
            if let read {
                #expect(read.line == positions)
                guard case .taken(true) = item else {
                    Issue.record("line \(positions) was taken where it lies but not returned as taken")
                    continue
                }
                offered[read.line] = (read.names, read.values)
            }
        }
        return (offered, positions)
    }

    /// Over the lines of CellPathTests: a line with the keys of the one before, in its order and
    /// written without white space, is read where it lies, with the names and values the full
    /// parser gives; every other line is left to the cells.
    @Test func linesReadWhereTheyLieGiveTheFullParsersValues() throws {
        let dir = try TemporaryDirectory()
        let (offered, positions) = try Self.readWhereTheyLie(try CellPathTests.jsonLinesFile(in: dir))
        #expect(positions == CellPathTests.jsonLines.count)
        for (position, read) in offered {
            let expected = try #require(try? JSONParser.parse(CellPathTests.jsonLines[position - 1]).flattened(), "line \(position)")
            #expect(read.names == expected.names, "line \(position)")
            #expect(read.values == expected.values, "line \(position)")
        }
        // The second line (the first's keys), the ninth (the eighth's), the eleventh (an escape,
        // an array and a null, then white space after the object), the twenty-second (keys past
        // ASCII) and the twenty-fifth (an empty key).
        #expect(offered.keys.sorted() == [2, 9, 11, 22, 25])
    }

    /// Lines with the same keys, each read where it lies after the first: escapes, long strings,
    /// lists of every kind of item (one longer than 127 bytes, whose length takes two bytes), nulls.
    @Test func escapesListsAndLongTextsReadWhereTheyLie() throws {
        let long = String(repeating: "长", count: 70)
        let lines = [
            #"{"a":"x","b":["y"],"c":1}"#,
            #"{"a":"\u00e9\n\t","b":["\"q\"","z","\/"],"c":"\\"}"#,
            #"{"a":"\#(long)","b":["\#(long)",1,true,-2.5e3,"\ud83d\ude00"],"c":false}"#,
            #"{"a":null,"b":[],"c":null}"#,
            #"{"a":"\"\"\"\"\"\"\"\"\"\"","b":["\n\n\n\n\n\n\n\n\n\n\n\n"],"c":"\u4e2d\u6587"}"#,
            #"{"a":"","b":[""],"c":0}"#,
        ]
        let dir = try TemporaryDirectory()
        let url = dir.url.appendingPathComponent("lines.jsonl")
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        let (offered, positions) = try Self.readWhereTheyLie(url)
        #expect(positions == lines.count)
        #expect(offered.keys.sorted() == Array(2...lines.count))
        for (position, read) in offered {
            let expected = try JSONParser.parse(Array(lines[position - 1].utf8)).flattened()
            #expect(read.names == expected.names, "line \(position)")
            #expect(read.values == expected.values, "line \(position)")
        }
    }

    /// A list is looked up by the key its items make (`AnswerParser.listKeyMark`): the outcome
    /// `withOutcome(listKey:)` gives is the one `withOutcome(.list(…))` gives, before it is
    /// remembered and after, and the key gives back its items.
    @Test func listKeysGiveTheOutcomesOfTheirLists() throws {
        let form = try ImportBench(exampleForm: "enterprise-service").form
        let departments = DepartmentIndex(form.departments)
        let lists: [[String]] = [
            [], ["慢作为：办理慢、不催不办"], ["材料繁琐：材料多、反复提交", "慢作为：办理慢、不催不办"], ["其他〖要跑三趟〗"], ["不存在的选项"],
            [String(repeating: "x", count: 200), ""],
        ]
        for question in form.questions {
            let byKey = AnswerParser(question: question, departments: departments)
            let byList = AnswerParser(question: question, departments: departments)
            for _ in 0..<2 {
                for items in lists {
                    var key: [UInt8] = [AnswerParser.listKeyMark]
                    for item in items {
                        BlockCodec.appendNumber(UInt64(item.utf8.count), to: &key)
                        key.append(contentsOf: item.utf8)
                    }
                    let got = key.withUnsafeBytes { key in
                        #expect(AnswerParser.items(ofListKey: key) == items)
                        return byKey.withOutcome(listKey: key) { parsed, encoding in (parsed, encoding.map { Array($0) }) }
                    }
                    let expected = byList.withOutcome(.list(items)) { parsed, encoding in (parsed, encoding.map { Array($0) }) }
                    #expect(got.0 == expected.0, "\(question.id): \(items)")
                    #expect(got.1 == expected.1, "\(question.id): \(items)")
                }
            }
        }
    }

    /// The lean path maps a line read where it lies as it maps the same line read into cells: the
    /// same records taken, with the same answers, time and key; and it is offered nearly every line.
    @Test func theLeanPathMapsLinesWhereTheyLieAsItMapsCells() throws {
        let bench = try ImportBench(exampleForm: "enterprise-service")
        let (header, rows) = try LeanPathTests.edgeRows()
        let url = bench.dir.url.appendingPathComponent("edges.jsonl")
        try LeanPathTests.jsonLines(header, rows).write(to: url, atomically: true, encoding: .utf8)
        let mapper = RecordMapper(form: bench.form, zone: .china, source: "edges.jsonl")
        let draft = LeanDraft(parsers: mapper.parsers)

        /// What the lean path makes of a record, as text.
        func mapped<Cells: LeanCells>(_ cells: Cells, _ names: [String]) -> String {
            let plan = mapper.plan(header: names)
            guard mapper.mapLean(cells, names: names, plan: plan, into: draft) else { return "not taken" }
            let key = mapper.withKey(cells, names: names, plan: plan) { String(decoding: $0, as: UTF8.self) }
            return "\(key) \(String(describing: draft.time)) \(draft.extras) \(draft.answers)"
        }
        var byLine: [Int: String] = [:]
        var source = try JSONLinesSource(url: url, displayPath: "edges.jsonl")
        while try source.next(
            offering: { _, _ in false },
            offeringLine: { cells, names in
                byLine[cells.line] = mapped(cells, names)
                return true
            }) != nil
        {}
        var byCells: [Int: String] = [:]
        source = try JSONLinesSource(url: url, displayPath: "edges.jsonl")
        while try source.next(offering: { cells, names in
            byCells[cells.line] = mapped(cells, names)
            return true
        }) != nil {}
        #expect(byCells.count == rows.count)
        #expect(byLine.count * 10 >= rows.count * 9, "\(byLine.count) of \(rows.count) lines read where they lie")
        #expect(byLine.values.contains("not taken") && byLine.values.contains { $0 != "not taken" })
        for (line, lean) in byLine.sorted(by: { $0.key < $1.key }) where lean != byCells[line] {
            Issue.record("line \(line): \(lean) where they lie, \(byCells[line] ?? "nothing") from cells")
        }
    }
}
