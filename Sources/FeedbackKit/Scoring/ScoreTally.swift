import Foundation

/// Running sums for one group (a department, or the whole district) in one month.
///
/// Every figure of a score is computed from these sums alone, so tallies can be merged (the
/// district is the merge of its departments) and kept between runs instead of rescanning responses.
public struct ScoreTally: Sendable, Equatable {
    public var responses = 0
    public var overall: ItemAccumulator
    /// One per dimension question, in form order.
    public var dimensions: [ItemAccumulator]
    /// Each dimension paired with the overall item, for key drivers.
    public var drivers: [PairAccumulator]
    public var recommend: ItemAccumulator?
    /// Ticks per pain point of the taxonomy, over the respondents who answered the pain-point question.
    public var painPoints: [ProportionAccumulator]
    /// Comments that mention each pain point's keywords, over all comments.
    public var commentMentions: [Int]
    public var comments = 0
    public var efficiency = EfficiencyAccumulator()
    /// Not-applicable answers to each dimension.
    public var notApplicable: [Int]

    public init(form: ScoringLayout) {
        overall = ItemAccumulator(levels: 1...form.overallScale)
        dimensions = form.dimensions.map { ItemAccumulator(levels: 1...$0.scale) }
        drivers = form.dimensions.map { _ in PairAccumulator() }
        recommend = form.recommend == nil ? nil : ItemAccumulator(levels: 0...10)
        painPoints = form.painPoints.map { _ in ProportionAccumulator() }
        commentMentions = form.painPoints.map { _ in 0 }
        notApplicable = form.dimensions.map { _ in 0 }
    }

    /// Adds one response.
    public mutating func add(_ response: Response, layout: ScoringLayout) {
        responses += 1
        let overallLevel = layout.overall.flatMap { response.answers[$0.id]?.number }.map { Int($0) }
        if let overallLevel { _ = overall.add(overallLevel) }
        for (i, question) in layout.dimensions.enumerated() {
            switch response.answers[question.id] {
            case .number(let v):
                _ = dimensions[i].add(Int(v))
                if let overallLevel { _ = drivers[i].add(x: v, y: Double(overallLevel)) }
            case .notApplicable:
                notApplicable[i] += 1
            default:
                break
            }
        }
        if let q = layout.recommend, let v = response.answers[q.id]?.number {
            _ = recommend?.add(Int(v))
        }
        if let q = layout.painPointQuestion, let answer = response.answers[q.id] {
            var ticked: Set<String> = []
            switch answer {
            case .choices(let values): ticked = Set(values)
            case .text(let value): ticked = [value]
            default: break
            }
            if answer != .notApplicable {
                for (i, pain) in layout.painPoints.enumerated() {
                    painPoints[i].add(!ticked.isDisjoint(with: layout.choicesFor[pain.id] ?? []))
                }
            }
        }
        if let q = layout.comment, case .text(let text) = response.answers[q.id], !text.isEmpty {
            comments += 1
            for i in layout.tags(text) { commentMentions[i] += 1 }
        }
        let number = { (q: Question?) -> Double? in q.flatMap { response.answers[$0.id]?.number } }
        efficiency.add(
            daysTaken: number(layout.daysTaken), promisedDays: number(layout.daysPromised), trips: number(layout.trips).map { Int($0) })
    }

    public mutating func merge(_ other: ScoreTally) {
        responses += other.responses
        overall.merge(other.overall)
        for i in dimensions.indices {
            dimensions[i].merge(other.dimensions[i])
            drivers[i].merge(other.drivers[i])
            notApplicable[i] += other.notApplicable[i]
        }
        if let r = other.recommend { recommend?.merge(r) }
        for i in painPoints.indices {
            painPoints[i].merge(other.painPoints[i])
            commentMentions[i] += other.commentMentions[i]
        }
        comments += other.comments
        efficiency.merge(other.efficiency)
    }
}

/// The questions of a form that scoring reads, found once by their roles.
public struct ScoringLayout: Sendable {
    public let form: Form
    public let overall: Question?
    public let overallScale: Int
    public let dimensions: [Question]
    public let recommend: Question?
    public let painPointQuestion: Question?
    public let painPoints: [PainPoint]
    /// The choice values that count as a tick for each pain point.
    public let choicesFor: [String: Set<String>]
    public let comment: Question?
    public let trips: Question?
    public let daysTaken: Question?
    public let daysPromised: Question?
    private let keywords: [[String]]

    public init(form: Form) {
        self.form = form
        overall = form.question(withRole: .overall)
        overallScale = overall?.scale ?? 5
        dimensions = form.questions(withRole: .dimension)
        recommend = form.question(withRole: .recommend)
        painPointQuestion = form.question(withRole: .painPoints)
        painPoints = form.painPoints
        var choices: [String: Set<String>] = [:]
        for choice in painPointQuestion?.choices ?? [] {
            if let p = choice.painPoint { choices[p, default: []].insert(choice.value) }
        }
        choicesFor = choices
        comment = form.question(withRole: .comment)
        trips = form.question(withRole: .trips)
        daysTaken = form.question(withRole: .daysTaken)
        daysPromised = form.question(withRole: .daysPromised)
        keywords = form.painPoints.map { $0.keywords.map(AnswerParser.fold).filter { !$0.isEmpty } }
    }

    /// The pain points whose keywords a comment mentions (indices into `painPoints`).
    public func tags(_ comment: String) -> [Int] {
        let folded = AnswerParser.fold(comment)
        return keywords.indices.filter { i in keywords[i].contains { folded.contains($0) } }
    }
}
