import Foundation

extension MonthlyReport {
    /// Display columns of report.txt.
    static let width = 100

    private func t(_ zh: String, _ en: String) -> String { english ? en : zh }

    private func pct(_ p: Proportion?) -> String {
        guard let p else { return "-" }
        return ScoreOutput.fixed(p.percent) + "%"
    }

    private func signed(_ v: Double) -> String {
        let s = ScoreOutput.fixed(abs(v))
        return s == "0.0" ? "0.0" : (v > 0 ? "+" : "−") + s
    }

    private func changeNote(_ c: FigureChange?, unit: String) -> String? {
        guard let c else { return nil }
        let verdict = c.significant ? t("显著", "significant") : t("不显著", "not significant")
        let p = c.p.map { String(format: "%.3f", $0) } ?? "-"
        return "\(signed(c.delta))\(unit) (p=\(p), \(verdict))"
    }

    private func monthTitle() -> String {
        let parts = month.split(separator: "-")
        guard parts.count == 2, let y = Int(parts[0]), let m = Int(parts[1]) else { return month }
        let names = [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
        ]
        return english ? "\(names[m - 1]) \(y)" : "\(y)年\(m)月"
    }

    /// report.txt: the 通报 a person reads.
    public func text() -> String {
        var lines: [String] = [t("营商环境满意度月度通报（\(monthTitle())）", "Monthly service satisfaction report, \(monthTitle())"), ""]
        if sections.allSatisfy({ $0.score.district.n == 0 }) {
            lines.append(t("本月（\(month)）没有收到任何评价，无可通报的数据。", "No responses were received in \(month): there is nothing to report."))
            return lines.joined(separator: "\n") + "\n"
        }
        for (i, section) in sections.enumerated() where section.score.district.n > 0 {
            if i > 0 { lines += ["", String(repeating: "=", count: 72), ""] }
            lines += formSection(section.score, section.material)
        }
        // Tables fit 100 columns by construction; prose is wrapped to the same width.
        return lines.flatMap { DisplayWidth.wrap($0, to: Self.width) }.joined(separator: "\n") + "\n"
    }

    private func formSection(_ score: FormScore, _ material: ReportMaterial) -> [String] {
        let d = score.district
        var lines = ["\(t("表单：", "Form: "))\(score.form.title.text(english: english)) (\(score.form.id))"]
        lines += ["", t("一、总体情况", "1. Headline figures")]
        let index =
            d.overall.map { o in
                ScoreOutput.fixed(o.index)
                    + (o.interval.map { " (95% CI \(ScoreOutput.fixed($0.lower))–\(ScoreOutput.fixed($0.upper)))" } ?? "")
            } ?? "-"
        lines.append(
            t(
                "本月收到评价 \(d.n) 份，满意度指数 \(index)，好评率 \(pct(d.rates?.good))，差评率 \(pct(d.rates?.bad))（差评 \(d.rates?.bad.successes ?? 0) 条）。",
                "\(d.n) responses; satisfaction index \(index); good reviews \(pct(d.rates?.good)); bad reviews \(pct(d.rates?.bad)) (\(d.rates?.bad.successes ?? 0))."
            ))
        if let nps = d.nps {
            lines.append(
                t(
                    "净推荐值 NPS \(ScoreOutput.fixed(nps.score))（标准误 \(ScoreOutput.fixed(nps.standardError))，n=\(nps.count)）。",
                    "NPS \(ScoreOutput.fixed(nps.score)) (SE \(ScoreOutput.fixed(nps.standardError)), n=\(nps.count))."))
        }
        if let c = d.change {
            var parts: [String] = []
            if let note = changeNote(c.index, unit: "") { parts.append(t("满意度指数 ", "index ") + note) }
            if let note = changeNote(c.bad, unit: t("个百分点", " points")) { parts.append(t("差评率 ", "bad-review rate ") + note) }
            lines.append(
                t("与上月（\(c.previousN) 份）相比：", "Against last month (\(c.previousN) responses): ") + parts.joined(separator: t("；", "; "))
                    + t("。", "."))
        } else {
            lines.append(t("上月无数据，不作比较。", "No responses last month to compare with."))
        }

        lines += ["", t("二、部门排名", "2. Department ranking")]
        lines += rankingTable(score)
        lines.append(
            t(
                "注：按满意度指数向全区均值收缩（经验贝叶斯，先验权重 C=\(ScoreOutput.fixed(score.prior.priorWeight, 1))）后排名；“↑↓”仅标注经检验显著（p<0.05）的变化。",
                "Ranked by the index shrunk toward the district mean (empirical Bayes, prior weight C=\(ScoreOutput.fixed(score.prior.priorWeight, 1))); arrows mark changes significant at p<0.05 only."
            ))

        lines += ["", t("三、问题线索", "3. Pain points")]
        lines += painPointSection(score, material)

        lines += ["", t("四、变化较大的部门", "4. Biggest movers")]
        lines += movers(score)

        if !score.drivers.isEmpty {
            lines += ["", t("五、关键驱动因素", "5. Key drivers")]
            var table = TextTable(columns: [
                .init(t("维度", "dimension")), .init(t("指数", "index"), alignment: .right),
                .init(t("与总体满意度相关r", "r with overall"), alignment: .right),
                .init(t("象限", "quadrant")),
            ])
            table.padLastColumn = true
            for driver in score.drivers {
                table.append([
                    driver.question.label.text(english: english), ScoreOutput.fixed(driver.performance),
                    ScoreOutput.fixed(driver.correlation?.coefficient, 3), driver.quadrant.map(quadrantName) ?? "-",
                ])
            }
            lines += table.render()
        }

        lines += ["", t("六、说明", "6. Notes")]
        lines += notes(score)
        lines += [
            "",
            t(
                "差评明细见 bad-reviews.csv（共 \(material.badReviews.count) 条），各项数据见 departments.csv、pain-points.csv、dimensions.csv。",
                "Bad reviews are listed in bad-reviews.csv (\(material.badReviews.count)); every figure is in departments.csv, pain-points.csv and dimensions.csv."
            ),
        ]
        return lines
    }

