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
        url_generation, created_at, updated_at, scanned_at, scan_signature, type_mismatch
        """

    /// Makes sure the tenant has its row (tenants are provisioned on first use).
    public func ensureTenant(_ tenant: TenantID, on tx: PostgresConnection) async throws {
        try await tx.query("INSERT INTO tenants (id, name) VALUES (\(tenant.value), \(tenant.value)) ON CONFLICT (id) DO NOTHING",
                           logger: logger)
    }

    /// Inserts a file that has been received in full (`uploaded`).
    public func insertUploaded(_ file: FileRecord, on tx: PostgresConnection) async throws {
        try await tx.query("""
            INSERT INTO files (id, tenant_id, state, object_key, original_name, declared_type, content_type, size, sha256, type_mismatch)
            VALUES (\(file.id.description), \(file.tenant.value), 'uploaded', \(file.objectKey.path), \(file.originalName),
                    \(file.declaredType), \(file.contentType), \(file.size), \(file.sha256), \(file.typeMismatch))
            """, logger: logger)
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

    /// A stored variant of a file (`thumb`, `preview`, `scrubbed`), or `nil`.
    public func variant(_ id: PrefixedID, name: String, on tx: PostgresConnection) async throws -> StoredBytes? {
        let rows = try await tx.query("""
            SELECT object_key, content_type, size, sha256 FROM file_variants WHERE file_id = \(id.description) AND name = \(name)
            """, logger: logger)
        for try await (key, type, size, sha) in rows.decode((String, String, Int64, String).self) {
            return StoredBytes(key: try ObjectKey(parsing: key), contentType: type, size: size, sha256: sha)
        }
        return nil
    }

    /// The stored variants of `ids`, by file.
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

    /// Records a scan's verdict on the file (time, and the signature when not clean).
    public func recordScan(_ id: PrefixedID, signature: String?, on tx: PostgresConnection) async throws {
        try await tx.query("""
            UPDATE files SET scanned_at = now(), scan_signature = \(signature), updated_at = now() WHERE id = \(id.description)
            """, logger: logger)
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
        try await tx.query("""
            INSERT INTO outbox_events (id, tenant_id, topic, aggregate_id, payload, trace_context)
            VALUES (\(payload.event_id), \(file.tenant.value), \(topic), \(file.id.description), \(json)::jsonb, \(traceContext))
            """, logger: logger)
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [FileRecord] {
        var files: [FileRecord] = []
        for try await row in rows {
            let c = try row.decode((String, String, String, String, String?, String?, String?, Int64?, String?, Int32, Date, Date,
                                    Date?, String?, Bool).self)
            guard let id = PrefixedID(parsing: c.0, as: .file), let state = FileState(rawValue: c.2) else {
                throw FileError(.invalidID, "corrupt file row \(c.0)")
            }
            files.append(FileRecord(id: id, tenant: try TenantID(c.1), state: state, objectKey: try ObjectKey(parsing: c.3),
                                    originalName: c.4, declaredType: c.5, contentType: c.6, size: c.7, sha256: c.8,
                                    urlGeneration: Int(c.9), createdAt: c.10, updatedAt: c.11, scannedAt: c.12, scanSignature: c.13,
                                    typeMismatch: c.14))
        }
        return files
    }
}

/// A stored variant of a file, as the API lists it.
public struct VariantInfo: Sendable, Hashable {
    public var name: String
    public var contentType: String
    public var size: Int64
    public var sha256: String
    public var width: Int?
    public var height: Int?
}

/// The payload of every `file.*.v1` event (JSON Schemas under `events/file-storage/`).
public struct FileEventPayload: Codable, Sendable {
    public var event_id: String
    public var topic: String
    public var occurred_at: Date
    public var tenant_id: String
    public var file_id: String
    public var state: String
    public var size: Int64?
    public var sha256: String?
    public var content_type: String?

    init(file: FileRecord, topic: String) {
        self.event_id = PrefixedID(.event).description
        self.topic = topic
        self.occurred_at = Date()
        self.tenant_id = file.tenant.value
        self.file_id = file.id.description
        self.state = file.state.rawValue
        self.size = file.size
        self.sha256 = file.sha256
        self.content_type = file.contentType
    }
}

extension JSONEncoder {
    /// Stable JSON for events: sorted keys, ISO-8601 times.
    static var events: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .iso8601
        return e
    }
}

/// Bytes that can be served: where they are and what they are.
public struct StoredBytes: Sendable, Hashable {
    public var key: ObjectKey
    public var contentType: String
    public var size: Int64
    public var sha256: String
    public init(key: ObjectKey, contentType: String, size: Int64, sha256: String) {
        self.key = key
        self.contentType = contentType
        self.size = size
        self.sha256 = sha256
    }
}
