import Domain
import FileCore
import Foundation
import JobKit
import PostgresNIO
import Storage
import TestSupport
import Testing

/// The relay benchmark, run by `scripts/bench-webhooks.sh` (which starts the receiver, measures its ceiling with
/// `wrk` and writes `perf/baseline.json`). Events are written as the product writes them (`FileRepository.outbox`:
/// the event and its relay job in the upload's transaction); the relay is the real `filestore work --queues
/// webhooks` process; the receiver is any fast local HTTP server answering 2xx whose access log has one line per
/// request, `<unix time with ms> <webhook-id> <path>` (nginx: `$msec $http_webhook_id $uri`).
/// Measures: events/s delivered to one endpoint and deliveries/s to 100 endpoints (first to last arrival in the
/// receiver's log, the worker started on a written backlog), and idle commit→arrival p50/p99 (one event at a
/// time, the worker waiting). Environment: `FILESTORE_WEBHOOK_BENCH=1`, `FILESTORE_WEBHOOK_BENCH_RECEIVER` (base
/// URL), `FILESTORE_WEBHOOK_BENCH_RECEIVER_LOG` (its access log), `FILESTORE_WEBHOOK_BENCH_N` (events, default
/// 2000), `FILESTORE_WEBHOOK_BENCH_IDLE` (idle samples, default 200), `FILESTORE_WEBHOOK_BENCH_OUT` (the JSON line,
/// default `perf/webhooks-results.jsonl`, appended).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["FILESTORE_WEBHOOK_BENCH"] == "1"))
struct WebhookBenchmark {
    static let environment = ProcessInfo.processInfo.environment
    static var n: Int { Int(environment["FILESTORE_WEBHOOK_BENCH_N"] ?? "") ?? 2000 }
    static var idleSamples: Int { Int(environment["FILESTORE_WEBHOOK_BENCH_IDLE"] ?? "") ?? 200 }
    static let tenant = try! TenantID("bench")
    static let admin = Identity(subject: "bench", tenant: tenant, scopes: [.webhooksAdmin, .filesWrite])

