import Foundation
import Testing
@testable import Scheduler

/// The misfire, overlap and pause decisions of ``SchedulePlanner``, without a database: fixed `now`.
@Suite struct SchedulePlannerTests {
    let now = Date(timeIntervalSince1970: 1_780_000_000) // a whole second, 2026-05-28T...
    let planner = SchedulePlanner(misfireGrace: 15, maxLedgerRows: 1000)

    func counts(_ plan: SchedulePlanner.Plan) -> (insert: Int, misfire: Int, overlap: Int, paused: Int) {
        var c = (insert: 0, misfire: 0, overlap: 0, paused: 0)
        for d in plan.decisions {
            switch d.outcome {
            case .insert: c.insert += 1
            case .skip(.misfire): c.misfire += 1
            case .skip(.overlap): c.overlap += 1
            case .skip(.paused): c.paused += 1
            }
        }
        return c
    }

    @Test func onTimeFiresOnceAndAdvances() throws {
        let s = try CronSchedule("@every 1s")
        let plan = planner.plan(schedule: s, nextFireAt: now.addingTimeInterval(-0.2), now: now, paused: false, misfire: .skip,
                                overlap: .allow, previousRunActive: false)
        #expect(plan.decisions == [.init(fireTime: now.addingTimeInterval(-0.2), outcome: .insert)])
        #expect(plan.nextFireAt == now.addingTimeInterval(1))
        let notDue = planner.plan(schedule: s, nextFireAt: now.addingTimeInterval(1), now: now, paused: false, misfire: .skip,
                                  overlap: .allow, previousRunActive: false)
        #expect(notDue.decisions.isEmpty && notDue.nextFireAt == now.addingTimeInterval(1))
    }

    @Test func downForAMinuteEverySecond() throws {
        let s = try CronSchedule("@every 1s")
        let from = now.addingTimeInterval(-60)
        func plan(_ m: MisfirePolicy) -> SchedulePlanner.Plan {
            planner.plan(schedule: s, nextFireAt: from, now: now, paused: false, misfire: m, overlap: .allow, previousRunActive: false)
        }
        // 61 due times: 45 older than the 15 s grace (missed), 16 within it (late but on time).
        #expect(counts(plan(.skip)) == (16, 45, 0, 0))
        #expect(counts(plan(.once)) == (17, 44, 0, 0))
        #expect(counts(plan(.all(5))) == (21, 40, 0, 0))
        #expect(counts(plan(.all(1000))) == (61, 0, 0, 0))
        // The catch-up runs are the latest missed times.
        let once = plan(.once)
        #expect(once.decisions[44] == .init(fireTime: now.addingTimeInterval(-16), outcome: .insert))
        #expect(once.decisions[43].outcome == .skip(.misfire))
        #expect(once.nextFireAt == now.addingTimeInterval(1))
    }

    @Test func downTenMinutesEveryMinute() throws {
        let s = try CronSchedule("* * * * *")
        let minute = (now.timeIntervalSince1970 / 60).rounded(.down) * 60
        let at = Date(timeIntervalSince1970: minute + 30)
        let from = Date(timeIntervalSince1970: minute - 600)
        func plan(_ m: MisfirePolicy) -> SchedulePlanner.Plan {
            planner.plan(schedule: s, nextFireAt: from, now: at, paused: false, misfire: m, overlap: .allow, previousRunActive: false)
        }
        // All 11 are more than 15 s late: skip runs none and waits for the next minute.
        #expect(counts(plan(.skip)) == (0, 11, 0, 0))
        #expect(plan(.skip).nextFireAt == Date(timeIntervalSince1970: minute + 60))
        #expect(counts(plan(.once)) == (1, 10, 0, 0))
        let all3 = plan(.all(3))
        #expect(counts(all3) == (3, 8, 0, 0))
        #expect(all3.decisions.suffix(3).map(\.fireTime) == [-120.0, -60, 0].map { Date(timeIntervalSince1970: minute + $0) })
    }

    @Test func pausedSkipsEverything() throws {
        let s = try CronSchedule("@every 1s")
        let plan = planner.plan(schedule: s, nextFireAt: now.addingTimeInterval(-3), now: now, paused: true, misfire: .all(10),
                                overlap: .allow, previousRunActive: false)
        #expect(counts(plan) == (0, 0, 0, 4))
        #expect(plan.nextFireAt == now.addingTimeInterval(1))
    }

    @Test func overlapPolicies() throws {
        let s = try CronSchedule("@every 1s")
        let from = now.addingTimeInterval(-2)
        func plan(_ o: OverlapPolicy, active: Bool) -> SchedulePlanner.Plan {
            planner.plan(schedule: s, nextFireAt: from, now: now, paused: false, misfire: .skip, overlap: o, previousRunActive: active)
        }
        #expect(counts(plan(.allow, active: true)) == (3, 0, 0, 0))
        #expect(counts(plan(.skip, active: true)) == (0, 0, 3, 0))
        // Not active: the first runs, and the ones after it overlap it.
        #expect(counts(plan(.skip, active: false)) == (1, 0, 2, 0))
        #expect(plan(.skip, active: false).decisions[0].outcome == .insert)
        let cancel = plan(.cancel, active: true)
        #expect(counts(cancel) == (1, 0, 2, 0) && cancel.cancelPrevious)
        #expect(cancel.decisions.last?.outcome == .insert)
        #expect(!plan(.cancel, active: false).cancelPrevious)
    }

    @Test func longOutageIsBounded() throws {
        let s = try CronSchedule("@every 1s")
        let plan = planner.plan(schedule: s, nextFireAt: now.addingTimeInterval(-10 * 86_400), now: now, paused: false, misfire: .once,
                                overlap: .allow, previousRunActive: false)
        #expect(plan.decisions.count == 1000)
        #expect(plan.unrecorded == 10 * 86_400 + 1 - 1000)
        #expect(plan.decisions.last?.fireTime == now)
        #expect(counts(plan).insert == 17)
        let cron = try CronSchedule("*/5 * * * * *")
        let p2 = planner.plan(schedule: cron, nextFireAt: now.addingTimeInterval(-86_400), now: now, paused: false, misfire: .skip,
                              overlap: .allow, previousRunActive: false)
        #expect(p2.decisions.count == 1000 && p2.unrecorded == 86_400 / 5 + 1 - 1000)
    }

    @Test func policyParsing() throws {
        #expect(try MisfirePolicy(parsing: "all:7") == .all(7))
        #expect(throws: CronError.self) { try MisfirePolicy(parsing: "all:0") }
        #expect(throws: CronError.self) { try MisfirePolicy(parsing: "sometimes") }
        #expect(throws: CronError.self) { try OverlapPolicy(parsing: "queue") }
        #expect(try OverlapPolicy(parsing: "cancel") == .cancel)
    }
}
