import CurlHTTP
import FeedbackKit
import Foundation
import GRDB
import TestServers

/// Fixtures/fetch_server.py (a KoboToolbox, ODK Central and JSON API look-alike) and a scratch
/// workspace whose feedback.json has one source of each kind pointing at it.
final class FetchWorld {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/fetch_server.py")
    /// The secret the server expects; the tests look for it everywhere afterwards.
    static let token = "fbTest-9c1e7d5f3a-secret"
    static var environment: [String: String] { ["KOBO_TOKEN": token, "ODK_PASSWORD": token, "API_TOKEN": token] }

    let server: PythonServer
    let scratch: Scratch
    let certificates: TestCertificates?
    /// Every output of the binary in this world, to search for the secret.
    private(set) var outputs: [String] = []

    var store: URL { scratch.path("feedback.sqlite") }

    /// Starts the server (with TLS when given certificates) and writes the workspace; `configure` may
    /// change each source's JSON (its "name" tells which).
    init(certificates: TestCertificates? = nil, configure: (inout [String: Any]) -> Void = { _ in }) throws {
        guard let shared = SharedData.directory else { throw TestServerError(description: "../shared is not beside the checkout") }
        self.certificates = certificates
        scratch = try Scratch()
        server = try PythonServer(
            script: Self.script, arguments: ["--shared", shared.appendingPathComponent("real-world").path, "--token", Self.token],
            certificates: certificates)
        try FileManager.default.createDirectory(at: scratch.path("forms"), withIntermediateDirectories: true)
        try Data(Self.form.utf8).write(to: scratch.path("forms/service.json"))
        var sources: [[String: Any]] = [
            [
                "name": "kobo", "kind": "kobo", "url": server.url("/api/v2/assets/aT8kdWq3/data/"), "form": "service",
                "auth": ["scheme": "token", "env": "KOBO_TOKEN"], "pageSize": 1000,
            ],
            [
                "name": "odk", "kind": "odk", "url": server.url("/v1/projects/4/forms/service.svc/Submissions"), "form": "service",
                "auth": ["scheme": "basic", "user": "collector", "env": "ODK_PASSWORD"], "pageSize": 1000,
            ],
            [
                "name": "api", "kind": "json", "url": server.url("/json/submissions"), "form": "service",
                "auth": ["scheme": "bearer", "env": "API_TOKEN"], "records": "data.items",
                "paging": ["mode": "next-link", "field": "links.next"], "pageSize": 1000, "pageSizeParam": "per_page",
                "time": ["field": "_submission_time", "param": "since"],
            ],
        ]
        for i in sources.indices {
            if let certificates { sources[i]["caBundle"] = certificates.caFile.path }
            configure(&sources[i])
        }
        let config = try JSONSerialization.data(withJSONObject: ["timezone": "+08:00", "sources": sources], options: [.prettyPrinted])
        try config.write(to: scratch.path("feedback.json"))
    }

    deinit {
        server.stop()
    }

    /// Calls a control route of the server and returns its JSON reply.
    @discardableResult
    func control(_ pathAndQuery: String) throws -> [String: Any] {
        var options = HTTPOptions(userAgent: "feedback-tests")
        options.totalTimeout = 10
        options.retries = 0
        options.caBundle = certificates?.caFile.path
        let response = try CurlHTTPClient(options: options).get(HTTPRequest(url: server.url("/_control/" + pathAndQuery)))
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }

    func stats() throws -> (requests: Int, recordsSent: Int) {
        let reply = try control("stats")
        return (reply["requests"] as? Int ?? -1, reply["records_sent"] as? Int ?? -1)
    }

    /// Runs `feedback ARGS` in the workspace with the secrets in its environment.
    func run(_ arguments: [String], environment: [String: String] = FetchWorld.environment) throws -> CLI.Result {
        let result = try CLI.run(arguments, in: scratch.url, environment: environment)
        outputs += [result.stdout, result.stderr]
        return result
    }

    /// Reads the store directly.
    func query<T>(_ body: (Database) throws -> T) throws -> T {
        let queue = try DatabaseQueue(path: store.path)
        return try queue.read(body)
    }

    func count(source: String? = nil) throws -> Int {
        try StoredResponses.all(in: store.path).filter { r in source.map { r.source == "source \($0)" } ?? true }.count
    }

    func integrityCheck() throws -> String? {
        try query { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
    }

    func cursor(_ source: String) throws -> String? {
        try query { db in try String.fetchOne(db, sql: "SELECT cursor FROM source_state WHERE name = ?", arguments: [source]) }
    }

    /// Every file of the workspace (the store, its journal, rejects) and every output, as bytes.
    func everything() throws -> [(String, Data)] {
        var found: [(String, Data)] = outputs.enumerated().map { ("output \($0.offset)", Data($0.element.utf8)) }
        let files = FileManager.default.enumerator(at: scratch.url, includingPropertiesForKeys: nil)
        while let url = files?.nextObject() as? URL {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                found.append((url.lastPathComponent, try Data(contentsOf: url)))
            }
        }
        return found
    }

    /// The form the server's records answer: fields service/department, service/overall, service/comment.
    static let form = """
        {
          "id": "service",
          "version": 1,
          "title": {"zh": "政务服务评价", "en": "Service evaluation"},
          "departments": [
            {"id": "tax", "name": "税务局"},
            {"id": "market", "name": "市场监督管理局"},
            {"id": "social", "name": "人力资源和社会保障局"},
            {"id": "housing", "name": "住房和城乡建设局"},
            {"id": "health", "name": "卫生健康委员会"}
          ],
          "questions": [
            {"id": "department", "label": "部门", "type": "single", "role": "department", "required": true},
            {"id": "overall", "label": "总体满意度", "type": "rating", "role": "overall", "scale": 5, "required": true},
            {"id": "comment", "label": "意见", "type": "text", "role": "comment"}
          ]
        }
        """
}
