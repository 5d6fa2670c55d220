import Foundation

/// A source's Authorization header, read from the environment, and the strings that must never be shown.
struct Credentials {
    var header: (name: String, value: String)?
    /// The secret and every form it is sent in, longest first, for scrubbing messages.
    var secrets: [String]

    static let none = Credentials(header: nil, secrets: [])

    /// Reads the secret named by the source's auth from `environment`.
    init(source: SourceConfig, environment: [String: String]) throws {
        guard let auth = source.auth else {
            self = .none
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
            self.init(header: ("Authorization", "Token " + secret), secrets: [secret])
        case .bearer(let env):
            let secret = try read(env, what: "env")
            self.init(header: ("Authorization", "Bearer " + secret), secrets: [secret])
        case .basic(let user, let userEnv, let passwordEnv):
            let name = try user ?? read(userEnv ?? "", what: "userEnv")
            let password = try read(passwordEnv, what: "env")
            let encoded = Data("\(name):\(password)".utf8).base64EncodedString()
            self.init(header: ("Authorization", "Basic " + encoded), secrets: [encoded, password])
        }
    }

    private init(header: (name: String, value: String)?, secrets: [String]) {
        self.header = header
        // Short "secrets" would blank ordinary words; a real secret is not that short.
        self.secrets = secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
    }

    /// `text` with every secret replaced by ***.
    func scrub(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "***") }
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
