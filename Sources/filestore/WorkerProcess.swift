import API
import Foundation
import Hummingbird
import JobKit
import Jobs
import Logging
import Metrics
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Synchronization

/// Assembles a worker process: pool, LISTEN notifier, workers, leader-elected maintenance, queue
/// gauges and the ops HTTP endpoints, as one `ServiceGroup` that drains in order on SIGTERM/SIGINT.
struct WorkerProcess {
    var database: DatabaseConfiguration
    var worker: JobWorkerConfiguration
    var httpHost = "127.0.0.1"
    var httpPort: Int?
    var registry: JobRegistry
    var metrics: PrometheusCollectorRegistry
    /// Wait for a WAL flush on every fetch too; by default fetches go through a pool whose sessions commit
    /// asynchronously (see `JobWorkerService.init`: safe under at-least-once delivery).
    var durableFetch = false

    /// Runs until a signal (or `stop`) shuts it down.
    func run() async throws {
        let logger = makeLogger("filestore.work")
        let postgres = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: makeLogger("filestore.postgres"))
        let db = database
        let notifier = Notifier(connect: { try await db.connect(logger: makeLogger("filestore.listen")) }, logger: logger)
        let fetchPostgres = durableFetch ? postgres
            : PostgresClient(configuration: database.fetchClientConfiguration, backgroundLogger: makeLogger("filestore.postgres"))
        let workers = JobWorkerService(postgres: postgres, fetchPostgres: fetchPostgres, registry: registry, configuration: worker,
                                       notifier: notifier, logger: logger)
        var services: [any Service] = [postgres, notifier]
        if !durableFetch { services.insert(fetchPostgres, at: 1) }
        var isLeader: @Sendable () -> Bool = { false }
        if let maintenance = worker.maintenance {
            let service = MaintenanceService(postgres: postgres, candidateID: worker.workerID, configuration: maintenance,
                                             notifier: notifier, logger: logger)
            services.append(service)
            isLeader = { service.isLeader }
        }
        let client = JobClient(postgres: postgres, logger: logger)
        services.append(QueueStatsReporter(client: client, isActive: isLeader, logger: logger))
        services.append(workers)
        if let httpPort {
            let router = Router()
            let required = FilestoreSchema.requiredVersion
            OpsRoutes(registry: metrics, readiness: {
                do {
                    try await Migrator(postgres: postgres, logger: logger).requireVersion(required)
                    return nil
                } catch { return "\(error)" }
            }).add(to: router)
            var appLogger = makeLogger("filestore.http")
            appLogger.logLevel = .warning
            services.append(Application(router: router, configuration: .init(address: .hostname(httpHost, port: httpPort)), logger: appLogger))
        }
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) },
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        // Refuse to work against a database that is behind this build.
        try await Migrator.requireVersion(FilestoreSchema.requiredVersion, configuration: database, logger: logger)
        try await group.run()
    }
}

/// Bootstraps swift-metrics to Prometheus once per process and returns the registry that `/metrics` emits.
func bootstrapMetrics() -> PrometheusCollectorRegistry {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    return registry
}

/// Parses `a,b:20,c` into queue configurations with `defaultConcurrency` where none is given.
func parseQueues(_ text: String, defaultConcurrency: Int) throws -> [QueueConfiguration] {
    try text.split(separator: ",").map { part in
        let bits = part.split(separator: ":", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
        guard QueueName.isValid(bits[0]) else { throw CLIError("invalid queue name '\(bits[0])'") }
        var concurrency = defaultConcurrency
        if bits.count == 2 {
            guard let n = Int(bits[1]), n > 0 else { throw CLIError("invalid concurrency in '\(part)'") }
            concurrency = n
        }
        return QueueConfiguration(bits[0], concurrency: concurrency)
    }
}
