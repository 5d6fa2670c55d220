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

    /// The word-at-a-time test for a digit or an @, which decides whether a text is masked at
    /// all, finds exactly what a byte-at-a-time test finds: at every place in a word, next to
    /// every byte value, and in the bytes after the last whole word.
    @Test func theQuickTestForDigitsAndAtsFindsWhatEachByteHolds() {
        func naive(_ bytes: [UInt8]) -> Bool { bytes.contains { (0x30...0x39).contains($0) || $0 == 0x40 } }
        var cases: [[UInt8]] = []
        for value in 0...255 {
            for place in 0..<11 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 11)
                bytes[place] = UInt8(value)
                cases.append(bytes)
                // Next to bytes past ASCII and to the neighbours of the bytes looked for.
                for filler: UInt8 in [0xE5, 0x2F, 0x3A, 0x3F, 0x41, 0xB0, 0xC0, 0xFF] {
                    var other = [UInt8](repeating: filler, count: 11)
                    other[place] = UInt8(value)
                    cases.append(other)
                }
            }
        }
        var rng = SplitMix64(seed: 23)
        for _ in 0..<2000 { cases.append((0..<Int(rng.next() % 40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }) }
        cases.append(Array("材料要求不清楚，又跑了一趟".utf8))
        cases.append([])
        for bytes in cases {
            let quick = bytes.withUnsafeBufferPointer(PersonalData.mayHoldPersonalData)
            #expect(quick == naive(bytes), "\(bytes)")
        }
    }
}
