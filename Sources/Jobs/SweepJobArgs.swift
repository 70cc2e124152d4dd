/// The args of a per-tenant sweep job: none. The tenant is the job row's `tenant_id`, read in one place
/// (``SweepJobs/tenant(of:)``).
public struct SweepJobArgs: Codable, Sendable, Hashable {
    public init() {}
}
