import JobKit

/// The args of the per-tenant `uploads.sweep` job: none. The tenant is the job row's `tenant_id`, read in one
/// place (``SweepJobs/tenant(of:)``).
public struct SweepUploads: JobArgs, Hashable {
    public static let kind = "uploads.sweep"
    public static let defaultQueue = "maintenance"
    public init() {}
}

/// The args of the per-tenant `idempotency_keys.sweep` job: none (the tenant is the job row's `tenant_id`).
public struct SweepIdempotencyKeys: JobArgs, Hashable {
    public static let kind = "idempotency_keys.sweep"
    public static let defaultQueue = "maintenance"
    public init() {}
}
