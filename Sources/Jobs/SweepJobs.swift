import Domain
import JobKit

/// The per-tenant sweep jobs, built in one place for the leader tasks: one job per tenant and kind, unique
/// while pending (key `<kind>:<tenant>`), the tenant in the row's `tenant_id`.
public enum SweepJobs {
    static func insert<A: JobArgs>(_ args: A, tenant: TenantID, configuration: SweepConfiguration) throws -> JobInsert {
        try JobInsert(args, options: InsertOptions(queue: configuration.queue, maxAttempts: configuration.maxAttempts,
                                                   uniqueKey: "\(A.kind):\(tenant.value)", tenantID: tenant.value))
    }

    /// Delete `tenant`'s abandoned uploads and their partial data (``TenantSweepWorker``).
    public static func uploads(_ tenant: TenantID, configuration: SweepConfiguration = SweepConfiguration()) throws -> JobInsert {
        try insert(SweepUploads(), tenant: tenant, configuration: configuration)
    }

    /// Delete `tenant`'s expired idempotency keys (``TenantSweepWorker``).
    public static func idempotencyKeys(_ tenant: TenantID, configuration: SweepConfiguration = SweepConfiguration()) throws -> JobInsert {
        try insert(SweepIdempotencyKeys(), tenant: tenant, configuration: configuration)
    }

    /// The tenant a sweep job works for; a job without a valid one is cancelled (it could never succeed).
    static func tenant<A: JobArgs>(of job: Job<A>) throws -> TenantID {
        guard let text = job.tenantID, let tenant = try? TenantID(text) else {
            throw JobCancel("\(job.kind) job \(job.id) names no valid tenant")
        }
        return tenant
    }

    /// Runs `batch` (which deletes at most `configuration.batchSize` rows and returns how many it deleted)
    /// until a batch comes back short or `configuration.maxBatchesPerJob` batches ran. Returns the total.
    static func inBatches(_ configuration: SweepConfiguration, _ batch: (Int) async throws -> Int) async throws -> Int {
        var total = 0
        for _ in 0..<configuration.maxBatchesPerJob {
            let deleted = try await batch(configuration.batchSize)
            total += deleted
            if deleted < configuration.batchSize { break }
        }
        return total
    }
}
