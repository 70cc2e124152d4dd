import API
import Domain
import Foundation
import Hummingbird
import JobKit
import Jobs
import Logging
import Metrics
import NIOPosix
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Imaging
import Scanning
import Storage

/// Assembles one filestore process from its parts — pool, LISTEN notifier, workers, leader-elected
/// maintenance, queue gauges, the file API or the bare ops endpoints — as one `ServiceGroup` that drains in
/// reverse order on SIGTERM/SIGINT (HTTP first, then workers, then the pools).
struct FilestoreProcess {
    struct API {
        var host: String
        var port: Int
        var configuration: APIConfiguration
        var blobDirectory: URL
        var keys: TokenKeys
        var signer: URLSigner
        var limiter: RateLimiter
    }

    var database: DatabaseConfiguration
    /// Workers to run; `nil` runs none (`serve`).
    var worker: JobWorkerConfiguration?
    var registry: JobRegistry
    /// Adds handlers that need the process's pool (the scanner), once it exists, and returns the services they
    /// need beside them (the signature watcher).
    var addHandlers: (@Sendable (inout JobRegistry, PostgresClient) async -> [any Service])?
    var metrics: PrometheusCollectorRegistry
    /// The file API (with /healthz, /readyz, /metrics), for `serve` and `dev`.
    var api: API?
    /// Only the ops endpoints, for `work`.
    var opsHost = "127.0.0.1"
    var opsPort: Int?
    /// Wait for a WAL flush on every fetch too; by default fetches go through a pool whose sessions commit
    /// asynchronously (see `JobWorkerService.init`: safe under at-least-once delivery).
    var durableFetch = false

    func run() async throws {
        let logger = makeLogger("filestore")
        // Refuse to run against a database that is behind this build.
        try await Migrator.requireVersion(FilestoreSchema.requiredVersion, configuration: database, hint: FilestoreSchema.migrateHint, logger: logger)
        let postgres = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: makeLogger("filestore.postgres"))
        var services: [any Service] = [postgres]
        if let worker {
            let db = database
            let notifier = Notifier(connect: { try await db.connect(logger: makeLogger("filestore.listen")) }, logger: logger)
            let fetchPostgres = durableFetch ? postgres
                : PostgresClient(configuration: database.fetchClientConfiguration, backgroundLogger: makeLogger("filestore.postgres"))
            if !durableFetch { services.append(fetchPostgres) }
            services.append(notifier)
            var isLeader: @Sendable () -> Bool = { false }
            if let maintenance = worker.maintenance {
                let service = LeaderService(postgres: postgres, candidateID: worker.workerID, maintenance: maintenance,
                                            notifier: notifier, logger: logger)
                services.append(service)
                isLeader = { service.isLeader }
            }
            services.append(QueueStatsReporter(client: JobClient(postgres: postgres, logger: logger), isActive: isLeader, logger: logger))
            var registry = self.registry
            services += await addHandlers?(&registry, postgres) ?? []
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
        var httpLogger = makeLogger("filestore.http")
        httpLogger.logLevel = max(httpLogger.logLevel, .warning)
        if let api {
            let service = FileService(database: TenantDatabase(postgres: postgres, logger: logger),
                                      blobs: try LocalBlobStore(root: api.blobDirectory), configuration: api.configuration)
            let router = makeFileAPIRouter(service: service, keys: api.keys, signer: api.signer, ops: ops, limiter: api.limiter)
            services.append(Application(router: router, configuration: .init(address: .hostname(api.host, port: api.port)), logger: httpLogger))
        } else if let opsPort {
            let router = Router()
            ops.add(to: router)
            services.append(Application(router: router, configuration: .init(address: .hostname(opsHost, port: opsPort)), logger: httpLogger))
        }
        var configuration = ServiceGroupConfiguration(services: services.map { .init(service: $0) },
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // A stopping process stops: running jobs get their grace period, the rest of the drain (final flushes,
        // resigning leadership) some seconds more; past that — say the database is unreachable and a query waits
        // for a connection — the services are cancelled (their jobs are put back or rescued, nothing is lost).
        configuration.maximumGracefulShutdownDuration = (worker?.shutdownGracePeriod ?? .zero) + .seconds(15)
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
    }
}

/// Registers the pipeline's handlers for the queues this process works: `optimize` (libvips), `file.purge`
/// on `maintenance`, and `scan` when ClamAV signatures can be loaded from `$FILESTORE_CLAMAV_DB` (default
/// `/var/lib/clamav`, the folder freshclam keeps) — without them scan jobs wait in their queue, and the log
/// says why. Malformed settings (``PipelineSettings``) stop the process before it starts.
func pipelineHandlers(blobDirectory: String, queues: [String]) throws -> @Sendable (inout JobRegistry, PostgresClient) async -> [any Service] {
    let settings = try PipelineSettings(environment: ProcessInfo.processInfo.environment)
    return { registry, postgres in
        let env = ProcessInfo.processInfo.environment
        var services: [any Service] = []
        // Made on first use, by the scan or optimize handler, and shared by both.
        var native: NativeThreads?
        func nativePool() -> NIOThreadPool {
            if let native { return native.pool }
            let threads = NativeThreads(count: settings.nativeThreads)
            native = threads
            services.append(threads)
            return threads.pool
        }
        if queues.contains("optimize") {
            do {
                let images = try ImageProcessor(maxPixels: settings.maxPixels, pool: nativePool())
                registry.register(OptimizeWorker(images: images, blobs: try LocalBlobStore(root: URL(fileURLWithPath: blobDirectory)),
                                                 database: TenantDatabase(postgres: postgres, logger: makeLogger("filestore.optimize")),
                                                 variants: settings.variants, typeMismatch: settings.typeMismatch))
            } catch {
                makeLogger("filestore.optimize").warning("no image processing: optimize jobs will wait", metadata: ["error": "\(error)"])
            }
        }
        if queues.contains("maintenance") {
            do {
                registry.register(PurgeWorker(blobs: try LocalBlobStore(root: URL(fileURLWithPath: blobDirectory)),
                                              database: TenantDatabase(postgres: postgres, logger: makeLogger("filestore.purge"))))
            } catch {
                makeLogger("filestore.purge").warning("no blob store: purge jobs will wait", metadata: ["error": "\(error)"])
            }
        }
        guard queues.contains("scan") else { return services }
        let dir = URL(fileURLWithPath: env["FILESTORE_CLAMAV_DB"] ?? "/var/lib/clamav")
        let logger = makeLogger("filestore.scan")
        do {
            let scanner: any VirusScanner
            if env["FILESTORE_SCANNER"] == "clamd" {
                let socket = env["FILESTORE_CLAMD_SOCKET"] ?? "/var/run/clamav/clamd.ctl"
                scanner = ClamdScanner(socketPath: socket, limits: settings.scanLimits, pool: nativePool())
                logger.info("scanner ready: clamd", metadata: ["socket": "\(socket)"])
            } else {
                let engine = try await ClamAVEngine.load(directory: dir, limits: settings.scanLimits, pool: nativePool())
                scanner = engine
                if settings.signatureCheckSeconds > 0 {
                    services.append(SignatureWatcher(engine: engine, interval: .seconds(settings.signatureCheckSeconds), logger: logger))
                }
                logger.info("scanner ready: libclamav", metadata: ["signatures": "\(engine.signatureCount)", "directory": "\(dir.path)"])
            }
            let blobs = try LocalBlobStore(root: URL(fileURLWithPath: blobDirectory))
            // The job's timeout stays above libclamav's own time limit: a blocking scan cannot be interrupted.
            let timeout = max(300, settings.scanLimits.maxScanTimeMS / 1000 + 60)
            registry.register(ScanWorker(scanner: scanner, blobs: blobs, database: TenantDatabase(postgres: postgres, logger: logger),
                                         limitPolicy: settings.limitPolicy,
                                         options: JobWorkerOptions(timeout: .seconds(timeout), retryPolicy: RetryPolicy(base: .seconds(5)))))
            return services
        } catch {
            logger.warning("no scanner: scan jobs will wait until signatures are available", metadata: ["error": "\(error)", "directory": "\(dir.path)"])
            return services
        }
    }
}

/// The pipeline's settings from the environment, checked when the process starts (a bad value stops it with a
/// clear message rather than being ignored).
struct PipelineSettings {
    /// `FILESTORE_MAX_PIXELS`: the largest image decoded (default 100 megapixels).
    var maxPixels = 100_000_000
    /// `FILESTORE_VARIANTS`: the variants made of images (default `thumb:256:webp,preview:1600:webp,scrubbed`).
    var variants = OptimizeWorker.defaultVariants
    /// `FILESTORE_TYPE_MISMATCH_POLICY`: `sniffed` (default) or `fail`.
    var typeMismatch = TypeMismatchPolicy.sniffed
    /// `FILESTORE_SCAN_LIMIT_POLICY`: `quarantine` (default) or `allow`.
    var limitPolicy = LimitPolicy.quarantine
    /// `FILESTORE_SCAN_LIMITS`: libclamav's limits (default `file=100MiB,scan=400MiB,recursion=16,files=10000,time=120s`).
    var scanLimits = ScanLimits()
    /// `FILESTORE_NATIVE_THREADS`: threads for libclamav and libvips calls (default: one per core).
    var nativeThreads = System.coreCount
    /// `FILESTORE_CLAMAV_RELOAD_SECONDS`: how often the signature folder is checked for changes (default 60;
    /// 0 turns reloading off).
    var signatureCheckSeconds = 60

