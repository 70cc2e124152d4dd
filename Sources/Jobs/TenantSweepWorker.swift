import Domain
import FileCore
import JobKit

/// The handler of a ``TenantSweep``'s per-tenant job: sweeps the job's tenant in batches, in the tenant's own
/// scope. Idempotent and bounded (``SweepConfiguration/batchSize`` × ``SweepConfiguration/maxBatchesPerJob``);
/// a job without a valid tenant is cancelled.
public struct TenantSweepWorker<Sweep: TenantSweep>: JobWorker {
    public typealias Args = Sweep

    let core: FileCore
    let configuration: SweepConfiguration
    public let options: JobWorkerOptions

    /// - Parameter core: the application layer on the app pool (`filestore_app`), with the blob store.
    public init(core: FileCore, configuration: SweepConfiguration = SweepConfiguration(),
                options: JobWorkerOptions = JobWorkerOptions(timeout: .seconds(300), retryPolicy: RetryPolicy(base: .seconds(10)))) {
        self.core = core
        self.configuration = configuration
        self.options = options
    }

    public func work(_ job: Job<Args>) async throws {
        let tenant = try SweepJobs.tenant(of: job)
        let deleted = try await SweepJobs.inBatches(configuration) { limit in
            try await Sweep.sweep(core, tenant: tenant, limit: limit)
        }
        job.logger.info("swept \(Sweep.kind)", metadata: ["tenant_id": "\(tenant)", "\(Sweep.itemName)": "\(deleted)"])
    }
}
