import Foundation

// Distribution functions behind every interval and p-value in the scoring layer.
//
// Where the precision comes from:
// - The normal CDF is libm's erfc, accurate to about one ulp in relative terms in both tails, so
//   tail probabilities such as 1e-300 keep their digits instead of cancelling against 1.
// - The normal quantile starts from a three-coefficient rational guess (error below 5e-4) and
//   polishes it with Halley steps on that erfc-based CDF; each step cubes the error, so two or
//   three steps reach the CDF's own precision.
// - The Student t CDF is the regularized incomplete beta function, evaluated by its continued
//   fraction with the modified Lentz algorithm on whichever side of the symmetry point converges
//   fast. The prefactor x^a·(1 − x)^b / B(a, b) is taken in logs, and log x and log(1 − x) are
//   formed from r = t²/ν with log1p rather than from a rounded x: at ν = 10⁸ the exponent a·log x
//   multiplies any rounding in log x by 5·10⁷. For the same reason log B(a, b) is not the
//   difference of two lgamma values near 10⁹ (whose ulp is 10⁻⁷) but, once the larger argument
//   passes 20, Stirling's series for log Γ(L) − log Γ(L + s), whose large terms cancel
//   analytically (through log1p) instead of numerically. Measured against 80-digit references,
//   the smaller tail is right to about 4e-14 relative for ν up to 10⁴ and to 4e-11 at ν = 10⁶:
//   near x = a/(a + b) the fraction's first denominators nearly cancel, which amplifies the
//   rounding of x by roughly √ν. Reports print six decimals, so this is far below what shows.
//   Tails down to the smallest double survive because nothing is formed as 1 − (something near 1);
//   the two-sided p-value is the tail itself, not 1 − CDF.
// - The t quantile is a bracketed Newton iteration on that CDF. The density only steers the
//   steps; the answer is wherever the CDF says the tail equals the target, so its accuracy is the
//   CDF's. A step that would leave the bracket becomes a bisection, which keeps the iteration safe
//   for ν near 1, where the tails are too heavy for plain Newton.

extension Statistics {
    /// Standard normal cumulative distribution Φ(x).
    public static func normalCDF(_ x: Double) -> Double {
        0.5 * erfc(-x / 2.0.squareRoot())
    }

    /// Two-sided p-value of a standard normal statistic: P(|Z| ≥ |z|).
    public static func normalTwoSidedP(_ z: Double) -> Double {
        erfc(abs(z) / 2.0.squareRoot())
    }

    /// Standard normal quantile Φ⁻¹(p); −∞ at 0, +∞ at 1, NaN outside [0, 1].
    public static func normalQuantile(_ p: Double) -> Double {
        guard p >= 0, p <= 1 else { return .nan }
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        if p == 0.5 { return 0 }
        // Solve in the lower tail, where q keeps full relative precision, then mirror.
        let q = min(p, 1 - p)
        let s = (-2 * log(q)).squareRoot()
        var x =
            -(s - (2.515517 + 0.802853 * s + 0.010328 * s * s)
                / (1 + 1.432788 * s + 0.189269 * s * s + 0.001308 * s * s * s))
        for _ in 0..<8 {
            let density = exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
            guard density > 0 else { break }
            let u = (normalCDF(x) - q) / density
            // Halley: the Newton step corrected by the normal density's curvature, φ'/φ = −x.
            let step = u / (1 + 0.5 * x * u)
            x -= step
            if abs(step) <= 1e-15 * max(1, abs(x)) { break }
        }
        return p < 0.5 ? x : -x
    }

    /// Regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 ≤ x ≤ 1.
    public static func regularizedIncompleteBeta(a: Double, b: Double, x: Double) -> Double {
        guard x >= 0, x <= 1 else { return .nan }
        return incompleteBeta(a: a, b: b, x: x, y: 1 - x, logX: log(x), logY: log1p(-x)).lower
    }

