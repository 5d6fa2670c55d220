import Foundation

/// One page of a source's reply: its records, where the next page is, and the total when the server says.
struct SourcePage {
    var records: [JSONNode]
    /// The next page's URL as the reply gives it (maybe relative); nil on the last page.
    var next: String?
    var total: Int?
}

/// What differs between kinds of source: how to ask for a page, and how to read the reply.
protocol SourceAPI {
    /// The first page's URL; with a cursor, asking only for submissions after it.
    func firstURL(cursor: String?) -> String
    /// Reads a reply. `url` is the page's URL; `receivedBefore` counts the records of earlier pages.
    func page(_ root: JSONNode, url: String, pageNumber: Int, receivedBefore: Int) throws -> SourcePage
    /// A record's submission time as the server writes it.
    func time(of record: JSONNode) -> String?
    /// Whether a time written without an offset is in UTC (KoboToolbox) rather than the workspace's zone.
    var timesWithoutOffsetAreUTC: Bool { get }
}

/// Why a reply could not be read as the source's pages.
struct ReplyError: Error {
    var message: String
}

extension SourceConfig {
    /// The API for this source's kind.
    func api() -> any SourceAPI {
        switch kind {
        case .kobo: KoboAPI(source: self)
        case .odk: ODKAPI(source: self)
        case .json: GenericJSONAPI(source: self)
        }
    }
}

/// KoboToolbox API v2: `?format=json&start=&limit=`, replies `{count, next, previous, results}`;
/// incremental with `query={"_submission_time":{"$gt":…}}` and `sort={"_submission_time":1}`.
struct KoboAPI: SourceAPI {
    let source: SourceConfig
    let timesWithoutOffsetAreUTC = true

