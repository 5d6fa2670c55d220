import Foundation
import TestServers
import Testing

@testable import FeedbackKit

/// Every real-world export in ../shared/real-world imports cleanly with the form written for its
/// family (Fixtures/real-world-forms), and stores the values the file holds. The expected values
/// were read from the files independently of the importer.
struct RealWorldImportTests {
    /// A fresh store with the form written for an export family.
    static func bench(_ form: String) throws -> ImportBench {
        try ImportBench(form: "real-world-forms/\(form).json")
    }

    static func export(_ name: String) throws -> URL {
        try #require(SharedData.realWorld(name), "\(name) is missing from ../shared/real-world")
    }

    /// Imports an export in place and checks that every record was read and none rejected.
    @discardableResult
    static func importClean(
        _ name: String, into bench: ImportBench, records: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> FileImportSummary {
        let summary = try bench.run(try export(name))
        #expect(summary.error == nil, sourceLocation: sourceLocation)
        #expect(summary.rejected == 0, "rejects: \(summary.rejectsFile ?? "")", sourceLocation: sourceLocation)
        #expect(summary.read == summary.accepted + summary.duplicates + summary.rejected, sourceLocation: sourceLocation)
        #expect(summary.read == records, sourceLocation: sourceLocation)
        #expect(summary.accepted == records, sourceLocation: sourceLocation)
        return summary
    }

    /// How many responses answered a question (not-applicable answers count as answered).
    static func answered(_ responses: [Response], _ question: String) -> Int {
        responses.filter { $0.answers[question] != nil }.count
    }

    /// The response without where it was read from, to compare two exports of the same data.
    static func content(_ response: Response) -> Response {
        var r = response
        r.source = ""
        r.position = 0
        return r
    }

    // MARK: 问卷星

    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
    func wjxZteTextExportAsXLS() throws {
        let bench = try Self.bench("wjx-zte-tianji7")
        let summary = try Self.importClean("wjx_zte_tianji7_All_Data_Readable.xls", into: bench, records: 4)
        #expect(summary.format == "xls")
        // The matrix's first row ("13、…(矩阵单选题 *必答)—外观") maps onto its row question.
        #expect(summary.unmatchedColumns == ["所用时间", "来自IP", "来源", "来源详情"])
        let stored = try bench.responses()
        try #require(stored.count == 4)
        #expect(
            stored.map(\.key) == [
                "1|2016/12/17 14:22:55", "2|2016/12/17 14:25:31", "3|2016/12/17 14:25:43", "4|2016/12/17 14:28:03",
            ])
        #expect(stored.map(\.month) == ["2016-12", "2016-12", "2016-12", "2016-12"])
        #expect(stored[1].submittedAt == "2016-12-17T14:25:31+08:00")
        // Respondents 1 and 3 skipped everything after the screening questions: "(跳过)" is no answer.
        #expect(stored[0].answers == ["zte_family": .text("yes")])
        #expect(stored[2].answers == ["zte_family": .text("no"), "user": .text("family")])
        #expect(Self.answered(stored, "heard_from") == 2)
        #expect(Self.answered(stored, "importance_appearance") == 2)
        #expect(Self.answered(stored, "overall") == 2)

        let second = stored[1]
        #expect(second.answers["heard_from"] == .choices(["carrier-store-ads", "public-ads", "social-apps", "e-commerce", "other"]))
        #expect(second.otherText["heard_from"] == "柜台")
        #expect(second.answers["purchase_channel"] == .text("other"))
        #expect(second.otherText["purchase_channel"] == "你好好")
        #expect(second.answers["importance_appearance"] == .number(4))
        #expect(second.answers["importance_fingerprint"] == .number(2))
        // 0–10 satisfaction: "3分" is the fourth of the levels 0分..10分.
        #expect(second.answers["overall"] == .number(4))
        #expect(second.answers["gender"] == .text("male"))
        #expect(second.answers["age"] == .text("25-29"))
        guard case .text(let ranking) = second.answers["purchase_reasons"] else {
            Issue.record("the ranking is not stored as text")
            return
        }
        #expect(ranking.hasPrefix("骁龙820处理器→三星AMOLED屏幕→触控流畅,反应快"))
        #expect(ranking.split(separator: "→").count == 24)
        #expect(second.extra.contains { $0 == ("所用时间", "136秒") })

        let fourth = stored[3]
        #expect(fourth.answers["heard_from"] == .choices(["carrier-store-ads", "public-ads", "social-apps"]))
        #expect(fourth.otherText["heard_from"] == nil)
        #expect(fourth.answers["purchase_channel"] == .text("appliance-chain"))
        #expect(fourth.answers["previous_phone"] == .text("lll"))
        #expect(fourth.answers["importance_connection"] == .number(5))
        #expect(fourth.answers["overall"] == .number(4))
        #expect(fourth.answers["region"] == .text("天津-红桥区"))
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
    func wjxZteGBKCSVGivesTheSameResponsesAsTheXLS() throws {
        let fromXLS = try Self.bench("wjx-zte-tianji7")
        try Self.importClean("wjx_zte_tianji7_All_Data_Readable.xls", into: fromXLS, records: 4)
        let fromCSV = try Self.bench("wjx-zte-tianji7")
        let summary = try Self.importClean("wjx_zte_tianji7_All_Data_Readable_DERIVED.gbk.csv", into: fromCSV, records: 4)
        #expect(summary.format == "csv")
        let xls = try fromXLS.responses()
        let csv = try fromCSV.responses()
        try #require(csv.count == 4)
        #expect(csv.map(\.key) == xls.map(\.key))
        #expect(csv.map(\.answers) == xls.map(\.answers))
        #expect(csv.map(Self.content) == xls.map(Self.content))
        #expect(csv[1].otherText["heard_from"] == "柜台")

        // The same identities: the CSV adds nothing to a store that holds the XLS.
        let again = try fromXLS.run(try Self.export("wjx_zte_tianji7_All_Data_Readable_DERIVED.gbk.csv"))
        #expect(again.accepted == 0)
        #expect(again.duplicates == 4)
        #expect(try fromXLS.count() == 4)
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
    func wjxPhoneSurveyXLSAndXLSX() throws {
        let fromXLS = try Self.bench("wjx-phone-usage")
        let summary = try Self.importClean("wjx_phone_survey_800_text.xls", into: fromXLS, records: 800)
        // The export was anonymised: no submission times, so no months.
        #expect(summary.withoutTime == 800)
        let stored = try fromXLS.responses()
        try #require(stored.count == 800)
        #expect(stored.map(\.key) == (1...800).map(String.init))
        #expect(stored.allSatisfy { $0.month == nil })
        #expect(stored.filter { $0.answers["gender"] == .text("male") }.count == 427)
        #expect(stored.filter { $0.answers["age"] == .text("30-34") }.count == 248)
        #expect(stored.filter { $0.answers["price"] == .text("3500+") }.count == 246)
        func ticked(_ question: String, _ choice: String) -> Int {
            stored.filter { if case .choices(let c) = $0.answers[question] { c.contains(choice) } else { false } }.count
        }
        #expect(ticked("hobbies", "food") == 492)
        #expect(ticked("news", "finance") == 448)
        #expect(ticked("hobbies", "other") == 2)
        #expect(stored.compactMap { $0.otherText["news"] }.count == 5)
        #expect(stored.compactMap { $0.otherText["price"] } == ["我妈买的。", "亲友赠送的"])
        #expect(
            stored[0].answers == [
                "phones": .text("1"), "price": .text("3000-3499"), "gender": .text("male"), "age": .text("30-34"),
                "income": .text("5001-8000"), "hobbies": .choices(["sports", "film", "shopping"]), "hobby_spending": .text("30"),
                "news": .choices(["entertainment", "cars"]),
            ])
        let r500 = stored[499]
        #expect(r500.key == "500")
        #expect(r500.answers["price"] == .text("other"))
        #expect(r500.otherText == ["price": "我妈买的。", "news": "社会"])
        #expect(r500.answers["news"] == .choices(["entertainment", "politics", "other"]))
        #expect(stored[110].otherText["hobbies"] == "军事国防")

        let fromXLSX = try Self.bench("wjx-phone-usage")
        let xlsx = try Self.importClean("wjx_phone_survey_800_text_DERIVED.xlsx", into: fromXLSX, records: 800)
        #expect(xlsx.format == "xlsx")
        #expect(try fromXLSX.responses().map(Self.content) == stored.map(Self.content))
        let again = try fromXLS.run(try Self.export("wjx_phone_survey_800_text_DERIVED.xlsx"))
        #expect(again.duplicates == 800)
        #expect(try fromXLS.count() == 800)
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
    func wjxCollegesChatCSV() throws {
        let bench = try Self.bench("wjx-collegeschat-v2")
        let summary = try Self.importClean("wjx_collegeschat_v2_text_export.csv", into: bench, records: 10)
        // "5、…情况—你所就读的学校的办学地点是" maps by its row; every column has a question.
        #expect(summary.unmatchedColumns == [])
        let stored = try bench.responses()
        try #require(stored.count == 10)
        #expect(stored.first?.key == "307|2026/9/18 19:20:55")
        #expect(stored.last?.key == "316|2026/9/20 16:03:25")
        #expect(stored.allSatisfy { $0.month == "2026-09" })
        #expect(stored[1].submittedAt == "2026-09-19T00:39:00+08:00")
        #expect(Self.answered(stored, "location") == 10)
        #expect(Self.answered(stored, "comment") == 8)
        #expect(Self.answered(stored, "transfer") == 5)
        #expect(Self.answered(stored, "outages") == 3)
        #expect(Self.answered(stored, "supervisor") == 1)
        #expect(Self.answered(stored, "stipend") == 0)

        let first = stored[0]
        #expect(first.answers["nickname"] == .text("星极"))
        #expect(first.answers["enrolment"] == .text("2026-09"))
        #expect(first.answers["major"] == .text("物理学"))
        #expect(first.answers["location"] == .text("湖南-长沙市-岳麓区"))
        #expect(first.answers["level"] == .text("bachelor"))
        #expect(first.otherText["level"] == "大一")
        #expect(first.answers["supervisor"] == .choices(["relaxed", "high-pressure"]))
        // Two choices with a text each: both choices, both texts.
        #expect(first.answers["attendance"] == .choices(["morning-study", "evening-study"]))
        #expect(first.otherText["attendance"] == "有强制早自习〖大一每星期有几天有〗┋有强制晚自习〖大一每星期有几天有〗")
        #expect(first.answers["bathroom"] == .choices(["toilet", "shower"]))
        #expect(first.answers["beds"] == .choices(["loft", "bunk", "4", "6", "8-or-other"]))
        #expect(first.answers["payment"] == .choices(["other"]))
        #expect(first.otherText["payment"]?.hasPrefix("洗澡强制要实体校园卡") == true)
        // "八人间" is the form's alias of 八人间或者其他（如独立单间等）.
        #expect(stored[1].answers["beds"] == .choices(["loft", "bunk", "4", "6", "8-or-other"]))
        #expect(stored[4].otherText["attendance"] == "这里一定要我选一个！😭大一有晚自习，但不严格")
        guard case .text(let multiLine) = stored[5].answers["comment"] else {
            Issue.record("the multi-line comment is missing")
            return
        }
        #expect(multiLine.hasPrefix("喜欢爬山的朋友们可以来报考。"))
        #expect(multiLine.contains("\n以及宿舍规矩（女生宿舍）特别多"))
        #expect(stored[8].answers["outages"] == .choices(["network"]))
        #expect(stored[8].otherText["outages"] == "0")
        #expect(stored[9].answers["gender"] == .text("（女）"))
        #expect(stored[9].answers["comment"] == nil)
    }

    // MARK: KoboToolbox

    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
    func koboSemicolonCSVAndXLSX() throws {
        let fromCSV = try Self.bench("kobo-biocultural-monitoring")
        let summary = try Self.importClean("kobotoolbox_export_semicolon_labels.csv", into: fromCSV, records: 3)
        // "Question/option" 0/1 columns map as ticks, even with "/" inside the option.
        #expect(!summary.unmatchedColumns.contains { $0.hasPrefix("How is traditional ecological knowledge") })
        #expect(!summary.unmatchedColumns.contains { $0.hasPrefix("What are the primary threats") })
        let stored = try fromCSV.responses()
        try #require(stored.count == 3)
        #expect(
            stored.map(\.key) == [
                "92eb7237-89d6-4a15-aa71-09ec99279bbb", "d18d0d37-fdd1-4c5f-8d37-cbc86e935322", "3af4d0cd-fd74-4907-a952-70c4f3578433",
            ])
        // _submission_time is UTC without an offset; the form says so with "timezone": "+00:00".
        #expect(stored.map(\.submittedAt) == ["2023-07-19T18:33:06+00:00", "2023-07-19T18:35:52+00:00", "2023-07-19T18:37:22+00:00"])
        #expect(stored.map(\.month) == ["2023-07", "2023-07", "2023-07"])
        #expect(stored.map { $0.answers["community"] } == [.text("arlington"), .text("springfield"), .text("fairfax")])
        #expect(stored[1].answers["community_other"] == .text("Springfield"))
        #expect(stored.map { $0.answers["local_ecosystem"] } == [.number(3), .number(1), .number(2)])
        #expect(stored.map { $0.answers["availability_resources"] } == [.number(2), .number(2), .number(2)])
        #expect(stored.map { $0.answers["threats"] } == [.choices(["mining"]), .choices(["land_encroachment"]), .choices(["logging"])])
        #expect(stored.map { $0.answers["migratory_species"] } == [.text("yes"), .text("yes"), .text("not_sure")])
        // Labels with spaces, joined by spaces.
        #expect(
            stored[2].answers["traditional_ecological_knowledge"]
                == .choices(["oral_storytelling", "apprenticeships", "rituals_ceremonies"]))
        #expect(Self.answered(stored, "helpful_resources") == 2)
        #expect(stored[0].extra.contains { $0 == ("start", "2023-07-19 14:30:12.239000-04:00") })

        let fromXLSX = try Self.bench("kobo-biocultural-monitoring")
        let xlsx = try Self.importClean("kobotoolbox_export.xlsx", into: fromXLSX, records: 3)
        #expect(xlsx.format == "xlsx")
        let fromWorkbook = try fromXLSX.responses()
        #expect(fromWorkbook.map(\.key) == stored.map(\.key))
        #expect(fromWorkbook.map(\.submittedAt) == stored.map(\.submittedAt))
        #expect(fromWorkbook.map(\.answers) == stored.map(\.answers))
        #expect(fromWorkbook.map(\.otherText) == stored.map(\.otherText))
        let again = try fromCSV.run(try Self.export("kobotoolbox_export.xlsx"))
        #expect(again.duplicates == 3)
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
    func koboAPIDataBody() throws {
        let bench = try Self.bench("kobo-values-survey")
        let summary = try Self.importClean("kobotoolbox_api_v2_assets_data.json", into: bench, records: 4)
        #expect(summary.format == "json")
        #expect(!summary.unmatchedColumns.contains("Q1/Work"))
        let stored = try bench.responses()
        try #require(stored.count == 4)
        #expect(
            stored.map(\.key) == [
                "aca8c44f-6327-4024-9187-c9e10151c940", "7ab504ec-1a1e-49e5-960c-39b77f5e00c5", "3b98cf99-b651-422b-ace9-c242ca8f9717",
                "8a12d9e0-68ab-4df6-a7e7-294a8eb66d15",
            ])
        #expect(stored[0].submittedAt == "2021-05-02T12:35:45+00:00")
        #expect(stored.allSatisfy { $0.month == "2021-05" })
        // Code 1 is the best level: codes 2, 1, 2, 4 are levels 3, 4, 3, 1 of 4.
        #expect(stored.map { $0.answers["happiness"] } == [.number(3), .number(4), .number(3), .number(1)])
        // 8 (don't know) is not applicable.
        #expect(stored.map { $0.answers["health"] } == [.number(2), .notApplicable, .number(1), .number(3)])
        #expect(stored.map { $0.answers["voluntary_work"] } == [.text("no"), .text("no"), .notApplicable, .notApplicable])
        // Grouped "Q1/Work" and "I_would_like_to_ask_y_much_or_not_at_all/Your_family" map by their field.
        #expect(stored[0].answers["work"] == .number(3))
        #expect(stored[0].answers["leisure_time"] == .number(2))
        #expect(stored[3].answers["your_family"] == .number(1))
        #expect(stored.map { $0.answers["control_over_life"] } == [.number(6), .number(3), .number(8), .number(10)])
    }

