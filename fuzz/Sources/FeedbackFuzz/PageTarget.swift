import CurlHTTP
import Foundation

@testable import FeedbackKit

/// A reply of a remote source (`feedback fetch`). Byte 0 picks the source: KoboToolbox, ODK Central,
/// or a JSON source paging by next link, page number, offset or cursor; byte 1 how many records came
/// before. The rest is the reply. The page's next URL must survive being taken apart and put together.
func fuzzPage(_ input: inout FuzzInput) {
    let choice = input.takeByte()
    let before = Int(input.takeByte())
    let kind: SourceConfig.Kind = [.kobo, .odk, .json, .json][Int(choice & 3)]
    var source = SourceConfig(name: "fuzz", kind: kind, url: "https://example.org/api/data/?a=1&b=%20x", form: "f")
    if kind == .json {
        source.records = [nil, "data", "data.items", "$"][Int(choice >> 2 & 3)]
        source.paging =
            [
                .none, .nextLink(field: "links.next"), .page(param: "page", first: 1), .offset(param: "skip"),
                .cursor(param: "after", field: "meta.cursor"), .nextLink(field: "next"), .page(param: "p", first: 0), .none,
            ][Int(choice >> 4 & 7)]
        source.pageSize = choice & 0x80 == 0 ? nil : 2
        source.pageSizeParam = "limit"
        source.timeField = "submitted_at"
        source.sinceParam = "since"
    }
    let api = source.api()
    let root: JSONNode
    do {
        root = try JSONParser.parse(input.bytes)
    } catch {
        if error.offset < 0 || error.offset > input.bytes.count || error.message.isEmpty {
            fatalError("a syntax error at offset \(error.offset) of \(input.bytes.count) bytes: \(error.message)")
        }
        return
    }
    let url = api.firstURL(cursor: before.isMultiple(of: 2) ? nil : "2025-01-01T00:00:00Z")
    do {
        let page = try api.page(root, url: url, pageNumber: 1, receivedBefore: before)
        for record in page.records { _ = api.time(of: record) }
        if let next = page.next {
            let once = QueryURL(next).string
            if QueryURL(once).string != once { fatalError("a next URL changes when read again: \(next)") }
            _ = URLRedaction.redact(next)
        }
    } catch let error as ReplyError {
        if error.message.isEmpty { fatalError("a ReplyError without a message") }
    } catch {
        fatalError("not a ReplyError: \(type(of: error)): \(error)")
    }
}
