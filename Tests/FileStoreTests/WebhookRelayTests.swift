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

/// The relay end to end: real uploads and deletes through FileCore, the relay job on a real worker, a real
/// receiver process verifying every request with the reference `standardwebhooks` library.
struct RelayHarness: Sendable {
    let env: TestEnv
    let core: FileCore
    let app: PostgresClient
    let sender: AsyncHTTPWebhookSender
    let blobRoot: URL

    static let writer = Identity(subject: "tester", tenant: try! TenantID("acme"), scopes: [.filesWrite, .filesRead, .webhooksAdmin])

    static func with(schedule: [TimeInterval] = [0.3, 0.3, 0.3], lease: TimeInterval = 3, disableAfter: TimeInterval = 86400,
                     concurrency: Int = 8, sealer: SecretSealer = .none, _ body: @Sendable (RelayHarness) async throws -> Void) async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            try await TestDatabase.withClient(TestDatabase.appRole(env.config)) { app in
                let root = FileManager.default.temporaryDirectory.appendingPathComponent("relay-blobs-\(UUID())")
                defer { try? FileManager.default.removeItem(at: root) }
                var configuration = FileCoreConfiguration()
                configuration.webhooks = WebhookConfiguration(allowPrivate: true, retrySchedule: RetrySchedule(delays: schedule, jitter: 0),
                                                              timeout: .seconds(2), disableAfter: disableAfter, lease: lease, concurrency: concurrency)
                configuration.secretSealer = sealer
                let core = FileCore(database: TenantDatabase(postgres: app, logger: TestDatabase.logger), blobs: try LocalBlobStore(root: root),
                                    configuration: configuration)
                let sender = AsyncHTTPWebhookSender(allowPrivate: true, timeout: .seconds(2))
                let h = RelayHarness(env: env, core: core, app: app, sender: sender, blobRoot: root)
                do {
                    try await body(h)
                } catch {
                    try? await sender.shutdown()
                    throw error
                }
                try await sender.shutdown()
            }
        }
    }

    /// Runs the relay handler on a worker of the `webhooks` queue around `body`.
    func withRelay<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        var registry = JobRegistry()
        registry.register(WebhookRelayWorker(core: core, sender: sender))
        return try await env.withWorker(registry, TestEnv.fastWorker(queues: [QueueConfiguration(OutboxRelayJob.queue, concurrency: 4)])) { _ in
            try await body()
        }
    }

    /// Uploads `n` small files (each writes `file.uploaded.v1`); with `delete`, then deletes each (`file.deleted.v1`).
    func upload(_ n: Int, delete: Bool = false) async throws -> [PrefixedID] {
        var ids: [PrefixedID] = []
        for i in 0..<n {
            let bytes = Array("file \(i) ".utf8) + Array(repeating: UInt8(i % 256), count: 100)
            let file = try await core.uploads.upload(chunks(bytes, size: 64), as: Self.writer, Uploads.Request(originalName: "f\(i).txt"))
            ids.append(file.id)
        }
        if delete {
            for id in ids { _ = try await core.files.delete(id, as: Self.writer, requestID: nil, traceContext: nil) }
        }
        return ids
    }

    /// A value read as the owner with the tenant set.
    func scalar<T: PostgresDecodable & Sendable>(_ sql: String, as: T.Type = T.self) async throws -> T? {
        try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
            try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
            for try await v in try await tx.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger).decode(T.self) { return v }
            return nil
        }
    }

    func count(_ sql: String) async throws -> Int { Int(try await scalar(sql, as: Int64.self) ?? 0) }

    /// Runs `sql` as the owner with the tenant set.
    func execute(_ sql: String) async throws {
        try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
            try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
            try await tx.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
        }
    }
}

extension Array where Element == WebhookReceiver.Entry {
    /// Entries answered 2xx, in arrival order.
    var delivered: [WebhookReceiver.Entry] { filter { (200..<300).contains($0.status) } }
}

@Suite(.serialized) struct WebhookRelayTests {
    @Test func everyEventOfManyUploadsArrivesSignedVerifiableAndInOrderPerFile() async throws {
        try await RelayHarness.with { h in
            let endpoint = try await h.core.webhooks.create(url: "http://127.0.0.1:1/placeholder", topics: ["file.*"], description: nil, as: RelayHarness.writer)
            let receiver = try WebhookReceiver(secrets: [endpoint.secret])
            defer { receiver.stop() }
            _ = try await h.core.webhooks.update(endpoint.id, .init(url: receiver.url), as: RelayHarness.writer)
            let n = 25
            let ids = try await h.withRelay {
                let ids = try await h.upload(n, delete: true)
                try await eventually("all \(2 * n) events delivered", timeout: .seconds(60)) { try receiver.entries().delivered.count >= 2 * n }
                return ids
            }
            let entries = try receiver.entries()
            #expect(entries.allSatisfy { $0.verified == [0] }, "every request verifies with the endpoint's secret")
            let delivered = entries.delivered
            #expect(Set(delivered.compactMap(\.id)).count == 2 * n, "each event once, by its stable id")
            for id in ids {
                let types = delivered.filter { $0.file_id == id.description }.map(\.type)
                #expect(types == ["file.uploaded.v1", "file.deleted.v1"], "\(id): \(types)")
            }
            // The ids are the outbox's event ids; everything is published and delivered.
            #expect(try await h.count("SELECT count(*) FROM outbox_events WHERE published_at IS NULL") == 0)
            #expect(try await h.count("SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'") == 2 * n)
            let outboxIDs = Set(try await h.env.postgres.withTransaction(logger: TestDatabase.logger) { tx -> [String] in
                try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
                var out: [String] = []
                for try await id in try await tx.query("SELECT id FROM outbox_events", logger: TestDatabase.logger).decode(String.self) { out.append(id) }
                return out
            })
            #expect(Set(delivered.compactMap(\.id)) == outboxIDs)
            #expect(try await h.count("SELECT count(*) FROM webhook_attempts WHERE outcome = 'delivered' AND status_code = 204") == 2 * n)
        }
    }

    @Test func aReceiverAnswering500ForAWhileGetsRetriesAndFinallyEverythingInOrder() async throws {
        try await RelayHarness.with(schedule: [0.3, 0.3, 0.5, 0.5, 1, 1, 1, 1, 1, 1]) { h in
            let endpoint = try await h.core.webhooks.create(url: "http://127.0.0.1:1/x", topics: ["file.uploaded.v1", "file.deleted.v1"],
                                                            description: nil, as: RelayHarness.writer)
            let live = try WebhookReceiver(secrets: [endpoint.secret])
            defer { live.stop() }
            _ = try await h.core.webhooks.update(endpoint.id, .init(url: live.url), as: RelayHarness.writer)
            try live.answer("500")
            let ids = try await h.withRelay {
                let ids = try await h.upload(4, delete: true)
                try await eventually("failed attempts with retries", timeout: .seconds(30)) { try live.entries().filter { $0.status == 500 }.count >= 12 }
                try live.answer(nil)
                try await eventually("everything delivered after the failures", timeout: .seconds(60)) { try live.entries().delivered.count >= 8 }
                return ids
            }
            let delivered = try live.entries().delivered
            for id in ids {
                #expect(delivered.filter { $0.file_id == id.description }.map(\.type) == ["file.uploaded.v1", "file.deleted.v1"])
            }
            // The attempt log holds the failures with their next retry, and the successes.
            #expect(try await h.count("SELECT count(*) FROM webhook_attempts WHERE outcome = 'retry' AND status_code = 500 AND next_attempt_at IS NOT NULL") >= 12)
            #expect(try await h.count("SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'") == 8)
            #expect(try await h.scalar("SELECT failing_since IS NULL FROM webhook_endpoints", as: Bool.self) == true)
        }
    }

