import Foundation
import Testing

@testable import FeedbackKit

struct FormDecoderTests {
    @Test func validFormDecodesEveryField() throws {
        let result = FormDecoder(baseDirectory: Fixtures.directory).load(Fixtures.url("valid-mini.json"))
        let form = try result.get()
        #expect(form.id == "mini")
        #expect(form.version == 1)
        #expect(form.title == LocalizedText(zh: "小表", en: "Mini"))
        #expect(form.departments.map(\.id) == ["tax", "market"])
        #expect(form.departments[1].name.zh == "市场监督管理局")
        #expect(form.departments[1].aliases == ["市场监管局"])
        #expect(form.painPoints.map(\.id) == ["slow-action"])
        #expect(form.questions.map(\.id) == ["department", "overall", "speed", "problems", "comment"])
        let overall = try #require(form.question(withRole: .overall))
        #expect(overall.scale == 5)
        #expect(overall.levels.map(\.zh) == ["非常不满意", "不满意", "基本满意", "满意", "非常满意"])
        #expect(overall.valueRange == 1...5)
        #expect(form.question(withRole: .dimension)?.weight == 2)
        #expect(form.question(withRole: .painPoints)?.choices.map(\.painPoint) == ["slow-action", nil])
        #expect(form.path == "valid-mini.json")
    }

    @Test func exampleFormsAreValid() throws {
        let workspace = try Workspace.open(Fixtures.repositoryRoot)
        let (forms, diagnostics) = try workspace.loadForms()
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(forms.map(\.id).sorted() == ["enterprise-service", "window-evaluation"])
        let enterprise = try #require(forms.first { $0.id == "enterprise-service" })
        #expect(enterprise.departments.count >= 20)
        #expect(enterprise.questions(withRole: .dimension).map(\.label.zh) == ["办事态度", "办事效率", "便利程度", "政策落实"])
        #expect(enterprise.question(withRole: .recommend)?.type == .nps)
        for role in [
            QuestionRole.department, .service, .channel, .overall, .painPoints, .trips, .daysTaken, .daysPromised, .comment, .contact,
        ] {
            #expect(enterprise.question(withRole: role) != nil, "enterprise-service lacks role \(role.rawValue)")
        }
        let window = try #require(forms.first { $0.id == "window-evaluation" })
        #expect(window.departments == enterprise.departments, "both forms share one departments file")
        #expect(
            Set(window.painPoints.map(\.id)) == [
                "obstruction", "slow-action", "buck-passing", "multiple-trips", "paperwork", "attitude", "rent-seeking",
            ])
    }

    @Test func ratingWithOtherScaleGetsNumberedLevels() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.write(
            "f.json",
            """
            {"id": "f", "version": 2, "title": "表", "questions": [
              {"id": "q", "label": "评分", "type": "rating", "scale": 7, "role": "overall", "aliases": {"七分": 7}, "notApplicable": ["不适用"]},
              {"id": "n", "label": "推荐", "type": "nps", "role": "recommend"}
            ]}
            """)
        let form = try FormDecoder(baseDirectory: dir.url).load(url).get()
        #expect(form.questions[0].levels.map(\.zh) == ["1分", "2分", "3分", "4分", "5分", "6分", "7分"])
        #expect(form.questions[0].valueAliases == ["七分": 7])
        #expect(form.questions[0].notApplicable == ["不适用"])
        #expect(form.questions[1].valueRange == 0...10)
    }

    @Test func brokenDepartmentsFileIsReportedInItsOwnName() throws {
        let dir = try TemporaryDirectory()
        try dir.write("departments.json", #"{"departments": [{"id": "tax", "name": "税务局", "alias": ["税务"]}]}"#)
        let url = try dir.write(
            "forms/f.json",
            #"{"id": "f", "version": 1, "title": "表", "departments": "../departments.json", "questions": [{"id": "d", "label": "部门", "type": "single", "role": "department"}]}"#
        )
        let result = FormDecoder(baseDirectory: dir.url).load(url)
        guard case .failure(let error) = result else {
            Issue.record("accepted a form whose departments file is broken")
            return
        }
        #expect(
            error.diagnostics.map(\.description) == [
                #"departments.json: $.departments[0].alias: unknown key "alias"; did you mean "aliases"?"#
            ])
    }
}
