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

/// The compliance benchmark, run by `scripts/bench-compliance.sh` (which writes `perf/baseline.json` key
/// `compliance`): a subject with `FILESTORE_COMPLIANCE_BENCH_N` files (default 10,000; 1 KiB each, uploaded through
/// the application layer, so each has its bytes, subject row, audit and outbox events and a queued scan job) is
/// erased by the real `dsr.erase` handler on a JobKit worker — files erased per second, from the job's start to its
/// signed receipt; then as many files whose retention expired are swept by the real `retention.sweep` handler —
/// files deleted per second. Environment: `FILESTORE_COMPLIANCE_BENCH=1`, `FILESTORE_COMPLIANCE_BENCH_N`,
/// `FILESTORE_COMPLIANCE_BENCH_OUT` (the JSON line, appended; default `perf/compliance-results.jsonl`).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["FILESTORE_COMPLIANCE_BENCH"] == "1"))
struct ComplianceBenchmark {
    static let environment = ProcessInfo.processInfo.environment
    static var n: Int { Int(environment["FILESTORE_COMPLIANCE_BENCH_N"] ?? "") ?? 10_000 }
    static let tenant = try! TenantID("bench")
    static let dpo = Identity(subject: "dpo", tenant: tenant, scopes: [.complianceAdmin, .filesRead])

    /// Uploads `count` files as `subject` (8 at a time), with retention class `retention` if given.
    static func files(_ core: FileCore, count: Int, subject: String, retention: String? = nil) async throws {
        let identity = Identity(subject: subject, tenant: tenant, scopes: [.filesWrite])
        let body = ByteBuffer(repeating: 0x61, count: 1024)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<8 {
                group.addTask {
                    for i in stride(from: lane, to: count, by: 8) {
                        let bytes = AsyncStream<ByteBuffer> { $0.yield(body); $0.finish() }
                        _ = try await core.uploads.upload(bytes, as: identity, .init(originalName: "\(subject)-\(i).txt", retentionClass: retention))
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func erasureAndSweepRates() async throws {
        let n = Self.n
        var out: [String: any Sendable] = ["at": ISO8601DateFormatter().string(from: Date()), "n": n, "build": "debug (swift test)",
                                           "batch": ComplianceConfiguration().erasureBatchSize]
        try await TestDatabase.with { env in
            try await TestDatabase.withClient(TestDatabase.appRole(env.config)) { app in
                try await TestDatabase.withClient(TestDatabase.systemRole(env.config)) { systemPostgres in
                    let root = FileManager.default.temporaryDirectory.appendingPathComponent("bench-compliance-\(UUID())")
                    defer { try? FileManager.default.removeItem(at: root) }
                    var configuration = FileCoreConfiguration()
                    configuration.compliance.keys = try ComplianceKeys([("bench", String(repeating: "b", count: 40))])
                    let core = FileCore(database: TenantDatabase(postgres: app, logger: TestDatabase.logger), blobs: try LocalBlobStore(root: root),
                                        configuration: configuration)
                    let system = SystemDatabase(postgres: systemPostgres, logger: TestDatabase.logger)
                    let clock = ContinuousClock()
                    // Erasure of one subject's n files.
                    var t0 = clock.now
                    try await Self.files(core, count: n, subject: "subject-1")
                    out["setup_uploads_seconds"] = Self.seconds(clock.now - t0)
                    _ = try await env.postgres.query("ANALYZE")
                    let (request, _) = try await core.erasure.request(.init(subjectID: "subject-1", reason: "benchmark"), as: Self.dpo, requestID: nil)
                    var registry = JobRegistry()
                    registry.register(ErasureWorker(core: core))
                    registry.register(RetentionSweepWorker(core: core, system: system))
                    try await env.withWorker(registry, TestEnv.fastWorker(queues: [.init("maintenance")])) { (_: JobWorkerService) async throws in
                        try await eventually("the erasure finished", timeout: .seconds(3600)) {
                            try await core.erasure.get(request.id, as: Self.dpo).state.isFinished
                        }
                    }
                    let done = try await core.erasure.get(request.id, as: Self.dpo)
                    let erasureSeconds = done.finishedAt!.timeIntervalSince(done.startedAt!)
                    #expect(done.state == .completed && done.filesErased == n)
                    out["erasure_seconds"] = erasureSeconds
                    out["erasure_files_per_second"] = Double(n) / erasureSeconds
                    out["receipt_bytes"] = done.receipt?.utf8.count ?? 0
                    // The retention sweep over n expired files.
                    _ = try await core.retention.define(RetentionClass(name: "bench_short", durationMonths: 1), as: Self.dpo, requestID: nil)
                    t0 = clock.now
                    try await Self.files(core, count: n, subject: "subject-2", retention: "bench_short")
                    out["setup_sweep_uploads_seconds"] = Self.seconds(clock.now - t0)
                    try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                        try await tx.query("SELECT set_config('app.tenant_id', 'bench', true)", logger: TestDatabase.logger)
                        try await tx.query("ALTER TABLE files DISABLE TRIGGER files_retention_guard", logger: TestDatabase.logger)
                        try await tx.query("UPDATE files SET retain_until = now() - interval '1 day' WHERE retention_class = 'bench_short'", logger: TestDatabase.logger)
                        try await tx.query("ALTER TABLE files ENABLE TRIGGER files_retention_guard", logger: TestDatabase.logger)
                    }
                    _ = try await env.postgres.query("ANALYZE")
                    let job = try await env.client.enqueue(SweepRetention())
                    try await env.withWorker(registry, TestEnv.fastWorker(queues: [.init("maintenance", concurrency: 1)])) { (_: JobWorkerService) async throws in
                        try await eventually("the sweep finished", timeout: .seconds(3600)) { try await env.client.job(id: job.id).state == .completed }
                    }
                    let swept = try await env.client.job(id: job.id)
                    let sweepSeconds = swept.finalizedAt!.timeIntervalSince(swept.attemptedAt!)
                    out["sweep_seconds"] = sweepSeconds
                    out["sweep_files_per_second"] = Double(n) / sweepSeconds
                }
            }
        }
        let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
        let path = Self.environment["FILESTORE_COMPLIANCE_BENCH_OUT"] ?? "perf/compliance-results.jsonl"
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(data + Data("\n".utf8))
        } else {
            try (data + Data("\n".utf8)).write(to: URL(fileURLWithPath: path))
        }
        print(String(decoding: data, as: UTF8.self))
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}