    /// The claim reads heads from an index: exactly one head per (endpoint, file) — its lowest pending `seq` — kept
    /// so through fan-out in batches, disabling and enabling the endpoint, and a head delivered.
    @Test func eachFileHasExactlyOneHeadPerEndpointThroughFanOutDisableAndEnable() async throws {
        try await RelayHarness.with { h in
            let a = try await h.core.webhooks.create(url: "http://127.0.0.1:1/a", topics: ["file.*"], description: nil, as: RelayHarness.writer)
            let b = try await h.core.webhooks.create(url: "http://127.0.0.1:1/b", topics: ["file.deleted.v1"], description: nil, as: RelayHarness.writer)
            _ = try await h.upload(60, delete: true)   // 120 events: uploaded + deleted per file
            let repo = WebhookRepository(logger: TestDatabase.logger)
            // Fan out in small batches, so a file's two events land in different batches as well as in one.
            var published = 0
            repeat {
                published = try await h.core.database.transaction(RelayHarness.writer.tenant) { tx in
                    try await repo.lockRelay(on: tx)
                    return try await repo.fanOut(limit: 7, on: tx)
                }
            } while published > 0
            let wrongHeads = """
                SELECT count(*) FROM (
                  SELECT endpoint_id, aggregate_id, count(*) FILTER (WHERE head) AS heads,
                         (array_agg(head ORDER BY seq))[1] AS first_is_head
                  FROM webhook_deliveries WHERE state = 'pending' GROUP BY endpoint_id, aggregate_id) g
                WHERE heads <> 1 OR NOT first_is_head
                """
            #expect(try await h.count("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = '\(a.id)'") == 120)
            #expect(try await h.count("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = '\(b.id)'") == 60)
            #expect(try await h.count("SELECT count(*) FROM webhook_deliveries WHERE head") == 120, "60 files × 2 endpoints")
            #expect(try await h.count(wrongHeads) == 0)
            // Disabled: no heads (nothing to claim); enabled again: the same heads.
            _ = try await h.core.webhooks.update(a.id, .init(enabled: false), as: RelayHarness.writer)
            #expect(try await h.count("SELECT count(*) FROM webhook_deliveries WHERE head AND endpoint_id = '\(a.id)'") == 0)
            #expect(try await h.count("SELECT count(*) FROM webhook_deliveries WHERE head AND endpoint_id = '\(b.id)'") == 60)
            let claimed = try await h.core.database.transaction(RelayHarness.writer.tenant) { tx in
                try await repo.claim(limit: 1000, lease: 30, on: tx)
            }
            #expect(claimed.count == 60 && claimed.allSatisfy { $0.endpointID == b.id.description }, "only the enabled endpoint's heads")
            _ = try await h.core.webhooks.update(a.id, .init(enabled: true), as: RelayHarness.writer)
            #expect(try await h.count(wrongHeads) == 0)
            #expect(try await h.count("SELECT count(*) FROM webhook_deliveries WHERE head AND endpoint_id = '\(a.id)'") == 60)
            // A head recorded delivered hands the head to its file's next event.
            let first = try #require(try await h.core.database.transaction(RelayHarness.writer.tenant) { tx in
                try await repo.claim(limit: 1000, lease: 30, on: tx)
            }.first { $0.endpointID == a.id.description })
            try await h.core.database.transaction(RelayHarness.writer.tenant) { tx in
                try await repo.record([RecordedAttempt(id: first.id, endpointID: first.endpointID, eventID: first.eventID, topic: first.topic,
                                                       aggregateID: first.aggregateID, attempt: 1,
                                                       result: AttemptResult(statusCode: 204, latencyMilliseconds: 1, responsePrefix: nil, error: nil),
                                                       outcome: "delivered", nextAttemptAt: nil)], on: tx)
            }
            #expect(try await h.count(wrongHeads) == 0)
            #expect(try await h.count("""
                SELECT count(*) FROM webhook_deliveries WHERE head AND endpoint_id = '\(a.id)' AND aggregate_id = '\(first.aggregateID)'
                  AND topic = 'file.deleted.v1'
                """) == 1, "the file's deleted event is its head now")
        }
    }

    @Test func aFailingFileDoesNotHoldUpTheOtherFilesOfTheEndpoint() async throws {
        try await RelayHarness.with(schedule: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]) { h in
            let endpoint = try await h.core.webhooks.create(url: "http://127.0.0.1:1/x", topics: ["file.*"], description: nil, as: RelayHarness.writer)
            let receiver = try WebhookReceiver(secrets: [endpoint.secret])
            defer { receiver.stop() }
            _ = try await h.core.webhooks.update(endpoint.id, .init(url: receiver.url), as: RelayHarness.writer)
            // The first file's event is written before the relay runs, and its receiver fails it.
            let first = try await h.upload(1)[0]
            try receiver.answer("500@\(first)")
            try await h.withRelay {
                try await eventually("the first file's event fails", timeout: .seconds(20)) { try receiver.entries().contains { $0.status == 500 } }
                _ = try await h.core.files.delete(first, as: RelayHarness.writer, requestID: nil, traceContext: nil)
                let others = try await h.upload(5, delete: true)
                try await eventually("the other files' 10 events arrive", timeout: .seconds(30)) {
                    let delivered = try receiver.entries().delivered
                    return Set(delivered.compactMap(\.file_id)) == Set(others.map(\.description)) && delivered.count == 10
                }
                // Meanwhile the failing file's second event waited behind its first: never sent.
                let sent = try receiver.entries()
                #expect(sent.filter { $0.file_id == first.description && $0.type == "file.deleted.v1" }.isEmpty)
                try receiver.answer(nil)
                try await eventually("the failing file catches up, in order", timeout: .seconds(30)) {
                    try receiver.entries().delivered.filter { $0.file_id == first.description }.map(\.type) == ["file.uploaded.v1", "file.deleted.v1"]
                }
            }
        }
    }

    /// A 410 disables the endpoint and pauses it, losing nothing: three files' events are claimed in one round and
    /// are all in flight when the first 410 comes back (the receiver holds each answer 0.5 s), so all three meet the
    /// 410; two more files are uploaded after the disable landed. All five wait, pending — none dead, none dropped
    /// at fan-out — and all five arrive once the endpoint is enabled again. The endpoint_disabled event is recorded
    /// once, however many attempts met the 410, and reaches the tenant's other endpoint. Re-enabled, the waiting
    /// events go out at once, not after a retry step.
    @Test func a410DisablesTheEndpointAndAnnouncesItToTheTenantsOtherEndpoints() async throws {
        // Retry steps longer than the test's waits: re-enabling must not make the waiting events sit one out.
        try await RelayHarness.with(schedule: [60, 60, 60]) { h in
            let gone = try await h.core.webhooks.create(url: "http://127.0.0.1:1/x", topics: ["file.*"], description: nil, as: RelayHarness.writer)
            let watcher = try await h.core.webhooks.create(url: "http://127.0.0.1:1/x", topics: ["webhook.endpoint_disabled.v1"], description: nil,
                                                           as: RelayHarness.writer)
            let goneReceiver = try WebhookReceiver(secrets: [gone.secret])
            let watchReceiver = try WebhookReceiver(secrets: [watcher.secret])
            defer { goneReceiver.stop(); watchReceiver.stop() }
            _ = try await h.core.webhooks.update(gone.id, .init(url: goneReceiver.url), as: RelayHarness.writer)
            _ = try await h.core.webhooks.update(watcher.id, .init(url: watchReceiver.url), as: RelayHarness.writer)
            try goneReceiver.answer("410~0.5")
            // Written before the relay runs: its first round claims all three heads and sends them at once.
            var files = try await h.upload(3)
            try await h.withRelay {
                try await eventually("the disabled event reaches the other endpoint", timeout: .seconds(30)) {
                    try watchReceiver.entries().delivered.contains { $0.type == "webhook.endpoint_disabled.v1" }
                }
                // Committed while the endpoint is disabled: queued for it all the same.
                files += try await h.upload(2)
                try await eventually("the later events are fanned out", timeout: .seconds(30)) {
                    try await h.count("SELECT count(*) FROM outbox_events WHERE published_at IS NULL") == 0
                }
            }
            let e = try await h.core.webhooks.get(gone.id, as: RelayHarness.writer)
            #expect(!e.enabled && e.disabledReason?.contains("410") == true)
            // All three concurrent attempts met the 410; each is logged as `disabled`, none as a retry or dead.
            let met = try goneReceiver.entries()
            #expect(met.count == 3 && met.allSatisfy { $0.status == 410 })
            #expect(try await h.count("SELECT count(*) FROM webhook_attempts WHERE endpoint_id = '\(gone.id)'") == 3)
            #expect(try await h.count("SELECT count(*) FROM webhook_attempts WHERE endpoint_id = '\(gone.id)' AND outcome = 'disabled' AND status_code = 410") == 3)
            // Every event of the endpoint waits: the three that met the 410 and the two written afterwards.
            #expect(try await h.count("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = '\(gone.id)' AND state = 'pending'") == 5)
            #expect(try await h.count("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = '\(gone.id)' AND state <> 'pending'") == 0)
            // One disable, one event, one announcement.
            #expect(try await h.count("SELECT count(*) FROM outbox_events WHERE topic = 'webhook.endpoint_disabled.v1' AND aggregate_id = '\(gone.id)'") == 1)
            #expect(try watchReceiver.entries().delivered.filter { $0.type == "webhook.endpoint_disabled.v1" }.count == 1)
            // Enabled again (the receiver is back), the waiting events go out: each file's event once.
            try goneReceiver.answer(nil)
            try await h.withRelay {
                _ = try await h.core.webhooks.update(gone.id, .init(enabled: true), as: RelayHarness.writer)
                try await eventually("the waiting events after re-enabling", timeout: .seconds(30)) { try goneReceiver.entries().delivered.count >= 5 }
            }
            let delivered = try goneReceiver.entries().delivered
            #expect(delivered.count == 5)
            #expect(delivered.compactMap(\.file_id).sorted() == files.map(\.description).sorted())
            #expect(Set(delivered.compactMap(\.id)).count == 5)
            #expect(try await h.count("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = '\(gone.id)' AND state = 'delivered'") == 5)
        }
    }

    @Test func anExhaustedEventGoesToTheDeadLetterAndIsReplayed() async throws {
        try await RelayHarness.with(schedule: [0.2, 0.2]) { h in
            let endpoint = try await h.core.webhooks.create(url: "http://127.0.0.1:1/x", topics: ["file.uploaded.v1"], description: nil, as: RelayHarness.writer)
            let receiver = try WebhookReceiver(secrets: [endpoint.secret])
            defer { receiver.stop() }
            _ = try await h.core.webhooks.update(endpoint.id, .init(url: receiver.url), as: RelayHarness.writer)
            try receiver.answer("503")
            let ids = try await h.withRelay {
                let ids = try await h.upload(2)
                try await eventually("both events dead after 3 attempts", timeout: .seconds(30)) {
                    try await h.count("SELECT count(*) FROM webhook_deliveries WHERE state = 'dead'") == 2
                }
                return ids
            }
            let failures = try receiver.entries().filter { $0.status == 503 }
            #expect(failures.count == 6)
            let log = try await h.core.webhooks.attempts(endpoint.id, before: nil, limit: 50, as: RelayHarness.writer)
            #expect(log.filter { $0.outcome == "dead" }.count == 2 && log.filter { $0.outcome == "retry" }.count == 4)
            #expect(Set(log.map(\.eventID)).count == 2 && log.allSatisfy { $0.statusCode == 503 && $0.responsePrefix == "no" })
            try receiver.answer(nil)
            let ops = try await h.core.webhooks.deliveries(tenant: RelayHarness.writer.tenant, state: "dead", endpoint: nil, topic: nil, since: nil, limit: 10)
            #expect(ops.count == 2)
            #expect(try await h.core.webhooks.replayDead(tenant: RelayHarness.writer.tenant, endpoint: nil, topic: nil, since: nil, dryRun: true) == 2)
            try await h.withRelay {
                #expect(try await h.core.webhooks.replay(endpoint.id, since: nil, topic: nil, eventID: nil, as: RelayHarness.writer) == 2)
                try await eventually("the replayed events arrive", timeout: .seconds(30)) { try receiver.entries().delivered.count == 2 }
            }
            // Same event ids as the failed attempts: a replay is the same message again.
            let entries = try receiver.entries()
            #expect(Set(entries.delivered.compactMap(\.id)) == Set(entries.filter { $0.status == 503 }.compactMap(\.id)))
            #expect(Set(entries.delivered.compactMap(\.file_id)) == Set(ids.map(\.description)))
            #expect(try await h.count("SELECT count(*) FROM webhook_deliveries WHERE state = 'dead'") == 0)
        }
    }

    @Test func duringARotationBothSecretsSignAndAfterTheOverlapOnlyTheNewOne() async throws {
        try await RelayHarness.with { h in
            let endpoint = try await h.core.webhooks.create(url: "http://127.0.0.1:1/x", topics: ["file.*"], description: nil, as: RelayHarness.writer)
            let rotated = try await h.core.webhooks.rotateSecret(endpoint.id, as: RelayHarness.writer)
            #expect(rotated.secret != endpoint.secret && rotated.previousSecret == endpoint.secret)
            // Verifies separately with the old secret (index 0) and the new one (index 1).
            let receiver = try WebhookReceiver(secrets: [endpoint.secret, rotated.secret])
            defer { receiver.stop() }
            _ = try await h.core.webhooks.update(endpoint.id, .init(url: receiver.url), as: RelayHarness.writer)
            try await h.withRelay {
                _ = try await h.upload(1)
                try await eventually("delivered during the overlap", timeout: .seconds(20)) { try receiver.entries().delivered.count == 1 }
                // The overlap ends: only the new secret signs.
                try await h.execute("UPDATE webhook_endpoints SET previous_expires_at = now() - interval '1 second'")
                _ = try await h.upload(1)
                try await eventually("delivered after the overlap", timeout: .seconds(20)) { try receiver.entries().delivered.count == 2 }
            }
            let entries = try receiver.entries().delivered
            #expect(entries[0].verified == [0, 1] && entries[0].signatures == 2)
            #expect(entries[1].verified == [1] && entries[1].signatures == 1)
        }
    }

    @Test func aRelayWorkerKilledWithSIGKILLMidBatchLosesNothing() async throws {
        try await RelayHarness.with(lease: 2) { h in
            let endpoint = try await h.core.webhooks.create(url: "http://127.0.0.1:1/x", topics: ["file.*"], description: nil, as: RelayHarness.writer)
            let receiver = try WebhookReceiver(secrets: [endpoint.secret])
            defer { receiver.stop() }
            _ = try await h.core.webhooks.update(endpoint.id, .init(url: receiver.url), as: RelayHarness.writer)
            try receiver.answer("204~0.3")   // slow answers: the batch is in flight when the worker dies
            let n = 60
            try await WebhookBenchmark.writeEvents(h.core, tenant: RelayHarness.writer.tenant, count: n)
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("filestore-relay-kill-\(UUID()).log")
            let child = try FilestoreBinary.start(
                ["work", "--queues", "webhooks", "--http-port", "0", "--lease-seconds", "2", "--no-maintenance"], database: h.env.config, log: log,
                env: ["FILESTORE_WEBHOOK_ALLOW_PRIVATE": "true", "FILESTORE_WEBHOOK_TIMEOUT": "1", "FILESTORE_WEBHOOK_LEASE": "2s"])
            defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
            try await eventually("the child delivers some", timeout: .seconds(60)) { try receiver.entries().delivered.count >= 5 }
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            let before = Set(try receiver.entries().delivered.compactMap(\.id))
            #expect(before.count < n, "killed mid-batch")
            #expect(try await h.count("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending' AND locked_until > now()") > 0,
                    "deliveries still leased by the dead worker")
            try receiver.answer(nil)
            try await h.withRelay {
                try await eventually("every event delivered after the crash", timeout: .seconds(60)) {
                    Set(try receiver.entries().delivered.compactMap(\.id)).count == n
                }
            }
            #expect(try await h.count("SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'") == n)
        }
    }
}
