import Testing

@testable import FeedbackKit

struct PersonalDataTests {
    @Test(arguments: [
        ("请回电13812345678谢谢", "请回电138****5678谢谢"),
        ("138-1234-5678", "138-****-5678"),
        ("身份证330102199001011234", "身份证330102********1234"),
        ("33010219900101123X", "330102********123X"),
        ("电话0571-87654321", "电话0571-****4321"),
        ("邮箱 zhang.san@example.com", "邮箱 z********@example.com"),
        ("办了3次，等了15天", "办了3次，等了15天"),
        ("2025年4月3日", "2025年4月3日"),
    ])
    func masksPersonalDataInText(text: String, masked: String) {
        #expect(PersonalData.maskText(text) == masked)
    }

    @Test func contactAnswersAreMaskedWhole() {
        #expect(PersonalData.maskContact("13812345678") == "138****5678")
        #expect(PersonalData.maskContact("张三") == "**")
        #expect(PersonalData.maskContact("王小明") == "王*明")
    }

    /// The fast path for a mobile number alone masks as `maskText` does, and takes nothing else.
    @Test func mobileFastPathMasksAsTheTextMaskDoes() {
        var rng = SplitMix64(seed: 11)
        var values = ["13812345678", "10000000000", "19999999999"]
        for _ in 0..<200 { values.append("1" + (0..<10).map { _ in String(rng.next() % 10) }.joined()) }
        for value in values {
            #expect(PersonalData.maskMobile(value) == PersonalData.maskText(value), "\(value)")
        }
        for other in ["23812345678", "1381234567", "138123456789", " 13812345678", "1381234567８", "138-1234-5678", "", "1３812345678"] {
            #expect(PersonalData.maskMobile(other) == nil, "\(other)")
        }
    }
}
