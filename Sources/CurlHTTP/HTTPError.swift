import Foundation

/// A failed GET: what kind of failure, the URL without credentials, what went wrong, and the start of the
/// body when the server answered with an error status. Never holds a request header.
public struct HTTPError: LocalizedError, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The URL or a header could not be sent as given; nothing went out.
        case invalidRequest
        /// A scheme other than http or https, asked for or redirected to.
        case forbiddenScheme
        /// Name resolution or the TCP connection failed.
        case connect
        /// The certificate did not verify, or the TLS handshake failed.
        case tls
        case timeout
        case tooLarge
        case tooManyRedirects
        /// The connection broke mid-response or the response was malformed.
        case transfer
        /// The response could not be read: a malformed reply or content encoding.
        case badResponse
        /// The server answered with a status outside 2xx.
        case status(Int)
        /// libcurl refused its set-up (too old a libcurl, out of memory).
        case libcurl
    }

    public var kind: Kind
    /// The requested URL, redacted (`URLRedaction`).
    public var url: String
    public var message: String
    /// The first ~200 characters of a non-2xx body, control characters blanked; nil when there was none.
    public var bodyExcerpt: String?
    /// How many attempts were made before giving up.
    public var attempts: Int

    /// `url` is redacted here, so no error can carry credentials whoever builds it.
    public init(_ kind: Kind, url: String, message: String, bodyExcerpt: String? = nil, attempts: Int = 1) {
        self.kind = kind
        self.url = URLRedaction.redact(url)
        self.message = message
        self.bodyExcerpt = bodyExcerpt
        self.attempts = attempts
    }

    public var errorDescription: String? {
        var text = "GET \(url): \(message)"
        if attempts > 1 { text += " (after \(attempts) attempts)" }
        if let bodyExcerpt { text += "; the body begins: \(bodyExcerpt)" }
        return text
    }

    /// Whether another attempt may succeed: overload (429), server errors, timeouts and broken connections.
    /// A 4xx other than 429 means the request itself is wrong, and TLS or limit failures repeat identically.
    var isRetryable: Bool {
        switch kind {
        case .status(let code): code == 429 || (500...599).contains(code)
        case .timeout, .connect, .transfer: true
        case .invalidRequest, .forbiddenScheme, .tls, .tooLarge, .tooManyRedirects, .badResponse, .libcurl: false
        }
    }

    /// The printable start of an error body: invalid UTF-8 replaced, control and format characters and runs
    /// of white space folded to one space, so an HTML error page still reads on one line.
    public static func excerpt(of body: [UInt8], limit: Int = 200) -> String? {
        let text = String(decoding: body.prefix(limit * 4), as: UTF8.self)
        var folded = ""
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            // Format characters (bidi overrides and the like) could disguise the text on a terminal.
            let category = scalar.properties.generalCategory
            if scalar.properties.isWhitespace || category == .control || category == .format {
                pendingSpace = !folded.isEmpty
                continue
            }
            if pendingSpace {
                folded.append(" ")
                pendingSpace = false
            }
            folded.unicodeScalars.append(scalar)
        }
        guard !folded.isEmpty else { return nil }
        guard folded.count > limit else { return folded }
        return String(folded.prefix(limit)) + "…"
    }
}