    // MARK: ODK Central

    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
    func odkCentralCSVAndOData() throws {
        let bench = try Self.bench("odk-biocultural-monitoring")
        try Self.importClean("odkcentral_export_submissions.csv", into: bench, records: 2)
        let csv = try bench.responses()
        try #require(csv.count == 2)
        #expect(csv.map(\.key) == ["uuid:1d5850bb-8e07-4944-8017-ed52413e9dca", "uuid:e96490a7-dd32-4c68-8037-4272915fb566"])
        // SubmissionDate is UTC ("Z"): moved to the workspace's +08:00.
        #expect(csv.map(\.submittedAt) == ["2025-07-29T21:30:32+08:00", "2025-07-29T21:29:12+08:00"])
        #expect(csv.map(\.month) == ["2025-07", "2025-07"])
        #expect(csv[0].answers["community"] == .text("new_york"))
        #expect(csv[0].answers["threats"] == .choices(["mining", "climate_change", "land_encroachment"]))
        #expect(
            csv[0].answers["traditional_ecological_knowledge"]
                == .choices(["oral_storytelling", "apprenticeships", "rituals_ceremonies", "other"]))
        #expect(csv[0].answers["important_resources"] == .text("Cassava, Sweet Potato"))
        #expect(csv.map { $0.answers["local_ecosystem"] } == [.number(2), .number(3)])
        #expect(csv.map { $0.answers["availability_resources"] } == [.number(2), .number(1)])

