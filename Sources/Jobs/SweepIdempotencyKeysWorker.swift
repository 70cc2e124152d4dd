import Domain
import JobKit
import Storage

/// The `idempotency_keys.sweep` job: deletes one tenant's idempotency keys past their expiry, in batches, in
/// the tenant's own scope (row-level security applies). Idempotent and bounded
/// (``SweepConfiguration/batchSize`` × ``SweepConfiguration/maxBatchesPerJob``).
public struct SweepIdempotencyKeysWorker: JobWorker {
    public typealias Args = SweepJobArgs
    public static let kind = "idempotency_keys.sweep"

    let database: TenantDatabase
    let configuration: SweepConfiguration
    public let options: JobWorkerOptions

    /// - Parameter database: the tenant-scoped database on the app pool.
    public init(database: TenantDatabase, configuration: SweepConfiguration = SweepConfiguration(),
                options: JobWorkerOptions = JobWorkerOptions(timeout: .seconds(300), retryPolicy: RetryPolicy(base: .seconds(10)))) {
        self.database = database
        self.configuration = configuration
        self.options = options
    }

    public func work(_ job: Job<Args>) async throws {
        let tenant = try SweepJobs.tenant(of: job)
        let repository = SweepRepository(logger: job.logger)
        let deleted = try await SweepJobs.inBatches(configuration) { limit in
            try await database.transaction(tenant) { try await repository.deleteExpiredIdempotencyKeys(limit: limit, on: $0) }
        }
        job.logger.info("swept expired idempotency keys", metadata: ["tenant_id": "\(tenant)", "keys": "\(deleted)"])
    }
}
