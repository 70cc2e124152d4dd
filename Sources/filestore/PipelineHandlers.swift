import FileCore
import FilestoreConfig
import Foundation
import Imaging
import JobKit
import Logging
import Jobs
import NIOPosix
import PostgresNIO
import Scanning
import ServiceLifecycle
import Storage

/// Registers the pipeline's handlers for the queues this process works — `optimize` (libvips), `file.purge` on
/// `maintenance`, and `scan` when the scanner can be loaded (without it scan jobs wait in their queue, and the log
/// says why) — and returns the services they need beside them (the native thread pool, the signature watcher).
func addPipelineHandlers(to registry: inout JobRegistry, configuration: FilestoreConfiguration, blobs: any BlobStore,
                         postgres: PostgresClient, queues: [String]) async -> [any Service] {
    let pipeline = configuration.pipeline
    let scanning = configuration.scanner
    var services: [any Service] = []
    // The application layer the handlers share: the app pool and the process's one blob store.
    func core(_ logger: Logger) -> FileCore { FileCore(database: TenantDatabase(postgres: postgres, logger: logger), blobs: blobs) }
    // Made on first use, by the scan or optimize handler, and shared by both.
    var native: NativeThreads?
    func nativePool() -> NIOThreadPool {
        if let native { return native.pool }
        let threads = NativeThreads(count: pipeline.nativeThreads)
        native = threads
        services.append(threads)
        return threads.pool
    }
    if queues.contains("optimize") {
        do {
            let images = try ImageProcessor(maxPixels: pipeline.maxPixels, pool: nativePool())
            registry.register(OptimizeWorker(images: images, core: core(makeLogger("filestore.optimize")),
                                             variants: pipeline.variants, typeMismatch: pipeline.typeMismatch))
        } catch {
            makeLogger("filestore.optimize").warning("no image processing: optimize jobs will wait", metadata: ["error": "\(error)"])
        }
    }
    if queues.contains("maintenance") {
        registry.register(PurgeWorker(core: core(makeLogger("filestore.purge"))))
    }
    guard queues.contains("scan") else { return services }
    let dir = URL(fileURLWithPath: scanning.signatureDirectory)
    let logger = makeLogger("filestore.scan")
    do {
        let scanner: any VirusScanner
        switch scanning.backend {
        case .clamd:
            scanner = ClamdScanner(socketPath: scanning.clamdSocket, limits: scanning.limits, pool: nativePool())
            logger.info("scanner ready: clamd", metadata: ["socket": "\(scanning.clamdSocket)"])
        case .libclamav:
            let engine = try await ClamAVEngine.load(directory: dir, limits: scanning.limits, pool: nativePool())
            scanner = engine
            if scanning.reloadSeconds > 0 {
                services.append(SignatureWatcher(engine: engine, interval: .seconds(scanning.reloadSeconds), logger: logger))
            }
            logger.info("scanner ready: libclamav", metadata: ["signatures": "\(engine.signatureCount)", "directory": "\(dir.path)"])
        }
        // The job's timeout stays above libclamav's own time limit: a blocking scan cannot be interrupted.
        let timeout = max(300, scanning.limits.maxScanTimeMS / 1000 + 60)
        registry.register(ScanWorker(scanner: scanner, core: core(logger),
                                     limitPolicy: scanning.limitPolicy,
                                     options: JobWorkerOptions(timeout: .seconds(timeout), retryPolicy: RetryPolicy(base: .seconds(5)))))
    } catch {
        logger.warning("no scanner: scan jobs will wait until signatures are available", metadata: ["error": "\(error)", "directory": "\(dir.path)"])
    }
    return services
}
