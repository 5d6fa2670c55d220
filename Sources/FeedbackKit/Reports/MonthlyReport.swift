import Foundation

/// One 差评 of the month, for rectification.
public struct BadReview: Sendable, Equatable {
    public var responseId: String
    public var submittedAt: String
    public var department: String
    public var service: String
    public var channel: String
    public var level: String
    public var painPoints: [String]
    /// Masked: phone and ID numbers never appear whole.
    public var comment: String
    public var contact: String
}

/// What a monthly report needs beyond the score: bad reviews and comments, from one scan of the month.
public struct ReportMaterial: Sendable {
    public var badReviews: [BadReview] = []
    /// Masked comments that mention or tick each pain point, with their department, by pain point id.
    public var comments: [String: [(department: String, text: String)]] = [:]
}

/// What one response gives a report's material: its comment under each pain point it mentions or
/// ticks, and a bad review when its overall level is `badThrough` or lower. Shared by the rescan and
/// the store's digests, so that both read a response the same way.
struct MaterialReader {
    /// The level through which a response is a bad review in the reports (and in the digests).
    static let badThrough = 2
    let layout: ScoringLayout
    private let names: [String: String]
    /// The same by the bytes of the ids, looked up first (for speed: a dictionary by a Chinese id
    /// hashed it through Unicode normalization; see `ByteMemo.init(keepingFirstOf:)`).
    private let namesByBytes: ByteMemo<String>
    /// The questions with these roles, with their indices in the form (for `AnswerLookup`).
    private let service: (question: Question, index: Int)?
    private let channel: (question: Question, index: Int)?
    private let contact: (question: Question, index: Int)?
    /// The label of each choice of the service and channel questions, by the bytes of its value
    /// (for speed: a bad review looked each up among the choices, comparing texts; see
    /// `ByteMemo.init(keepingFirstOf:)`).
    private let serviceLabels: ByteMemo<String>
    private let channelLabels: ByteMemo<String>

    init(form: Form) {
        layout = ScoringLayout(form: form)
        names = Dictionary(form.departments.map { ($0.id, $0.name.zh) }, uniquingKeysWith: { a, _ in a })
        namesByBytes = ByteMemo(keepingFirstOf: form.departments.map { ($0.id, $0.name.zh) })
        func find(_ role: QuestionRole) -> (question: Question, index: Int)? {
            form.questionIndex(withRole: role).map { (form.questions[$0], $0) }
        }
        service = find(.service)
        channel = find(.channel)
        contact = find(.contact)
        func labels(_ found: (question: Question, index: Int)?) -> ByteMemo<String> {
            ByteMemo(keepingFirstOf: (found?.question.choices ?? []).map { ($0.value, $0.label.zh) })
        }
        serviceLabels = labels(service)
        channelLabels = labels(channel)
    }

    private func text(_ found: (question: Question, index: Int)?, _ answers: AnswerLookup, labels: ByteMemo<String>? = nil) -> String {
        guard let found, let answer = answers[found.question.id, found.index] else { return "" }
        let q = found.question
        switch answer {
        case .text(let s):
            // A value the memo lacks (longer than it keeps, or other bytes for an equal text) is
            // looked for among the choices.
            if let label = labels?.value(for: s) { return label }
            return q.choices.first { $0.value == s }?.label.zh ?? s
        case .number(let v): return JSONWriter.number(v)
        case .choices(let values): return values.joined(separator: ";")
        case .notApplicable: return "不适用"
        }
    }

    /// Hands each (pain point id, department name, masked comment) to `comment`; returns the bad review, if it is one.
    /// `maskAndTag` gives a comment masked and the pain points its masked text mentions (the
    /// digests remember those of the comments they have seen); nil: computed here.
    func visit(
        _ r: Response, badThrough: Int, maskAndTag: ((String) -> (masked: String, tags: [Int]))? = nil,
        comment commented: (String, String, String) -> Void
    ) -> BadReview? {
        visit(
            AnswerLookup(r, shape: layout.shape), department: r.department, identity: { (r.key, r.submittedAt) },
            badThrough: badThrough, maskAndTag: maskAndTag, comment: commented)
    }

    /// The same given a response's answers, its department's id, and its key and time, which
    /// `identity` gives only for a bad review (for speed: the lean path of an import keeps no texts
    /// of them; see LeanRecord.swift).
    func visit(
        _ answers: AnswerLookup, department departmentId: String?, identity: () -> (key: String, submittedAt: String?),
        badThrough: Int, maskAndTag: ((String) -> (masked: String, tags: [Int]))? = nil,
        comment commented: (String, String, String) -> Void
    ) -> BadReview? {
        var comment = ""
        var commentTags: [Int] = []
        if case .text(let s) = answers[layout.commentId, layout.commentIndex] {
            if let maskAndTag {
                (comment, commentTags) = maskAndTag(s)
            } else {
                comment = PersonalData.maskText(s)
                if !comment.isEmpty { commentTags = layout.tags(comment) }
            }
        }
        return visit(
            answers, hasComment: !comment.isEmpty, tags: commentTags, level: answers[layout.overallId, layout.overallIndex]?.number,
            ticks: nil, departmentName: { departmentName(departmentId) }, identity: identity, badThrough: badThrough,
            comment: { comment }
        ) { commented($0, $1, comment) }
    }

