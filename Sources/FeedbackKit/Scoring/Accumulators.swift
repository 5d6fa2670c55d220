import Foundation

// Running sums that a report can build per department and month, store, and merge: every figure
// in the scoring layer is a function of these sums, so a report never rescans responses. Merging
// is addition, so any split of the responses merged in any order gives the batch figures (exactly
// for the integer sums; to rounding for the floating-point ones).

/// Answers to one rated item: count, Σx, Σx² and the count at each level of its scale.
public struct ItemAccumulator: Sendable, Hashable {
    /// The item's declared scale, such as 1...5 or 0...10.
    public let levels: ClosedRange<Int>
    /// Answers at each level, indexed by `level - levels.lowerBound`.
    public private(set) var countsByLevel: [Int]
    public private(set) var count: Int = 0
    public private(set) var sum: Int = 0
    public private(set) var sumOfSquares: Int = 0

    public init(levels: ClosedRange<Int>) {
        self.levels = levels
        self.countsByLevel = Array(repeating: 0, count: levels.count)
    }

    /// Builds the accumulator from per-level counts, as a `GROUP BY level` query returns them.
    /// Levels outside the scale and negative counts are ignored.
    public init(levels: ClosedRange<Int>, counts: [Int: Int]) {
        self.init(levels: levels)
        for (level, n) in counts.sorted(by: { $0.key < $1.key }) {
            add(level, count: n)
        }
    }

    /// Counts `count` answers at `level`; returns false, counting nothing, when the level is off
    /// the scale or the count is negative.
    @discardableResult
    public mutating func add(_ level: Int, count n: Int = 1) -> Bool {
        guard levels.contains(level), n >= 0 else { return false }
        countsByLevel[level - levels.lowerBound] += n
        count += n
        sum += n * level
        sumOfSquares += n * level * level
        return true
    }

    /// Adds another accumulator's answers. Both must describe the same scale: merging a 1–5
    /// item into a 0–10 one is a programming error, not a data condition.
    public mutating func merge(_ other: ItemAccumulator) {
        precondition(levels == other.levels, "merging items on different scales")
        for i in countsByLevel.indices {
            countsByLevel[i] += other.countsByLevel[i]
        }
        count += other.count
        sum += other.sum
        sumOfSquares += other.sumOfSquares
    }

    /// Answers at `level` (0 off the scale).
    public func count(of level: Int) -> Int {
        levels.contains(level) ? countsByLevel[level - levels.lowerBound] : 0
    }

    /// Answers whose level lies in `range` (the part of it on the scale).
    public func count(in range: ClosedRange<Int>) -> Int {
        guard let on = clampedRange(range) else { return 0 }
        return on.reduce(0) { $0 + countsByLevel[$1 - levels.lowerBound] }
    }

    /// Count, mean and sd of the answers; nil when there are none.
    public var summary: MeanSummary? {
        guard count > 0 else { return nil }
        let mean = Double(sum) / Double(count)
        guard count > 1 else { return MeanSummary(count: count, mean: mean, standardDeviation: nil) }
        // Two passes over at most a dozen levels instead of Σx² − (Σx)²/n: no cancellation and no
        // overflow, whatever the number of answers.
        var squares = 0.0
        for (offset, n) in countsByLevel.enumerated() where n > 0 {
            let deviation = Double(levels.lowerBound + offset) - mean
            squares += Double(n) * deviation * deviation
        }
        let sd = (squares / Double(count - 1)).squareRoot()
        return MeanSummary(count: count, mean: mean, standardDeviation: sd)
    }

    private func clampedRange(_ range: ClosedRange<Int>) -> ClosedRange<Int>? {
        let low = max(range.lowerBound, levels.lowerBound)
        let high = min(range.upperBound, levels.upperBound)
        return low <= high ? low...high : nil
    }
}

/// Paired answers to two items (a dimension x and the overall item y): n, Σx, Σy, Σx², Σy², Σxy.
public struct PairAccumulator: Sendable, Hashable {
    public private(set) var count: Int = 0
    public private(set) var sumX: Double = 0
    public private(set) var sumY: Double = 0
    public private(set) var sumXX: Double = 0
    public private(set) var sumYY: Double = 0
    public private(set) var sumXY: Double = 0

    public init() {}