    private func quadrantName(_ q: ImportancePerformanceQuadrant) -> String {
        switch q {
        case .concentrate: t("重点改进", "concentrate here")
        case .keepUp: t("继续保持", "keep up the good work")
        case .lowPriority: t("次要改进", "low priority")
        case .overkill: t("投入过度", "possible overkill")
        }
    }

    private func rankingTable(_ score: FormScore) -> [String] {
        var table = TextTable(columns: [
            .init(t("排名", "rank"), alignment: .right), .init(t("部门", "department"), maxWidth: 20), .init("n", alignment: .right),
            .init(t("指数", "index"), alignment: .right), .init("95% CI"), .init(t("好评率", "good"), alignment: .right),
            .init(t("差评率", "bad"), alignment: .right), .init(t("主要问题", "top pain point"), maxWidth: 12), .init(t("变化", "chg")),
            .init(t("说明", "notes"), maxWidth: 14),
        ])
        table.padLastColumn = true
        for g in score.departments where g.publication != .suppressed {
            let ci = g.overall?.interval.map { "\(ScoreOutput.fixed($0.lower))–\(ScoreOutput.fixed($0.upper))" } ?? ""
            let top = g.painPoints.filter { $0.ticked > 0 }.max {
                ($0.incidence?.value ?? 0, $1.painPoint.id) < ($1.incidence?.value ?? 0, $0.painPoint.id)
            }
            table.append([
                g.rank.map(String.init) ?? "-", g.name.text(english: english), String(g.n), ScoreOutput.fixed(g.overall?.index), ci,
                ScoreOutput.fixed(g.rates?.good.percent), ScoreOutput.fixed(g.rates?.bad.percent),
                top?.painPoint.label.text(english: english) ?? "",
                ScoreOutput.arrow(g.change?.index), ScoreOutput.flags(g, english: english),
            ])
        }
        return table.render()
    }