    /// The name of the department with this id ("" for none or one the form does not list).
    func departmentName(_ id: String?) -> String {
        guard let id else { return "" }
        return namesByBytes.value(for: id) ?? names[id] ?? ""
    }

    /// The same given what a digest entry has read of the response already: whether it has a
    /// comment, the pain points its masked text mentions, its overall level, and `ticks`, the pain
    /// points (bit i for pain point i) that the answer to the pain-point question ticks where it is
    /// a list of choices, else 0 (nil: read here). `departmentName` is asked only for a comment or
    /// a bad review, and `comment`, the masked comment, only for a bad review (for speed: a digest
    /// entry writes the comment's bytes as they are). Hands `commented` the id of each pain point
    /// the comment comes under, with the department's name.
    func visit(
        _ answers: AnswerLookup, hasComment: Bool, tags commentTags: [Int], level: Double?, ticks: UInt64?,
        departmentName: () -> String, identity: () -> (key: String, submittedAt: String?), badThrough: Int,
        comment: () -> String, commented: (String, String) -> Void
    ) -> BadReview? {
        let isBad = level.map { Int($0) <= badThrough } ?? false
        // The department's name and the pain points ticked only for a comment or a bad review (for
        // speed: most responses of an import are neither, and these made a few objects each).
        guard hasComment || isBad else { return nil }
        let department = departmentName()
        // The pain points ticked, by index: as a mask, or where there are more than 64 as a list.
        var mask: UInt64 = ticks ?? 0
        var list: [Int]?
        if ticks == nil, case .choices(let values) = answers[layout.painPointQuestionId, layout.painPointQuestionIndex] {
            if let found = layout.tickMask(values) {
                mask = found
            } else {
                list = layout.painPoints.indices.filter { i in values.contains { layout.painChoices[i].contains($0) } }
            }
        }
        func isTicked(_ i: Int) -> Bool { list?.contains(i) ?? (i < 64 && mask & (1 << UInt64(i)) != 0) }
        if hasComment {
            // The pain points the comment mentions, then those ticked, each once (by index: pain
            // point ids are unique in a form).
            for i in commentTags { commented(layout.painPoints[i].id, department) }
            for i in layout.painPoints.indices where isTicked(i) && !commentTags.contains(i) {
                commented(layout.painPoints[i].id, department)
            }
        }
        guard isBad, let level, let q = layout.overall else { return nil }
        let levelLabel = q.levels.indices.contains(Int(level) - 1) ? q.levels[Int(level) - 1].zh : JSONWriter.number(level)
        let contactText = text(contact, answers)
        let (key, submittedAt) = identity()
        return BadReview(
            responseId: key, submittedAt: submittedAt ?? "", department: department,
            service: text(service, answers, labels: serviceLabels), channel: text(channel, answers, labels: channelLabels),
            level: levelLabel,
            painPoints: layout.painPoints.indices.filter(isTicked).map { layout.painPoints[$0].label.zh },
            comment: hasComment ? comment() : "",
            contact: contactText.isEmpty ? "" : PersonalData.maskContact(contactText))
    }
}

/// The monthly 通报 of one or more forms: report.txt and four CSV tables.
public struct MonthlyReport {
    public var month: String
    public var settings: ScoringSettings
    public var english: Bool
    public var sections: [(score: FormScore, material: ReportMaterial)]
    /// Whether the quoted comments may be compared by their bytes where every text allows it (see
    /// `TextRules`); false only in the tests that compare the two ways.
    var textsByBytes = true

    public init(month: String, settings: ScoringSettings, english: Bool, sections: [(score: FormScore, material: ReportMaterial)]) {
        self.month = month
        self.settings = settings
        self.english = english
        self.sections = sections
    }

    /// Reads the month's bad reviews and comments of a form: from the store's digest of the month
    /// where it has a current one (see ReportDigest.swift), otherwise from every response of the month.
    public static func material(form: Form, month: String, reader: any ResponseReader, badThrough: Int = 2) throws -> ReportMaterial {
        if badThrough == MaterialReader.badThrough, let digest = try reader.digestMaterial(of: form, month: month) { return digest }
        return try scannedMaterial(form: form, month: month, reader: reader, badThrough: badThrough)
    }

