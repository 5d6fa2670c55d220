import Foundation

/// Whether a department's figures are published, and how (PRODUCT.md section 6).
public enum Publication: String, Sendable {
    /// Fewer responses than `suppressBelow`: no figure is shown.
    case suppressed
    /// Shown, but too few responses (under `rankFrom`) to be ranked.
    case unranked
    case ranked
}

/// A change of a figure against the previous month, with its test.
public struct FigureChange: Sendable, Equatable {
    public var previous: Double
    public var current: Double
    public var delta: Double { current - previous }
    /// Two-sided p of the test (Welch's t for means, pooled two-proportion z for rates).
    public var p: Double?
    /// p < 0.05 and both months have enough responses to be ranked.
    public var significant: Bool
}

/// The change of a group against the previous month.
public struct GroupChange: Sendable, Equatable {
    public var previousN: Int
    public var index: FigureChange?
    public var good: FigureChange?
    public var bad: FigureChange?
}

/// One dimension's figures in a group.
public struct DimensionScore: Sendable, Equatable {
    public var question: Question
    public var validN: Int
    public var notApplicable: Int
    public var index: IndexEstimate?
}

/// One pain point's figures in a group.
public struct PainPointScore: Sendable, Equatable {
    public var painPoint: PainPoint
    public var incidence: Proportion?
    public var asked: Int
    public var ticked: Int
    public var commentMentions: Int
}

/// Every figure for a department, or for the district as a whole, in one month.
public struct GroupScore: Sendable, Equatable {
    /// The department id; nil for the district.
    public var id: String?
    public var name: LocalizedText
    public var n: Int
    public var publication: Publication
    /// Fewer responses than `cautionBelow`.
    public var lowConfidence: Bool
    public var overall: IndexEstimate?
    public var rates: SatisfactionRates?
    public var nps: NetPromoterScore?
    public var dimensions: [DimensionScore]
    /// The weighted mean of the dimension indices that have answers.
    public var composite: Double?
    public var painPoints: [PainPointScore]
    public var comments: Int
    public var efficiency: EfficiencyFacts
    /// The overall index shrunk toward the district mean (empirical Bayes); what ranks use.
    public var rankingIndex: Double?
    public var rank: Int?
    public var change: GroupChange?
}

/// Importance (correlation with the overall item) and performance of one dimension.
public struct DriverScore: Sendable, Equatable {
    public var question: Question
    public var correlation: Correlation?
    public var performance: Double?
    public var quadrant: ImportancePerformanceQuadrant?
}

/// How the ranking shrinks small departments toward the district mean.
public struct RankingPrior: Sendable, Equatable {
    public var grandMean: Double?
    /// C: the prior weight, in responses.
    public var priorWeight: Double
    /// "empirical-bayes" where C came from the data, "fallback" where SCORING.md's default was used.
    public var source: String
    public var tau2: Double?
}

/// The score of one form for one month: the district, every department, the drivers.
public struct FormScore: Sendable, Equatable {
    public var form: Form
    public var month: String
    public var previousMonth: String
    public var district: GroupScore
    /// Ranked first (by rank), then unranked, then suppressed (by responses); ties by id.
    public var departments: [GroupScore]
    public var drivers: [DriverScore]
    public var prior: RankingPrior
}

/// Computes scores from the responses in a store.
public struct Scorer {
    public var settings: ScoringSettings
    public var z = Statistics.defaultZ

    public init(settings: ScoringSettings) {
        self.settings = settings
    }

    /// The month before a yyyy-MM month.
    public static func previousMonth(_ month: String) -> String {
        let parts = month.split(separator: "-")
        guard parts.count == 2, let y = Int(parts[0]), let m = Int(parts[1]) else { return month }
        return m == 1 ? String(format: "%04d-12", y - 1) : String(format: "%04d-%02d", y, m - 1)
    }

    /// Tallies of one month by department id ("" for responses without one): the store's digest of the
    /// month where it has a current one (see ReportDigest.swift), otherwise from every response of the month.
    public func tallies(_ reader: any ResponseReader, layout: ScoringLayout, month: String) throws -> [String: ScoreTally] {
        if let digest = try reader.digestTallies(of: layout, month: month) { return digest }
        return try scannedTallies(reader, layout: layout, month: month)
    }

