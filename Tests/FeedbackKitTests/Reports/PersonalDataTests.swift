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
}
