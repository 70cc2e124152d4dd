import ArgumentParser
import FilestoreConfig
import Foundation
import JobKit
import Jobs

/// Flags of the workers (`work`, `dev`); each overrides its variable (`docs/CONFIGURATION.md`).
struct WorkOptions: ParsableArguments {
    @Option(help: "Queues to work, comma-separated; `name:N` sets one queue's concurrency ($FILESTORE_QUEUES, default default,scan,optimize,maintenance,webhooks).")
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
    @Flag(name: .customLong("schedule"), help: "Also stand for scheduler leader in this process ($FILESTORE_SCHEDULE).")
    var schedule = false
    @Flag(name: .customLong("durable-fetch"), help: "Fetches wait for a WAL flush too ($FILESTORE_DURABLE_FETCH). By default they do not: a fetch lost in a database crash only makes its jobs run again, and every later durable commit flushes it. Enqueues and outcomes are always durable.")
    var durableFetch = false

    var flags: [String: String] {
        [
            "FILESTORE_QUEUES": queues, "FILESTORE_BLOB_DIR": workerBlobDir, "FILESTORE_CONCURRENCY": concurrency,
            "FILESTORE_OPS_PORT": httpPort, "FILESTORE_OPS_HOST": httpHost, "FILESTORE_SHUTDOWN_GRACE": shutdownGrace,
            "FILESTORE_POLL_INTERVAL_MS": pollIntervalMS, "FILESTORE_LEASE_SECONDS": leaseSeconds,
            "FILESTORE_MAINTENANCE": noMaintenance ? "false" : nil, "FILESTORE_DURABLE_FETCH": durableFetch ? "true" : nil,
            "FILESTORE_SCHEDULE": schedule ? "true" : nil,
        ].compactMapValues { $0 }
    }
}

struct WorkCommand: ConfiguredCommand {
    static let configuration = CommandConfiguration(commandName: "work", abstract: "Run job workers (and stand for maintenance leader).")
    @OptionGroup var db: DatabaseOptions
    @OptionGroup var options: WorkOptions

    var flags: [String: String] { db.flags.adding(options.flags) }

    func run(configuration: FilestoreConfiguration) async throws {
        // The scanner and libvips are loaded only by processes that work the scan and optimize queues.
        var process = FilestoreProcess(configuration: configuration, runsWorkers: true, servesAPI: false, registry: JobRegistry.filestore(),
                                       metrics: bootstrapMetrics())
        process.runsScheduler = configuration.scheduler.hostInWorker
        try await reportingErrors { try await process.run() }
    }
}