    /// The same, always from every response of the month: the reference the digests are tested against.
    public func scannedTallies(_ reader: any ResponseReader, layout: ScoringLayout, month: String) throws -> [String: ScoreTally] {
        var result: [String: ScoreTally] = [:]
        try reader.forEach(ResponseFilter(formId: layout.form.id, month: month), limit: nil) { stored in
            let key = stored.response.department ?? ""
            result[key, default: ScoreTally(form: layout)].add(stored.response, layout: layout)
        }
        return result
    }

    public func score(form: Form, month: String, reader: any ResponseReader) throws -> FormScore {
        let layout = ScoringLayout(form: form)
        let previousMonth = Self.previousMonth(month)
        let current = try tallies(reader, layout: layout, month: month)
        let previous = try tallies(reader, layout: layout, month: previousMonth)
        return score(layout: layout, month: month, current: current, previous: previous)
    }

    /// The score from tallies alone.
    public func score(layout: ScoringLayout, month: String, current: [String: ScoreTally], previous: [String: ScoreTally]) -> FormScore {
        let form = layout.form
        var districtTally = ScoreTally(form: layout)
        for key in current.keys.sorted() { if let t = current[key] { districtTally.merge(t) } }
        var previousDistrict = ScoreTally(form: layout)
        for key in previous.keys.sorted() { if let t = previous[key] { previousDistrict.merge(t) } }

        // The prior comes from every department with answers to the overall item.
        let departmentIds = form.departments.map(\.id).filter { current[$0] != nil }
        let summaries = departmentIds.compactMap { current[$0]?.overall.summary }
        let eb = Statistics.empiricalBayes(summaries)
        let weight = eb?.priorWeight() ?? 30
        let usedFallback = eb?.rawPriorWeight == nil || eb.map { $0.groupCount < 5 || ($0.tau2 ?? 0) <= 0 } ?? true
        let prior = RankingPrior(
            grandMean: eb?.grandMean, priorWeight: weight, source: usedFallback ? "fallback" : "empirical-bayes", tau2: eb?.tau2)

        var departments: [GroupScore] = []
        for department in form.departments {
            guard let tally = current[department.id] else { continue }
            var group = figures(tally, id: department.id, name: department.name, layout: layout)
            if let previousTally = previous[department.id] { group.change = change(from: previousTally, to: tally, layout: layout) }
            if group.publication == .ranked, let summary = tally.overall.summary, let eb {
                group.rankingIndex = eb.shrink(summary, priorWeight: weight).flatMap {
                    Statistics.index(mean: $0, lowest: 1, highest: Double(layout.overallScale))
                }
            }
            departments.append(group)
        }
        let rankable = departments.indices.filter { departments[$0].rankingIndex != nil }
        let ranks = Statistics.competitionRanks(rankable.map { departments[$0].rankingIndex ?? 0 }, decimals: 1)
        for (i, rank) in zip(rankable, ranks) { departments[i].rank = rank }
        departments.sort { a, b in
            let order: [Publication: Int] = [.ranked: 0, .unranked: 1, .suppressed: 2]
            if a.publication != b.publication { return order[a.publication, default: 3] < order[b.publication, default: 3] }
            if let ra = a.rank, let rb = b.rank, ra != rb { return ra < rb }
            if a.n != b.n { return a.n > b.n }
            return (a.id ?? "") < (b.id ?? "")
        }

        var district = figures(districtTally, id: nil, name: LocalizedText(zh: "全区", en: "District"), layout: layout)
        district.publication = districtTally.responses < settings.suppressBelow ? .suppressed : .unranked
        if previousDistrict.responses > 0 { district.change = change(from: previousDistrict, to: districtTally, layout: layout) }

        return FormScore(
            form: form, month: month, previousMonth: Self.previousMonth(month), district: district, departments: departments,
            drivers: drivers(districtTally, district: district, layout: layout), prior: prior)
    }

