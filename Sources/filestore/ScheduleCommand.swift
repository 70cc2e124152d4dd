import ArgumentParser
import FilestoreConfig
import Foundation
import Hummingbird
import JobKit
import PostgresNIO
import ServiceLifecycle
import API
import Scheduler

/// `filestore schedule`: the scheduler alone — it stands for the `scheduler` leadership; replicas stand by and
/// one takes over within about the lease when the leader dies; SIGTERM resigns at once. Ops endpoints
/// (/healthz, /readyz, /metrics) on `--http-port`.
struct ScheduleCommand: ConfiguredCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule", abstract: "Run the scheduler (cron schedules → jobs), leader-elected among its replicas.")
    @OptionGroup var db: DatabaseOptions
    @Option(name: .customLong("http-port"), help: "Port of /healthz, /readyz and /metrics, 0 disables ($FILESTORE_OPS_PORT, default 9464).")
    var httpPort: String?
    @Option(name: .customLong("http-host"), help: "Address the ops endpoints listen on ($FILESTORE_OPS_HOST, default 127.0.0.1).")
    var httpHost: String?

    var flags: [String: String] {
        db.flags.adding(["FILESTORE_OPS_PORT": httpPort, "FILESTORE_OPS_HOST": httpHost].compactMapValues { $0 })
    }

    func run(configuration: FilestoreConfiguration) async throws {
        let metrics = bootstrapMetrics()
        let logger = makeLogger("filestore")
        let database = configuration.database.service
        try await reportingErrors {
            try await Migrator.requireVersion(FilestoreSchema.requiredVersion, configuration: database, hint: FilestoreSchema.migrateHint, logger: logger)
            let postgres = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: makeLogger("filestore.postgres"))
            let notifier = Notifier(connect: { try await database.connect(logger: makeLogger("filestore.listen")) }, logger: logger)
            let candidate = "scheduler-\(ProcessInfo.processInfo.hostName)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            var services: [any Service] = [postgres, notifier,
                                           SchedulerParts.service(configuration, postgres: postgres, candidateID: candidate, notifier: notifier),
                                           ReadinessParts.registration(configuration, command: "schedule", host: configuration.worker.opsHost,
                                                                       port: configuration.worker.opsPort, tls: false, postgres: postgres)]
            if let port = configuration.worker.opsPort {
                let required = FilestoreSchema.requiredVersion
                let ops = OpsRoutes(registry: metrics, readiness: {
                    do {
                        try await Migrator(postgres: postgres, logger: logger).requireVersion(required, hint: FilestoreSchema.migrateHint)
                        return nil
                    } catch { return "\(error)" }
                })
                let router = Router()
                ops.add(to: router)
                var httpLogger = makeLogger("filestore.http")
                httpLogger.logLevel = max(httpLogger.logLevel, .warning)
                services.append(Application(router: router, configuration: .init(address: .hostname(configuration.worker.opsHost, port: port)),
                                            logger: httpLogger))
            }
            var group = ServiceGroupConfiguration(services: services.map { .init(service: $0) },
                                                  gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            group.maximumGracefulShutdownDuration = .seconds(10)
            try await ServiceGroup(configuration: group).run()
        }
    }
}
