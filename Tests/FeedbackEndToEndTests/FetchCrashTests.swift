import FeedbackKit
import Foundation
import GRDB
import TestServers
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fetch killed with SIGKILL at random moments leaves a sound store holding a gap-free prefix of the
/// submissions, and the next fetch completes it with every submission once.
@Suite(.enabled(if: SharedData.isAvailable, "../shared is not beside the checkout"))
struct FetchCrashTests {
    /// Submission i's time as the store keeps it: 2025-04-01T00:00:00Z + 37·i s, in +08:00.
    static func storedTime(_ i: Int) -> String {
        let date = Date(timeIntervalSince1970: 1_743_465_600 + Double(37 * i) + 8 * 3600)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d+08:00", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    @Test func killedFetchesLeaveAPrefixAndARerunCompletesIt() throws {
        let world = try FetchWorld { source in
            source["pageSize"] = 100
        }
        var total = 3000
        try world.control("add?count=\(total)")
        var generator = SystemRandomNumberGenerator()
        var kills = 0
        var attempt = 0
        while kills < 10 && attempt < 40 {
            attempt += 1
            // Every other run asks for everything again, so kills also land in a pass over stored pages.
            let process = try CLI.start(
                ["fetch", "odk"] + (attempt % 2 == 0 ? ["--full"] : []), in: world.scratch.url, environment: FetchWorld.environment)
            usleep(UInt32.random(in: 30_000...600_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal { kills += 1 }

            #expect(try world.integrityCheck() == "ok", "attempt \(attempt)")
            // A fetch killed before the store's first migration committed leaves a store without tables.
            let stored = try StoredResponses.all(in: world.store.path).compactMap(\.submittedAt).sorted()
            #expect(stored == (0..<stored.count).map { Self.storedTime($0 + 1) }, "attempt \(attempt): the store is not a gap-free prefix")
            if try world.query({ try $0.tableExists("source_state") }), let cursor = try world.cursor("odk") {
                // The cursor never runs ahead of what is stored.
                let cursorTime = try #require(Timestamp(cursor, zone: .china))
                #expect(stored.last.flatMap { Timestamp($0, zone: .china) }.map { cursorTime.instant <= $0.instant } ?? false)
            }
            // Submissions go on arriving meanwhile.
            try world.control("add?count=50")
            total += 50
        }
        #expect(kills >= 10, "only \(kills) of \(attempt) fetches were still running when killed")

        let rerun = try world.run(["fetch", "odk"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try world.count() == total)
        #expect(Set(try StoredResponses.all(in: world.store.path).compactMap(\.submittedAt)).count == total)
    }
}
