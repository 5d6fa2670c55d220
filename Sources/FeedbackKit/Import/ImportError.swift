import Foundation

/// A problem with an input file: where it is, what is wrong, and what to do about it.
public struct ImportError: LocalizedError, Sendable, Equatable {
    public var file: String
    public var line: Int?
    public var message: String
    public var hint: String?

    public init(file: String, line: Int? = nil, message: String, hint: String? = nil) {
        self.file = file
        self.line = line
        self.message = message
        self.hint = hint
    }

    public var errorDescription: String? {
        var text = file
        if let line { text += ":\(line)" }
        text += ": \(message)"
        if let hint { text += " (\(hint))" }
        return text
    }
}
