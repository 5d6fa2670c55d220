import CurlHTTP
import Foundation
import TestServers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fixtures/fixture_server.py running on 127.0.0.1 on a port the system picked, for one test. `stop()`
/// ends it; should a test crash instead, the script exits when its stdin (held here) closes.
final class FixtureServer {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fixture_server.py")

    private let server: PythonServer
    var port: Int { server.port }
    var scheme: String { server.scheme }

    init(certificates: TestCertificates? = nil) throws {
        server = try PythonServer(script: Self.script, certificates: certificates)
    }

    func url(_ path: String, host: String = "127.0.0.1") -> String {
        server.url(path, host: host)
    }

    /// How many requests the server has seen for `path` (its path part, without the query).
    func hits(_ path: String, certificates: TestCertificates? = nil) throws -> Int {
        var options = HTTPOptions.forTests
        options.caBundle = certificates?.caFile.path
        let response = try CurlHTTPClient(options: options).get(HTTPRequest(url: url("/hits" + path)))
        let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        guard let count = json?["count"] as? Int else { throw FixtureError(description: "no count for \(path)") }
        return count
    }

    func stop() {
        server.stop()
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

extension HTTPOptions {
    /// Options for a test: the defaults, with times short enough that a fault cannot hang the suite.
    static var forTests: HTTPOptions {
        var options = HTTPOptions(userAgent: "feedback/test")
        options.connectTimeout = 5
        options.totalTimeout = 10
        return options
    }
}

/// Stands in for the client's sleep: records each backoff instead of waiting it out.
final class SleepRecorder: @unchecked Sendable {
    // @unchecked: `recorded` is only touched under `lock`.
    private let lock = NSLock()
    private var recorded: [Double] = []

    var delays: [Double] { lock.withLock { recorded } }

    var sleep: @Sendable (Double) -> Void {
        { [self] seconds in lock.withLock { recorded.append(seconds) } }
    }

    func client(_ configure: (inout HTTPOptions) -> Void = { _ in }) -> CurlHTTPClient {
        var options = HTTPOptions.forTests
        configure(&options)
        return CurlHTTPClient(options: options, sleep: sleep)
    }
}

/// A 127.0.0.1 port that refuses connections: a TCP socket bound to it but not listening, held until
/// `close()` so no other test can take the port meanwhile.
final class RefusingPort {
    let port: Int
    private let socketDescriptor: Int32

    init() throws {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw FixtureError(description: "socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard bound else {
            _ = closeSocket(descriptor)
            throw FixtureError(description: "could not bind a port")
        }
        socketDescriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() {
        _ = closeSocket(socketDescriptor)
    }
}

private func closeSocket(_ descriptor: Int32) -> Int32 {
    #if canImport(Glibc)
    Glibc.close(descriptor)
    #else
    Darwin.close(descriptor)
    #endif
}
