import Foundation
import Testing

@testable import FeedbackKit

/// Distribution functions against published and independently computed values.
struct DistributionsTests {
    /// |a − b| ≤ tolerance·max(1, |b|).
    private func close(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool {
        abs(a - b) <= tolerance * max(1, abs(b))
    }

    /// Two-sided 95% critical values from printed t tables.
    @Test(arguments: [(1.0, 12.706205), (2.0, 4.302653), (10.0, 2.228139), (1000.0, 1.962339)])
    func tQuantileTableValues(df: Double, expected: Double) {
        let t = Statistics.studentTQuantile(0.975, degreesOfFreedom: df)
        #expect(abs(t - expected) <= 1e-6, "df \(df): \(t)")
        #expect(Statistics.tCritical(degreesOfFreedom: df).map { abs($0 - expected) <= 1e-6 } == true)
    }

    /// Full-precision quantiles (scipy.stats.t.ppf; mpmath at 40 digits for ν = 10⁸ and the
    /// 1e-300 tail, where scipy loses its way) including far tails and fractional df.
    @Test(arguments: [
        (0.975, 1.0, 12.706204736174694),
        (0.975, 2.0, 4.302652729749462),
        (0.975, 3.0, 3.1824463052837078),
        (0.975, 30.0, 2.0422724563012378),
        (0.975, 1e6, 1.959966356814107),
        (0.995, 4.0, 4.604094871349992),
        (0.9, 1.5, 2.1963984175655376),
        (1e-10, 3.0, -2225.769284683093),
        (1e-10, 10.0, -25.466008021697725),
        (1e-10, 1000.0, -6.427876283134213),
        (0.975, 1e8, 1.9599640082627668),
        (1e-300, 1.5, -5.219469427344636e199),
    ])
    func tQuantilePrecise(p: Double, df: Double, expected: Double) {
        let t = Statistics.studentTQuantile(p, degreesOfFreedom: df)
        #expect(close(t, expected, 1e-9), "p \(p) df \(df): \(t) vs \(expected)")
    }

    @Test func normalQuantile() {
        #expect(abs(Statistics.normalQuantile(0.975) - 1.959964) <= 1e-6)
        #expect(close(Statistics.normalQuantile(0.975), 1.959963984540054, 1e-14))
        #expect(close(Statistics.normalQuantile(0.025), -1.959963984540054, 1e-14))
        #expect(close(Statistics.normalQuantile(1e-300), -37.0470962993612, 1e-12))
        #expect(close(Statistics.normalQuantile(0.5 + 1e-12), 2.5065728237018607e-12, 1e-6))
        #expect(Statistics.normalQuantile(0.5) == 0)
        #expect(Statistics.normalQuantile(0) == -.infinity)
        #expect(Statistics.normalQuantile(1) == .infinity)
        #expect(Statistics.normalQuantile(1.5).isNaN)
    }

    @Test(arguments: [1e-12, 1e-6, 0.01, 0.2, 0.5, 0.7, 0.975, 0.999999])
    func normalRoundTrip(p: Double) {
        let x = Statistics.normalQuantile(p)
        #expect(abs(Statistics.normalCDF(x) - p) <= 1e-15 + 1e-13 * p, "p \(p)")
    }

    /// Values from scipy.stats.t.cdf / .sf: a far tail, a fractional df and a huge df.
    @Test func tCDF() {
        #expect(close(Statistics.studentTCDF(-40, degreesOfFreedom: 3) / 1.7190340394579253e-05, 1, 1e-10))
        #expect(close(1 - Statistics.studentTCDF(2.5, degreesOfFreedom: 7.3), 0.019825117332800214, 1e-12))
        #expect(close(Statistics.studentTCDF(0.3, degreesOfFreedom: 1e6), 0.617911391010503, 1e-9))
        #expect(close(Statistics.studentTCDF(-3, degreesOfFreedom: 2.5), 0.036288047774515914, 1e-12))
        // The upper tail keeps relative precision far past where 1 − CDF would round to zero.
        let tail = Statistics.studentTTwoSidedP(10, degreesOfFreedom: 1000) / 2
        #expect(close(tail / 8.335351479300069e-23, 1, 1e-8))
        // mpmath: differs from Φ(1.5) in the ninth digit, which a normal shortcut would lose.
        #expect(close(Statistics.studentTCDF(1.5, degreesOfFreedom: 1e8), 0.9331927971526462, 1e-10))
        #expect(Statistics.studentTCDF(0, degreesOfFreedom: 5) == 0.5)
        #expect(Statistics.studentTCDF(.infinity, degreesOfFreedom: 5) == 1)
        #expect(Statistics.studentTCDF(-.infinity, degreesOfFreedom: 5) == 0)
        #expect(Statistics.studentTCDF(1, degreesOfFreedom: 0).isNaN)
    }

    /// Cauchy (df = 1) has the closed form 1/2 + atan(t)/π.
    @Test(arguments: [-50.0, -1, -0.2, 0.7, 3, 1e4])
    func tCDFCauchy(t: Double) {
        let expected = 0.5 + atan(t) / Double.pi
        #expect(close(Statistics.studentTCDF(t, degreesOfFreedom: 1), expected, 1e-13))
    }

    @Test(arguments: [1.5, 3, 7.3, 30, 250])
    func tRoundTrip(df: Double) {
        for p in [1e-8, 0.001, 0.05, 0.3, 0.6, 0.975, 0.9999] {
            let t = Statistics.studentTQuantile(p, degreesOfFreedom: df)
            let back = Statistics.studentTCDF(t, degreesOfFreedom: df)
            #expect(abs(back - p) <= 1e-13 * max(p, 1e-3), "df \(df) p \(p)")
        }
    }

    @Test func incompleteBeta() {
        // Closed forms: I_x(1, 1) = x, I_x(a, 1) = xᵃ, I_½(a, a) = ½.
        #expect(close(Statistics.regularizedIncompleteBeta(a: 1, b: 1, x: 0.37), 0.37, 1e-14))
        #expect(close(Statistics.regularizedIncompleteBeta(a: 3.5, b: 1, x: 0.6), pow(0.6, 3.5), 1e-13))
        #expect(close(Statistics.regularizedIncompleteBeta(a: 40, b: 40, x: 0.5), 0.5, 1e-13))
        // scipy.special.betainc.
        #expect(
            close(Statistics.regularizedIncompleteBeta(a: 2.5, b: 3.5, x: 0.3), 0.29675298929566646, 1e-13))
        #expect(
            close(Statistics.regularizedIncompleteBeta(a: 50, b: 0.5, x: 0.99), 0.3173043978741973, 1e-12))
        #expect(
            close(Statistics.regularizedIncompleteBeta(a: 0.5, b: 200, x: 0.001), 0.4727558929747644, 1e-12))
        #expect(Statistics.regularizedIncompleteBeta(a: 2, b: 3, x: 0) == 0)
        #expect(Statistics.regularizedIncompleteBeta(a: 2, b: 3, x: 1) == 1)
        #expect(Statistics.regularizedIncompleteBeta(a: -1, b: 3, x: 0.5).isNaN)
    }

    /// log B(a, b) on both sides of the switch to Stirling's series (mpmath, 40 digits).
    @Test(arguments: [
        (25.0, 0.5, -1.0320733026829274673),
        (5e7, 0.5, -8.2914018362715099943),
        (30.0, 40.0, -48.301749095916125196),
        (19.9, 0.5, -0.91671417631139776675),
        (20.0, 20.5, -28.301689907335091907),
        (3.5, 2.25, -3.0408707193828155248),
    ])
    func logBeta(a: Double, b: Double, expected: Double) {
        #expect(abs(Statistics.logBeta(a, b) - expected) <= 1e-13 * max(1, abs(expected)))
        #expect(Statistics.logBeta(a, b) == Statistics.logBeta(b, a))
    }

    @Test func normalTwoSided() {
        // 2(1 − Φ(1.96)) = 0.049996.
        #expect(abs(Statistics.normalTwoSidedP(1.96) - 0.0499957902) <= 1e-9)
        #expect(abs(Statistics.normalTwoSidedP(-1.96) - 0.0499957902) <= 1e-9)
        #expect(Statistics.normalTwoSidedP(0) == 1)
    }
}
