import CurlHTTP
import Foundation

/// How to fetch.
public struct FetchOptions: Sendable {
    /// Ask for everything, not only what is newer than the cursor (what is stored already is skipped).
    public var full = false
    /// Fetch and check, store nothing and leave the cursor where it is.
    public var dryRun = false

    public init() {}
}

/// What one source gave: received = accepted + duplicates + rejected.
public struct FetchSummary: Sendable, Equatable {
    public var source: String
    public var form: String
    /// The first page's URL, redacted.
    public var url: String
    /// Pages stored (checked, in a dry run).
    public var pages = 0
    public var received = 0
    public var accepted = 0
    public var duplicates = 0
    public var rejected = 0
    /// Accepted records that carry no submission time, so belong to no month.
    public var withoutTime = 0
    /// The number of submissions the server said it would send, when it said.
    public var total: Int?
    public var cursorBefore: String?
    public var cursorAfter: String?
    public var rejectsFile: String?
    /// What stopped the fetch; what was stored before it stays stored.
    public var error: String?

    public init(source: String, form: String, url: String) {
        self.source = source
        self.form = form
        self.url = url
    }

    public var json: JSONValue {
        .object([
            ("source", .string(source)), ("form", .string(form)), ("url", .string(url)), ("pages", .int(pages)),
            ("received", .int(received)), ("accepted", .int(accepted)), ("duplicates", .int(duplicates)), ("rejected", .int(rejected)),
            ("withoutTime", .int(withoutTime)), ("total", total.map(JSONValue.int) ?? .null), ("cursorBefore", .optional(cursorBefore)),
            ("cursorAfter", .optional(cursorAfter)), ("rejectsFile", .optional(rejectsFile)), ("error", .optional(error)),
        ])
    }
}

/// Where a fetch has got to, for progress on a terminal.
public struct FetchProgress: Sendable {
    public var source: String
    public var page: Int
    public var received: Int
    public var total: Int?
}

/// What one request to a source found: `feedback sources test`.
public struct SourceProbe: Sendable {
    public var url: String
    public var status: Int
    public var contentType: String?
    public var bytes: Int
    public var records: Int
    public var total: Int?
    public var hasNextPage: Bool
    /// Questions of the form that a field of the page's records answers, and the form's count.
    public var questionsMatched: Int
    public var questionCount: Int
    /// How the page's records would fare: new, already stored, rejected (with the first reason).
    public var wouldAccept: Int
    public var alreadyStored: Int
    public var wouldReject: Int
    public var firstProblem: String?
    /// The newest submission time on the page, as the server writes it.
    public var newest: String?
}

/// Fetches submissions from remote sources into the store, page by page, each page in one transaction
/// with the cursor that covers it.
public struct Fetcher {
    public let workspace: Workspace
    public let store: any ResponseStore
    public var environment: [String: String]
    /// Makes the HTTP transport for a source's options: libcurl, or a scripted one in tests.
    public var makeTransport: @Sendable (HTTPOptions) -> any HTTPTransport
    public var progress: (@Sendable (FetchProgress) -> Void)?
    /// Folder that paths in messages are shown relative to.
    public var baseDirectory: URL
    /// The most pages one fetch follows: a guard against a server that never says "last page".
    public var maxPages = 100_000

    public init(
        workspace: Workspace, store: any ResponseStore, environment: [String: String] = ProcessInfo.processInfo.environment,
        baseDirectory: URL, makeTransport: @escaping @Sendable (HTTPOptions) -> any HTTPTransport = { CurlHTTPClient(options: $0) }
    ) {
        self.workspace = workspace
        self.store = store
        self.environment = environment
        self.baseDirectory = baseDirectory
        self.makeTransport = makeTransport
    }

    /// The HTTP options of a source: feedback's User-Agent, its CA bundle, time, size and retry limits.
    public func httpOptions(for source: SourceConfig) throws -> HTTPOptions {
        var options = HTTPOptions(userAgent: "feedback/\(FeedbackVersion.current)")
        if let bundle = source.caBundle {
            let url = URL(fileURLWithPath: bundle, relativeTo: workspace.root).standardizedFileURL
            guard FileManager.default.isReadableFile(atPath: url.path) else {
                throw FetchError(source: source.name, message: "caBundle \(bundle): no such readable file (\(url.path))")
            }
            options.caBundle = url.path
        }
        if let seconds = source.timeoutSeconds {
            options.totalTimeout = seconds
            options.connectTimeout = min(options.connectTimeout, seconds)
            options.lowSpeedTime = min(options.lowSpeedTime, seconds)
        }
        if let retries = source.retries { options.retries = retries }
        if let bytes = source.maxPageBytes { options.maxBodyBytes = bytes }
        return options
    }

