import Domain
import Foundation
import Logging
import PostgresNIO

/// Rows of `file_variants` (thumb, preview, scrubbed…), always inside a tenant-scoped transaction.
public struct VariantRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// A stored variant of a file, or `nil`.
    public func variant(_ id: PrefixedID, name: String, on tx: PostgresConnection) async throws -> StoredBytes? {
        let rows = try await tx.query("""
            SELECT object_key, content_type, size, sha256 FROM file_variants WHERE file_id = \(id.description) AND name = \(name)
            """, logger: logger)
        for try await (key, type, size, sha) in rows.decode((String, String, Int64, String).self) {
            return StoredBytes(key: try ObjectKey(parsing: key), contentType: type, size: size, sha256: sha)
        }
        return nil
    }

    /// The stored variants of `ids`, by file, each file's sorted by name.
    public func variants(of ids: [PrefixedID], on tx: PostgresConnection) async throws -> [PrefixedID: [VariantInfo]] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await tx.query("""
            SELECT file_id, name, content_type, size, sha256, width, height FROM file_variants
            WHERE file_id = ANY(\(ids.map(\.description))) ORDER BY file_id, name
            """, logger: logger)
        var out: [PrefixedID: [VariantInfo]] = [:]
        for try await (file, name, type, size, sha, width, height) in rows.decode((String, String, String, Int64, String, Int32?, Int32?).self) {
            guard let id = PrefixedID(parsing: file, as: .file) else { continue }
            out[id, default: []].append(VariantInfo(name: name, contentType: type, size: size, sha256: sha,
                                                    width: width.map(Int.init), height: height.map(Int.init)))
        }
        return out
    }

    /// Records a variant that was stored (replacing an earlier one of the same name).
    public func upsert(file: PrefixedID, tenant: TenantID, name: String, stored: BlobInfo, contentType: String,
                       width: Int?, height: Int?, on tx: PostgresConnection) async throws {
        try await tx.query("""
            INSERT INTO file_variants (tenant_id, file_id, name, object_key, content_type, size, sha256, width, height)
            VALUES (\(tenant.value), \(file.description), \(name), \(stored.key.path), \(contentType), \(stored.size), \(stored.sha256),
                    \(width.map { Int32($0) }), \(height.map { Int32($0) }))
            ON CONFLICT (file_id, name) DO UPDATE SET object_key = excluded.object_key, content_type = excluded.content_type,
              size = excluded.size, sha256 = excluded.sha256, width = excluded.width, height = excluded.height
            """, logger: logger)
    }

    /// Drops every variant row of a file (its bytes were purged).
    public func deleteAll(of file: PrefixedID, on tx: PostgresConnection) async throws {
        try await tx.query("DELETE FROM file_variants WHERE file_id = \(file.description)", logger: logger)
    }
}
