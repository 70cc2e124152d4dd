import ArgumentParser
import Foundation
import JobKit
import Logging
import PostgresNIO

/// The SRE console benchmark: a fresh database with `--jobs` jobs (most finished, as a busy queue's table holds
/// them before pruning; spread over 8 queues, 6 kinds, 50 tenants, every state), then a real `filestore serve`
/// and, through one keep-alive curl, the console's pages as an operator opens them: the overview (every queue's
/// depth by state, rollups) and filtered searches (state + queue + kind; args containment; tenant). Reports
/// p50/p95/max per page (curl's `time_total`: request sent to last byte). Then a bulk retry of 100,000 finished
/// jobs through the admin API (the console's batched runner, at its default rate) while a `filestore work`
/// process drains a noop queue: that queue's completions per second before and during the run. One JSON line.
struct BenchConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "console", abstract: "Render times of the SRE console with a large job table (one JSON line).")

    @Option var jobs = 1_000_000
    @Option(help: "Requests per page measured (after 5 warm-up requests).") var requests = 60
    @Option var label = "filestore"
    @Option(name: .customLong("dsn-base"), help: "Server URL without database (default $BENCH_DSN_BASE, else the test cluster).")
    var dsnBase: String?
    @Option(help: "Database name used (dropped and created).") var database = "filestore_bench_console"
    @Option(name: .customLong("port")) var port = 18_480
    @Option(name: .customLong("other-jobs"), help: "Noop jobs a worker drains beside the bulk run.") var otherJobs = 300_000
    @OptionGroup var product: ProductOptions

    func run() async throws {
        let base = dsnBase ?? ProcessInfo.processInfo.environment["BENCH_DSN_BASE"] ?? "postgresql://filestore@127.0.0.1:5544"
        let server = try DatabaseConfiguration(url: base.hasSuffix("/") ? base + "postgres" : base + "/postgres")
        let binary = try product.executable()
        let db = try await BenchSupport.freshDatabase(database, on: server, product: binary)
        let start = Date()
        try await BenchSupport.withPostgres(db) { postgres in try await fill(postgres) }
        BenchSupport.log("console bench: \(jobs) jobs loaded in \(Int(Date().timeIntervalSince(start))) s")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("bench-console-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        var env = ProcessInfo.processInfo.environment
        env["LOG_LEVEL"] = "warning"
        env["DATABASE_URL"] = db.url
        env["FILESTORE_JWT_KEYS"] = "b1=" + String(repeating: "bench-console-", count: 3)
        env["FILESTORE_URL_KEYS"] = "u1=" + String(repeating: "bench-url-", count: 4)
        env["FILESTORE_BLOB_DIR"] = work.appendingPathComponent("blobs").path
        env["FILESTORE_RATE_LIMITS"] = "off"
        let token = try BenchSupport.output(binary.path, ["token", "issue", "--tenant", "ops", "--scope", "jobs:read", "--ttl", "1h", "--subject", "bench"],
                                            environment: env, check: true)
        let serve = Process()
        serve.executableURL = binary
        serve.arguments = ["serve", "--api-port", "\(port)"]
        serve.environment = env
        serve.standardOutput = FileHandle.standardError
        try serve.run()
        defer { serve.terminate(); serve.waitUntilExit() }
        let root = "http://127.0.0.1:\(port)"
        try await BenchSupport.waitUntilReady(root + "/readyz", seconds: 60)
        func enc(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }
        // The filtered searches an operator makes; each matches jobs (the last one page of them, the rest
        // more than a page). `unindexed_args_any_state` is the expensive kind the console caps (informational).
        let pages: [(String, String)] = [
            ("overview", "/admin"),
            ("api_overview", "/admin/api/overview"),
            ("search_discarded_by_args", "/admin/jobs?state=discarded&args=" + enc(#"{"file_id": "med_500088"}"#)),
            ("search_discarded_queue", "/admin/jobs?state=discarded&queue=q3"),
            ("search_available_queue", "/admin/jobs?state=available&queue=q1"),
            ("search_kind_tenant", "/admin/jobs?kind=scan&tenant=t10"),
            ("search_args_recent", "/admin/jobs?args=" + enc(#"{"bucket": 7}"#)),
            ("dlq", "/admin/dlq"),
            ("job", "/admin/jobs/500088"),
            ("unindexed_args_any_state", "/admin/jobs?args=" + enc(#"{"file_id": "med_777"}"#)),
        ]
        var result: [String: Any] = ["benchmark": "console", "label": label, "jobs": jobs, "requests": requests,
                                     "cores": ProcessInfo.processInfo.activeProcessorCount]
        // Other work on the machine skews the figures: say how busy it was (1-minute load average, from /proc/loadavg).
        func load() -> Double { Double((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first ?? "") ?? -1 }
        result["loadavg_1m_before_pages"] = load()
        var summary: [String: Any] = [:]
        for (name, path) in pages {
            let times = try measure(root + path, token: token)
            let sorted = times.sorted()
            func pct(_ p: Double) -> Double { (sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)] * 10).rounded() / 10 }
            summary[name] = ["p50_ms": pct(0.5), "p95_ms": pct(0.95), "max_ms": (sorted.last! * 10).rounded() / 10, "path": path]
            BenchSupport.log("console bench: \(name) p50 \(pct(0.5)) ms p95 \(pct(0.95)) ms")
        }
        result["pages"] = summary
        result["loadavg_1m_after_pages"] = load()
        result["targets"] = ["overview_and_filtered_search_p95_ms": "< 200"]
        let gated = ["overview", "search_discarded_by_args", "search_discarded_queue", "search_available_queue", "search_kind_tenant"]
        result["targets_met"] = gated.allSatisfy { ((summary[$0] as? [String: Any])?["p95_ms"] as? Double ?? .infinity) < 200 }
        result["bulk"] = try await bulk(root: root, env: env, binary: binary, db: db)
        let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// A bulk retry of `bulkJobs` finished jobs through the admin API (the console's batched runner) while a
    /// `filestore work` process drains a noop queue: that queue's completions per second before and during it.
    private func bulk(root: String, env: [String: String], binary: URL, db: DatabaseConfiguration) async throws -> [String: Any] {
        let admin = try BenchSupport.output(binary.path, ["token", "issue", "--tenant", "ops", "--scope", "jobs:admin", "--ttl", "1h", "--subject", "bench"],
                                            environment: env, check: true)
        try await BenchSupport.withPostgres(db) { postgres in
            try await postgres.query("""
                INSERT INTO jobkit.jobs (queue, kind, args) SELECT 'other', 'noop', '{}' FROM generate_series(1, \(otherJobs))
                """, logger: BenchSupport.quietLogger)
        }
        var workEnv = env
        workEnv["FILESTORE_QUEUES"] = "other:16"
        let work = Process()
        work.executableURL = binary
        work.arguments = ["work"]
        work.environment = workEnv
        work.standardOutput = FileHandle.standardError
        try work.run()
        defer { work.terminate(); work.waitUntilExit() }
        func completed() async throws -> Int {
            try await BenchSupport.withPostgres(db) { postgres in
                let rows = try await postgres.query("SELECT count(*)::int8 FROM jobkit.jobs WHERE queue = 'other' AND state = 'completed'",
                                                    logger: BenchSupport.quietLogger)
                for try await n in rows.decode(Int64.self) { return Int(n) }
                return 0
            }
        }
        func rate(for seconds: Double) async throws -> Double {
            let a = try await completed(), t = Date()
            try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
            return Double(try await completed() - a) / Date().timeIntervalSince(t)
        }
        try await Task.sleep(for: .seconds(3))  // the worker up and running
        let before = try await rate(for: 5)
        let body = #"{"action": "retry", "filter": {"state": "completed", "kind": "scan"}, "dry_run": false}"#
        let started = Date()
        let answer = try BenchSupport.output("/usr/bin/curl", ["-s", "-X", "POST", "-H", "Authorization: Bearer \(admin)", "-H", "Content-Type: application/json",
                                                               "--data", body, root + "/admin/api/jobs/bulk"], check: true)
        guard let auditID = (try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any])?["audit_id"] as? Int else {
            throw BenchError("bulk run refused: \(answer)")
        }
        var during: [Double] = []
        var done = 0
        while true {
            during.append(try await rate(for: 2))
            let status = try await BenchSupport.withPostgres(db) { postgres -> (String, Int) in
                let rows = try await postgres.query("SELECT status, done FROM console.audit WHERE id = \(auditID)", logger: BenchSupport.quietLogger)
                for try await (s, d) in rows.decode((String, Int32).self) { return (s, Int(d)) }
                return ("?", 0)
            }
            done = status.1
            if status.0 != "running" || Date().timeIntervalSince(started) > 300 { break }
        }
        let seconds = Date().timeIntervalSince(started)
        let duringRate = during.reduce(0, +) / Double(max(1, during.count))
        BenchSupport.log("console bench: bulk retry of \(done) jobs in \(Int(seconds)) s; other queue \(Int(before))/s before, \(Int(duringRate))/s during")
        return ["jobs": done, "seconds": (seconds * 10).rounded() / 10, "jobs_per_s": (Double(done) / seconds).rounded(),
                "other_queue_completions_per_s_before": before.rounded(), "other_queue_completions_per_s_during": duringRate.rounded(),
                "other_queue_ratio": ((duringRate / max(before, 1)) * 100).rounded() / 100]
    }

    /// `requests` timed GETs of `url` over one keep-alive connection (after 5 untimed), in milliseconds.
    private func measure(_ url: String, token: String) throws -> [Double] {
        let args = ["-s", "-H", "Authorization: Bearer \(token)", "-w", "%{http_code} %{time_total}\n"]
            + Array(repeating: ["-o", "/dev/null", url], count: requests + 5).flatMap { $0 }
        let out = try BenchSupport.output("/usr/bin/curl", args, check: true)
        let lines = out.split(separator: "\n").map { $0.split(separator: " ") }
        guard lines.allSatisfy({ $0.first == "200" }) else { throw BenchError("\(url) answered \(lines.map { $0.first ?? "?" }.prefix(10).joined(separator: ","))") }
        return lines.dropFirst(5).compactMap { Double($0[1]) }.map { $0 * 1000 }
    }

    /// The job table: `jobs` rows over 8 queues and 6 kinds; 86% completed, 5% discarded, 4% available,
    /// 2% scheduled, 2% cancelled, 1% retryable; args with a unique `file_id` and a `bucket` of 100.
    private func fill(_ postgres: PostgresClient) async throws {
        let logger = BenchSupport.quietLogger
        let chunk = 100_000
        var done = 0
        while done < jobs {
            let n = min(chunk, jobs - done)
            try await postgres.query("""
                INSERT INTO jobkit.jobs (queue, kind, args, state, attempt, max_attempts, created_at, scheduled_at, finalized_at, errors, tenant_id, tags)
                SELECT 'q' || (i % 8), (ARRAY['scan','optimize','relay','purge','noop','sweep'])[1 + i % 6],
                       jsonb_build_object('file_id', 'med_' || i, 'bucket', i % 100, 'size', i % 5000),
                       s.state::jobkit.job_state, CASE WHEN s.state IN ('discarded', 'retryable') THEN 3 ELSE 1 END, 3,
                       now() - make_interval(secs => (\(jobs) - i) * 0.5), now() - make_interval(secs => (\(jobs) - i) * 0.5)
                         + CASE WHEN s.state = 'scheduled' THEN interval '1 hour' ELSE interval '0' END,
                       CASE WHEN s.state IN ('completed', 'cancelled', 'discarded') THEN now() - make_interval(secs => (\(jobs) - i) * 0.5) END,
                       CASE WHEN s.state IN ('discarded', 'retryable')
                         THEN jsonb_build_array(jsonb_build_object('at', now(), 'attempt', 3, 'error', 'error ' || (i % 7))) ELSE '[]' END,
                       't' || (i % 50), ARRAY['bench']
                FROM generate_series(\(done + 1), \(done + n)) i,
                LATERAL (SELECT CASE WHEN i % 100 < 86 THEN 'completed' WHEN i % 100 < 91 THEN 'discarded' WHEN i % 100 < 95 THEN 'available'
                                     WHEN i % 100 < 97 THEN 'scheduled' WHEN i % 100 < 99 THEN 'cancelled' ELSE 'retryable' END AS state) s
                """, logger: logger)
            done += n
        }
        try await postgres.query("VACUUM ANALYZE jobkit.jobs", logger: logger)
    }
}