    /// Adds one respondent who answered both items; non-finite values are refused.
    @discardableResult
    public mutating func add(x: Double, y: Double) -> Bool {
        guard x.isFinite, y.isFinite else { return false }
        count += 1
        sumX += x
        sumY += y
        sumXX += x * x
        sumYY += y * y
        sumXY += x * y
        return true
    }

    /// Adds a respondent when both answers are present (pairwise deletion of N/A and missing).
    @discardableResult
    public mutating func add(x: Double?, y: Double?) -> Bool {
        guard let x, let y else { return false }
        return add(x: x, y: y)
    }

    public mutating func merge(_ other: PairAccumulator) {
        count += other.count
        sumX += other.sumX
        sumY += other.sumY
        sumXX += other.sumXX
        sumYY += other.sumYY
        sumXY += other.sumXY
    }

    /// Pearson r; nil with fewer than two pairs or when either item does not vary.
    public var pearson: Double? {
        guard count >= 2 else { return nil }
        let n = Double(count)
        // n·Σxy − Σx·Σy is exact for rating data: every sum is an integer far below 2⁵³.
        let sxy = n * sumXY - sumX * sumY
        let sxx = n * sumXX - sumX * sumX
        let syy = n * sumYY - sumY * sumY
        guard sxx > 0, syy > 0 else { return nil }
        return max(-1, min(1, sxy / (sxx * syy).squareRoot()))
    }

    /// Pearson r with its two-sided p-value.
    public var correlation: Correlation? {
        guard let r = pearson else { return nil }
        return Correlation(coefficient: r, count: count)
    }
}

/// Respondents shown a yes/no item and those who ticked it (pain points, rates of any kind).
public struct ProportionAccumulator: Sendable, Hashable {
    public private(set) var trials: Int = 0
    public private(set) var successes: Int = 0

    public init() {}

    public init(successes: Int, trials: Int) {
        self.trials = max(0, trials)
        self.successes = min(max(0, successes), self.trials)
    }

    /// Counts one respondent shown the item; nil (N/A, not shown) counts nothing.
    public mutating func add(_ ticked: Bool?) {
        guard let ticked else { return }
        trials += 1
        if ticked { successes += 1 }
    }

    public mutating func merge(_ other: ProportionAccumulator) {
        trials += other.trials
        successes += other.successes
    }

    /// The share with its Wilson interval; nil when nobody was asked.
    public func proportion(z: Double = Statistics.defaultZ) -> Proportion? {
        Statistics.proportion(successes, of: trials, z: z)
    }
}

/// Efficiency answers: days taken against days promised, and trips made.
public struct EfficiencyAccumulator: Sendable, Hashable {
    /// Cases with both days taken and days promised.
    public private(set) var timedCount: Int = 0
    /// Cases done within the promised days.
    public private(set) var onTimeCount: Int = 0
    /// Cases with a positive promise, over which days ÷ promised is averaged.
    public private(set) var ratioCount: Int = 0
    public private(set) var ratioSum: Double = 0
    public private(set) var tripCount: Int = 0
    public private(set) var zeroTripCount: Int = 0
    public private(set) var atMostOneTripCount: Int = 0
    public private(set) var tripSum: Int = 0

    public init() {}

    /// Adds one case; a missing or negative figure leaves out only the facts that need it.
    public mutating func add(daysTaken: Double?, promisedDays: Double?, trips: Int?) {
        if let daysTaken, let promisedDays, daysTaken.isFinite, promisedDays.isFinite,
            daysTaken >= 0, promisedDays >= 0
        {
            timedCount += 1
            if daysTaken <= promisedDays { onTimeCount += 1 }
            // A zero-day promise has no meaningful ratio, though on-time still applies.
            if promisedDays > 0 {
                ratioCount += 1
                ratioSum += daysTaken / promisedDays
            }
        }
        if let trips, trips >= 0 {
            tripCount += 1
            tripSum += trips
            if trips == 0 { zeroTripCount += 1 }
            if trips <= 1 { atMostOneTripCount += 1 }
        }
    }

    public mutating func merge(_ other: EfficiencyAccumulator) {
        timedCount += other.timedCount
        onTimeCount += other.onTimeCount
        ratioCount += other.ratioCount
        ratioSum += other.ratioSum
        tripCount += other.tripCount
        zeroTripCount += other.zeroTripCount
        atMostOneTripCount += other.atMostOneTripCount
        tripSum += other.tripSum
    }

