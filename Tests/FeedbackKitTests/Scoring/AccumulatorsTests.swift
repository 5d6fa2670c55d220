import Foundation
import Testing

@testable import FeedbackKit

/// Merged running sums must give the figures of one pass over all the answers.
struct AccumulatorsTests {
    /// 1,000 respondents: overall (1–5) and three dimensions that lean on it, some left blank.
    private func respondents(seed: UInt64) -> [[Int?]] {
        var random = SplitMix64(seed: seed)
        return (0..<1000).map { _ in
            let overall = random.level(1...5)
            let dimensions: [Int?] = (0..<3).map { _ in
                if random.chance(0.08) { return nil }
                return max(1, min(5, overall + random.level(-1...1)))
            }
            return dimensions + [overall]
        }
    }

    /// Splits into uneven parts, as departments or days would.
    private func parts<T>(_ all: [T]) -> [[T]] {
        let a = 1
        let b = all.count / 7
        let c = all.count * 7 / 10
        return [Array(all[0..<a]), Array(all[a..<b]), Array(all[b..<c]), Array(all[c...])]
    }

    private func close(_ a: Double?, _ b: Double?, _ tolerance: Double = 1e-12) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return abs(a - b) <= tolerance * max(1, abs(b))
    }

    @Test func itemMergeEqualsBatch() throws {
        let answers = respondents(seed: 7).map { $0[3] ?? 0 }
        var batch = ItemAccumulator(levels: 1...5)
        for answer in answers { batch.add(answer) }

        var forward = ItemAccumulator(levels: 1...5)
        var backward = ItemAccumulator(levels: 1...5)
        let pieces = parts(answers).map { piece -> ItemAccumulator in
            var item = ItemAccumulator(levels: 1...5)
            for answer in piece { item.add(answer) }
            return item
        }
        for piece in pieces { forward.merge(piece) }
        for piece in pieces.reversed() { backward.merge(piece) }
        // Integer sums: merging is exact in any order.
        #expect(forward == batch)
        #expect(backward == batch)
        #expect(batch.count == 1000)
        #expect(batch.sum == answers.reduce(0, +))
        #expect(batch.sumOfSquares == answers.reduce(0) { $0 + $1 * $1 })
        #expect(batch.countsByLevel.reduce(0, +) == batch.count)

        let direct = try #require(MeanSummary(answers.map(Double.init)))
        let merged = try #require(forward.summary)
        #expect(merged.count == direct.count)
        #expect(close(merged.mean, direct.mean))
        #expect(close(merged.standardDeviation, direct.standardDeviation))
        #expect(Statistics.satisfactionRates(forward) == Statistics.satisfactionRates(batch))
        #expect(Statistics.index(forward) == Statistics.index(batch))
    }

    @Test func itemFromCountsEqualsItemFromAnswers() {
        var added = ItemAccumulator(levels: 0...10)
        for (level, n) in [0: 3, 6: 2, 9: 4, 10: 1] { added.add(level, count: n) }
        let built = ItemAccumulator(levels: 0...10, counts: [10: 1, 9: 4, 6: 2, 0: 3, 11: 5, 4: -2])
        #expect(built == added)
        #expect(added.count(of: 9) == 4)
        #expect(added.count(of: 42) == 0)
        #expect(added.count(in: 7...20) == 5)
    }

    @Test func itemRefusesOffScaleAnswers() {
        var item = ItemAccumulator(levels: 1...5)
        let refusedHigh = item.add(6)
        let refusedLow = item.add(0)
        let refusedCount = item.add(3, count: -1)
        #expect(!refusedHigh && !refusedLow && !refusedCount)
        #expect(item == ItemAccumulator(levels: 1...5))
    }

    @Test func pairMergeEqualsBatch() throws {
        let rows = respondents(seed: 11)
        for dimension in 0..<3 {
            let complete = rows.compactMap { row -> (Double, Double)? in
                guard let x = row[dimension], let y = row[3] else { return nil }
                return (Double(x), Double(y))
            }
            var merged = PairAccumulator()
            for piece in parts(rows) {
                var pair = PairAccumulator()
                for row in piece { pair.add(x: row[dimension].map(Double.init), y: row[3].map(Double.init)) }
                merged.merge(pair)
            }
            #expect(merged.count == complete.count)
            #expect(merged.count < rows.count)
            let batch = try #require(Statistics.pearson(complete.map(\.0), complete.map(\.1)))
            #expect(close(merged.pearson, batch.coefficient))
            #expect(close(merged.correlation?.pValue, batch.pValue, 1e-9))
        }
    }

    @Test func crossProductMergeEqualsBatch() throws {
        let rows = respondents(seed: 13).map { $0.map { $0.map(Double.init) } }
        var merged = CrossProductAccumulator(variableCount: 4)
        for piece in parts(rows) {
            var part = CrossProductAccumulator(variableCount: 4)
            for row in piece { part.add(row) }
            merged.merge(part)
        }
        let complete = rows.filter { !$0.contains(nil) }.map { $0.compactMap { $0 } }
        #expect(merged.count == complete.count)
        let matrix = try #require(merged.correlationMatrix)
        for i in 0..<4 {
            for j in 0..<4 {
                let batch = try #require(Statistics.pearson(complete.map { $0[i] }, complete.map { $0[j] }))
                #expect(close(matrix[i][j], batch.coefficient, 1e-12))
            }
        }
        var wrongWidth = CrossProductAccumulator(variableCount: 2)
        let refused = wrongWidth.add([1, 2, 3])
        #expect(!refused)
        #expect(try #require(Statistics.driverRegression(correlationMatrix: matrix, outcome: 3)).rSquared > 0)
    }

    @Test func efficiencyMergeEqualsBatch() {
        var random = SplitMix64(seed: 17)
        let cases: [(Double?, Double?, Int?)] = (0..<500).map { _ in
            let promised = Double(random.level(0...10))
            let taken = random.chance(0.05) ? nil : Double(random.level(0...14))
            let trips = random.chance(0.05) ? nil : random.level(0...4)
            return (taken, promised, trips)
        }
        var batch = EfficiencyAccumulator()
        for c in cases { batch.add(daysTaken: c.0, promisedDays: c.1, trips: c.2) }
        var merged = EfficiencyAccumulator()
        for piece in parts(cases) {
            var part = EfficiencyAccumulator()
            for c in piece { part.add(daysTaken: c.0, promisedDays: c.1, trips: c.2) }
            merged.merge(part)
        }
        let a = merged.facts()
        let b = batch.facts()
        #expect(a.onTime == b.onTime)
        #expect(a.atMostOneTrip == b.atMostOneTrip)
        #expect(a.zeroTrips == b.zeroTrips)
        #expect(a.meanTrips == b.meanTrips)
        #expect(close(a.meanTimeRatio, b.meanTimeRatio))

        let timed = cases.filter { $0.0 != nil }
        #expect(b.onTime?.trials == timed.count)
        #expect(b.onTime?.successes == timed.filter { ($0.0 ?? 0) <= ($0.1 ?? 0) }.count)
        // A zero-day promise counts for on-time but not for the time ratio.
        #expect(batch.ratioCount == timed.filter { ($0.1 ?? 0) > 0 }.count)
    }

    @Test func proportionAndWeightedMergeEqualBatch() {
        var random = SplitMix64(seed: 19)
        let ticks: [Bool?] = (0..<300).map { _ in random.chance(0.1) ? nil : random.chance(0.2) }
        var batch = ProportionAccumulator()
        for tick in ticks { batch.add(tick) }
        var merged = ProportionAccumulator()
        for piece in parts(ticks) {
            var part = ProportionAccumulator()
            for tick in piece { part.add(tick) }
            merged.merge(part)
        }
        #expect(merged == batch)
        #expect(batch.trials == ticks.compactMap { $0 }.count)
        #expect(batch.proportion() == Statistics.proportion(batch.successes, of: batch.trials))

        let values = (0..<300).map { _ in Double(random.level(1...5)) }
        let weights = (0..<300).map { _ in 0.5 + Double(random.level(0...30)) / 10 }
        var weighted = WeightedAccumulator()
        for piece in parts(Array(zip(values, weights))) {
            var part = WeightedAccumulator()
            for (value, weight) in piece { part.add(value, weight: weight) }
            weighted.merge(part)
        }
        #expect(close(weighted.weightedMean, Statistics.weightedMean(values, weights: weights)))
        #expect(close(weighted.effectiveCount, Statistics.kishEffectiveCount(weights: weights)))
        #expect(close(weighted.designEffect, Statistics.kishDesignEffect(weights: weights)))
        let refused = weighted.add(3, weight: -1)
        #expect(!refused)
    }

    @Test func empiricalBayesFromMergedItems() throws {
        // Department summaries from accumulators equal those from the raw answers.
        let rows = respondents(seed: 23)
        let departments = parts(rows)
        let fromItems = try departments.map { piece -> MeanSummary in
            var item = ItemAccumulator(levels: 1...5)
            for row in piece { item.add(row[3] ?? 0) }
            return try #require(item.summary)
        }
        let fromAnswers = try departments.map { try #require(MeanSummary($0.map { Double($0[3] ?? 0) })) }
        let a = try #require(Statistics.empiricalBayes(fromItems))
        let b = try #require(Statistics.empiricalBayes(fromAnswers))
        #expect(close(a.grandMean, b.grandMean))
        #expect(close(a.betweenMeanSquare, b.betweenMeanSquare, 1e-10))
        #expect(close(a.withinMeanSquare, b.withinMeanSquare, 1e-10))
        #expect(a.groupCount == 4 && a.totalCount == 1000)
        // The one-answer department adds no within-department degrees of freedom.
        #expect(fromItems[0].standardDeviation == nil)
    }
}