    private func painPointSection(_ score: FormScore, _ material: ReportMaterial) -> [String] {
        let pains = score.district.painPoints.filter { $0.asked > 0 || $0.commentMentions > 0 }
        guard !pains.isEmpty else { return [t("本表单未设置问题选项。", "This form has no pain-point question.")] }
        var table = TextTable(columns: [
            .init(t("问题", "pain point"), maxWidth: 10), .init(t("提及率", "incidence"), alignment: .right), .init("95% CI"),
            .init(t("勾选/应答", "ticked/asked"), alignment: .right), .init(t("留言提及", "in comments"), alignment: .right),
            .init(t("最突出的部门", "worst departments"), maxWidth: 36),
        ])
        table.padLastColumn = true
        let ordered = pains.sorted { ($0.incidence?.value ?? 0, $1.painPoint.id) > ($1.incidence?.value ?? 0, $0.painPoint.id) }
        for p in ordered {
            let worst = score.departments.filter { $0.publication != .suppressed }
                .compactMap { g -> (String, Double)? in
                    guard let s = g.painPoints.first(where: { $0.painPoint.id == p.painPoint.id }), s.ticked > 0, let v = s.incidence?.value
                    else { return nil }
                    return (g.name.text(english: english), v)
                }
                .sorted { ($0.1, $1.0) > ($1.1, $0.0) }.prefix(2)
                .map { "\($0.0) \(ScoreOutput.fixed($0.1 * 100))%" }
            table.append([
                p.painPoint.label.text(english: english), ScoreOutput.fixed(p.incidence?.percent) + (p.incidence == nil ? "" : "%"),
                p.incidence.map { "\(ScoreOutput.fixed($0.interval.lower * 100))–\(ScoreOutput.fixed($0.interval.upper * 100))" } ?? "",
                "\(p.ticked)/\(p.asked)", String(p.commentMentions), worst.joined(separator: t("、", ", ")),
            ])
        }
        var lines = table.render()
        // A comment quoted under one pain point is not quoted again under the next.
        let rules = TextRules(material, byBytes: textsByBytes)
        var quotedTexts = TextRules.Set(rules)
        var quoted: [[String]] = []
        for p in ordered.prefix(4) {
            let unused = (material.comments[p.painPoint.id] ?? []).filter { !quotedTexts.contains($0.text) }
            let comments = representative(unused, rules)
            guard !comments.isEmpty else { continue }
            let shown = comments.map { (department: $0.department, prefix: $0.text.replacingOccurrences(of: "…", with: "")) }
            for c in unused
            where shown.contains(where: { rules.equal($0.department, c.department) && rules.hasPrefix(c.text, $0.prefix) }) {
                quotedTexts.insert(c.text)
            }
            quoted.append(["【\(p.painPoint.label.text(english: english))】"] + comments.map { "  “\($0.text)” —— \($0.department)" })
        }
        if !quoted.isEmpty {
            lines += ["", t("典型反映（个人信息已隐去）：", "Representative comments (personal data masked):")]
            lines += quoted.flatMap { $0 }
        }
        return lines
    }

    /// Up to three comments that say something: the longest distinct ones, cut to fit a line.
    private func representative(_ comments: [(department: String, text: String)], _ rules: TextRules)
        -> [(department: String, text: String)]
    {
        var seen = TextRules.Set(rules)
        // Each text's length counted once (counting characters walks the whole string), not per comparison.
        let distinct = comments.compactMap { c -> (length: Int, comment: (department: String, text: String))? in
            guard seen.insert(c.text) else { return nil }
            let length = rules.length(c.text)
            return length >= 8 ? (length, c) : nil
        }
        // The first three in the order longest, then by text, then by department: picked in one pass
        // (texts are distinct, so the order is total and this is what sorting all would give).
        func before(
            _ a: (length: Int, comment: (department: String, text: String)), _ b: (length: Int, comment: (department: String, text: String))
        ) -> Bool {
            if a.length != b.length { return a.length > b.length }
            if !rules.equal(a.comment.text, b.comment.text) { return rules.less(a.comment.text, b.comment.text) }
            return a.comment.department < b.comment.department
        }
        var best: [(length: Int, comment: (department: String, text: String))] = []
        for candidate in distinct where best.count < 3 || before(candidate, best[best.count - 1]) {
            let at = best.firstIndex { before(candidate, $0) } ?? best.count
            best.insert(candidate, at: at)
            if best.count > 3 { best.removeLast() }
        }
        return best.map {
            ($0.comment.department, DisplayWidth.truncate($0.comment.text.replacingOccurrences(of: "\n", with: " "), to: 70))
        }
    }

    private func movers(_ score: FormScore) -> [String] {
        let changes = score.departments.compactMap { g -> (GroupScore, FigureChange)? in
            guard g.publication != .suppressed, let c = g.change?.index, (g.change?.previousN ?? 0) >= settings.rankFrom,
                g.n >= settings.rankFrom
            else { return nil }
            return (g, c)
        }
        guard !changes.isEmpty else {
            return [
                t(
                    "没有两个月样本均达到 \(settings.rankFrom) 份的部门，不作比较。",
                    "No department has \(settings.rankFrom) responses in both months to compare.")
            ]
        }
        let up = changes.filter { $0.1.delta > 0 }.sorted { ($0.1.delta, $1.0.id ?? "") > ($1.1.delta, $0.0.id ?? "") }.prefix(3)
        let down = changes.filter { $0.1.delta < 0 }.sorted { ($0.1.delta, $0.0.id ?? "") < ($1.1.delta, $1.0.id ?? "") }.prefix(3)
        func line(_ item: (GroupScore, FigureChange)) -> String {
            let (g, c) = item
            let verdict = c.significant ? t("显著", "significant") : t("不显著", "not significant")
            return
                "  \(g.name.text(english: english)): \(ScoreOutput.fixed(c.previous)) → \(ScoreOutput.fixed(c.current)) (\(signed(c.delta)), p=\(c.p.map { String(format: "%.3f", $0) } ?? "-"), \(verdict))"
        }
        var lines: [String] = []
        if !up.isEmpty { lines.append(t("上升：", "Up:")); lines += up.map(line) }
        if !down.isEmpty { lines.append(t("下降：", "Down:")); lines += down.map(line) }
        return lines
    }