    /// The efficiency facts; each is nil when no case carries the figures it needs.
    public func facts(z: Double = Statistics.defaultZ) -> EfficiencyFacts {
        EfficiencyFacts(
            onTime: Statistics.proportion(onTimeCount, of: timedCount, z: z),
            meanTimeRatio: ratioCount > 0 ? ratioSum / Double(ratioCount) : nil,
            atMostOneTrip: Statistics.proportion(atMostOneTripCount, of: tripCount, z: z),
            zeroTrips: Statistics.proportion(zeroTripCount, of: tripCount, z: z),
            meanTrips: tripCount > 0 ? Double(tripSum) / Double(tripCount) : nil
        )
    }
}

/// Efficiency figures for a department: on-time rate, time used, and trips (最多跑一次).
public struct EfficiencyFacts: Sendable, Hashable {
    /// Share of cases done in no more than the promised days.
    public var onTime: Proportion?
    /// Mean of days taken ÷ days promised.
    public var meanTimeRatio: Double?
    /// Share of cases needing at most one trip.
    public var atMostOneTrip: Proportion?
    /// Share of cases needing no trip at all.
    public var zeroTrips: Proportion?
    public var meanTrips: Double?
}

/// Survey-weighted answers: Σw, Σw², Σwx, for the weighted mean and Kish's effective n.
public struct WeightedAccumulator: Sendable, Hashable {
    public private(set) var count: Int = 0
    public private(set) var sumOfWeights: Double = 0
    public private(set) var sumOfSquaredWeights: Double = 0
    public private(set) var weightedSum: Double = 0

    public init() {}

    /// Adds one answer; a negative or non-finite weight or value is refused.
    @discardableResult
    public mutating func add(_ value: Double, weight: Double) -> Bool {
        guard value.isFinite, weight.isFinite, weight >= 0 else { return false }
        count += 1
        sumOfWeights += weight
        sumOfSquaredWeights += weight * weight
        weightedSum += weight * value
        return true
    }

    public mutating func merge(_ other: WeightedAccumulator) {
        count += other.count
        sumOfWeights += other.sumOfWeights
        sumOfSquaredWeights += other.sumOfSquaredWeights
        weightedSum += other.weightedSum
    }

    /// Σwx ÷ Σw; nil when the weights sum to zero.
    public var weightedMean: Double? {
        sumOfWeights > 0 ? weightedSum / sumOfWeights : nil
    }

    /// Kish's effective sample size (Σw)² ÷ Σw², used in place of n in intervals.
    public var effectiveCount: Double? {
        sumOfSquaredWeights > 0 ? sumOfWeights * sumOfWeights / sumOfSquaredWeights : nil
    }

    /// Kish's design effect n ÷ n_eff.
    public var designEffect: Double? {
        guard let effective = effectiveCount else { return nil }
        return Double(count) / effective
    }
}

/// Complete rows of several items (dimensions then overall): n, Σxᵢ and Σxᵢxⱼ, for the
/// correlation matrix that relative-importance weights need.
public struct CrossProductAccumulator: Sendable, Hashable {
    public let variableCount: Int
    public private(set) var count: Int = 0
    public private(set) var sums: [Double]
    /// Σxᵢxⱼ, row-major, variableCount × variableCount.
    public private(set) var crossProducts: [Double]

    public init(variableCount: Int) {
        self.variableCount = max(0, variableCount)
        sums = Array(repeating: 0, count: self.variableCount)
        crossProducts = Array(repeating: 0, count: self.variableCount * self.variableCount)
    }

    /// Adds one respondent who answered every item. Rows with a gap are refused (listwise
    /// deletion): mixing rows of different completeness can make the matrix indefinite.
    @discardableResult
    public mutating func add(_ row: [Double?]) -> Bool {
        guard row.count == variableCount else { return false }
        var values: [Double] = []
        values.reserveCapacity(variableCount)
        for value in row {
            guard let value, value.isFinite else { return false }
            values.append(value)
        }
        count += 1
        for i in 0..<variableCount {
            sums[i] += values[i]
            for j in 0..<variableCount {
                crossProducts[i * variableCount + j] += values[i] * values[j]
            }
        }
        return true
    }

    public mutating func merge(_ other: CrossProductAccumulator) {
        precondition(variableCount == other.variableCount, "merging different item sets")
        count += other.count
        for i in sums.indices { sums[i] += other.sums[i] }
        for i in crossProducts.indices { crossProducts[i] += other.crossProducts[i] }
    }

