import Domain
import FileCore
import Foundation
import JobKit
import Jobs
import NIOCore
import PostgresNIO
import Storage
import TestSupport
import Testing

/// One test's database seen through all three roles: the owner (`env.postgres`), the service's role (`app`,
/// through ``TenantDatabase``) and the system role (``SystemDatabase``), with a real blob store for partial data.
struct SweepFixture: Sendable {
    let env: TestEnv
    let app: PostgresClient
    let system: SystemDatabase
    let blobs: LocalBlobStore
    var database: TenantDatabase { TenantDatabase(postgres: app, logger: TestDatabase.logger) }
    /// The application layer on the app pool and this fixture's blob store.
    var core: FileCore { FileCore(database: database, blobs: blobs) }

    static func with(_ body: (SweepFixture) async throws -> Void) async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            try await TestDatabase.withClient(TestDatabase.appRole(env.config)) { app in
                try await TestDatabase.withClient(TestDatabase.systemRole(env.config)) { systemPostgres in
                    let root = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-blobs-\(UUID())")
                    defer { try? FileManager.default.removeItem(at: root) }
                    try await body(SweepFixture(env: env, app: app, system: SystemDatabase(postgres: systemPostgres, logger: TestDatabase.logger),
                                                blobs: try LocalBlobStore(root: root)))
                }
            }
        }
    }

    func tenant(_ id: String) async throws -> TenantID {
        let tenant = try TenantID(id)
        _ = try await database.transaction(tenant) { tx in
            try await tx.query("INSERT INTO tenants (id, name) VALUES (\(id), \(id)) ON CONFLICT DO NOTHING", logger: TestDatabase.logger)
        }
        return tenant
    }

    /// An upload of `tenant` expiring `expiresIn` seconds from now (negative: expired), optionally under a
    /// lease for `leasedFor` seconds (negative: a lease that ran out) or completed, with partial data on disk.
    @discardableResult
    func upload(_ tenant: TenantID, expiresIn: Int, leasedFor: Int? = nil, completed: Bool = false) async throws -> PrefixedID {
        let id = PrefixedID(.upload)
        _ = try await database.transaction(tenant) { tx in
            try await tx.query("""
                INSERT INTO uploads (id, tenant_id, length, expires_at, locked_by, locked_until, completed_at)
                VALUES (\(id.description), \(tenant.value), 100, now() + \(expiresIn) * interval '1 second',
                        CASE WHEN \(leasedFor)::int IS NULL THEN NULL ELSE 'req-1' END,
                        now() + \(leasedFor)::int * interval '1 second',
                        CASE WHEN \(completed) THEN now() END)
                """, logger: TestDatabase.logger)
        }
        let bytes = AsyncStream<ByteBuffer> { $0.yield(ByteBuffer(bytes: Array(repeating: UInt8(7), count: 10))); $0.finish() }
        _ = try await blobs.putPart(tenant: tenant, upload: id, at: 0, body: bytes, limit: nil, checksum: nil)
        return id
    }

    /// An idempotency key of `tenant` expiring `expiresIn` seconds from now (negative: expired).
    func key(_ tenant: TenantID, _ key: String, expiresIn: Int) async throws {
        _ = try await database.transaction(tenant) { tx in
            try await tx.query("""
                INSERT INTO idempotency_keys (tenant_id, key, request_hash, status, expires_at)
                VALUES (\(tenant.value), \(key), 'h', 201, now() + \(expiresIn) * interval '1 second')
                """, logger: TestDatabase.logger)
        }
    }

    /// The ids of `tenant`'s upload rows, read as that tenant.
    func uploads(_ tenant: TenantID) async throws -> Set<String> {
        try await database.transaction(tenant) { tx in
            var ids = Set<String>()
            for try await id in try await tx.query("SELECT id FROM uploads", logger: TestDatabase.logger).decode(String.self) { ids.insert(id) }
            return ids
        }
    }

    /// The names of `tenant`'s idempotency keys, read as that tenant.
    func keys(_ tenant: TenantID) async throws -> Set<String> {
        try await database.transaction(tenant) { tx in
            var keys = Set<String>()
            for try await key in try await tx.query("SELECT key FROM idempotency_keys", logger: TestDatabase.logger).decode(String.self) { keys.insert(key) }
            return keys
        }
    }

    /// Whether an upload's partial data is still in the local store (`<root>/.partial/<tenant>/<upload>`).
    func partialExists(_ tenant: TenantID, _ upload: PrefixedID) -> Bool {
        FileManager.default.fileExists(atPath: blobs.root.appendingPathComponent(".partial/\(tenant.value)/\(upload)").path)
    }

    /// The sweep jobs in the queue: (kind, tenant, unique key), sorted.
    func sweepJobs() async throws -> [String] {
        var jobs: [String] = []
        let rows = try await env.postgres.query("""
            SELECT kind || ' ' || coalesce(tenant_id, '-') || ' ' || coalesce(unique_key, '-') || ' ' || queue FROM jobkit.jobs
            WHERE kind LIKE '%.sweep' ORDER BY 1
            """)
        for try await job in rows.decode(String.self) { jobs.append(job) }
        return jobs
    }
}