    func figures(_ tally: ScoreTally, id: String?, name: LocalizedText, layout: ScoringLayout) -> GroupScore {
        let publication: Publication =
            tally.responses < settings.suppressBelow ? .suppressed : tally.responses < settings.rankFrom ? .unranked : .ranked
        var dimensions: [DimensionScore] = []
        var weighted = 0.0
        var weights = 0.0
        for (i, question) in layout.dimensions.enumerated() {
            let estimate = Statistics.index(tally.dimensions[i])
            dimensions.append(
                DimensionScore(
                    question: question, validN: tally.dimensions[i].count, notApplicable: tally.notApplicable[i], index: estimate))
            if let estimate {
                weighted += question.weight * estimate.index
                weights += question.weight
            }
        }
        let painPoints = layout.painPoints.enumerated().map { i, pain in
            PainPointScore(
                painPoint: pain, incidence: tally.painPoints[i].proportion(z: z), asked: tally.painPoints[i].trials,
                ticked: tally.painPoints[i].successes, commentMentions: tally.commentMentions[i])
        }
        return GroupScore(
            id: id, name: name, n: tally.responses, publication: publication, lowConfidence: tally.responses < settings.cautionBelow,
            overall: Statistics.index(tally.overall), rates: Statistics.satisfactionRates(tally.overall, goodFrom: settings.goodFrom, z: z),
            nps: tally.recommend.flatMap { Statistics.netPromoterScore($0, z: z) }, dimensions: dimensions,
            composite: weights > 0 ? weighted / weights : nil, painPoints: painPoints, comments: tally.comments,
            efficiency: tally.efficiency.facts(z: z), rankingIndex: nil, rank: nil, change: nil)
    }

    func change(from previous: ScoreTally, to current: ScoreTally, layout: ScoringLayout) -> GroupChange {
        let enough = previous.responses >= settings.rankFrom && current.responses >= settings.rankFrom
        var result = GroupChange(previousN: previous.responses)
        let scale = Double(layout.overallScale)
        if let a = previous.overall.summary, let b = current.overall.summary,
            let ia = Statistics.index(mean: a.mean, lowest: 1, highest: scale),
            let ib = Statistics.index(mean: b.mean, lowest: 1, highest: scale)
        {
            let p = Statistics.welchTTest(b, a)?.pValue
            result.index = FigureChange(previous: ia, current: ib, p: p, significant: enough && (p ?? 1) < 0.05)
        }
        let before = Statistics.satisfactionRates(previous.overall, goodFrom: settings.goodFrom, z: z)
        let after = Statistics.satisfactionRates(current.overall, goodFrom: settings.goodFrom, z: z)
        if let before, let after {
            func test(_ a: Proportion, _ b: Proportion) -> FigureChange {
                let p = Statistics.twoProportionZTest(
                    successes1: b.successes, trials1: b.trials, successes2: a.successes, trials2: a.trials, z: z)?.pValue
                return FigureChange(previous: a.percent, current: b.percent, p: p, significant: enough && (p ?? 1) < 0.05)
            }
            result.good = test(before.good, after.good)
            result.bad = test(before.bad, after.bad)
        }
        return result
    }

    func drivers(_ tally: ScoreTally, district: GroupScore, layout: ScoringLayout) -> [DriverScore] {
        let correlations = tally.drivers.map(\.correlation)
        let performance = district.dimensions.map { $0.index?.index }
        var quadrants: [ImportancePerformanceQuadrant?] = Array(repeating: nil, count: layout.dimensions.count)
        let complete = layout.dimensions.indices.filter { correlations[$0] != nil && performance[$0] != nil }
        if complete.count >= 2,
            let ipa = Statistics.importancePerformance(
                importance: complete.map { correlations[$0]?.coefficient ?? 0 }, performance: complete.map { performance[$0] ?? 0 })
        {
            for (i, quadrant) in zip(complete, ipa.quadrants) { quadrants[i] = quadrant }
        }
        return layout.dimensions.indices.map { i in
            DriverScore(question: layout.dimensions[i], correlation: correlations[i], performance: performance[i], quadrant: quadrants[i])
        }
    }
}
