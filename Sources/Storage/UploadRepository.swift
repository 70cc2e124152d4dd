import Domain
import Foundation
import Logging
import PostgresNIO

/// Rows of `uploads` (tus), inside a tenant-scoped transaction. A short lease (`locked_by`, `locked_until`)
/// lets one request at a time write an upload without holding a transaction open while bytes stream.
public struct UploadRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// Records a new, empty upload.
    public func insert(_ upload: UploadRecord, tenant: TenantID, on tx: PostgresConnection) async throws {
        let meta = String(decoding: try JSONEncoder().encode(upload.metadata), as: UTF8.self)
        try await tx.query("""
            INSERT INTO uploads (id, tenant_id, length, metadata, expires_at, subjects)
            VALUES (\(upload.id.description), \(tenant.value), \(upload.length), \(meta)::jsonb, \(upload.expiresAt), \(upload.subjects)::text[])
            """, logger: logger)
    }

    /// One upload of the transaction's tenant, or `nil`.
    public func upload(_ id: PrefixedID, on tx: PostgresConnection) async throws -> UploadRecord? {
        let rows = try await tx.query("""
            SELECT length, "offset", metadata::text, expires_at, file_id FROM uploads WHERE id = \(id.description)
            """, logger: logger)
        for try await (length, offset, meta, expires, file) in rows.decode((Int64?, Int64, String, Date, String?).self) {
            let metadata = (try? JSONDecoder().decode([String: String].self, from: Data(meta.utf8))) ?? [:]
            return UploadRecord(id: id, length: length, offset: offset, metadata: metadata, expiresAt: expires,
                                fileID: file.flatMap { PrefixedID(parsing: $0, as: .file) })
        }
        return nil
    }

    /// Takes the lease for `holder` if the upload is unfinished, at `offset` and not held by another request;
    /// sets a deferred length. Returns whether it was taken (the statement re-checks the newest row version).
    public func takeLease(_ id: PrefixedID, at offset: Int64, holder: String, duration: TimeInterval, declaredLength: Int64?,
                          on tx: PostgresConnection) async throws -> Bool {
        let rows = try await tx.query("""
            UPDATE uploads SET locked_by = \(holder), locked_until = now() + \(Int64(duration)) * interval '1 second',
                   length = coalesce(length, \(declaredLength))
            WHERE id = \(id.description) AND "offset" = \(offset) AND completed_at IS NULL
              AND (locked_until IS NULL OR locked_until < now())
            RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Gives the lease back, recording the new offset if any.
    public func releaseLease(_ id: PrefixedID, holder: String, offset: Int64?, on tx: PostgresConnection) async throws {
        try await tx.query("""
            UPDATE uploads SET "offset" = coalesce(\(offset), "offset"), locked_by = NULL, locked_until = NULL
            WHERE id = \(id.description) AND locked_by = \(holder)
            """, logger: logger)
    }

    /// Marks the upload complete, as `file`, and gives the lease back.
    public func complete(_ id: PrefixedID, holder: String, offset: Int64, file: PrefixedID, on tx: PostgresConnection) async throws {
        try await tx.query("""
            UPDATE uploads SET "offset" = \(offset), file_id = \(file.description), completed_at = now(),
                   locked_by = NULL, locked_until = NULL
            WHERE id = \(id.description) AND locked_by = \(holder)
            """, logger: logger)
    }

    /// Drops the upload's row.
    public func delete(_ id: PrefixedID, on tx: PostgresConnection) async throws {
        try await tx.query("DELETE FROM uploads WHERE id = \(id.description)", logger: logger)
    }

    /// Drops up to `limit` abandoned uploads of the transaction's tenant (expired, unfinished, not being
    /// written) and returns their ids, so their parts can be dropped too.
    public func deleteExpired(limit: Int, on tx: PostgresConnection) async throws -> [PrefixedID] {
        let rows = try await tx.query("""
            DELETE FROM uploads WHERE id IN (
              SELECT id FROM uploads WHERE completed_at IS NULL AND expires_at < now()
                AND (locked_until IS NULL OR locked_until < now())
              ORDER BY expires_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING id
            """, logger: logger)
        var ids: [PrefixedID] = []
        for try await id in rows.decode(String.self) { if let p = PrefixedID(parsing: id, as: .upload) { ids.append(p) } }
        return ids
    }
}

extension UploadRepository {
    /// Upload ids (tus) that became one of `files`.
    public func ids(ofFiles files: [String], on tx: PostgresConnection) async throws -> [PrefixedID] {
        try await ids(tx.query("SELECT id FROM uploads WHERE file_id = ANY(\(files)::text[])", logger: logger))
    }

    /// Unfinished uploads whose subjects include `subject`.
    public func unfinishedIDs(ofSubject subject: String, on tx: PostgresConnection) async throws -> [PrefixedID] {
        try await ids(tx.query("SELECT id FROM uploads WHERE completed_at IS NULL AND \(subject) = ANY(subjects)", logger: logger))
    }

    /// Every unfinished upload of the tenant.
    public func allUnfinishedIDs(on tx: PostgresConnection) async throws -> [PrefixedID] {
        try await ids(tx.query("SELECT id FROM uploads WHERE completed_at IS NULL", logger: logger))
    }

    private func ids(_ rows: PostgresRowSequence) async throws -> [PrefixedID] {
        var out: [PrefixedID] = []
        for try await id in rows.decode(String.self) { if let id = PrefixedID(parsing: id, as: .upload) { out.append(id) } }
        return out
    }
}
