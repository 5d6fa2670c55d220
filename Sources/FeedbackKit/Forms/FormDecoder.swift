import Foundation

/// Reads form files strictly, collecting every problem instead of stopping at the first.
public struct FormDecoder {
    /// Paths are shown relative to this folder in messages.
    public var baseDirectory: URL

    public init(baseDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) {
        self.baseDirectory = baseDirectory
    }

    /// The form in `url`, or every problem found in it (and in the departments file it names).
    public func load(_ url: URL) -> Result<Form, FormError> {
        let display = displayPath(url)
        let node: JSONNode
        switch parseFile(url, display: display) {
        case .success(let parsed): node = parsed
        case .failure(let diagnostic): return .failure(FormError([diagnostic]))
        }
        var reader = StrictReader(file: display)
        var departmentDiagnostics: [FormDiagnostic] = []
        let form = decodeForm(node, path: display, reader: &reader) { reference, referencePath, reader in
            loadDepartments(reference: reference, relativeTo: url, at: referencePath, reader: &reader, extra: &departmentDiagnostics)
        }
        let all = reader.diagnostics + departmentDiagnostics
        if let form, all.isEmpty { return .success(form) }
        return .failure(
            FormError(all.isEmpty ? [FormDiagnostic(file: display, location: "$", message: "the form could not be read")] : all))
    }