@Suite struct SweepTests {
    static let maintenance = [QueueConfiguration("maintenance", concurrency: 2)]

    @Test func theFanOutEnqueuesOneJobPerTenantWithExpiredWorkAndNoMoreWhilePending() async throws {
        try await SweepFixture.with { f in
            let acme = try await f.tenant("acme"), beta = try await f.tenant("beta"), gamma = try await f.tenant("gamma")
            let idle = try await f.tenant("idle")
            // acme: an abandoned upload. beta: only live uploads and an expired key. gamma: an expired upload that
            // a PATCH still holds, and a completed one. idle: nothing expired at all.
            try await f.upload(acme, expiresIn: -60)
            try await f.upload(acme, expiresIn: -30)
            try await f.upload(beta, expiresIn: 3600)
            try await f.key(beta, "k-old", expiresIn: -1)
            try await f.upload(gamma, expiresIn: -60, leasedFor: 600)
            try await f.upload(gamma, expiresIn: -60, completed: true)
            try await f.key(gamma, "k-new", expiresIn: 3600)
            try await f.upload(idle, expiresIn: 3600)
            try await f.key(idle, "k", expiresIn: 3600)

            var registry = JobRegistry()
            let tasks = registry.registerSweeps(core: f.core, system: f.system)
            #expect(tasks.uploads.name == "uploads.sweep")
            #expect(tasks.idempotencyKeys.name == "idempotency_keys.sweep")
            #expect(tasks.uploads.interval == .seconds(300))
            #expect(registry.kinds == ["idempotency_keys.sweep", "uploads.sweep"])

            #expect(try await tasks.uploads.run() == 1)
            #expect(try await tasks.idempotencyKeys.run() == 1)
            let expected = ["idempotency_keys.sweep beta idempotency_keys.sweep:beta maintenance",
                            "uploads.sweep acme uploads.sweep:acme maintenance"]
            #expect(try await f.sweepJobs() == expected)
            // Run again while those jobs are pending: no second job for the same tenant.
            #expect(try await tasks.uploads.run() == 0)
            #expect(try await tasks.idempotencyKeys.run() == 0)
            #expect(try await f.sweepJobs() == expected)
            // The leader only enqueued: every row is still there.
            #expect(try await f.uploads(acme).count == 2)
            #expect(try await f.keys(beta) == ["k-old"])
        }
    }

