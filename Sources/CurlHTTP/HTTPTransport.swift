import CCurl
import Foundation

/// One GET request: where to, and the headers to send (credentials included).
public struct HTTPRequest: Sendable {
    public var url: String
    /// Sent as given, in order; a value may hold a secret (`Authorization: Token …`), so none of them
    /// is ever written into an error.
    public var headers: [(name: String, value: String)]

    public init(url: String, headers: [(name: String, value: String)] = []) {
        self.url = url
        self.headers = headers
    }
}

/// A successful (2xx) response, after redirects and content decoding.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    /// Headers of the last response in the redirect chain; names lowercased, repeated headers joined by ", ".
    public var headers: [String: String]
    /// The body as decoded (gzip and deflate undone).
    public var body: [UInt8]
    /// Where the body came from after redirects; not redacted, since next-page links are resolved against it.
    public var url: String

    public init(status: Int, headers: [String: String], body: [UInt8], url: String) {
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url
    }

    /// The server's clock when it answered (the Date header), or nil when it sent none or an unreadable one.
    public var serverDate: Date? {
        guard let value = header("date") else { return nil }
        let seconds = curl_getdate(value, nil)
        return seconds == -1 ? nil : Date(timeIntervalSince1970: Double(seconds))
    }

    /// The value of a header, whatever the case of `name`.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }
}

/// The seam between fetching and the network: sources page through an endpoint with `get`, and tests
/// put a scripted transport in its place.
public protocol HTTPTransport: Sendable {
    /// Returns a 2xx response or throws `HTTPError`; any other status is an error (`.status`), after
    /// whatever retries the transport makes.
    func get(_ request: HTTPRequest) throws -> HTTPResponse
}
