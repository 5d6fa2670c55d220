import Foundation

/// A Python test server on 127.0.0.1, on a port the system picked: the script prints the port on its
/// first line of output and serves until its standard input (held here) closes, so a crashed test
/// cannot leave it behind. `stop()` ends it at once.
public final class PythonServer {
    public let port: Int
    public let scheme: String
    private let process = Process()
    private let input = Pipe()

    /// Starts `python3 SCRIPT ARGUMENTS`, adding `--cert` and `--key` when given certificates.
    public init(script: URL, arguments: [String] = [], certificates: TestCertificates? = nil) throws {
        var all = ["python3", script.path] + arguments
        if let certificates {
            all += ["--cert", certificates.serverCertificate.path, "--key", certificates.serverKey.path]
        }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = all
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
            throw TestServerError(description: "\(script.lastPathComponent) did not start: \(reason)")
        }
        self.port = port
        scheme = certificates == nil ? "http" : "https"
    }

    public func url(_ path: String, host: String = "127.0.0.1") -> String {
        "\(scheme)://\(host):\(port)\(path)"
    }

    public func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit {
        stop()
    }
}

public struct TestServerError: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}
