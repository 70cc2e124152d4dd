import Crypto
import Domain
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Storage

/// Resumable uploads by the tus 1.0 protocol (creation, creation-with-upload, creation-defer-length,
/// termination, checksum, expiration). Data is appended to partial storage and fsynced before an offset is
/// acknowledged; a short lease on the upload row serializes racing PATCH requests without keeping a
/// transaction open while bytes stream. A finished upload becomes a file exactly as a direct upload does.
public struct TusService: Sendable {
    let files: FileService
    /// How long an unfinished upload lives after its creation. Default: 24 hours.
    public var expiry: TimeInterval
    /// How long a PATCH may hold an upload before another request may take it over. Default: 10 minutes.
    public var leaseDuration: TimeInterval

    public init(files: FileService, expiry: TimeInterval = 24 * 3600, leaseDuration: TimeInterval = 600) {
        self.files = files
        self.expiry = expiry
        self.leaseDuration = leaseDuration
    }

    var database: TenantDatabase { files.database }
    var logger: Logger { files.database.logger }

    /// An upload's state.
    public struct Upload: Sendable {
        public var id: PrefixedID
        public var length: Int64?
        public var offset: Int64
        public var metadata: [String: String]
        public var expiresAt: Date
        public var fileID: PrefixedID?
    }

    /// Creates an upload (`length` nil with deferred length).
    public func create(identity: Identity, length: Int64?, metadata: [String: String]) async throws -> Upload {
        try identity.require(.filesWrite)
        if let length, length > files.configuration.maxUploadBytes {
            throw FileError(.payloadTooLarge, "Upload-Length \(length) exceeds the maximum of \(files.configuration.maxUploadBytes) bytes")
        }
        let id = PrefixedID(.upload)
        let meta = String(decoding: try JSONEncoder().encode(metadata), as: UTF8.self)
        let expires = Date().addingTimeInterval(expiry)
        try await database.transaction(identity.tenant) { tx in
            try await FileRepository(logger: logger).ensureTenant(identity.tenant, on: tx)
            try await files.checkQuota(identity.tenant, adding: length ?? 0, lock: false, on: tx)
            try await tx.query("""
                INSERT INTO uploads (id, tenant_id, length, metadata, expires_at)
                VALUES (\(id.description), \(identity.tenant.value), \(length), \(meta)::jsonb, \(expires))
                """, logger: logger)
        }
        try? await sweepExpired(tenant: identity.tenant)
        return Upload(id: id, length: length, offset: 0, metadata: metadata, expiresAt: expires, fileID: nil)
    }

