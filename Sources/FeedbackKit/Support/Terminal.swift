import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where messages go and how they look: data on stdout, messages on stderr, colour only on a terminal.
public struct Terminal: Sendable {
    public var stderrIsTerminal: Bool
    public var colour: Bool

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        stderrIsTerminal = isatty(STDERR_FILENO) == 1
        // https://no-color.org: any non-empty NO_COLOR turns colour off.
        let noColour = !(environment["NO_COLOR"] ?? "").isEmpty || environment["TERM"] == "dumb"
        colour = stderrIsTerminal && !noColour
    }

    /// Writes a line to standard error.
    public func message(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Writes "error: …" to standard error, in red on a colour terminal.
    public func error(_ text: String) {
        let label = colour ? "\u{1B}[31merror:\u{1B}[0m" : "error:"
        message("\(label) \(text)")
    }

    public func warning(_ text: String) {
        let label = colour ? "\u{1B}[33mwarning:\u{1B}[0m" : "warning:"
        message("\(label) \(text)")
    }

    /// Writes a line of data to standard output.
    public static func output(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