    private func notes(_ score: FormScore) -> [String] {
        var lines: [String] = []
        let suppressed = score.departments.filter { $0.publication == .suppressed }
        if !suppressed.isEmpty {
            let names = suppressed.map { "\($0.name.text(english: english)) (\($0.n))" }.joined(separator: t("、", ", "))
            lines.append(
                t(
                    "- 样本不足 \(settings.suppressBelow) 份的部门不公布数据：\(names)。",
                    "- Fewer than \(settings.suppressBelow) responses, not published: \(names)."))
        }
        let unranked = score.departments.filter { $0.publication == .unranked }.count
        if unranked > 0 {
            lines.append(
                t(
                    "- 样本不足 \(settings.rankFrom) 份的 \(unranked) 个部门公布数据但不参与排名。",
                    "- \(unranked) department(s) with fewer than \(settings.rankFrom) responses are shown but not ranked."))
        }
        let caution = score.departments.filter { $0.publication != .suppressed && $0.lowConfidence }.count
        if caution > 0 {
            lines.append(
                t(
                    "- 标注“样本少”的 \(caution) 个部门样本不足 \(settings.cautionBelow) 份，结果仅供参考。",
                    "- \(caution) department(s) marked low n have fewer than \(settings.cautionBelow) responses: read with caution."))
        }
        lines.append(
            t(
                "- 满意度指数 = (平均分 − 1) ÷ 4 × 100；好评率为“基本满意”及以上，差评率为“不满意”和“非常不满意”。",
                "- Index = (mean − 1) ÷ 4 × 100; good = 基本满意 and above; bad = the bottom two levels."))
        lines.append(
            t(
                "- 区间为95%置信区间；不适用和未作答的题目不计入分子和分母。",
                "- Intervals are 95% confidence intervals; not-applicable and missing answers count in neither numerator nor denominator."))
        return lines
    }
}

/// How the quoted comments compare texts. `String` compares and hashes text other than ASCII
/// through Unicode normalization, which was a fifth of a report's instructions at 1M responses
/// (callgrind, bench/README.md). Where every comment and department of the month is made of simple
/// scalars (`ScoringLayout.isSimple`: each a character by itself, without canonical decomposition,
/// combining with nothing), their bytes give the same answers: equal texts, their order, their
/// length in characters and their prefixes. Otherwise the `String` way is used.
struct TextRules {
    let simple: Bool

    init(_ material: ReportMaterial, byBytes: Bool = true) {
        simple =
            byBytes
            && material.comments.values.allSatisfy { list in
                list.allSatisfy { Self.isSimple($0.text) && Self.isSimple($0.department) }
            }
    }

    init(simple: Bool) {
        self.simple = simple
    }

    static func isSimple(_ text: String) -> Bool {
        text.withUTF8Bytes { ScoringLayout.isSimple($0) }
    }

    func equal(_ a: String, _ b: String) -> Bool {
        simple ? UTF8Key(a) == UTF8Key(b) : a == b
    }

    func less(_ a: String, _ b: String) -> Bool {
        guard simple else { return a < b }
        // UTF-8 keeps the order of the scalars, which is String's order for text in NFC.
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// The length in characters: one per scalar for simple text (a byte that does not continue one).
    func length(_ text: String) -> Int {
        guard simple else { return text.count }
        return text.withUTF8Bytes { bytes in bytes.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) } }
    }

    func hasPrefix(_ text: String, _ prefix: String) -> Bool {
        simple ? text.utf8.starts(with: prefix.utf8) : text.hasPrefix(prefix)
    }

    /// A set of texts that compares them by these rules.
    struct Set {
        private let simple: Bool
        private var bytes = Swift.Set<UTF8Key>()
        private var strings = Swift.Set<String>()

        init(_ rules: TextRules) {
            simple = rules.simple
        }

        /// Whether the text was not in the set before.
        mutating func insert(_ text: String) -> Bool {
            simple ? bytes.insert(UTF8Key(text)).inserted : strings.insert(text).inserted
        }

        func contains(_ text: String) -> Bool {
            simple ? bytes.contains(UTF8Key(text)) : strings.contains(text)
        }
    }
}
