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

    /// Writes a line to standard error, its control characters made visible (see `visible`).
    public func message(_ text: String) {
        Self.write(Self.visible(text) + "\n", to: .standardError)
    }

    /// Writes "error: …" to standard error, in red on a colour terminal.
    public func error(_ text: String) {
        let label = colour ? "\u{1B}[31merror:\u{1B}[0m" : "error:"
        Self.write("\(label) \(Self.visible(text))\n", to: .standardError)
    }

    public func warning(_ text: String) {
        let label = colour ? "\u{1B}[33mwarning:\u{1B}[0m" : "warning:"
        Self.write("\(label) \(Self.visible(text))\n", to: .standardError)
    }

    /// Writes a line of data to standard output: unchanged into a pipe or file, with its control
    /// characters made visible on a terminal.
    public static func output(_ text: String) {
        write((stdoutIsTerminal ? visible(text) : text) + "\n", to: .standardOutput)
    }

    private static let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1

    private static func write(_ text: String, to handle: FileHandle) {
        handle.write(Data(text.utf8))
    }

    /// The text with control characters other than newline and tab written as `\u{1B}`. Messages
    /// quote names and values from input files and servers; a terminal would obey an escape
    /// sequence among them (move the cursor, rewrite the title, hide what follows), so they are
    /// shown instead. C0 controls, DEL and the C1 range (U+0080–U+009F) are escaped.
    public static func visible(_ text: String) -> String {
        func isControl(_ v: UInt32) -> Bool { (v < 0x20 && v != 0x0A && v != 0x09) || (0x7F...0x9F).contains(v) }
        guard text.unicodeScalars.contains(where: { isControl($0.value) }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isControl(scalar.value) {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }
}
