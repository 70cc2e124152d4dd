import Foundation
import PropertyBased
import Testing
@testable import Scheduler

/// Properties of the next-fire computation, for generated expressions, instants and zones (DST zones
/// included): next(t) > t; next(t) is a fire instant; no fire instant lies strictly between t and next(t).
/// The oracle is brute force over the wall clock (``isFireInstant``), independent of the search.
@Suite struct CronPropertyTests {
    static let zones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "America/Santiago"]

    /// Expressions with minute resolution, built from generated parts.
    static let minuteExpressions = Gen.int(in: 0...5).array(of: 5).map { p -> String in
        let minute = ["*", "*/\(p[1] + 1)", "\(p[1] * 7 % 60)", "\(p[1] * 3)-\(p[1] * 3 + 20)/\(p[2] + 2)", "0,15,30,45", "*/7"][p[0]]
        let hour = ["*", "2", "1-3", "*/\(p[2] + 1)", "2,3,14", "0-23/5"][p[1]]
        let dom = ["*", "*", "1-15", "\(p[3] + 1),\(p[3] + 20)", "*/2", "31"][p[2]]
        let month = ["*", "*", "3,10", "*/2", "jan-jun", "11"][p[3]]
        let dow = ["*", "*", "mon-fri", "0", "sat,sun", "*/3"][p[4]]
        return "\(minute) \(hour) \(dom) \(month) \(dow)"
    }

    /// Instants from 2024 to 2031.
    static let instants = Gen.int(in: 1_704_067_200...1_956_528_000)

    /// Whether `instant` is a fire instant of `s` by the DST policy, decided on the wall clock alone: its wall time
    /// matches and no earlier instant had that wall time; or it ends a gap in which some wall time matches.
    static func isFireInstant(_ s: CronSchedule, _ instant: Int64) -> Bool {
        let wall = s.wallTime(at: instant)
        if s.expression.matches(wall) {
            // First occurrence: the same wall time one offset-difference earlier would be a repeat.
            let earlier = (1...4).map { instant - Int64($0) * 900 }
            if !earlier.contains(where: { s.wallTime(at: $0) == wall }) { return true }
        }
        let before = s.wallTime(at: instant - 1)
        let gap = wall.secondsSinceEpoch - before.secondsSinceEpoch - 1
        if gap > 0 {
            var w = before.secondsSinceEpoch + 1
            while w < wall.secondsSinceEpoch {
                if s.expression.matches(CivilTime(secondsSinceEpoch: w)) { return true }
                w += 1
            }
        }
        return false
    }

    /// The oracle itself tells fire instants from others, so the properties can fail.
    @Test func theOracleRejectsWrongAnswers() throws {
        let s = try CronSchedule("30 2 * * *", timeZone: "Europe/Berlin")
        // Fall back 2026-10-25: 02:30 CEST (00:30Z) fires, 02:30 CET (01:30Z) is the repeat and does not.
        #expect(Self.isFireInstant(s, 1_792_888_200))
        #expect(!Self.isFireInstant(s, 1_792_891_800))
        // Spring forward 2026-03-29: 03:00 CEST (01:00Z) fires for the skipped 02:30; 03:30 CEST does not.
        #expect(Self.isFireInstant(s, 1_774_746_000))
        #expect(!Self.isFireInstant(s, 1_774_747_800))
        #expect(!Self.isFireInstant(s, 1_774_746_060))
    }

    @Test func nextIsLaterAndIsAFireInstant() async {
        await propertyCheck(count: 300, input: Self.minuteExpressions, Self.instants, Gen.element(of: Self.zones)) { expr, t, zone in
            guard let zone, let s = try? CronSchedule(expr, timeZone: zone) else { return }
            guard let next = s.nextSecond(after: Int64(t)) else { Issue.record("\(expr) in \(zone): no next after \(t)"); return }
            #expect(next > Int64(t), "\(expr) \(zone) \(t)")
            #expect(Self.isFireInstant(s, next), "\(expr) \(zone): \(next) is no fire instant")
        }
    }

    @Test func nothingBetweenTAndNextFires() async {
        await propertyCheck(count: 60, input: Self.minuteExpressions, Self.instants, Gen.element(of: Self.zones)) { expr, t0, zone in
            guard let zone, let s = try? CronSchedule(expr, timeZone: zone) else { return }
            let t = Int64(t0)
            guard let next = s.nextSecond(after: t) else { return }
            // Minute resolution (every fire instant of these expressions and zones is on a whole minute), brute
            // force up to two days, then day by day.
            let horizon = min(next, t + 2 * 86_400)
            var i = (t / 60 + 1) * 60
            while i < horizon {
                if Self.isFireInstant(s, i) { Issue.record("\(expr) \(zone): \(i) fires between \(t) and \(next)"); return }
                i += 60
            }
            if next > horizon {
                var day = s.wallTime(at: horizon)
                day = CivilTime(year: day.year, month: day.month, day: day.day)
                let lastDay = s.wallTime(at: next - 86_400)
                while day.secondsSinceEpoch + 86_400 <= lastDay.secondsSinceEpoch {
                    day = CivilTime(secondsSinceEpoch: day.secondsSinceEpoch + 86_400)
                    guard case .fields(_, _, let hour, _, let month, _) = s.expression.kind else { return }
                    if month.contains(day.month), s.expression.dayMatches(year: day.year, month: day.month, day: day.day), hour.bits != 0 {
                        Issue.record("\(expr) \(zone): day \(day) matches between \(t) and \(next)")
                        return
                    }
                }
            }
        }
    }

    @Test func secondsAndEveryProperties() async {
        let exprs = ["*/7 * * * * *", "0,30 */2 * * * *", "15-20 3 2 * * *", "@every 1s", "@every 7s", "@every 1m30s", "@every 1h"]
        await propertyCheck(count: 100, input: Gen.element(of: exprs), Self.instants, Gen.element(of: Self.zones)) { expr, t0, zone in
            guard let expr, let zone, let s = try? CronSchedule(expr, timeZone: zone) else { return }
            let t = Int64(t0)
            guard let next = s.nextSecond(after: t) else { Issue.record("no next"); return }
            #expect(next > t)
            if let every = s.expression.everySeconds {
                #expect(next % every == 0 && next - t <= every)
                return
            }
            #expect(Self.isFireInstant(s, next))
            var i = t + 1
            while i < min(next, t + 4 * 3600) {
                if Self.isFireInstant(s, i) { Issue.record("\(expr) \(zone): \(i) fires between \(t) and \(next)"); return }
                i += 1
            }
        }
    }

    /// Walks through whole DST years: consecutive fires strictly increase and are each fire instants, and a
    /// wall time never fires twice.
    @Test(arguments: ["Europe/Berlin", "America/New_York"])
    func aYearOfHalfHours(zone: String) throws {
        let s = try CronSchedule("*/30 * * * *", timeZone: zone)
        var t: Int64 = 1_767_225_600 // 2026-01-01
        var seenWalls = Set<CivilTime>()
        var count = 0
        while t < 1_798_761_600 { // 2027-01-01
            let n = try #require(s.nextSecond(after: t))
            #expect(n > t)
            #expect(seenWalls.insert(s.wallTime(at: n)).inserted, "wall time \(s.wallTime(at: n)) fired twice")
            t = n
            count += 1
        }
        // 365 days × 48, minus the two skipped half hours of the spring gap (folded into the transition, which
        // also matches), and no repeats in the autumn.
        #expect(count == 365 * 48 - 2)
    }
}
