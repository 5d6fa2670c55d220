import Foundation
import TestServers
import Testing

@testable import FeedbackKit

/// Every section of ../shared/scoring-vectors.json that the scoring layer covers, entry by entry.
@Suite
struct ScoringVectorTests {
    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func meta() throws {
        let s = try VectorSection("_meta")
        _ = try s.raw("precision")
        _ = try s.raw("generated_with")
        try s.expect(Statistics.defaultZ, "z_default")
        try s.expect(Statistics.normalQuantile(0.975), "z_exact_norm_ppf_0.975")
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func npsFromCounts() throws {
        let s = try VectorSection("nps_counts")
        for i in 0..<s.count {
            let nps = Statistics.netPromoterScore(
                promoters: try s.integer(i, "promoters"), passives: try s.integer(i, "passives"),
                detractors: try s.integer(i, "detractors"))
            try s.expect(nps?.score, i, "nps")
            try s.expect(nps?.standardError, i, "se")
            try s.expect(nps?.interval.lower, i, "ci95_z1.96", 0)
            try s.expect(nps?.interval.upper, i, "ci95_z1.96", 1)
            try s.expect(nps?.clippedInterval.lower, i, "ci95_z1.96_clipped", 0)
            try s.expect(nps?.clippedInterval.upper, i, "ci95_z1.96_clipped", 1)
        }
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func npsFromRatings() throws {
        let s = try VectorSection("nps_ratings")
        for i in 0..<s.count {
            let ratings = try s.numbers(i, "ratings").map { Int($0) }
            try s.expect(Statistics.netPromoterScore(ratings: ratings)?.score, i, "nps")
        }
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func fiveLevelRates() throws {
        let s = try VectorSection("five_level_counts_csat_haochaping_index")
        for i in 0..<s.count {
            var counts: [Int: Int] = [:]
            for key in try s.keys(i, "counts_by_level") {
                counts[try #require(Int(key))] = try s.integer(i, "counts_by_level", key)
            }
            let item = ItemAccumulator(levels: 1...5, counts: counts)
            let rates = Statistics.satisfactionRates(item)
            try s.expect(Double(item.count), i, "n")
            try s.expect(rates?.csat.percent, i, "csat_top2_pct")
            try s.expect(rates?.topBox.percent, i, "top_box_pct")
            try s.expect(rates?.good.percent, i, "haoping_rate_pct_levels_3to5")
            try s.expect(rates?.bad.percent, i, "chaping_rate_pct_levels_1to2")
            try s.expect(item.summary?.mean, i, "mean_1to5")
            try s.expect(Statistics.index(item)?.index, i, "index_0to100")
        }
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func indexFromRatingLists() throws {
        let s = try VectorSection("index_0to100_from_1to5_lists")
        for i in 0..<s.count {
            let summary = try #require(MeanSummary(try s.numbers(i, "ratings_1to5")))
            try s.expect(summary.mean, i, "mean")
            try s.expect(Statistics.index(summary, lowest: 1, highest: 5)?.index, i, "index_0to100")
        }
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func indexGenericRescale() throws {
        let s = try VectorSection("index_0to100_generic_rescale")
        for i in 0..<s.count {
            let index = Statistics.index(
                mean: try s.number(i, "mean"), lowest: try s.number(i, "lo"), highest: try s.number(i, "hi"))
            try s.expect(index, i, "index_0to100")
        }
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func acsi() throws {
        let s = try VectorSection("acsi_style")
        for i in 0..<s.count {
            let means = try s.numbers(i, "means_1to10_sat_expect_ideal")
            let weights = try s.numbers(i, "ohio_weights")
            try s.expect(Statistics.acsi(means: means, weights: weights), i, "acsi_weighted")
            try s.expect(Statistics.acsi(means: means), i, "acsi_equal_weights")
        }
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func customerEffort() throws {
        let s = try VectorSection("ces")
        for i in 0..<s.count {
            var item = ItemAccumulator(levels: 1...7)
            for rating in try s.numbers(i, "ratings_1to7") {
                let added = item.add(Int(rating))
                #expect(added)
            }
            let ces = Statistics.customerEffort(item)
            try s.expect(ces?.summary.mean, i, "ces_mean")
            try s.expect(ces?.agree.percent, i, "ces_pct_agree_5to7")
            try s.expect(ces?.index, i, "ces_index_0to100")
        }
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func wilson() throws {
        let s = try VectorSection("wilson_ci")
        let exactZ = Statistics.normalQuantile(0.975)
        for i in 0..<s.count {
            let k = try s.integer(i, "k")
            let n = try s.integer(i, "n")
            let p = Statistics.proportion(k, of: n)
            try s.expect(p?.value, i, "p_hat")
            try s.expect(p?.interval.lower, i, "z1.96", "lower")
            try s.expect(p?.interval.upper, i, "z1.96", "upper")
            try s.expect(p?.intervalCentre, i, "z1.96", "centre")
            let exact = Statistics.wilsonInterval(successes: k, trials: n, z: exactZ)
            try s.expect(exact?.lower, i, "z_exact_1.959964", "lower")
            try s.expect(exact?.upper, i, "z_exact_1.959964", "upper")
        }
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func wilsonHalfWidths() throws {
        let s = try VectorSection("wilson_half_width_table_p0.8")
        for i in 0..<s.count {
            let n = try s.integer(i, "n")
            let k = Int((try s.number(i, "p_hat") * Double(n)).rounded())
            let interval = Statistics.wilsonInterval(successes: k, trials: n)
            try s.expect(interval?.lower, i, "wilson_lower")
            try s.expect(interval?.upper, i, "wilson_upper")
            try s.expect(interval.map { $0.halfWidth * 100 }, i, "half_width_pct_points")
        }
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func meanInterval() throws {
        let s = try VectorSection("mean_ci")
        for i in 0..<s.count {
            let summary = try #require(MeanSummary(try s.numbers(i, "ratings")))
            try s.expect(Double(summary.count), i, "n")
            try s.expect(summary.mean, i, "mean")
            try s.expect(summary.standardDeviation, i, "sd_ddof1")
            try s.expect(summary.standardError, i, "se")
            try s.expect(
                Statistics.tCritical(degreesOfFreedom: Double(summary.count - 1)), i, "t_crit_975")
            try s.expect(summary.tInterval()?.lower, i, "t_ci95", 0)
            try s.expect(summary.tInterval()?.upper, i, "t_ci95", 1)
            try s.expect(summary.normalInterval()?.lower, i, "normal_ci95_z1.96", 0)
            try s.expect(summary.normalInterval()?.upper, i, "normal_ci95_z1.96", 1)
            let index = Statistics.index(summary, lowest: 1, highest: 5)
            try s.expect(index?.index, i, "index_0to100")
            try s.expect(index?.interval?.lower, i, "index_t_ci95", 0)
            try s.expect(index?.interval?.upper, i, "index_t_ci95", 1)
        }
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func bayesianAverageOfMeans() throws {
        let s = try VectorSection("bayes_average_means")
        for i in 0..<s.count {
            let n = try s.integer(i, "n")
            let c = try s.number(i, "prior_weight_C")
            let average = Statistics.bayesianAverage(
                mean: try s.number(i, "dept_mean"), count: n, priorMean: try s.number(i, "prior_mean_m"),
                priorWeight: c)
            try s.expect(average, i, "bayes_avg")
            try s.expect(Statistics.dataWeight(count: n, priorWeight: c), i, "weight_on_own_data")
        }
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func bayesianAverageOfProportions()
        throws
    {
        let s = try VectorSection("bayes_average_proportions")
        for i in 0..<s.count {
            let shrunk = Statistics.bayesianProportion(
                successes: try s.integer(i, "k"), trials: try s.integer(i, "n"),
                priorProportion: try s.number(i, "prior_p"), priorWeight: try s.number(i, "prior_weight_C"))
            try s.expect(shrunk, i, "shrunk_p")
        }
        s.assertComplete()
    }

    /// The vector's own inputs: group sizes, means and (it gives no sds) its MSW.
    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func empiricalBayesFromVectorMoments()
        throws
    {
        let s = try VectorSection("empirical_bayes_moments")
        let groups = try s.keys("group_n")
        let counts = try groups.map { try s.integer("group_n", $0) }
        let means = try groups.map { try s.number("group_means", $0) }
        let prior = try #require(
            Statistics.empiricalBayes(
                counts: counts, means: means, withinMeanSquare: try s.number("MSW_sigma2")))
        try checkMoments(prior, groups: groups, counts: counts, means: means, against: s)
        s.assertComplete()
    }

    /// Raw answers with the vector's group sizes and means and its within-group sum of squares
    /// (26 × MSW = 13.508333); any such data gives the vector's MSW, and here it is computed from
    /// the departments' sds rather than read.
    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func empiricalBayesFromAnswers() throws {
        let s = try VectorSection("empirical_bayes_moments")
        let answers: [String: [Int]] = [
            "A": [3, 3, 4, 5, 5, 5, 5, 5],
            "B": [2, 3, 3, 3, 4, 4],
            "C": [3, 3, 4, 4, 4, 4, 4, 4, 5, 5],
            "D": [5, 5],
            "E": [2, 3, 3, 3, 3],
        ]
        let groups = try s.keys("group_n")
        #expect(groups == answers.keys.sorted())
        var summaries: [MeanSummary] = []
        for group in groups {
            var item = ItemAccumulator(levels: 1...5)
            for answer in answers[group] ?? [] { item.add(answer) }
            let summary = try #require(item.summary)
            try s.expect(Double(summary.count), "group_n", group)
            try s.expect(summary.mean, "group_means", group)
            summaries.append(summary)
        }
        let prior = try #require(Statistics.empiricalBayes(summaries))
        try s.expect(prior.withinMeanSquare, "MSW_sigma2")
        try checkMoments(
            prior, groups: groups, counts: summaries.map(\.count), means: summaries.map(\.mean), against: s)
        s.assertComplete()
    }

    private func checkMoments(
        _ prior: EmpiricalBayesPrior, groups: [String], counts: [Int], means: [Double],
        against s: VectorSection
    ) throws {
        try s.expect(prior.grandMean, "grand_mean_pooled")
        try s.expect(prior.betweenMeanSquare, "MSB")
        try s.expect(prior.typicalGroupSize, "n0")
        try s.expect(prior.tau2, "tau2")
        try s.expect(prior.rawPriorWeight, "C_sigma2_over_tau2")
        // The vector shrinks with the estimated C itself; the ranking default clamps it to 5.
        let c = try #require(prior.rawPriorWeight)
        for (index, group) in groups.enumerated() {
            let summary = MeanSummary(count: counts[index], mean: means[index], standardDeviation: nil)
            try s.expect(prior.shrink(summary, priorWeight: c), "shrunk_means", group)
        }
        #expect(prior.priorWeight() == 5)
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func correlation() throws {
        let s = try VectorSection("correlation")
        for i in 0..<s.count {
            let x = try s.numbers(i, "x")
            let y = try s.numbers(i, "y")
            let pearson = Statistics.pearson(x, y)
            try s.expect(pearson?.coefficient, i, "pearson_r")
            try s.expect(pearson?.pValue, i, "pearson_p_two_sided")
            try s.expect(Statistics.spearman(x, y)?.coefficient, i, "spearman_rho")
            var pair = PairAccumulator()
            for (a, b) in zip(x, y) { pair.add(x: a, y: b) }
            try s.expect(pair.correlation?.coefficient, i, "pearson_r")
            try s.expect(pair.correlation?.pValue, i, "pearson_p_two_sided")
        }
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func twoProportionZTest() throws {
        let s = try VectorSection("two_proportion_ztest")
        for i in 0..<s.count {
            let test = Statistics.twoProportionZTest(
                successes1: try s.integer(i, "k1"), trials1: try s.integer(i, "n1"),
                successes2: try s.integer(i, "k2"), trials2: try s.integer(i, "n2"))
            try s.expect(test?.difference, i, "diff")
            try s.expect(test?.z, i, "z_pooled")
            try s.expect(test?.pValue, i, "p_two_sided")
            try s.expect(test?.differenceInterval.lower, i, "diff_ci95_unpooled_z1.96", 0)
            try s.expect(test?.differenceInterval.upper, i, "diff_ci95_unpooled_z1.96", 1)
        }
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func welchMeanChange() throws {
        let s = try VectorSection("welch_t_mean_change")
        for i in 0..<s.count {
            let current = try #require(MeanSummary(try s.numbers(i, "month_cur")))
            let previous = try #require(MeanSummary(try s.numbers(i, "month_prev")))
            let test = Statistics.welchTTest(current, previous)
            try s.expect(test?.difference, i, "diff_means")
            try s.expect(test?.t, i, "welch_t")
            try s.expect(test?.pValue, i, "p_two_sided")
        }
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func rankingTies() throws {
        let s = try VectorSection("ranking_ties")
        let scores = try s.numbers("scores_higher_is_better")
        let expected: [(RankingMethod, String)] = [
            (.competition, "rank_competition_min"), (.dense, "rank_dense"), (.average, "rank_average"),
        ]
        for (method, key) in expected {
            let ranks = Statistics.ranks(scores, decimals: 1, method: method)
            for (i, rank) in ranks.enumerated() { try s.expect(rank, key, i) }
        }
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func kishWeighting() throws {
        let s = try VectorSection("weighting_kish")
        for i in 0..<s.count {
            let values = try s.numbers(i, "values")
            let weights = try s.numbers(i, "weights")
            try s.expect(Statistics.weightedMean(values, weights: weights), i, "weighted_mean")
            try s.expect(Statistics.kishEffectiveCount(weights: weights), i, "kish_n_eff")
            try s.expect(Statistics.kishDesignEffect(weights: weights), i, "kish_deff")
        }
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func notApplicableHandling() throws {
        let s = try VectorSection("na_handling")
        _ = try s.raw("description")
        let respondents = try #require(try s.raw("respondents") as? [[String: Any]])
        let items = try s.keys("per_item")
        // "NA" and null are both "no answer": neither enters a numerator or a denominator.
        func answer(_ value: Any?) -> Double? { (value as? NSNumber)?.doubleValue }
        for item in items {
            var accumulator = ItemAccumulator(levels: 1...5)
            for respondent in respondents {
                if let value = answer(respondent[item]) {
                    let added = accumulator.add(Int(value))
                    #expect(added)
                }
            }
            try s.expect(Double(accumulator.count), "per_item", item, "n_valid")
            try s.expect(accumulator.summary?.mean, "per_item", item, "mean")
            try s.expect(Statistics.index(accumulator)?.index, "per_item", item, "index_0to100")
        }
        for (i, respondent) in respondents.enumerated() {
            let answers = items.map { answer(respondent[$0]) }
            try s.expect(Statistics.respondentComposite(answers), "respondent_composite_mean", i)
        }
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func efficiencyFacts() throws {
        let s = try VectorSection("efficiency_facts")
        let days = try s.numbers("days_taken")
        let promised = try s.numbers("promised_days")
        let trips = try s.numbers("trips")
        var accumulator = EfficiencyAccumulator()
        for i in days.indices {
            accumulator.add(daysTaken: days[i], promisedDays: promised[i], trips: Int(trips[i]))
        }
        let facts = accumulator.facts()
        try s.expect(facts.onTime?.value, "on_time_rate")
        try s.expect(facts.meanTimeRatio, "mean_time_ratio_days_over_promised")
        try s.expect(facts.atMostOneTrip?.value, "share_at_most_one_trip")
        try s.expect(facts.zeroTrips?.value, "share_zero_trips")
        try s.expect(facts.meanTrips, "mean_trips")
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func painPointIncidence() throws {
        let s = try VectorSection("painpoint_incidence")
        let respondents = try s.integer("n_respondents")
        for name in ["zhonggengzu", "manzuowei"] {
            let ticked = try s.integer("ticked_\(name)")
            var accumulator = ProportionAccumulator()
            for i in 0..<respondents { accumulator.add(i < ticked) }
            let rate = accumulator.proportion()
            try s.expect(rate?.value, "rate_\(name)")
            try s.expect(rate?.interval.lower, "wilson95_\(name)_z1.96", 0)
            try s.expect(rate?.interval.upper, "wilson95_\(name)_z1.96", 1)
        }
        s.assertComplete()
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared is absent")) func keyDrivers() throws {
        let s = try VectorSection("key_driver")
        let columns = try #require(try s.raw("X_columns") as? [String])
        let rows = try #require(try s.raw("X") as? [[NSNumber]]).map { $0.map(\.doubleValue) }
        let overall = try s.numbers("y_overall")

        var pairs = Array(repeating: PairAccumulator(), count: columns.count)
        var items = Array(repeating: ItemAccumulator(levels: 1...5), count: columns.count)
        var matrix = CrossProductAccumulator(variableCount: columns.count + 1)
        for (row, y) in zip(rows, overall) {
            for j in columns.indices {
                pairs[j].add(x: row[j], y: y)
                items[j].add(Int(row[j]))
            }
            let added = matrix.add(row + [y])
            #expect(added)
        }

        let importance = try pairs.map { try #require($0.pearson) }
        let performance = try items.map { try #require(Statistics.index($0)?.index) }
        let correlations = try #require(matrix.correlationMatrix)
        let regression = try #require(
            Statistics.driverRegression(correlationMatrix: correlations, outcome: columns.count))
        let ipa = try #require(
            Statistics.importancePerformance(importance: importance, performance: performance))
        let vectorNames: [ImportancePerformanceQuadrant: String] = [
            .concentrate: "concentrate_here", .keepUp: "keep_up_good_work",
            .lowPriority: "low_priority", .overkill: "possible_overkill",
        ]

        for (j, column) in columns.enumerated() {
            try s.expect(importance[j], "pearson_r_with_overall", column)
            try s.expect(correlations[j][columns.count], "pearson_r_with_overall", column)
            try s.expect(regression.standardizedBetas[j], "standardized_ols_beta", column)
            try s.expect(regression.relativeWeights[j], "johnson_relative_weights_raw", column)
            try s.expect(regression.relativeWeightPercents[j], "johnson_relative_weights_pct", column)
            try s.expect(performance[j], "performance_index_0to100", column)
            try s.expect(label: vectorNames[ipa.quadrants[j]], "ipa_quadrant_using_pearson_r", column)
        }
        try s.expect(regression.rSquared, "R2")
        try s.expect(regression.relativeWeights.reduce(0, +), "johnson_relative_weights_sum_equals_R2")
        try s.expect(ipa.importanceCut, "ipa_importance_cut_mean_r")
        try s.expect(ipa.performanceCut, "ipa_performance_cut_mean_index")
        s.assertComplete()
    }
}
