import ArgumentParser
import FilestoreConfig
import Foundation
import JobKit
import Jobs
import Synchronization

/// Flags of the workers (`work`, `dev`); each overrides its variable (`docs/CONFIGURATION.md`).
struct WorkOptions: ParsableArguments {
    @Option(help: "Queues to work, comma-separated; `name:N` sets one queue's concurrency ($FILESTORE_QUEUES, default default,scan,optimize,maintenance).")
    var queues: String?
    @Option(name: .customLong("worker-blob-dir"), help: "The blob store the pipeline reads ($FILESTORE_BLOB_DIR, default .data/blobs).")
    var workerBlobDir: String?
    @Option(help: "Jobs run at once per queue in this process ($FILESTORE_CONCURRENCY, default 10).")
    var concurrency: String?
    @Option(name: .customLong("http-port"), help: "Port of /healthz, /readyz and /metrics, 0 disables ($FILESTORE_OPS_PORT, default 9464).")
    var httpPort: String?
    @Option(name: .customLong("http-host"), help: "Address the ops endpoints listen on ($FILESTORE_OPS_HOST, default 127.0.0.1).")
    var httpHost: String?
    @Option(name: .customLong("shutdown-grace"), help: "Seconds running jobs get to finish on SIGTERM ($FILESTORE_SHUTDOWN_GRACE, default 25).")
    var shutdownGrace: String?
    @Option(name: .customLong("poll-interval-ms"), help: "Fallback poll interval when no NOTIFY arrives ($FILESTORE_POLL_INTERVAL_MS, default 1000).")
    var pollIntervalMS: String?
    @Option(name: .customLong("lease-seconds"), help: "Lease of a fetched job without heartbeat ($FILESTORE_LEASE_SECONDS, default 60).")
    var leaseSeconds: String?
    @Flag(name: .customLong("no-maintenance"), help: "Never stand for maintenance leader in this process ($FILESTORE_MAINTENANCE=false).")
    var noMaintenance = false
    @Flag(name: .customLong("durable-fetch"), help: "Fetches wait for a WAL flush too ($FILESTORE_DURABLE_FETCH). By default they do not: a fetch lost in a database crash only makes its jobs run again, and every later durable commit flushes it. Enqueues and outcomes are always durable.")
    var durableFetch = false
    @Flag(name: .customLong("report-json"), help: .hidden) var reportJSON = false

    var flags: [String: String] {
        [
            "FILESTORE_QUEUES": queues, "FILESTORE_BLOB_DIR": workerBlobDir, "FILESTORE_CONCURRENCY": concurrency,
            "FILESTORE_OPS_PORT": httpPort, "FILESTORE_OPS_HOST": httpHost, "FILESTORE_SHUTDOWN_GRACE": shutdownGrace,
            "FILESTORE_POLL_INTERVAL_MS": pollIntervalMS, "FILESTORE_LEASE_SECONDS": leaseSeconds,
            "FILESTORE_MAINTENANCE": noMaintenance ? "false" : nil, "FILESTORE_DURABLE_FETCH": durableFetch ? "true" : nil,
        ].compactMapValues { $0 }
    }
}

/// Counts handler starts and collects bench latencies for `--report-json`.
final class WorkReport: Sendable {
    let calls = Atomic<Int>(0)
    let latencies = Mutex<[Double]>([])

    func record(_ latency: Double?) {
        calls.wrappingAdd(1, ordering: .relaxed)
        if let latency { latencies.withLock { $0.append(latency) } }
    }

    func json() -> String {
        let lats = latencies.withLock { $0 }.map { String(format: "%.3f", $0 * 1000) }.joined(separator: ",")
        return "{\"handler_calls\":\(calls.load(ordering: .relaxed)),\"peak_rss_kb\":\(peakRSSKilobytes()),\"latencies_ms\":[\(lats)]}"
    }
}

/// The process's peak resident set (VmHWM) in KiB, from /proc.
func peakRSSKilobytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
    }
    return 0
}

struct WorkCommand: ConfiguredCommand {
    static let configuration = CommandConfiguration(commandName: "work", abstract: "Run job workers (and stand for maintenance leader).")
    @OptionGroup var db: DatabaseOptions
    @OptionGroup var options: WorkOptions

    var flags: [String: String] { db.flags.adding(options.flags) }

    func run(configuration: FilestoreConfiguration) async throws {
        let report = WorkReport()
        var registry = JobRegistry.filestore()
        registry.register(BenchNoopWorker(report: report))
        // The scanner and libvips are loaded only by processes that work the scan and optimize queues.
        let process = FilestoreProcess(configuration: configuration, runsWorkers: true, servesAPI: false, registry: registry,
                                       metrics: bootstrapMetrics())
        try await reportingErrors { try await process.run() }
        if options.reportJSON { print(report.json()) }
    }
}
/// The `noop` kind as `work --report-json` runs it for the queue benchmark: ``NoopWorker``'s behaviour, plus the
/// enqueue-to-start latency of jobs whose args carry `bench_ts` (the enqueuer's clock, seconds since 1970).
/// Bench-only, so it lives here and not in JobKit (until the benchmarks get a kind of their own).
struct BenchNoopWorker: JobWorker {
    struct Args: JobArgs {
        static var kind: String { Noop.kind }
        var sleep_ms: Int?
        var fail_times: Int?
        var bench_ts: Double?
    }
    let report: WorkReport
    let noop = NoopWorker()
    var options: JobWorkerOptions { noop.options }

    func work(_ job: Job<Args>) async throws {
        report.record(job.args.bench_ts.map { Date().timeIntervalSince1970 - $0 })
        if let ms = job.args.sleep_ms, ms > 0 { try await Task.sleep(for: .milliseconds(ms)) }
        if let failures = job.args.fail_times, job.attempt <= failures {
            throw CLIError("noop failure \(job.attempt) of \(failures) (fail_times)")
        }
    }
}
