import CCurl
import Foundation

/// The HTTP(S) client of `feedback fetch`: GET through libcurl, with the limits, redirects, trust and
/// retries of its `HTTPOptions`.
public final class CurlHTTPClient: HTTPTransport {
    public let options: HTTPOptions
    /// Injected so that tests can record the backoff instead of waiting it out.
    private let sleep: @Sendable (Double) -> Void
    private let handles = EasyHandlePool()

    public init(
        options: HTTPOptions,
        sleep: @escaping @Sendable (Double) -> Void = { seconds in
            if seconds > 0 { Thread.sleep(forTimeInterval: seconds) }
        }
    ) {
        self.options = options
        self.sleep = sleep
    }

    public func get(_ request: HTTPRequest) throws -> HTTPResponse {
        try Self.validate(request)
        let scrubber = SecretScrubber(request: request)
        let policy = RetryPolicy(options: options)
        let allowed = max(0, options.retries) + 1
        var attempt = 1
        while true {
            switch try perform(request, scrubber: scrubber) {
            case .success(let response):
                return response
            case .failure(let failure):
                var error = failure.error
                error.attempts = attempt
                guard error.isRetryable, attempt < allowed else { throw error }
                sleep(policy.delay(beforeRetry: attempt - 1, retryAfter: failure.retryAfter, unit: Double.random(in: 0...1)))
                attempt += 1
            }
        }
    }

    private func perform(_ request: HTTPRequest, scrubber: SecretScrubber) throws -> Result<HTTPResponse, AttemptFailure> {
        guard CurlRuntime.initialized, let handle = handles.take() else {
            throw HTTPError(.libcurl, url: request.url, message: "libcurl could not be initialised")
        }
        defer { handles.giveBack(handle) }
        return CurlTransfer(handle: handle, request: request, options: options, scrubber: scrubber).run()
    }

    /// Refuses, before anything is sent, a scheme other than http(s) and a header that would split into
    /// several (a line break in a value). Names the header, never its value.
    private static func validate(_ request: HTTPRequest) throws {
        let scheme = URLParts(request.url).prefix.lowercased()
        guard scheme == "http://" || scheme == "https://" else {
            let shown = scheme.isEmpty ? "no scheme" : "\"\(scheme.dropLast(3))\""
            throw HTTPError(.forbiddenScheme, url: request.url, message: "only http and https URLs can be fetched, this one has \(shown)")
        }
        for header in request.headers {
            let nameIsToken =
                !header.name.isEmpty
                && header.name.unicodeScalars.allSatisfy {
                    $0.isASCII && $0.value > 32 && $0.value < 127 && !"()<>@,;:\\\"/[]?={}".unicodeScalars.contains($0)
                }
            guard nameIsToken else {
                throw HTTPError(.invalidRequest, url: request.url, message: "the header name \"\(header.name)\" is not a valid HTTP token")
            }
            guard !header.value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
                throw HTTPError(.invalidRequest, url: request.url, message: "the value of header \(header.name) holds a line break or NUL")
            }
        }
    }
}

/// Easy handles kept between requests: libcurl keeps a handle's open connections and TLS sessions across
/// curl_easy_reset, so paging through one server does not reconnect for every page. A handle serves one
/// request at a time; concurrent requests take (or make) handles of their own.
final class EasyHandlePool: @unchecked Sendable {
    // @unchecked: `idle` holds raw C pointers, and is only touched under `lock`.
    private let lock = NSLock()
    private var idle: [UnsafeMutableRawPointer] = []
    private let capacity = 4

    func take() -> UnsafeMutableRawPointer? {
        lock.withLock { idle.popLast() } ?? curl_easy_init()
    }

    /// The handle comes back already reset by its transfer.
    func giveBack(_ handle: UnsafeMutableRawPointer) {
        let kept = lock.withLock {
            guard idle.count < capacity else { return false }
            idle.append(handle)
            return true
        }
        if !kept { curl_easy_cleanup(handle) }
    }

    deinit {
        for handle in idle { curl_easy_cleanup(handle) }
    }
}
