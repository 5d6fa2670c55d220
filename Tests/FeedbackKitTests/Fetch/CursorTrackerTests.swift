import Testing

@testable import FeedbackKit

/// How far the cursor may move, page by page, without leaving a gap.
struct CursorTrackerTests {
    private func times(_ instants: [Double]) -> [SourceTime] {
        instants.map { SourceTime(raw: "t\(Int($0))", instant: $0) }
    }

    private let now = 1_000_000.0

    @Test func stopsShortOfAPagesLastTimeUntilTheLastPage() {
        var tracker = CursorTracker(start: nil)
        // Two submissions share time 30, one on each side of the page boundary.
        #expect(tracker.advance(page: times([10, 20, 30]), serverNow: now, isLast: false)?.raw == "t20")
        #expect(tracker.advance(page: times([30, 40, 50]), serverNow: now, isLast: false)?.raw == "t40")
        #expect(tracker.advance(page: times([50, 60]), serverNow: now, isLast: true)?.raw == "t60")
        #expect(tracker.cursor?.raw == "t60")
    }

    @Test func aPageOfOneTimeDoesNotMoveTheCursor() {
        var tracker = CursorTracker(start: SourceTime(raw: "t5", instant: 5))
        #expect(tracker.advance(page: times([7, 7, 7]), serverNow: now, isLast: false) == nil)
        #expect(tracker.cursor?.raw == "t5")
    }

    @Test func neverPassesTheServersClockLessTheSettlingTime() {
        var tracker = CursorTracker(start: nil)
        let serverNow = 10_000.0
        let recent = serverNow - CursorTracker.settle + 1
        let cursor = tracker.advance(page: times([100, 200, recent]), serverNow: serverNow, isLast: true)
        #expect(cursor?.raw == "t200", "a submission newer than the settling time would be skipped if a late one shares its time")
    }

    @Test func outOfOrderPagesMoveTheCursorOnlyAtTheEnd() {
        var tracker = CursorTracker(start: nil)
        #expect(tracker.advance(page: times([50, 60, 70]), serverNow: now, isLast: false)?.raw == "t60")
        #expect(tracker.advance(page: times([10, 20, 30]), serverNow: now, isLast: false) == nil)
        #expect(tracker.advance(page: times([80]), serverNow: now, isLast: true)?.raw == "t80")
    }

    @Test func neverMovesBack() {
        var tracker = CursorTracker(start: SourceTime(raw: "t500", instant: 500))
        #expect(tracker.advance(page: times([10, 20]), serverNow: now, isLast: true) == nil)
        #expect(tracker.cursor?.raw == "t500")
    }
}
