import API
import Console
import Domain
import FileCore
import FilestoreConfig
import Foundation
import Hummingbird
import HummingbirdCore
import JobKit
import Jobs
import Logging
import Metrics
import NIOPosix
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Imaging
import Readiness
import Scanning
import Storage

/// Assembles one filestore process from its parts — pool, LISTEN notifier, workers, leader-elected
/// maintenance, queue gauges, the file API or the bare ops endpoints — as one `ServiceGroup` that drains in
/// reverse order on SIGTERM/SIGINT (HTTP first, then workers, then the pools). Everything it needs comes from
/// the one ``FilestoreConfiguration`` read at start; it reads no environment of its own.
struct FilestoreProcess {
    var configuration: FilestoreConfiguration
    /// Run the workers of `configuration.worker` (`work`, `dev`).
    var runsWorkers: Bool
    /// Serve the file API, with /healthz, /readyz and /metrics (`serve`, `dev`); without it a worker process
    /// serves only the ops endpoints (`configuration.worker.opsPort`).
    var servesAPI: Bool
    var registry: JobRegistry
    var metrics: PrometheusCollectorRegistry
    /// Also stand for scheduler leader (`dev`, `work --schedule`): `SchedulerParts.service`.
    var runsScheduler = false

    func run() async throws {
        let logger = makeLogger("filestore")
        let database = configuration.database.service
        let worker = runsWorkers ? configuration.worker.jobWorkerConfiguration() : nil
        // Secrets and limits first: a process missing its keys stops before it touches the database.
        let api = try await servesAPI ? FileAPIParts(configuration) : nil
        // TLS on the listener when configured (bad files stop the process here), reloaded without a restart.
        let tls = try configuration.tls.makeStore()
        // Refuse to run against a database that is behind this build.
        try await Migrator.requireVersion(FilestoreSchema.requiredVersion, configuration: database, hint: FilestoreSchema.migrateHint, logger: logger)
        let compliance = try complianceConfiguration(configuration)
        if configuration.keys.encryption.isEmpty && (api != nil || worker != nil) {
            logger.warning("webhook signing secrets are stored unsealed: set FILESTORE_ENCRYPTION_KEYS or FILESTORE_ENCRYPTION_KEYS_FILE (docs/SECURITY.md)")
        }
        let postgres = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: makeLogger("filestore.postgres"))
        let blobs = try needsBlobs(worker) ? makeBlobStore(configuration.blobs, postgres: postgres) : nil
        var services: [any Service] = [postgres]
        // Registered with the address of its ops endpoints, so a readiness revalidation probes it (O1, O2).
        let command = servesAPI ? (runsWorkers ? "dev" : "serve") : "work"
        let (opsHost, opsPort): (String?, Int?) = servesAPI ? (configuration.http.host, configuration.http.port)
            : (configuration.worker.opsHost, configuration.worker.opsPort)
        services.append(ReadinessParts.registration(configuration, command: command, host: opsHost, port: opsPort, tls: tls != nil, postgres: postgres))
        // One LISTEN connection per process: the workers' wake-ups and the API's download-cache invalidations.
        let notifier = worker == nil && api == nil ? nil
            : Notifier(connect: { try await database.connect(logger: makeLogger("filestore.listen")) }, logger: logger,
                       extraChannels: api == nil ? [] : [FileStateCache.channel])
        if worker == nil, let notifier { services.append(notifier) }
        if let worker, let notifier {
            let durableFetch = configuration.worker.durableFetch
            let fetchPostgres = durableFetch ? postgres
                : PostgresClient(configuration: database.fetchClientConfiguration, backgroundLogger: makeLogger("filestore.postgres"))
            if !durableFetch { services.append(fetchPostgres) }
            services.append(notifier)
            var isLeader: @Sendable () -> Bool = { false }
            var systemDatabase: SystemDatabase?
            var registry = self.registry
            if worker.maintenance != nil || worker.queues.contains(where: { $0.name == SweepConfiguration().queue }) {
                // Cross-tenant work reads through the system role's own small pool, only ever from leader tasks.
                let systemPostgres = PostgresClient(configuration: configuration.database.system.clientConfiguration,
                                                    backgroundLogger: makeLogger("filestore.postgres.system"))
                services.append(systemPostgres)
                systemDatabase = SystemDatabase(postgres: systemPostgres, logger: makeLogger("filestore.system"))
            }
            let webhooks = WebhookParts(registry: &registry, configuration: configuration, postgres: postgres, system: systemDatabase,
                                        queues: worker.queues.map(\.name), blobs: try blobs ?? makeBlobStore(configuration.blobs, postgres: postgres))
            services += webhooks.services
            // The compliance handlers (erasure, offboarding, audit sealing, the retention sweep) on maintenance workers.
            var complianceTasks: [any LeaderTask] = []
            if let blobs, worker.queues.contains(where: { $0.name == SweepConfiguration().queue }) {
                var core = FileCoreConfiguration()
                core.compliance = compliance
                let complianceLogger = makeLogger("filestore.compliance")
                complianceTasks = registry.registerCompliance(core: FileCore(database: TenantDatabase(postgres: postgres, logger: complianceLogger),
                                                                             blobs: blobs, configuration: core),
                                                              system: systemDatabase, logger: complianceLogger)
            }
            // The readiness revalidation (docs/READINESS.md) runs where the sweeps do, with the system role's path.
            var readinessTasks: [any LeaderTask] = []
            if worker.queues.contains(where: { $0.name == ReadinessRevalidate.defaultQueue }) {
                let environment = ReadinessParts.environment(configuration, postgres: postgres, system: systemDatabase,
                                                             blobs: try blobs ?? makeBlobStore(configuration.blobs, postgres: postgres))
                registry.register(ReadinessWorker(environment: environment))
                readinessTasks.append(ReadinessGaugesTask(postgres: postgres, logger: makeLogger("filestore.readiness")))
            }
            if let maintenance = worker.maintenance, let systemDatabase {
                let sweeps = SweepTasks(system: systemDatabase, jobs: JobClient(postgres: postgres, logger: logger))
                let service = LeaderService(postgres: postgres, candidateID: worker.workerID, maintenance: maintenance,
                                            extraTasks: sweeps.all + webhooks.leaderTasks + complianceTasks + s3Tasks(blobs) + readinessTasks,
                                            notifier: notifier, logger: logger)
                services.append(service)
                isLeader = { service.isLeader }
            }
            if runsScheduler {
                services.append(SchedulerParts.service(configuration, postgres: postgres, candidateID: "scheduler-" + worker.workerID,
                                                       notifier: notifier))
            }
            services.append(QueueStatsReporter(client: JobClient(postgres: postgres, logger: logger), isActive: isLeader, logger: logger))
            if let blobs {
                services += await addPipelineHandlers(to: &registry, configuration: configuration, blobs: blobs, postgres: postgres,
                                                      queues: worker.queues.map(\.name))
                if worker.queues.contains(where: { $0.name == SweepConfiguration().queue }) {
                    registry.registerSweepHandlers(core: FileCore(database: TenantDatabase(postgres: postgres, logger: makeLogger("filestore.sweep")),
                                                                  blobs: blobs))
                }
            }
            services.append(JobWorkerService(postgres: postgres, fetchPostgres: fetchPostgres, registry: registry, configuration: worker,
                                             notifier: notifier, logger: logger))
        }
        let required = FilestoreSchema.requiredVersion
        let ops = OpsRoutes(registry: metrics, readiness: {
            do {
                try await Migrator(postgres: postgres, logger: logger).requireVersion(required, hint: FilestoreSchema.migrateHint)
                return nil
            } catch { return "\(error)" }
        })
        let server: HTTPServerBuilder = tls.map { .reloadingTLS($0) } ?? .http1()
        if let tls { services.append(TLSReloadService(store: tls, interval: .seconds(configuration.tls.reloadSeconds), logger: makeLogger("filestore.tls"))) }
        var httpLogger = makeLogger("filestore.http")
        httpLogger.logLevel = max(httpLogger.logLevel, .warning)
        let http = configuration.http
        if let api, let blobs {
            var apiConfiguration = http.apiConfiguration
            apiConfiguration.metricsClients = configuration.tls.metricsClients
            apiConfiguration.inboxClients = configuration.tls.inboxClients
            if configuration.http.accessLog { apiConfiguration.accessLogger = makeLogger("filestore.access") }
            apiConfiguration.inboxSecrets = configuration.webhooks.inboxSecrets
            var coreConfiguration = apiConfiguration.core
            coreConfiguration.webhooks = configuration.webhooks.delivery
            coreConfiguration.secretSealer = SecretSealer(configuration.keys.encryption.map(\.pair))
            coreConfiguration.compliance = compliance
            let downloadCache = FileStateCache()
            notifier?.subscribe { channel, payload in
                if channel == FileStateCache.channel { downloadCache.invalidate(payload: payload) }
                if channel == Notifier.insertChannel, payload == "*" { downloadCache.invalidateAll() }  // (re)connected
            }
            let core = FileCore(database: TenantDatabase(postgres: postgres, logger: logger), blobs: blobs,
                                configuration: coreConfiguration, downloadCache: downloadCache)
            let router = makeFileAPIRouter(core: core, configuration: apiConfiguration, keys: api.keys, signer: api.signer, ops: ops,
                                           limiter: api.limiter)
            // The SRE console under /admin (docs/CONSOLE.md), on the same listener, sharing the LISTEN notifier.
            var consoleConfiguration = ConsoleConfiguration()
            consoleConfiguration.secureCookies = tls != nil
            let console = try Console(postgres: postgres, keys: api.keys, notifier: notifier, configuration: consoleConfiguration,
                                      logger: makeLogger("filestore.console"))
            console.add(to: router)
            let app = Application(router: router, server: server, configuration: .init(address: .hostname(http.host, port: http.port)),
                                  logger: httpLogger)
            services.append(ListenerService(listener: app, host: http.host, port: http.port, flag: "--api-port", setting: "FILESTORE_HTTP_PORT"))
            // After the listener, so they stop before it: the live feed ends its event streams, and the listener
            // then drains without waiting on them.
            services += console.services
        } else if let opsPort = configuration.worker.opsPort, worker != nil {
            let router = Router(context: OpsRequestContext.self)
            ops.add(to: router, metricsClients: configuration.tls.metricsClients)
            let app = Application(router: router, server: server, configuration: .init(address: .hostname(configuration.worker.opsHost, port: opsPort)),
                                  logger: httpLogger)
            services.append(ListenerService(listener: app, host: configuration.worker.opsHost, port: opsPort, flag: "--http-port",
                                            setting: "FILESTORE_OPS_PORT", hint: "0 turns the ops endpoints off"))
        }
        // A listener that fails (its port is taken) shuts the others down gracefully, in reverse order, as a signal
        // would: cancelling them all at once raced a query in flight (the console's first rollup) against its pool's
        // shutdown, and the process hung without printing why (1 start in 10 under load). Other services that fail
        // still cancel the group (a worker whose database is gone must still stop promptly).
        var group = ServiceGroupConfiguration(services: services.map {
            $0 is ListenerService ? .init(service: $0, failureTerminationBehavior: .gracefullyShutdownGroup) : .init(service: $0)
        },
                                              gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // A stopping process stops: running jobs get their grace period, the rest of the drain (final flushes,
        // resigning leadership) some seconds more; past that — say the database is unreachable and a query waits
        // for a connection — the services are cancelled (their jobs are put back or rescued, nothing is lost).
        group.maximumGracefulShutdownDuration = (worker?.shutdownGracePeriod ?? .zero) + .seconds(15)
        // And past the deadline by 10 s more, whatever is still waiting, the process ends (ShutdownWatchdog).
        group.services.append(.init(service: ShutdownWatchdog(limit: group.maximumGracefulShutdownDuration! + .seconds(10), logger: logger)))
        try await ServiceGroup(configuration: group).run()
    }

