import Foundation

/// Pure functions that turn counts and sums into the published satisfaction figures.
///
/// A figure that cannot be computed (no answers, no spread, a degenerate scale) is nil, never
/// NaN, so a report can print "—" instead of a number that looks real.
public enum Statistics {
    /// The z of every 95% interval in the reports; SCORING.md fixes it at 1.96 rather than
    /// Φ⁻¹(0.975) = 1.959964 so published bounds match the reference tables.
    public static let defaultZ = 1.96
}

/// A closed range of plausible values for a figure.
public struct Interval: Sendable, Hashable {
    public var lower: Double
    public var upper: Double

    public init(lower: Double, upper: Double) {
        self.lower = lower
        self.upper = upper
    }

    public var halfWidth: Double { (upper - lower) / 2 }

    /// The interval with both ends passed through an increasing map.
    public func mapped(_ transform: (Double) -> Double) -> Interval {
        Interval(lower: transform(lower), upper: transform(upper))
    }

    public func clamped(to range: ClosedRange<Double>) -> Interval {
        Interval(
            lower: min(max(lower, range.lowerBound), range.upperBound),
            upper: min(max(upper, range.lowerBound), range.upperBound)
        )
    }
}

/// Count, mean and sample standard deviation (ddof = 1) of one item's valid answers.
public struct MeanSummary: Sendable, Hashable {
    public var count: Int
    public var mean: Double
    /// nil for a single answer, where the spread is unknown rather than zero.
    public var standardDeviation: Double?

    public init(count: Int, mean: Double, standardDeviation: Double?) {
        self.count = count
        self.mean = mean
        self.standardDeviation = count > 1 ? standardDeviation : nil
    }

    /// Summarises answers in two passes, so the spread does not cancel; nil when there are none.
    public init?(_ values: some Sequence<Double>) {
        let all = Array(values)
        guard !all.isEmpty else { return nil }
        let n = Double(all.count)
        let mean = all.reduce(0, +) / n
        var sd: Double?
        if all.count > 1 {
            let squares = all.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            sd = (squares / (n - 1)).squareRoot()
        }
        self.init(count: all.count, mean: mean, standardDeviation: sd)
    }

    /// The summary of `trials` 0/1 answers of which `successes` are 1, so proportions can be
    /// shrunk with the same empirical-Bayes machinery as means.
    public init?(successes: Int, trials: Int) {
        guard trials > 0, successes >= 0, successes <= trials else { return nil }
        let n = Double(trials)
        let p = Double(successes) / n
        let sd = trials > 1 ? (n * p * (1 - p) / (n - 1)).squareRoot() : nil
        self.init(count: trials, mean: p, standardDeviation: sd)
    }

    public var variance: Double? { standardDeviation.map { $0 * $0 } }

    /// s ÷ √n; nil for fewer than two answers.
    public var standardError: Double? {
        standardDeviation.map { $0 / Double(count).squareRoot() }
    }

    /// x̄ ± t(1 − α/2, n − 1)·s/√n; nil for fewer than two answers.
    public func tInterval(level: Double = 0.95) -> Interval? {
        guard let se = standardError,
            let t = Statistics.tCritical(level: level, degreesOfFreedom: Double(count - 1))
        else { return nil }
        return Interval(lower: mean - t * se, upper: mean + t * se)
    }

    /// x̄ ± z·s/√n; nil for fewer than two answers.
    public func normalInterval(z: Double = Statistics.defaultZ) -> Interval? {
        guard let se = standardError else { return nil }
        return Interval(lower: mean - z * se, upper: mean + z * se)
    }
}

/// A mean on a rating scale restated as a 0–100 index, with its t interval on the same footing.
public struct IndexEstimate: Sendable, Hashable {
    public var summary: MeanSummary
    public var index: Double
    /// The mean's t interval mapped through the rescale and kept within 0...100; nil for n < 2.
    public var interval: Interval?
}

/// A share of valid answers with its Wilson interval.
public struct Proportion: Sendable, Hashable {
    public var successes: Int
    public var trials: Int
    /// successes ÷ trials.
    public var value: Double
    public var interval: Interval
    /// The Wilson interval's centre (p̂ + z²/2n)/(1 + z²/n), where the interval is symmetric.
    public var intervalCentre: Double

    public var percent: Double { value * 100 }
}

/// The 好差评 shares of a rated item: CSAT, top box, 好评率 and 差评率.
public struct SatisfactionRates: Sendable, Hashable {
    /// Top two levels (4–5 of 5).
    public var csat: Proportion
    /// Top level only.
    public var topBox: Proportion
    /// 好评率: levels from the good threshold up (3–5 of 5 by default).
    public var good: Proportion
    /// 差评率: bottom two levels (不满意 and 非常不满意).
    public var bad: Proportion
}

