import Foundation
import Testing

@testable import FeedbackKit

/// Hand-checked cases, chiefly the edges the reference vectors do not reach.
struct StatisticsTests {
    private func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tolerance
    }

    // MARK: No answers: no figure, never NaN

    @Test func noAnswersGiveNoFigures() {
        let empty = ItemAccumulator(levels: 1...5)
        #expect(empty.summary == nil)
        #expect(Statistics.index(empty) == nil)
        #expect(Statistics.satisfactionRates(empty) == nil)
        #expect(Statistics.share(empty, levels: 4...5) == nil)
        #expect(Statistics.customerEffort(ItemAccumulator(levels: 1...7)) == nil)
        #expect(Statistics.netPromoterScore(ItemAccumulator(levels: 0...10)) == nil)
        #expect(Statistics.netPromoterScore(promoters: 0, passives: 0, detractors: 0) == nil)
        #expect(Statistics.netPromoterScore(ratings: [Int]()) == nil)
        #expect(MeanSummary([Double]()) == nil)
        #expect(MeanSummary(successes: 0, trials: 0) == nil)
        #expect(Statistics.proportion(0, of: 0) == nil)
        #expect(Statistics.wilsonInterval(successes: 0, trials: 0) == nil)
        #expect(ProportionAccumulator().proportion() == nil)
        #expect(EfficiencyAccumulator().facts() == EfficiencyFacts())
        #expect(Statistics.weightedMean([], weights: []) == nil)
        #expect(Statistics.kishEffectiveCount(weights: []) == nil)
        #expect(Statistics.kishDesignEffect(weights: [0, 0]) == nil)
        #expect(Statistics.pearson([], []) == nil)
        #expect(Statistics.spearman([], []) == nil)
        #expect(PairAccumulator().pearson == nil)
        #expect(CrossProductAccumulator(variableCount: 3).correlationMatrix == nil)
        #expect(Statistics.empiricalBayes([]) == nil)
        #expect(Statistics.empiricalBayes([MeanSummary(count: 0, mean: 0, standardDeviation: nil)]) == nil)
        #expect(Statistics.bayesianAverage(mean: 4, count: 0, priorMean: 3, priorWeight: 0) == nil)
        #expect(
            Statistics.bayesianProportion(successes: 0, trials: 0, priorProportion: 0.5, priorWeight: 0)
                == nil)
        #expect(Statistics.ranks([]).isEmpty)
        #expect(Statistics.importancePerformance(importance: [], performance: []) == nil)
        #expect(Statistics.respondentComposite([]) == nil)
        #expect(Statistics.respondentComposite([nil, nil]) == nil)
        #expect(Statistics.acsi(means: []) == nil)
        #expect(
            Statistics.twoProportionZTest(successes1: 0, trials1: 0, successes2: 3, trials2: 10) == nil)
    }

    // MARK: One answer: a mean but no spread

    @Test func oneAnswerHasNoInterval() throws {
        let one = try #require(MeanSummary([4.0]))
        #expect(one.mean == 4)
        #expect(one.standardDeviation == nil)
        #expect(one.standardError == nil)
        #expect(one.tInterval() == nil)
        #expect(one.normalInterval() == nil)
        let index = try #require(Statistics.index(one, lowest: 1, highest: 5))
        #expect(index.index == 75)
        #expect(index.interval == nil)
        #expect(Statistics.tCritical(degreesOfFreedom: 0) == nil)
        #expect(Statistics.welchTTest(one, try #require(MeanSummary([3.0, 4.0, 5.0]))) == nil)
        #expect(Statistics.pearson([1], [2]) == nil)

        var item = ItemAccumulator(levels: 1...5)
        item.add(5)
        #expect(item.summary == MeanSummary(count: 1, mean: 5, standardDeviation: nil))
        // A lone 5 is 100% CSAT with a Wilson interval of [0.206543, 1] (vector wilson_ci k = n = 1).
        let rates = try #require(Statistics.satisfactionRates(item))
        #expect(rates.csat.interval.upper == 1)
        #expect(close(rates.csat.interval.lower, 0.206543, 1e-6))
    }

    // MARK: Identical answers: sd = 0, correlation undefined

    @Test func identicalAnswers() throws {
        let same = try #require(MeanSummary([3.0, 3, 3, 3]))
        #expect(same.standardDeviation == 0)
        #expect(same.tInterval() == Interval(lower: 3, upper: 3))
        #expect(Statistics.pearson([1, 2, 3, 4], [3, 3, 3, 3]) == nil)
        #expect(Statistics.spearman([1, 2, 3, 4], [3, 3, 3, 3]) == nil)
        var pair = PairAccumulator()
        for x in [1.0, 2, 3, 4] { pair.add(x: x, y: 3) }
        #expect(pair.pearson == nil)
        #expect(pair.correlation == nil)
        #expect(Statistics.welchTTest(same, same) == nil)
        var matrix = CrossProductAccumulator(variableCount: 2)
        for x in [1.0, 2, 3] { matrix.add([x, 5]) }
        #expect(matrix.correlationMatrix == nil)
        var item = ItemAccumulator(levels: 1...5)
        item.add(4, count: 20)
        #expect(item.summary?.standardDeviation == 0)
        #expect(Statistics.index(item)?.interval == Interval(lower: 75, upper: 75))
    }

    // MARK: Wilson bounds

    @Test(arguments: [1, 2, 7, 30, 1000])
    func wilsonBoundsAreExactAtTheEnds(n: Int) throws {
        for z in [1.0, 1.96, Statistics.normalQuantile(0.975), 2.576] {
            let none = try #require(Statistics.wilsonInterval(successes: 0, trials: n, z: z))
            let all = try #require(Statistics.wilsonInterval(successes: n, trials: n, z: z))
            #expect(none.lower == 0)
            #expect(all.upper == 1)
            // The far bounds mirror each other: upper(0 of n) = 1 − lower(n of n) = z²/(n + z²).
            let far = z * z / (Double(n) + z * z)
            #expect(close(none.upper, far, 1e-12))
            #expect(close(all.lower, 1 - far, 1e-12))
        }
    }

    @Test func wilsonHandWorked() throws {
        // k = 6 of n = 40, z = 1.96: centre (0.15 + 0.048020)/1.096040 = 0.180668;
        // spread 1.96·√(0.0031875 + 0.0006003)/1.096040 = 0.110057.
        let p = try #require(Statistics.proportion(6, of: 40))
        #expect(close(p.intervalCentre, 0.180668, 1e-6))
        #expect(close(p.interval.lower, 0.070611, 1e-6))
        #expect(close(p.interval.upper, 0.290726, 1e-6))
        #expect(p.percent == 15)
        #expect(Statistics.proportion(11, of: 10) == nil)
        #expect(Statistics.proportion(-1, of: 10) == nil)
    }

    // MARK: Rates on the five levels

    @Test func goodThresholdIsAParameter() throws {
        let item = ItemAccumulator(levels: 1...5, counts: [1: 1, 2: 2, 3: 3, 4: 4, 5: 10])
        let byDefault = try #require(Statistics.satisfactionRates(item))
        #expect(byDefault.good.successes == 17)
        #expect(byDefault.csat.successes == 14)
        #expect(byDefault.topBox.successes == 10)
        #expect(byDefault.bad.successes == 3)
        let strict = try #require(Statistics.satisfactionRates(item, goodFrom: 4))
        #expect(strict.good.successes == 14)
        #expect(strict.good.trials == 20)
    }

    // MARK: Indices

    @Test func indexOnDifferentScales() throws {
        #expect(Statistics.index(mean: 2, lowest: 1, highest: 5) == 25)
        #expect(Statistics.index(mean: 3.35, lowest: 1, highest: 5).map { abs($0 - 58.75) < 1e-12 } == true)
        #expect(Statistics.index(mean: 4, lowest: 0, highest: 10) == 40)
        #expect(Statistics.index(mean: 3, lowest: 5, highest: 5) == nil)
        #expect(Statistics.index(mean: .nan, lowest: 1, highest: 5) == nil)
    }

    @Test func indexIntervalStaysOnTheScale() throws {
        // Mean 4.75, sd 0.5, n 4: t(0.975, 3)·0.25 = 0.795602 reaches 5.55 on a 1–5 scale.
        let summary = try #require(MeanSummary([5.0, 5, 5, 4]))
        let raw = try #require(summary.tInterval())
        #expect(close(raw.upper, 4.75 + 3.182446305 * 0.25, 1e-8))
        let index = try #require(Statistics.index(summary, lowest: 1, highest: 5))
        #expect(index.interval?.upper == 100)
        #expect(close(index.interval?.lower, (4.75 - 3.182446305 * 0.25 - 1) / 4 * 100, 1e-6))
    }

    @Test func acsiWeights() {
        // (8.2 − 1)/9·100 = 80 with all weight on satisfaction.
        #expect(close(Statistics.acsi(means: [8.2, 7.5, 7.1], weights: [1, 0, 0]), 80, 1e-12))
        #expect(Statistics.acsi(means: [8, 7], weights: [1]) == nil)
        #expect(Statistics.acsi(means: [8, 7], weights: [0, 0]) == nil)
        #expect(Statistics.acsi(means: [8, 7], weights: [1, -1]) == nil)
    }

    // MARK: NPS

    @Test func npsIntervalIsClipped() throws {
        // p = 0.9, d = 0: SE = 100·√((0.9 − 0.81)/10) = 9.486833; 90 + 1.96·SE = 108.59.
        let nps = try #require(Statistics.netPromoterScore(promoters: 9, passives: 1, detractors: 0))
        #expect(close(nps.score, 90))
        #expect(close(nps.standardError, 9.486833, 1e-6))
        #expect(close(nps.interval.upper, 108.594193, 1e-6))
        #expect(nps.clippedInterval.upper == 100)
        #expect(close(nps.clippedInterval.lower, 71.405807, 1e-6))
    }

    @Test func npsFromItemNeedsTheElevenPointScale() throws {
        var item = ItemAccumulator(levels: 0...10)
        for rating in [10, 9, 9, 8, 7, 6, 0] { item.add(rating) }
        let nps = try #require(Statistics.netPromoterScore(item))
        #expect(nps.promoters == 3 && nps.passives == 2 && nps.detractors == 2)
        #expect(close(nps.score, 100.0 / 7))
        #expect(Statistics.netPromoterScore(ItemAccumulator(levels: 1...5, counts: [5: 3])) == nil)
        // Off-scale ratings are left out like N/A.
        #expect(Statistics.netPromoterScore(ratings: [10, 11, -1])?.count == 1)
    }

    // MARK: Shrinkage

    @Test func priorWeightFallsBackAndClamps() throws {
        func groups(_ means: [Double]) -> [MeanSummary] {
            means.map { MeanSummary(count: 100, mean: $0, standardDeviation: 1) }
        }
        // Fewer than five departments: the fallback, whatever the estimate.
        let four = try #require(Statistics.empiricalBayes(groups([3.0, 3.5, 4.0, 4.5])))
        #expect(four.rawPriorWeight != nil)
        #expect(four.priorWeight() == 30)

        // Spread below what chance gives: τ² = 0, no estimate, the fallback.
        let flat = try #require(Statistics.empiricalBayes(groups([3.0, 3.01, 3.02, 3.03, 3.04])))
        #expect(flat.tau2 == 0)
        #expect(flat.rawPriorWeight == nil)
        #expect(flat.priorWeight() == 30)

        // Spacing 0.1: MSB = 100·0.1/4 = 2.5, MSW = 1, n₀ = 100, τ² = 0.015, C = 66.67.
        let spread = try #require(Statistics.empiricalBayes(groups([3.0, 3.1, 3.2, 3.3, 3.4])))
        #expect(close(spread.betweenMeanSquare, 2.5))
        #expect(close(spread.withinMeanSquare, 1))
        #expect(close(spread.typicalGroupSize, 100))
        #expect(close(spread.tau2, 0.015))
        #expect(close(spread.priorWeight(), 200.0 / 3))

        // Spacing 0.075: C = 1/0.0040625 = 246 → clamped to 200.
        let narrow = try #require(Statistics.empiricalBayes(groups([3.0, 3.075, 3.15, 3.225, 3.3])))
        #expect(close(narrow.rawPriorWeight, 246.153846, 1e-6))
        #expect(narrow.priorWeight() == 200)
        #expect(narrow.priorWeight(PriorWeightPolicy(range: 5...500)) == narrow.rawPriorWeight)
    }

    @Test func shrinkageOrdersSmallAndLargeDepartments() throws {
        // Five answers of 4.8 against five hundred of 4.5, grand mean 3.8, C = 30.
        let small = try #require(
            Statistics.bayesianAverage(mean: 4.8, count: 5, priorMean: 3.8, priorWeight: 30))
        let large = try #require(
            Statistics.bayesianAverage(mean: 4.5, count: 500, priorMean: 3.8, priorWeight: 30))
        #expect(close(small, 3.8 + 5.0 / 35))
        #expect(large > small)
        #expect(
            Statistics.bayesianProportion(successes: 6, trials: 5, priorProportion: 0.5, priorWeight: 1)
                == nil)
    }

    @Test func proportionsAsMeanSummaries() throws {
        // 8 of 10: p = 0.8, s² = 10·0.16/9.
        let p = try #require(MeanSummary(successes: 8, trials: 10))
        #expect(p.mean == 0.8)
        #expect(close(p.variance, 1.6 / 9, 1e-12))
        let zeroOnes = try #require(MeanSummary([1.0, 1, 1, 1, 1, 1, 1, 1, 0, 0]))
        #expect(close(p.standardDeviation, zeroOnes.standardDeviation ?? -1, 1e-12))
    }

    // MARK: Ranking

    @Test func rankingRoundsToTheDisplayedFigure() {
        // "%.1f" prints 82.25 as 82.2 (a binary tie, rounded to even) and 82.24 as 82.2: tied.
        #expect(Statistics.competitionRanks([82.25, 82.24, 90, 75], decimals: 1) == [2, 2, 1, 4])
        #expect(Statistics.competitionRanks([82.25, 82.24, 90, 75]) == [2, 3, 1, 4])
        #expect(Statistics.competitionRanks([70, 80, 80, 80, 60], decimals: 0) == [4, 1, 1, 1, 5])
        #expect(Statistics.ranks([1, 1, 1], method: .dense) == [1, 1, 1])
        #expect(Statistics.ranks([1, 1, 1], method: .average) == [2, 2, 2])
        #expect(Statistics.competitionRanks([.nan, 50, 60]) == [3, 2, 1])
    }

    // MARK: Month-over-month tests

    @Test func twoProportionHandWorked() throws {
        // 45/50 vs 30/50: pooled 0.75, SE √(0.1875·0.04) = 0.0866025, z = 0.3/0.0866025 = 3.464102.
        let test = try #require(
            Statistics.twoProportionZTest(successes1: 45, trials1: 50, successes2: 30, trials2: 50))
        #expect(close(test.z, 3.464102, 1e-6))
        #expect(close(test.pValue, 0.000532, 1e-6))
        // No variation at all: nothing to test.
        #expect(Statistics.twoProportionZTest(successes1: 0, trials1: 40, successes2: 0, trials2: 50) == nil)
        #expect(
            Statistics.twoProportionZTest(successes1: 40, trials1: 40, successes2: 50, trials2: 50) == nil)
    }

    @Test func welchDegreesOfFreedom() throws {
        // n 7, s² 8/7 against n 8, s² 4/7: a = 0.163265, b = 0.071429,
        // df = 0.234694²/(a²/6 + b²/7) = 10.651 (scipy's ttest_ind agrees).
        let current = try #require(MeanSummary([4.0, 5, 3, 4, 5, 2, 4]))
        let previous = try #require(MeanSummary([3.0, 3, 4, 2, 3, 3, 2, 4]))
        let test = try #require(Statistics.welchTTest(current, previous))
        let a = 8.0 / 7 / 7
        let b = 4.0 / 7 / 8
        #expect(close(test.degreesOfFreedom, (a + b) * (a + b) / (a * a / 6 + b * b / 7), 1e-12))
        #expect(close(test.degreesOfFreedom, 10.651007, 1e-6))
        #expect(test.pValue > 0.05)
    }

    // MARK: Key drivers

    @Test func quadrantRawValuesAreStable() {
        #expect(
            ImportancePerformanceQuadrant.allCases.map(\.rawValue)
                == ["concentrate", "keep-up", "low-priority", "overkill"])
        #expect(ImportancePerformanceQuadrant.keepUp.title == "Keep up the good work")
    }

    @Test func quadrantCrosshairCountsAsHigh() throws {
        let ipa = try #require(
            Statistics.importancePerformance(
                importance: [0.5, 0.5, 0.9, 0.1], performance: [60, 40, 40, 60]))
        #expect(ipa.importanceCut == 0.5)
        #expect(ipa.performanceCut == 50)
        #expect(ipa.quadrants == [.keepUp, .concentrate, .concentrate, .overkill])
        #expect(Statistics.importancePerformance(importance: [1], performance: [1, 2]) == nil)
    }

    @Test func relativeWeightsOfUncorrelatedDimensions() throws {
        // With Rxx = I the betas are the correlations and each weight is r².
        let r: [[Double]] = [[1, 0, 0.6], [0, 1, 0.3], [0.6, 0.3, 1]]
        let regression = try #require(Statistics.driverRegression(correlationMatrix: r, outcome: 2))
        #expect(zip(regression.standardizedBetas, [0.6, 0.3]).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(close(regression.rSquared, 0.45, 1e-12))
        #expect(zip(regression.relativeWeights, [0.36, 0.09]).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(zip(regression.relativeWeightPercents, [80, 20]).allSatisfy { abs($0 - $1) < 1e-9 })
    }

    @Test func collinearDimensionsHaveNoRegression() {
        let r: [[Double]] = [[1, 1, 0.5], [1, 1, 0.5], [0.5, 0.5, 1]]
        #expect(Statistics.driverRegression(correlationMatrix: r, outcome: 2) == nil)
        #expect(Statistics.driverRegression(correlationMatrix: [[1, 0.5], [0.5]], outcome: 1) == nil)
        #expect(Statistics.driverRegression(correlationMatrix: [[1, 0.5], [0.5, 1]], outcome: 2) == nil)
    }

    // MARK: Composites and weights

    @Test func respondentCompositeNeedsHalfTheItems() {
        #expect(Statistics.respondentComposite([5, 4, nil, nil]) == 4.5)
        #expect(Statistics.respondentComposite([5, nil, nil, nil]) == nil)
        #expect(Statistics.respondentComposite([5, 4, nil, nil, nil]) == nil)
        #expect(Statistics.respondentComposite([5, 4, 3, nil, nil]) == 4)
        #expect(Statistics.respondentComposite([5, nil, nil, nil], minimumAnswered: 1) == 5)
    }

    @Test func weightsMustBeUsable() {
        #expect(Statistics.weightedMean([1, 2], weights: [1]) == nil)
        #expect(Statistics.weightedMean([1, 2], weights: [1, -1]) == nil)
        #expect(Statistics.weightedMean([1, 2], weights: [0, 0]) == nil)
        // Equal weights: n_eff = n, design effect 1.
        #expect(Statistics.kishEffectiveCount(weights: [2, 2, 2]) == 3)
        #expect(Statistics.kishDesignEffect(weights: [2, 2, 2]) == 1)
    }
}