    /// With the S3 store: the sweep of multipart uploads a dead process left behind.
    private func s3Tasks(_ blobs: (any BlobStore)?) -> [any LeaderTask] {
        guard let store = blobs as? S3BlobStore else { return [] }
        return [S3UploadSweepTask(store: store)]
    }

    /// The file API and the pipeline's handlers (optimize, purge, scan) read and write blobs.
    private func needsBlobs(_ worker: JobWorkerConfiguration?) -> Bool {
        servesAPI || (worker?.queues.contains { ["optimize", "maintenance", "scan"].contains($0.name) } ?? false)
    }
}

/// The blob store of this process, built once from configuration and shared by the API and every handler: the S3
/// store with `FILESTORE_BLOB_STORE=s3`, else the local store; with `FILESTORE_BLOB_REGIONS` one store per region (data
/// residency: a local folder, or `s3://bucket` — a bucket of the same endpoint), a tenant's region read from its row
/// through `postgres` (commands that touch no bytes pass none).
func makeBlobStore(_ blobs: FilestoreConfiguration.Blobs, postgres: PostgresClient? = nil) throws -> any BlobStore {
    // Its own threads (most of their time is spent in fsync): see LocalBlobStore.defaultIOThreads.
    let pool = LocalBlobStore.makeIOPool()
    let primary: any BlobStore = try blobs.backend == .s3 && blobs.s3 != nil
        ? makeS3BlobStore(blobs.s3!, staging: blobs.directoryURL, pool: pool)
        : LocalBlobStore(root: blobs.directoryURL, pool: pool)
    guard !blobs.regions.isEmpty else { return primary }
    var stores: [String: any BlobStore] = ["local": primary]
    for (region, place) in blobs.regions {
        if let bucket = FilestoreConfiguration.Blobs.regionBucket(place), var s3 = blobs.s3 {
            // Its staged parts and engines' copies under a folder of its own.
            s3.bucket = bucket
            stores[region] = try makeS3BlobStore(s3, staging: blobs.directoryURL.appendingPathComponent("regions/\(region)"), pool: pool)
        } else {
            stores[region] = try LocalBlobStore(root: URL(fileURLWithPath: place), pool: pool)
        }
    }
    let logger = makeLogger("filestore.regions")
    return RegionalBlobStore(stores: stores) { tenant in
        guard let postgres else { throw FileError(.regionUnavailable, "this command reads no tenant's region") }
        return try await TenantDatabase(postgres: postgres, logger: logger).transaction(tenant) {
            try await TenantRepository(logger: logger).region(tenant, on: $0)
        }
    }
}