/// Net Promoter Score from a 0–10 item, on −100...100, with its standard error.
public struct NetPromoterScore: Sendable, Hashable {
    public var promoters: Int
    public var passives: Int
    public var detractors: Int
    public var count: Int { promoters + passives + detractors }
    /// %promoters − %detractors.
    public var score: Double
    /// 100·√((p + d − (p − d)²)/n).
    public var standardError: Double
    /// score ± z·SE, as computed.
    public var interval: Interval
    /// The interval kept within −100...100, for publication.
    public var clippedInterval: Interval
}

/// Customer Effort Score from a 1–7 "easy to handle" item.
public struct CustomerEffortScore: Sendable, Hashable {
    public var summary: MeanSummary
    /// Share agreeing (5–7 of 7 by default).
    public var agree: Proportion
    public var index: Double
}

extension Statistics {
    // MARK: - Indices

    /// (mean − lowest)/(highest − lowest)·100: 1→0, 2→25 … 5→100 on a 1–5 item.
    /// nil when the scale is degenerate.
    public static func index(mean: Double, lowest: Double, highest: Double) -> Double? {
        guard highest > lowest, mean.isFinite else { return nil }
        return (mean - lowest) / (highest - lowest) * 100
    }

    /// The 0–100 index of a mean with its t interval mapped through the same rescale.
    public static func index(
        _ summary: MeanSummary, lowest: Double, highest: Double, level: Double = 0.95
    ) -> IndexEstimate? {
        guard summary.count > 0,
            let value = index(mean: summary.mean, lowest: lowest, highest: highest)
        else { return nil }
        // The rescale is increasing, so the mapped endpoints bound the mapped mean; clamping keeps
        // a small-n interval from promising a mean beyond the scale.
        let interval = summary.tInterval(level: level)?
            .mapped { (($0 - lowest) / (highest - lowest)) * 100 }
            .clamped(to: 0...100)
        return IndexEstimate(summary: summary, index: value, interval: interval)
    }

    /// The 0–100 index of an item over its own scale.
    public static func index(_ item: ItemAccumulator, level: Double = 0.95) -> IndexEstimate? {
        guard let summary = item.summary else { return nil }
        return index(
            summary, lowest: Double(item.levels.lowerBound), highest: Double(item.levels.upperBound),
            level: level)
    }

    /// t(1 − α/2, ν): the two-sided critical value for a `level` interval.
    public static func tCritical(level: Double = 0.95, degreesOfFreedom nu: Double) -> Double? {
        guard nu > 0, level > 0, level < 1 else { return nil }
        return studentTQuantile(0.5 + level / 2, degreesOfFreedom: nu)
    }

    /// ACSI-style index from item means on 1–10: Σwᵢ(X̄ᵢ − 1) / (9·Σwᵢ) · 100. Equal weights give
    /// the do-it-yourself (S + E + P − 3)/27·100; weights need not sum to 1.
    public static func acsi(means: [Double], weights: [Double]? = nil) -> Double? {
        let w = weights ?? Array(repeating: 1, count: means.count)
        guard !means.isEmpty, w.count == means.count, w.allSatisfy({ $0 >= 0 }) else { return nil }
        let total = w.reduce(0, +)
        guard total > 0 else { return nil }
        let weighted = zip(means, w).reduce(0) { $0 + ($1.0 - 1) * $1.1 }
        return weighted / (9 * total) * 100
    }

    // MARK: - Proportions

    /// Wilson score interval for k of n; the bounds are exactly 0 when k = 0 and exactly 1 when
    /// k = n. nil when n = 0 or k is not within 0...n.
    public static func wilsonInterval(successes k: Int, trials n: Int, z: Double = defaultZ)
        -> Interval?
    {
        guard let parts = wilson(successes: k, trials: n, z: z) else { return nil }
        return parts.interval
    }

    /// k of n with its Wilson interval; nil when n = 0.
    public static func proportion(_ k: Int, of n: Int, z: Double = defaultZ) -> Proportion? {
        guard let parts = wilson(successes: k, trials: n, z: z) else { return nil }
        return Proportion(
            successes: k, trials: n, value: Double(k) / Double(n), interval: parts.interval,
            intervalCentre: parts.centre)
    }

    private static func wilson(successes k: Int, trials n: Int, z: Double)
        -> (interval: Interval, centre: Double)?
    {
        guard n > 0, k >= 0, k <= n, z.isFinite, z >= 0 else { return nil }
        let nn = Double(n)
        let p = Double(k) / nn
        let z2 = z * z
        let denominator = 1 + z2 / nn
        let centre = (p + z2 / (2 * nn)) / denominator
        let spread = z * (p * (1 - p) / nn + z2 / (4 * nn * nn)).squareRoot() / denominator
        // At k = 0 or k = n the formula's outer bound is 0 or 1 only up to rounding.
        let lower = k == 0 ? 0 : centre - spread
        let upper = k == n ? 1 : centre + spread
        return (Interval(lower: lower, upper: upper), centre)
    }

    /// Share of an item's answers within `levels`; nil when the item has no answers.
    public static func share(
        _ item: ItemAccumulator, levels range: ClosedRange<Int>, z: Double = defaultZ
    ) -> Proportion? {
        proportion(item.count(in: range), of: item.count, z: z)
    }

