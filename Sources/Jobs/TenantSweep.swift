import Domain
import FileCore
import JobKit
import Storage

/// A per-tenant sweep: the args of its job (none: the tenant is the job row's `tenant_id`), how the system path
/// finds the tenants that have work for it, and how one batch of that work is done in the tenant's own scope.
/// A leader task (``TenantSweepTask``) fans out one job per such tenant; a handler (``TenantSweepWorker``) runs it.
/// A new sweep is one conforming type, a system function in a migration, and its registration.
public protocol TenantSweep: JobArgs {
    init()
    /// What one run removed, for logs (`uploads`, `keys`).
    static var itemName: String { get }
    /// Tenants (id order, after `after`, at most `limit`) with work for this sweep, read through the system path.
    static func tenants(_ system: SystemDatabase, after: TenantID?, limit: Int) async throws -> [TenantID]
    /// Sweeps at most `limit` items of `tenant`, through the application layer (row-level security applies);
    /// returns how many went.
    static func sweep(_ core: FileCore, tenant: TenantID, limit: Int) async throws -> Int
}

/// `uploads.sweep`: one tenant's abandoned tus uploads — unfinished, past their expiry, not under a live lease —
/// and their parts (``FileCore/TusUploads/sweepExpired(tenant:limit:)``).
public struct SweepUploads: TenantSweep, Hashable {
    public static let kind = "uploads.sweep"
    public static let defaultQueue = "maintenance"
    public static let itemName = "uploads"
    public init() {}

    public static func tenants(_ system: SystemDatabase, after: TenantID?, limit: Int) async throws -> [TenantID] {
        try await system.tenantsWithExpiredUploads(after: after, limit: limit)
    }

    public static func sweep(_ core: FileCore, tenant: TenantID, limit: Int) async throws -> Int {
        try await core.tus.sweepExpired(tenant: tenant, limit: limit)
    }
}

/// `idempotency_keys.sweep`: one tenant's idempotency keys past their expiry
/// (``FileCore/IdempotencyStore/sweepExpired(tenant:limit:)``).
public struct SweepIdempotencyKeys: TenantSweep, Hashable {
    public static let kind = "idempotency_keys.sweep"
    public static let defaultQueue = "maintenance"
    public static let itemName = "keys"
    public init() {}

    public static func tenants(_ system: SystemDatabase, after: TenantID?, limit: Int) async throws -> [TenantID] {
        try await system.tenantsWithExpiredIdempotencyKeys(after: after, limit: limit)
    }

    public static func sweep(_ core: FileCore, tenant: TenantID, limit: Int) async throws -> Int {
        try await core.idempotency.sweepExpired(tenant: tenant, limit: limit)
    }
}
