import Foundation
import TestServers
import Testing

/// A step into the vectors' JSON: an object key or an array index.
protocol VectorKey: CustomStringConvertible {}
extension String: VectorKey {}
extension Int: VectorKey {}

/// Why a vector could not be read.
struct VectorError: Error, CustomStringConvertible {
    let description: String
}

/// One section of ../shared/scoring-vectors.json. Every leaf a test reads is recorded as an input
/// or as a checked output, so `assertComplete` can prove that no number in the section went
/// unchecked, and that at least one was checked.
final class VectorSection {
    static let tolerance = 1e-6

    let name: String
    private let root: Any
    private var covered = Set<String>()
    private(set) var checkedCount = 0

    init(_ name: String) throws {
        guard let directory = SharedData.directory else {
            throw VectorError(description: "../shared is absent")
        }
        let url = directory.appendingPathComponent("scoring-vectors.json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        guard let top = json as? [String: Any], let section = top[name] else {
            throw VectorError(description: "\(url.path): no section \(name)")
        }
        self.name = name
        root = section
    }

    /// Number of entries when the section is a list.
    var count: Int { (root as? [Any])?.count ?? 0 }

    /// Keys when the section (or an object under it) is an object, sorted.
    func keys(_ path: any VectorKey...) throws -> [String] {
        guard let object = try node(path) as? [String: Any] else {
            throw VectorError(description: "\(describe(path)) is not an object")
        }
        return object.keys.sorted()
    }

    // MARK: Inputs

    func number(_ path: any VectorKey...) throws -> Double {
        let value = try node(path)
        guard let number = value as? NSNumber else {
            throw VectorError(description: "\(describe(path)) is not a number")
        }
        cover(path)
        return number.doubleValue
    }

    func integer(_ path: any VectorKey...) throws -> Int {
        let value = try node(path)
        guard let number = value as? NSNumber, number.doubleValue == number.doubleValue.rounded() else {
            throw VectorError(description: "\(describe(path)) is not a whole number")
        }
        cover(path)
        return number.intValue
    }

    func numbers(_ path: any VectorKey...) throws -> [Double] {
        guard let list = try node(path) as? [Any] else {
            throw VectorError(description: "\(describe(path)) is not a list")
        }
        let values = try list.map { item -> Double in
            guard let number = item as? NSNumber else {
                throw VectorError(description: "\(describe(path)) holds a non-number")
            }
            return number.doubleValue
        }
        cover(path)
        return values
    }

    /// Any subtree, recorded as input in full.
    func raw(_ path: any VectorKey...) throws -> Any {
        let value = try node(path)
        cover(path)
        return value
    }

    // MARK: Checks

    /// Checks a figure against the vector at 1e-6; a JSON null expects nil.
    func expect(
        _ actual: Double?, _ path: any VectorKey..., sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let expected = try node(path)
        let location = "\(name)\(describe(path))"
        if expected is NSNull {
            #expect(
                actual == nil, "\(location): expected no figure, got \(String(describing: actual))",
                sourceLocation: sourceLocation)
        } else if let number = expected as? NSNumber {
            if let actual {
                #expect(
                    abs(actual - number.doubleValue) <= Self.tolerance,
                    "\(location): \(actual) vs \(number.doubleValue)", sourceLocation: sourceLocation)
            } else {
                Issue.record(
                    "\(location): no figure, expected \(number.doubleValue)", sourceLocation: sourceLocation)
            }
        } else {
            throw VectorError(description: "\(location) is not a number or null")
        }
        cover(path)
        checkedCount += 1
    }

    /// Checks a label against the vector.
    func expect(
        label actual: String?, _ path: any VectorKey..., sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        guard let expected = try node(path) as? String else {
            throw VectorError(description: "\(name)\(describe(path)) is not a string")
        }
        #expect(actual == expected, "\(name)\(describe(path))", sourceLocation: sourceLocation)
        cover(path)
        checkedCount += 1
    }

    /// Fails unless every leaf of the section was read or checked and at least one was checked.
    func assertComplete(sourceLocation: SourceLocation = #_sourceLocation) {
        var missed: [String] = []
        collectLeaves(root, path: "") { leaf in
            if !isCovered(leaf) { missed.append(leaf) }
        }
        #expect(checkedCount > 0, "\(name): nothing checked", sourceLocation: sourceLocation)
        #expect(missed.isEmpty, "\(name): unchecked \(missed.sorted())", sourceLocation: sourceLocation)
    }

    // MARK: Plumbing

    private func node(_ path: [any VectorKey]) throws -> Any {
        var current: Any = root
        for step in path {
            switch step {
            case let key as String:
                guard let object = current as? [String: Any], let next = object[key] else {
                    throw VectorError(description: "\(name)\(describe(path)): no key \(key)")
                }
                current = next
            case let index as Int:
                guard let list = current as? [Any], list.indices.contains(index) else {
                    throw VectorError(description: "\(name)\(describe(path)): no index \(index)")
                }
                current = list[index]
            default:
                throw VectorError(description: "unsupported key \(step)")
            }
        }
        return current
    }

    private func describe(_ path: [any VectorKey]) -> String {
        path.map { "/\($0)" }.joined()
    }

    private func cover(_ path: [any VectorKey]) {
        covered.insert(describe(path))
    }

    private func isCovered(_ leaf: String) -> Bool {
        var prefix = leaf
        while true {
            if covered.contains(prefix) { return true }
            guard let slash = prefix.lastIndex(of: "/") else { return covered.contains("") }
            prefix = String(prefix[..<slash])
        }
    }

    private func collectLeaves(_ node: Any, path: String, _ visit: (String) -> Void) {
        if let object = node as? [String: Any] {
            for (key, value) in object { collectLeaves(value, path: "\(path)/\(key)", visit) }
        } else if let list = node as? [Any] {
            for (index, value) in list.enumerated() { collectLeaves(value, path: "\(path)/\(index)", visit) }
        } else {
            visit(path)
        }
    }
}
