import Domain
import JobKit
import Storage

/// The `uploads.sweep` job: deletes one tenant's abandoned tus uploads — unfinished, past their expiry, not
/// under a live lease — and their partial data, in batches, in the tenant's own scope (row-level security
/// applies). Each batch removes the partial data before its transaction commits, so a failure leaves the rows
/// to be swept again; removing data that is already gone is no error. Idempotent and bounded
/// (``SweepConfiguration/batchSize`` × ``SweepConfiguration/maxBatchesPerJob``).
public struct SweepUploadsWorker: JobWorker {
    public typealias Args = SweepJobArgs
    public static let kind = "uploads.sweep"

    let database: TenantDatabase
    let blobs: any ResumableBlobStore
    let configuration: SweepConfiguration
    public let options: JobWorkerOptions

    /// - Parameters:
    ///   - database: the tenant-scoped database on the app pool.
    ///   - blobs: where the partial data lives (only `deletePartial(tenant:upload:)` is called).
    public init(database: TenantDatabase, blobs: any ResumableBlobStore, configuration: SweepConfiguration = SweepConfiguration(),
                options: JobWorkerOptions = JobWorkerOptions(timeout: .seconds(300), retryPolicy: RetryPolicy(base: .seconds(10)))) {
        self.database = database
        self.blobs = blobs
        self.configuration = configuration
        self.options = options
    }

    public func work(_ job: Job<Args>) async throws {
        let tenant = try SweepJobs.tenant(of: job)
        let repository = SweepRepository(logger: job.logger)
        let deleted = try await SweepJobs.inBatches(configuration) { limit in
            try await database.transaction(tenant) { tx in
                let uploads = try await repository.deleteExpiredUploads(limit: limit, on: tx)
                for upload in uploads { try await blobs.deletePartial(tenant: tenant, upload: upload) }
                return uploads.count
            }
        }
        job.logger.info("swept expired uploads", metadata: ["tenant_id": "\(tenant)", "uploads": "\(deleted)"])
    }
}
