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