    /// Drops the tenant's abandoned uploads (expired, unfinished, not being written): rows and partial data.
    /// Runs whenever the tenant creates an upload; row-level security keeps it inside the tenant.
    @discardableResult
    public func sweepExpired(tenant: TenantID, limit: Int = 100) async throws -> Int {
        let ids: [PrefixedID] = try await database.transaction(tenant) { tx in
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
        for id in ids { try? await files.blobs.deletePartial(tenant: tenant, upload: id) }
        return ids.count
    }

    /// The upload's state, or `NOT_FOUND` (another tenant's uploads are invisible) / `UPLOAD_EXPIRED`.
    public func get(identity: Identity, id: PrefixedID) async throws -> Upload {
        try identity.require(.filesWrite)
        guard let upload = try await database.transaction(identity.tenant, { try await load(id, on: $0) }) else {
            throw FileError(.notFound, "no upload \(id)")
        }
        if upload.fileID == nil, upload.expiresAt < Date() { throw FileError(.uploadExpired, "upload \(id) expired") }
        return upload
    }

    func load(_ id: PrefixedID, on tx: PostgresConnection) async throws -> Upload? {
        let rows = try await tx.query("""
            SELECT length, "offset", metadata::text, expires_at, file_id FROM uploads WHERE id = \(id.description)
            """, logger: logger)
        for try await (length, offset, meta, expires, file) in rows.decode((Int64?, Int64, String, Date, String?).self) {
            let metadata = (try? JSONDecoder().decode([String: String].self, from: Data(meta.utf8))) ?? [:]
            return Upload(id: id, length: length, offset: offset, metadata: metadata, expiresAt: expires,
                          fileID: file.flatMap { PrefixedID(parsing: $0, as: .file) })
        }
        return nil
    }

    /// Appends a chunk at `offset`. Returns the upload after it (with `fileID` once it completed).
    public func append<S: AsyncSequence & Sendable>(identity: Identity, id: PrefixedID, offset: Int64, declaredLength: Int64?,
                                                    body: S, checksum: ChunkChecksum?, requestID: String?, traceContext: String?)
        async throws -> Upload where S.Element == ByteBuffer {
        try identity.require(.filesWrite)
        let tenant = identity.tenant
        let holder = requestID ?? UUID().uuidString
        // Take the lease: only one writer at a time, only at the current offset, only while unexpired.
        var upload = try await database.transaction(tenant) { tx -> Upload in
            guard var upload = try await load(id, on: tx) else { throw FileError(.notFound, "no upload \(id)") }
            if upload.fileID != nil { throw FileError(.uploadFinished, "upload \(id) is complete") }
            if upload.expiresAt < Date() { throw FileError(.uploadExpired, "upload \(id) expired") }
            if offset != upload.offset {
                throw FileError(.uploadOffsetMismatch, "Upload-Offset is \(offset) but the upload is at \(upload.offset)")
            }
            if let declaredLength {
                if let length = upload.length, length != declaredLength {
                    throw FileError(.invalidRequest, "Upload-Length is already \(length)")
                }
                guard declaredLength >= upload.offset, declaredLength <= files.configuration.maxUploadBytes else {
                    throw FileError(.invalidRequest, "Upload-Length \(declaredLength) is below the offset or above the maximum")
                }
            }
            let claimed = try await tx.query("""
                UPDATE uploads SET locked_by = \(holder), locked_until = now() + \(Int64(leaseDuration)) * interval '1 second',
                       length = coalesce(length, \(declaredLength))
                WHERE id = \(id.description) AND "offset" = \(offset) AND completed_at IS NULL
                  AND (locked_until IS NULL OR locked_until < now())
                RETURNING 1
                """, logger: logger)
            var got = false
            for try await _ in claimed { got = true }
            guard got else {
                // The row changed since it was read (this statement re-checks the newest version): another
                // request holds it, or finished a chunk and moved the offset.
                if let now = try await load(id, on: tx), now.offset != offset || now.fileID != nil {
                    throw FileError(.uploadOffsetMismatch, "Upload-Offset is \(offset) but the upload is at \(now.offset)")
                }
                throw FileError(.uploadLocked, "another request is writing to upload \(id)")
            }
            upload.length = upload.length ?? declaredLength
            return upload
        }
        let limit = (upload.length ?? files.configuration.maxUploadBytes) - upload.offset
        do {
            upload.offset = try await files.blobs.appendPartial(tenant: tenant, upload: id, at: upload.offset, body: body,
                                                                limit: limit, checksum: checksum)
        } catch {
            try? await release(id, holder: holder, tenant: tenant, offset: nil)
            switch error {
            case is ChunkChecksumMismatch: throw FileError(.chunkChecksumMismatch, "the chunk does not match its Upload-Checksum")
            case is BlobTooLarge: throw FileError(.payloadTooLarge, "the chunk goes past Upload-Length")
            default: throw error
            }
        }
        if let length = upload.length, upload.offset == length {
            upload.fileID = try await finish(upload, identity: identity, holder: holder, requestID: requestID, traceContext: traceContext)
        } else {
            try await release(id, holder: holder, tenant: tenant, offset: upload.offset)
        }
        return upload
    }

    private func release(_ id: PrefixedID, holder: String, tenant: TenantID, offset: Int64?) async throws {
        try await database.transaction(tenant) { tx in
            try await tx.query("""
                UPDATE uploads SET "offset" = coalesce(\(offset), "offset"), locked_by = NULL, locked_until = NULL
                WHERE id = \(id.description) AND locked_by = \(holder)
                """, logger: logger)
        }
    }

    /// Turns the complete data into a file, recorded like a direct upload, and marks the upload done.
    private func finish(_ upload: Upload, identity: Identity, holder: String, requestID: String?, traceContext: String?) async throws -> PrefixedID {
        let tenant = identity.tenant
        let fileID = PrefixedID(.file)
        let key = try ObjectKey(tenant: tenant, file: fileID)
        let info = try await files.blobs.completePartial(tenant: tenant, upload: upload.id, to: key)
        let id = upload.id, offset = upload.offset, log = logger
        do {
            try await files.record(id: fileID, key: key, info: info, identity: identity, originalName: upload.metadata["filename"],
                                   declaredType: upload.metadata["filetype"], requestID: requestID, traceContext: traceContext) { tx in
                try await tx.query("""
                    UPDATE uploads SET "offset" = \(offset), file_id = \(fileID.description), completed_at = now(),
                           locked_by = NULL, locked_until = NULL
                    WHERE id = \(id.description) AND locked_by = \(holder)
                    """, logger: log)
            }
        } catch {
            try? await TenantBlobs(tenant: tenant, store: files.blobs).delete(key)
            try? await release(upload.id, holder: holder, tenant: tenant, offset: 0)
            throw error
        }
        return fileID
    }

    /// Terminates an unfinished upload: its data and row are dropped.
    public func terminate(identity: Identity, id: PrefixedID) async throws {
        try identity.require(.filesWrite)
        try await database.transaction(identity.tenant) { tx in
            guard let upload = try await load(id, on: tx) else { throw FileError(.notFound, "no upload \(id)") }
            if upload.fileID != nil { throw FileError(.uploadFinished, "upload \(id) is complete and became file \(upload.fileID!)") }
            try await tx.query("DELETE FROM uploads WHERE id = \(id.description)", logger: logger)
        }
        try await files.blobs.deletePartial(tenant: identity.tenant, upload: id)
    }

    /// Parses `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent).
    public static func parseMetadata(_ header: String?) throws -> [String: String] {
        guard let header, !header.isEmpty else { return [:] }
        var result: [String: String] = [:]
        for pair in header.split(separator: ",") {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
            guard let key = parts.first, !key.isEmpty, key.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                throw FileError(.invalidRequest, "Upload-Metadata is malformed")
            }
            if parts.count == 2 {
                guard let data = Data(base64Encoded: parts[1]), let value = String(data: data, encoding: .utf8) else {
                    throw FileError(.invalidRequest, "Upload-Metadata value of '\(key)' is not base64 UTF-8")
                }
                result[key] = value
            } else {
                result[key] = ""
            }
        }
        return result
    }

    /// Parses `Upload-Checksum: <algorithm> <base64>`.
    public static func parseChecksum(_ header: String?) throws -> ChunkChecksum? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2, let algorithm = ChunkChecksum.Algorithm(rawValue: parts[0].lowercased()) else {
            throw FileError(.invalidRequest, "Upload-Checksum must be 'sha1 <base64>' or 'sha256 <base64>'")
        }
        guard let digest = Data(base64Encoded: parts[1]), digest.count == (algorithm == .sha1 ? 20 : 32) else {
            throw FileError(.invalidRequest, "Upload-Checksum digest is not base64 of the right length")
        }
        return ChunkChecksum(algorithm: algorithm, digest: digest)
    }
}