/// The S3 store of `FILESTORE_BLOB_STORE=s3`: its HTTP client lives as long as the process. Staged tus parts and the
/// native engines' working copies stay under `FILESTORE_BLOB_DIR` (`staging`).
func makeS3BlobStore(_ s3: FilestoreConfiguration.Blobs.S3, staging: URL, pool: NIOThreadPool) throws -> S3BlobStore {
    var configuration = S3Configuration(endpoint: s3.endpoint, bucket: s3.bucket,
                                        credentials: S3Credentials(accessKeyID: s3.accessKeyID, secretAccessKey: s3.secretAccessKey,
                                                                   sessionToken: s3.sessionToken),
                                        stagingDirectory: staging)
    configuration.region = s3.region
    configuration.pathStyle = s3.pathStyle
    configuration.partSize = Int(s3.partSize)
    configuration.partsInFlight = s3.partsInFlight
    configuration.keyPrefix = s3.keyPrefix
    let client = S3BlobStore.makeHTTPClient(configuration)
    // The client serves the store until the process exits; an HTTPClient released without shutdown() traps in debug
    // builds, so it is kept (retained once more) rather than shut down at an arbitrary point before exit.
    _ = Unmanaged.passRetained(client)
    return try S3BlobStore(configuration: configuration, client: client, pool: pool, logger: makeLogger("filestore.s3"))
}

