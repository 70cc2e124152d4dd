import TestSupport
import Foundation
@testable import JobKit
import PostgresNIO
import Testing

@Suite struct EnqueueTests {
    @Test func enqueueOneWithEveryOption() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let later = Date().addingTimeInterval(3600)
            let result = try await env.client.enqueue(JobInsert(
                kind: "noop", argsJSON: #"{"a": 1}"#, queue: "scan", priority: 3, maxAttempts: 5, scheduledAt: later,
                tags: ["t1", "t2"], tenantID: "ten_1", traceContext: "00-abc-def-01"))
            guard case .inserted(let id) = result else { Issue.record("not inserted"); return }
            let job = try await env.client.job(id: id)
            #expect(job.state == .scheduled)
            #expect(job.queue == "scan")
            #expect(job.priority == 3)
            #expect(job.maxAttempts == 5)
            #expect(abs(job.scheduledAt.timeIntervalSince(later)) < 0.01)
            #expect(job.tags == ["t1", "t2"])
            #expect(job.tenantID == "ten_1")
            #expect(job.traceContext == "00-abc-def-01")
            #expect(job.argsJSON == #"{"a": 1}"#)
            let now = try await env.client.enqueue(JobInsert(kind: "noop"))
            #expect(try await env.client.job(id: now.id).state == .available)
        }
    }

    @Test func bulkEnqueueInOneStatement() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let plain = (0..<3000).map { JobInsert(kind: "noop", argsJSON: "{\"i\":\($0)}", queue: "bulk") }
            #expect(try await env.client.enqueueMany(plain) == 3000)
            #expect(try await env.count(.available, queue: "bulk") == 3000)
            // The general path: optional columns, a future time and unique keys (one duplicate inside the batch).
            let mixed = [
                JobInsert(kind: "noop", queue: "bulk", scheduledAt: Date().addingTimeInterval(600), tags: ["x"]),
                JobInsert(kind: "noop", queue: "bulk", uniqueKey: "k1", tenantID: "ten_9"),
                JobInsert(kind: "noop", queue: "bulk", uniqueKey: "k1"),
            ]
            #expect(try await env.client.enqueueMany(mixed) == 2)
            #expect(try await env.count(.scheduled, queue: "bulk") == 1)
            #expect(try await env.scalar("SELECT tenant_id FROM jobkit.jobs WHERE unique_key = 'k1'", as: String.self) == "ten_9")
        }
    }

    @Test func uniqueKeyRefusesADuplicateWhileTheFirstIsPending() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let first = try await env.client.enqueue(JobInsert(kind: "noop", uniqueKey: "scan:med_1"))
            let second = try await env.client.enqueue(JobInsert(kind: "noop", uniqueKey: "scan:med_1"))
            #expect(second == .duplicate(first.id))
            // Once the first is finished (not among the refusing states), the key is free again.
            try await env.postgres.query("UPDATE jobkit.jobs SET state = 'completed', finalized_at = now() WHERE id = \(first.id)")
            let third = try await env.client.enqueue(JobInsert(kind: "noop", uniqueKey: "scan:med_1"))
            guard case .inserted(let id) = third else { Issue.record("expected insert"); return }
            #expect(id != first.id)
            // A key that also refuses while completed.
            let a = try await env.client.enqueue(JobInsert(kind: "noop", uniqueKey: "daily", uniqueStates: JobState.allCases))
            try await env.postgres.query("UPDATE jobkit.jobs SET state = 'completed', finalized_at = now() WHERE id = \(a.id)")
            #expect(try await env.client.enqueue(JobInsert(kind: "noop", uniqueKey: "daily", uniqueStates: JobState.allCases)) == .duplicate(a.id))
        }
    }

    @Test func transactionalEnqueueExistsOnlyIfTheTransactionCommits() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            struct Rollback: Error {}
            let client = env.client
            let error = await #expect(throws: PostgresTransactionError.self) {
                try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                    try await client.enqueue(JobInsert(kind: "noop", queue: "tx"), on: tx)
                    try await client.enqueueMany([JobInsert(kind: "noop", queue: "tx")], on: tx)
                    throw Rollback()
                }
            }
            #expect(error?.closureError is Rollback)
            #expect(try await env.count(queue: "tx") == 0)
            try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                try await client.enqueue(JobInsert(kind: "noop", queue: "tx"), on: tx)
            }
            #expect(try await env.count(queue: "tx") == 1)
        }
    }

    @Test func badInputIsRefusedBeforeTheDatabase() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            await #expect(throws: JobKitError.self) { try await env.client.enqueue(JobInsert(kind: "noop", queue: "Bad Queue")) }
            await #expect(throws: JobKitError.self) { try await env.client.enqueueMany([JobInsert(kind: "noop", argsJSON: "nope")]) }
            #expect(try await env.count() == 0)
        }
    }

    @Test func migrationsAreRecordedAndTheVersionCheckRefusesABehindDatabase() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let migrator = Migrator(postgres: env.postgres, logger: TestDatabase.logger)
            let files = try TestDatabase.migrations()
            #expect(try await migrator.migrate(files).isEmpty) // already applied: idempotent
            try await migrator.requireVersion(files.last!.version)
            await #expect(throws: JobKitError.self) { try await migrator.requireVersion(files.last!.version + 1) }
        }
    }
}

@Suite struct FetchPoolTests {
    @Test func theFetchPoolCommitsAsynchronouslyAndTheMainPoolDurably() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let fetchPool = PostgresClient(configuration: env.config.fetchClientConfiguration, backgroundLogger: TestDatabase.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await fetchPool.run() }
                defer { group.cancelAll() }
                var setting = ""
                for try await s in try await fetchPool.query("SHOW synchronous_commit").decode(String.self) { setting = s }
                #expect(setting == "off")
            }
            #expect(try await env.scalar("SHOW synchronous_commit", as: String.self) == "on")
        }
    }
}
