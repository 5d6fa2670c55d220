import CCurl
import Foundation

/// Why one attempt failed, with the server's Retry-After when it sent one.
struct AttemptFailure: Error {
    var error: HTTPError
    var retryAfter: Double?
}

/// What libcurl's callbacks fill during one attempt. They are C functions and capture nothing: they reach
/// this object through the unretained pointer given as WRITEDATA/HEADERDATA, which `CurlTransfer.run`
/// keeps alive for the whole of curl_easy_perform. Only the thread running that transfer touches it.
final class TransferState {
    let maxBodyBytes: Int
    private(set) var body: [UInt8] = []
    /// Headers of the latest response only: a redirect chain delivers several header blocks.
    private(set) var headers: [String: String] = [:]
    private(set) var bodyOverCap = false
    private var lastHeaderName: String?

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// False (and the transfer is aborted) as soon as the body would pass the cap; checked here because a
    /// chunked or close-delimited body announces no length that CURLOPT_MAXFILESIZE could check.
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count <= maxBodyBytes - body.count else {
            bodyOverCap = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        // Header bytes are ASCII in practice; anything else is kept, not rejected.
        var line = String(decoding: bytes, as: UTF8.self)
        // "\r\n" is one Character in Swift; isNewline covers it and a bare "\n".
        while let last = line.last, last.isNewline { line.removeLast() }
        if line.hasPrefix("HTTP/") {
            // A new status line: an interim (1xx), proxy CONNECT or redirect response came before.
            headers = [:]
            lastHeaderName = nil
        } else if let first = line.first, first == " " || first == "\t" {
            // An obsolete folded continuation of the previous header.
            if let name = lastHeaderName, let value = headers[name] {
                headers[name] = value + " " + line.trimmingCharacters(in: .whitespaces)
            }
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].lowercased()
            let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
            lastHeaderName = name
        }
    }
}