    @Test func theFanOutPagesThroughTenantsAndStopsAtItsCap() async throws {
        try await SweepFixture.with { f in
            for name in ["t1", "t2", "t3", "t4", "t5"] {
                let tenant = try await f.tenant(name)
                try await f.key(tenant, "k", expiresIn: -1)
            }
            let jobs = JobClient(postgres: f.app, logger: TestDatabase.logger)
            // Pages of two: all five tenants are reached.
            let paged = TenantSweepTask<SweepIdempotencyKeys>(system: f.system, jobs: jobs, configuration: SweepConfiguration(tenantPageSize: 2))
            #expect(try await paged.run() == 5)
            #expect(try await f.env.count(queue: "maintenance") == 5)
            _ = try await f.env.postgres.query("DELETE FROM jobkit.jobs")
            // A cap of three: the first three tenants now, the rest at a later run.
            let capped = TenantSweepTask<SweepIdempotencyKeys>(system: f.system, jobs: jobs, configuration: SweepConfiguration(tenantPageSize: 2, maxTenantsPerRun: 3))
            #expect(try await capped.run() == 3)
            #expect(try await f.sweepJobs().map { $0.split(separator: " ")[1] } == ["t1", "t2", "t3"])
        }
    }

    @Test func theUploadSweepDeletesOnlyItsTenantsAbandonedUploadsAndTheirData() async throws {
        try await SweepFixture.with { f in
            let acme = try await f.tenant("acme"), beta = try await f.tenant("beta")
            let expired = try await f.upload(acme, expiresIn: -60)
            let expiredLeaseRanOut = try await f.upload(acme, expiresIn: -60, leasedFor: -5)
            let live = try await f.upload(acme, expiresIn: 3600)
            let leased = try await f.upload(acme, expiresIn: -60, leasedFor: 600)
            let completed = try await f.upload(acme, expiresIn: -60, completed: true)
            let others = try await f.upload(beta, expiresIn: -60)

            var registry = JobRegistry()
            _ = registry.registerSweeps(core: f.core, system: f.system)
            // Only acme's job: beta's expired upload must survive it.
            try await f.env.client.enqueue(SweepJobs.uploads(acme))
            try await f.env.withWorker(registry, TestEnv.fastWorker(queues: Self.maintenance)) { _ in
                try await eventually("the sweep job completes") { try await f.env.count(.completed, queue: "maintenance") == 1 }
            }
            #expect(try await f.uploads(acme) == [live.description, leased.description, completed.description])
            #expect(!f.partialExists(acme, expired))
            #expect(!f.partialExists(acme, expiredLeaseRanOut))
            #expect(f.partialExists(acme, live))
            #expect(f.partialExists(acme, leased))
            #expect(try await f.uploads(beta) == [others.description])
            #expect(f.partialExists(beta, others))
        }
    }

    @Test func theKeySweepDeletesOnlyItsTenantsExpiredKeys() async throws {
        try await SweepFixture.with { f in
            let acme = try await f.tenant("acme"), beta = try await f.tenant("beta")
            try await f.key(acme, "old-1", expiresIn: -60)
            try await f.key(acme, "old-2", expiresIn: -1)
            try await f.key(acme, "fresh", expiresIn: 3600)
            try await f.key(beta, "old", expiresIn: -60)

            var registry = JobRegistry()
            _ = registry.registerSweeps(core: f.core, system: f.system)
            try await f.env.client.enqueue(SweepJobs.idempotencyKeys(acme))
            try await f.env.withWorker(registry, TestEnv.fastWorker(queues: Self.maintenance)) { _ in
                try await eventually("the sweep job completes") { try await f.env.count(.completed, queue: "maintenance") == 1 }
            }
            #expect(try await f.keys(acme) == ["fresh"])
            #expect(try await f.keys(beta) == ["old"])
        }
    }

