import CurlHTTP
import Foundation
import Testing

@testable import FeedbackKit

/// A transport that answers from a function, and remembers what was asked.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    // @unchecked: `asked` is only touched under `lock`.
    private let lock = NSLock()
    private var asked: [HTTPRequest] = []
    private let answer: @Sendable (String) throws -> (Int, String)

    init(_ answer: @escaping @Sendable (String) throws -> (Int, String)) {
        self.answer = answer
    }

    var requests: [HTTPRequest] { lock.withLock { asked } }

    func get(_ request: HTTPRequest) throws -> HTTPResponse {
        lock.withLock { asked.append(request) }
        let (status, body) = try answer(request.url)
        guard (200..<300).contains(status) else { throw HTTPError(.status(status), url: request.url, message: "the server answered HTTP \(status)") }
        return HTTPResponse(status: status, headers: ["content-type": "application/json"], body: Array(body.utf8), url: request.url)
    }
}

/// The json kind's paging modes, against scripted replies: each mode reads every record once and stops.
struct JSONPagingTests {
    static let form = """
        {"id": "s", "version": 1, "title": "评价", "departments": [{"id": "tax", "name": "税务局"}],
         "questions": [{"id": "department", "label": "部门", "type": "single", "role": "department"},
                       {"id": "overall", "label": "总体满意度", "type": "rating", "role": "overall", "scale": 5, "required": true}]}
        """

    /// Records 1…n: {"id": "r<i>", "at": "2025-04-0…", "department": "tax", "overall": 1…5}.
    static func record(_ i: Int) -> String {
        let day = 1 + i / 1000
        return #"{"id": "r\#(i)", "at": "2025-04-\#(String(format: "%02d", day))T10:\#(String(format: "%02d", (i / 60) % 60)):\#(String(format: "%02d", i % 60))+08:00", "department": "tax", "overall": \#(1 + i % 5)}"#
    }

    static func items(_ range: Range<Int>) -> String {
        "[" + range.map(record).joined(separator: ",") + "]"
    }

    /// The workspace of one test, removed with the test's instance.
    private let folder: TemporaryDirectory

    init() throws {
        folder = try TemporaryDirectory()
    }