    /// The store's state of every source, by name.
    public func states() throws -> [String: SourceState] {
        try store.read { reader in try reader.sourceStates() }.reduce(into: [:]) { $0[$1.name] = $1 }
    }

    // MARK: - Fetch

    /// Fetches one source. Never throws: a failure is in the summary's `error`, and every page stored
    /// before it stays stored, with the cursor that covers it.
    public func fetch(_ source: SourceConfig, options: FetchOptions) -> FetchSummary {
        let api = source.api()
        var summary = FetchSummary(source: source.name, form: source.form, url: URLRedaction.redact(source.url))
        var credentials = Credentials.none
        let rejects = FetchRejects(folder: workspace.root.appendingPathComponent("rejects", isDirectory: true), source: source.name)
        defer { rejects.close() }
        do {
            credentials = try Credentials(source: source, environment: environment)
            let form = try workspace.form(id: source.form)
            let transport = makeTransport(try httpOptions(for: source))
            let state = try states()[source.name] ?? SourceState(name: source.name, formId: form.id)
            summary.cursorBefore = state.cursor
            summary.cursorAfter = state.cursor
            let zone = workspace.config.timezone
            let start = state.cursor.flatMap { raw in Self.instant(raw, api: api, zone: zone).map { SourceTime(raw: raw, instant: $0) } }
            var fetchRun = FetchRun(
                source: source, api: api, form: form, zone: zone, credentials: credentials, transport: transport,
                tracker: CursorTracker(start: start), maxPages: maxPages)
            var url = api.firstURL(cursor: options.full ? nil : state.cursor)
            summary.url = URLRedaction.redact(url)
            let startedAt = Timestamp.now(zone: zone)
            var importId: Int64?
            while true {
                let pageNumber = summary.pages + 1
                let (page, response) = try fetchRun.get(url, pageNumber: pageNumber, receivedBefore: summary.received)
                if summary.total == nil { summary.total = page.total }
                let next = try page.next.map { try fetchRun.follow($0, from: url, pageNumber: pageNumber) }
                let times = page.records.compactMap { api.time(of: $0) }.compactMap { raw in
                    Self.instant(raw, api: api, zone: zone).map { SourceTime(raw: raw, instant: $0) }
                }
                let serverNow = (response.serverDate ?? Date()).timeIntervalSince1970
                var tracker = fetchRun.tracker
                let newCursor = tracker.advance(page: times, serverNow: serverNow, isLast: next == nil)
                var counts = PageCounts()
                var pageRejects: [(SourceRecord.Raw, Int, [RecordProblem])] = []
                var savedCursor = summary.cursorAfter
                func commit(_ reader: any ResponseReader, _ writer: (any ResponseWriter)?) throws {
                    var id = importId
                    writer?.keepDigests(of: form)
                    if let writer, id == nil {
                        id = try writer.beginImport(
                            formId: form.id, source: "source \(source.name): \(URLRedaction.redact(source.url))", startedAt: startedAt)
                    }
                    (counts, pageRejects) = try fetchRun.take(
                        page.records, receivedBefore: summary.received, reader: reader, writer: writer, importId: id)
                    guard let writer, let id else { return }
                    try writer.finishImport(
                        id, read: summary.received + counts.received, accepted: summary.accepted + counts.accepted,
                        duplicates: summary.duplicates + counts.duplicates, rejected: summary.rejected + counts.rejected)
                    // Read inside the transaction: another fetch of the same source may have moved it meanwhile.
                    var current = try writer.sourceStates().first { $0.name == source.name } ?? SourceState(name: source.name, formId: form.id)
                    current.formId = form.id
                    let stored = current.cursor.flatMap { Self.instant($0, api: api, zone: zone) }
                    if let newCursor, stored.map({ newCursor.instant > $0 }) ?? true { current.cursor = newCursor.raw }
                    current.lastFetchAt = startedAt
                    current.lastOutcome =
                        next == nil ? "ok" : "incomplete: stopped after page \(pageNumber); `feedback fetch \(source.name)` goes on from there"
                    current.received += counts.received
                    current.stored += counts.accepted
                    current.rejected += counts.rejected
                    try writer.saveSourceState(current)
                    savedCursor = current.cursor
                    importId = id
                }
                if options.dryRun {
                    try store.read { reader in try commit(reader, nil) }
                } else {
                    try store.write { writer in try commit(writer, writer) }
                    summary.cursorAfter = savedCursor
                }
                // Only now that the page is committed does the run move on.
                fetchRun.tracker = tracker
                summary.pages = pageNumber
                summary.received += counts.received
                summary.accepted += counts.accepted
                summary.duplicates += counts.duplicates
                summary.rejected += counts.rejected
                summary.withoutTime += counts.withoutTime
                try rejects.write(pageRejects, scrub: credentials.scrub)
                progress?(FetchProgress(source: source.name, page: pageNumber, received: summary.received, total: summary.total))
                guard let next else { break }
                url = next
            }
        } catch {
            summary.error = credentials.scrub(describe(error, summary: summary, source: source, dryRun: options.dryRun))
            if !options.dryRun, let message = summary.error { recordFailure(source, message: message) }
        }
        if let url = rejects.url { summary.rejectsFile = FormDecoder(baseDirectory: baseDirectory).displayPath(url) }
        return summary
    }

