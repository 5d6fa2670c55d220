import Foundation

/// Pooled two-proportion z-test of this month's rate against last month's.
public struct TwoProportionTest: Sendable, Hashable {
    /// p₁ − p₂.
    public var difference: Double
    /// (p₁ − p₂)/√(p̄(1 − p̄)(1/n₁ + 1/n₂)).
    public var z: Double
    public var pValue: Double
    /// p₁ − p₂ ± z·√(p₁q₁/n₁ + p₂q₂/n₂): the unpooled interval for the size of the change.
    public var differenceInterval: Interval
}

/// Welch's unequal-variance t-test of two means.
public struct WelchTest: Sendable, Hashable {
    /// x̄₁ − x̄₂.
    public var difference: Double
    public var t: Double
    /// Welch–Satterthwaite degrees of freedom.
    public var degreesOfFreedom: Double
    public var pValue: Double
}

/// A Pearson correlation with the two-sided p-value of r = 0.
public struct Correlation: Sendable, Hashable {
    public var coefficient: Double
    public var count: Int
    /// From t = r√((n − 2)/(1 − r²)) on n − 2 df; nil for n ≤ 2, where r is ±1 by construction.
    public var pValue: Double?

    public init(coefficient r: Double, count: Int) {
        coefficient = r
        self.count = count
        if count > 2 {
            let df = Double(count - 2)
            let rest = 1 - r * r
            pValue =
                rest > 0
                ? Statistics.studentTTwoSidedP(r * (df / rest).squareRoot(), degreesOfFreedom: df)
                : 0
        }
    }
}

extension Statistics {
    /// Two-sided pooled z-test of k₁/n₁ against k₂/n₂ (as statsmodels' `proportions_ztest`).
    /// nil when either month has no answers or both rates are 0% or both 100%, where there is
    /// no variation to test against.
    public static func twoProportionZTest(
        successes1 k1: Int, trials1 n1: Int, successes2 k2: Int, trials2 n2: Int,
        z critical: Double = defaultZ
    ) -> TwoProportionTest? {
        guard n1 > 0, n2 > 0, (0...n1).contains(k1), (0...n2).contains(k2) else { return nil }
        let a = Double(n1)
        let b = Double(n2)
        let p1 = Double(k1) / a
        let p2 = Double(k2) / b
        let pooled = Double(k1 + k2) / (a + b)
        let pooledSE = (pooled * (1 - pooled) * (1 / a + 1 / b)).squareRoot()
        guard pooledSE > 0 else { return nil }
        let difference = p1 - p2
        let z = difference / pooledSE
        let unpooledSE = (p1 * (1 - p1) / a + p2 * (1 - p2) / b).squareRoot()
        return TwoProportionTest(
            difference: difference, z: z, pValue: normalTwoSidedP(z),
            differenceInterval: Interval(
                lower: difference - critical * unpooledSE, upper: difference + critical * unpooledSE))
    }

    /// Welch's t-test of `current` against `previous`; nil when either has fewer than two
    /// answers or neither varies.
    public static func welchTTest(_ current: MeanSummary, _ previous: MeanSummary) -> WelchTest? {
        guard let v1 = current.variance, let v2 = previous.variance else { return nil }
        let a = v1 / Double(current.count)
        let b = v2 / Double(previous.count)
        let se2 = a + b
        guard se2 > 0 else { return nil }
        let difference = current.mean - previous.mean
        let t = difference / se2.squareRoot()
        let df =
            se2 * se2
            / (a * a / Double(current.count - 1) + b * b / Double(previous.count - 1))
        return WelchTest(
            difference: difference, t: t, degreesOfFreedom: df,
            pValue: studentTTwoSidedP(t, degreesOfFreedom: df))
    }

    /// Pearson r of paired values, centred in two passes; nil when the lengths differ, there are
    /// fewer than two pairs, or either side does not vary.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Correlation? {
        guard x.count == y.count, x.count >= 2 else { return nil }
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n
        let my = y.reduce(0, +) / n
        var sxy = 0.0
        var sxx = 0.0
        var syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        guard sxx > 0, syy > 0 else { return nil }
        let r = max(-1, min(1, sxy / (sxx * syy).squareRoot()))
        return Correlation(coefficient: r, count: x.count)
    }

    /// Spearman ρ: Pearson r of the mid-ranks, so tied ratings share their average rank.
    /// Needs the raw answers; there is no mergeable form.
    public static func spearman(_ x: [Double], _ y: [Double]) -> Correlation? {
        guard x.count == y.count else { return nil }
        return pearson(averageRanks(x, descending: false), averageRanks(y, descending: false))
    }
}
