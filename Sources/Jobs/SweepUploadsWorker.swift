import Domain
import FileCore
import JobKit

/// The `uploads.sweep` job: deletes one tenant's abandoned tus uploads — unfinished, past their expiry, not
/// under a live lease — and their parts, in batches, in the tenant's own scope (row-level security applies),
/// through ``FileCore/TusUploads/sweepExpired(tenant:limit:)``. Idempotent and bounded
/// (``SweepConfiguration/batchSize`` × ``SweepConfiguration/maxBatchesPerJob``).
public struct SweepUploadsWorker: JobWorker {
    public typealias Args = SweepUploads

    let core: FileCore
    let configuration: SweepConfiguration
    public let options: JobWorkerOptions

    /// - Parameter core: the application layer on the app pool, with the blob store holding the parts.
    public init(core: FileCore, configuration: SweepConfiguration = SweepConfiguration(),
                options: JobWorkerOptions = JobWorkerOptions(timeout: .seconds(300), retryPolicy: RetryPolicy(base: .seconds(10)))) {
        self.core = core
        self.configuration = configuration
        self.options = options
    }

    public func work(_ job: Job<Args>) async throws {
        let tenant = try SweepJobs.tenant(of: job)
        let deleted = try await SweepJobs.inBatches(configuration) { limit in
            try await core.tus.sweepExpired(tenant: tenant, limit: limit)
        }
        job.logger.info("swept expired uploads", metadata: ["tenant_id": "\(tenant)", "uploads": "\(deleted)"])
    }
}
