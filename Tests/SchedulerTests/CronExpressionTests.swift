import Foundation
import Testing
@testable import Scheduler

/// Parsing and next-fire computation of cron expressions, with fixed cases (DST in Europe/Berlin and
/// America/New_York included); the property tests are in ``CronPropertyTests``.
@Suite struct CronExpressionTests {
    static func utc(_ s: String) -> Date {
        let f = ISO8601DateFormatter()
        return f.date(from: s)!
    }

    func nexts(_ expr: String, zone: String = "UTC", after: String, count: Int) throws -> [String] {
        let s = try CronSchedule(expr, timeZone: zone)
        var t = Self.utc(after)
        var out: [String] = []
        let f = ISO8601DateFormatter()
        for _ in 0..<count {
            guard let n = s.next(after: t) else { break }
            out.append(f.string(from: n))
            t = n
        }
        return out
    }

    @Test func fiveFieldsListsRangesSteps() throws {
        #expect(try nexts("*/15 * * * *", after: "2026-05-04T10:07:00Z", count: 3)
                == ["2026-05-04T10:15:00Z", "2026-05-04T10:30:00Z", "2026-05-04T10:45:00Z"])
        #expect(try nexts("5,10-12 9-17/4 * * *", after: "2026-05-04T08:00:00Z", count: 5)
                == ["2026-05-04T09:05:00Z", "2026-05-04T09:10:00Z", "2026-05-04T09:11:00Z", "2026-05-04T09:12:00Z", "2026-05-04T13:05:00Z"])
        // Names, and the quarterly readiness revalidation.
        #expect(try nexts("0 3 1 jan,apr,JUL,oct *", after: "2026-01-01T03:00:00Z", count: 2) == ["2026-04-01T03:00:00Z", "2026-07-01T03:00:00Z"])
        #expect(try nexts("0 3 1 1,4,7,10 *", after: "2026-12-02T00:00:00Z", count: 1) == ["2027-01-01T03:00:00Z"])
        #expect(try nexts("0 12 * * mon-fri", after: "2026-12-04T12:00:00Z", count: 2) == ["2026-12-07T12:00:00Z", "2026-12-08T12:00:00Z"])
        // 7 is Sunday too; a step from a start value.
        #expect(try nexts("0 0 * * 7", after: "2026-12-02T00:00:00Z", count: 1) == ["2026-12-06T00:00:00Z"])
        #expect(try nexts("10/20 * * * *", after: "2026-12-02T00:00:00Z", count: 3)
                == ["2026-12-02T00:10:00Z", "2026-12-02T00:30:00Z", "2026-12-02T00:50:00Z"])
    }

    @Test func leadingSecondsAndEvery() throws {
        #expect(try nexts("*/20 * * * * *", after: "2026-05-04T10:07:05Z", count: 3)
                == ["2026-05-04T10:07:20Z", "2026-05-04T10:07:40Z", "2026-05-04T10:08:00Z"])
        #expect(try nexts("@every 1s", after: "2026-05-04T10:07:05Z", count: 2) == ["2026-05-04T10:07:06Z", "2026-05-04T10:07:07Z"])
        // Epoch-aligned: every replica computes the same fire times.
        #expect(try nexts("@every 1h30m", after: "2026-05-04T10:07:05Z", count: 2) == ["2026-05-04T10:30:00Z", "2026-05-04T12:00:00Z"])
        #expect(try CronExpression.parseDuration("90") == 90)
        #expect(try CronExpression.parseDuration("2d") == 172_800)
        // A fractional instant: next is strictly later.
        let s = try CronSchedule("@every 1s")
        let t = Date(timeIntervalSince1970: 1_780_000_000.5)
        #expect(s.next(after: t) == Date(timeIntervalSince1970: 1_780_000_001))
    }

    @Test func macros() throws {
        #expect(try nexts("@yearly", after: "2026-05-04T10:07:05Z", count: 1) == ["2027-01-01T00:00:00Z"])
        #expect(try nexts("@annually", after: "2026-05-04T10:07:05Z", count: 1) == ["2027-01-01T00:00:00Z"])
        #expect(try nexts("@monthly", after: "2026-05-04T10:07:05Z", count: 1) == ["2026-06-01T00:00:00Z"])
        #expect(try nexts("@weekly", after: "2026-05-04T10:07:05Z", count: 1) == ["2026-05-10T00:00:00Z"])
        #expect(try nexts("@daily", after: "2026-05-04T10:07:05Z", count: 1) == ["2026-05-05T00:00:00Z"])
        #expect(try nexts("@midnight", after: "2026-05-04T10:07:05Z", count: 1) == ["2026-05-05T00:00:00Z"])
        #expect(try nexts("@hourly", after: "2026-05-04T10:07:05Z", count: 1) == ["2026-05-04T11:00:00Z"])
    }

    @Test func dayOfMonthOrDayOfWeek() throws {
        // Both restricted: the 13th or any Friday (Vixie cron's rule).
        #expect(try nexts("0 0 13 * 5", after: "2026-11-01T00:00:00Z", count: 3)
                == ["2026-11-06T00:00:00Z", "2026-11-13T00:00:00Z", "2026-11-20T00:00:00Z"])
        // Feb 29 fires in leap years only.
        #expect(try nexts("0 0 29 2 *", after: "2026-01-01T00:00:00Z", count: 2) == ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"])
    }

    @Test(arguments: [
        ("0 0 30 2 *", "never fire"), ("0 0 31 4,6,9,11 *", "never fire"), ("60 * * * *", "outside"), ("* 24 * * *", "outside"),
        ("* * 0 * *", "outside"), ("* * * 13 *", "outside"), ("* * * * 8", "outside"), ("* * * *", "5 fields"),
        ("* * * * * * *", "5 fields"), ("@fortnightly", "unknown macro"), ("@every 0s", "at least 1 second"), ("@every", "needs a duration"),
        ("@every 5x", "invalid duration"), ("*/0 * * * *", "step"), ("5-1 * * * *", "backwards"), ("a * * * *", "not a valid"),
        ("1,,2 * * * *", "empty list item"), ("", "empty"), ("* * * foo *", "not a valid"),
    ])
    func refusesWithAClearMessage(expression: String, message: String) {
        do {
            _ = try CronSchedule(expression)
            Issue.record("'\(expression)' was accepted")
        } catch let error as CronError {
            #expect(error.message.contains(message), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func unknownZoneRefused() {
        #expect(throws: CronError.self) { try CronSchedule("* * * * *", timeZone: "Mars/Olympus") }
        #expect(throws: CronError.self) { try CronSchedule("* * * * *", timeZone: "") }
        #expect(throws: Never.self) { try CronSchedule("* * * * *", timeZone: "Asia/Kathmandu") }
    }

    // MARK: DST

    @Test func berlinSpringForwardRunsOnceAtTheFirstValidInstant() throws {
        // 2026-03-29 02:00 CET → 03:00 CEST (01:00Z). 02:30 does not exist: it runs at 03:00 CEST.
        #expect(try nexts("30 2 * * *", zone: "Europe/Berlin", after: "2026-03-28T12:00:00Z", count: 3)
                == ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"])
        // Four skipped wall times fold into one run, and 03:00 itself is no second run.
        #expect(try nexts("*/15 2,3 * * *", zone: "Europe/Berlin", after: "2026-03-29T00:50:00Z", count: 3)
                == ["2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z", "2026-03-29T01:30:00Z"])
    }

    @Test func berlinFallBackRunsOnce() throws {
        // 2026-10-25 03:00 CEST → 02:00 CET (01:00Z): 02:30 comes twice and runs at its first occurrence only.
        #expect(try nexts("30 2 * * *", zone: "Europe/Berlin", after: "2026-10-24T12:00:00Z", count: 2)
                == ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"])
        #expect(try nexts("*/30 2 * * *", zone: "Europe/Berlin", after: "2026-10-24T23:00:00Z", count: 3)
                == ["2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:00:00Z"])
        // From inside the repeated hour (02:10 CET, second pass) the next run is 03:00 CET.
        #expect(try nexts("*/15 * * * *", zone: "Europe/Berlin", after: "2026-10-25T01:10:00Z", count: 1) == ["2026-10-25T02:00:00Z"])
    }

    @Test func newYorkTransitions() throws {
        // 2026-03-08 02:00 EST → 03:00 EDT (07:00Z).
        #expect(try nexts("30 2 * * *", zone: "America/New_York", after: "2026-03-07T12:00:00Z", count: 2)
                == ["2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"])
        // 2026-11-01 02:00 EDT → 01:00 EST (06:00Z): 01:30 runs once, at 01:30 EDT (05:30Z).
        #expect(try nexts("30 1 * * *", zone: "America/New_York", after: "2026-10-31T12:00:00Z", count: 2)
                == ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"])
        // An hourly schedule keeps one run per wall hour: 01:00 EDT, then 02:00 EST (no second 01:00).
        #expect(try nexts("0 * * * *", zone: "America/New_York", after: "2026-11-01T04:30:00Z", count: 3)
                == ["2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z", "2026-11-01T08:00:00Z"])
    }

    @Test func everyIgnoresTheZone() throws {
        #expect(try nexts("@every 30m", zone: "Europe/Berlin", after: "2026-03-29T00:50:00Z", count: 3)
                == ["2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z", "2026-03-29T02:00:00Z"])
    }

    @Test func civilArithmetic() {
        for days in stride(from: Int64(-800_000), through: 800_000, by: 997) {
            let c = CivilTime(secondsSinceEpoch: days * 86_400 + 3_723)
            #expect(c.secondsSinceEpoch == days * 86_400 + 3_723)
            #expect((c.hour, c.minute, c.second) == (1, 2, 3))
        }
        #expect(CivilTime.weekday(year: 2026, month: 12, day: 2) == 3)
        #expect(CivilTime.weekday(year: 2000, month: 2, day: 29) == 2)
    }
}

@Suite struct FireTimeTagTests {
    @Test func fireTimeTextIsISO8601UTCWithMilliseconds() {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for t in [0.0, 1_780_000_000, 1_780_000_000.25, 951_782_400.999, 4_102_444_799.5] {
            let d = Date(timeIntervalSince1970: t)
            #expect(ScheduleStore.fireTimeText(d) == f.string(from: d))
        }
    }
}