    private func describe(_ error: any Error, summary: FetchSummary, source: SourceConfig, dryRun: Bool) -> String {
        var text = (error as? FetchError)?.message ?? (error as? any LocalizedError)?.errorDescription ?? "\(error)"
        guard error is FetchError || error is PageError else { return text }
        if error is PageError {
            if dryRun {
                text += "; this was a dry run: nothing was stored"
            } else if summary.pages == 0 {
                text += "; nothing was stored"
            } else {
                text +=
                    "; page\(summary.pages == 1 ? " 1 was" : "s 1–\(summary.pages) were") stored (\(summary.received) records), nothing of page \(summary.pages + 1); `feedback fetch \(source.name)` goes on from there"
            }
        }
        return text
    }

    /// Notes a failed fetch in the source's state; a failure to do so leaves the state as it was.
    private func recordFailure(_ source: SourceConfig, message: String) {
        _ = try? store.write { writer in
            var state = try writer.sourceStates().first { $0.name == source.name } ?? SourceState(name: source.name, formId: source.form)
            state.lastFetchAt = Timestamp.now(zone: workspace.config.timezone)
            state.lastOutcome = "failed: " + message
            try writer.saveSourceState(state)
        }
    }

    /// The instant a source's time names, or nil when it is not a time.
    static func instant(_ raw: String, api: any SourceAPI, zone: UTCOffset) -> Double? {
        Timestamp(raw, zone: zone, unmarkedIsUTC: api.timesWithoutOffsetAreUTC)?.instant
    }

    // MARK: - Test

    /// Makes the first request of a fetch (with no cursor) and says what came back; stores nothing.
    public func test(_ source: SourceConfig) throws -> SourceProbe {
        let api = source.api()
        let credentials = try Credentials(source: source, environment: environment)
        do {
            let form = try workspace.form(id: source.form)
            let transport = makeTransport(try httpOptions(for: source))
            var run = FetchRun(
                source: source, api: api, form: form, zone: workspace.config.timezone, credentials: credentials, transport: transport,
                tracker: CursorTracker(start: nil), maxPages: 1)
            let url = api.firstURL(cursor: nil)
            let (page, response) = try run.get(url, pageNumber: 1, receivedBefore: 0)
            var probe = SourceProbe(
                url: URLRedaction.redact(url), status: response.status, contentType: response.header("content-type"),
                bytes: response.body.count, records: page.records.count, total: page.total, hasNextPage: page.next != nil,
                questionsMatched: 0, questionCount: form.questions.count, wouldAccept: 0, alreadyStored: 0, wouldReject: 0)
            let mapper = RecordMapper(form: form, zone: workspace.config.timezone, source: "source \(source.name)")
            var matched = Set<Int>()
            for record in page.records.prefix(200) where record.members != nil {
                matched.formUnion(mapper.plan(header: record.flattened().names).answeredQuestions)
            }
            probe.questionsMatched = matched.count
            let (counts, rejects) = try store.read { reader in
                try run.take(page.records, receivedBefore: 0, reader: reader, writer: nil, importId: nil)
            }
            probe.wouldAccept = counts.accepted
            probe.alreadyStored = counts.duplicates
            probe.wouldReject = counts.rejected
            probe.firstProblem = rejects.first.map { reject in
                "record \(reject.1): " + reject.2.map { ($0.column.isEmpty ? "" : "\($0.column): ") + $0.message }.joined(separator: "; ")
            }
            probe.newest = page.records.compactMap { api.time(of: $0) }.max { a, b in
                (Self.instant(a, api: api, zone: workspace.config.timezone) ?? 0) < (Self.instant(b, api: api, zone: workspace.config.timezone) ?? 0)
            }
            return probe
        } catch {
            let text = (error as? FetchError)?.message ?? (error as? any LocalizedError)?.errorDescription ?? "\(error)"
            throw FetchError(source: source.name, message: credentials.scrub(text))
        }
    }
}