    @Test func relayThroughputAndIdleLatencyAgainstTheReceiver() async throws {
        let base = try #require(Self.environment["FILESTORE_WEBHOOK_BENCH_RECEIVER"], "FILESTORE_WEBHOOK_BENCH_RECEIVER is not set")
        let log = ReceiverLog(url: URL(fileURLWithPath: try #require(Self.environment["FILESTORE_WEBHOOK_BENCH_RECEIVER_LOG"])))
        var out: [String: any Sendable] = ["at": ISO8601DateFormatter().string(from: Date()), "n": Self.n, "loadavg_before": Self.loadAverage()]
        try await TestDatabase.with { env in
            try await TestDatabase.withClient(TestDatabase.appRole(env.config)) { app in
                let blobs = FileManager.default.temporaryDirectory.appendingPathComponent("bench-webhooks-\(UUID())")
                defer { try? FileManager.default.removeItem(at: blobs) }
                var configuration = FileCoreConfiguration()
                configuration.webhooks.allowPrivate = true
                let core = FileCore(database: TenantDatabase(postgres: app, logger: TestDatabase.logger), blobs: try LocalBlobStore(root: blobs),
                                    configuration: configuration)
                let worker = RelayProcess(database: TestDatabase.appRole(env.config), blobs: blobs)
                defer { worker.stop() }
                // 1. Idle: one event at a time, the worker waiting (LISTEN/NOTIFY wakes it).
                let one = try await core.webhooks.create(url: "\(base)/one", topics: ["file.*"], description: nil, as: Self.admin)
                try worker.start()
                try await Task.sleep(for: .seconds(2))
                var latencies: [Double] = []
                for i in 0..<Self.idleSamples {
                    let mark = try log.size()
                    try await Self.writeEvents(core, count: 1)
                    let committed = Date().timeIntervalSince1970
                    try await eventually("idle delivery \(i)", timeout: .seconds(30)) { try log.lines(after: mark).count >= 1 }
                    latencies.append((try log.lines(after: mark)[0].at - committed) * 1000)
                    try await Task.sleep(for: .milliseconds(20))
                }
                out["idle_samples"] = latencies.count
                out["idle_commit_to_delivery_p50_ms"] = round1(Self.percentile(latencies, 0.5))
                out["idle_commit_to_delivery_p99_ms"] = round1(Self.percentile(latencies, 0.99))
                out["idle_commit_to_delivery_max_ms"] = round1(latencies.max() ?? .nan)
                // 2. One endpoint: a backlog of n events (distinct files) written with the worker stopped, then drained.
                worker.stop()
                let oneRate = try await Self.drain(core, env: env, worker: worker, log: log, events: Self.n, deliveries: Self.n)
                out["one_endpoint_events_per_s"] = round1(oneRate)
                // 3. A hundred endpoints (paths of the same receiver): n/100 events, each to all of them.
                worker.stop()
                try await core.webhooks.delete(one.id, as: Self.admin)
                for i in 0..<100 { _ = try await core.webhooks.create(url: "\(base)/e\(i)", topics: ["file.*"], description: nil, as: Self.admin) }
                let events = max(1, Self.n / 100)
                let manyRate = try await Self.drain(core, env: env, worker: worker, log: log, events: events, deliveries: events * 100)
                out["hundred_endpoints_events"] = events
                out["hundred_endpoints_deliveries_per_s"] = round1(manyRate)
                out["hundred_endpoints_events_per_s"] = round2(manyRate / 100)
            }
        }
        out["loadavg_after"] = Self.loadAverage()
        out["cores"] = ProcessInfo.processInfo.activeProcessorCount
        let data = try JSONSerialization.data(withJSONObject: out.mapValues { $0 as Any }, options: [.sortedKeys])
        let path = Self.environment["FILESTORE_WEBHOOK_BENCH_OUT"] ?? TestDatabase.repositoryRoot.appendingPathComponent("perf/webhooks-results.jsonl").path
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: data + Data("\n".utf8))
        try handle.close()
        print("webhook benchmark: \(String(decoding: data, as: UTF8.self))")
    }

    /// Writes `events` with the worker stopped, starts it and returns deliveries/s from the first to the last
    /// arrival of the `deliveries` expected (each arrival checked to be a distinct `webhook-id` and path pair, and
    /// each recorded `delivered` by the relay).
    static func drain(_ core: FileCore, env: TestEnv, worker: RelayProcess, log: ReceiverLog, events: Int, deliveries: Int) async throws -> Double {
        let mark = try log.size()
        let before = try await delivered(env)
        try await writeEvents(core, count: events)
        try worker.start()
        try await eventually("\(deliveries) deliveries", timeout: .seconds(1800)) { try log.lines(after: mark).count >= deliveries }
        let lines = try log.lines(after: mark)
        #expect(lines.count == deliveries, "every delivery once (no retries against a 2xx receiver)")
        #expect(Set(lines.map { "\($0.id) \($0.path)" }).count == deliveries)
        try await eventually("\(deliveries) recorded delivered", timeout: .seconds(60)) { try await delivered(env) - before == deliveries }
        let span = (lines.map(\.at).max() ?? 0) - (lines.map(\.at).min() ?? 0)
        return span > 0 ? Double(lines.count - 1) / span : .nan
    }

    /// `count` outbox events of as many new files of `tenant`, as the upload transaction writes them (event and
    /// relay job in one statement), in transactions of at most 100.
    static func writeEvents(_ core: FileCore, tenant: TenantID = Self.tenant, count: Int) async throws {
        let repo = FileRepository(logger: TestDatabase.logger)
        var left = count
        while left > 0 {
            let batch = min(100, left)
            try await core.database.transaction(tenant) { tx in
                try await TenantRepository(logger: TestDatabase.logger).ensureTenant(tenant, on: tx)
                for _ in 0..<batch {
                    let id = PrefixedID(.file)
                    let file = FileRecord(id: id, tenant: tenant, state: .uploaded, objectKey: try ObjectKey(tenant: tenant, file: id), originalName: "b.txt",
                                          declaredType: nil, contentType: "text/plain", size: 10, sha256: String(repeating: "a", count: 64),
                                          urlGeneration: 1, createdAt: Date(), updatedAt: Date())
                    try await repo.outbox(file, topic: "file.uploaded.v1", traceContext: nil, on: tx)
                }
            }
            left -= batch
        }
    }

    /// Deliveries the relay recorded `delivered` (of the endpoints that still exist), read as the owner.
    static func delivered(_ env: TestEnv) async throws -> Int {
        try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
            try await tx.query("SELECT set_config('app.tenant_id', 'bench', true)", logger: TestDatabase.logger)
            var n: Int64 = 0
            for try await c in try await tx.query("SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'", logger: TestDatabase.logger)
                .decode(Int64.self) { n = c }
            return Int(n)
        }
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let s = values.sorted()
        guard !s.isEmpty else { return .nan }
        return s[min(s.count - 1, max(0, Int((Double(s.count) * p).rounded(.up)) - 1))]
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    }
}

fileprivate func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }
fileprivate func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }
