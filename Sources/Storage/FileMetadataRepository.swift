import Domain
import Foundation
import Logging
import PostgresNIO

/// What the optimize step found in a file's metadata, and the tenant's policy for metadata it cannot remove.
public struct FileMetadataRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// Records the kinds of personal metadata the original carried and whether what is served was scrubbed.
    public func record(_ id: PrefixedID, found: [String], scrubbed: Bool, on tx: PostgresConnection) async throws {
        try await tx.query("""
            UPDATE files SET metadata_found = \(found), metadata_scrubbed = \(scrubbed), updated_at = now() WHERE id = \(id.description)
            """, logger: logger)
    }

    /// The transaction's tenant's policy for metadata the service cannot remove (`serve` without a row).
    public func unscrubbablePolicy(on tx: PostgresConnection) async throws -> UnscrubbableMetadataPolicy {
        let rows = try await tx.query("SELECT unscrubbable_metadata FROM tenants WHERE id = current_tenant()", logger: logger)
        for try await value in rows.decode(String.self) { return UnscrubbableMetadataPolicy(rawValue: value) ?? .serve }
        return .serve
    }

    /// Sets the tenant's policy (operators and tests; the tenant row is made if missing).
    public func setUnscrubbablePolicy(_ policy: UnscrubbableMetadataPolicy, tenant: TenantID, on tx: PostgresConnection) async throws {
        try await tx.query("""
            INSERT INTO tenants (id, name, unscrubbable_metadata) VALUES (\(tenant.value), \(tenant.value), \(policy.rawValue))
            ON CONFLICT (id) DO UPDATE SET unscrubbable_metadata = EXCLUDED.unscrubbable_metadata
            """, logger: logger)
    }
}
