import FeedbackKit
import Foundation

/// Runs the built `feedback` binary the way a user would, capturing its output and exit status.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The binary SwiftPM built beside this test bundle (or FEEDBACK_BINARY).
    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["FEEDBACK_BINARY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("feedback")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/feedback")
    }()

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs `feedback ARGS` in `directory` with NO_COLOR set; output goes through files so that
    /// a large output cannot fill a pipe and block the child.
    static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> Result {
        let process = process(arguments, in: directory, environment: environment)
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("feedback-out-\(UUID().uuidString)")
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("feedback-err-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Result(
            status: process.terminationStatus,
            stdout: try String(contentsOf: outURL, encoding: .utf8),
            stderr: try String(contentsOf: errURL, encoding: .utf8))
    }
}

extension CLI {
    /// `feedback ARGS` to be run in `directory`, with the test's environment, NO_COLOR and `environment`.
    static func process(_ arguments: [String], in directory: URL, environment: [String: String]) -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        return process
    }

    /// Starts `feedback ARGS` in `directory` and returns at once, its output discarded: for tests that
    /// kill it or run several at a time.
    static func start(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> Process {
        let process = process(arguments, in: directory, environment: environment)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs another program (python3, diff) and returns its standard output.
    static func shell(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("feedback-shell-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        let handle = try FileHandle(forWritingTo: out)
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return try String(contentsOf: out, encoding: .utf8)
    }
}

/// A fresh folder for one test, removed when the value is released.
final class Scratch {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("feedback-e2e-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> URL {
        url.appendingPathComponent(name)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

extension CLI {
    /// Runs `feedback ARGS` like `run`, and also returns its peak resident memory in KiB, as the
    /// kernel counted it for that child alone (through a python3 parent that waits for it).
    static func runMeasuringMemory(_ arguments: [String], in directory: URL) throws -> (result: Result, peakKiB: Int) {
        let script = """
            import resource, subprocess, sys
            with open(sys.argv[1], "w") as out, open(sys.argv[2], "w") as err:
                status = subprocess.run(sys.argv[4:], cwd=sys.argv[3], stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                        env=dict(__import__("os").environ, NO_COLOR="1")).returncode
            print(status, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
            """
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("feedback-mem-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("out").path
        let err = scratch.appendingPathComponent("err").path
        let printed = try shell("python3", ["-c", script, out, err, directory.path, binary.path] + arguments)
        let fields = printed.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard fields.count == 2 else { throw WorkspaceError("could not measure \(arguments): \(printed)") }
        let result = Result(
            status: Int32(fields[0]), stdout: try String(contentsOf: URL(fileURLWithPath: out), encoding: .utf8),
            stderr: try String(contentsOf: URL(fileURLWithPath: err), encoding: .utf8))
        return (result, fields[1])
    }
}