/// Counts of one page.
struct PageCounts {
    var received = 0
    var accepted = 0
    var duplicates = 0
    var rejected = 0
    var withoutTime = 0
}

/// A failure while getting or reading a page: the fetch stops, what came before stays stored.
struct PageError: LocalizedError {
    var message: String
    var errorDescription: String? { message }
}

/// The state of one fetch of one source: its transport, the pages seen, the intake and the rejects.
struct FetchRun {
    let source: SourceConfig
    let api: any SourceAPI
    let form: Form
    let credentials: Credentials
    let transport: any HTTPTransport
    var tracker: CursorTracker
    let maxPages: Int
    private var intake: RecordIntake
    /// Pages asked for so far, by URL: a next link back to one of them is a loop.
    private var visited: [String: Int] = [:]

    init(
        source: SourceConfig, api: any SourceAPI, form: Form, zone: UTCOffset, credentials: Credentials, transport: any HTTPTransport,
        tracker: CursorTracker, maxPages: Int
    ) {
        self.source = source
        self.api = api
        self.form = form
        self.credentials = credentials
        self.transport = transport
        self.tracker = tracker
        self.maxPages = maxPages
        intake = RecordIntake(mapper: RecordMapper(form: form, zone: zone, source: "source \(source.name)"))
    }

    /// Gets one page and reads it as JSON records.
    mutating func get(_ url: String, pageNumber: Int, receivedBefore: Int) throws -> (SourcePage, HTTPResponse) {
        if pageNumber > maxPages {
            throw PageError(message: "page \(pageNumber): more than \(maxPages) pages; stopped, in case the server never ends")
        }
        visited[url] = pageNumber
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if let header = credentials.header { headers.append(header) }
        let response: HTTPResponse
        do {
            response = try transport.get(HTTPRequest(url: url, headers: headers))
        } catch let error as HTTPError {
            var message = "page \(pageNumber): " + (error.errorDescription ?? error.message)
            if case .status(let code) = error.kind, code == 401 || code == 403 {
                message += " (are the credentials right? check the variable named in auth.env)"
            }
            throw PageError(message: message)
        }
        let shown = "page \(pageNumber): GET \(URLRedaction.redact(url))"
        let contentType = response.header("content-type") ?? ""
        let firstByte = response.body.first { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }
        if contentType.lowercased().contains("html") || firstByte == UInt8(ascii: "<") {
            throw PageError(
                message:
                    "\(shown): the server sent HTML, not JSON (Content-Type: \(contentType.isEmpty ? "none" : contentType)); the body begins: \(HTTPError.excerpt(of: response.body) ?? "")"
                    + " (a login or error page: check the URL and the credentials)")
        }
        let root: JSONNode
        do {
            root = try JSONParser.parse(response.body)
        } catch {
            let position = TextPosition(offset: error.offset, in: response.body)
            let excerpt = HTTPError.excerpt(of: response.body).map { "; the body begins: \($0)" } ?? ""
            throw PageError(message: "\(shown): the reply is not valid JSON (\(position): \(error.message))\(excerpt)")
        }
        do {
            return (try api.page(root, url: url, pageNumber: pageNumber, receivedBefore: receivedBefore), response)
        } catch let error as ReplyError {
            throw PageError(message: "\(shown): \(error.message)")
        }
    }

