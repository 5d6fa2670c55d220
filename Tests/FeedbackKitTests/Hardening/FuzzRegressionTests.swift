import Foundation
import Testing

@testable import FeedbackKit

/// Inputs that fuzzing (scripts/fuzz.sh) or the mutation tests found to break a rule, kept so that the
/// fix stays. fuzz/README.md logs where each one came from.
struct FuzzRegressionTests {
    /// CSVWriter decided on quoting by Characters, and "\r\n" is one Character, equal to neither "\r"
    /// nor "\n", as is a comma or a quote followed by a combining mark. Such a field was written bare
    /// (and such a quote was not doubled), so a comment with a Windows line break split its record in
    /// two in the rejects file and in `feedback responses --format csv`. Found by the mutation test's
    /// write-and-read-back check.
    @Test(arguments: [
        ("d\r\ne", "\"d\r\ne\""), ("x,\u{301}y", "\"x,\u{301}y\""), ("\"\u{301}", "\"\"\"\u{301}\""),
        ("\r\n", "\"\r\n\""), ("a\r\n\r\nb", "\"a\r\n\r\nb\""), ("plain", "plain"),
    ])
    func csvWriterQuotesEveryFieldThatNeedsIt(_ field: String, _ written: String) throws {
        #expect(Array(CSVWriter(escapesFormulas: false).cell(field).utf8) == Array(written.utf8))

        let dir = try TemporaryDirectory()
        var file = CSVWriter(escapesFormulas: false)
        file.append(["id", "comment"])
        file.append(["1", field])
        let url = try dir.write("rejects.csv", Array(file.text.utf8))
        let reader = try CSVReader(url: url, options: CSVOptions(encoding: .utf8, delimiter: 0x2C))
        #expect(try reader.next()?.fields == ["id", "comment"])
        #expect(try reader.next()?.fields == ["1", field])
        #expect(try reader.next() == nil)
    }

    /// QueryURL decoded with Foundation's removingPercentEncoding, which drops a leading byte-order mark,
    /// so a parameter spelled %EF%BB%BF… lost it when the URL was read: a next-page link read and
    /// written twice came out different. Found by the page fuzz target (crash-105d07ab…, the reply below).
    @Test func queryURLKeepsALeadingByteOrderMark() throws {
        let url = QueryURL("https://h.org/r?k=%EF%BB%BFv&%EF%BB%BFkey=1&bad=%zz+x&pct=%B8%AD&plus=a+b%2B")
        #expect(url.value("k") == "\u{FEFF}v")
        #expect(url.value("\u{FEFF}key") == "1")
        #expect(url.value("bad") == "%zz x", "a broken escape keeps every escape")
        #expect(url.value("pct") == "%B8%AD", "bytes that are not UTF-8 keep their escapes")
        #expect(url.value("plus") == "a b+")
        #expect(QueryURL(url.string).string == url.string)

        var source = SourceConfig(name: "fuzz", kind: .json, url: "https://example.org/api/data/?a=1&b=%20x", form: "f")
        source.paging = .nextLink(field: "links.next")
        let reply = Array(
            #"{"data": [{"_all": 5}], "links": {"next": "/api/data/?page%x3E-=&4$%x2E-=&4$%B8%AD+i/data/?page%x2E-=&4$%B8%AD+ye%x2E-=&4$%B8page%x1E-=&4$%B8%AD+ye%x2E-=&\#u{FEFF}B8%ADye%x2E-=&4$%B8%AD#ag"}}"#
                .utf8)
        let page = try source.api().page(try JSONParser.parse(reply), url: source.url, pageNumber: 1, receivedBefore: 0)
        let next = try #require(page.next)
        let once = QueryURL(next).string
        #expect(QueryURL(once).string == once)
    }
}
