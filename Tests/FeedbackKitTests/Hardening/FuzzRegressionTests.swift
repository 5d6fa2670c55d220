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
}
