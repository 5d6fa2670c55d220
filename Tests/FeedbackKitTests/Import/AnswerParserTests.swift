import Testing

@testable import FeedbackKit

struct AnswerParserTests {
    let form: Form

    init() throws {
        form = try ImportBench(exampleForm: "enterprise-service").form
    }

    func parse(_ questionId: String, _ text: String) -> ParsedAnswer {
        let question = form.questions.first { $0.id == questionId }
        guard let question else { return .invalid("no question \(questionId)") }
        return AnswerParser(question: question, departments: DepartmentIndex(form.departments)).parse(.text(text))
    }

    @Test(arguments: [("非常满意", 5.0), ("不满意", 2), ("5分", 5), ("3 分", 3), ("4", 4), ("4.0", 4), ("Very satisfied", 5), ("基本满意", 3)])
    func ratingLevelsByLabelAliasOrNumber(text: String, level: Double) {
        #expect(parse("overall", text) == .answer(.number(level), other: nil))
    }

    @Test func ratingOutOfScaleOrUnknownIsInvalid() {
        #expect(parse("overall", "7分") == .invalid("\"7分\" is outside the scale 1..5 of 总体满意度"))
        #expect(parse("overall", "还行吧") == .invalid("\"还行吧\" is not a level of 总体满意度 (1..5 or 非常不满意..非常满意)"))
    }

    @Test(arguments: ["(跳过)", "（空）", "-3", "", "  "])
    func skipMarkersMeanNotAnswered(text: String) {
        #expect(parse("overall", text) == .notAnswered)
    }

    @Test func notApplicableIsItsOwnAnswer() {
        #expect(parse("attitude", "不适用") == .answer(.notApplicable, other: nil))
    }

    @Test func departmentsByNameAliasOrLongerName() {
        #expect(parse("department", "市场监督管理局") == .answer(.text("market-regulation"), other: nil))
        #expect(parse("department", "市监局") == .answer(.text("market-regulation"), other: nil))
        #expect(parse("department", "XX区市场监督管理局") == .answer(.text("market-regulation"), other: nil))
        #expect(parse("department", "taxation") == .answer(.text("taxation"), other: nil))
        #expect(
            parse("department", "外星事务局")
                == .invalid("\"外星事务局\" is not a department of this form (add it, or an alias, to the departments file)"))
    }

    @Test func multipleChoicesJoinedAsExportsJoinThem() {
        let both = ParsedAnswer.answer(.choices(["obstruction", "paperwork"]), other: nil)
        #expect(parse("pain_points", "中梗阻：上面同意了，下面办不动┋材料繁琐：材料多、重复提交") == both)
        #expect(parse("pain_points", "obstruction paperwork") == both)
        #expect(parse("pain_points", "obstruction;paperwork") == both)
        #expect(parse("pain_points", "没有遇到以上问题") == .answer(.choices(["none"]), other: nil))
        #expect(parse("pain_points", "其他〖窗口少，排队久〗") == .answer(.choices(["other"]), other: "窗口少，排队久"))
        #expect(
            parse("pain_points", "慢作为：办理慢、不催不办┋推诿")
                == .invalid(
                    "\"推诿\" is not a choice of 办事过程中遇到的问题（可多选） (中梗阻：上面同意了，下面办不动, 慢作为：办理慢、不催不办, 推诿扯皮：部门之间互相推托, 多头跑：跑多个窗口或多次往返, 材料繁琐：材料多、重复提交, 态度差：门难进、脸难看, 吃拿卡要, 没有遇到以上问题, …)"
                ))
    }

    @Test func labelsWithSpacesJoinedBySpaces() {
        // KoboToolbox joins the labels of ticked choices with spaces, and labels hold spaces too.
        #expect(
            parse("pain_points", "Slow action Stalled in the middle layers")
                == .answer(.choices(["slow-action", "obstruction"]), other: nil))
        #expect(parse("pain_points", "Slow action paperwork") == .answer(.choices(["slow-action", "paperwork"]), other: nil))
        guard case .invalid = parse("pain_points", "Slow action Stalled") else {
            Issue.record("a word that belongs to no choice was accepted")
            return
        }
    }

    @Test func everyChoiceKeepsItsOwnText() {
        // 问卷星 lets any choice carry text in 〖…〗; with two, both choices and both texts are kept.
        let answer = "中梗阻：上面同意了，下面办不动〖科室推〗┋其他〖窗口少〗"
        #expect(parse("pain_points", answer) == .answer(.choices(["obstruction", "other"]), other: answer))
        #expect(parse("pain_points", "中梗阻：上面同意了，下面办不动┋其他〖窗口少〗") == .answer(.choices(["obstruction", "other"]), other: "窗口少"))
    }

    @Test func choicesByValueLabelOrAlias() {
        #expect(parse("channel", "网办") == .answer(.text("online"), other: nil))
        #expect(parse("channel", "ＡＰＰ") == .answer(.text("mobile"), other: nil))
        #expect(parse("channel", "window") == .answer(.text("window"), other: nil))
    }

    @Test func countsWithUnitsAndRanges() {
        #expect(parse("trips", "3") == .answer(.number(3), other: nil))
        #expect(parse("trips", "2次") == .answer(.number(2), other: nil))
        #expect(parse("days_taken", "5个工作日") == .answer(.number(5), other: nil))
        #expect(parse("trips", "三次") == .invalid("\"三次\" is not a number (write digits, such as 3)"))
        #expect(parse("days_taken", "-2") == .invalid("-2 is below the minimum 0 of 实际办理用时（工作日）"))
        #expect(parse("trips", "1.5") == .invalid("\"1.5\" is not a whole number"))
    }

    @Test func recommendTakesZeroToTen() {
        #expect(parse("recommend", "0") == .answer(.number(0), other: nil))
        #expect(parse("recommend", "10") == .answer(.number(10), other: nil))
        #expect(parse("recommend", "11") == .invalid("\"11\" is outside the scale 0..10 of 您向其他企业推荐来本区办事的可能性（0–10分）"))
    }
}
