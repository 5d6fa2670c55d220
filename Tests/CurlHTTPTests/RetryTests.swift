import CurlHTTP
import Foundation
import Testing

/// Which failures are retried, how many times, and how long the client waits between attempts.
struct RetryTests {
    @Test func tooManyRequestsHonoursRetryAfterSeconds() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let recorder = SleepRecorder()
        let response = try recorder.client().get(HTTPRequest(url: server.url("/flaky/429?status=429&times=1&retry_after=1")))

        #expect(response.status == 200)
        #expect(recorder.delays == [1])
        #expect(try server.hits("/flaky/429") == 2)
    }

    @Test func retryAfterAsHTTPDateIsHonoured() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let recorder = SleepRecorder()
        let response = try recorder.client().get(HTTPRequest(url: server.url("/flaky-date/503?seconds=3")))

        #expect(response.status == 200)
        // The date has whole seconds, and a moment passes between the server writing it and the client reading it.
        #expect(recorder.delays.count == 1)
        #expect(recorder.delays.allSatisfy { $0 > 1 && $0 <= 3 })
    }

    @Test func retryAfterIsCapped() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let recorder = SleepRecorder()
        let client = recorder.client { $0.retryAfterCap = 2 }
        _ = try client.get(HTTPRequest(url: server.url("/flaky/cap?status=503&times=1&retry_after=3600")))

        #expect(recorder.delays == [2])
    }

    @Test func serverErrorThenSuccessNeedsOneRetry() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let recorder = SleepRecorder()
        let response = try recorder.client().get(HTTPRequest(url: server.url("/flaky/500?status=500&times=1")))

        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"attempt": 2}"#)
        #expect(recorder.delays.count == 1)
        #expect(recorder.delays.allSatisfy { $0 >= 0 && $0 <= 0.5 })
    }

    @Test func serverErrorForeverFailsAfterAllAttemptsWithTheBodyExcerpt() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let recorder = SleepRecorder()
        let error = try #require(throws: HTTPError.self) {
            try recorder.client().get(HTTPRequest(url: server.url("/status/500/forever")))
        }

        #expect(error.kind == .status(500))
        #expect(error.attempts == 5)
        #expect(try server.hits("/status/500/forever") == 5)
        let excerpt = try #require(error.bodyExcerpt)
        #expect(excerpt.hasPrefix("<html> <body> <h1>Error 500</h1> <p>database unavailable</p>"))
        #expect(excerpt.count == 201 && excerpt.hasSuffix("…"))
        #expect(!excerpt.unicodeScalars.contains { $0.properties.generalCategory == .control })
        #expect(error.localizedDescription.contains("HTTP 500"))
        #expect(error.localizedDescription.contains("after 5 attempts"))
        // Full jitter under a doubling ceiling: 0.5, 1, 2, 4 seconds.
        #expect(recorder.delays.count == 4)
        for (retry, delay) in recorder.delays.enumerated() {
            #expect(delay >= 0 && delay <= 0.5 * Double(1 << retry))
        }
    }

    @Test func notFoundIsNotRetried() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let recorder = SleepRecorder()
        let error = try #require(throws: HTTPError.self) {
            try recorder.client().get(HTTPRequest(url: server.url("/status/404/once")))
        }

        #expect(error.kind == .status(404))
        #expect(error.attempts == 1)
        #expect(recorder.delays.isEmpty)
        #expect(try server.hits("/status/404/once") == 1)
    }

    @Test func refusedConnectionIsRetried() throws {
        let port = try RefusingPort()
        defer { port.close() }
        let recorder = SleepRecorder()
        let error = try #require(throws: HTTPError.self) {
            try recorder.client { $0.retries = 2 }.get(HTTPRequest(url: "http://127.0.0.1:\(port.port)/data"))
        }

        #expect(error.kind == .connect)
        #expect(error.attempts == 3)
        #expect(recorder.delays.count == 2)
    }
}