    /// CSAT, top box, 好评率 (levels ≥ `goodFrom`) and 差评率 (bottom two levels) of an item;
    /// nil when it has no answers.
    public static func satisfactionRates(
        _ item: ItemAccumulator, goodFrom: Int = 3, z: Double = defaultZ
    ) -> SatisfactionRates? {
        let low = item.levels.lowerBound
        let high = item.levels.upperBound
        guard item.count > 0,
            let csat = share(item, levels: (high - 1)...high, z: z),
            let top = share(item, levels: high...high, z: z),
            let good = share(item, levels: min(goodFrom, high)...high, z: z),
            let bad = share(item, levels: low...(low + 1), z: z)
        else { return nil }
        return SatisfactionRates(csat: csat, topBox: top, good: good, bad: bad)
    }

    // MARK: - NPS and CES

    /// NPS from counts; nil when there are no answers.
    public static func netPromoterScore(
        promoters: Int, passives: Int, detractors: Int, z: Double = defaultZ
    ) -> NetPromoterScore? {
        guard promoters >= 0, passives >= 0, detractors >= 0 else { return nil }
        let n = promoters + passives + detractors
        guard n > 0 else { return nil }
        let nn = Double(n)
        let p = Double(promoters) / nn
        let d = Double(detractors) / nn
        let score = (p - d) * 100
        // The variance of a +1/0/−1 score; rounding can push an all-one-kind sample below zero.
        let variance = max(0, p + d - (p - d) * (p - d))
        let se = 100 * (variance / nn).squareRoot()
        let interval = Interval(lower: score - z * se, upper: score + z * se)
        return NetPromoterScore(
            promoters: promoters, passives: passives, detractors: detractors, score: score,
            standardError: se, interval: interval, clippedInterval: interval.clamped(to: -100...100))
    }

    /// NPS of a 0–10 item: promoters 9–10, passives 7–8, detractors 0–6. nil unless the item's
    /// scale is 0...10 and it has answers.
    public static func netPromoterScore(_ item: ItemAccumulator, z: Double = defaultZ)
        -> NetPromoterScore?
    {
        guard item.levels == 0...10 else { return nil }
        return netPromoterScore(
            promoters: item.count(in: 9...10), passives: item.count(in: 7...8),
            detractors: item.count(in: 0...6), z: z)
    }

    /// NPS of raw 0–10 ratings; ratings off the scale are left out like N/A.
    public static func netPromoterScore(ratings: some Sequence<Int>, z: Double = defaultZ)
        -> NetPromoterScore?
    {
        var item = ItemAccumulator(levels: 0...10)
        for rating in ratings { item.add(rating) }
        return netPromoterScore(item, z: z)
    }

    /// CES of an item (normally 1–7): mean, share agreeing (levels ≥ `agreeFrom`), 0–100 index.
    public static func customerEffort(
        _ item: ItemAccumulator, agreeFrom: Int = 5, z: Double = defaultZ
    ) -> CustomerEffortScore? {
        guard let summary = item.summary,
            let agree = share(item, levels: agreeFrom...max(agreeFrom, item.levels.upperBound), z: z),
            let value = index(
                mean: summary.mean, lowest: Double(item.levels.lowerBound),
                highest: Double(item.levels.upperBound))
        else { return nil }
        return CustomerEffortScore(summary: summary, agree: agree, index: value)
    }

    // MARK: - Weighting and composites

    /// Σwx ÷ Σw; nil when lengths differ, a weight is negative, or the weights sum to zero.
    public static func weightedMean(_ values: [Double], weights: [Double]) -> Double? {
        weighted(values, weights)?.weightedMean
    }

    /// Kish's effective sample size (Σw)² ÷ Σw².
    public static func kishEffectiveCount(weights: [Double]) -> Double? {
        weighted(Array(repeating: 0, count: weights.count), weights)?.effectiveCount
    }

    /// Kish's design effect n ÷ n_eff.
    public static func kishDesignEffect(weights: [Double]) -> Double? {
        weighted(Array(repeating: 0, count: weights.count), weights)?.designEffect
    }

    private static func weighted(_ values: [Double], _ weights: [Double]) -> WeightedAccumulator? {
        guard values.count == weights.count else { return nil }
        var accumulator = WeightedAccumulator()
        for (value, weight) in zip(values, weights) {
            guard accumulator.add(value, weight: weight) else { return nil }
        }
        return accumulator
    }

    /// A respondent's composite: the mean of the items answered (nil = N/A or missing), given at
    /// least `minimumAnswered` answers — by default half the items, rounded up.
    public static func respondentComposite(_ answers: [Double?], minimumAnswered: Int? = nil)
        -> Double?
    {
        let given = answers.compactMap { $0 }
        let needed = max(1, minimumAnswered ?? (answers.count + 1) / 2)
        guard given.count >= needed else { return nil }
        return given.reduce(0, +) / Double(given.count)
    }
}
