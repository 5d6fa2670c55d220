import CCurl

/// What the linked libcurl is and can do.
public enum CurlRuntime {
    /// libcurl's global set-up, done once (a Swift static is initialised exactly once, under a lock) before
    /// any handle is made, because curl_global_init is not thread-safe.
    static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// The libcurl version string, such as "7.88.1".
    public static var version: String {
        _ = initialized
        return String(cString: feedback_curl_version_info().pointee.version)
    }

    /// The protocols the linked libcurl speaks.
    public static var protocols: [String] {
        _ = initialized
        var result: [String] = []
        guard var cursor = feedback_curl_version_info().pointee.protocols else { return result }
        while let name = cursor.pointee {
            result.append(String(cString: name))
            cursor += 1
        }
        return result
    }

    /// Whether the linked libcurl can do TLS (the OpenSSL build from Debian can).
    public static var supportsTLS: Bool {
        _ = initialized
        return feedback_curl_version_info().pointee.features & CURL_VERSION_SSL != 0
    }
}
