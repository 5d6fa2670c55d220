import FeedbackKit
import Foundation
import GRDB
import TestServers
import Testing

/// `feedback fetch` and `feedback sources` against fetch_server.py on 127.0.0.1, through the built binary.
@Suite(.enabled(if: SharedData.isAvailable, "../shared is not beside the checkout"))
struct FetchCommandTests {
    /// Submission i's time is 2025-04-01T00:00:00Z + 37·i s; Kobo writes it without a zone.
    static func koboTime(_ i: Int) -> String {
        let date = Date(timeIntervalSince1970: 1_743_465_600 + Double(37 * i))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    @Test(arguments: ["kobo", "odk", "api"])
    func fetchesEverySubmissionOnceThenOnlyWhatIsNew(source: String) throws {
        let world = try FetchWorld()
        try world.control("add?count=2500")

        let first = try world.run(["fetch", source])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("\(source): 3 pages, received 2500 = 2500 new + 0 already stored + 0 rejected"), "\(first.stderr)")
        #expect(try world.count() == 2500)
        #expect(try world.stats() == (requests: 3, recordsSent: 2500))

        try world.control("add?count=100")
        try world.control("reset_stats")
        let second = try world.run(["fetch", source])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("\(source): 1 page, received 100 = 100 new + 0 already stored + 0 rejected"), "\(second.stderr)")
        #expect(try world.stats() == (requests: 1, recordsSent: 100), "the second fetch asked for more than what was new")
        #expect(try world.count() == 2600)
        let newest = try #require(try world.cursor(source))
        #expect(newest.hasPrefix(Self.koboTime(2600)))

