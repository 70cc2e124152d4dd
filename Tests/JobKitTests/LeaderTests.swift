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
            let ttl = Duration.milliseconds(800)
            let a = LeaderElector(postgres: env.postgres, name: "m", candidateID: "a", ttl: ttl, logger: TestDatabase.logger)
            let b = LeaderElector(postgres: env.postgres, name: "m", candidateID: "b", ttl: ttl, logger: TestDatabase.logger)
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

    @Test func maintenanceServicesElectOneLeaderAndFailOver() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let m = TestEnv.fastMaintenance()
            let s1 = MaintenanceService(postgres: env.postgres, candidateID: "one", configuration: m, notifier: nil, logger: TestDatabase.logger)
            let s2 = MaintenanceService(postgres: env.postgres, candidateID: "two", configuration: m, notifier: nil, logger: TestDatabase.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                let g1 = ServiceGroup(configuration: .init(services: [.init(service: s1)], logger: TestDatabase.logger))
                group.addTask { try await g1.run() }
                try await eventually("one leads") { s1.isLeader }
                let g2 = ServiceGroup(configuration: .init(services: [.init(service: s2)], logger: TestDatabase.logger))
                group.addTask { try await g2.run() }
                try await Task.sleep(for: .milliseconds(600))
                #expect(s1.isLeader && !s2.isLeader)
                // The leader stops: the follower takes over (within TTL + election interval).
                await g1.triggerGracefulShutdown()
                try await eventually("two leads", timeout: .seconds(5)) { s2.isLeader }
                #expect(!s1.isLeader)
                await g2.triggerGracefulShutdown()
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
            let maintenance = Maintenance(postgres: env.postgres, logger: TestDatabase.logger)
            #expect(try await maintenance.rescue() == 2)
            #expect(try await env.client.job(id: a).state == .retryable)
            #expect(try await env.client.job(id: b).state == .discarded)
            #expect(try await env.client.job(id: c).state == .running)
            #expect(try await env.client.job(id: a).errors.first?.error.contains("lease expired") == true)
            #expect(try await maintenance.stage() == 1)
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
            let maintenance = Maintenance(postgres: env.postgres, logger: TestDatabase.logger)
            let n = try await maintenance.prune(completed: .seconds(3600), cancelled: .seconds(3600), discarded: .seconds(86400))
            #expect(n == 2)
            #expect(try await env.count(.completed) == 0)
            #expect(try await env.count(.discarded) == 1)
            #expect(try await env.count(.available) == 1)
        }
    }
}
