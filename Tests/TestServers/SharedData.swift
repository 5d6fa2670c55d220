import Foundation

/// Locates ../shared (real-world exports, scoring vectors) beside the checkout; nil where it is absent.
public enum SharedData {
    public static let directory: URL? = {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["FEEDBACK_SHARED_DIR"], !env.isEmpty {
            let url = URL(fileURLWithPath: env, isDirectory: true)
            return fm.fileExists(atPath: url.appendingPathComponent("real-world").path) ? url : nil
        }
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("shared", isDirectory: true)
            if fm.fileExists(atPath: candidate.appendingPathComponent("real-world").path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()

    public static func realWorld(_ name: String) -> URL? {
        guard let url = directory?.appendingPathComponent("real-world/\(name)") else { return nil }
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    public static var isAvailable: Bool { directory != nil }
}