    private func url(start: Int, cursor: String?) -> String {
        var query = QueryURL(source.url)
        query.set("format", "json")
        query.set("limit", String(source.effectivePageSize ?? 1000))
        query.set("start", String(start))
        if source.serverSort { query.set("sort", #"{"_submission_time":1}"#) }
        if let cursor {
            query.set("query", #"{"_submission_time":{"$gt":"# + JSONWriter.quoted(cursor) + "}}")
        }
        return query.string
    }

    func firstURL(cursor: String?) -> String {
        url(start: 0, cursor: cursor)
    }

    func page(_ root: JSONNode, url: String, pageNumber: Int, receivedBefore: Int) throws -> SourcePage {
        guard let results = root["results"]?.elements else {
            throw ReplyError(
                message: "the reply has no \"results\" array, so it is not a KoboToolbox data reply (is the URL the asset's /data/ URL?)")
        }
        let total = root["count"].flatMap(\.intValue)
        // Paging is by offset, computed here: Kobo's own next link is followed for its presence only,
        // since behind some proxies it names http:// for an https:// server.
        let hasNext = root["next"]?.stringValue.map { !$0.isEmpty } ?? false
        let next =
            hasNext && !results.isEmpty
            ? self.url(start: receivedBefore + results.count, cursor: QueryURL(url).value("query").flatMap(Self.cursor(inQuery:)))
            : nil
        return SourcePage(records: results, next: next, total: total)
    }

    /// The cursor a first URL was made with, read back from its `query` parameter.
    static func cursor(inQuery query: String) -> String? {
        guard let node = try? JSONParser.parse(Array(query.utf8)) else { return nil }
        return node["_submission_time"]?["$gt"]?.stringValue
    }

    func time(of record: JSONNode) -> String? {
        record["_submission_time"]?.stringValue
    }
}

/// ODK Central OData: `$top`, `$count`, `$filter=__system/submissionDate gt …`, `$orderby`; replies
/// `{value, @odata.nextLink, @odata.count}`.
struct ODKAPI: SourceAPI {
    let source: SourceConfig
    let timesWithoutOffsetAreUTC = true

    func firstURL(cursor: String?) -> String {
        var query = QueryURL(source.url)
        query.set("$top", String(source.effectivePageSize ?? 1000))
        query.set("$count", "true")
        if let cursor { query.set("$filter", "__system/submissionDate gt \(cursor)") }
        if source.serverSort { query.set("$orderby", "__system/submissionDate asc") }
        return query.string
    }

    func page(_ root: JSONNode, url: String, pageNumber: Int, receivedBefore: Int) throws -> SourcePage {
        guard let value = root["value"]?.elements else {
            throw ReplyError(message: "the reply has no \"value\" array, so it is not an OData Submissions reply (is the URL the form's .svc/Submissions?)")
        }
        let next = root["@odata.nextLink"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        return SourcePage(records: value, next: value.isEmpty ? nil : next, total: root["@odata.count"].flatMap(\.intValue))
    }

    func time(of record: JSONNode) -> String? {
        record["__system"]?["submissionDate"]?.stringValue
    }
}

/// Any JSON endpoint, as its source describes it.
struct GenericJSONAPI: SourceAPI {
    let source: SourceConfig
    let timesWithoutOffsetAreUTC = false

    private func url(pageParam: (String, String)?, cursor: String?) -> String {
        var query = QueryURL(source.url)
        if let size = source.pageSize, let param = source.pageSizeParam { query.set(param, String(size)) }
        if let cursor, let param = source.sinceParam { query.set(param, cursor) }
        if let (name, value) = pageParam { query.set(name, value) }
        return query.string
    }

    func firstURL(cursor: String?) -> String {
        switch source.paging {
        case .page(let param, let first): url(pageParam: (param, String(first)), cursor: cursor)
        case .offset(let param): url(pageParam: (param, "0"), cursor: cursor)
        default: url(pageParam: nil, cursor: cursor)
        }
    }

    func page(_ root: JSONNode, url: String, pageNumber: Int, receivedBefore: Int) throws -> SourcePage {
        let records: [JSONNode]
        do {
            records = try JSONDocumentSource.locateRecords(root, path: source.records, file: "")
        } catch let error as ImportError {
            throw ReplyError(message: error.message.replacingOccurrences(of: "--records", with: "records") + (error.hint.map { " (\($0))" } ?? ""))
        }
        let query = QueryURL(url)
        let cursor = source.sinceParam.flatMap { query.value($0) }
        var next: String?
        switch source.paging {
        case .none:
            next = nil
        case .nextLink(let field):
            next = Self.node(root, path: field)?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        case .page(let param, _):
            let current = query.value(param).flatMap { Int($0) } ?? 1
            next = records.isEmpty ? nil : self.url(pageParam: (param, String(current + 1)), cursor: cursor)
        case .offset(let param):
            next = records.isEmpty ? nil : self.url(pageParam: (param, String(receivedBefore + records.count)), cursor: cursor)
        case .cursor(let param, let field):
            let value = Self.node(root, path: field).flatMap { node -> String? in
                if let s = node.stringValue { return s }
                if case .number(let n) = node.value { return n }
                return nil
            }
            next = value.flatMap { $0.isEmpty ? nil : self.url(pageParam: (param, $0), cursor: cursor) }
        }
        // A short page is the last one when the page size is known.
        if case .page = source.paging, let size = source.pageSize, records.count < size { next = nil }
        if case .offset = source.paging, let size = source.pageSize, records.count < size { next = nil }
        return SourcePage(records: records, next: next, total: nil)
    }

    func time(of record: JSONNode) -> String? {
        guard let field = source.timeField, let node = Self.node(record, path: field) else { return nil }
        if let s = node.stringValue { return s }
        return nil
    }

    /// The node at a dotted path ("links.next"); a key that itself holds a dot is tried whole first.
    static func node(_ root: JSONNode, path: String) -> JSONNode? {
        if let whole = root[path] { return whole }
        var node = root
        for key in path.split(separator: ".") {
            guard let next = node[String(key)] else { return nil }
            node = next
        }
        return node
    }
}

extension JSONNode {
    /// A whole number, from a JSON number or a string of digits.
    var intValue: Int? {
        switch value {
        case .number(let n): Int(n) ?? Double(n).flatMap { $0.rounded() == $0 && abs($0) < 1e15 ? Int($0) : nil }
        case .string(let s): Int(s)
        default: nil
        }
    }
}

/// A URL whose query parameters are set one by one, values percent-encoded.
struct QueryURL {
    private var head: String
    private var pairs: [(key: String, value: String)]
    private var fragment: String?

    init(_ url: String) {
        var rest = Substring(url)
        if let hash = rest.firstIndex(of: "#") {
            fragment = String(rest[rest.index(after: hash)...])
            rest = rest[..<hash]
        }
        if let question = rest.firstIndex(of: "?") {
            head = String(rest[..<question])
            pairs = rest[rest.index(after: question)...].split(separator: "&", omittingEmptySubsequences: true).map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = Self.decode(parts[0])
                return (key, parts.count > 1 ? Self.decode(parts[1]) : "")
            }
        } else {
            head = String(rest)
            pairs = []
        }
    }

    /// Replaces every value of `key` with this one (added at the end if there was none).
    mutating func set(_ key: String, _ value: String) {
        if let first = pairs.firstIndex(where: { $0.key == key }) {
            pairs[first].value = value
            var index = pairs.index(after: first)
            while index < pairs.endIndex {
                if pairs[index].key == key { pairs.remove(at: index) } else { index += 1 }
            }
        } else {
            pairs.append((key, value))
        }
    }

    func value(_ key: String) -> String? {
        pairs.first { $0.key == key }?.value
    }

    var string: String {
        var text = head
        if !pairs.isEmpty { text += "?" + pairs.map { Self.encode($0.key) + "=" + Self.encode($0.value) }.joined(separator: "&") }
        if let fragment { text += "#" + fragment }
        return text
    }

    /// Unreserved characters stay; "$" stays too, as OData writes `$top`; everything else is %XX.
    private static let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~$")

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// "+" is a space and %XX a byte; text with a broken escape, or whose bytes are not UTF-8, keeps its
    /// escapes. By bytes, because Foundation's removingPercentEncoding drops a leading %EF%BB%BF (a
    /// byte-order mark), so a link read and written again was not the same link.
    private static func decode(_ text: Substring) -> String {
        let utf8 = Array(text.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var escapesAreSound = true
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), index + 2 < utf8.count, let high = hexValue(utf8[index + 1]),
                let low = hexValue(utf8[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 3
                continue
            }
            if byte == UInt8(ascii: "%") { escapesAreSound = false }
            bytes.append(byte == UInt8(ascii: "+") ? 0x20 : byte)
            index += 1
        }
        let spaced = String(decoding: utf8.map { $0 == UInt8(ascii: "+") ? 0x20 : $0 }, as: UTF8.self)
        guard escapesAreSound, let decoded = String(validating: bytes, as: UTF8.self) else { return spaced }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