    /// The Pearson correlation matrix; nil with fewer than two rows or an item that does not vary.
    public var correlationMatrix: [[Double]]? {
        guard count >= 2, variableCount > 0 else { return nil }
        let n = Double(count)
        let p = variableCount
        var scatter = Array(repeating: Array(repeating: 0.0, count: p), count: p)
        for i in 0..<p {
            for j in 0..<p {
                scatter[i][j] = n * crossProducts[i * p + j] - sums[i] * sums[j]
            }
        }
        guard (0..<p).allSatisfy({ scatter[$0][$0] > 0 }) else { return nil }
        var matrix = scatter
        for i in 0..<p {
            for j in 0..<p {
                matrix[i][j] =
                    i == j ? 1 : max(-1, min(1, scatter[i][j] / (scatter[i][i] * scatter[j][j]).squareRoot()))
            }
        }
        return matrix
    }
}

// MARK: - Stored form

/// Sums as 64-bit words (integers as themselves, floating-point sums by their bits, so that they come
/// back exactly), for the store's report digests.
struct TallyWords {
    private(set) var words: [UInt64] = []
    private var index = 0

    init() {}

    init?(bytes: [UInt8]) {
        guard bytes.count % 8 == 0 else { return nil }
        words.reserveCapacity(bytes.count / 8)
        for i in stride(from: 0, to: bytes.count, by: 8) {
            var w: UInt64 = 0
            for k in 0..<8 { w |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
            words.append(w)
        }
    }

    /// Words as bytes, each little-endian.
    static func bytes(of words: some Collection<UInt64>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(words.count * 8)
        for w in words { for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: w >> (8 * UInt64(k)))) } }
        return out
    }

    var atEnd: Bool { index == words.count }

    mutating func put(_ v: Int) { words.append(UInt64(bitPattern: Int64(v))) }
    mutating func put(_ v: Double) { words.append(v.bitPattern) }

    mutating func int() -> Int? {
        guard index < words.count else { return nil }
        index += 1
        return Int(Int64(bitPattern: words[index - 1]))
    }

    mutating func double() -> Double? {
        guard index < words.count else { return nil }
        index += 1
        return Double(bitPattern: words[index - 1])
    }
}

extension ItemAccumulator {
    func write(_ out: inout TallyWords) {
        for n in countsByLevel { out.put(n) }
        out.put(count)
        out.put(sum)
        out.put(sumOfSquares)
    }

    init?(levels: ClosedRange<Int>, reading input: inout TallyWords) {
        self.init(levels: levels)
        for i in countsByLevel.indices {
            guard let n = input.int() else { return nil }
            countsByLevel[i] = n
        }
        guard let c = input.int(), let s = input.int(), let ss = input.int() else { return nil }
        count = c
        sum = s
        sumOfSquares = ss
    }
}

extension PairAccumulator {
    func write(_ out: inout TallyWords) {
        out.put(count)
        for v in [sumX, sumY, sumXX, sumYY, sumXY] { out.put(v) }
    }

    init?(reading input: inout TallyWords) {
        self.init()
        guard let c = input.int(), let x = input.double(), let y = input.double(), let xx = input.double(), let yy = input.double(),
            let xy = input.double()
        else { return nil }
        count = c
        sumX = x
        sumY = y
        sumXX = xx
        sumYY = yy
        sumXY = xy
    }
}

extension ProportionAccumulator {
    func write(_ out: inout TallyWords) {
        out.put(trials)
        out.put(successes)
    }

    init?(reading input: inout TallyWords) {
        self.init()
        guard let t = input.int(), let s = input.int() else { return nil }
        trials = t
        successes = s
    }
}

extension EfficiencyAccumulator {
    func write(_ out: inout TallyWords) {
        out.put(timedCount)
        out.put(onTimeCount)
        out.put(ratioCount)
        out.put(ratioSum)
        out.put(tripCount)
        out.put(zeroTripCount)
        out.put(atMostOneTripCount)
        out.put(tripSum)
    }

    init?(reading input: inout TallyWords) {
        self.init()
        guard let a = input.int(), let b = input.int(), let c = input.int(), let d = input.double(), let e = input.int(),
            let f = input.int(), let g = input.int(), let h = input.int()
        else { return nil }
        timedCount = a
        onTimeCount = b
        ratioCount = c
        ratioSum = d
        tripCount = e
        zeroTripCount = f
        atMostOneTripCount = g
        tripSum = h
    }
}