    /// Parses a JSON file, turning read and syntax errors into a diagnostic with line and column.
    func parseFile(_ url: URL, display: String) -> Result<JSONNode, FormDiagnostic> {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            return .failure(FormDiagnostic(file: display, location: "$", message: "cannot read the file: \(Self.reason(error))"))
        }
        let bytes = [UInt8](data)
        do throws(JSONSyntaxError) {
            return .success(try JSONParser.parse(bytes))
        } catch {
            let position = TextPosition(offset: error.offset, in: bytes)
            return .failure(FormDiagnostic(file: display, location: position.description, message: "syntax error: \(error.message)"))
        }
    }

    func displayPath(_ url: URL) -> String {
        let full = url.standardizedFileURL.path
        let base = baseDirectory.standardizedFileURL.path
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : full
    }

    static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError || nsError.code == 260 {
            return "no such file"
        }
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
    }

    private func loadDepartments(
        reference: String, relativeTo formURL: URL, at referencePath: JSONPath,
        reader: inout StrictReader, extra: inout [FormDiagnostic]
    ) -> [Department]? {
        let url = URL(fileURLWithPath: reference, relativeTo: formURL.deletingLastPathComponent()).standardizedFileURL
        guard FileManager.default.fileExists(atPath: url.path) else {
            reader.report(referencePath, "cannot read the departments file \"\(reference)\": no such file")
            return nil
        }
        let display = displayPath(url)
        let node: JSONNode
        switch parseFile(url, display: display) {
        case .success(let parsed): node = parsed
        case .failure(let diagnostic):
            extra.append(diagnostic)
            return nil
        }
        var fileReader = StrictReader(file: display)
        let departments = Self.decodeDepartmentsFile(node, reader: &fileReader)
        extra.append(contentsOf: fileReader.diagnostics)
        return fileReader.diagnostics.isEmpty ? departments : nil
    }

    /// A departments file: `{"departments": [...]}`.
    static func decodeDepartmentsFile(_ node: JSONNode, reader: inout StrictReader) -> [Department] {
        guard let fields = reader.object(node, at: .root, allowed: ["departments"], required: ["departments"]) else { return [] }
        return decodeDepartments(fields["departments"], at: JSONPath.root.key("departments"), reader: &reader)
    }

    static func decodeDepartments(_ node: JSONNode?, at path: JSONPath, reader: inout StrictReader) -> [Department] {
        guard let elements = reader.array(node, at: path) else { return [] }
        var departments: [Department] = []
        var firstById: [String: JSONPath] = [:]
        var ownerOfName: [String: String] = [:]
        for (i, element) in elements.enumerated() {
            let p = path.index(i)
            guard let fields = reader.object(element, at: p, allowed: ["id", "name", "aliases"], required: ["id", "name"]) else { continue }
            let id = reader.identifier(fields["id"], at: p.key("id"), kind: .department)
            let name = reader.localizedText(fields["name"], at: p.key("name"))
            let aliases = reader.strings(fields["aliases"], at: p.key("aliases"))
            guard let id, let name else { continue }
            if let first = firstById[id] {
                reader.report(p.key("id"), "duplicate department id \"\(id)\" (first at \(first))")
                continue
            }
            firstById[id] = p
            for (j, spelling) in ([name.zh] + aliases).enumerated() {
                if let owner = ownerOfName[spelling], owner != id {
                    let where_ = j == 0 ? p.key("name").key("zh") : p.key("aliases").index(j - 1)
                    reader.report(where_, "\"\(spelling)\" already names department \"\(owner)\"")
                }
                ownerOfName[spelling] = id
            }
            departments.append(Department(id: id, name: name, aliases: aliases))
        }
        return departments
    }

    // MARK: - The form

    static let formKeys = ["id", "version", "title", "description", "departments", "painPoints", "metadata", "questions"]
    static let questionKeys = [
        "id", "label", "type", "role", "required", "weight", "scale", "levels", "aliases", "choices",
        "notApplicable", "columns", "min", "max",
    ]
    static let choiceKeys = ["value", "label", "aliases", "painPoint", "other"]

    private func decodeForm(
        _ node: JSONNode, path display: String, reader: inout StrictReader,
        departmentsFile: (String, JSONPath, inout StrictReader) -> [Department]?
    ) -> Form? {
        let root = JSONPath.root
        guard let fields = reader.object(node, at: root, allowed: Self.formKeys, required: ["id", "version", "title", "questions"]) else {
            return nil
        }
        let id = reader.identifier(fields["id"], at: root.key("id"), kind: .form)
        var version = reader.integer(fields["version"], at: root.key("version"))
        if let v = version, v < 1 {
            reader.report(root.key("version"), "must be 1 or more")
            version = nil
        }
        let title = reader.localizedText(fields["title"], at: root.key("title"))
        let description = reader.localizedText(fields["description"], at: root.key("description"))

        var departments: [Department] = []
        var departmentsKnown = true
        if let node = fields["departments"] {
            let p = root.key("departments")
            if case .string(let reference) = node.value {
                if let loaded = departmentsFile(reference, p, &reader) { departments = loaded } else { departmentsKnown = false }
            } else if node.elements != nil {
                departments = Self.decodeDepartments(node, at: p, reader: &reader)
            } else {
                reader.report(p, "must be a list of departments or the path of a departments file, not \(node.kindName)")
                departmentsKnown = false
            }
        }

        let painPoints = decodePainPoints(fields["painPoints"], at: root.key("painPoints"), reader: &reader)
        let metadata = decodeMetadata(fields["metadata"], at: root.key("metadata"), reader: &reader)

        var questions: [Question] = []
        if let elements = reader.array(fields["questions"], at: root.key("questions")) {
            if elements.isEmpty { reader.report(root.key("questions"), "must hold at least one question") }
            var context = QuestionContext(
                departmentIds: departmentsKnown ? Set(departments.map(\.id)) : nil,
                painPointIds: Set(painPoints.map(\.id)))
            for (i, element) in elements.enumerated() {
                if let q = decodeQuestion(element, at: root.key("questions").index(i), context: &context, reader: &reader) {
                    questions.append(q)
                }
            }
        }
        guard let id, let version, let title else { return nil }
        return Form(
            id: id, version: version, title: title, description: description, departments: departments,
            painPoints: painPoints, questions: questions, metadata: metadata, path: display)
    }

    private func decodePainPoints(_ node: JSONNode?, at path: JSONPath, reader: inout StrictReader) -> [PainPoint] {
        guard let elements = reader.array(node, at: path) else { return [] }
        var result: [PainPoint] = []
        var first: [String: JSONPath] = [:]
        for (i, element) in elements.enumerated() {
            let p = path.index(i)
            guard let f = reader.object(element, at: p, allowed: ["id", "label", "description", "keywords"], required: ["id", "label"])
            else { continue }
            let id = reader.identifier(f["id"], at: p.key("id"), kind: .painPoint)
            let label = reader.localizedText(f["label"], at: p.key("label"))
            let description = reader.string(f["description"], at: p.key("description"))
            let keywords = reader.strings(f["keywords"], at: p.key("keywords"))
            guard let id, let label else { continue }
            if let earlier = first[id] {
                reader.report(p.key("id"), "duplicate pain point id \"\(id)\" (first at \(earlier))")
                continue
            }
            first[id] = p
            result.append(PainPoint(id: id, label: label, description: description, keywords: keywords))
        }
        return result
    }

    private func decodeMetadata(_ node: JSONNode?, at path: JSONPath, reader: inout StrictReader) -> RecordMetadata {
        guard let node else { return .empty }
        guard let f = reader.object(node, at: path, allowed: ["responseId", "submittedAt", "timezone"]) else { return .empty }
        var timezone = reader.string(f["timezone"], at: path.key("timezone"))
        if let tz = timezone, UTCOffset(tz) == nil {
            reader.report(path.key("timezone"), "\"\(tz)\" is not an offset such as \"+08:00\"")
            timezone = nil
        }
        return RecordMetadata(
            responseId: reader.strings(f["responseId"], at: path.key("responseId")),
            submittedAt: reader.strings(f["submittedAt"], at: path.key("submittedAt")),
            timezone: timezone)
    }

    private struct QuestionContext {
        /// nil where the departments could not be read, so references are not checked against nothing.
        var departmentIds: Set<String>?
        var painPointIds: Set<String>
        var firstQuestion: [String: JSONPath] = [:]
        var roleOwner: [QuestionRole: JSONPath] = [:]
    }

    private func decodeQuestion(
        _ node: JSONNode, at p: JSONPath, context: inout QuestionContext, reader: inout StrictReader
    ) -> Question? {
        guard let f = reader.object(node, at: p, allowed: Self.questionKeys, required: ["id", "label", "type"]) else { return nil }
        let id = reader.identifier(f["id"], at: p.key("id"), kind: .question)
        if let id {
            if let earlier = context.firstQuestion[id] {
                reader.report(p.key("id"), "duplicate question id \"\(id)\" (first at \(earlier))")
            } else {
                context.firstQuestion[id] = p
            }
        }
        let label = reader.localizedText(f["label"], at: p.key("label"))

        var type: QuestionType?
        if let raw = reader.string(f["type"], at: p.key("type")) {
            type = QuestionType(rawValue: raw)
            if type == nil {
                reader.report(p.key("type"), Self.unknown("type", raw, among: QuestionType.allCases.map(\.rawValue)))
            }
        }
        var role: QuestionRole?
        let roleRaw = reader.string(f["role"], at: p.key("role"))
        if let raw = roleRaw {
            role = QuestionRole(rawValue: raw)
            if role == nil {
                reader.report(p.key("role"), Self.unknown("role", raw, among: QuestionRole.allCases.map(\.rawValue)))
            }
        }
        if let role {
            if let type, !role.allowedTypes.contains(type) {
                let names = role.allowedTypes.map(\.rawValue).joined(separator: " or ")
                reader.report(p.key("role"), "a \(type.rawValue) question cannot have role \"\(role.rawValue)\" (it needs type \(names))")
            }
            if role.isUnique {
                if let owner = context.roleOwner[role] {
                    reader.report(p.key("role"), "role \"\(role.rawValue)\" is already taken by \(owner); only one question may have it")
                } else {
                    context.roleOwner[role] = p
                }
            }
        }
        let required = reader.bool(f["required"], at: p.key("required")) ?? false

        var weight = 1.0
        if let node = f["weight"] {
            if role != .dimension {
                // An unknown role was reported already; a weight may be what the user meant.
                if roleRaw == nil || role != nil {
                    reader.report(p.key("weight"), "a weight applies only to a question with role \"dimension\"")
                }
            } else if let w = reader.number(node, at: p.key("weight")) {
                if w > 0 && w.isFinite { weight = w } else { reader.report(p.key("weight"), "must be a positive number") }
            }
        }

        var scale = type == .nps ? 11 : 5
        if let node = f["scale"] {
            if let type, type != .rating {
                reader.report(p.key("scale"), "a scale applies only to a rating question")
            } else if let s = reader.integer(node, at: p.key("scale")) {
                if (2...11).contains(s) { scale = s } else { reader.report(p.key("scale"), "must be between 2 and 11") }
            }
        }

        var levels: [LocalizedText] = type == .rating && scale == 5 ? Form.fiveLevelLabels : []
        if let node = f["levels"] {
            if let type, type != .rating {
                reader.report(p.key("levels"), "level labels apply only to a rating question")
            } else if let elements = reader.array(node, at: p.key("levels")) {
                let decoded = elements.enumerated().compactMap { i, e in reader.localizedText(e, at: p.key("levels").index(i)) }
                if elements.count != scale {
                    reader.report(p.key("levels"), "has \(elements.count) labels but the scale has \(scale) levels")
                } else if decoded.count == elements.count {
                    levels = decoded
                }
            }
        } else if type == .rating && scale != 5 {
            levels = (1...scale).map { LocalizedText(zh: "\($0)分", en: "\($0)") }
        }

        var valueAliases: [String: Int] = [:]
        if let node = f["aliases"] {
            let ap = p.key("aliases")
            if let type, type != .rating && type != .nps {
                reader.report(ap, "value aliases apply to rating and nps questions; give a choice its own \"aliases\"")
            } else if let members = node.members {
                let range = type == .nps ? 0...10 : 1...scale
                for member in members {
                    if let v = reader.integer(member.value, at: ap.key(member.key)) {
                        if range.contains(v) {
                            valueAliases[member.key] = v
                        } else {
                            reader.report(ap.key(member.key), "\(v) is outside the scale \(range.lowerBound)..\(range.upperBound)")
                        }
                    }
                }
            } else {
                reader.report(ap, "must be an object mapping answer text to a level, such as {\"5分\": 5}")
            }
        }

        var choices: [Choice] = []
        if let node = f["choices"] {
            if let type, type != .single && type != .multiple {
                reader.report(p.key("choices"), "choices apply only to single and multiple questions")
            } else {
                choices = decodeChoices(node, at: p.key("choices"), role: role, context: context, reader: &reader)
            }
        } else if (type == .single || type == .multiple) && role != .department {
            reader.report(p, "a \(type?.rawValue ?? "") question needs \"choices\"")
        }

        let notApplicable = reader.strings(f["notApplicable"], at: p.key("notApplicable"))
        let columns = reader.strings(f["columns"], at: p.key("columns"))
        var minimum: Double?
        var maximum: Double?
        for key in ["min", "max"] where f[key] != nil {
            if let type, type != .integer && type != .number {
                reader.report(p.key(key), "\(key) applies only to integer and number questions")
            } else {
                let v = reader.number(f[key], at: p.key(key))
                if key == "min" { minimum = v } else { maximum = v }
            }
        }
        if let lo = minimum, let hi = maximum, lo > hi {
            reader.report(p.key("max"), "must not be less than min (\(Self.format(lo)))")
        }

        guard let id, let label, let type else { return nil }
        return Question(
            id: id, label: label, type: type, role: role, required: required, weight: weight, scale: scale,
            levels: levels, valueAliases: valueAliases, choices: choices, notApplicable: notApplicable,
            columns: columns, minimum: minimum, maximum: maximum)
    }

    private func decodeChoices(
        _ node: JSONNode, at path: JSONPath, role: QuestionRole?, context: QuestionContext, reader: inout StrictReader
    ) -> [Choice] {
        guard let elements = reader.array(node, at: path) else { return [] }
        if elements.isEmpty { reader.report(path, "must hold at least one choice") }
        var result: [Choice] = []
        var first: [String: JSONPath] = [:]
        for (i, element) in elements.enumerated() {
            let p = path.index(i)
            let labelRequired = role != .department
            guard let f = reader.object(element, at: p, allowed: Self.choiceKeys, required: labelRequired ? ["value", "label"] : ["value"])
            else { continue }
            var value: String?
            if let v = f["value"], case .number(let lexeme) = v.value {
                value = lexeme
            } else {
                value = reader.string(f["value"], at: p.key("value"))
            }
            let label = reader.localizedText(f["label"], at: p.key("label"))
            let aliases = reader.strings(f["aliases"], at: p.key("aliases"))
            var painPoint = reader.string(f["painPoint"], at: p.key("painPoint"))
            if let pp = painPoint, !context.painPointIds.contains(pp) {
                var message = "pain point \"\(pp)\" is not defined in $.painPoints"
                if let guess = Suggestion.closest(to: pp, among: context.painPointIds.sorted()) {
                    message += "; did you mean \"\(guess)\"?"
                }
                reader.report(p.key("painPoint"), message)
                painPoint = nil
            }
            let other = reader.bool(f["other"], at: p.key("other")) ?? false
            guard let value else { continue }
            if let earlier = first[value] {
                reader.report(p.key("value"), "duplicate choice value \"\(value)\" (first at \(earlier))")
                continue
            }
            first[value] = p
            if role == .department, let known = context.departmentIds, !known.contains(value) {
                var message = "department \"\(value)\" is not defined"
                if let guess = Suggestion.closest(to: value, among: known.sorted()) { message += "; did you mean \"\(guess)\"?" }
                reader.report(p.key("value"), message)
            }
            result.append(
                Choice(value: value, label: label ?? LocalizedText(zh: value), aliases: aliases, painPoint: painPoint, other: other))
        }
        return result
    }

    static func unknown(_ what: String, _ raw: String, among names: [String]) -> String {
        var message = "unknown \(what) \"\(raw)\""
        if let guess = Suggestion.closest(to: raw, among: names) {
            message += "; did you mean \"\(guess)\"?"
        } else {
            message += "; use one of " + names.joined(separator: ", ")
        }
        return message
    }

    static func format(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// A fixed offset from UTC written as "+08:00", "-05:30" or "Z".
public struct UTCOffset: Sendable, Equatable {
    public var seconds: Int

    public init(seconds: Int) {
        self.seconds = seconds
    }

    public init?(_ text: String) {
        if text == "Z" || text == "z" {
            seconds = 0
            return
        }
        let scalars = Array(text.utf8)
        guard scalars.count == 6, scalars[0] == UInt8(ascii: "+") || scalars[0] == UInt8(ascii: "-"), scalars[3] == UInt8(ascii: ":"),
            let h = Int(String(decoding: scalars[1...2], as: UTF8.self)), let m = Int(String(decoding: scalars[4...5], as: UTF8.self)),
            h <= 14, m < 60
        else { return nil }
        seconds = (h * 3600 + m * 60) * (scalars[0] == UInt8(ascii: "-") ? -1 : 1)
    }

    public static let china = UTCOffset(seconds: 8 * 3600)
}
