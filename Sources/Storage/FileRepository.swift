import Domain
import Foundation
import JobKit
import Logging
import PostgresNIO

/// Rows of the file domain, always inside a tenant-scoped transaction (``TenantDatabase``). Every state
/// change goes through ``FileLifecycle`` and writes its audit event and outbox event in the same
/// transaction.
public struct FileRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    static let columns = """
        id, tenant_id, state::text, object_key, original_name, declared_type, content_type, size, sha256,
        url_generation, created_at, updated_at, scanned_at, scan_signature, type_mismatch,
        metadata_found, metadata_scrubbed, retention_class, retain_until, retention_action, retention_review_since,
        legal_hold_reason, legal_hold_at, legal_hold_by
        """

    /// Inserts a file that has been received in full (`uploaded`); returns it as stored (the database's
    /// `created_at`/`updated_at`), so the caller needs no second read.
    @discardableResult
    public func insertUploaded(_ file: FileRecord, on tx: PostgresConnection) async throws -> FileRecord {
        let rows = try await tx.query("""
            INSERT INTO files (id, tenant_id, state, object_key, original_name, declared_type, content_type, size, sha256, type_mismatch)
            VALUES (\(file.id.description), \(file.tenant.value), 'uploaded', \(file.objectKey.path), \(file.originalName),
                    \(file.declaredType), \(file.contentType), \(file.size), \(file.sha256), \(file.typeMismatch))
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        guard let stored = try await Self.decode(rows).first else { throw FileError(.notFound, "no file \(file.id) after its insert") }
        return stored
    }

    /// One file of the transaction's tenant, or `nil` (another tenant's file is invisible: RLS).
    public func file(_ id: PrefixedID, on tx: PostgresConnection, forUpdate: Bool = false) async throws -> FileRecord? {
        let rows = try await tx.query("""
            SELECT \(unescaped: Self.columns) FROM files WHERE id = \(id.description) \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """, logger: logger)
        return try await Self.decode(rows).first
    }

    /// A page of files, newest first; `after` is the last id of the previous page.
    public func list(after: PrefixedID?, state: FileState?, limit: Int, on tx: PostgresConnection) async throws -> [FileRecord] {
        let rows = try await tx.query("""
            SELECT \(unescaped: Self.columns) FROM files
            WHERE (\(after?.description)::text IS NULL OR id < \(after?.description))
              AND (\(state?.rawValue)::text IS NULL OR state::text = \(state?.rawValue))
            ORDER BY id DESC LIMIT \(limit)
            """, logger: logger)
        return try await Self.decode(rows)
    }

    /// Moves a file through its life cycle (the one guard), with its audit and outbox events.
    @discardableResult
    public func transition(_ id: PrefixedID, on event: FileEvent, actor: String, requestID: String?, traceContext: String?,
                           details: [String: String] = [:], tx: PostgresConnection) async throws -> FileRecord {
        guard var file = try await file(id, on: tx, forUpdate: true) else {
            throw FileError(.notFound, "no file \(id)")
        }
        let next = try FileLifecycle.next(from: file.state, on: event)
        try await tx.query("UPDATE files SET state = \(next.rawValue)::file_state, updated_at = now() WHERE id = \(id.description)", logger: logger)
        file.state = next
        try await audit(file, action: "file.\(event.rawValue)", actor: actor, requestID: requestID, traceContext: traceContext, details: details, on: tx)
        if let topic = Self.topic(for: next) {
            try await outbox(file, topic: topic, traceContext: traceContext, on: tx)
        }
        return file
    }

    /// Records a scan's verdict on the file (time, and the signature when not clean).
    public func recordScan(_ id: PrefixedID, signature: String?, on tx: PostgresConnection) async throws {
        try await tx.query("""
            UPDATE files SET scanned_at = now(), scan_signature = \(signature), updated_at = now() WHERE id = \(id.description)
            """, logger: logger)
    }

    /// Bumps the file's URL generation, revoking every signed URL issued before; returns the new generation.
    public func bumpURLGeneration(_ id: PrefixedID, on tx: PostgresConnection) async throws -> Int {
        let rows = try await tx.query("""
            UPDATE files SET url_generation = url_generation + 1, updated_at = now() WHERE id = \(id.description)
            RETURNING url_generation
            """, logger: logger)
        for try await generation in rows.decode(Int32.self) { return Int(generation) }
        throw FileError(.notFound, "no file \(id)")
    }

    /// Records that a deleted file's bytes are gone (the first time only).
    public func markPurged(_ id: PrefixedID, on tx: PostgresConnection) async throws {
        try await tx.query("UPDATE files SET purged_at = coalesce(purged_at, now()) WHERE id = \(id.description)", logger: logger)
    }

    /// The event topic published when a file reaches `state`, if any.
    public static func topic(for state: FileState) -> String? {
        switch state {
        case .uploaded: "file.uploaded.v1"
        case .clean: "file.scanned.v1"
        case .quarantined: "file.quarantined.v1"
        case .ready: "file.ready.v1"
        case .failed: "file.failed.v1"
        case .deleted: "file.deleted.v1"
        case .erased: "file.erased.v1"
        case .pending, .scanning, .processing: nil
        }
    }

    public func audit(_ file: FileRecord, action: String, actor: String, requestID: String?, traceContext: String?,
                      details: [String: String] = [:], on tx: PostgresConnection) async throws {
        let json = String(decoding: try JSONEncoder().encode(details), as: UTF8.self)
        try await tx.query("""
            INSERT INTO audit_events (id, tenant_id, actor, action, subject_id, details, request_id, trace_context)
            VALUES (\(PrefixedID(.audit).description), \(file.tenant.value), \(actor), \(action), \(file.id.description),
                    \(json)::jsonb, \(requestID), \(traceContext))
            """, logger: logger)
    }

    public func outbox(_ file: FileRecord, topic: String, traceContext: String?, on tx: PostgresConnection) async throws {
        let payload = FileEventPayload(file: file, topic: topic)
        let json = String(decoding: try JSONEncoder.events.encode(payload), as: UTF8.self)
        try await OutboxRelayJob.insertEvent(id: payload.event_id, tenant: file.tenant, topic: topic, aggregateID: file.id.description,
                                             payloadJSON: json, traceContext: traceContext, on: tx, logger: logger)
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [FileRecord] {
        var files: [FileRecord] = []
        for try await row in rows {
            let c = try row.decode((String, String, String, String, String?, String?, String?, Int64?, String?, Int32, Date, Date,
                                    Date?, String?, Bool, [String]?, Bool?, String, Date?, String?, Date?, String?, Date?, String?).self)
            guard let id = PrefixedID(parsing: c.0, as: .file), let state = FileState(rawValue: c.2) else {
                throw FileError(.invalidID, "corrupt file row \(c.0)")
            }
            files.append(FileRecord(id: id, tenant: try TenantID(c.1), state: state, objectKey: try ObjectKey(parsing: c.3),
                                    originalName: c.4, declaredType: c.5, contentType: c.6, size: c.7, sha256: c.8,
                                    urlGeneration: Int(c.9), createdAt: c.10, updatedAt: c.11, scannedAt: c.12, scanSignature: c.13,
                                    typeMismatch: c.14))
            files[files.count - 1].metadataFound = c.15
            files[files.count - 1].metadataScrubbed = c.16
            files[files.count - 1].retention = RetentionRepository.retention((c.17, c.18, c.19, c.20, c.21, c.22, c.23))
        }
        return files
    }
}

