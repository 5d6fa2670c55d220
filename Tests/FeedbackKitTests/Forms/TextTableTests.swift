import Testing

@testable import FeedbackKit

struct TextTableTests {
    @Test(arguments: [("abc", 3), ("市场监督管理局", 14), ("A税务局B", 8), ("（跳过）", 8), ("é", 1), ("👍", 2), ("", 0)])
    func displayWidth(text: String, width: Int) {
        #expect(DisplayWidth.of(text) == width)
    }

    @Test func columnsStayAlignedWithChineseText() {
        var table = TextTable(columns: [.init("部门"), .init("n", alignment: .right), .init("index")])
        table.padLastColumn = true
        table.append(["市场监督管理局", "120", "81.5"])
        table.append(["税务局", "8", "70"])
        let lines = table.render()
        #expect(lines.count == 4)
        #expect(Set(lines.map(DisplayWidth.of)).count == 1, "\(lines)")
        #expect(lines[2] == "市场监督管理局  120  81.5 ")
        #expect(lines[3] == "税务局            8  70   ")
    }

    @Test func truncatesByColumnsWithAnEllipsis() {
        #expect(DisplayWidth.truncate("人力资源和社会保障局", to: 9) == "人力资源…")
        #expect(DisplayWidth.truncate("short", to: 9) == "short")
    }
}
