import Foundation
import Testing

@testable import CurlHTTP

/// The backoff arithmetic, Retry-After parsing, body excerpts and header collection, without a server.
struct RetryPolicyTests {
    let policy = RetryPolicy(options: HTTPOptions(userAgent: "feedback/test"))

    @Test func backoffCeilingDoublesUpToTheCap() {
        let ceilings = (0..<8).map { policy.delay(beforeRetry: $0, retryAfter: nil, unit: 1) }
        #expect(ceilings == [0.5, 1, 2, 4, 8, 16, 30, 30])
        #expect(policy.delay(beforeRetry: 3, retryAfter: nil, unit: 0) == 0)
        #expect(policy.delay(beforeRetry: 3, retryAfter: nil, unit: 0.25) == 1)
        #expect(policy.delay(beforeRetry: 10_000, retryAfter: nil, unit: 1) == 30)
    }

    @Test func retryAfterReplacesBackoffAndIsCapped() {
        #expect(policy.delay(beforeRetry: 0, retryAfter: 7, unit: 1) == 7)
        #expect(policy.delay(beforeRetry: 0, retryAfter: 3600, unit: 1) == 120)
        #expect(policy.delay(beforeRetry: 0, retryAfter: .infinity, unit: 1) == 120)
    }

    @Test func retryAfterValuesAreRead() {
        // 1994-11-06 08:49:37 UTC, the example date of the HTTP specification, in its three forms.
        let date = Date(timeIntervalSince1970: 784_111_777)
        let tenSecondsBefore = date.addingTimeInterval(-10)
        #expect(RetryPolicy.retryAfterSeconds("1") == 1)
        #expect(RetryPolicy.retryAfterSeconds(" 120 ") == 120)
        #expect(RetryPolicy.retryAfterSeconds("Sun, 06 Nov 1994 08:49:37 GMT", now: tenSecondsBefore) == 10)
        #expect(RetryPolicy.retryAfterSeconds("Sunday, 06-Nov-94 08:49:37 GMT", now: tenSecondsBefore) == 10)
        #expect(RetryPolicy.retryAfterSeconds("Sun Nov  6 08:49:37 1994", now: tenSecondsBefore) == 10)
        #expect(RetryPolicy.retryAfterSeconds("Sun, 06 Nov 1994 08:49:37 GMT", now: date.addingTimeInterval(60)) == 0)
        #expect(RetryPolicy.retryAfterSeconds("") == nil)
        #expect(RetryPolicy.retryAfterSeconds("soon") == nil)
    }

    @Test func bodyExcerptIsPrintableAndShort() {
        #expect(HTTPError.excerpt(of: Array("  line one\r\n\tline\u{0} two\u{202E}  ".utf8)) == "line one line two")
        #expect(HTTPError.excerpt(of: [0xFF, 0x41]) == "\u{FFFD}A")
        #expect(HTTPError.excerpt(of: Array(String(repeating: "é", count: 500).utf8)) == String(repeating: "é", count: 200) + "…")
        #expect(HTTPError.excerpt(of: Array(" \n\t".utf8)) == nil)
        #expect(HTTPError.excerpt(of: []) == nil)
    }

    @Test func headersOfTheLastResponseAreKept() {
        let state = TransferState(maxBodyBytes: 10)
        for line in [
            "HTTP/1.1 302 Found\r\n", "Location: /next\r\n", "Set-Cookie: a=1\r\n", "\r\n",
            "HTTP/2 200\r\n", "Content-Type: application/json\r\n", "Link: <a>\r\n", "LINK: <b>\r\n",
            "X-Folded: first\r\n", " second\r\n", "\r\n",
        ] {
            line.utf8CString.withUnsafeBytes { state.receiveHeaderLine(UnsafeRawBufferPointer(rebasing: $0.dropLast())) }
        }
        #expect(state.headers == ["content-type": "application/json", "link": "<a>, <b>", "x-folded": "first second"])
    }

    @Test func bodyPastTheCapIsRefused() {
        let state = TransferState(maxBodyBytes: 10)
        let six: [UInt8] = Array(repeating: 1, count: 6)
        #expect(six.withUnsafeBytes { state.receiveBody($0) })
        #expect(!six.withUnsafeBytes { state.receiveBody($0) })
        #expect(state.bodyOverCap)
        #expect(state.body.count == 6)
    }
}
