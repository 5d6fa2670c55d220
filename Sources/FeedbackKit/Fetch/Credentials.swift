import CurlHTTP
import Foundation

/// A source's Authorization header, read from the environment, and what masks it in every message.
struct Credentials {
    var header: (name: String, value: String)?
    /// Masks the header's value, the secret itself and any credentials in the source's URL.
    let scrubber: SecretScrubber

    static let none = Credentials(header: nil, url: "", secrets: [])

    /// Reads the secret named by the source's auth from `environment`.
    init(source: SourceConfig, environment: [String: String]) throws {
        guard let auth = source.auth else {
            self.init(header: nil, url: source.url, secrets: [])
            return
        }
        func read(_ name: String, what: String) throws -> String {
            guard let value = environment[name], !value.isEmpty else {
                throw FetchError(
                    source: source.name,
                    message:
                        "the environment variable \(name) is not set (auth.\(what) of this source in feedback.json names it); export it before fetching, such as `export \(name)=…`"
                )
            }
            if value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
                throw FetchError(source: source.name, message: "the environment variable \(name) holds a line break: it cannot be sent in a header")
            }
            return value
        }
        switch auth {
        case .token(let env):
            let secret = try read(env, what: "env")
            self.init(header: ("Authorization", "Token " + secret), url: source.url, secrets: [secret])
        case .bearer(let env):
            let secret = try read(env, what: "env")
            self.init(header: ("Authorization", "Bearer " + secret), url: source.url, secrets: [secret])
        case .basic(let user, let userEnv, let passwordEnv):
            let name = try user ?? read(userEnv ?? "", what: "userEnv")
            let password = try read(passwordEnv, what: "env")
            let encoded = Data("\(name):\(password)".utf8).base64EncodedString()
            self.init(header: ("Authorization", "Basic " + encoded), url: source.url, secrets: [password])
        }
    }

    private init(header: (name: String, value: String)?, url: String, secrets: [String]) {
        self.header = header
        scrubber = SecretScrubber(request: HTTPRequest(url: url, headers: header.map { [$0] } ?? []), also: secrets)
    }

    /// `text` with every secret replaced by ***.
    func scrub(_ text: String) -> String {
        scrubber.scrub(text)
    }
}

/// A fetch that failed: which source, and what went wrong (credentials never included).
public struct FetchError: LocalizedError, Sendable, Equatable {
    public var source: String
    public var message: String

    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }

    public var errorDescription: String? { "source \(source): \(message)" }
}
