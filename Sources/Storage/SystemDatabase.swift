import Domain
import JobKit
import Logging
import PostgresNIO

/// The database as leader tasks see it across tenants: a pool connected as `filestore_system`, which may
/// read no table and only call the `SECURITY DEFINER` functions of the schema `filestore_system`
/// (migration 0008, docs/DATABASE_ROLES.md). Each call answers one narrow question — which tenants exist,
/// which have expired work — so that the work itself is then done per tenant, under row-level security,
/// through ``TenantDatabase``. Request handling never uses this (its role cannot execute these functions).
public struct SystemDatabase: Sendable {
    /// A pool connected as the system role (`SYSTEM_DATABASE_URL`). Its `run()` must be running.
    public let postgres: PostgresClient
    public let logger: Logger

    /// The role the system path connects as. Default name; the grants in migration 0008 are to this role.
    public static let roleName = "filestore_system"

    public init(postgres: PostgresClient, logger: Logger) {
        self.postgres = postgres
        self.logger = logger
    }

    /// The default connection of the system path when `SYSTEM_DATABASE_URL` is unset: the service's own
    /// database (`DATABASE_URL`) with the user replaced by `filestore_system`, no password, and a small pool
    /// (2 connections: leader tasks run one query at a time).
    public static func defaultConfiguration(from database: DatabaseConfiguration) -> DatabaseConfiguration {
        var configuration = database
        configuration.username = roleName
        configuration.password = nil
        configuration.maximumConnections = 2
        return configuration
    }

    /// Tenants in id order after `after` (`nil`: from the first), at most `limit`.
    public func tenants(after: TenantID? = nil, limit: Int) async throws -> [TenantID] {
        try await tenantIDs(postgres.query("SELECT filestore_system.tenants(\(after?.value)::text, \(Int32(clamping: limit)))", logger: logger))
    }

    /// Tenants (id order, after `after`, at most `limit`) with an abandoned upload: unfinished, past its
    /// `expires_at`, not under a live lease.
    public func tenantsWithExpiredUploads(after: TenantID? = nil, limit: Int) async throws -> [TenantID] {
        try await tenantIDs(postgres.query("SELECT filestore_system.tenants_with_expired_uploads(\(after?.value)::text, \(Int32(clamping: limit)))", logger: logger))
    }

    /// Tenants (id order, after `after`, at most `limit`) with an idempotency key past its `expires_at`.
    public func tenantsWithExpiredIdempotencyKeys(after: TenantID? = nil, limit: Int) async throws -> [TenantID] {
        try await tenantIDs(postgres.query("SELECT filestore_system.tenants_with_expired_idempotency_keys(\(after?.value)::text, \(Int32(clamping: limit)))",
                                           logger: logger))
    }

    func tenantIDs(_ rows: PostgresRowSequence) async throws -> [TenantID] {
        var tenants: [TenantID] = []
        for try await id in rows.decode(String.self) { tenants.append(try TenantID(id)) }
        return tenants
    }
}
