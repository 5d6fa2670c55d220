import Foundation
import Testing

@testable import FeedbackKit

/// Every file in Fixtures/broken-forms must produce exactly the messages in its .expected file.
struct BrokenFormsTests {
    static let corpus: [String] = {
        let dir = Fixtures.url("broken-forms")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }()

    @Test func corpusIsLargeEnough() {
        #expect(Self.corpus.count >= 15)
    }

    @Test(arguments: corpus)
    func brokenFormGivesItsExactMessages(name: String) throws {
        let dir = Fixtures.url("broken-forms")
        let expected = try String(
            contentsOf: dir.appendingPathComponent(name.replacingOccurrences(of: ".json", with: ".expected")), encoding: .utf8
        )
        .split(separator: "\n").map(String.init)
        let result = FormDecoder(baseDirectory: dir).load(dir.appendingPathComponent(name))
        guard case .failure(let error) = result else {
            Issue.record("\(name) was accepted")
            return
        }
        #expect(error.diagnostics.map(\.description) == expected)
    }
}
