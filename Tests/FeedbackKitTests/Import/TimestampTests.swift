import Testing

@testable import FeedbackKit

struct TimestampTests {
    @Test(arguments: [
        ("2025-04-03T09:05:31+08:00", "2025-04-03T09:05:31+08:00"),
        ("2025-04-03 09:05:31", "2025-04-03T09:05:31+08:00"),
        ("2025/4/3 9:05:31", "2025-04-03T09:05:31+08:00"),
        ("2025/12/17 14:25", "2025-12-17T14:25:00+08:00"),
        ("2025年4月3日 9:05", "2025-04-03T09:05:00+08:00"),
        ("2025-04-03", "2025-04-03T00:00:00+08:00"),
        ("2025-04-03T09:05:31.123+0800", "2025-04-03T09:05:31+08:00"),
        ("2025-04-30T17:30:00Z", "2025-05-01T01:30:00+08:00"),
        ("2025-04-30T20:00:00-05:00", "2025-04-30T20:00:00-05:00"),
        // KoboToolbox's CSV export: microseconds and an offset after a space-separated time.
        ("2023-07-19 14:30:12.239000-04:00", "2023-07-19T14:30:12-04:00"),
    ])
    func readsTheLayoutsExportsWrite(text: String, iso: String) {
        #expect(Timestamp(text, zone: .china)?.iso == iso)
    }

    @Test func monthIsTheLocalMonthAsWritten() {
        #expect(Timestamp("2025-05-01T00:30:00+08:00", zone: .china)?.month == "2025-05")
        #expect(Timestamp("2025/3/31 23:50:27", zone: .china)?.month == "2025-03")
        // 16:30 UTC on 30 April is half past midnight on 1 May in +08:00.
        #expect(Timestamp("2025-04-30T16:30:00Z", zone: .china)?.month == "2025-05")
    }

    @Test(arguments: ["2025/13/45 25:61:00", "2025-02-30", "2025-04-03 24:00", "yesterday", "2025-04", "", "2025-04-03T09:05+25:00"])
    func refusesWhatIsNotATime(text: String) {
        #expect(Timestamp(text, zone: .china) == nil)
    }

    /// A time read from its bytes is the time read from its text, white space around it included.
    @Test func timesReadFromBytesAsFromText() {
        var texts = ["2025-04-03 09:05:31", "2025/4/3 9:05", "2025年4月3日 9:05", "2025-04-03T01:05:31Z", "2025-04-03T09:05:31+08:00"]
        texts += ["2025-04-03", "2025-02-30", "", " ", "yesterday", "2025-04-03 09:05:31\n", "2025-04-03T09:05:31.123-05:30"]
        let padded = texts.flatMap { t in
            [t, " \(t)", "\t\(t) \t", "\u{3000}\(t)", "\(t)\u{00A0}", "\u{3000}\(t)\u{3000}", "\r\(t)", "\(t)\u{2028}", "\(t)中"]
        }
        for text in padded {
            for unmarkedIsUTC in [false, true] {
                var copy = text
                let byBytes = copy.withUTF8 { Timestamp(bytes: UnsafeRawBufferPointer($0), zone: .china, unmarkedIsUTC: unmarkedIsUTC) }
                #expect(byBytes == Timestamp(text, zone: .china, unmarkedIsUTC: unmarkedIsUTC), "\(text.debugDescription)")
            }
        }
        #expect(Timestamp("2025-04-03 09:05:31", zone: .china)?.month == "2025-04")
    }

    @Test func anUnmarkedTimeMayBeReadAsUTC() {
        // KoboToolbox's _submission_time: UTC without saying so; 23:30 UTC is the next day in +08:00.
        let kobo = Timestamp("2025-04-30T23:30:00", zone: .china, unmarkedIsUTC: true)
        #expect(kobo?.iso == "2025-05-01T07:30:00+08:00")
        #expect(kobo?.instant == Timestamp("2025-04-30T23:30:00Z", zone: .china)?.instant)
        // A written offset, and a date alone, are read as ever.
        #expect(Timestamp("2025-04-30T23:30:00+02:00", zone: .china, unmarkedIsUTC: true)?.iso == "2025-04-30T23:30:00+02:00")
        #expect(Timestamp("2025-04-30", zone: .china, unmarkedIsUTC: true)?.iso == "2025-04-30T00:00:00+08:00")
        #expect(Timestamp("2025-04-30T23:30:00Zx", zone: .china, unmarkedIsUTC: true) == nil)
    }

    /// A time the lean path of an import copies as it is (`isCanonical`) is one that reading gives
    /// back unchanged, whatever the zone; and every time reading writes is taken as it is.
    @Test func aCanonicalTimeIsOneReadingGivesBackAsItIs() {
        var texts = ["2025-04-03T09:05:31+08:00", "2025-04-30T20:00:00-05:00", "2024-02-29T23:59:59+14:00", "1900-01-01T00:00:00+00:00"]
        texts += ["2999-12-31T23:59:59-00:30", "2025-06-30T12:00:00+05:45", "2025-01-01T00:00:00-12:00"]
        // Each is read, and changed by reading, or refused: none may be copied as it is.
        var refused = ["2025-02-29T09:05:31+08:00", "2025-04-31T09:05:31+08:00", "2025-04-03T24:05:31+08:00", "2025-04-03T09:60:31+08:00"]
        refused += ["2025-04-03T09:05:60+08:00", "2025-04-03T09:05:31-00:00", "2025-04-03T09:05:31+15:00", "2025-04-03T09:05:31+08:60"]
        refused += ["1899-12-31T23:59:59+08:00", "3000-01-01T00:00:00+08:00", "2025-00-03T09:05:31+08:00", "2025-04-00T09:05:31+08:00"]
        refused += ["2025-04-03 09:05:31+08:00", "2025/04/03T09:05:31+08:00", "2025-04-03T09:05:31+0800", "2025-04-03T09:05:31Z"]
        refused += ["2025-04-03"]
        refused += ["2025-04-03T09:05:31+08:00 ", " 2025-04-03T09:05:31+08:00", "2025-04-03T09:05:31.5+08:00", "2025-4-03T09:05:31+08:00"]
        refused += ["２025-04-03T09:05:31+08:00", "2025-04-03T09:05:3a+08:00", "2025-04-03T09:05:31*08:00"]
        for (text, canonical) in texts.map({ ($0, true) }) + refused.map({ ($0, false) }) {
            var copy = text
            #expect(copy.withUTF8 { Timestamp.isCanonical(UnsafeRawBufferPointer($0)) } == canonical, "\(text)")
            for zone in [UTCOffset.china, UTCOffset(seconds: 0), UTCOffset(seconds: -18000)] {
                let read = Timestamp(text, zone: zone)
                if canonical {
                    #expect(read?.iso == text, "\(text)")
                    #expect(read?.month == String(text.prefix(7)))
                } else {
                    #expect(read?.iso != text, "\(text)")
                }
                if var iso = read?.iso {
                    #expect(iso.withUTF8 { Timestamp.isCanonical(UnsafeRawBufferPointer($0)) }, "\(iso)")
                }
            }
        }
    }
}