    /// The next page's URL, after checking that it stays on the source's server and does not loop.
    func follow(_ link: String, from current: String, pageNumber: Int) throws -> String {
        let shownLink = URLRedaction.redact(link)
        guard let base = URL(string: current), let resolved = URL(string: link, relativeTo: base)?.absoluteURL,
            let scheme = resolved.scheme?.lowercased()
        else {
            throw PageError(message: "page \(pageNumber): the next-page link \"\(shownLink)\" is not a URL")
        }
        guard let origin = URL(string: source.url) else {
            throw PageError(message: "page \(pageNumber): the source's URL is not a URL")
        }
        func port(_ url: URL) -> Int? { url.port ?? (url.scheme?.lowercased() == "https" ? 443 : url.scheme?.lowercased() == "http" ? 80 : nil) }
        let originScheme = origin.scheme?.lowercased() ?? ""
        guard scheme == "http" || scheme == "https", !(originScheme == "https" && scheme == "http") else {
            throw PageError(
                message: "page \(pageNumber): the next-page link \"\(shownLink)\" leaves \(originScheme) for \(scheme); refused")
        }
        guard resolved.host?.lowercased() == origin.host?.lowercased(), port(resolved) == port(origin) else {
            throw PageError(
                message:
                    "page \(pageNumber): the next-page link points to another server (\(URLRedaction.redact(resolved.absoluteString))); refused: credentials are only sent to \(origin.host ?? "the source's host")"
            )
        }
        let absolute = resolved.absoluteString
        if let earlier = visited[absolute] {
            throw PageError(
                message:
                    "page \(pageNumber): the next-page link leads back to page \(earlier) (\(URLRedaction.redact(absolute))); the server is paging in a loop, so the fetch stopped"
            )
        }
        return absolute
    }

    /// Maps a page's records and stores them through `writer` (nil: only checks). Returns the counts and
    /// the rejects, which are written out once the page is committed.
    mutating func take(
        _ records: [JSONNode], receivedBefore: Int, reader: any ResponseReader, writer: (any ResponseWriter)?, importId: Int64?
    ) throws -> (PageCounts, [(SourceRecord.Raw, Int, [RecordProblem])]) {
        var counts = PageCounts()
        var rejected: [(SourceRecord.Raw, Int, [RecordProblem])] = []
        // A page that fails midway leaves the intake's memory of it behind: work on a copy.
        var intake = self.intake
        let formId = form.id
        let sourceName = source.name
        for (index, node) in records.enumerated() {
            let position = receivedBefore + index + 1
            counts.received += 1
            guard node.members != nil else {
                counts.rejected += 1
                rejected.append((.json(node.serialized), position, [RecordProblem(column: "", message: "the record is \(node.kindName), not an object")]))
                continue
            }
            let (names, values) = node.flattened()
            let record = SourceRecord(position: position, names: names, values: values, raw: .json(node.serialized))
            let outcome = try intake.take(record, reader: reader, writer: writer, importId: importId) { plan, header in
                if plan.answeredQuestions.isEmpty {
                    let shown = RecordMapper.listed(header)
                    throw FetchError(
                        source: sourceName,
                        message:
                            "none of the fields of its records matches a question of form \(formId) (fields: \(shown)); is \"form\" right? Map fields with \"columns\" in the form (docs/forms.md)"
                    )
                }
            }
            switch outcome {
            case .stored(let response):
                counts.accepted += 1
                if response.month == nil { counts.withoutTime += 1 }
            case .duplicate:
                counts.duplicates += 1
            case .rejected(let problems):
                counts.rejected += 1
                rejected.append((record.raw, position, problems))
            }
        }
        self.intake = intake
        return (counts, rejected)
    }
}

/// The rejects file of one fetch, `rejects/SOURCE-TIME.rejects.csv` in the workspace, made on the first reject.
final class FetchRejects {
    let folder: URL
    let source: String
    private var writer: RejectsWriter?

    init(folder: URL, source: String) {
        self.folder = folder
        self.source = source
    }

    var url: URL? { writer?.url }

    /// Appends a committed page's rejects.
    func write(_ page: [(SourceRecord.Raw, Int, [RecordProblem])], scrub: (String) -> String) throws {
        guard !page.isEmpty else { return }
        if writer == nil {
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw FetchError(source: source, message: "cannot make the rejects folder \(folder.path): \(FormDecoder.reason(error))")
            }
            let stamp = Timestamp.now(zone: UTCOffset(seconds: 0)).prefix(19).filter { $0.isNumber || $0 == "T" }
            writer = RejectsWriter(url: folder.appendingPathComponent("\(source)-\(stamp).rejects.csv"), header: ["_record"], positionName: "record")
        }
        for (raw, position, problems) in page {
            switch raw {
            case .json(let text): try writer?.write(cells: [scrub(text)], position: position, problems: problems)
            case .cells(let cells): try writer?.write(cells: cells.map(scrub), position: position, problems: problems)
            }
        }
    }

    func close() {
        writer?.close()
    }
}
