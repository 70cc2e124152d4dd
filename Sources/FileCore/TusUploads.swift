import Domain
import Foundation
import NIOCore
import Storage

/// Resumable uploads by the tus 1.0 protocol (creation, creation-with-upload, creation-defer-length,
/// termination, checksum, expiration). Each chunk is stored as an immutable, durable part before its offset
/// is acknowledged; a short lease on the upload row serializes racing requests without keeping a transaction
/// open while bytes stream. A finished upload's parts are composed into a file, recorded exactly as a direct
/// upload is.
public struct TusUploads: Sendable {
    let core: FileCore

    var repository: UploadRepository { UploadRepository(logger: core.logger) }

    /// Creates an upload (`length` nil with deferred length).
    public func create(identity: Identity, length: Int64?, metadata: [String: String]) async throws -> UploadRecord {
        try identity.require(.filesWrite)
        let max = core.configuration.maxUploadBytes
        if let length, length > max {
            throw FileError(.payloadTooLarge, "Upload-Length \(length) exceeds the maximum of \(max) bytes")
        }
        // Data subjects and retention class from the metadata (`subjects`, `retention_class`), checked now.
        let named = try Subjects.parse(metadata["subjects"])
        var upload = UploadRecord(id: PrefixedID(.upload), length: length, offset: 0, metadata: metadata,
                                  expiresAt: Date().addingTimeInterval(core.configuration.uploadExpiry), fileID: nil)
        upload.subjects = [identity.subject] + named.filter { $0 != identity.subject }
        let created = upload
        try await core.database.transaction(identity.tenant) { tx in
            try await core.tenantRepository.ensureTenant(identity.tenant, on: tx)
            if let name = metadata["retention_class"] { _ = try await core.retention.resolve(name, on: tx) }
            try await core.quotas.check(identity.tenant, adding: length ?? 0, lock: false, on: tx)
            try await repository.insert(created, tenant: identity.tenant, on: tx)
        }
        return upload
    }

    /// Drops up to `limit` of the tenant's abandoned uploads (expired, unfinished, not under a live lease): rows
    /// and parts. The parts are removed before the transaction commits, so a failure leaves the rows to be swept
    /// again (removing parts already gone is no error). For the per-tenant sweep job; row-level security keeps it
    /// inside the tenant. Returns how many uploads went.
    @discardableResult
    public func sweepExpired(tenant: TenantID, limit: Int = 100) async throws -> Int {
        let blobs = core.blobs(of: tenant)
        return try await core.database.transaction(tenant) { tx in
            let ids = try await repository.deleteExpired(limit: limit, on: tx)
            for id in ids { try await blobs.deletePartial(upload: id) }
            return ids.count
        }
    }

    /// The upload's state, or `NOT_FOUND` (another tenant's uploads are invisible) / `UPLOAD_EXPIRED`.
    public func get(identity: Identity, id: PrefixedID) async throws -> UploadRecord {
        try identity.require(.filesWrite)
        guard let upload = try await core.database.transaction(identity.tenant, { try await repository.upload(id, on: $0) }) else {
            throw FileError(.notFound, "no upload \(id)")
        }
        if upload.fileID == nil, upload.expiresAt < Date() { throw FileError(.uploadExpired, "upload \(id) expired") }
        return upload
    }

