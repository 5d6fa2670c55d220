import Foundation

/// The score as JSON (the machine contract, documented in docs/scoring.md), text and CSV.
public enum ScoreOutput {
    /// Percentages and 0–100 indices.
    static let percentDigits = 2
    static let meanDigits = 4
    static let pDigits = 4

    static func num(_ value: Double?, _ digits: Int) -> JSONValue {
        guard let value, value.isFinite else { return .null }
        return .number(String(format: "%.\(digits)f", value))
    }

    static func interval(_ i: Interval?, scale: Double = 1, digits: Int = percentDigits) -> JSONValue {
        guard let i else { return .null }
        return .array([num(i.lower * scale, digits), num(i.upper * scale, digits)])
    }

    static func proportion(_ p: Proportion?) -> JSONValue {
        guard let p else { return .null }
        return .object([
            ("k", .int(p.successes)), ("n", .int(p.trials)), ("pct", num(p.percent, percentDigits)),
            ("ci", interval(p.interval, scale: 100)),
        ])
    }

    static func change(_ c: FigureChange?) -> JSONValue {
        guard let c else { return .null }
        let arrow: JSONValue = c.significant ? .string(c.delta > 0 ? "up" : c.delta < 0 ? "down" : "none") : .null
        return .object([
            ("previous", num(c.previous, percentDigits)), ("current", num(c.current, percentDigits)),
            ("delta", num(c.delta, percentDigits)),
            ("p", num(c.p, pDigits)), ("significant", .bool(c.significant)), ("arrow", arrow),
        ])
    }

