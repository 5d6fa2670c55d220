import CurlHTTP
import Foundation
import Testing

/// Requests against a real server on 127.0.0.1: bodies, headers, encodings, redirects, secrets.
struct CurlHTTPClientTests {
    static let token = "Token s3cr3t-kobo-0123456789"

    @Test func returnsJSONBodyAndHeadersAndSendsTheRequestHeaders() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let url = server.url("/echo")
        let response = try SleepRecorder().client().get(
            HTTPRequest(url: url, headers: [(name: "Authorization", value: Self.token), (name: "Accept", value: "application/json")]))

        #expect(response.status == 200)
        #expect(response.url == url)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.header("X-FIXTURE-NAME") == "echo")
        #expect(response.headers["x-fixture-name"] == "echo")
        #expect(response.headers.keys.allSatisfy { $0 == $0.lowercased() })
        let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        let received = try #require(json?["headers"] as? [String: String])
        #expect(received["authorization"] == Self.token)
        #expect(received["accept"] == "application/json")
        #expect(received["user-agent"] == "feedback/test")
        #expect(received["accept-encoding"]?.contains("gzip") == true)
    }

    @Test func authorizationNeverAppearsInAnError() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let recorder = SleepRecorder()
        // The server echoes the credential it rejects into its error page.
        let request = HTTPRequest(url: server.url("/status/401/echo?echo=1"), headers: [(name: "Authorization", value: Self.token)])
        let error = try #require(throws: HTTPError.self) { try recorder.client().get(request) }

        #expect(error.kind == .status(401))
        #expect(error.attempts == 1)
        #expect(recorder.delays.isEmpty)
        let excerpt = try #require(error.bodyExcerpt)
        #expect(excerpt.contains("rejected credentials: ***"))
        for text in [error.message, excerpt, error.localizedDescription, "\(error)", String(reflecting: error)] {
            #expect(!text.contains("s3cr3t"))
        }
    }

    @Test func errorURLHasNoCredentials() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let url = "http://reader:pw-hunter2@127.0.0.1:\(server.port)/status/404/credentials?token=tk-987654&limit=5"
        let error = try #require(throws: HTTPError.self) { try SleepRecorder().client().get(HTTPRequest(url: url)) }

        #expect(error.kind == .status(404))
        #expect(error.url == "http://127.0.0.1:\(server.port)/status/404/credentials?token=***&limit=5")
        for text in [error.localizedDescription, "\(error)"] {
            #expect(!text.contains("hunter2"))
            #expect(!text.contains("tk-987654"))
            #expect(text.contains("token=***"))
        }
    }

    @Test func gzipBodyIsDecoded() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let response = try SleepRecorder().client().get(HTTPRequest(url: server.url("/gzip")))

        #expect(response.header("content-encoding") == "gzip")
        #expect(response.body.count == Int(response.header("x-plain-length") ?? ""))
        let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        #expect((json?["results"] as? [Any])?.count == 50)
    }

    @Test func htmlWhereJSONWasExpectedIsReturnedAsIs() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let response = try SleepRecorder().client().get(HTTPRequest(url: server.url("/html")))

        #expect(response.status == 200)
        #expect(response.header("content-type") == "text/html")
        #expect(String(decoding: response.body, as: UTF8.self).hasPrefix("<!DOCTYPE html>"))
    }

    @Test func redirectIsFollowedAndHeadersAreTheLastResponses() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let response = try SleepRecorder().client().get(HTTPRequest(url: server.url("/redirect?to=/echo")))

        #expect(response.status == 200)
        #expect(response.url == server.url("/echo"))
        #expect(response.header("x-fixture-name") == "echo")
        #expect(response.header("location") == nil)
    }

    @Test func redirectLoopStopsAfterMaxRedirects() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let recorder = SleepRecorder()
        let error = try #require(throws: HTTPError.self) { try recorder.client().get(HTTPRequest(url: server.url("/loop/0"))) }

        #expect(error.kind == .tooManyRedirects)
        #expect(error.message.contains("5 redirects"))
        #expect(error.attempts == 1)
        #expect(recorder.delays.isEmpty)
        // The first request and five redirects followed; the sixth is refused.
        #expect(try server.hits("/loop/5") == 1)
        #expect(try server.hits("/loop/6") == 0)
    }

    @Test func redirectToFileIsRefused() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let error = try #require(throws: HTTPError.self) {
            try SleepRecorder().client().get(HTTPRequest(url: server.url("/redirect?to=file:///etc/passwd")))
        }

        #expect(error.kind == .forbiddenScheme)
        #expect(error.message.contains("file"))
        #expect(error.message.contains("only http and https"))
        #expect(error.bodyExcerpt == nil)
    }

    @Test(arguments: ["file:///etc/passwd", "ftp://127.0.0.1/data.json", "127.0.0.1/data.json", "gopher://127.0.0.1/"])
    func otherSchemesAreRefusedBeforeAnythingIsSent(url: String) throws {
        let error = try #require(throws: HTTPError.self) { try SleepRecorder().client().get(HTTPRequest(url: url)) }
        #expect(error.kind == .forbiddenScheme)
        #expect(error.attempts == 1)
    }

    @Test func headerWithALineBreakIsRefusedWithoutShowingItsValue() throws {
        let request = HTTPRequest(url: "http://127.0.0.1:9/", headers: [(name: "Authorization", value: "Token abc\r\nX-Injected: 1")])
        let error = try #require(throws: HTTPError.self) { try SleepRecorder().client().get(request) }

        #expect(error.kind == .invalidRequest)
        #expect(error.message.contains("Authorization"))
        #expect(!error.localizedDescription.contains("abc"))
    }
}

/// The client as the fetch command uses it: one instance, many requests, several threads.
struct CurlHTTPClientReuseTests {
    @Test func credentialsAreNotForwardedToAnotherHost() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        // localhost is the same server under another name: to libcurl, another host.
        let request = HTTPRequest(
            url: server.url("/redirect?to=" + server.url("/echo", host: "localhost")),
            headers: [(name: "Authorization", value: CurlHTTPClientTests.token)])
        let response = try SleepRecorder().client().get(request)

        #expect(response.url == server.url("/echo", host: "localhost"))
        let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        let received = try #require(json?["headers"] as? [String: String])
        #expect(received["authorization"] == nil)
    }

    @Test func clientServesAgainAfterAnAbortedTransfer() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let client = SleepRecorder().client { $0.maxBodyBytes = 64 << 10 }
        #expect(throws: HTTPError.self) { try client.get(HTTPRequest(url: server.url("/big?size=1048576&mode=chunked"))) }
        let response = try client.get(HTTPRequest(url: server.url("/echo")))

        #expect(response.status == 200)
        #expect(response.header("x-fixture-name") == "echo")
    }

    @Test func oneClientServesConcurrentRequests() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let client = SleepRecorder().client()
        let url = server.url("/echo")
        let statuses = ConcurrentResults()
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            let status = (try? client.get(HTTPRequest(url: url + "?n=\(index)")).status) ?? 0
            statuses.append(status)
        }

        #expect(statuses.values == Array(repeating: 200, count: 8))
        #expect(try server.hits("/echo") == 8)
    }
}

/// Collects results from several threads.
final class ConcurrentResults: @unchecked Sendable {
    // @unchecked: `stored` is only touched under `lock`.
    private let lock = NSLock()
    private var stored: [Int] = []

    var values: [Int] { lock.withLock { stored } }

    func append(_ value: Int) {
        lock.withLock { stored.append(value) }
    }
}
