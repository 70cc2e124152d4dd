import Domain
import Logging
import PostgresNIO

/// The SQL of the per-tenant sweeps. Every statement runs on a connection of a ``TenantDatabase``
/// transaction, so row-level security keeps it inside that transaction's tenant.
public struct SweepRepository: Sendable {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Deletes at most `limit` abandoned uploads of the transaction's tenant — unfinished, past `expires_at`,
    /// not under a live lease (an upload a PATCH is still writing is kept until its lease runs out) — oldest
    /// expiry first, skipping rows another transaction holds. Returns their ids: the caller removes their
    /// partial data before the transaction commits, so a failure leaves the rows to be swept again.
    public func deleteExpiredUploads(limit: Int, on tx: PostgresConnection) async throws -> [PrefixedID] {
        let rows = try await tx.query("""
            DELETE FROM uploads WHERE id IN (
              SELECT id FROM uploads WHERE completed_at IS NULL AND expires_at < now()
                AND (locked_until IS NULL OR locked_until < now())
              ORDER BY expires_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING id
            """, logger: logger)
        var ids: [PrefixedID] = []
        for try await id in rows.decode(String.self) {
            if let upload = PrefixedID(parsing: id, as: .upload) { ids.append(upload) }
        }
        return ids
    }

    /// Deletes at most `limit` idempotency keys of the transaction's tenant that are past `expires_at`,
    /// oldest expiry first, skipping rows another transaction holds. Returns how many were deleted.
    public func deleteExpiredIdempotencyKeys(limit: Int, on tx: PostgresConnection) async throws -> Int {
        let rows = try await tx.query("""
            DELETE FROM idempotency_keys WHERE (tenant_id, key) IN (
              SELECT tenant_id, key FROM idempotency_keys WHERE expires_at < now()
              ORDER BY expires_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING 1
            """, logger: logger)
        var deleted = 0
        for try await _ in rows { deleted += 1 }
        return deleted
    }
}
