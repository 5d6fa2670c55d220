import CurlHTTP
import Foundation

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

    let port: Int
    let scheme: String
    private let process = Process()
    private let input = Pipe()

    init(certificates: TestCertificates? = nil) throws {
        var arguments = ["python3", Self.script.path]
        if let certificates {
            arguments += ["--cert", certificates.serverCertificate.path, "--key", certificates.serverKey.path]
        }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // The first line is the port; anything else means the script failed before serving.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let port = Int(text) else {
            process.terminate()
            process.waitUntilExit()
            let reason = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw FixtureError(description: "fixture_server.py did not start: \(reason)")
        }
        self.port = port
        scheme = certificates == nil ? "http" : "https"
    }

    func url(_ path: String, host: String = "127.0.0.1") -> String {
        "\(scheme)://\(host):\(port)\(path)"
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
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
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

/// A test CA and a certificate for 127.0.0.1 signed by it, made with the openssl command in a fresh
/// temporary folder.
final class TestCertificates {
    /// The openssl command on PATH, or nil: the TLS tests are skipped without it.
    static let openssl: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("openssl") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    let directory: URL
    var caFile: URL { directory.appendingPathComponent("ca.pem") }
    var serverCertificate: URL { directory.appendingPathComponent("server.pem") }
    var serverKey: URL { directory.appendingPathComponent("server.key") }

    init() throws {
        guard let openssl = Self.openssl else { throw FixtureError(description: "openssl is not on PATH") }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("feedback-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n".utf8)
            .write(to: directory.appendingPathComponent("server.ext"))
        let ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try run(
            openssl,
            ["req", "-x509"] + ecKey + [
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=feedback test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        try run(openssl, ["req"] + ecKey + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"])
        try run(
            openssl,
            [
                "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "2",
                "-days", "2", "-extfile", "server.ext", "-out", "server.pem",
            ])
    }

    private func run(_ executable: URL, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError(description: "openssl \(arguments.first ?? ""): \(String(decoding: message, as: UTF8.self))")
        }
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }
}
