import Domain
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Rows of `idempotency_keys`, inside a tenant-scoped transaction.
public struct IdempotencyRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// What a key holds: the fingerprint of the request that claimed it and, once it finished, its outcome.
    public struct Record: Sendable {
        public var requestHash: String
        /// `nil` while the first request is still running.
        public var status: Int?
        public var contentType: String?
        public var location: String?
        public var body: ByteBuffer?
    }

    /// Claims `key` for a request with `requestHash`, for `retention`. An expired row is taken over as if it
    /// were absent, so an expired key is never replayed. Returns whether the key was claimed.
    public func claim(_ key: String, tenant: TenantID, requestHash: String, retention: TimeInterval,
                      on tx: PostgresConnection) async throws -> Bool {
        let rows = try await tx.query("""
            INSERT INTO idempotency_keys (tenant_id, key, request_hash, expires_at)
            VALUES (\(tenant.value), \(key), \(requestHash), now() + \(Int64(retention)) * interval '1 second')
            ON CONFLICT (tenant_id, key) DO UPDATE
              SET request_hash = excluded.request_hash, expires_at = excluded.expires_at, created_at = now(),
                  status = NULL, content_type = NULL, location = NULL, body = NULL
              WHERE idempotency_keys.expires_at < now()
            RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// The row holding `key`, or `nil`.
    public func record(_ key: String, on tx: PostgresConnection) async throws -> Record? {
        let rows = try await tx.query("""
            SELECT request_hash, status, content_type, location, body FROM idempotency_keys WHERE key = \(key)
            """, logger: logger)
        for try await (hash, status, type, location, body) in rows.decode((String, Int32?, String?, String?, ByteBuffer?).self) {
            return Record(requestHash: hash, status: status.map(Int.init), contentType: type, location: location, body: body)
        }
        return nil
    }

    /// Stores the finished outcome of the request holding `key`.
    public func store(_ key: String, status: Int, contentType: String, location: String?, body: ByteBuffer,
                      on tx: PostgresConnection) async throws {
        try await tx.query("""
            UPDATE idempotency_keys SET status = \(Int32(status)), content_type = \(contentType), location = \(location), body = \(body)
            WHERE key = \(key)
            """, logger: logger)
    }

    /// Gives up an unfinished claim (the request failed on the server's side; the client may retry).
    public func abandon(_ key: String, on tx: PostgresConnection) async throws {
        try await tx.query("DELETE FROM idempotency_keys WHERE key = \(key) AND status IS NULL", logger: logger)
    }

    /// Deletes at most `limit` keys of the transaction's tenant that are past `expires_at`, oldest expiry first,
    /// skipping rows another transaction holds. Returns how many were deleted.
    public func deleteExpired(limit: Int, on tx: PostgresConnection) async throws -> Int {
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
