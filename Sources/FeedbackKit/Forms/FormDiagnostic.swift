import Foundation

/// One problem found in a form or config file: `FILE: WHERE: message`.
public struct FormDiagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// A JSON path such as `$.questions[3].scale`, or "line L, column C" for syntax errors.
    public var location: String
    public var message: String

    public init(file: String, location: String, message: String) {
        self.file = file
        self.location = location
        self.message = message
    }

    public var description: String { "\(file): \(location): \(message)" }
}

/// Every problem found in one or more files; thrown when a form must be valid to go on.
public struct FormError: LocalizedError, Sendable, Equatable {
    public var diagnostics: [FormDiagnostic]

    public init(_ diagnostics: [FormDiagnostic]) {
        self.diagnostics = diagnostics
    }

    public init(file: String, location: String = "$", message: String) {
        self.diagnostics = [FormDiagnostic(file: file, location: location, message: message)]
    }

    public var errorDescription: String? {
        let lines = diagnostics.map(\.description)
        return lines.joined(separator: "\n") + "\n(run `feedback forms validate` after fixing the form)"
    }
}

/// Collects diagnostics while reading JSON strictly: kinds checked, unknown keys reported.
struct StrictReader {
    let file: String
    private(set) var diagnostics: [FormDiagnostic] = []

    init(file: String) {
        self.file = file
    }

    mutating func report(_ path: JSONPath, _ message: String) {
        diagnostics.append(FormDiagnostic(file: file, location: path.description, message: message))
    }

    mutating func report(location: String, _ message: String) {
        diagnostics.append(FormDiagnostic(file: file, location: location, message: message))
    }

    /// The members of an object by key, after reporting unknown, duplicate and missing keys.
    mutating func object(
        _ node: JSONNode, at path: JSONPath, allowed: [String], required: [String] = []
    ) -> [String: JSONNode]? {
        guard let members = node.members else {
            report(path, "must be an object, not \(node.kindName)")
            return nil
        }
        var result: [String: JSONNode] = [:]
        var suggested = Set<String>()
        for member in members {
            let memberPath = path.key(member.key)
            if result[member.key] != nil {
                report(memberPath, "duplicate key \"\(member.key)\"")
                continue
            }
            guard allowed.contains(member.key) else {
                var message = "unknown key \"\(member.key)\""
                if let guess = Suggestion.closest(to: member.key, among: allowed) {
                    message += "; did you mean \"\(guess)\"?"
                    suggested.insert(guess)
                } else {
                    message += "; allowed keys: " + allowed.joined(separator: ", ")
                }
                report(memberPath, message)
                continue
            }
            result[member.key] = member.value
        }
        // A key already reported as misspelt is not reported again as missing.
        for key in required where result[key] == nil && !members.contains(where: { $0.key == key }) && !suggested.contains(key) {
            report(path, "missing \"\(key)\"")
        }
        return result
    }

    mutating func string(_ node: JSONNode?, at path: JSONPath, nonEmpty: Bool = true) -> String? {
        guard let node else { return nil }
        guard case .string(let s) = node.value else {
            report(path, "must be a string, not \(node.kindName)")
            return nil
        }
        if nonEmpty && s.trimmingCharacters(in: .whitespaces).isEmpty {
            report(path, "must not be empty")
            return nil
        }
        return s
    }

    mutating func bool(_ node: JSONNode?, at path: JSONPath) -> Bool? {
        guard let node else { return nil }
        guard case .bool(let b) = node.value else {
            report(path, "must be true or false, not \(node.kindName)")
            return nil
        }
        return b
    }

    mutating func number(_ node: JSONNode?, at path: JSONPath) -> Double? {
        guard let node else { return nil }
        guard case .number(let lexeme) = node.value, let value = Double(lexeme) else {
            report(path, "must be a number, not \(node.kindName)")
            return nil
        }
        return value
    }

    mutating func integer(_ node: JSONNode?, at path: JSONPath) -> Int? {
        guard let node else { return nil }
        guard case .number(let lexeme) = node.value, let value = Double(lexeme),
            value.rounded() == value, abs(value) < 1e15
        else {
            report(path, "must be a whole number, not \(node.kindName == "a number" ? "a fraction" : node.kindName)")
            return nil
        }
        return Int(value)
    }

    mutating func array(_ node: JSONNode?, at path: JSONPath) -> [JSONNode]? {
        guard let node else { return nil }
        guard let elements = node.elements else {
            report(path, "must be an array, not \(node.kindName)")
            return nil
        }
        return elements
    }

    mutating func strings(_ node: JSONNode?, at path: JSONPath) -> [String] {
        guard let elements = array(node, at: path) else { return [] }
        return elements.enumerated().compactMap { i, element in string(element, at: path.index(i)) }
    }

    /// `"中文"` or `{"zh": "中文", "en": "English"}`; the Chinese text is required.
    mutating func localizedText(_ node: JSONNode?, at path: JSONPath) -> LocalizedText? {
        guard let node else { return nil }
        if case .string = node.value {
            return string(node, at: path).map { LocalizedText(zh: $0) }
        }
        guard let fields = object(node, at: path, allowed: ["zh", "en"]) else { return nil }
        let en = string(fields["en"], at: path.key("en"))
        guard let zhNode = fields["zh"] else {
            report(path.key("zh"), "missing Chinese label")
            return nil
        }
        guard let zh = string(zhNode, at: path.key("zh")) else { return nil }
        return LocalizedText(zh: zh, en: en)
    }

    /// Checks an identifier against a pattern a user can read in the message.
    mutating func identifier(_ node: JSONNode?, at path: JSONPath, kind: IdentifierKind) -> String? {
        guard let id = string(node, at: path) else { return nil }
        guard kind.accepts(id) else {
            report(path, "\"\(id)\" is not a valid \(kind.name): \(kind.rule)")
            return nil
        }
        return id
    }
}

/// The spelling rules for ids; they keep ids safe to use in file names and reports.
enum IdentifierKind {
    case form, department, painPoint, question

    var name: String {
        switch self {
        case .form: "form id"
        case .department: "department id"
        case .painPoint: "pain point id"
        case .question: "question id"
        }
    }

    var rule: String {
        switch self {
        case .question:
            "use letters, digits, '_' and '-', starting with a letter (e.g. \"overall\")"
        default:
            "use lowercase letters, digits and '-', starting with a letter (e.g. \"enterprise-service\")"
        }
    }

    func accepts(_ id: String) -> Bool {
        guard let first = id.unicodeScalars.first, id.utf8.count <= 64 else { return false }
        switch self {
        case .question:
            return first.properties.isAlphabetic && first.isASCII
                && id.unicodeScalars.allSatisfy {
                    $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-")
                }
        default:
            return ("a"..."z").contains(first)
                && id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        }
    }
}

/// Did-you-mean suggestions for misspelt keys and names.
enum Suggestion {
    static func closest(to word: String, among candidates: [String]) -> String? {
        let lowered = word.lowercased()
        var best: (String, Int)?
        for candidate in candidates {
            let d = distance(lowered, candidate.lowercased())
            let limit = max(1, min(3, candidate.count / 3))
            if d <= limit, d < (best?.1 ?? Int.max) {
                best = (candidate, d)
            }
        }
        return best?.0
    }

    /// Levenshtein distance with transpositions counted once (optimal string alignment).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
