import Foundation
import Testing

@testable import FeedbackKit

/// The streaming JSON document reader against the plain one (parse the whole text, then find the
/// records): the same records, at every chunk size, and errors at the same places.
struct JSONDocumentSourceTests {
    /// What a source yields, in a form that compares whole.
    enum Item: Equatable {
        case record(position: Int, names: [String], values: [String], raw: String)
        case unreadable(position: Int, message: String)
    }

    static func streamed(_ text: String, records path: String? = nil, chunkSize: Int) throws -> [Item] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("feedback-json-\(UUID().uuidString).json")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var source = try JSONDocumentSource(url: url, displayPath: "doc.json", recordsPath: path, chunkSize: chunkSize)
        var items: [Item] = []
        while let item = try source.next() {
            switch item {
            case .record(let r):
                guard case .json(let raw) = r.raw else { throw WorkspaceError("a JSON record without its text") }
                items.append(.record(position: r.position, names: r.names, values: r.values.map { "\($0)" }, raw: raw))
            case .unreadable(let position, _, let message):
                items.append(.unreadable(position: position, message: message))
            case .cells:
                throw WorkspaceError("a JSON document gave a CSV record")
            }
        }
        return items
    }

    /// The reference: the whole text parsed, the records found by the same rules.
    static func parsedWhole(_ text: String, records path: String? = nil) throws -> [Item] {
        let root = try JSONParser.parse(text)
        return try JSONDocumentSource.locateRecords(root, path: path, file: "doc.json").enumerated().map { i, node in
            guard node.members != nil else {
                return .unreadable(position: i + 1, message: "record \(i + 1) is \(node.kindName), not an object")
            }
            let (names, values) = node.flattened()
            return .record(position: i + 1, names: names, values: values.map { "\($0)" }, raw: node.serialized)
        }
    }

    /// Strings whose escapes put backslashes and quotes at every distance from a chunk edge.
    static let awkward: [String] = [
        #"plain"#, #"a \"quoted\" word"#, #"ends in a backslash \\"#, #"two \\\\ and a quote \\\""#, #"\u7a0e\u52a1\u5c40 \/"#,
        #"税务局 \"窗口\" \\n"#, String(repeating: #"\\"#, count: 7) + #"\""#, "", #"{[not brackets]}"#,
    ]

    static let documents: [(name: String, text: String, path: String?)] = {
        var records: [String] = []
        for (i, text) in awkward.enumerated() {
            records.append(#"{"id": "r\#(i)", "comment": "\#(text)", "rating": \#(i % 5 + 1), "group": {"q": [1, "二", null, true]}}"#)
        }
        let array = "[" + records.joined(separator: ",\n ") + "]"
        return [
            ("array", array, nil),
            ("bom and spaces", "\u{FEFF} \n" + array + " \n", nil),
            ("kobo", #"{"count": 9, "next": null, "previous": "a \"}\" b", "results": \#(array)}"#, nil),
            ("odk", #"{"@odata.context": "x", "value": \#(array), "@odata.count": 9}"#, nil),
            ("one array of objects", #"{"meta": {"a": [1, 2]}, "answers": \#(array), "tags": ["x"]}"#, nil),
            ("path", #"{"data": {"page": 1, "items": \#(array)}, "meta": [1]}"#, "data.items"),
            ("single", records[3], nil),
            ("path to an object", #"{"result": \#(records[1])}"#, "result"),
            ("mixed elements", #"[1, "two", \#(records[0]), [3], null, {}]"#, nil),
            ("empty", "[]", nil),
        ]
    }()

    @Test(arguments: [1, 2, 3, 7, 64, 1 << 20])
    func streamingGivesTheRecordsOfAWholeParse(chunkSize: Int) throws {
        for document in Self.documents {
            let expected = try Self.parsedWhole(document.text, records: document.path)
            let actual = try Self.streamed(document.text, records: document.path, chunkSize: chunkSize)
            #expect(actual == expected, "\(document.name) in chunks of \(chunkSize)")
        }
        #expect(try Self.streamed(Self.documents[0].text, chunkSize: chunkSize).count == Self.awkward.count)
    }

    @Test(arguments: [
        (#"[{"a": 1}, {"b": 2]"#, "1: not valid JSON at column 19: expected ',' or '}' but found ']'"),
        (#"[{"a": "b}]"#, "1: not valid JSON at column 8: a string is not closed (missing '\"')"),
        ("[{\"a\": 1},\n {\"b\": 2}] x", "2: not valid JSON at column 12: unexpected text after the end of the document"),
        (#"[{"a": 1} {"b": 2}]"#, "1: not valid JSON at column 11: expected ',' or ']' after an array element but found '{' (is a comma missing before it?)"),
        (#"[{"a": 1},]"#, "1: not valid JSON at column 11: trailing comma before ']'"),
        ("[{\"a\": 1},\n {\"b\": tru}]", "2: not valid JSON at column 8: expected a value (did you mean true?)"),
        (#"{"results": [{"a": 1}], "count": 12x}"#, "1: not valid JSON at column 36: unexpected text after the end of the document"),
        (#"{"results" [{"a": 1}]}"#, "1: not valid JSON at column 12: expected ':' after the key \"results\" but found '['"),
        ("  \n ", "2: not valid JSON at column 2: the document is empty"),
        ("[" + String(repeating: "[", count: 256) + String(repeating: "]", count: 257), "1: not valid JSON at column 257: nested deeper than 256 levels"),
    ])
    func errorsNameTheLineAndColumn(text: String, expected: String) throws {
        for chunkSize in [1, 5, 1 << 20] {
            #expect(throws: ImportError(file: "doc.json", line: Int(expected.prefix { $0 != ":" })!, message: String(expected.drop { $0 != " " }.dropFirst()))) {
                _ = try Self.streamed(text, chunkSize: chunkSize)
            }
        }
    }
}
