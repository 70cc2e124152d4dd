import Domain
import Foundation
import Logging
import PostgresNIO

/// The tenant's own row (provisioned on first use) and what its quotas count, inside a tenant-scoped
/// transaction.
public struct TenantRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// A tenant's quotas as its row sets them; `nil` fields (or no row) fall back to the configured defaults.
    public struct Quota: Sendable, Hashable {
        public var bytes: Int64?
        public var files: Int64?
    }

    /// What a tenant stores: bytes and files that are neither deleted nor erased.
    public struct Usage: Sendable, Hashable {
        public var bytes: Int64
        public var files: Int64
    }

    /// Makes sure the tenant has its row (tenants are provisioned on first use).
    public func ensureTenant(_ tenant: TenantID, on tx: PostgresConnection) async throws {
        try await tx.query("INSERT INTO tenants (id, name) VALUES (\(tenant.value), \(tenant.value)) ON CONFLICT (id) DO NOTHING",
                           logger: logger)
    }

    /// Makes sure the tenant has its row and returns its quotas, in one statement (the upload's first).
    public func ensureTenantQuota(_ tenant: TenantID, on tx: PostgresConnection) async throws -> Quota {
        let rows = try await tx.query("""
            WITH made AS (
                INSERT INTO tenants (id, name) VALUES (\(tenant.value), \(tenant.value)) ON CONFLICT (id) DO NOTHING
                RETURNING quota_bytes, quota_files)
            SELECT quota_bytes, quota_files FROM made
            UNION ALL SELECT quota_bytes, quota_files FROM tenants WHERE id = \(tenant.value)
            """, logger: logger)
        var quota = Quota(bytes: nil, files: nil)
        for try await (bytes, files) in rows.decode((Int64?, Int64?).self) { quota = Quota(bytes: bytes, files: files) }
        return quota
    }

    /// The tenant's quotas; with `lock`, its row is locked until the transaction ends (serializing uploads).
    public func quota(_ tenant: TenantID, lock: Bool, on tx: PostgresConnection) async throws -> Quota {
        let rows = try await tx.query("""
            SELECT quota_bytes, quota_files FROM tenants WHERE id = \(tenant.value) \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger)
        for try await (bytes, files) in rows.decode((Int64?, Int64?).self) { return Quota(bytes: bytes, files: files) }
        return Quota(bytes: nil, files: nil)
    }

    /// The tenant's region, or `nil` for a tenant without a row yet (it gets the column's default, `local`).
    public func region(_ tenant: TenantID, on tx: PostgresConnection) async throws -> String? {
        let rows = try await tx.query("SELECT region FROM tenants WHERE id = \(tenant.value)", logger: logger)
        for try await region in rows.decode(String.self) { return region }
        return nil
    }

    /// The transaction's tenant's usage (row-level security scopes the count).
    public func usage(on tx: PostgresConnection) async throws -> Usage {
        let rows = try await tx.query("""
            SELECT coalesce(sum(size), 0)::int8, count(*)::int8 FROM files WHERE state NOT IN ('deleted', 'erased')
            """, logger: logger)
        for try await (bytes, files) in rows.decode((Int64, Int64).self) { return Usage(bytes: bytes, files: files) }
        return Usage(bytes: 0, files: 0)
    }
}