    init(environment env: [String: String]) throws {
        if let text = env["FILESTORE_MAX_PIXELS"] {
            guard let n = Int(text), n > 0 else { throw CLIError("FILESTORE_MAX_PIXELS must be a positive number of pixels, not '\(text)'") }
            maxPixels = n
        }
        if let text = env["FILESTORE_VARIANTS"] {
            do { variants = try OptimizeWorker.parseVariants(text) } catch { throw CLIError("\(error)") }
        }
        if let text = env["FILESTORE_TYPE_MISMATCH_POLICY"] {
            guard let policy = TypeMismatchPolicy(rawValue: text) else {
                throw CLIError("FILESTORE_TYPE_MISMATCH_POLICY must be one of \(TypeMismatchPolicy.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
            }
            typeMismatch = policy
        }
        if let text = env["FILESTORE_SCAN_LIMITS"] {
            do { scanLimits = try ScanLimits.parse(text) } catch { throw CLIError("invalid FILESTORE_SCAN_LIMITS: \(error)") }
        }
        if let text = env["FILESTORE_NATIVE_THREADS"] {
            guard let n = Int(text), (1...256).contains(n) else { throw CLIError("FILESTORE_NATIVE_THREADS must be 1…256, not '\(text)'") }
            nativeThreads = n
        }
        if let text = env["FILESTORE_CLAMAV_RELOAD_SECONDS"] {
            guard let n = Int(text), n >= 0 else { throw CLIError("FILESTORE_CLAMAV_RELOAD_SECONDS must be a whole number of seconds (0: off), not '\(text)'") }
            signatureCheckSeconds = n
        }
        if let text = env["FILESTORE_SCAN_LIMIT_POLICY"] {
            guard let policy = LimitPolicy(rawValue: text) else { throw CLIError("FILESTORE_SCAN_LIMIT_POLICY must be quarantine or allow, not '\(text)'") }
            limitPolicy = policy
        }
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