    @Test func endToEndTheLeaderTasksAndAWorkerSweepEveryTenant() async throws {
        try await SweepFixture.with { f in
            let acme = try await f.tenant("acme"), beta = try await f.tenant("beta")
            let a = try await f.upload(acme, expiresIn: -60), b = try await f.upload(beta, expiresIn: -60)
            let kept = try await f.upload(beta, expiresIn: 3600)
            try await f.key(acme, "old", expiresIn: -60)
            try await f.key(beta, "fresh", expiresIn: 3600)

            var registry = JobRegistry()
            let tasks = registry.registerSweeps(core: f.core, system: f.system)
            try await f.env.withWorker(registry, TestEnv.fastWorker(queues: Self.maintenance)) { _ in
                #expect(try await tasks.uploads.run() == 2)
                #expect(try await tasks.idempotencyKeys.run() == 1)
                try await eventually("three sweep jobs complete") { try await f.env.count(.completed, queue: "maintenance") == 3 }
            }
            #expect(try await f.uploads(acme).isEmpty)
            #expect(try await f.uploads(beta) == [kept.description])
            #expect(!f.partialExists(acme, a) && !f.partialExists(beta, b) && f.partialExists(beta, kept))
            #expect(try await f.keys(acme).isEmpty)
            #expect(try await f.keys(beta) == ["fresh"])
            // Nothing left to find: the next runs enqueue nothing.
            #expect(try await f.system.tenantsWithExpiredUploads(limit: 10).isEmpty)
            #expect(try await tasks.uploads.run() == 0)
            #expect(try await tasks.idempotencyKeys.run() == 0)
        }
    }

    @Test func aSweepJobWorksInBatchesUpToItsCapAndRunsAgainSafely() async throws {
        try await SweepFixture.with { f in
            let acme = try await f.tenant("acme")
            // Expiries an hour apart: their order holds however slowly the rows go in.
            for i in 0..<5 { try await f.key(acme, "old-\(i)", expiresIn: -3600 * (i + 1)) }
            for _ in 0..<5 { try await f.upload(acme, expiresIn: -60) }
            // Batches of two, at most two per job: each job deletes four of the five rows.
            let configuration = SweepConfiguration(batchSize: 2, maxBatchesPerJob: 2)
            var registry = JobRegistry()
            _ = registry.registerSweeps(core: f.core, system: f.system,
                                        configuration: configuration)
            // A long lease: a job rescued under load and run twice would delete twice its share.
            try await f.env.withWorker(registry, TestEnv.fastWorker(queues: Self.maintenance, lease: .seconds(60))) { _ in
                try await f.env.client.enqueue(SweepJobs.idempotencyKeys(acme, configuration: configuration))
                try await f.env.client.enqueue(SweepJobs.uploads(acme, configuration: configuration))
                try await eventually("both jobs complete") { try await f.env.count(.completed, queue: "maintenance") == 2 }
                // The oldest expiry goes first: old-4 (expired longest) is among the deleted.
                let attempts = try await f.env.scalar("SELECT max(attempt)::int8 FROM jobkit.jobs", as: Int64.self)
                #expect(attempts == 1, "each job ran once")
                #expect(try await f.keys(acme) == ["old-0"])
                #expect(try await f.uploads(acme).count == 1)
                // The same jobs again: the rest goes, and once nothing is left a run changes nothing.
                for round in 2...3 {
                    try await f.env.client.enqueue(SweepJobs.idempotencyKeys(acme, configuration: configuration))
                    try await f.env.client.enqueue(SweepJobs.uploads(acme, configuration: configuration))
                    try await eventually("round \(round) completes") { try await f.env.count(.completed, queue: "maintenance") == 2 * round }
                }
            }
            #expect(try await f.keys(acme).isEmpty)
            #expect(try await f.uploads(acme).isEmpty)
            #expect(try await f.env.count(.completed, queue: "maintenance") == 6)
        }
    }

    @Test func aSweepJobWithoutATenantIsCancelled() async throws {
        try await SweepFixture.with { f in
            let acme = try await f.tenant("acme")
            try await f.key(acme, "old", expiresIn: -60)
            var registry = JobRegistry()
            _ = registry.registerSweeps(core: f.core, system: f.system)
            try await f.env.client.enqueue(SweepIdempotencyKeys(), options: InsertOptions(queue: "maintenance"))
            try await f.env.withWorker(registry, TestEnv.fastWorker(queues: Self.maintenance)) { _ in
                try await eventually("the job is cancelled") { try await f.env.count(.cancelled, queue: "maintenance") == 1 }
            }
            #expect(try await f.keys(acme) == ["old"])
        }
    }
}
