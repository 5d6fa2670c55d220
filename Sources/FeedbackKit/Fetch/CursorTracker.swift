import Foundation

/// A submission time as the server wrote it, and the instant it names.
struct SourceTime: Equatable {
    var raw: String
    var instant: Double
}

/// Decides, page by page, how far a source's cursor may move: up to a time such that every submission
/// at or before it has been received and stored.
///
/// Two things could leave a gap if the cursor were simply the newest time seen:
/// - several submissions can share a time (KoboToolbox writes whole seconds), and those at the last time
///   of a page may go on into the next page; so while pages are still coming, the cursor stops short of
///   the page's last time;
/// - a server writes the submission time before the submission becomes visible to queries; so the cursor
///   never passes the server's clock less `settle` seconds. What is newer is asked for again next time
///   (and counted as already stored).
/// Pages that come out of time order (a server that ignores the sort) move the cursor only at the end.
struct CursorTracker {
    /// Seconds behind the server's clock within which submissions may still appear.
    static let settle: Double = 600

    /// The cursor stored so far; never moves back.
    private(set) var cursor: SourceTime?
    private var ordered = true
    private var last = -Double.infinity
    /// The newest settled time seen in this fetch.
    private var settledMax: SourceTime?

    init(start: SourceTime?) {
        cursor = start
    }

    /// Folds in a page's record times, in the order received; returns the cursor to store with the page,
    /// or nil when it does not move.
    mutating func advance(page times: [SourceTime], serverNow: Double, isLast: Bool) -> SourceTime? {
        let threshold = serverNow - Self.settle
        let settledBefore = settledMax
        var pageLast = -Double.infinity
        for time in times {
            if time.instant < last { ordered = false }
            last = time.instant
            pageLast = max(pageLast, time.instant)
            if time.instant <= threshold, settledMax.map({ time.instant >= $0.instant }) ?? true { settledMax = time }
        }
        var candidate: SourceTime?
        if isLast {
            candidate = settledMax
        } else if ordered && !times.isEmpty {
            // Everything before this page's last time has been seen; that time itself may go on.
            candidate = settledBefore.flatMap { $0.instant < pageLast ? $0 : nil }
            for time in times where time.instant < pageLast && time.instant <= threshold {
                if candidate.map({ time.instant >= $0.instant }) ?? true { candidate = time }
            }
        }
        guard let candidate, cursor.map({ candidate.instant > $0.instant }) ?? true else { return nil }
        cursor = candidate
        return candidate
    }
}