private func curlWriteBody(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    let length = size * count
    guard let context else { return 0 }
    guard let data, length > 0 else { return length }
    let state = Unmanaged<TransferState>.fromOpaque(context).takeUnretainedValue()
    // Returning anything but `length` makes libcurl abort with CURLE_WRITE_ERROR.
    return state.receiveBody(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
}

private func curlReceiveHeader(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    let length = size * count
    guard let context else { return 0 }
    guard let data, length > 0 else { return length }
    Unmanaged<TransferState>.fromOpaque(context).takeUnretainedValue()
        .receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
    return length
}

/// One attempt of one GET on one easy handle: set-up, transfer, and the outcome in the client's terms.
/// The handle comes freshly made or reset, and leaves reset again (keeping its open connections).
struct CurlTransfer {
    let handle: UnsafeMutableRawPointer
    let request: HTTPRequest
    let options: HTTPOptions
    let scrubber: SecretScrubber

    func run() -> Result<HTTPResponse, AttemptFailure> {
        let state = TransferState(maxBodyBytes: max(0, options.maxBodyBytes))
        // libcurl writes its detailed message here; the buffer must outlive the transfer.
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer {
            // Reset first, so the handle no longer points at the buffer and list freed next.
            curl_easy_reset(handle)
            curl_slist_free_all(headerList)
            errorBuffer.deallocate()
        }
        do {
            headerList = try configure(state: state, errorBuffer: errorBuffer)
        } catch {
            return .failure(AttemptFailure(error: error))
        }
        let code = withExtendedLifetime(state) { curl_easy_perform(handle) }
        let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        return outcome(code: code, detail: scrubber.scrub(detail), state: state)
    }

    // MARK: Set-up

    private func configure(state: TransferState, errorBuffer: UnsafeMutablePointer<CChar>) throws(HTTPError)
        -> UnsafeMutablePointer<curl_slist>?
    {
        try set(CURLOPT_ERRORBUFFER, pointer: errorBuffer)
        try set(CURLOPT_URL, request.url)
        try set(CURLOPT_HTTPGET, 1)
        // http and https only, for the first URL and after every redirect: a server must not be able to
        // send the client to file:// or ftp://. The _STR options exist from libcurl 7.85; an older
        // libcurl fails here rather than fetch unrestricted.
        try set(CURLOPT_PROTOCOLS_STR, "http,https")
        try set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        try set(CURLOPT_FOLLOWLOCATION, 1)
        try set(CURLOPT_MAXREDIRS, max(0, options.maxRedirects))
        // libcurl does not pass custom Authorization or Cookie headers on to another host when it follows
        // a redirect (CURLOPT_UNRESTRICTED_AUTH stays off).
        try set(CURLOPT_SSL_VERIFYPEER, 1)
        try set(CURLOPT_SSL_VERIFYHOST, 2)
        if let caBundle = options.caBundle {
            // Replaces the default CA file only; see HTTPOptions.caBundle for what stays trusted.
            try set(CURLOPT_CAINFO, caBundle)
        }
        // "" offers every encoding this libcurl decodes (gzip, deflate, ...), and has it decode them.
        try set(CURLOPT_ACCEPT_ENCODING, "")
        try set(CURLOPT_USERAGENT, options.userAgent)
        // Milliseconds, so fractions of a second are honoured; at least 1, since 0 would mean "no limit".
        try set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(options.connectTimeout))
        try set(CURLOPT_TIMEOUT_MS, Self.milliseconds(options.totalTimeout))
        try set(CURLOPT_LOW_SPEED_LIMIT, max(1, options.lowSpeedLimit))
        try set(CURLOPT_LOW_SPEED_TIME, Self.wholeSeconds(options.lowSpeedTime))
        // A body that announces its length over the cap is refused before any of it is read.
        try check(feedback_curl_setopt_off_t(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(max(0, options.maxBodyBytes))))
        // No signals: timeouts would otherwise use SIGALRM, which is unsafe with several threads.
        try set(CURLOPT_NOSIGNAL, 1)
        let context = Unmanaged.passUnretained(state).toOpaque()
        try check(feedback_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, curlWriteBody))
        try set(CURLOPT_WRITEDATA, pointer: context)
        try check(feedback_curl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, curlReceiveHeader))
        try set(CURLOPT_HEADERDATA, pointer: context)
        // Proxies: libcurl reads http_proxy, https_proxy and no_proxy from the environment by default.
        guard !request.headers.isEmpty else { return nil }
        var list: UnsafeMutablePointer<curl_slist>?
        for header in request.headers {
            // "Name;" is libcurl's spelling of a header with an empty value ("Name:" would remove it).
            let line = header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)"
            guard let appended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw HTTPError(.libcurl, url: request.url, message: "libcurl could not store the request headers")
            }
            list = appended
        }
        do {
            try set(CURLOPT_HTTPHEADER, pointer: UnsafeMutableRawPointer(list))
        } catch {
            curl_slist_free_all(list)
            throw error
        }
        return list
    }

    private static func milliseconds(_ seconds: Double) -> Int {
        guard seconds.isFinite else { return Int(Int32.max) }
        return Int(min(max(seconds * 1000, 1), Double(Int32.max)))
    }

    private static func wholeSeconds(_ seconds: Double) -> Int {
        guard seconds.isFinite else { return Int(Int32.max) }
        return Int(min(max(seconds.rounded(.up), 1), Double(Int32.max)))
    }

    private func set(_ option: CURLoption, _ value: Int) throws(HTTPError) {
        try check(feedback_curl_setopt_long(handle, option, value))
    }

    private func set(_ option: CURLoption, _ value: String) throws(HTTPError) {
        // libcurl copies string options, so the temporary C string may go once the call returns.
        try check(feedback_curl_setopt_string(handle, option, value))
    }

    private func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws(HTTPError) {
        try check(feedback_curl_setopt_pointer(handle, option, pointer))
    }

    private func set(_ option: CURLoption, pointer: UnsafeMutablePointer<CChar>) throws(HTTPError) {
        try check(feedback_curl_setopt_pointer(handle, option, UnsafeMutableRawPointer(pointer)))
    }

    private func check(_ code: CURLcode) throws(HTTPError) {
        guard code != CURLE_OK else { return }
        throw HTTPError(
            .libcurl, url: request.url,
            message: "libcurl \(CurlRuntime.version) refused an option: \(String(cString: curl_easy_strerror(code)))")
    }

    // MARK: Outcome

    private func outcome(code: CURLcode, detail: String, state: TransferState) -> Result<HTTPResponse, AttemptFailure> {
        let url = request.url
        func failure(_ kind: HTTPError.Kind, _ message: String) -> Result<HTTPResponse, AttemptFailure> {
            .failure(AttemptFailure(error: HTTPError(kind, url: url, message: message)))
        }
        switch code {
        case CURLE_OK:
            break
        case CURLE_WRITE_ERROR where state.bodyOverCap, CURLE_FILESIZE_EXCEEDED:
            return failure(.tooLarge, "the response body is larger than the limit of \(Self.bytes(options.maxBodyBytes))")
        case CURLE_OPERATION_TIMEDOUT:
            return failure(.timeout, "timed out (\(detail))")
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            return failure(.connect, "could not connect (\(detail))")
        case CURLE_TOO_MANY_REDIRECTS:
            return failure(.tooManyRedirects, "stopped after \(max(0, options.maxRedirects)) redirects (\(detail))")
        case CURLE_UNSUPPORTED_PROTOCOL:
            let target = redirectTarget().map { " to \(URLRedaction.redact($0))" } ?? ""
            return failure(.forbiddenScheme, "refused to follow a redirect\(target): only http and https are allowed (\(detail))")
        case CURLE_URL_MALFORMAT:
            return failure(.invalidRequest, "the URL is malformed (\(detail))")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
            CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED,
            CURLE_USE_SSL_FAILED:
            let hint = options.caBundle == nil ? "; a server signed by an internal CA needs that CA as caBundle" : ""
            return failure(.tls, "TLS failed (\(detail))\(hint)")
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_HTTP2,
            CURLE_HTTP2_STREAM:
            return failure(.transfer, "the connection broke (\(detail))")
        case CURLE_WEIRD_SERVER_REPLY, CURLE_BAD_CONTENT_ENCODING:
            return failure(.badResponse, "the server's response is malformed (\(detail))")
        default:
            return failure(.libcurl, "libcurl failed (\(detail))")
        }
        var status = 0
        _ = feedback_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var effective: UnsafeMutablePointer<CChar>?
        _ = feedback_curl_getinfo_string(handle, CURLINFO_EFFECTIVE_URL, &effective)
        let effectiveURL = effective.map { String(cString: $0) } ?? url
        if (200...299).contains(status) {
            return .success(HTTPResponse(status: status, headers: state.headers, body: state.body, url: effectiveURL))
        }
        var message = "the server answered HTTP \(status)"
        if effectiveURL != url { message += " at \(URLRedaction.redact(effectiveURL))" }
        let excerpt = HTTPError.excerpt(of: state.body).map(scrubber.scrub)
        let retryAfter = state.headers["retry-after"].flatMap { RetryPolicy.retryAfterSeconds($0) }
        return .failure(
            AttemptFailure(
                error: HTTPError(.status(status), url: url, message: message, bodyExcerpt: excerpt), retryAfter: retryAfter))
    }

    /// The Location libcurl declined to follow, when it kept it.
    private func redirectTarget() -> String? {
        var target: UnsafeMutablePointer<CChar>?
        guard feedback_curl_getinfo_string(handle, CURLINFO_REDIRECT_URL, &target) == CURLE_OK, let target else { return nil }
        return String(cString: target)
    }

    static func bytes(_ count: Int) -> String {
        if count >= 1 << 20 && count % (1 << 20) == 0 { return "\(count >> 20) MiB" }
        if count >= 1 << 10 && count % (1 << 10) == 0 { return "\(count >> 10) KiB" }
        return "\(count) bytes"
    }
}
