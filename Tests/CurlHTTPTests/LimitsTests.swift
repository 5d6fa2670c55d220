import CurlHTTP
import Foundation
import Testing

/// The size and time limits: a body over the cap, a server that stalls, a server that trickles.
struct LimitsTests {
    static let cap = 64 << 10

    @Test(arguments: ["chunked", "close", "length"])
    func bodyOverTheCapIsStopped(mode: String) throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let recorder = SleepRecorder()
        let client = recorder.client { $0.maxBodyBytes = Self.cap }
        let error = try #require(throws: HTTPError.self) {
            try client.get(HTTPRequest(url: server.url("/big?size=\(16 << 20)&mode=\(mode)")))
        }

        #expect(error.kind == .tooLarge)
        #expect(error.message.contains("64 KiB"))
        #expect(error.attempts == 1)
        #expect(recorder.delays.isEmpty)
    }

    @Test func bodyOfExactlyTheCapIsAccepted() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let client = SleepRecorder().client { $0.maxBodyBytes = Self.cap }
        let response = try client.get(HTTPRequest(url: server.url("/big?size=\(Self.cap)&mode=chunked")))

        #expect(response.body.count == Self.cap)
    }

    @Test func stalledServerIsCutOffByTheTotalTimeoutAndRetried() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let recorder = SleepRecorder()
        let client = recorder.client {
            $0.totalTimeout = 1.5
            $0.retries = 1
        }
        let start = Date()
        let error = try #require(throws: HTTPError.self) { try client.get(HTTPRequest(url: server.url("/stall"))) }
        let elapsed = Date().timeIntervalSince(start)

        #expect(error.kind == .timeout)
        #expect(error.attempts == 2)
        #expect(recorder.delays.count == 1)
        #expect(elapsed >= 3 && elapsed < 6)
        #expect(try server.hits("/stall") == 2)
    }

    @Test func tricklingServerIsCutOffByTheLowSpeedLimit() throws {
        let server = try FixtureServer()
        defer { server.stop() }
        let client = SleepRecorder().client {
            $0.lowSpeedLimit = 1000
            $0.lowSpeedTime = 1
            $0.retries = 0
        }
        let start = Date()
        let error = try #require(throws: HTTPError.self) { try client.get(HTTPRequest(url: server.url("/trickle"))) }

        #expect(error.kind == .timeout)
        #expect(error.message.contains("too slow"))
        #expect(Date().timeIntervalSince(start) < 5)
    }
}