/// The file API's keys, URL signer and rate limiter, built from configuration (missing keys stop the process).
struct FileAPIParts {
    var keys: TokenKeys
    var signer: URLSigner
    var limiter: RateLimiter

    init(_ configuration: FilestoreConfiguration) async throws {
        keys = try await TokenKeys(configuration.keys.requireJWT().map(\.pair))
        signer = try URLSigner(keys: configuration.keys.requireURL().map(\.pair), maximumTTL: configuration.keys.urlMaximumTTL)
        limiter = RateLimiter(limits: configuration.http.rateLimits)
    }
}

/// Bootstraps swift-metrics to Prometheus once per process (``PrometheusExport``: HELP texts, conventional names,
/// buckets up to ten minutes) and returns the registry that `/metrics` emits, with `filestore_build_info`.
func bootstrapMetrics(command: String = CommandLine.arguments.dropFirst().first ?? "") -> PrometheusCollectorRegistry {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusExport(registry: registry))
    Gauge(label: "filestore_build_info", dimensions: [("version", FilestoreBuild.version), ("swift", FilestoreBuild.swiftVersion),
                                                      ("command", command)]).record(1)
    return registry
}

/// What `filestore_build_info` names.
enum FilestoreBuild {
    /// The release; `unreleased` until the project tags one (SwiftPM cannot stamp a commit into the build).
    static let version = "unreleased"
    static var swiftVersion: String {
        #if compiler(>=6.3)
        "6.3"
        #elseif compiler(>=6.2)
        "6.2"
        #else
        "6"
        #endif
    }
}
