import Domain
import Foundation
import Logging
import PostgresNIO

/// What the rows of one tenant say its blob store must hold, for the consistency check of rows and blobs
/// (`filestore blobs check`, after a restore or an incident). Inside a tenant-scoped transaction.
public struct BlobAuditRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// A file row as the check reads it.
    public struct FileRow: Sendable, Hashable {
        public var id: String
        public var state: FileState
        public var objectKey: String
        /// Bytes gone for good (a deleted or erased file after its purge).
        public var purged: Bool
    }

    /// Every file of the tenant.
    public func files(on tx: PostgresConnection) async throws -> [FileRow] {
        let rows = try await tx.query("SELECT id, state::text, object_key, purged_at IS NOT NULL FROM files ORDER BY id", logger: logger)
        var out: [FileRow] = []
        for try await (id, state, key, purged) in rows.decode((String, String, String, Bool).self) {
            guard let s = FileState(rawValue: state) else { continue }
            out.append(FileRow(id: id, state: s, objectKey: key, purged: purged))
        }
        return out
    }

    /// The keys of every variant of the tenant's files, with their file's id.
    public func variantKeys(on tx: PostgresConnection) async throws -> [(file: String, key: String)] {
        let rows = try await tx.query("SELECT file_id, object_key FROM file_variants ORDER BY file_id, name", logger: logger)
        var out: [(String, String)] = []
        for try await (file, key) in rows.decode((String, String).self) { out.append((file, key)) }
        return out
    }
}
