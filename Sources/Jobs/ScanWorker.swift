import Domain
import Foundation
import JobKit
import Logging
import PostgresNIO
import Scanning
import Storage

/// What happens to a file that hit a scan limit (too large, too deep…). Default: quarantine.
public enum LimitPolicy: String, Sendable { case quarantine, allow }

/// The `scan` job: uploaded → scanning → clean, or quarantined with the matching signature. The verdict,
/// the state change, its audit and outbox events and the job's completion commit in one transaction, so a
/// retried scan never records twice. A scanner failure retries (then the dead-letter queue); the file stays
/// unservable meanwhile.
public struct ScanWorker: JobWorker {
    public typealias Args = ScanFile

    let scanner: any VirusScanner
    let blobs: any BlobStore
    let database: TenantDatabase
    let limitPolicy: LimitPolicy
    public let options: JobWorkerOptions

    public init(scanner: any VirusScanner, blobs: any BlobStore, database: TenantDatabase, limitPolicy: LimitPolicy = .quarantine,
                options: JobWorkerOptions = JobWorkerOptions(timeout: .seconds(300), retryPolicy: RetryPolicy(base: .seconds(5)))) {
        self.scanner = scanner
        self.blobs = blobs
        self.database = database
        self.limitPolicy = limitPolicy
        self.options = options
    }

    public func work(_ job: Job<Args>) async throws {
        // uploaded → scanning (again, if a previous attempt died mid-scan).
        let step = try await PipelineStep.begin(job, .scanStarted, step: "scan", database: database)
        let (tenant, file, repository, actor, id) = (step.tenant, step.file, step.repository, step.actor, step.file.id)
        let verdict = try await TenantBlobs(tenant: tenant, store: blobs).withLocalFile(file.objectKey) { try await scanner.scan(path: $0) }
        let signature: String? = if case .infected(let name) = verdict { name } else { nil }
        // A limit hit follows the policy; anything else that matched is quarantined.
        let quarantine = verdict.isLimitExceeded && limitPolicy == .allow ? nil : signature
        try await database.transaction(tenant) { tx in
            try await repository.recordScan(id, signature: signature, on: tx)
            if let signature = quarantine {
                try await repository.transition(id, on: .scannedInfected, actor: actor, requestID: nil, traceContext: job.traceContext,
                                                details: ["signature": signature], tx: tx)
            } else {
                try await repository.transition(id, on: .scannedClean, actor: actor, requestID: nil, traceContext: job.traceContext, tx: tx)
                try await JobClient(postgres: database.postgres, logger: job.logger).enqueue(
                    OptimizeFile(id), options: PipelineJobs.options(tenant: tenant, traceContext: job.traceContext), on: tx)
            }
            try await job.complete(on: tx)
        }
        job.logger.info("scanned", metadata: ["file_id": "\(id)", "verdict": "\(quarantine.map { "infected: \($0)" } ?? "clean")"])
    }
}
