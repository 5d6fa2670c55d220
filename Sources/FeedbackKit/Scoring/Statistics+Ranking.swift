import Foundation

/// How tied scores share ranks.
public enum RankingMethod: String, Sendable, CaseIterable {
    /// "1224": ties share the best rank and the next rank is skipped (the published ranking).
    case competition
    /// "1223": ties share a rank and none is skipped.
    case dense
    /// "1 2.5 2.5 4": ties share the mean of the ranks they span.
    case average
}

extension Statistics {
    /// Ranks of `scores`, highest first, after rounding each to `decimals` places so that
    /// departments whose published figures read the same share a rank. Non-finite scores rank last.
    public static func ranks(
        _ scores: [Double], decimals: Int? = nil, method: RankingMethod = .competition
    ) -> [Double] {
        let keys = scores.map { displayed($0, decimals: decimals) }
        // Highest first; a stable order keeps equal keys in input order, which ties ignore anyway.
        let order = keys.indices.sorted { i, j in
            if keys[i] != keys[j] { return keys[i] > keys[j] }
            return i < j
        }
        var result = Array(repeating: 0.0, count: scores.count)
        var start = 0
        var group = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, keys[order[end + 1]] == keys[order[start]] { end += 1 }
            group += 1
            let rank: Double
            switch method {
            case .competition: rank = Double(start + 1)
            case .dense: rank = Double(group)
            case .average: rank = Double(start + end + 2) / 2
            }
            for position in start...end { result[order[position]] = rank }
            start = end + 1
        }
        return result
    }

    /// Competition ranks ("1224"), highest first, after rounding to `decimals` places.
    public static func competitionRanks(_ scores: [Double], decimals: Int? = nil) -> [Int] {
        ranks(scores, decimals: decimals, method: .competition).map { Int($0) }
    }

    /// Mid-ranks without rounding, for Spearman's ρ.
    static func averageRanks(_ values: [Double], descending: Bool) -> [Double] {
        let flipped = descending ? values : values.map { -$0 }
        return ranks(flipped, decimals: nil, method: .average)
    }

    /// The value a reader sees. Rounding through the same "%.Nf" formatting the reports print
    /// (round-half-even on the binary value) means two scores tie exactly when their printed
    /// figures match; `(x·10ᴺ).rounded()` disagrees on values such as 82.25.
    private static func displayed(_ score: Double, decimals: Int?) -> Double {
        guard score.isFinite else { return -.infinity }
        guard let decimals else { return score }
        let places = min(max(decimals, 0), 15)
        return Double(String(format: "%.\(places)f", score)) ?? score
    }
}
