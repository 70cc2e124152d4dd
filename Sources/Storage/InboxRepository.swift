import Domain
import Foundation
import Logging
import PostgresNIO

/// The inbox's rows: one per (source, event id) consumed, inserted in the transaction of the job or change the
/// event causes, so a redelivered event is recognised and has no second effect.
public struct InboxRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// Records the event; `false` when it was recorded before (a duplicate).
    public func record(source: String, eventID: String, tenant: TenantID, topic: String, on tx: PostgresConnection) async throws -> Bool {
        let rows = try await tx.query("""
            INSERT INTO inbox_events (source, event_id, tenant_id, topic) VALUES (\(source), \(eventID), \(tenant.value), \(topic))
            ON CONFLICT (source, event_id) DO NOTHING RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Sets the tenant's quotas (`nil`: unlimited, or the configured default).
    public func setQuotas(_ tenant: TenantID, bytes: Int64?, files: Int64?, on tx: PostgresConnection) async throws {
        try await tx.query("UPDATE tenants SET quota_bytes = \(bytes), quota_files = \(files) WHERE id = \(tenant.value)", logger: logger)
    }
}