    /// I_x(a, b) and 1 − I_x(a, b), each computed without subtracting from 1 where it is small.
    /// `y` = 1 − x, `logX` = log x and `logY` = log y, which callers form without cancellation;
    /// x itself may underflow to 0 while `logX` stays finite.
    static func incompleteBeta(a: Double, b: Double, x: Double, y: Double, logX: Double, logY: Double)
        -> (lower: Double, upper: Double)
    {
        guard a > 0, b > 0, x >= 0, y >= 0, !logX.isNaN, !logY.isNaN else { return (.nan, .nan) }
        if logX == -.infinity { return (0, 1) }
        if logY == -.infinity { return (1, 0) }
        let logFront = a * logX + b * logY - logBeta(a, b)
        // The fraction for I_x(a, b) converges quickly when x < (a + 1)/(a + b + 2); beyond that
        // the mirrored fraction for I_y(b, a) does.
        if x * (a + b + 2) < a + 1 {
            let lower = exp(logFront) * betaContinuedFraction(a: a, b: b, x: x) / a
            return (lower, 1 - lower)
        } else {
            let upper = exp(logFront) * betaContinuedFraction(a: b, b: a, x: y) / b
            return (1 - upper, upper)
        }
    }

    /// Student t cumulative distribution P(T ≤ t) with ν degrees of freedom (ν > 0, not
    /// necessarily whole, as Welch–Satterthwaite gives).
    public static func studentTCDF(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        guard nu > 0, !t.isNaN else { return .nan }
        if t == 0 { return 0.5 }
        let tail = studentTUpperTail(abs(t), nu: nu)
        return t < 0 ? tail : 1 - tail
    }

    /// Two-sided p-value of a t statistic: P(|T| ≥ |t|) with ν degrees of freedom.
    public static func studentTTwoSidedP(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        guard nu > 0, !t.isNaN else { return .nan }
        if t == 0 { return 1 }
        return min(1, 2 * studentTUpperTail(abs(t), nu: nu))
    }

