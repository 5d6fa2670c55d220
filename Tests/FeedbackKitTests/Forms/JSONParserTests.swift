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

    /// Strings are read as UTF-8 exactly as `String(validating:as:)` reads them: cut, overlong,
    /// surrogate and out-of-range sequences are refused, with and without escapes around them.
    @Test func readsStringBytesAsTheStandardLibraryValidatesThem() throws {
        let contents: [[UInt8]] = [
            [], Array("abc".utf8), Array("中文😀".utf8), [0xC3], [0xC3, 0xA9], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80],
            [0xED, 0x9F, 0xBF], [0xEF, 0xBF, 0xBF], [0xF0, 0x8F, 0xBF, 0xBF], [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80],
            [0xF5, 0x80, 0x80, 0x80], [0xFF], [0x80], Array("abcdefgh".utf8) + [0xE4, 0xB8], Array("abcdefgh中".utf8),
        ]
        for content in contents {
            for escaped in [false, true] {
                let body = escaped ? Array("\\n".utf8) + content : content
                let document = [0x22] + body + [0x22]
                let expected = String(validating: content, as: UTF8.self).map { escaped ? "\n" + $0 : $0 }
                let parsed = try? JSONParser.parse(document).stringValue
                #expect(parsed == expected, "\(content) escaped: \(escaped)")
            }
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
