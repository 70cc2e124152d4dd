import Domain
import Logging
import PostgresNIO

/// The data subjects of files (`file_subjects`), inside a tenant-scoped transaction: who a file concerns (its
/// uploader and anyone named), and a subject's files for erasure.
public struct SubjectRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// A subject of a file and how it came to be one.
    public enum Role: String, Sendable, Codable { case uploader, named }

    /// Records `subjects` of `file` (existing pairs are kept).
    public func add(_ subjects: [(id: String, role: Role)], to file: PrefixedID, tenant: TenantID, on tx: PostgresConnection) async throws {
        guard !subjects.isEmpty else { return }
        try await tx.query("""
            INSERT INTO file_subjects (tenant_id, file_id, subject_id, role)
            SELECT \(tenant.value), \(file.description), s, r FROM unnest(\(subjects.map(\.id))::text[], \(subjects.map(\.role.rawValue))::text[]) AS x (s, r)
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// Replaces the named subjects of `file` (its uploader stays).
    public func replaceNamed(_ subjects: [String], of file: PrefixedID, tenant: TenantID, on tx: PostgresConnection) async throws {
        try await tx.query("DELETE FROM file_subjects WHERE file_id = \(file.description) AND role = 'named'", logger: logger)
        try await add(subjects.map { ($0, .named) }, to: file, tenant: tenant, on: tx)
    }

    /// The subjects of `file`, uploader first, then by id.
    public func subjects(of file: PrefixedID, on tx: PostgresConnection) async throws -> [(id: String, role: Role)] {
        let rows = try await tx.query("""
            SELECT subject_id, role FROM file_subjects WHERE file_id = \(file.description) ORDER BY role DESC, subject_id
            """, logger: logger)
        var out: [(id: String, role: Role)] = []
        for try await (id, role) in rows.decode((String, String).self) { out.append((id, Role(rawValue: role) ?? .named)) }
        return out
    }

    /// The files of `subject` after `after` in id order, at most `limit`.
    public func files(of subject: String, after: PrefixedID?, limit: Int, on tx: PostgresConnection) async throws -> [PrefixedID] {
        let rows = try await tx.query("""
            SELECT file_id FROM file_subjects WHERE subject_id = \(subject) AND (\(after?.description)::text IS NULL OR file_id > \(after?.description))
            ORDER BY file_id LIMIT \(limit)
            """, logger: logger)
        var out: [PrefixedID] = []
        for try await id in rows.decode(String.self) { if let id = PrefixedID(parsing: id, as: .file) { out.append(id) } }
        return out
    }

    /// Every file of the transaction's tenant after `after` in id order, at most `limit` (tenant offboarding).
    public func allFiles(after: PrefixedID?, limit: Int, on tx: PostgresConnection) async throws -> [PrefixedID] {
        let rows = try await tx.query("""
            SELECT id FROM files WHERE (\(after?.description)::text IS NULL OR id > \(after?.description)) ORDER BY id LIMIT \(limit)
            """, logger: logger)
        var out: [PrefixedID] = []
        for try await id in rows.decode(String.self) { if let id = PrefixedID(parsing: id, as: .file) { out.append(id) } }
        return out
    }

    /// Removes every subject of `file` (it was erased).
    public func removeAll(of file: PrefixedID, on tx: PostgresConnection) async throws {
        try await tx.query("DELETE FROM file_subjects WHERE file_id = \(file.description)", logger: logger)
    }
}
