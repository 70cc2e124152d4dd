import ArgumentParser
import Foundation
import JobKit
import Logging
import Metrics
import PostgresNIO
import Prometheus
import ServiceLifecycle

// Everything of the queue benchmark that touches JobKit's worker API is in this file: the job's args, its
// handler, and the worker process assembled from JobKit's public parts (pool, notifier, leader-elected
// maintenance, worker service) as `filestore work` assembles them.

/// The queue benchmark's job: no work, only a count and, when `sent_at` is set (the enqueuer's wall-clock
/// time, seconds since 1970), the time from enqueue to start.
struct BenchNoop: JobArgs, Hashable {
    static let kind = "bench.noop"
    static let defaultQueue = "bench"
    static var queue: String { defaultQueue }
    var sent_at: Double?

    /// The row to enqueue. Without `sent_at` the args are `{}`, as the peers' no-op jobs.
    func insert() throws -> JobInsert { try JobInsert(self) }
}

/// Runs ``BenchNoop`` jobs, recording each start in the process's ``QueueWorkerReport``.
struct BenchNoopWorker: JobWorker {
    typealias Args = BenchNoop
    let report: QueueWorkerReport
    var options: JobWorkerOptions { JobWorkerOptions(timeout: .seconds(60), retryPolicy: RetryPolicy(base: .milliseconds(100))) }

    func work(_ job: Job<BenchNoop>) async throws {
        report.record(latency: job.args.sent_at.map { Date().timeIntervalSince1970 - $0 })
    }
}

/// `filestore-bench queue-worker`: one worker process of the queue benchmark. It works the `bench` queue
/// until SIGTERM, then prints its ``QueueWorkerReport`` as one JSON line. The defaults are `filestore work`'s.
struct QueueWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queue-worker", abstract: "A worker process of the queue benchmark.",
                                                    shouldDisplay: false)

    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (default: $DATABASE_URL).") var databaseURL: String?
    @Option(help: "Jobs run at once in this process.") var concurrency = 10
    @Option(name: .customLong("poll-interval-ms")) var pollIntervalMS = 1000
    @Option(name: .customLong("lease-seconds")) var leaseSeconds = 60.0
    @Option(name: .customLong("shutdown-grace")) var shutdownGrace = 25.0
    @Flag(name: .customLong("no-maintenance"), help: "Never stand for maintenance leader in this process.") var noMaintenance = false
    @Flag(name: .customLong("durable-fetch"), help: "Fetches wait for a WAL flush too.") var durableFetch = false

    func run() async throws {
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] else {
            throw ValidationError("give --database-url or set DATABASE_URL")
        }
        let database = try DatabaseConfiguration(url: url)
        var configuredLogger = Logger(label: "bench.worker")
        configuredLogger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        let logger = configuredLogger
        // The product's workers export their metrics; so do these, so that both pay the same.
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: PrometheusCollectorRegistry()))

        let lease = Duration.milliseconds(Int64(leaseSeconds * 1000))
        let worker = JobWorkerConfiguration(
            queues: [QueueConfiguration(BenchNoop.queue, concurrency: concurrency)],
            pollInterval: .milliseconds(pollIntervalMS),
            leaseDuration: lease,
            heartbeatInterval: lease / 6,
            shutdownGracePeriod: .milliseconds(Int64(shutdownGrace * 1000)),
            maintenance: noMaintenance ? nil : MaintenanceConfiguration()
        )
        let report = QueueWorkerReport()
        var registry = JobRegistry()
        registry.register(BenchNoopWorker(report: report))

        let postgres = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: logger)
        let fetchPostgres = durableFetch ? postgres : PostgresClient(configuration: database.fetchClientConfiguration, backgroundLogger: logger)
        let notifier = Notifier(connect: { try await database.connect(logger: logger) }, logger: logger)
        var services: [any Service] = [postgres]
        if !durableFetch { services.append(fetchPostgres) }
        services.append(notifier)
        if let maintenance = worker.maintenance {
            services.append(LeaderService(postgres: postgres, candidateID: worker.workerID, maintenance: maintenance,
                                          notifier: notifier, logger: logger))
        }
        services.append(JobWorkerService(postgres: postgres, fetchPostgres: fetchPostgres, registry: registry, configuration: worker,
                                         notifier: notifier, logger: logger))
        var configuration = ServiceGroupConfiguration(services: services.map { .init(service: $0) },
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = worker.shutdownGracePeriod + .seconds(15)
        try await ServiceGroup(configuration: configuration).run()
        print(report.json())
    }
}
