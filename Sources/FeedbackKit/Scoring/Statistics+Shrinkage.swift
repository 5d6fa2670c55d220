import Foundation

/// One-way random-effects moments of department means and the prior weight C they imply.
public struct EmpiricalBayesPrior: Sendable, Hashable {
    /// Departments with at least one answer.
    public var groupCount: Int
    /// All answers, N = Σnᵢ.
    public var totalCount: Int
    /// Σnᵢx̄ᵢ ÷ N, the value every department is shrunk toward.
    public var grandMean: Double
    /// MSB = Σnᵢ(x̄ᵢ − x̄)² ÷ (k − 1); nil with fewer than two departments.
    public var betweenMeanSquare: Double?
    /// MSW = Σ(nᵢ − 1)sᵢ² ÷ (N − k), the pooled within-department variance σ².
    public var withinMeanSquare: Double?
    /// n₀ = (N − Σnᵢ²/N) ÷ (k − 1), the effective department size for unequal nᵢ.
    public var typicalGroupSize: Double?
    /// τ² = max(0, (MSB − MSW)/n₀), the variance of true department means.
    public var tau2: Double?
    /// C = MSW/τ² as estimated, before clamping; nil when τ² is zero or unknown.
    public var rawPriorWeight: Double?

    /// The prior weight a ranking uses: C clamped to `policy.range`, or `policy.fallback` when
    /// there are too few departments or τ² = 0 (no detectable difference between departments).
    public func priorWeight(_ policy: PriorWeightPolicy = PriorWeightPolicy()) -> Double {
        guard groupCount >= policy.minimumGroups, let raw = rawPriorWeight else {
            return policy.fallback
        }
        return min(max(raw, policy.range.lowerBound), policy.range.upperBound)
    }

    /// A department's mean pulled toward the grand mean: (C·m + n·x̄)/(C + n).
    public func shrink(_ group: MeanSummary, priorWeight: Double) -> Double? {
        Statistics.bayesianAverage(
            mean: group.mean, count: group.count, priorMean: grandMean, priorWeight: priorWeight)
    }
}

/// How the ranking turns an estimated C into the one it uses (SCORING.md §4 defaults).
public struct PriorWeightPolicy: Sendable, Hashable {
    public var range: ClosedRange<Double>
    public var fallback: Double
    public var minimumGroups: Int

    public init(range: ClosedRange<Double> = 5...200, fallback: Double = 30, minimumGroups: Int = 5) {
        self.range = range
        self.fallback = fallback
        self.minimumGroups = minimumGroups
    }
}

extension Statistics {
    /// Bayesian average (C·m + n·x̄)/(C + n); nil when C + n is not positive.
    public static func bayesianAverage(
        mean: Double, count: Int, priorMean: Double, priorWeight: Double
    ) -> Double? {
        let n = Double(count)
        guard count >= 0, priorWeight >= 0, n + priorWeight > 0 else { return nil }
        return (priorWeight * priorMean + n * mean) / (priorWeight + n)
    }

    /// Shrunk proportion (k + C·p₀)/(n + C); nil when n + C is not positive.
    public static func bayesianProportion(
        successes k: Int, trials n: Int, priorProportion: Double, priorWeight: Double
    ) -> Double? {
        guard n >= 0, k >= 0, k <= n, priorWeight >= 0, Double(n) + priorWeight > 0 else {
            return nil
        }
        return (Double(k) + priorWeight * priorProportion) / (Double(n) + priorWeight)
    }

    /// The weight n/(n + C) that a Bayesian average puts on the department's own answers.
    public static func dataWeight(count: Int, priorWeight: Double) -> Double? {
        let n = Double(count)
        guard count >= 0, priorWeight >= 0, n + priorWeight > 0 else { return nil }
        return n / (n + priorWeight)
    }

    /// Empirical-Bayes moments from each department's n, mean and sd; MSW pools the sds.
    /// Departments without answers are ignored; nil when no department has any.
    public static func empiricalBayes(_ groups: [MeanSummary]) -> EmpiricalBayesPrior? {
        let present = groups.filter { $0.count > 0 }
        let total = present.reduce(0) { $0 + $1.count }
        // A one-answer department has no sd but also contributes no within-department degrees
        // of freedom, so it drops out of both Σ(nᵢ − 1)sᵢ² and N − k.
        let withinSquares = present.reduce(0.0) {
            $0 + Double($1.count - 1) * ($1.variance ?? 0)
        }
        let withinDegrees = total - present.count
        let msw = withinDegrees > 0 ? withinSquares / Double(withinDegrees) : nil
        return empiricalBayes(
            counts: present.map(\.count), means: present.map(\.mean), withinMeanSquare: msw)
    }

    /// Empirical-Bayes moments from department sizes and means with a known MSW (for instance
    /// one computed from the item's pooled sums). nil when the lengths differ or N = 0.
    public static func empiricalBayes(counts: [Int], means: [Double], withinMeanSquare: Double?)
        -> EmpiricalBayesPrior?
    {
        guard counts.count == means.count, counts.allSatisfy({ $0 >= 0 }) else { return nil }
        let groups = zip(counts, means).filter { $0.0 > 0 }
        let k = groups.count
        let total = groups.reduce(0) { $0 + $1.0 }
        guard total > 0 else { return nil }
        let n = Double(total)
        let grandMean = groups.reduce(0.0) { $0 + Double($1.0) * $1.1 } / n

        var msb: Double?
        var n0: Double?
        if k >= 2 {
            let between = groups.reduce(0.0) {
                $0 + Double($1.0) * ($1.1 - grandMean) * ($1.1 - grandMean)
            }
            msb = between / Double(k - 1)
            let squares = groups.reduce(0.0) { $0 + Double($1.0) * Double($1.0) }
            n0 = (n - squares / n) / Double(k - 1)
        }
        var tau2: Double?
        var raw: Double?
        if let msb, let n0, let msw = withinMeanSquare, n0 > 0 {
            let t = max(0, (msb - msw) / n0)
            tau2 = t
            if t > 0 { raw = msw / t }
        }
        return EmpiricalBayesPrior(
            groupCount: k, totalCount: total, grandMean: grandMean, betweenMeanSquare: msb,
            withinMeanSquare: withinMeanSquare, typicalGroupSize: n0, tau2: tau2,
            rawPriorWeight: raw)
    }
}