        let summary = try Self.importClean("odkcentral_odata_submissions.json", into: bench, records: 3)
        #expect(summary.format == "json")
        let odata = Array(try bench.responses().dropFirst(2))
        try #require(odata.count == 3)
        #expect(
            odata.map(\.key) == [
                "uuid:06ed309e-980c-45be-b52b-c1cd143d5d2d", "uuid:24951a9e-db46-4e22-9bce-910377c9dd22",
                "uuid:cb7955d8-dc7c-480f-9699-20555a155c92",
            ])
        #expect(odata.map(\.submittedAt) == ["2025-02-12T21:42:43+08:00", "2025-02-12T10:26:29+08:00", "2025-02-12T10:25:43+08:00"])
        #expect(odata.map(\.month) == ["2025-02", "2025-02", "2025-02"])
        #expect(odata.map { $0.answers["availability_resources"] } == [.number(1), .notApplicable, .number(3)])
        #expect(odata[0].answers["threats"] == .choices(["land_encroachment", "pollution", "climate_change", "mining"]))
        #expect(odata[2].answers["traditional_ecological_knowledge"] == .choices(["elders_guidance", "apprenticeships"]))
        #expect(try bench.count() == 5)
    }

    // MARK: SurveyJS

    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
    func surveyJSSingleResultObject() throws {
        let bench = try Self.bench("surveyjs-cadence-feedback")
        let summary = try Self.importClean("surveyjs_customer_satisfaction_nps_sample_response.json", into: bench, records: 1)
        #expect(summary.withoutTime == 1)
        #expect(summary.unmatchedColumns == [])
        let stored = try #require(try bench.responses().first)
        #expect(stored.key.hasPrefix("h:"))
        #expect(stored.month == nil)
        #expect(
            stored.answers == [
                "overallSatisfaction": .number(4), "speed": .number(4), "reliability": .number(4), "support": .number(3),
                "value": .number(3), "usagePeriod": .text("6-12-months"),
                "likedFeatures": .choices(["ease-of-use", "speed", "integrations"]),
                "improvementAreas": .choices(["price", "customer-support"]),
                "additionalFeedback": .text("Rollups across projects are the one thing I still export to a spreadsheet for."),
                "recommendationScore": .number(5), "allowFollowUp": .text("yes"), "contactEmail": .text("jordan.avery@example.com"),
            ])
    }

    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"))
    func surveyJSResultWithEveryQuestionType() throws {
        let bench = try Self.bench("surveyjs-all-question-types")
        try Self.importClean("surveyjs_python-surveyjs_all_types_response.json", into: bench, records: 1)
        let stored = try #require(try bench.responses().first)
        #expect(stored.answers["satisfaction"] == .number(8))
        #expect(stored.answers["product"] == .number(4))
        #expect(stored.answers["service"] == .number(3))
        #expect(stored.answers["support"] == .number(2))
        #expect(stored.answers["hobbies"] == .choices(["reading", "music", "travel"]))
        #expect(stored.answers["priorityItems"] == .choices(["quality", "price", "support", "speed"]))
        #expect(stored.answers["birthDate"] == .text("1993-05-15"))
        #expect(stored.answers["appointmentTime"] == .text("2024-06-15T10:30:00+08:00"))
        #expect(stored.answers["agreeTerms"] == .text("agreed"))
        #expect(stored.answers["age"] == .number(30))
        #expect(stored.answers["volume"] == .number(45))
        #expect(stored.answers.count == 20)
        // Answers with no question (files, dynamic panels, nested matrices) are kept.
        #expect(stored.extra.contains { $0 == ("address/city", "Springfield") })
        #expect(stored.extra.contains { $0 == ("priceRange", "100,600") })
        #expect(stored.extra.contains { $0 == ("budgetMatrix/development/status", "planned") })
    }

    // MARK: Re-import

    static let exports: [(form: String, file: String, records: Int)] = [
        ("wjx-zte-tianji7", "wjx_zte_tianji7_All_Data_Readable.xls", 4),
        ("wjx-zte-tianji7", "wjx_zte_tianji7_All_Data_Readable_DERIVED.gbk.csv", 4),
        ("wjx-phone-usage", "wjx_phone_survey_800_text.xls", 800),
        ("wjx-phone-usage", "wjx_phone_survey_800_text_DERIVED.xlsx", 800),
        ("wjx-collegeschat-v2", "wjx_collegeschat_v2_text_export.csv", 10),
        ("kobo-biocultural-monitoring", "kobotoolbox_export_semicolon_labels.csv", 3),
        ("kobo-biocultural-monitoring", "kobotoolbox_export.xlsx", 3),
        ("kobo-values-survey", "kobotoolbox_api_v2_assets_data.json", 4),
        ("odk-biocultural-monitoring", "odkcentral_export_submissions.csv", 2),
        ("odk-biocultural-monitoring", "odkcentral_odata_submissions.json", 3),
        ("surveyjs-cadence-feedback", "surveyjs_customer_satisfaction_nps_sample_response.json", 1),
        ("surveyjs-all-question-types", "surveyjs_python-surveyjs_all_types_response.json", 1),
    ]

    @Test(.enabled(if: SharedData.isAvailable, "../shared/real-world is absent"), arguments: exports.indices)
    func reimportStoresNothingTwice(index: Int) throws {
        let (form, file, records) = Self.exports[index]
        let bench = try Self.bench(form)
        try Self.importClean(file, into: bench, records: records)
        let again = try bench.run(try Self.export(file))
        #expect(again.read == records)
        #expect(again.accepted == 0)
        #expect(again.duplicates == records)
        #expect(again.rejected == 0)
        #expect(try bench.count() == records)
    }
}
