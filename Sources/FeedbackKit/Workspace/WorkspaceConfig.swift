import Foundation

/// Publication thresholds and the 好评 cut-off, from feedback.json's "scoring".
public struct ScoringSettings: Sendable, Equatable {
    /// Departments with fewer responses are not shown at all.
    public var suppressBelow: Int = 10
    /// Departments need at least this many responses to be ranked.
    public var rankFrom: Int = 30
    /// Departments with fewer responses are marked as low confidence.
    public var cautionBelow: Int = 100
    /// The lowest level (of five) that counts as 好评.
    public var goodFrom: Int = 3

    public init() {}
}

/// The workspace configuration, feedback.json.
public struct WorkspaceConfig: Sendable, Equatable {
    /// Where the store lives: a path relative to the workspace.
    public var store: String = "feedback.sqlite"
    /// The offset of times written without one.
    public var timezone: UTCOffset = .china
    public var scoring = ScoringSettings()
    /// Remote sources, read by the fetch command.
    public var sources: [SourceConfig] = []

    public init() {}

    static let keys = ["store", "timezone", "scoring", "sources"]
    static let scoringKeys = ["suppressBelow", "rankFrom", "cautionBelow", "goodFrom"]

    /// Reads feedback.json strictly; every problem is reported at once.
    static func decode(_ node: JSONNode, reader: inout StrictReader) -> WorkspaceConfig {
        var config = WorkspaceConfig()
        let root = JSONPath.root
        guard let f = reader.object(node, at: root, allowed: keys) else { return config }
        if let store = reader.string(f["store"], at: root.key("store")) { config.store = store }
        if let tz = reader.string(f["timezone"], at: root.key("timezone")) {
            if let offset = UTCOffset(tz) {
                config.timezone = offset
            } else {
                reader.report(root.key("timezone"), "\"\(tz)\" is not an offset such as \"+08:00\"")
            }
        }
        if let node = f["scoring"], let s = reader.object(node, at: root.key("scoring"), allowed: scoringKeys) {
            let p = root.key("scoring")
            func count(_ key: String) -> Int? {
                guard let v = reader.integer(s[key], at: p.key(key)) else { return nil }
                if v < 0 {
                    reader.report(p.key(key), "must not be negative")
                    return nil
                }
                return v
            }
            if let v = count("suppressBelow") { config.scoring.suppressBelow = v }
            if let v = count("rankFrom") { config.scoring.rankFrom = v }
            if let v = count("cautionBelow") { config.scoring.cautionBelow = v }
            if let v = count("goodFrom") {
                if (1...5).contains(v) {
                    config.scoring.goodFrom = v
                } else {
                    reader.report(p.key("goodFrom"), "must be a level from 1 to 5")
                }
            }
            if config.scoring.rankFrom < config.scoring.suppressBelow {
                reader.report(p.key("rankFrom"), "must not be less than suppressBelow (\(config.scoring.suppressBelow))")
            }
        }
        if let sources = reader.array(f["sources"], at: root.key("sources")) {
            var names = Set<String>()
            for (i, node) in sources.enumerated() {
                guard let source = SourceConfig.decode(node, at: root.key("sources").index(i), reader: &reader) else { continue }
                if !names.insert(source.name).inserted {
                    reader.report(root.key("sources").index(i).key("name"), "another source is already named \"\(source.name)\"")
                    continue
                }
                config.sources.append(source)
            }
        }
        return config
    }
}
