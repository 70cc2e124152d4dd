import Domain

extension SystemDatabase {
    /// Tenants (id order, after `after`, at most `limit`) with a live, unheld file whose retention expired.
    public func tenantsWithExpiredRetention(after: TenantID? = nil, limit: Int) async throws -> [TenantID] {
        try await tenantIDs(postgres.query("SELECT filestore_system.tenants_with_expired_retention(\(after?.value)::text, \(Int32(clamping: limit)))",
                                           logger: logger))
    }

    /// Tenants (id order, after `after`, at most `limit`) with audit events not yet sealed into their chain.
    public func tenantsWithUnsealedAudit(after: TenantID? = nil, limit: Int) async throws -> [TenantID] {
        try await tenantIDs(postgres.query("SELECT filestore_system.tenants_with_unsealed_audit(\(after?.value)::text, \(Int32(clamping: limit)))",
                                           logger: logger))
    }
}

/// Open erasure requests across tenants (``SystemDatabase/erasureStats(dueWithin:)``).
public struct ErasureStats: Sendable, Hashable {
    public var open: Int
    /// Open and due within the window.
    public var dueSoon: Int
    /// Open and past their due date.
    public var overdue: Int
}

extension SystemDatabase {
    /// Open erasure requests, those due within `dueWithin` seconds, and those overdue.
    public func erasureStats(dueWithin: Double) async throws -> ErasureStats {
        let rows = try await postgres.query("SELECT * FROM filestore_system.erasure_stats(\(dueWithin) * interval '1 second')", logger: logger)
        for try await (open, soon, overdue) in rows.decode((Int64, Int64, Int64).self) {
            return ErasureStats(open: Int(open), dueSoon: Int(soon), overdue: Int(overdue))
        }
        return ErasureStats(open: 0, dueSoon: 0, overdue: 0)
    }
}