    public static func json(_ group: GroupScore, english: Bool = false) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .optional(group.id)), ("name", .string(group.name.text(english: english))), ("n", .int(group.n)),
            ("publication", .string(group.publication.rawValue)), ("lowConfidence", .bool(group.lowConfidence)),
        ]
        // Suppressed groups publish their count and nothing else.
        if group.publication == .suppressed { return .object(members) }
        members += [("rank", group.rank.map(JSONValue.int) ?? .null), ("rankingIndex", num(group.rankingIndex, percentDigits))]
        if let o = group.overall {
            members.append(
                (
                    "overall",
                    .object([
                        ("validN", .int(o.summary.count)), ("mean", num(o.summary.mean, meanDigits)),
                        ("sd", num(o.summary.standardDeviation, meanDigits)),
                        ("index", num(o.index, percentDigits)), ("ci", interval(o.interval)),
                    ])
                ))
        } else {
            members.append(("overall", .null))
        }
        if let r = group.rates {
            members.append(
                (
                    "rates",
                    .object([
                        ("good", proportion(r.good)), ("csat", proportion(r.csat)), ("topBox", proportion(r.topBox)),
                        ("bad", proportion(r.bad)),
                    ])
                ))
        } else {
            members.append(("rates", .null))
        }
        if let nps = group.nps {
            members.append(
                (
                    "nps",
                    .object([
                        ("n", .int(nps.count)), ("promoters", .int(nps.promoters)), ("passives", .int(nps.passives)),
                        ("detractors", .int(nps.detractors)),
                        ("score", num(nps.score, percentDigits)), ("se", num(nps.standardError, percentDigits)),
                        ("ci", interval(nps.clippedInterval)),
                    ])
                ))
        } else {
            members.append(("nps", .null))
        }
        members.append(
            (
                "dimensions",
                .array(
                    group.dimensions.map { d in
                        .object([
                            ("id", .string(d.question.id)), ("label", .string(d.question.label.text(english: english))),
                            ("weight", num(d.question.weight, meanDigits)), ("validN", .int(d.validN)),
                            ("notApplicable", .int(d.notApplicable)),
                            ("mean", num(d.index?.summary.mean, meanDigits)), ("index", num(d.index?.index, percentDigits)),
                            ("ci", interval(d.index?.interval)),
                        ])
                    })
            ))
        members.append(("composite", num(group.composite, percentDigits)))
        members.append(
            (
                "painPoints",
                .array(
                    group.painPoints.map { p in
                        .object([
                            ("id", .string(p.painPoint.id)), ("label", .string(p.painPoint.label.text(english: english))),
                            ("asked", .int(p.asked)),
                            ("ticked", .int(p.ticked)), ("pct", num(p.incidence?.percent, percentDigits)),
                            ("ci", interval(p.incidence?.interval, scale: 100)),
                            ("commentMentions", .int(p.commentMentions)),
                        ])
                    })
            ))
        members.append(("comments", .int(group.comments)))
        let e = group.efficiency
        members.append(
            (
                "efficiency",
                .object([
                    ("onTime", proportion(e.onTime)), ("atMostOneTrip", proportion(e.atMostOneTrip)),
                    ("meanTrips", num(e.meanTrips, meanDigits)),
                ])
            ))
        if let c = group.change {
            members.append(
                (
                    "change",
                    .object([
                        ("previousN", .int(c.previousN)), ("index", change(c.index)), ("good", change(c.good)), ("bad", change(c.bad)),
                    ])
                ))
        } else {
            members.append(("change", .null))
        }
        return .object(members)
    }

    public static func json(_ score: FormScore, english: Bool = false) -> JSONValue {
        .object([
            ("form", .string(score.form.id)), ("version", .int(score.form.version)),
            ("title", .string(score.form.title.text(english: english))),
            (
                "ranking",
                .object([
                    ("priorWeight", num(score.prior.priorWeight, meanDigits)), ("priorWeightSource", .string(score.prior.source)),
                    ("grandMean", num(score.prior.grandMean, meanDigits)), ("tau2", num(score.prior.tau2, 6)),
                ])
            ),
            ("district", json(score.district, english: english)),
            ("departments", .array(score.departments.map { json($0, english: english) })),
            (
                "drivers",
                .array(
                    score.drivers.map { d in
                        .object([
                            ("id", .string(d.question.id)), ("label", .string(d.question.label.text(english: english))),
                            ("n", .int(d.correlation?.count ?? 0)), ("r", num(d.correlation?.coefficient, meanDigits)),
                            ("p", num(d.correlation?.pValue, pDigits)),
                            ("performance", num(d.performance, percentDigits)), ("quadrant", .optional(d.quadrant?.rawValue)),
                        ])
                    })
            ),
        ])
    }

    /// The whole output of `feedback score --format json`.
    public static func document(_ scores: [FormScore], month: String, settings: ScoringSettings, english: Bool = false) -> JSONValue {
        .object([
            ("month", .string(month)), ("previousMonth", .string(Scorer.previousMonth(month))),
            (
                "settings",
                .object([
                    ("suppressBelow", .int(settings.suppressBelow)), ("rankFrom", .int(settings.rankFrom)),
                    ("cautionBelow", .int(settings.cautionBelow)),
                    ("goodFrom", .int(settings.goodFrom)), ("z", .number("1.96")),
                ])
            ),
            ("forms", .array(scores.map { json($0, english: english) })),
        ])
    }

    static func fixed(_ value: Double?, _ digits: Int = 1) -> String {
        guard let value, value.isFinite else { return "" }
        return String(format: "%.\(digits)f", value)
    }

    static func arrow(_ c: FigureChange?) -> String {
        guard let c, c.significant else { return "" }
        return c.delta > 0 ? "↑" : c.delta < 0 ? "↓" : ""
    }

    /// Flags a person reads beside a department: not ranked, low confidence.
    static func flags(_ g: GroupScore, english: Bool) -> String {
        var flags: [String] = []
        if g.publication == .unranked { flags.append(english ? "unranked" : "不排名") }
        if g.lowConfidence { flags.append(english ? "low n" : "样本少") }
        return flags.joined(separator: ",")
    }

    /// The ranking as a table: rank, department, n, index with interval, 好评率, 差评率, change, flags.
    public static func table(_ score: FormScore, english: Bool = false) -> TextTable {
        var table = TextTable(columns: [
            .init(english ? "rank" : "排名", alignment: .right), .init(english ? "department" : "部门", maxWidth: 20),
            .init("n", alignment: .right), .init(english ? "index" : "满意度指数", alignment: .right), .init("95% CI"),
            .init(english ? "good %" : "好评率", alignment: .right), .init(english ? "bad %" : "差评率", alignment: .right),
            .init(english ? "change" : "变化"), .init(english ? "notes" : "说明"),
        ])
        for g in [score.district] + score.departments where g.publication != .suppressed {
            let ci = g.overall?.interval.map { "\(fixed($0.lower))–\(fixed($0.upper))" } ?? ""
            table.append([
                g.rank.map(String.init) ?? (g.id == nil ? "" : "-"), g.name.text(english: english), String(g.n), fixed(g.overall?.index),
                ci,
                fixed(g.rates?.good.percent), fixed(g.rates?.bad.percent), arrow(g.change?.index),
                g.id == nil ? "" : flags(g, english: english),
            ])
        }
        return table
    }

    /// `feedback score --format text`.
    public static func text(_ score: FormScore, english: Bool = false) -> [String] {
        var lines = ["\(score.form.title.text(english: english)) (\(score.form.id)) \(score.month)"]
        lines += table(score, english: english).render()
        let suppressed = score.departments.filter { $0.publication == .suppressed }
        if !suppressed.isEmpty {
            let names = suppressed.map { "\($0.name.text(english: english)) (\($0.n))" }.joined(separator: english ? ", " : "、")
            // The threshold is a setting the score does not carry; say why without a number, as the Chinese does.
            lines.append(english ? "Not shown (too few responses): \(names)" : "样本不足未公布：\(names)")
        }
        return lines
    }

    public static let csvHeader = [
        "form", "month", "department_id", "department", "n", "publication", "low_confidence", "rank", "ranking_index", "overall_valid_n",
        "overall_mean", "overall_index", "overall_ci_low", "overall_ci_high", "good_pct", "good_ci_low", "good_ci_high", "csat_pct",
        "top_box_pct", "bad_pct", "bad_ci_low", "bad_ci_high", "bad_n", "nps", "nps_se", "nps_n", "composite", "on_time_pct",
        "on_time_n", "one_trip_pct", "one_trip_n", "mean_trips", "previous_n", "index_change", "index_change_p", "index_arrow",
        "bad_change", "bad_change_p", "bad_arrow",
    ]

    /// One CSV row per group: every figure of the score.
    public static func csvRow(_ g: GroupScore, score: FormScore, english: Bool = false) -> [String] {
        let shown = g.publication != .suppressed
        func f(_ v: Double?, _ d: Int = percentDigits) -> String { shown ? fixed(v, d) : "" }
        let o = g.overall
        let r = g.rates
        let e = g.efficiency
        return [
            score.form.id, score.month, g.id ?? "", g.name.text(english: english), String(g.n), g.publication.rawValue,
            g.lowConfidence ? "true" : "false",
            g.rank.map(String.init) ?? "", f(g.rankingIndex), shown ? (o.map { String($0.summary.count) } ?? "") : "",
            f(o?.summary.mean, meanDigits),
            f(o?.index), f(o?.interval?.lower), f(o?.interval?.upper), f(r?.good.percent), f(r.map { $0.good.interval.lower * 100 }),
            f(r.map { $0.good.interval.upper * 100 }), f(r?.csat.percent), f(r?.topBox.percent), f(r?.bad.percent),
            f(r.map { $0.bad.interval.lower * 100 }), f(r.map { $0.bad.interval.upper * 100 }),
            shown ? (r.map { String($0.bad.successes) } ?? "") : "",
            f(g.nps?.score), f(g.nps?.standardError), shown ? (g.nps.map { String($0.count) } ?? "") : "", f(g.composite),
            f(e.onTime?.percent),
            shown ? (e.onTime.map { String($0.trials) } ?? "") : "", f(e.atMostOneTrip?.percent),
            shown ? (e.atMostOneTrip.map { String($0.trials) } ?? "") : "",
            // A suppressed group publishes its count and nothing else, as in the JSON.
            f(e.meanTrips, meanDigits), shown ? (g.change.map { String($0.previousN) } ?? "") : "", f(g.change?.index?.delta),
            f(g.change?.index?.p, pDigits),
            shown ? arrow(g.change?.index) : "", f(g.change?.bad?.delta), f(g.change?.bad?.p, pDigits), shown ? arrow(g.change?.bad) : "",
        ]
    }
}
