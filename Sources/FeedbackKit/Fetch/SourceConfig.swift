import CurlHTTP
import Foundation

/// A remote source of submissions, from feedback.json's "sources" (docs/sources.md).
public struct SourceConfig: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// KoboToolbox API v2: /api/v2/assets/{uid}/data/.
        case kobo
        /// ODK Central OData: /v1/projects/{id}/forms/{formId}.svc/Submissions.
        case odk
        /// Any JSON endpoint, described by `records`, `paging` and `time`.
        case json
    }

    /// How the secret is sent. The secret itself is never in the config: only the name of the
    /// environment variable that holds it.
    public enum Auth: Sendable, Equatable {
        /// `Authorization: Token SECRET` (KoboToolbox).
        case token(env: String)
        /// `Authorization: Bearer SECRET` (ODK Central sessions, most APIs).
        case bearer(env: String)
        /// `Authorization: Basic base64(USER:SECRET)`; the user written in the config, or read from `userEnv`.
        case basic(user: String?, userEnv: String?, passwordEnv: String)
    }

    /// How a `json` source finds its next page.
    public enum Paging: Sendable, Equatable {
        /// One request gives everything.
        case none
        /// A field of the reply (a dotted path) holds the next page's URL; null or absent on the last page.
        case nextLink(field: String)
        /// A page number in the query, from `first`; an empty page ends.
        case page(param: String, first: Int)
        /// The number of records already received, in the query; an empty page ends.
        case offset(param: String)
        /// A field of the reply holds an opaque cursor, sent back in the query; null or absent at the end.
        case cursor(param: String, field: String)
    }

    public var name: String
    public var kind: Kind
    public var url: String
    public var form: String
    public var auth: Auth?
    /// A PEM file of CA certificates, relative to the workspace, for a server signed by an internal CA.
    public var caBundle: String?
    /// Records asked for per page.
    public var pageSize: Int?
    /// The query parameter that carries `pageSize` (`json` sources).
    public var pageSizeParam: String?
    /// Where the records are in a reply (`json`): a dotted path such as "data.items"; nil: found as in import.
    public var records: String?
    public var paging: Paging = .none
    /// The field of each record that holds its submission time (`json`; a dotted path).
    public var timeField: String?
    /// The query parameter that asks for submissions after a time (`json`); nil: every fetch reads everything.
    public var sinceParam: String?
    /// Whether to ask the server to sort by submission time (kobo `sort`, odk `$orderby`); ODK Central
    /// before 2024.1 does not know `$orderby`.
    public var serverSort = true
    /// Seconds for one request, body included.
    public var timeoutSeconds: Double?
    /// Further attempts after a 429, a 5xx or a timeout.
    public var retries: Int?
    /// The largest page body accepted.
    public var maxPageBytes: Int?

    public init(name: String, kind: Kind, url: String, form: String) {
        self.name = name
        self.kind = kind
        self.url = url
        self.form = form
    }

    /// The page size used: the configured one, else 1,000 for kobo and odk, else none (the server's).
    public var effectivePageSize: Int? {
        pageSize ?? (kind == .json ? nil : 1000)
    }

    static let keys = [
        "name", "kind", "url", "form", "auth", "caBundle", "pageSize", "pageSizeParam", "records", "paging", "time", "serverSort",
        "timeoutSeconds", "retries", "maxPageBytes",
    ]
    /// Keys that only `json` sources take: kobo and odk replies have a known shape.
    static let jsonOnlyKeys = ["pageSizeParam", "records", "paging", "time"]

    /// Reads one entry of "sources" strictly; nil when it has a problem (reported to `reader`).
    static func decode(_ node: JSONNode, at path: JSONPath, reader: inout StrictReader) -> SourceConfig? {
        guard let f = reader.object(node, at: path, allowed: keys, required: ["name", "kind", "url", "form"]) else { return nil }
        let before = reader.diagnostics.count
        let name = reader.string(f["name"], at: path.key("name"))
        if let name, !Self.isName(name) {
            reader.report(path.key("name"), "\"\(name)\" is not a usable source name: use letters, digits, \"-\", \"_\" and \".\"")
        }
        var kind: Kind?
        if let text = reader.string(f["kind"], at: path.key("kind")) {
            kind = Kind(rawValue: text)
            if kind == nil {
                reader.report(path.key("kind"), "\"\(text)\" is not a source kind: use kobo, odk or json")
            }
        }
        let url = reader.string(f["url"], at: path.key("url"))
        if let url, let kind { checkURL(url, kind: kind, at: path.key("url"), reader: &reader) }
        let form = reader.string(f["form"], at: path.key("form"))
        let auth = f["auth"].flatMap { decodeAuth($0, at: path.key("auth"), reader: &reader) }
        if let kind, kind != .json {
            for key in jsonOnlyKeys where f[key] != nil {
                reader.report(path.key(key), "only json sources take \"\(key)\": the replies of \(kind.rawValue) have a known shape")
            }
        }
        guard let name, let kind, let url, let form else { return nil }
        var source = SourceConfig(name: name, kind: kind, url: url, form: form)
        source.auth = auth
        source.caBundle = reader.string(f["caBundle"], at: path.key("caBundle"))
        if let size = reader.integer(f["pageSize"], at: path.key("pageSize")) {
            let most = kind == .kobo ? 30000 : 100_000
            if (1...most).contains(size) {
                source.pageSize = size
            } else {
                reader.report(path.key("pageSize"), "must be from 1 to \(most)")
            }
        }
        source.pageSizeParam = reader.string(f["pageSizeParam"], at: path.key("pageSizeParam"))
        if kind == .json, source.pageSize != nil, source.pageSizeParam == nil {
            reader.report(path.key("pageSize"), "a json source sends its page size in the query: name the parameter in \"pageSizeParam\"")
        }
        source.records = reader.string(f["records"], at: path.key("records"))
        if let paging = f["paging"] { source.paging = decodePaging(paging, at: path.key("paging"), reader: &reader) ?? .none }
        if let time = f["time"], let t = reader.object(time, at: path.key("time"), allowed: ["field", "param"], required: ["field"]) {
            source.timeField = reader.string(t["field"], at: path.key("time").key("field"))
            source.sinceParam = reader.string(t["param"], at: path.key("time").key("param"))
        }
        if let sort = reader.bool(f["serverSort"], at: path.key("serverSort")) { source.serverSort = sort }
        if let seconds = reader.number(f["timeoutSeconds"], at: path.key("timeoutSeconds")) {
            if seconds > 0 && seconds <= 3600 {
                source.timeoutSeconds = seconds
            } else {
                reader.report(path.key("timeoutSeconds"), "must be more than 0 and at most 3600")
            }
        }
        if let retries = reader.integer(f["retries"], at: path.key("retries")) {
            if (0...10).contains(retries) {
                source.retries = retries
            } else {
                reader.report(path.key("retries"), "must be from 0 to 10")
            }
        }
        if let bytes = reader.integer(f["maxPageBytes"], at: path.key("maxPageBytes")) {
            if bytes >= 1024 && bytes <= 1 << 30 {
                source.maxPageBytes = bytes
            } else {
                reader.report(path.key("maxPageBytes"), "must be from 1024 to 1073741824 (1 GiB)")
            }
        }
        return reader.diagnostics.count == before ? source : nil
    }

    static func isName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { ($0.isASCII && $0.properties.isAlphabetic) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) }
    }

    /// An environment variable's name as POSIX writes them, capitals, digits and "_": what `env` must hold.
    /// Lower case is refused so that a secret pasted here (sk_live_…) is not taken for a name and later
    /// printed in "variable … is not set".
    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.count <= 128 && name.unicodeScalars.allSatisfy { $0 == "_" || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }

    private static func checkURL(_ url: String, kind: Kind, at path: JSONPath, reader: inout StrictReader) {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = parsed.host, !host.isEmpty
        else {
            reader.report(path, "must be an http:// or https:// URL (got \"\(URLRedaction.redact(url))\")")
            return
        }
        if parsed.user != nil || parsed.password != nil {
            // Never echo it: the user part may hold a password.
            reader.report(path, "must not hold credentials (user:password@); name the environment variable that holds them in \"auth\"")
            return
        }
        switch kind {
        case .kobo where !(parsed.path.contains("/api/v2/assets/") && (parsed.path.hasSuffix("/data") || parsed.path.hasSuffix("/data/"))):
            reader.report(path, "a kobo source's URL is the asset's data URL, such as https://kf.kobotoolbox.org/api/v2/assets/UID/data/")
        case .odk where !parsed.path.hasSuffix(".svc/Submissions"):
            reader.report(
                path,
                "an odk source's URL is the form's OData Submissions URL, such as https://central.example.org/v1/projects/1/forms/FORM.svc/Submissions"
            )
        default:
            break
        }
    }

    private static func decodeAuth(_ node: JSONNode, at path: JSONPath, reader: inout StrictReader) -> Auth? {
        guard let a = reader.object(node, at: path, allowed: ["scheme", "env", "user", "userEnv"], required: ["scheme", "env"]) else {
            return nil
        }
        let scheme = reader.string(a["scheme"], at: path.key("scheme"))
        let env = reader.string(a["env"], at: path.key("env"))
        let user = reader.string(a["user"], at: path.key("user"))
        let userEnv = reader.string(a["userEnv"], at: path.key("userEnv"))
        for (key, value) in [("env", env), ("userEnv", userEnv)] {
            // The value is not echoed: someone may have pasted the secret itself here.
            if let value, !isEnvironmentName(value) {
                reader.report(
                    path.key(key),
                    "must be the NAME of an environment variable (capitals, digits and _), such as KOBO_TOKEN, not the secret itself")
            }
        }
        guard let scheme, let env, isEnvironmentName(env) else { return nil }
        switch scheme {
        case "token", "bearer":
            if user != nil || userEnv != nil {
                reader.report(path, "\"user\" and \"userEnv\" belong to the basic scheme only")
                return nil
            }
            return scheme == "token" ? .token(env: env) : .bearer(env: env)
        case "basic":
            if (user == nil) == (userEnv == nil) {
                reader.report(path, "the basic scheme needs the user name: \"user\", or \"userEnv\" naming the variable that holds it")
                return nil
            }
            return .basic(user: user, userEnv: userEnv, passwordEnv: env)
        default:
            reader.report(path.key("scheme"), "\"\(scheme)\" is not an auth scheme: use token, bearer or basic")
            return nil
        }
    }

    private static func decodePaging(_ node: JSONNode, at path: JSONPath, reader: inout StrictReader) -> Paging? {
        guard let p = reader.object(node, at: path, allowed: ["mode", "field", "param", "first"], required: ["mode"]),
            let mode = reader.string(p["mode"], at: path.key("mode"))
        else { return nil }
        let field = reader.string(p["field"], at: path.key("field"))
        let param = reader.string(p["param"], at: path.key("param"))
        let first = reader.integer(p["first"], at: path.key("first"))
        func require(_ value: String?, _ key: String) -> String? {
            if value == nil { reader.report(path, "the \(mode) mode needs \"\(key)\"") }
            return value
        }
        func refuse(_ keys: [String]) {
            for key in keys where p[key] != nil { reader.report(path.key(key), "the \(mode) mode takes no \"\(key)\"") }
        }
        switch mode {
        case "none":
            refuse(["field", "param", "first"])
            return Paging.none
        case "next-link":
            refuse(["param", "first"])
            return require(field, "field").map { .nextLink(field: $0) }
        case "page":
            refuse(["field"])
            return require(param, "param").map { .page(param: $0, first: first ?? 1) }
        case "offset":
            refuse(["field", "first"])
            return require(param, "param").map { .offset(param: $0) }
        case "cursor":
            refuse(["first"])
            guard let param = require(param, "param"), let field = require(field, "field") else { return nil }
            return .cursor(param: param, field: field)
        default:
            reader.report(path.key("mode"), "\"\(mode)\" is not a paging mode: use next-link, page, offset, cursor or none")
            return nil
        }
    }
}
