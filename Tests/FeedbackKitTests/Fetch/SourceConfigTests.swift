import Foundation
import Testing

@testable import FeedbackKit

/// feedback.json's "sources", read strictly: every problem named by its JSON path.
struct SourceConfigTests {
    private func decode(_ sources: String) -> (WorkspaceConfig, [String]) {
        let node = try! JSONParser.parse(#"{"sources": "# + sources + "}")
        var reader = StrictReader(file: "feedback.json")
        let config = WorkspaceConfig.decode(node, reader: &reader)
        return (config, reader.diagnostics.map(\.description))
    }

    @Test func readsOneSourceOfEachKind() {
        let (config, problems) = decode(
            """
            [
              {"name": "kobo-enterprise", "kind": "kobo", "url": "https://kf.kobotoolbox.org/api/v2/assets/aBc/data/",
               "form": "enterprise-service", "auth": {"scheme": "token", "env": "KOBO_TOKEN"}, "pageSize": 500},
              {"name": "odk", "kind": "odk", "url": "https://central.example.org/v1/projects/3/forms/w.svc/Submissions",
               "form": "window-evaluation", "auth": {"scheme": "basic", "user": "office@example.org", "env": "ODK_PASSWORD"},
               "serverSort": false, "caBundle": "certs/ca.pem"},
              {"name": "hcp", "kind": "json", "url": "https://api.example.gov.cn/evaluations", "form": "window-evaluation",
               "auth": {"scheme": "bearer", "env": "HCP_TOKEN"}, "records": "data.items",
               "paging": {"mode": "cursor", "param": "after", "field": "meta.next"}, "pageSize": 200, "pageSizeParam": "limit",
               "time": {"field": "submitted_at", "param": "since"}, "timeoutSeconds": 30, "retries": 2, "maxPageBytes": 1048576}
            ]
            """)
        #expect(problems == [])
        #expect(config.sources.map(\.name) == ["kobo-enterprise", "odk", "hcp"])
        #expect(config.sources[0].auth == .token(env: "KOBO_TOKEN"))
        #expect(config.sources[0].effectivePageSize == 500)
        #expect(config.sources[1].auth == .basic(user: "office@example.org", userEnv: nil, passwordEnv: "ODK_PASSWORD"))
        #expect(config.sources[1].serverSort == false)
        #expect(config.sources[1].effectivePageSize == 1000)
        let json = config.sources[2]
        #expect(json.paging == .cursor(param: "after", field: "meta.next"))
        #expect(json.timeField == "submitted_at" && json.sinceParam == "since")
        #expect(json.timeoutSeconds == 30 && json.retries == 2 && json.maxPageBytes == 1_048_576)
    }

    @Test func reportsEveryProblemByItsPath() {
        let (config, problems) = decode(
            """
            [
              {"name": "a", "kind": "kobe", "url": "https://x.org/api/v2/assets/u/data/", "form": "f"},
              {"name": "b", "kind": "kobo", "url": "https://x.org/assets/u", "form": "f", "records": "results"},
              {"name": "c", "kind": "odk", "url": "ftp://x.org/a.svc/Submissions", "form": "f"},
              {"name": "d", "kind": "json", "url": "https://x.org/d", "form": "f", "paging": {"mode": "page"}, "pageSize": 10},
              {"name": "e", "kind": "json", "url": "https://x.org/e", "form": "f", "auth": {"scheme": "basic", "env": "PW"}},
              {"name": "a", "kind": "json", "url": "https://x.org/f", "form": "f", "retries": 99, "serverSrot": true}
            ]
            """)
        #expect(
            problems == [
                #"feedback.json: $.sources[0].kind: "kobe" is not a source kind: use kobo, odk or json"#,
                "feedback.json: $.sources[1].url: a kobo source's URL is the asset's data URL, such as https://kf.kobotoolbox.org/api/v2/assets/UID/data/",
                #"feedback.json: $.sources[1].records: only json sources take "records": the replies of kobo have a known shape"#,
                #"feedback.json: $.sources[2].url: must be an http:// or https:// URL (got "ftp://x.org/a.svc/Submissions")"#,
                #"feedback.json: $.sources[3].pageSize: a json source sends its page size in the query: name the parameter in "pageSizeParam""#,
                #"feedback.json: $.sources[3].paging: the page mode needs "param""#,
                #"feedback.json: $.sources[4].auth: the basic scheme needs the user name: "user", or "userEnv" naming the variable that holds it"#,
                #"feedback.json: $.sources[5].serverSrot: unknown key "serverSrot"; did you mean "serverSort"?"#,
                "feedback.json: $.sources[5].retries: must be from 0 to 10",
            ])
        #expect(config.sources.isEmpty)
    }

    @Test func neverEchoesASecretPastedIntoTheConfig() {
        let secret = "sk_live_9f8e7d6c5b4a"
        let (_, problems) = decode(
            """
            [
              {"name": "a", "kind": "json", "url": "https://x.org/a", "form": "f", "auth": {"scheme": "bearer", "env": "\(secret)"}},
              {"name": "b", "kind": "json", "url": "https://admin:\(secret)@x.org/b", "form": "f"}
            ]
            """)
        #expect(problems.count == 2)
        #expect(problems.allSatisfy { !$0.contains(secret) })
        #expect(problems[0].contains("$.sources[0].auth.env: must be the NAME of an environment variable"))
        #expect(problems[1].contains("$.sources[1].url: must not hold credentials"))
    }

    @Test func sourceNamesAreUnique() {
        let (config, problems) = decode(
            """
            [{"name": "x", "kind": "json", "url": "https://a.org/1", "form": "f"},
             {"name": "x", "kind": "json", "url": "https://a.org/2", "form": "f"}]
            """)
        #expect(problems == [#"feedback.json: $.sources[1].name: another source is already named "x""#])
        #expect(config.sources.count == 1)
    }
}
