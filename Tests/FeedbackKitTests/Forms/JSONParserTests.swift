import Testing

@testable import FeedbackKit

struct JSONParserTests {
    @Test func keepsNumberLexemesOrderAndOffsets() throws {
        let node = try JSONParser.parse(#"{"b": 5, "a": [1.50, -2e3, true, null], "c": "\u4e2d\ud83d\ude00"}"#)
        let members = try #require(node.members)
        #expect(members.map(\.key) == ["b", "a", "c"])
        #expect(members[0].value.value == .number("5"))
        #expect(members[1].value.elements?.map(\.value) == [.number("1.50"), .number("-2e3"), .bool(true), .null])
        #expect(members[2].value.stringValue == "中😀")
        #expect(members[1].value.offset == 14)
    }

    @Test(arguments: [
        ("{\"a\": 1,}", "trailing comma before '}'"),
        ("[1 2]", "expected ',' or ']' after an array element but found '2'"),
        ("{\"a\" 1}", "expected ':' after the key \"a\" but found '1'"),
        ("\"abc", "a string is not closed (missing '\"')"),
        ("01", "a number cannot start with 0"),
        ("[tru]", "expected a value (did you mean true?)"),
        ("\"\\ud800\"", "a \\u escape holds half a surrogate pair"),
        ("{} x", "unexpected text after the end of the document"),
        ("", "the document is empty"),
    ])
    func rejectsMalformedText(text: String, message: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(text) }
        do {
            _ = try JSONParser.parse(text)
        } catch {
            #expect(error.message == message)
        }
    }

    @Test func refusesDeepNestingInsteadOfOverflowingTheStack() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        do {
            _ = try JSONParser.parse(deep)
            Issue.record("accepted 100000 levels of nesting")
        } catch {
            #expect(error.message == "nested deeper than 256 levels")
        }
    }

    @Test func positionsCountCharactersNotBytes() {
        let bytes = Array("{\n  \"标题\": x".utf8)
        let offset = bytes.firstIndex(of: UInt8(ascii: "x")) ?? 0
        #expect(TextPosition(offset: offset, in: bytes) == TextPosition(line: 2, column: 9))
    }

    @Test func pathsQuoteKeysThatAreNotIdentifiers() {
        #expect(JSONPath.root.key("questions").index(3).key("scale").description == "$.questions[3].scale")
        #expect(JSONPath.root.key("aliases").key("5分").description == #"$.aliases["5分"]"#)
    }
}
