/// Limits and policies of a `CurlHTTPClient`: time, size, redirects, trust and retries.
public struct HTTPOptions: Sendable, Equatable {
    /// Seconds to open the connection (TCP and TLS).
    public var connectTimeout: Double = 10
    /// Seconds for a whole attempt, body included.
    public var totalTimeout: Double = 120
    /// A server trickling under `lowSpeedLimit` bytes/s for this many seconds is cut off (whole seconds,
    /// rounded up: libcurl counts in seconds).
    public var lowSpeedTime: Double = 30
    public var lowSpeedLimit: Int = 10
    /// The largest decoded body accepted, enforced as bytes arrive (bodies without Content-Length too).
    public var maxBodyBytes: Int = 64 << 20
    public var maxRedirects: Int = 5
    /// A PEM file of extra CA certificates, for a server signed by an internal CA. It takes the place of
    /// libcurl's default CA bundle file; libcurl's default CA directory stays in force, and on Debian's
    /// libcurl that directory (/etc/ssl/certs) holds the system CAs, so public servers still verify.
    /// Verification itself can never be switched off.
    public var caBundle: String?
    /// Sent as User-Agent: "feedback/<version>".
    public var userAgent: String
    /// Further attempts after a 429, a 5xx, a timeout or a failed connection.
    public var retries: Int = 4
    /// Backoff before retry n (from 0) is uniform in [0, min(backoffCap, backoffBase·2ⁿ)] ("full jitter",
    /// so many clients do not retry in step); a Retry-After from the server takes its place, capped at
    /// `retryAfterCap`.
    public var backoffBase: Double = 0.5
    public var backoffCap: Double = 30
    public var retryAfterCap: Double = 120

    public init(userAgent: String) {
        self.userAgent = userAgent
    }
}
