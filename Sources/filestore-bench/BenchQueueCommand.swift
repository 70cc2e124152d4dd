import ArgumentParser
import Foundation
import JobKit
import Logging
import PostgresNIO

/// The queue benchmark, following the protocol of `shared/bench/peers/README.md` so that it runs beside
/// PgQueuer, Procrastinate, Oban and Chancy in one `run_all.sh`: fresh database, timed bulk enqueue of N
/// no-op jobs, ANALYZE + CHECKPOINT, P worker processes from "go" until SQL shows N completed, verification,
/// per-job database cost, then a latency phase (200 jobs at 50/s, enqueue→start). Prints one JSON line.
/// The workers are `filestore-bench queue-worker` processes working ``BenchNoop`` jobs; the fresh databases
/// are migrated by `filestore migrate` (``ProductOptions``).
struct BenchQueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queue", abstract: "Throughput and latency of the job queue (one JSON line).")

    @Option var n = 20_000
    @Option(help: "Processing-phase timeout in seconds.") var timeout = 240.0
    @Option(name: .customLong("lat-jobs")) var latJobs = 200
    @Option(name: .customLong("lat-rate")) var latRate = 50.0
    @Option var label = "filestore"
    @Option(help: "Worker processes.") var procs = 1
    @Option(help: "Concurrency (slots) per worker process.") var concurrency = 1000
    @Option(name: .customLong("dsn-base"), help: "Server URL without database (default $PEER_DSN_BASE, else the peers' cluster).")
    var dsnBase: String?
    @Option(help: "Database name used (dropped and created for each phase).") var database = "filestore_bench"
    @Flag(name: .customLong("no-latency")) var noLatency = false
    @Flag(name: .customLong("durable-fetch"), help: "Workers' fetches wait for a WAL flush too (see `filestore work --help`).") var durableFetch = false
    @OptionGroup var product: ProductOptions

    func run() async throws {
        let base = dsnBase ?? ProcessInfo.processInfo.environment["PEER_DSN_BASE"] ?? "postgresql://postgres@127.0.0.1:5433"
        let server = try DatabaseConfiguration(url: base.hasSuffix("/") ? base + "postgres" : base + "/postgres")
        let product = try self.product.executable()
        var out: [String: Any] = ["peer": "filestore", "version": "jobkit-0.1", "label": label]
        do {
            out.merge(try await throughput(server: server, product: product)) { $1 }
        } catch {
            out["error"] = "throughput: \(error)"
        }
        if !noLatency {
            do { out.merge(try await latency(server: server, product: product)) { $1 } } catch { out["lat_error"] = "\(error)" }
        }
        out["settings"] = ["worker_processes": procs, "concurrency_per_process": concurrency, "language": "swift",
                           "completer": "batched", "fetch": "skip locked, slot-sized",
                           "fetch_commit": durableFetch ? "durable" : "asynchronous (enqueues and outcomes durable)"]
        out["env"] = ["cpus": ProcessInfo.processInfo.activeProcessorCount, "pg": "\(server.host):\(server.port)"]
        let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    // MARK: Phases

    private func throughput(server: DatabaseConfiguration, product: URL) async throws -> [String: Any] {
        let db = try await BenchSupport.freshDatabase(database, on: server, product: product)
        return try await BenchSupport.withPostgres(db) { postgres in
            let client = JobClient(postgres: postgres, logger: BenchSupport.quietLogger)
            let insert = try BenchNoop().insert()
            let jobs = Array(repeating: insert, count: n)
            let t0 = ContinuousClock.now
            let inserted = try await client.enqueueMany(jobs)
            let enqueueSeconds = (ContinuousClock.now - t0).seconds
            BenchSupport.log("enqueued \(inserted)/\(n) in \(String(format: "%.3f", enqueueSeconds))s")
            try await postgres.query("ANALYZE")
            try await postgres.query("CHECKPOINT")
            try await Task.sleep(for: .milliseconds(500))
            let before = try await DatabaseCounters.read(postgres)

            let start = Date()
            let workers = try startWorkers(db)
            var processSeconds: Double?
            var completed = 0
            var polls = 0
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                completed = try await postgres.scalarInt("SELECT count(*)::int8 FROM jobkit.jobs WHERE state = 'completed'")
                polls += 1
                if completed >= n { processSeconds = Date().timeIntervalSince(start); break }
                if workers.allSatisfy({ !$0.isRunning }) { break }
                // Counting N rows is not free: poll rarely while far from done, every 20 ms near the end
                // (the peers' harness polls every 0.5 s until its handlers are done, then every 20 ms).
                let elapsed = Date().timeIntervalSince(start)
                let rate = Double(completed) / max(elapsed, 0.001)
                let remaining = rate > 0 ? Double(n - completed) / rate : 0.5
                try await Task.sleep(for: .milliseconds(Int64(max(20, min(500, remaining * 1000 / 2)))))
            }
            let reports = try await stopWorkers(workers)
            try await Task.sleep(for: .milliseconds(500))
            let after = try await DatabaseCounters.read(postgres)
            let completedFinal = try await postgres.scalarInt("SELECT count(*)::int8 FROM jobkit.jobs WHERE state = 'completed'")
            var histogram: [String: Int] = [:]
            for try await (state, count) in try await postgres.query("SELECT state::text, count(*)::int8 FROM jobkit.jobs GROUP BY 1").decode((String, Int64).self) {
                histogram[state] = Int(count)
            }
            let calls = reports.map(\.handlerCalls).reduce(0, +)
            var result: [String: Any] = [
                "n": n, "queued_after_enqueue": inserted,
                "enqueue_s": round4(enqueueSeconds), "enqueue_per_s": round1(Double(n) / enqueueSeconds),
                "handlers_s": NSNull(),
                "process_s": processSeconds.map(round4) ?? NSNull(),
                "jobs_per_s": processSeconds.map { round1(Double(n) / $0) } ?? NSNull(),
                "handler_calls": calls, "completed_rows": completedFinal,
                "complete": processSeconds != nil && completedFinal == n && calls == n,
                "state_histogram": histogram,
                "worker_peak_rss_kb": reports.map(\.peakRSSKB),
                "db_commits_per_job": round3(Double(after.commits - before.commits - polls) / Double(n)),
                "db_rollbacks": after.rollbacks - before.rollbacks,
                "wal_bytes_per_job": round1(Double(after.walBytes - before.walBytes) / Double(n)),
                "wal_records_per_job": round2(Double(after.walRecords - before.walRecords) / Double(n)),
                "wal_syncs_per_job": round4(Double(after.walSyncs - before.walSyncs) / Double(n)),
                "wal_fpi": after.walFPI - before.walFPI,
            ]
            if processSeconds == nil {
                result["error"] = "timeout/incomplete: \(completed)/\(n) completed"
            }
            return result
        }
    }

    private func latency(server: DatabaseConfiguration, product: URL) async throws -> [String: Any] {
        let db = try await BenchSupport.freshDatabase(database, on: server, product: product)
        return try await BenchSupport.withPostgres(db) { postgres in
            let client = JobClient(postgres: postgres, logger: BenchSupport.quietLogger)
            let workers = try startWorkers(db)
            // Warm-up job: the workers are up once it has run.
            try await client.enqueue(try BenchNoop().insert())
            let warmDeadline = Date().addingTimeInterval(30)
            while Date() < warmDeadline, try await postgres.scalarInt("SELECT count(*)::int8 FROM jobkit.jobs WHERE state = 'completed'") < 1 {
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .milliseconds(500))
            let start = ContinuousClock.now
            for i in 0..<latJobs {
                let target = start + .milliseconds(Int64(Double(i) / latRate * 1000))
                if target > ContinuousClock.now { try await Task.sleep(until: target) }
                let ts = Date().timeIntervalSince1970
                try await client.enqueue(try BenchNoop(sent_at: ts).insert())
            }
            let sendSeconds = (ContinuousClock.now - start).seconds
            let doneDeadline = Date().addingTimeInterval(30)
            while Date() < doneDeadline, try await postgres.scalarInt("SELECT count(*)::int8 FROM jobkit.jobs WHERE state = 'completed'") < latJobs + 1 {
                try await Task.sleep(for: .milliseconds(10))
            }
            let reports = try await stopWorkers(workers)
            let lats = reports.flatMap(\.latenciesMS).sorted()
            func pct(_ q: Double) -> Any {
                guard !lats.isEmpty else { return NSNull() }
                let k = Double(lats.count - 1) * q
                let lo = Int(k), hi = min(lo + 1, lats.count - 1)
                return round2(lats[lo] + (lats[hi] - lats[lo]) * (k - Double(lo)))
            }
            return [
                "lat_jobs": latJobs, "lat_rate_per_s": latRate, "lat_send_s": round3(sendSeconds), "lat_started": lats.count,
                "lat_p50_ms": pct(0.5), "lat_p99_ms": pct(0.99), "lat_max_ms": lats.last.map(round2) ?? NSNull(),
                "lat_mean_ms": lats.isEmpty ? NSNull() : round2(lats.reduce(0, +) / Double(lats.count)),
                "lat_worker_peak_rss_kb": reports.map(\.peakRSSKB),
            ]
        }
    }

    // MARK: Workers

    struct Report { var handlerCalls: Int; var peakRSSKB: Int; var latenciesMS: [Double] }

    /// Starts `procs` `queue-worker` processes; only the first stands for maintenance leader.
    private func startWorkers(_ db: DatabaseConfiguration) throws -> [BenchChild] {
        var env = ProcessInfo.processInfo.environment
        env["LOG_LEVEL"] = "warning"
        return try (0..<procs).map { i in
            try BenchChild(BenchSupport.executable,
                           ["queue-worker", "--database-url", db.url + "?pool_max=8", "--concurrency", "\(concurrency)"]
                               + (i == 0 ? [] : ["--no-maintenance"]) + (durableFetch ? ["--durable-fetch"] : []),
                           environment: env, captureOutput: true)
        }
    }

    /// Stops every worker at once and reads their ``QueueWorkerReport``s.
    private func stopWorkers(_ workers: [BenchChild]) async throws -> [Report] {
        for w in workers { w.terminate() }
        return workers.map { w in
            let json = w.stop().json
            return Report(handlerCalls: json["handler_calls"] as? Int ?? 0, peakRSSKB: json["peak_rss_kb"] as? Int ?? 0,
                          latenciesMS: (json["latencies_ms"] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? [])
        }
    }
}
