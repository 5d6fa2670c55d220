import CCurl
import Foundation

/// How long to wait before the next attempt, from the options and the failed response.
struct RetryPolicy: Sendable {
    var options: HTTPOptions

    /// Retry-After when the server gave one (capped at `retryAfterCap`); otherwise full-jitter exponential
    /// backoff for retry number `retry` (0 for the first retry). `unit` is a draw from [0, 1].
    func delay(beforeRetry retry: Int, retryAfter: Double?, unit: Double) -> Double {
        if let retryAfter {
            return min(max(retryAfter, 0), max(options.retryAfterCap, 0))
        }
        // Doubles, so a large retry count saturates at infinity and the cap, instead of overflowing.
        let ceiling = min(max(options.backoffCap, 0), max(options.backoffBase, 0) * pow(2, Double(retry)))
        return ceiling * min(max(unit, 0), 1)
    }

    /// Seconds to wait according to a Retry-After value: delay-seconds, or an HTTP date (any of the three
    /// forms HTTP allows, parsed by libcurl's curl_getdate) measured from `now`. Nil when unreadable.
    static func retryAfterSeconds(_ value: String, now: Date = Date()) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        if trimmed.allSatisfy({ $0.isASCII && $0.isNumber }) {
            // An absurdly long digit string overflows Int: treat it as "very long", which the cap bounds.
            return Double(trimmed) ?? .infinity
        }
        let timestamp = curl_getdate(trimmed, nil)
        guard timestamp != -1 else { return nil }
        return max(0, Double(timestamp) - now.timeIntervalSince1970)
    }
}