        let third = try world.run(["fetch", source])
        #expect(third.stderr.contains("received 0 = 0 new"), "\(third.stderr)")
        #expect(try world.integrityCheck() == "ok")
    }

    @Test func koboTimesAreReadAsUTC() throws {
        let world = try FetchWorld()
        try world.control("add?count=3")
        #expect(try world.run(["fetch", "kobo"]).status == 0)
        let times = try StoredResponses.all(in: world.store.path).sorted { $0.position < $1.position }.map(\.submittedAt)
        // 2025-04-01T00:00:37 in UTC is 08:00:37 in the workspace's +08:00.
        #expect(times == ["2025-04-01T08:00:37+08:00", "2025-04-01T08:01:14+08:00", "2025-04-01T08:01:51+08:00"])
    }

    @Test func aFetchThatFailsOnPage3Of5EndsWithEveryRecordOnceWhenRunAgain() throws {
        let world = try FetchWorld { source in
            source["pageSize"] = 500
            source["retries"] = 0
        }
        try world.control("add?count=2500")
        try world.control("fault?fail_page=3&status=500&times=-1")

        let failed = try world.run(["fetch", "odk"])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("source odk: page 3: GET http://127.0.0.1:"), "\(failed.stderr)")
        #expect(failed.stderr.contains("the server answered HTTP 500"), "\(failed.stderr)")
        #expect(failed.stderr.contains("pages 1–2 were stored (1000 records), nothing of page 3"), "\(failed.stderr)")
        #expect(try world.count() == 1000)
        #expect(try world.integrityCheck() == "ok")
        let listed = try world.run(["sources", "list"])
        #expect(listed.stderr.contains("odk: last fetch failed: page 3"), "\(listed.stderr)")

        try world.control("fault?mode=normal&clear=1")
        let rerun = try world.run(["fetch", "odk"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try world.count() == 2500)
        let stored = try StoredResponses.all(in: world.store.path)
        #expect(Set(stored.map(\.key)).count == 2500)
        // Every submission is there: positions 1…2500 by their ids' order of time.
        #expect(Set(stored.compactMap(\.submittedAt)).count == 2500)
    }

    @Test func retriesA429AfterItsRetryAfterAndA500ThenSucceeds() throws {
        let world = try FetchWorld { $0["pageSize"] = 100 }
        try world.control("add?count=250")
        try world.control("fault?fail_page=1&status=429&times=1&retry_after=1")
        let started = Date()
        let first = try world.run(["fetch", "kobo"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(Date().timeIntervalSince(started) >= 1, "Retry-After: 1 was not waited for")
        #expect(try world.count() == 250)

        try world.control("add?count=250")
        try world.control("fault?fail_page=1&status=500&times=1")
        let second = try world.run(["fetch", "odk"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try world.count(source: "odk") == 500)
    }

    struct Failure: CustomTestStringConvertible, Sendable {
        var name: String
        var fault: String
        var expected: String
        /// Records stored before the failure (pages of 100).
        var stored: Int

        var testDescription: String { name }
    }

    static let failures = [
        Failure(
            name: "500 forever", fault: "fail_page=1&status=500&times=-1", expected: "page 1: GET http://127.0.0.1:", stored: 0),
        Failure(name: "HTML for JSON", fault: "mode=html", expected: "the server sent HTML, not JSON", stored: 0),
        Failure(name: "redirect to file://", fault: "mode=file_redirect", expected: "only http and https are allowed", stored: 0),
        Failure(
            name: "oversized body without Content-Length", fault: "mode=oversize&bytes=3000000",
            expected: "the response body is larger than the limit of 1 MiB", stored: 0),
        Failure(name: "a next-link loop", fault: "mode=loop", expected: "the next-page link leads back to page 2", stored: 100),
        Failure(name: "a next link to another host", fault: "mode=other_host", expected: "the next-page link points to another server", stored: 0),
        Failure(name: "a stalled server", fault: "mode=stall", expected: "timed out", stored: 0),
    ]

    @Test(arguments: failures)
    func failuresEndWithAClearMessageAndAnIntactStore(_ failure: Failure) throws {
        let world = try FetchWorld { source in
            source["pageSize"] = 100
            source["retries"] = 1
            source["timeoutSeconds"] = 2
            source["maxPageBytes"] = 1 << 20
        }
        try world.control("add?count=250")
        try world.control("fault?" + failure.fault)
        let started = Date()
        let result = try world.run(["fetch", "odk"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: source odk: "), "\(result.stderr)")
        #expect(result.stderr.contains(failure.expected), "\(result.stderr)")
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(try world.count() == failure.stored)
        #expect(try world.integrityCheck() == "ok")
        // The store is usable: once the server mends, a fetch completes.
        try world.control("fault?mode=normal&clear=1")
        #expect(try world.run(["fetch", "odk"]).status == 0)
        #expect(try world.count() == 250)
    }

    @Test func theSecretAppearsNowhere() throws {
        let world = try FetchWorld { $0["retries"] = 0 }
        try world.control("add?count=120&invalid_every=7")
        for source in ["kobo", "odk", "api"] {
            _ = try world.run(["fetch", source, "--json"])
            _ = try world.run(["sources", "test", source])
        }
        try world.control("fault?mode=echo_auth")
        for source in ["kobo", "odk", "api"] {
            let failed = try world.run(["fetch", source, "--full"])
            #expect(failed.status == 1)
            #expect(failed.stderr.contains("Authorization: ***"), "\(failed.stderr)")
        }
        _ = try world.run(["sources", "list", "--json"])
        #expect(try world.control("stats")["authorization_seen"] as? Bool == true)

        let basic = Data("collector:\(FetchWorld.token)".utf8).base64EncodedString()
        let files = try world.everything()
        #expect(files.contains { $0.0.hasSuffix(".rejects.csv") }, "no rejects file was written: the search below would miss it")
        #expect(files.contains { $0.0 == "feedback.sqlite" })
        for (name, bytes) in files {
            for secret in [FetchWorld.token, basic] {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(name) holds the secret")
            }
        }
    }

    @Test func verifiesTLSWithTheSourcesCABundleAndRefusesWithoutIt() throws {
        guard TestCertificates.openssl != nil else { return }
        let certificates = try TestCertificates()
        let world = try FetchWorld(certificates: certificates) { source in
            if source["name"] as? String == "api" { source["caBundle"] = nil }
            source["retries"] = 0
        }
        try world.control("add?count=50")
        let verified = try world.run(["fetch", "kobo"])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(try world.count() == 50)

        let refused = try world.run(["fetch", "api"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("source api: page 1: GET https://127.0.0.1:"), "\(refused.stderr)")
        #expect(refused.stderr.lowercased().contains("certificate"), "\(refused.stderr)")
        #expect(try world.count(source: "api") == 0)
    }

    @Test func aDryRunStoresNothingAndLeavesTheCursor() throws {
        let world = try FetchWorld()
        try world.control("add?count=40")
        let dry = try world.run(["fetch", "--dry-run", "--json"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stderr.contains("dry run: nothing was stored"))
        let document = try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as? [String: Any]
        let sources = document?["sources"] as? [[String: Any]] ?? []
        #expect(sources.map { $0["accepted"] as? Int } == [40, 40, 40])
        #expect(try world.count() == 0)
        #expect(try world.query { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM source_state") } == 0)
    }

    @Test func rejectedRecordsAreWrittenOutAndTheExitStatusIs2() throws {
        let world = try FetchWorld()
        try world.control("add?count=300&invalid_every=10")
        let result = try world.run(["fetch", "kobo"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("received 300 = 270 new + 0 already stored + 30 rejected (rejected records: rejects/kobo-"))
        let folder = world.scratch.path("rejects")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(names.count == 1)
        let text = try String(contentsOf: folder.appendingPathComponent(try #require(names.first)), encoding: .utf8)
        let lines = text.split(separator: "\r\n")
        #expect(lines.count == 31)
        #expect(lines.first?.hasSuffix("_record,_reject_record,_reject_column,_reject_reason") == true)
        #expect(lines.dropFirst().allSatisfy { $0.contains("service/overall") })
    }

    @Test func sourcesTestSaysWhatTheFirstPageHolds() throws {
        let world = try FetchWorld { $0["pageSize"] = 100 }
        try world.control("add?count=150")
        let result = try world.run(["sources", "test", "kobo"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("100 records on the first page, 150 in all; more pages follow"), "\(result.stdout)")
        #expect(result.stdout.contains("their fields answer 3 of the 3 questions of form service"))
        #expect(result.stdout.contains("of this page: 100 new, 0 already stored, 0 would be rejected"))
        #expect(try world.count() == 0)
    }

    @Test func twoFetchesOfOneSourceAtOnceStoreEachSubmissionOnce() throws {
        let world = try FetchWorld { $0["pageSize"] = 200 }
        try world.control("add?count=2000")
        let processes = try (0..<2).map { _ in try CLI.start(["fetch", "kobo"], in: world.scratch.url, environment: FetchWorld.environment) }
        processes.forEach { $0.waitUntilExit() }
        #expect(processes.map(\.terminationStatus) == [0, 0])
        #expect(try world.count() == 2000)
        #expect(try world.integrityCheck() == "ok")
        // The totals add up whichever fetch stored which page, and the cursor reached the newest.
        let stored = try world.query { db in try Int.fetchOne(db, sql: "SELECT stored FROM source_state WHERE name = 'kobo'") }
        #expect(stored == 2000)
        #expect(try world.cursor("kobo") == Self.koboTime(2000))
    }

    @Test func aMissingSecretIsNamedAndNothingIsSent() throws {
        let world = try FetchWorld()
        try world.control("add?count=5")
        let result = try world.run(["fetch", "kobo"], environment: ["KOBO_TOKEN": ""])
        #expect(result.status == 1)
        #expect(result.stderr.contains("source kobo: the environment variable KOBO_TOKEN is not set"), "\(result.stderr)")
        #expect(try world.stats().requests == 0)
    }

    @Test func aBrokenSourceConfigIsReportedByPath() throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(at: scratch.path("forms"), withIntermediateDirectories: true)
        try Data(FetchWorld.form.utf8).write(to: scratch.path("forms/service.json"))
        let pasted = "kXq3-pasted-secret-value!"
        try Data(
            """
            {"sources": [
              {"name": "a", "kind": "kobe", "url": "https://kf.example.org/api/v2/assets/x/data/", "form": "service"},
              {"name": "b", "kind": "odk", "url": "https://u:\(pasted)@central.example.org/v1/projects/1/forms/f.svc/Submissions", "form": "service"},
              {"name": "c", "kind": "json", "url": "https://api.example.org/x", "form": "service", "auth": {"scheme": "token", "env": "\(pasted)"}}
            ]}
            """.utf8
        ).write(to: scratch.path("feedback.json"))
        let result = try CLI.run(["fetch"], in: scratch.url)
        #expect(result.status == 1)
        #expect(result.stderr.contains("feedback.json: $.sources[0].kind: \"kobe\" is not a source kind: use kobo, odk or json"), "\(result.stderr)")
        #expect(result.stderr.contains("feedback.json: $.sources[1].url: must not hold credentials"), "\(result.stderr)")
        #expect(result.stderr.contains("feedback.json: $.sources[2].auth.env: must be the NAME of an environment variable"), "\(result.stderr)")
        #expect(!result.stderr.contains(pasted))
    }
}