    /// The same, always from every response of the month: the reference the digests are tested against.
    public static func scannedMaterial(form: Form, month: String, reader: any ResponseReader, badThrough: Int = 2) throws
        -> ReportMaterial
    {
        let visitor = MaterialReader(form: form)
        var material = ReportMaterial()
        try reader.forEach(ResponseFilter(formId: form.id, month: month), limit: nil) { stored in
            let bad = visitor.visit(stored.response, badThrough: badThrough) { id, department, text in
                material.comments[id, default: []].append((department, text))
            }
            if let bad { material.badReviews.append(bad) }
        }
        material.badReviews.sort { ($0.submittedAt, $0.responseId) < ($1.submittedAt, $1.responseId) }
        return material
    }

    // MARK: - Files

    /// The five files of the report, by name, as bytes.
    public func files() -> [(name: String, data: Data)] {
        [
            ("report.txt", Data(text().utf8)), ("departments.csv", departmentsCSV()), ("pain-points.csv", painPointsCSV()),
            ("dimensions.csv", dimensionsCSV()), ("bad-reviews.csv", badReviewsCSV()),
        ]
    }

    /// Writes the report's files into `directory`, creating it.
    public func write(to directory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for file in files() { try file.data.write(to: directory.appendingPathComponent(file.name), options: .atomic) }
        } catch {
            throw WorkspaceError("cannot write the report into \(directory.path): \(FormDecoder.reason(error))")
        }
    }

    func departmentsCSV() -> Data {
        var csv = CSVWriter(escapesFormulas: true)
        csv.append(ScoreOutput.csvHeader)
        for (score, _) in sections {
            for group in [score.district] + score.departments { csv.append(ScoreOutput.csvRow(group, score: score, english: english)) }
        }
        return csv.data
    }

    func painPointsCSV() -> Data {
        var csv = CSVWriter(escapesFormulas: true)
        csv.append([
            "form", "month", "department_id", "department", "pain_point", "label", "asked", "ticked", "pct", "ci_low", "ci_high",
            "comment_mentions",
        ])
        for (score, _) in sections {
            for group in [score.district] + score.departments where group.publication != .suppressed {
                for p in group.painPoints {
                    csv.append([
                        score.form.id, score.month, group.id ?? "", group.name.text(english: english), p.painPoint.id,
                        p.painPoint.label.text(english: english), String(p.asked), String(p.ticked),
                        ScoreOutput.fixed(p.incidence?.percent, 2),
                        ScoreOutput.fixed(p.incidence.map { $0.interval.lower * 100 }, 2),
                        ScoreOutput.fixed(p.incidence.map { $0.interval.upper * 100 }, 2),
                        String(p.commentMentions),
                    ])
                }
            }
        }
        return csv.data
    }

    func dimensionsCSV() -> Data {
        var csv = CSVWriter(escapesFormulas: true)
        csv.append([
            "form", "month", "department_id", "department", "dimension", "label", "weight", "valid_n", "not_applicable", "mean", "index",
            "ci_low", "ci_high", "driver_r", "driver_n", "quadrant",
        ])
        for (score, _) in sections {
            for group in [score.district] + score.departments where group.publication != .suppressed {
                for (i, d) in group.dimensions.enumerated() {
                    let driver = group.id == nil && i < score.drivers.count ? score.drivers[i] : nil
                    csv.append([
                        score.form.id, score.month, group.id ?? "", group.name.text(english: english), d.question.id,
                        d.question.label.text(english: english), ScoreOutput.fixed(d.question.weight, 4), String(d.validN),
                        String(d.notApplicable),
                        ScoreOutput.fixed(d.index?.summary.mean, 4), ScoreOutput.fixed(d.index?.index, 2),
                        ScoreOutput.fixed(d.index?.interval?.lower, 2),
                        ScoreOutput.fixed(d.index?.interval?.upper, 2), ScoreOutput.fixed(driver?.correlation?.coefficient, 4),
                        driver?.correlation.map { String($0.count) } ?? "", driver?.quadrant?.rawValue ?? "",
                    ])
                }
            }
        }
        return csv.data
    }

    func badReviewsCSV() -> Data {
        var csv = CSVWriter(escapesFormulas: true)
        csv.append([
            "form", "response_id", "submitted_at", "department", "service_item", "channel", "level", "pain_points", "comment", "contact",
        ])
        for (score, material) in sections {
            for b in material.badReviews {
                csv.append([
                    score.form.id, b.responseId, b.submittedAt, b.department, b.service, b.channel, b.level,
                    b.painPoints.joined(separator: ";"),
                    b.comment, b.contact,
                ])
            }
        }
        return csv.data
    }
}
