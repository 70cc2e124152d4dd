import Domain
import Foundation
import NIOCore

/// Resumable uploads on S3: each accepted chunk is a durable local part in the staging folder (the local store's
/// own parts, fsynced before the chunk is acknowledged), and completion streams the chain of parts from disk into
/// one object — a single PUT or a multipart upload, a part at a time — hashing as it goes. No byte that was
/// acknowledged is sent by the client again, the file is never in memory, and S3 sees only finished objects.
/// Why local staging and not one S3 part per chunk: tus chunks are any size (S3 parts must be ≥ 5 MiB but the
/// last), composing with UploadPartCopy would need a second read of every byte to learn the file's SHA-256, and
/// the object store's multipart state would outlive an abandoned upload; docs/STORAGE.md has the trade-off.
extension S3BlobStore {
    public func putPart<S: AsyncSequence & Sendable>(tenant: TenantID, upload: PrefixedID, at offset: Int64, body: S,
                                                     limit: Int64?, checksum: ChunkChecksum?) async throws -> Int64
        where S.Element == ByteBuffer {
        try await staging.putPart(tenant: tenant, upload: upload, at: offset, body: body, limit: limit, checksum: checksum)
    }

    public func composeParts(tenant: TenantID, upload: PrefixedID, length: Int64, to key: ObjectKey) async throws -> BlobInfo {
        guard key.tenant == tenant else { throw FileError(.invalidObjectKey, "key \(key) is outside tenant \(tenant)'s prefix") }
        let chain = try await staging.partChain(tenant: tenant, upload: upload, length: length)
        let info = try await put(key, body: LocalFileChunks(paths: chain.map(\.path), pool: pool, chunkSize: configuration.fileChunkSize),
                                 limit: nil)
        guard info.size == length else {
            throw FileError(.storageFailure, "the parts of upload \(upload) changed while they were composed (\(info.size) of \(length) bytes)")
        }
        // The object is stored: the parts are no longer needed (a failure to remove them leaves disposable files).
        try? await staging.deletePartial(tenant: tenant, upload: upload)
        return info
    }

    public func deletePartial(tenant: TenantID, upload: PrefixedID) async throws {
        try await staging.deletePartial(tenant: tenant, upload: upload)
    }
}