    /// Appends a chunk at `offset`. Returns the upload after it (with `fileID` once it completed).
    public func append<S: AsyncSequence & Sendable>(identity: Identity, id: PrefixedID, offset: Int64, declaredLength: Int64?,
                                                    body: S, checksum: ChunkChecksum?, requestID: String?, traceContext: String?)
        async throws -> UploadRecord where S.Element == ByteBuffer {
        try identity.require(.filesWrite)
        let tenant = identity.tenant
        let holder = requestID ?? UUID().uuidString
        let max = core.configuration.maxUploadBytes
        // Take the lease: only one writer at a time, only at the current offset, only while unexpired.
        var upload = try await core.database.transaction(tenant) { tx -> UploadRecord in
            guard var upload = try await repository.upload(id, on: tx) else { throw FileError(.notFound, "no upload \(id)") }
            if upload.fileID != nil { throw FileError(.uploadFinished, "upload \(id) is complete") }
            if upload.expiresAt < Date() { throw FileError(.uploadExpired, "upload \(id) expired") }
            if offset != upload.offset {
                throw FileError(.uploadOffsetMismatch, "Upload-Offset is \(offset) but the upload is at \(upload.offset)")
            }
            if let declaredLength {
                if let length = upload.length, length != declaredLength {
                    throw FileError(.invalidRequest, "Upload-Length is already \(length)")
                }
                guard declaredLength >= upload.offset, declaredLength <= max else {
                    throw FileError(.invalidRequest, "Upload-Length \(declaredLength) is below the offset or above the maximum")
                }
            }
            let taken = try await repository.takeLease(id, at: offset, holder: holder, duration: core.configuration.uploadLeaseDuration,
                                                       declaredLength: declaredLength, on: tx)
            guard taken else {
                // The row changed since it was read: another request holds it, or finished a chunk and moved the offset.
                if let now = try await repository.upload(id, on: tx), now.offset != offset || now.fileID != nil {
                    throw FileError(.uploadOffsetMismatch, "Upload-Offset is \(offset) but the upload is at \(now.offset)")
                }
                throw FileError(.uploadLocked, "another request is writing to upload \(id)")
            }
            upload.length = upload.length ?? declaredLength
            return upload
        }
        let limit = (upload.length ?? max) - upload.offset
        do {
            upload.offset += try await core.blobs(of: tenant).putPart(upload: id, at: upload.offset, body: body, limit: limit, checksum: checksum)
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
        try await core.database.transaction(tenant) { tx in
            try await repository.releaseLease(id, holder: holder, offset: offset, on: tx)
        }
    }

    /// Composes the parts into a file, recorded like a direct upload, and marks the upload done.
    private func finish(_ upload: UploadRecord, identity: Identity, holder: String, requestID: String?, traceContext: String?) async throws -> PrefixedID {
        let tenant = identity.tenant
        let fileID = PrefixedID(.file)
        let key = try ObjectKey(tenant: tenant, file: fileID)
        let blobs = core.blobs(of: tenant)
        let info: BlobInfo
        do {
            info = try await blobs.composeParts(upload: upload.id, length: upload.offset, to: key)
        } catch {
            // The store could not take the file (an object store that is down: 503). The lease is given back at the
            // offset before this chunk, which was not acknowledged: the client sends it again, after Retry-After.
            try? await release(upload.id, holder: holder, tenant: tenant, offset: nil)
            throw error
        }
        let id = upload.id, offset = upload.offset, repository = self.repository
        do {
            try await core.uploads.record(id: fileID, key: key, info: info, identity: identity, originalName: upload.metadata["filename"],
                                          declaredType: upload.metadata["filetype"], requestID: requestID, traceContext: traceContext,
                                          subjects: (try? Subjects.parse(upload.metadata["subjects"])) ?? [],
                                          retentionClass: upload.metadata["retention_class"]) { tx in
                try await repository.complete(id, holder: holder, offset: offset, file: fileID, on: tx)
            }
        } catch {
            try? await blobs.delete(key)
            try? await release(upload.id, holder: holder, tenant: tenant, offset: 0)
            throw error
        }
        return fileID
    }

    /// Terminates an unfinished upload: its parts and row are dropped.
    public func terminate(identity: Identity, id: PrefixedID) async throws {
        try identity.require(.filesWrite)
        try await core.database.transaction(identity.tenant) { tx in
            guard let upload = try await repository.upload(id, on: tx) else { throw FileError(.notFound, "no upload \(id)") }
            if let file = upload.fileID { throw FileError(.uploadFinished, "upload \(id) is complete and became file \(file)") }
            try await repository.delete(id, on: tx)
        }
        try await core.blobs(of: identity.tenant).deletePartial(upload: id)
    }
}
