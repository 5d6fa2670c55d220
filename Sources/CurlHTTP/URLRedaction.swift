import Foundation

/// Makes a URL fit to print: `user:password@` dropped, values of secret-bearing query keys masked, and
/// the token of an ODK Central app-user path (`/key/<token>/`) masked.
public enum URLRedaction {
    static let mask = "***"

    /// Query keys that carry secrets, compared lowercased with "-", "_" and "." removed.
    private static let secretKeys: Set<String> = [
        "token", "accesstoken", "refreshtoken", "idtoken", "authtoken", "key", "apikey", "accesskey", "password",
        "passwd", "pwd", "pass", "secret", "clientsecret", "sig", "signature", "auth", "authorization",
        "credential", "xamzcredential", "xamzsignature", "xamzsecuritytoken", "session", "sessionid", "code",
    ]
    /// Endings that mark a key as secret even when it is not listed (`kobo_token`, `x_api_key`).
    private static let secretSuffixes = ["token", "secret", "password", "signature", "apikey", "accesskey"]

    public static func redact(_ url: String) -> String {
        let parts = URLParts(url)
        var result = parts.prefix + parts.host + redactPath(parts.path)
        if let query = parts.query { result += "?" + redactPairs(query) }
        if let fragment = parts.fragment { result += "#" + redactPairs(fragment) }
        return result
    }

    static func isSecretKey(_ rawKey: Substring) -> Bool {
        let decoded = String(rawKey).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(rawKey)
        let key = decoded.lowercased().filter { $0 != "-" && $0 != "_" && $0 != "." }
        return secretKeys.contains(key) || secretSuffixes.contains { key.hasSuffix($0) }
    }

    /// The values a URL carries that must not be printed: its userinfo and its secret query values, raw
    /// and decoded (a server may echo either).
    static func secrets(in url: String) -> [String] {
        let parts = URLParts(url)
        var found: [String] = []
        if let userinfo = parts.userinfo {
            found.append(userinfo)
            found += userinfo.split(separator: ":", maxSplits: 1).dropFirst().map(String.init)
        }
        for section in [parts.query, parts.fragment].compactMap({ $0 }) {
            for pair in section.split(separator: "&") {
                guard let equals = pair.firstIndex(of: "="), isSecretKey(pair[..<equals]) else { continue }
                let value = String(pair[pair.index(after: equals)...])
                found.append(value)
                if let decoded = value.removingPercentEncoding { found.append(decoded) }
            }
        }
        let segments = parts.path.split(separator: "/", omittingEmptySubsequences: false)
        for (index, segment) in segments.enumerated() where segment == "key" && index + 1 < segments.count {
            found.append(String(segments[index + 1]))
        }
        return found
    }

    private static func redactPairs(_ text: Substring) -> String {
        text.split(separator: "&", omittingEmptySubsequences: false).map { pair in
            guard let equals = pair.firstIndex(of: "="), isSecretKey(pair[..<equals]),
                pair.index(after: equals) < pair.endIndex
            else { return String(pair) }
            return pair[...equals] + mask
        }.joined(separator: "&")
    }

    /// ODK Central app users reach forms at `/v1/key/<token>/projects/…`: the token is the credential.
    private static func redactPath(_ path: Substring) -> String {
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var index = 0
        while index + 1 < segments.count {
            if segments[index] == "key" && !segments[index + 1].isEmpty {
                segments[index + 1] = mask
                index += 1
            }
            index += 1
        }
        return segments.joined(separator: "/")
    }
}

/// A URL cut at its delimiters by hand rather than by Foundation's URL, which rejects or re-encodes some
/// of the malformed text a redactor must still cope with.
struct URLParts {
    /// Scheme and "//", as written ("https://"), or "" when absent.
    var prefix = ""
    var userinfo: String?
    /// Host and port.
    var host: Substring = ""
    var path: Substring = ""
    var query: Substring?
    var fragment: Substring?

    init(_ url: String) {
        var rest = Substring(url)
        if let separator = rest.range(of: "://") {
            let scheme = rest[..<separator.lowerBound]
            let isScheme =
                scheme.first?.isLetter == true
                && scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
            if isScheme {
                prefix = String(rest[..<separator.upperBound])
                rest = rest[separator.upperBound...]
            }
        } else if rest.hasPrefix("//") {
            prefix = "//"
            rest = rest.dropFirst(2)
        }
        let authorityEnd = rest.firstIndex { "/?#".contains($0) } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            userinfo = String(authority[..<at])
            host = authority[authority.index(after: at)...]
        } else {
            host = authority
        }
        rest = rest[authorityEnd...]
        let pathEnd = rest.firstIndex { "?#".contains($0) } ?? rest.endIndex
        path = rest[..<pathEnd]
        rest = rest[pathEnd...]
        if rest.first == "?" {
            let queryEnd = rest.firstIndex(of: "#") ?? rest.endIndex
            query = rest[rest.index(after: rest.startIndex)..<queryEnd]
            rest = rest[queryEnd...]
        }
        if rest.first == "#" {
            fragment = rest.dropFirst()
        }
    }
}

/// Masks, in text that is about to go into an error, every secret the request carried: header values
/// (whole, and their long words, such as the token after "Token ") and the URL's credentials. A server
/// that echoes the credential it rejected must not put it on the user's screen. Fetching uses it too, for
/// every message and file it writes about a source.
public struct SecretScrubber: Sendable {
    private let secrets: [String]
    /// Headers that never carry a secret; masking "application/json" would only garble messages.
    private static let plainHeaders: Set<String> = ["accept", "accept-language", "content-type", "user-agent"]

    /// `also`: further secrets that the request carries only in encoded form (a Basic password).
    public init(request: HTTPRequest, also extra: [String] = []) {
        var found = extra
        for header in request.headers where !Self.plainHeaders.contains(header.name.lowercased()) {
            let value = header.value.trimmingCharacters(in: .whitespaces)
            found.append(value)
            found += value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init).filter { $0.count >= 6 }
        }
        found += URLRedaction.secrets(in: request.url)
        // Longest first, so a whole value is masked before a word inside it; very short values would mask
        // ordinary words.
        secrets = Array(Set(found.filter { $0.count >= 4 })).sorted { $0.count > $1.count }
    }

    public func scrub(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: URLRedaction.mask) }
    }
}
