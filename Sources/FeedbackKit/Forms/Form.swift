import Foundation

/// Text in Chinese, with an optional English version.
public struct LocalizedText: Sendable, Equatable, Hashable {
    public var zh: String
    public var en: String?

    public init(zh: String, en: String? = nil) {
        self.zh = zh
        self.en = en
    }

    /// The English text where there is one and English is asked for, otherwise the Chinese.
    public func text(english: Bool) -> String {
        english ? (en ?? zh) : zh
    }
}

/// A department being rated, with the other names it goes by in exports.
public struct Department: Sendable, Equatable {
    public var id: String
    public var name: LocalizedText
    public var aliases: [String]

    public init(id: String, name: LocalizedText, aliases: [String] = []) {
        self.id = id
        self.name = name
        self.aliases = aliases
    }
}

/// One pain point of a form's taxonomy (中梗阻, 慢作为, ...).
public struct PainPoint: Sendable, Equatable {
    public var id: String
    public var label: LocalizedText
    public var description: String?
    /// Words that tag a free-text comment with this pain point.
    public var keywords: [String]
}

/// What kind of answer a question takes.
public enum QuestionType: String, Sendable, CaseIterable {
    case rating, nps, single, multiple
    case yesNo = "yes-no"
    case integer, number, date, datetime, text
}

/// What a question means to scoring and reports.
public enum QuestionRole: String, Sendable, CaseIterable {
    case department, service, channel, overall, dimension, recommend
    case painPoints = "pain-points"
    case trips
    case daysTaken = "days-taken"
    case daysPromised = "days-promised"
    case comment, contact

    /// Roles that at most one question of a form may have.
    public var isUnique: Bool { self != .dimension }

    /// The question types that can carry this role.
    public var allowedTypes: [QuestionType] {
        switch self {
        case .department, .service, .channel: [.single, .text]
        case .overall, .dimension: [.rating]
        case .recommend: [.nps]
        case .painPoints: [.multiple, .single]
        case .trips, .daysTaken, .daysPromised: [.integer, .number]
        case .comment, .contact: [.text]
        }
    }
}

/// One answer a choice question offers.
public struct Choice: Sendable, Equatable {
    public var value: String
    public var label: LocalizedText
    /// Other spellings of this answer in exports.
    public var aliases: [String]
    /// The pain point a tick on this choice counts for.
    public var painPoint: String?
    /// Answers may carry free text after this choice (问卷星 writes it in 〖…〗).
    public var other: Bool
}

/// A question of a form: what was asked, how answers are read, what they mean.
public struct Question: Sendable, Equatable {
    public var id: String
    public var label: LocalizedText
    public var type: QuestionType
    public var role: QuestionRole?
    public var required: Bool
    /// Weight of a dimension in the composite index.
    public var weight: Double
    /// Number of levels of a rating (1...scale).
    public var scale: Int
    /// Labels of a rating's levels, lowest first.
    public var levels: [LocalizedText]
    /// Other spellings of rating levels ("5分" → 5).
    public var valueAliases: [String: Int]
    public var choices: [Choice]
    /// Answers that mean "not applicable": excluded from every figure.
    public var notApplicable: [String]
    /// Export column headers that hold this question, besides its id and label.
    public var columns: [String]
    public var minimum: Double?
    public var maximum: Double?

    /// The range of valid values for numeric questions.
    public var valueRange: ClosedRange<Int>? {
        switch type {
        case .rating: 1...scale
        case .nps: 0...10
        default: nil
        }
    }
}

/// Where an export keeps each record's id and submission time.
public struct RecordMetadata: Sendable, Equatable {
    /// Columns whose values, joined, identify a response.
    public var responseId: [String]
    /// Columns that may hold the submission time; the first present is used.
    public var submittedAt: [String]
    /// The offset of times written without one, such as "+08:00".
    public var timezone: String?

    public static let empty = RecordMetadata(responseId: [], submittedAt: [], timezone: nil)
}

/// A feedback form: what was asked and how answers map to scores.
public struct Form: Sendable, Equatable {
    public var id: String
    public var version: Int
    public var title: LocalizedText
    public var description: LocalizedText?
    public var departments: [Department]
    public var painPoints: [PainPoint]
    public var questions: [Question]
    public var metadata: RecordMetadata
    /// The file the form was read from.
    public var path: String

    public func question(withRole role: QuestionRole) -> Question? {
        questionIndex(withRole: role).map { questions[$0] }
    }

    /// The index in `questions` of the first question with this role.
    func questionIndex(withRole role: QuestionRole) -> Int? {
        questions.firstIndex { $0.role == role }
    }

    /// The indices in `questions` of the questions with this role, in form order.
    func questionIndices(withRole role: QuestionRole) -> [Int] {
        questions.indices.filter { questions[$0].role == role }
    }

    public func questions(withRole role: QuestionRole) -> [Question] {
        questions.filter { $0.role == role }
    }
}

extension Form {
    /// The 好差评 level labels, lowest first: the default for a five-level rating.
    public static let fiveLevelLabels: [LocalizedText] = [
        LocalizedText(zh: "非常不满意", en: "Very dissatisfied"),
        LocalizedText(zh: "不满意", en: "Dissatisfied"),
        LocalizedText(zh: "基本满意", en: "Fairly satisfied"),
        LocalizedText(zh: "满意", en: "Satisfied"),
        LocalizedText(zh: "非常满意", en: "Very satisfied"),
    ]
}
