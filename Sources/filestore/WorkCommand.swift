import ArgumentParser
import Foundation
import JobKit
import Jobs

struct WorkOptions: ParsableArguments {
    @Option(help: "Queues to work, comma-separated; `name:N` sets one queue's concurrency.")
    var queues = "default,scan,optimize,maintenance"
    @Option(name: .customLong("worker-blob-dir"), help: "The blob store the scanner reads (default $FILESTORE_BLOB_DIR, else .data/blobs).")
    var workerBlobDir = ProcessInfo.processInfo.environment["FILESTORE_BLOB_DIR"] ?? ".data/blobs"
    @Option(help: "Jobs run at once per queue in this process.")
    var concurrency = 10
    @Option(name: .customLong("http-port"), help: "Port of /healthz, /readyz and /metrics (0 disables).")
    var httpPort = 9464
    @Option(name: .customLong("http-host"), help: "Address the ops endpoints listen on.")
    var httpHost = "127.0.0.1"
    @Option(name: .customLong("shutdown-grace"), help: "Seconds running jobs get to finish on SIGTERM.")
    var shutdownGrace = 25.0
    @Option(name: .customLong("poll-interval-ms"), help: "Fallback poll interval when no NOTIFY arrives.")
    var pollIntervalMS = 1000
    @Option(name: .customLong("lease-seconds"), help: "Lease of a fetched job without heartbeat.")
    var leaseSeconds = 60.0
    @Flag(name: .customLong("no-maintenance"), help: "Never stand for maintenance leader in this process.")
    var noMaintenance = false
    @Flag(name: .customLong("durable-fetch"), help: "Fetches wait for a WAL flush too. By default they do not: a fetch lost in a database crash only makes its jobs run again, and every later durable commit flushes it. Enqueues and outcomes are always durable.")
    var durableFetch = false

    func workerConfiguration() throws -> JobWorkerConfiguration {
        guard concurrency > 0 else { throw ValidationError("--concurrency must be positive") }
        guard shutdownGrace >= 0, leaseSeconds >= 1, pollIntervalMS >= 10 else {
            throw ValidationError("--shutdown-grace must be >= 0, --lease-seconds >= 1, --poll-interval-ms >= 10")
        }
        let lease = Duration.milliseconds(Int64(leaseSeconds * 1000))
        return JobWorkerConfiguration(
            queues: try parseQueues(queues, defaultConcurrency: concurrency),
            pollInterval: .milliseconds(pollIntervalMS),
            leaseDuration: lease,
            heartbeatInterval: lease / 6,
            shutdownGracePeriod: .milliseconds(Int64(shutdownGrace * 1000)),
            maintenance: noMaintenance ? nil : MaintenanceConfiguration()
        )
    }
}

struct WorkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "work", abstract: "Run job workers (and stand for maintenance leader).")
    @OptionGroup var db: DatabaseOptions
    @OptionGroup var options: WorkOptions

    func run() async throws {
        let metrics = bootstrapMetrics()
        let registry = JobRegistry.filestore()
        let worker = try options.workerConfiguration()
        // The scanner and libvips are loaded only by processes that work the scan and optimize queues.
        let process = FilestoreProcess(database: try db.configuration(), worker: worker, registry: registry,
                                       addHandlers: try pipelineHandlers(blobDirectory: options.workerBlobDir, queues: worker.queues.map(\.name)),
                                       metrics: metrics,
                                       opsHost: options.httpHost, opsPort: options.httpPort == 0 ? nil : options.httpPort,
                                       durableFetch: options.durableFetch)
        try await runReportingErrors { try await process.run() }
    }
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the file API (stateless; run many behind a load balancer).")
    @OptionGroup var db: DatabaseOptions
    @OptionGroup var serve: ServeOptions

    func run() async throws {
        let process = FilestoreProcess(database: try db.configuration(), worker: nil, registry: JobRegistry(), metrics: bootstrapMetrics(),
                                       api: try await serve.api())
        try await runReportingErrors { try await process.run() }
    }
}

struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Migrate, then run the file API and the workers (with maintenance) in one process.")
    @OptionGroup var db: DatabaseOptions
    @OptionGroup var options: WorkOptions
    @OptionGroup var serve: ServeOptions

    func run() async throws {
        let migrations = try loadMigrations(nil)
        try await db.withClient(migrating: true) { client in
            let done = try await Migrator(postgres: client.postgres, logger: makeLogger("filestore.migrate")).migrate(migrations)
            if !done.isEmpty { print("applied migrations \(done)") }
        }
        let api = try await serve.api()
        let worker = try options.workerConfiguration()
        let process = FilestoreProcess(database: try db.configuration(), worker: worker, registry: JobRegistry.filestore(),
                                       addHandlers: try pipelineHandlers(blobDirectory: serve.blobDir, queues: worker.queues.map(\.name)),
                                       metrics: bootstrapMetrics(), api: api, durableFetch: options.durableFetch)
        print("filestore dev: file API on http://\(api.host):\(api.port)/v1/files (health: /healthz); workers on \(options.queues)")
        try await runReportingErrors { try await process.run() }
    }
}
