import TestSupport
import Foundation
@testable import JobKit
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Testing

@Suite struct LeaderTests {
    @Test func oneLeaderAtATimeAndFailoverWhenItDies() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            // a's lease is short, so that it can die within the test; b's is long, so that a query slowed by a
            // loaded machine cannot let b's lease run out before the next assertion (it failed that way in CI).
            let ttl = Duration.seconds(2)
            let a = LeaderElector(postgres: env.postgres, name: "m", candidateID: "a", ttl: ttl, logger: TestDatabase.logger)
            let b = LeaderElector(postgres: env.postgres, name: "m", candidateID: "b", ttl: .seconds(30), logger: TestDatabase.logger)
            #expect(try await a.attempt())
            #expect(try await !b.attempt())
            #expect(try await a.attempt()) // renewal
            #expect(try await a.currentLeader() == "a")
            // a dies (stops renewing): after its TTL, b takes over.
            try await Task.sleep(for: ttl + .milliseconds(200))
            #expect(try await b.attempt())
            #expect(try await !a.attempt())
            // A clean resign hands over at once.
            await b.resign()
            #expect(try await a.attempt())
        }
    }

    @Test func leaderServicesElectOneLeaderAndFailOver() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            // A TTL far above the election interval: a loaded machine must not make the leadership change hands by
            // itself (a 1 s TTL did, in CI). The hand-over below is the clean one: the leader resigns on shutdown.
            var m = TestEnv.fastMaintenance()
            m.leaderTTL = .seconds(10)
            let s1 = LeaderService(postgres: env.postgres, candidateID: "one", maintenance: m, notifier: nil, logger: TestDatabase.logger)
            let s2 = LeaderService(postgres: env.postgres, candidateID: "two", maintenance: m, notifier: nil, logger: TestDatabase.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                let g1 = ServiceGroup(configuration: .init(services: [.init(service: s1)], logger: TestDatabase.logger))
                group.addTask { try await g1.run() }
                try await eventually("one leads") { s1.isLeader }
                let g2 = ServiceGroup(configuration: .init(services: [.init(service: s2)], logger: TestDatabase.logger))
                group.addTask { try await g2.run() }
                try await Task.sleep(for: .milliseconds(600))
                #expect(s1.isLeader && !s2.isLeader)
                // The leader stops: the follower takes over, at once when the leader's resignation lands and at the
                // latest when its lease (the TTL) runs out — a loaded CI machine has taken over 5 s to shut it down.
                await g1.triggerGracefulShutdown()
                try await eventually("two leads", timeout: m.leaderTTL + .seconds(5)) { s2.isLeader }
                #expect(!s1.isLeader)
                await g2.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }

    /// Two candidates for the leadership `t`, each with a counting task; only the leader's runs.
    @Test func leaderTasksRunOnlyOnTheLeaderAndMoveWithTheLeadership() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            // A TTL far above the interval: a loaded machine must not make the leadership change hands by itself.
            let config = LeaderConfiguration(name: "t", ttl: .seconds(10), electionInterval: .milliseconds(200))
            let a = CountingTask("a"), b = CountingTask("b")
            let s1 = LeaderService(postgres: env.postgres, candidateID: "one", configuration: config, tasks: [a], notifier: nil, logger: TestDatabase.logger)
            let s2 = LeaderService(postgres: env.postgres, candidateID: "two", configuration: config, tasks: [b], notifier: nil, logger: TestDatabase.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                let g1 = ServiceGroup(configuration: .init(services: [.init(service: s1)], logger: TestDatabase.logger))
                group.addTask { try await g1.run() }
                try await eventually("one leads and runs its task") { s1.isLeader && a.runs >= 3 }
                let g2 = ServiceGroup(configuration: .init(services: [.init(service: s2)], logger: TestDatabase.logger))
                group.addTask { try await g2.run() }
                try await Task.sleep(for: .milliseconds(600))
                #expect(b.runs == 0)
                #expect(!s2.isLeader)
                await g1.triggerGracefulShutdown()
                try await eventually("one steps down") { !s1.isLeader }
                // One resigned: two takes over at once, not only after the TTL.
                try await eventually("two leads and runs its task", timeout: .seconds(8)) { s2.isLeader && b.runs >= 1 }
                let stopped = a.runs
                try await Task.sleep(for: .milliseconds(300))
                #expect(a.runs == stopped)
                await g2.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }

    @Test func aLeaderThatFindsAnotherInItsPlaceStepsDownStopsItsTasksAndStandsAgain() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let config = LeaderConfiguration(name: "t", ttl: .seconds(10), electionInterval: .milliseconds(200))
            let a = CountingTask("a")
            let s = LeaderService(postgres: env.postgres, candidateID: "one", configuration: config, tasks: [a], notifier: nil, logger: TestDatabase.logger)
            let g = ServiceGroup(configuration: .init(services: [.init(service: s)], logger: TestDatabase.logger))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await g.run() }
                try await eventually("leads") { s.isLeader && a.runs >= 1 }
                // Another candidate holds the row now (as if this one's lease had run out and it had taken over).
                try await env.postgres.query("UPDATE jobkit.leaders SET leader_id = 'thief', expires_at = now() + interval '1 hour' WHERE name = 't'")
                try await eventually("steps down", timeout: .seconds(5)) { !s.isLeader }
                try await Task.sleep(for: .milliseconds(200))
                let stopped = a.runs
                try await Task.sleep(for: .milliseconds(400))
                #expect(a.runs == stopped)
                #expect(!s.isLeader)
                // The other goes away: this one, still a candidate, takes over on its interval.
                try await env.postgres.query("DELETE FROM jobkit.leaders WHERE name = 't'")
                try await eventually("leads again", timeout: .seconds(5)) { s.isLeader && a.runs > stopped }
                await g.triggerGracefulShutdown()
                try await group.waitForAll()
            }
            #expect(try await env.scalar("SELECT count(*)::int8 FROM jobkit.leaders WHERE name = 't'", as: Int64.self) == 0)
        }
    }

    /// The follower retries only every 30 s; the leader's resign notification makes it take over at once.
    @Test func aResigningLeaderHandsOverAtOnceThroughItsNotification() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let config = env.config
            let notifier = Notifier(connect: { try await config.connect(logger: TestDatabase.logger) }, logger: TestDatabase.logger)
            let fast = LeaderConfiguration(name: "t", ttl: .seconds(60), electionInterval: .milliseconds(200))
            let slow = LeaderConfiguration(name: "t", ttl: .seconds(60), electionInterval: .seconds(30))
            let s1 = LeaderService(postgres: env.postgres, candidateID: "one", configuration: fast, tasks: [], notifier: nil, logger: TestDatabase.logger)
            let s2 = LeaderService(postgres: env.postgres, candidateID: "two", configuration: slow, tasks: [], notifier: notifier, logger: TestDatabase.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                let g1 = ServiceGroup(configuration: .init(services: [.init(service: s1)], logger: TestDatabase.logger))
                group.addTask { try await g1.run() }
                try await eventually("one leads") { s1.isLeader }
                let g2 = ServiceGroup(configuration: .init(services: [.init(service: notifier), .init(service: s2)], logger: TestDatabase.logger))
                group.addTask { try await g2.run() }
                try await eventually("notifier listening") { notifier.isListening }
                try await Task.sleep(for: .milliseconds(300)) // two has lost its first election and waits 30 s
                #expect(!s2.isLeader)
                let start = ContinuousClock.now
                await g1.triggerGracefulShutdown()
                try await eventually("two leads", timeout: .seconds(20)) { s2.isLeader }
                #expect(ContinuousClock.now - start < .seconds(15)) // far below the 30 s interval and the 60 s TTL
                await g2.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }

    @Test func aFailingTaskDoesNotStopTheOthers() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let config = LeaderConfiguration(name: "t", ttl: .seconds(1), electionInterval: .milliseconds(200))
            let good = CountingTask("good"), bad = CountingTask("bad", failing: true)
            let s = LeaderService(postgres: env.postgres, candidateID: "one", configuration: config, tasks: [bad, good], notifier: nil,
                                  logger: TestDatabase.logger)
            let g = ServiceGroup(configuration: .init(services: [.init(service: s)], logger: TestDatabase.logger))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await g.run() }
                try await eventually("both ran repeatedly") { good.runs >= 3 && bad.runs >= 3 }
                #expect(s.isLeader)
                await g.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }

    @Test func theRescuerReturnsJobsWhoseLeaseExpired() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let a = try await env.client.enqueue(JobInsert(kind: "noop", maxAttempts: 3)).id
            let b = try await env.client.enqueue(JobInsert(kind: "noop", maxAttempts: 1)).id
            let c = try await env.client.enqueue(JobInsert(kind: "noop")).id
            // Simulate a worker that took them and died: running, attempt 1, lease already expired (c still valid).
            try await env.postgres.query("""
                UPDATE jobkit.jobs SET state = 'running', attempt = 1, attempted_by = 'ghost', attempted_at = now(),
                  lease_expires_at = CASE WHEN id = \(c) THEN now() + interval '1 hour' ELSE now() - interval '1 second' END
                """)
            let rescuer = Rescuer(postgres: env.postgres, logger: TestDatabase.logger)
            #expect(try await rescuer.run() == 2)
            #expect(try await env.client.job(id: a).state == .retryable)
            #expect(try await env.client.job(id: b).state == .discarded)
            #expect(try await env.client.job(id: c).state == .running)
            #expect(try await env.client.job(id: a).errors.first?.error.contains("lease expired") == true)
            #expect(try await Stager(postgres: env.postgres, logger: TestDatabase.logger).run() == 1)
            #expect(try await env.client.job(id: a).state == .available)
        }
    }

    @Test func thePrunerDeletesOnlyFinishedJobsPastRetention() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            try await env.client.enqueueMany((0..<4).map { _ in JobInsert(kind: "noop") })
            try await env.postgres.query("""
                UPDATE jobkit.jobs SET state = 'completed', finalized_at = now() - interval '2 hours' WHERE id IN (SELECT id FROM jobkit.jobs ORDER BY id LIMIT 2)
                """)
            try await env.postgres.query("""
                UPDATE jobkit.jobs SET state = 'discarded', finalized_at = now() - interval '2 hours' WHERE id = (SELECT max(id) FROM jobkit.jobs)
                """)
            let pruner = Pruner(postgres: env.postgres, completed: .seconds(3600), cancelled: .seconds(3600), discarded: .seconds(86400),
                                logger: TestDatabase.logger)
            let n = try await pruner.run()
            #expect(n == 2)
            #expect(try await env.count(.completed) == 0)
            #expect(try await env.count(.discarded) == 1)
            #expect(try await env.count(.available) == 1)
        }
    }
}

/// A leader task that counts its runs (and fails each one, if asked).
final class CountingTask: LeaderTask {
    let name: String
    let interval = Duration.milliseconds(50)
    let failing: Bool
    private let count = Atomic<Int>(0)

    init(_ name: String, failing: Bool = false) {
        self.name = name
        self.failing = failing
    }

    var runs: Int { count.load(ordering: .relaxed) }

    func run() async throws -> Int {
        count.add(1, ordering: .relaxed)
        if failing { throw JobKitError(.invalidState, "\(name) fails on purpose") }
        return 1
    }
}
