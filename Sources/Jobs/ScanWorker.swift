import Domain
import FileCore
import JobKit
import Metrics
import Scanning
import Storage

/// What happens to a file that hit a scan limit (too large, too deep…). Default: quarantine.
public enum LimitPolicy: String, Sendable { case quarantine, allow }

/// The `scan` job: uploaded → scanning → clean, or quarantined with the matching signature
/// (``FileCore/Pipeline``). The verdict, the state change, its audit and outbox events and the job's completion
/// commit in one transaction, so a retried scan never records twice. A scanner failure retries (then the
/// dead-letter queue); the file stays unservable meanwhile.
public struct ScanWorker: JobWorker {
    public typealias Args = ScanFile

    let scanner: any VirusScanner
    let core: FileCore
    let limitPolicy: LimitPolicy
    public let options: JobWorkerOptions

    public init(scanner: any VirusScanner, core: FileCore, limitPolicy: LimitPolicy = .quarantine,
                options: JobWorkerOptions = JobWorkerOptions(timeout: .seconds(300), retryPolicy: RetryPolicy(base: .seconds(5)))) {
        self.scanner = scanner
        self.core = core
        self.limitPolicy = limitPolicy
        self.options = options
    }

    public func work(_ job: Job<Args>) async throws {
        let (tenant, id) = try job.fileIDs("scan")
        let actor = "job:scan"
        // uploaded → scanning (again, if a previous attempt died mid-scan).
        let file = try await cancellingIfMovedOn(id, "scan") {
            try await core.pipeline.begin(id, tenant: tenant, .scanStarted, actor: actor, traceContext: job.traceContext)
        }
        let verdict = try await TenantBlobs(tenant: tenant, store: core.blobs).withLocalFile(file.objectKey) { try await scanner.scan(path: $0) }
        let signature: String? = if case .infected(let name) = verdict { name } else { nil }
        // A limit hit follows the policy; anything else that matched is quarantined.
        let quarantine = signature != nil && !(verdict.isLimitExceeded && limitPolicy == .allow)
        try await cancellingIfMovedOn(id, "scan") {
            try await core.pipeline.recordScan(id, tenant: tenant, signature: signature, quarantine: quarantine, actor: actor,
                                               traceContext: job.traceContext, commit: job.commit)
        }
        // Verdicts by kind and what the policy made of them: a limit hit under `allow` is not quarantined.
        Counter(label: "filestore_scan_verdicts_total", dimensions: [
            ("verdict", verdict.isLimitExceeded ? "limit_exceeded" : signature != nil ? "infected" : "clean"),
            ("quarantined", quarantine ? "true" : "false"),
        ]).increment()
        job.logger.info("scanned", metadata: ["file_id": "\(id)", "verdict": "\(quarantine ? "infected: \(signature ?? "")" : "clean")"])
    }
}
