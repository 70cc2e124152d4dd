import Domain
import FileCore
import JobKit

/// The `idempotency_keys.sweep` job: deletes one tenant's idempotency keys past their expiry, in batches, in
/// the tenant's own scope (row-level security applies), through
/// ``FileCore/IdempotencyStore/sweepExpired(tenant:limit:)``. Idempotent and bounded
/// (``SweepConfiguration/batchSize`` × ``SweepConfiguration/maxBatchesPerJob``).
public struct SweepIdempotencyKeysWorker: JobWorker {
    public typealias Args = SweepIdempotencyKeys

    let core: FileCore
    let configuration: SweepConfiguration
    public let options: JobWorkerOptions

    /// - Parameter core: the application layer on the app pool.
    public init(core: FileCore, configuration: SweepConfiguration = SweepConfiguration(),
                options: JobWorkerOptions = JobWorkerOptions(timeout: .seconds(300), retryPolicy: RetryPolicy(base: .seconds(10)))) {
        self.core = core
        self.configuration = configuration
        self.options = options
    }

    public func work(_ job: Job<Args>) async throws {
        let tenant = try SweepJobs.tenant(of: job)
        let deleted = try await SweepJobs.inBatches(configuration) { limit in
            try await core.idempotency.sweepExpired(tenant: tenant, limit: limit)
        }
        job.logger.info("swept expired idempotency keys", metadata: ["tenant_id": "\(tenant)", "keys": "\(deleted)"])
    }
}