    /// Student t quantile: the t with P(T ≤ t) = p for ν degrees of freedom.
    public static func studentTQuantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        guard nu > 0, p >= 0, p <= 1 else { return .nan }
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        if p == 0.5 { return 0 }
        let q = min(p, 1 - p)
        let t = studentTUpperQuantile(q, nu: nu)
        return p < 0.5 ? -t : t
    }

    // MARK: - Internals

    /// P(T > t) for t > 0.
    static func studentTUpperTail(_ t: Double, nu: Double) -> Double {
        if t.isInfinite { return 0 }
        // With x = ν/(ν + t²), P(|T| > t) = I_x(ν/2, 1/2). Work from the ratio of the smaller to
        // the larger of t² and ν, so nothing overflows and each log comes from log1p.
        let x: Double
        let y: Double
        let logX: Double
        let logY: Double
        if t >= nu.squareRoot() {
            let r = nu / t / t
            // r underflows for t beyond 1e154; its log does not need to.
            let logR = r >= Double.leastNormalMagnitude ? log(r) : log(nu) - 2 * log(t)
            x = r / (1 + r)
            y = 1 / (1 + r)
            logX = logR - log1p(r)
            logY = -log1p(r)
        } else {
            let r = t / nu * t
            x = 1 / (1 + r)
            y = r / (1 + r)
            logX = -log1p(r)
            logY = log(r) - log1p(r)
        }
        return 0.5 * incompleteBeta(a: nu / 2, b: 0.5, x: x, y: y, logX: logX, logY: logY).lower
    }

    /// The t > 0 with P(T > t) = q, for 0 < q < 1/2.
    static func studentTUpperQuantile(_ q: Double, nu: Double) -> Double {
        // Closed forms where they exist: Cauchy (ν = 1) and ν = 2.
        if nu == 1 { return 1 / tan(Double.pi * q) }
        if nu == 2 { return (1 - 2 * q) / (2 * q * (1 - q)).squareRoot() }

        // Start from the normal quantile with the first Cornish–Fisher corrections; exact
        // enough for large ν, and the bracket below takes care of small ν.
        let z = -normalQuantile(q)
        let z3 = z * z * z
        var t = z + (z3 + z) / (4 * nu) + (5 * z3 * z * z + 16 * z3 + 3 * z) / (96 * nu * nu)
        if !t.isFinite || t <= 0 { t = 1 }

        // Bracket the root: the tail falls as t grows.
        var low = 0.0
        var high = t
        while studentTUpperTail(high, nu: nu) > q {
            low = high
            high *= 2
            if !high.isFinite { return .infinity }
        }
        if t < low || t > high { t = 0.5 * (low + high) }
        // The density is 1/(√ν·B(ν/2, 1/2))·(1 + t²/ν)^(−(ν+1)/2).
        let logNormaliser = -logBeta(nu / 2, 0.5) - 0.5 * log(nu)
        for _ in 0..<200 {
            let tail = studentTUpperTail(t, nu: nu)
            if tail > q { low = max(low, t) } else { high = min(high, t) }
            let density = exp(logNormaliser - (nu + 1) / 2 * log1p(t / nu * t))
            // The tail decreases with slope −density, so Newton moves t by (tail − q)/density.
            var next = t + (tail - q) / density
            if !(next > low && next < high) || !next.isFinite {
                next = 0.5 * (low + high)
            }
            if abs(next - t) <= 4 * Double.ulpOfOne * t { return next }
            if high - low <= 4 * Double.ulpOfOne * high { return next }
            t = next
        }
        return t
    }

    /// log B(a, b) = log Γ(a) + log Γ(b) − log Γ(a + b).
    static func logBeta(_ a: Double, _ b: Double) -> Double {
        let small = min(a, b)
        let large = max(a, b)
        guard large >= 20 else {
            return lgammaValue(a) + lgammaValue(b) - lgammaValue(a + b)
        }
        // Stirling: log Γ(x) = (x − ½)log x − x + ½log 2π + δ(x). In log Γ(L) − log Γ(L + s) the
        // x·log x terms reduce to −(L − ½)·log1p(s/L) − s·log(L + s), so no digits are lost to
        // subtracting two numbers of size L·log L. (When s is large too, lgamma(s) keeps its own
        // ulp-sized error; the t distribution only ever has s = ½.)
        let sum = large + small
        let difference =
            -(large - 0.5) * log1p(small / large) - small * log(sum) + small
            + stirlingCorrection(large) - stirlingCorrection(sum)
        return lgammaValue(small) + difference
    }

    /// δ(x) = log Γ(x) − [(x − ½)log x − x + ½log 2π] for x ≥ 20, from the Bernoulli-number
    /// series; the first omitted term is below 1e-17 there.
    static func stirlingCorrection(_ x: Double) -> Double {
        let inverse = 1 / x
        let inverse2 = inverse * inverse
        let series =
            1.0 / 12 - inverse2
            * (1.0 / 360 - inverse2 * (1.0 / 1260 - inverse2 * (1.0 / 1680 - inverse2 / 1188)))
        return inverse * series
    }

    /// log |Γ(x)| through the overlay that returns the sign instead of writing the global
    /// `signgam`, so concurrent callers do not race.
    static func lgammaValue(_ x: Double) -> Double {
        let (value, _) = lgamma(x)
        return value
    }

    /// Continued fraction for I_x(a, b) · a / (x^a (1−x)^b / B(a, b)), by modified Lentz.
    static func betaContinuedFraction(a: Double, b: Double, x: Double) -> Double {
        // Lentz's algorithm evaluates the fraction front to back; `tiny` stands in for a zero
        // denominator so one unlucky term does not divide by zero.
        let tiny = 1e-300
        let epsilon = Double.ulpOfOne
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        // Iterations grow like √max(a, b); ν = 10⁸ stays well inside this bound.
        for m in 1...100_000 {
            let mm = Double(m)
            // Even term: m(b − m)x / ((a + 2m − 1)(a + 2m)).
            var numerator = mm * (b - mm) * x / ((a + 2 * mm - 1) * (a + 2 * mm))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            result *= d * c
            // Odd term: −(a + m)(a + b + m)x / ((a + 2m)(a + 2m + 1)).
            numerator = -(a + mm) * (a + b + mm) * x / ((a + 2 * mm) * (a + 2 * mm + 1))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            result *= delta
            if abs(delta - 1) <= epsilon { break }
        }
        return result
    }
}
