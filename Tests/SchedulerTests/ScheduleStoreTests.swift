import Foundation
import JobKit
import PostgresNIO
import Synchronization
import Testing
import TestSupport
@testable import Scheduler

/// The scheduler's guarantees against the real database: one job per (schedule, fire time) whatever races,
/// the job's time and tags, misfire after downtime, overlap with a slow job, pause, the ledger and its retention.
@Suite struct ScheduleStoreTests {
    static let kinds: Set<String> = ["noop"]

    func every(_ name: String, _ cron: String = "@every 1s", misfire: MisfirePolicy = .skip, overlap: OverlapPolicy = .allow) -> ScheduleDefinition {
        ScheduleDefinition(name: name, cron: cron, kind: "noop", argsJSON: #"{"from":"\#(name)"}"#, misfire: misfire, overlap: overlap)
    }

    /// Moves the schedule's next fire time `seconds` into the past, as if no scheduler had run since.
    func rewind(_ env: TestEnv, _ name: String, seconds: Int) async throws {
        try await env.postgres.query("""
            UPDATE scheduler.schedules SET next_fire_at = date_trunc('second', clock_timestamp()) - \(seconds) * interval '1 second'
            WHERE name = \(name)
            """)
    }

    func jobsPerFireTime(_ env: TestEnv, _ name: String) async throws -> [Date: Int] {
        let rows = try await env.postgres.query("""
            SELECT scheduled_at, count(*)::int8 FROM jobkit.jobs WHERE tags @> ARRAY['schedule:' || \(name)] GROUP BY scheduled_at
            """)
        var out: [Date: Int] = [:]
        for try await (at, n) in rows.decode((Date, Int64).self) { out[at] = Int(n) }
        return out
    }

    @Test func racingSchedulersInsertExactlyOneJobPerFireTime() async throws {
        try await TestDatabase.with { env in
            // The service's own role: the grants of migration 0011 suffice.
            try await TestDatabase.withClient(TestDatabase.appRole(env.config)) { app in
                let store = ScheduleStore(postgres: app, logger: TestDatabase.logger)
                try await store.add(every("race", misfire: .all(1000)), knownKinds: Self.kinds)
                try await rewind(env, "race", seconds: 20)
                let planner = SchedulePlanner(misfireGrace: 15)
                // Four "leaders" at once, each believing it leads, for three seconds.
                let deadline = ContinuousClock.now + .seconds(3)
                let conflicts = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            var c = 0
                            while ContinuousClock.now < deadline {
                                c += try await store.tick(planner: planner, limit: 100, schedules: ScheduleCache()).conflicts
                                try await Task.sleep(for: .milliseconds(Int.random(in: 0...30)))
                            }
                            return c
                        }
                    }
                    return try await group.reduce(0, +)
                }
                _ = conflicts
                // A deposed leader that still believes an old next fire time: the ledger refuses every fire time
                // already planned (it may only plan the current second, if nobody has yet).
                let planned = try await jobsPerFireTime(env, "race")
                try await rewind(env, "race", seconds: 10)
                let stale = try await store.tick(planner: planner, limit: 100, schedules: ScheduleCache())
                #expect(stale.inserted.allSatisfy { planned[$0.1] == nil })
                // Its ten rewound seconds are refused as conflicts, except those the racers, stopped a moment
                // before, had not reached yet (on a loaded machine, a second or more): those it inserts, once.
                #expect(stale.conflicts >= 1 && stale.conflicts + stale.inserted.count >= 10, "\(stale.conflicts) conflicts, \(stale.inserted.count) inserted")

                let perFire = try await jobsPerFireTime(env, "race")
                #expect(perFire.values.allSatisfy { $0 == 1 }, "doubled: \(perFire.filter { $0.value > 1 })")
                let times = perFire.keys.sorted()
                #expect(times.count >= 22)
                // Consecutive seconds, none missing.
                for (a, b) in zip(times, times.dropFirst()) { #expect(b.timeIntervalSince(a) == 1) }
                // Every ledger row of an insert names its job, and the job its schedule and fire time.
                let mismatched = try await env.scalar("""
                    SELECT count(*)::int8 FROM scheduler.runs r JOIN jobkit.jobs j ON j.id = r.job_id
                    WHERE r.schedule = 'race' AND (j.scheduled_at <> r.fire_time OR NOT j.tags @> ARRAY['schedule:race']
                          OR NOT j.tags @> ARRAY['fire_time:' || to_char(r.fire_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')]
                          OR j.args <> '{"from":"race"}'::jsonb OR j.kind <> 'noop')
                    """, as: Int64.self)
                #expect(mismatched == 0)
                let ledgerInserted = try await env.scalar("SELECT count(*)::int8 FROM scheduler.runs WHERE schedule = 'race' AND outcome = 'inserted'", as: Int64.self)
                #expect(ledgerInserted == Int64(times.count))
            }
        }
    }

    @Test func aBacklogIsDrainedInParallelLanesOncePerFireTime() async throws {
        try await TestDatabase.with { env in
            try await TestDatabase.withClient(TestDatabase.appRole(env.config)) { app in
                let store = ScheduleStore(postgres: app, logger: TestDatabase.logger)
                // 1,300 schedules due at once (as at a minute boundary), batches of 100, three lanes. Each is due
                // exactly once however long the drain takes on a loaded machine: its next fire time is a year
                // away (a minute cron would come due again if the drain crossed a minute), and the misfire grace
                // is an hour, so a slow drain still fires every one on time.
                try await env.postgres.query("""
                    INSERT INTO scheduler.schedules (name, cron, kind, queue, next_fire_at, period_seconds)
                    SELECT 'm-' || i, '0 0 1 1 *', 'noop', 'default', date_trunc('second', clock_timestamp()), 31536000
                    FROM generate_series(1, 1300) i
                    """)
                let task = SchedulerTask(store: store, configuration: SchedulerConfiguration(batchSize: 100, parallelism: 3, misfireGrace: .seconds(3600)),
                                         logger: TestDatabase.logger)
                struct Seen: Sendable { var ticks = 0, schedules = 0, conflicts = 0 }
                let seen = Mutex(Seen())
                let inserted = try await task.drain { r, _ in
                    seen.withLock { $0.ticks += 1; $0.schedules += r.schedules; $0.conflicts += r.conflicts }
                }
                #expect(inserted == 1300)
                let s = seen.withLock { $0 }
                #expect(s.schedules == 1300 && s.conflicts == 0, "\(s)")
                // One tick alone first, then lanes: 13 full batches and at least one empty look per lane.
                #expect(s.ticks >= 14, "\(s)")
                let doubled = try await env.scalar("""
                    SELECT count(*)::int8 FROM (SELECT 1 FROM jobkit.jobs GROUP BY tags HAVING count(*) > 1) d
                    """, as: Int64.self)
                #expect(doubled == 0)
                #expect(try await env.scalar("SELECT count(*)::int8 FROM jobkit.jobs WHERE kind = 'noop'", as: Int64.self) == 1300)
                // Nothing left due: an idle run is one tick that finds nothing.
                let idleTicks = Mutex(0)
                #expect(try await task.drain { _, _ in idleTicks.withLock { $0 += 1 } } == 0)
                #expect(idleTicks.withLock { $0 } == 1)
            }
        }
    }

    @Test(arguments: [("skip", 0), ("once", 1), ("all:5", 5)])
    func misfireAfterAMinuteDown(policy: String, catchUp: Int) async throws {
        try await TestDatabase.with { env in
            let store = ScheduleStore(postgres: env.postgres, logger: TestDatabase.logger)
            try await store.add(every("m", misfire: try MisfirePolicy(parsing: policy)), knownKinds: Self.kinds)
            try await rewind(env, "m", seconds: 60)
            // A 3 s grace: fire times within it are on time (typically 3-4 of them).
            let tickStarted = Date()
            let r = try await store.tick(planner: SchedulePlanner(misfireGrace: 3), limit: 100, schedules: ScheduleCache())
            let misfired = r.skipped[.misfire] ?? 0
            #expect(r.inserted.count + misfired >= 61)
            #expect((3...5).contains(r.inserted.count - catchUp), "inserted \(r.inserted.count)")
            let ledgerMisfire = try await env.scalar("SELECT count(*)::int8 FROM scheduler.runs WHERE reason = 'misfire'", as: Int64.self)
            #expect(ledgerMisfire == Int64(misfired))
            // The next fire time is in the future again.
            let next = try await store.schedule(named: "m")?.nextFireAt
            #expect(next! > tickStarted)  // after the tick's own now (not the wall clock after it: a loaded machine is slow)
        }
    }

    @Test func overlapWithASlowJob() async throws {
        try await TestDatabase.with { env in
            let store = ScheduleStore(postgres: env.postgres, logger: TestDatabase.logger)
            for (name, o) in [("allow", OverlapPolicy.allow), ("skip", .skip), ("cancel", .cancel)] {
                try await store.add(every(name, overlap: o), knownKinds: Self.kinds)
            }
            let planner = SchedulePlanner(misfireGrace: 15)
            try await eventually("first runs") {
                _ = try await store.tick(planner: planner, limit: 100, schedules: ScheduleCache())
                return try await env.scalar("SELECT count(DISTINCT schedule)::int8 FROM scheduler.runs WHERE outcome = 'inserted'", as: Int64.self) == 3
            }
            // Nobody works the queue: each first job is still queued (a slow job) while the next fire times come.
            try await Task.sleep(for: .seconds(2.2))
            _ = try await store.tick(planner: planner, limit: 100, schedules: ScheduleCache())
            let allowJobs = try await jobsPerFireTime(env, "allow").count
            #expect(allowJobs >= 3)
            #expect(try await jobsPerFireTime(env, "skip").count == 1)
            let skips = try await env.scalar("SELECT count(*)::int8 FROM scheduler.runs WHERE schedule = 'skip' AND reason = 'overlap'", as: Int64.self)
            #expect(skips! >= 2)
            // cancel: every run but the newest is cancelled; one is queued.
            let states = try await env.postgres.query("""
                SELECT state::text, count(*)::int8 FROM jobkit.jobs WHERE tags @> ARRAY['schedule:cancel'] GROUP BY state
                """)
            var byState: [String: Int64] = [:]
            for try await (s, n) in states.decode((String, Int64).self) { byState[s] = n }
            #expect(byState["available"] == 1)
            #expect((byState["cancelled"] ?? 0) >= 1)
        }
    }

    @Test func pauseResumeAndTheLedger() async throws {
        try await TestDatabase.with { env in
            let store = ScheduleStore(postgres: env.postgres, logger: TestDatabase.logger)
            try await store.add(every("p"), knownKinds: Self.kinds)
            try await store.setPaused(true, name: "p")
            try await rewind(env, "p", seconds: 3)
            let planner = SchedulePlanner(misfireGrace: 15)
            let r = try await store.tick(planner: planner, limit: 100, schedules: ScheduleCache())
            #expect(r.inserted.isEmpty && (r.skipped[.paused] ?? 0) >= 4)
            try await store.setPaused(false, name: "p")
            try await eventually("a run after resume", timeout: .seconds(5)) {
                try await !store.tick(planner: planner, limit: 100, schedules: ScheduleCache()).inserted.isEmpty
            }
            let ledger = try await store.ledger(schedule: "p")
            #expect(ledger.first?.outcome == "inserted" && ledger.first?.jobState == "available")
            #expect(ledger.contains { $0.reason == "paused" })
            let listed = try await store.list()
            #expect(listed.map(\.name) == ["p"] && listed[0].lastJobState == "available" && listed[0].nextFireAt != nil)
            // trigger: a run now, outside the schedule's times.
            let id = try await store.trigger(name: "p")
            #expect(try await store.ledger(schedule: "p").contains { $0.jobID == id && $0.reason == "trigger" })
            // Retention: rows planned long ago go.
            try await env.postgres.query("UPDATE scheduler.runs SET planned_at = now() - interval '8 days' WHERE reason = 'paused'")
            let pruned = try await store.pruneLedger(olderThan: .seconds(7 * 86_400))
            #expect(pruned >= 4)
            #expect(try await !store.ledger(schedule: "p").contains { $0.reason == "paused" })
        }
    }

    @Test func refusesBadDefinitions() async throws {
        try await TestDatabase.with { env in
            let store = ScheduleStore(postgres: env.postgres, logger: TestDatabase.logger)
            let bad: [(ScheduleDefinition, String)] = [
                (every("feb", "0 0 30 2 *"), "never fire"),
                (ScheduleDefinition(name: "z", cron: "* * * * *", timeZone: "Europe/Atlantis", kind: "noop"), "unknown time zone"),
                (ScheduleDefinition(name: "k", cron: "* * * * *", kind: "rm-rf"), "unknown job kind"),
                (ScheduleDefinition(name: "Bad Name", cron: "* * * * *", kind: "noop"), "invalid schedule name"),
                (ScheduleDefinition(name: "a", cron: "* * * * *", kind: "noop", argsJSON: "[1]"), "JSON object"),
                (ScheduleDefinition(name: "q", cron: "* * * * *", kind: "noop", queue: "NO SPACES"), "queue"),
            ]
            for (d, message) in bad {
                await #expect { try await store.add(d, knownKinds: Self.kinds) } throws: { ($0 as? CronError)?.message.contains(message) == true }
            }
            try await store.add(every("dup"), knownKinds: Self.kinds)
            await #expect(throws: CronError.self) { try await store.add(every("dup"), knownKinds: Self.kinds) }
            await #expect(throws: CronError.self) { try await store.remove(name: "nope") }
            try await store.declareBuiltins([every("builtin.one", "@hourly")])
            await #expect { try await store.remove(name: "builtin.one") } throws: { ($0 as? CronError)?.message.contains("built-in") == true }
            // Declaring again with the same definition keeps its next fire time; a new expression recomputes it.
            let before = try await store.schedule(named: "builtin.one")?.nextFireAt
            try await store.declareBuiltins([every("builtin.one", "@hourly")])
            #expect(try await store.schedule(named: "builtin.one")?.nextFireAt == before)
            try await store.declareBuiltins([every("builtin.one", "@every 1s")])
            #expect(try await store.schedule(named: "builtin.one")!.nextFireAt! < before!)
            #expect(try await store.list().count == 2)
        }
    }
}