    /// A workspace holding the form and one source, and a fetcher that uses `transport`.
    private func fetcher(_ source: String, transport: ScriptedTransport) throws -> (Fetcher, SourceConfig) {
        try folder.write("forms/s.json", Self.form)
        try folder.write("feedback.json", #"{"sources": ["# + source + "]}")
        let workspace = try Workspace.open(folder.url)
        let store = try SQLiteStore(path: folder.file("feedback.sqlite").path)
        let fetcher = Fetcher(workspace: workspace, store: store, environment: [:], baseDirectory: folder.url) { _ in transport }
        return (fetcher, try #require(workspace.config.sources.first))
    }

    private func fetch(_ source: String, transport: ScriptedTransport) throws -> (FetchSummary, any ResponseStore) {
        let (fetcher, config) = try fetcher(source, transport: transport)
        return (fetcher.fetch(config, options: FetchOptions()), fetcher.store)
    }

    private static func query(_ url: String, _ key: String) -> String? {
        URLComponents(string: url)?.queryItems?.first { $0.name == key }?.value
    }

    @Test func pageNumbers() throws {
        let transport = ScriptedTransport { url in
            let page = Int(Self.query(url, "p") ?? "") ?? 0
            let start = (page - 1) * 10
            return (200, #"{"rows": \#(Self.items(start..<min(start + 10, 25)))}"#)
        }
        let (summary, store) = try fetch(
            #"{"name": "s", "kind": "json", "url": "https://api.example.org/r", "form": "s", "records": "rows", "paging": {"mode": "page", "param": "p"}, "pageSize": 10, "pageSizeParam": "n", "time": {"field": "at"}}"#,
            transport: transport)
        #expect(summary.error == nil)
        #expect(summary.accepted == 25 && summary.pages == 3)
        #expect(transport.requests.map { Self.query($0.url, "p") } == ["1", "2", "3"])
        #expect(transport.requests.allSatisfy { Self.query($0.url, "n") == "10" })
        #expect(try store.read { try $0.count(ResponseFilter()) } == 25)
    }

    @Test func offsets() throws {
        let transport = ScriptedTransport { url in
            let offset = Int(Self.query(url, "skip") ?? "") ?? -1
            return (200, #"{"data": \#(Self.items(offset..<min(offset + 7, 20)))}"#)
        }
        let (summary, _) = try fetch(
            #"{"name": "s", "kind": "json", "url": "https://api.example.org/r", "form": "s", "paging": {"mode": "offset", "param": "skip"}}"#,
            transport: transport)
        #expect(summary.error == nil)
        #expect(summary.accepted == 20)
        // Without a page size, an empty page is the end.
        #expect(transport.requests.map { Self.query($0.url, "skip") } == ["0", "7", "14", "20"])
    }

    @Test func cursorsAndTheirEnd() throws {
        let transport = ScriptedTransport { url in
            let after = Int(Self.query(url, "after") ?? "0") ?? 0
            let next = after + 5 < 12 ? #""\#(after + 5)""# : "null"
            return (200, #"{"items": \#(Self.items(after..<min(after + 5, 12))), "meta": {"next": \#(next)}}"#)
        }
        let (summary, _) = try fetch(
            #"{"name": "s", "kind": "json", "url": "https://api.example.org/r?x=1", "form": "s", "paging": {"mode": "cursor", "param": "after", "field": "meta.next"}}"#,
            transport: transport)
        #expect(summary.error == nil)
        #expect(summary.accepted == 12 && summary.pages == 3)
        #expect(transport.requests.map { Self.query($0.url, "after") } == [nil, "5", "10"])
        #expect(transport.requests.allSatisfy { Self.query($0.url, "x") == "1" })
    }

    @Test func aRepeatedCursorIsALoop() throws {
        let transport = ScriptedTransport { _ in (200, #"{"items": \#(Self.items(0..<3)), "next": "same"}"#) }
        let (summary, store) = try fetch(
            #"{"name": "s", "kind": "json", "url": "https://api.example.org/r", "form": "s", "paging": {"mode": "cursor", "param": "c", "field": "next"}}"#,
            transport: transport)
        #expect(summary.error?.contains("page 2: the next-page link leads back to page 2") == true, "\(summary.error ?? "")")
        #expect(summary.pages == 1)
        #expect(try store.read { try $0.count(ResponseFilter()) } == 3)
    }

    @Test func relativeNextLinksAreResolvedAgainstThePage() throws {
        let transport = ScriptedTransport { url in
            url.hasSuffix("/r") ? (200, #"{"items": \#(Self.items(0..<2)), "links": {"next": "r?page=2"}}"#) : (200, #"{"items": \#(Self.items(2..<3)), "links": {}}"#)
        }
        let (summary, _) = try fetch(
            #"{"name": "s", "kind": "json", "url": "https://api.example.org/v1/r", "form": "s", "paging": {"mode": "next-link", "field": "links.next"}}"#,
            transport: transport)
        #expect(summary.error == nil)
        #expect(transport.requests.map(\.url) == ["https://api.example.org/v1/r", "https://api.example.org/v1/r?page=2"])
        #expect(summary.accepted == 3)
    }

    @Test func aNextLinkMayNotLeaveHTTPS() throws {
        let transport = ScriptedTransport { _ in (200, #"{"items": \#(Self.items(0..<2)), "next": "http://api.example.org/r?page=2"}"#) }
        let (summary, _) = try fetch(
            #"{"name": "s", "kind": "json", "url": "https://api.example.org/r", "form": "s", "paging": {"mode": "next-link", "field": "next"}}"#,
            transport: transport)
        #expect(summary.error?.contains("leaves https for http; refused") == true, "\(summary.error ?? "")")
        #expect(transport.requests.count == 1)
    }

    @Test func theSinceParameterCarriesTheCursor() throws {
        let transport = ScriptedTransport { url in
            let since = Self.query(url, "since")
            return (200, since == nil ? #"{"items": \#(Self.items(0..<4))}"# : #"{"items": []}"#)
        }
        let source =
            #"{"name": "s", "kind": "json", "url": "https://api.example.org/r", "form": "s", "time": {"field": "at", "param": "since"}}"#
        let (fetcher, config) = try fetcher(source, transport: transport)
        #expect(fetcher.fetch(config, options: FetchOptions()).accepted == 4)
        #expect(fetcher.fetch(config, options: FetchOptions()).received == 0)
        #expect(transport.requests.map { Self.query($0.url, "since") } == [nil, "2025-04-01T10:00:03+08:00"])
    }
}

/// Query parameters set one by one, the rest of the URL kept.
struct QueryURLTests {
    @Test func replacesAndAppendsParametersAndEncodesValues() {
        var url = QueryURL("https://x.org/a/b?format=xml&keep=1&format=csv#frag")
        url.set("format", "json")
        url.set("query", #"{"_submission_time":{"$gt":"2025-04-01T00:00:00"}}"#)
        url.set("$filter", "__system/submissionDate gt 2025-04-01T00:00:00.000Z")
        #expect(
            url.string
                == "https://x.org/a/b?format=json&keep=1&query=%7B%22_submission_time%22%3A%7B%22$gt%22%3A%222025-04-01T00%3A00%3A00%22%7D%7D&$filter=__system%2FsubmissionDate%20gt%202025-04-01T00%3A00%3A00.000Z#frag"
        )
        #expect(QueryURL(url.string).value("query") == #"{"_submission_time":{"$gt":"2025-04-01T00:00:00"}}"#)
    }
}
