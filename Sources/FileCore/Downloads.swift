import Domain
import Foundation
import NIOCore
import Storage

/// The one download guard, for signed URLs and bearer tokens alike.
public struct Downloads: Sendable {
    let core: FileCore

    /// The file exists for `tenant`, the URL's generation (if any) is current, and the file is servable — a
    /// file not yet scanned clean, quarantined, failed or deleted is never served. Returns the bytes to serve.
    ///
    /// `original` of an image is served as its `scrubbed` variant: no served image carries its metadata.
    ///
    /// With a ``FileStateCache`` (the API's), a servable file's lookup is reused for a short, bounded time; the
    /// same checks run on the cached record.
    public func openForDownload(tenant: TenantID, id: PrefixedID, variant: String, generation: Int?) async throws -> (FileRecord, StoredBytes) {
        guard let cache = core.downloadCache else {
            return try await lookUp(tenant: tenant, id: id, variant: variant, generation: generation)
        }
        if let hit = cache.lookup(tenant: tenant, id: id, variant: variant) {
            let (file, bytes) = hit
            if let generation, generation != file.urlGeneration {
                throw FileError(.urlRevoked, "the URLs of file \(id) were revoked")
            }
            return (file, bytes)
        }
        let ticket = cache.ticket()
        let (file, bytes) = try await lookUp(tenant: tenant, id: id, variant: variant, generation: generation)
        cache.store(file, bytes, tenant: tenant, id: id, variant: variant, ticket: ticket)
        return (file, bytes)
    }

    func lookUp(tenant: TenantID, id: PrefixedID, variant: String, generation: Int?) async throws -> (FileRecord, StoredBytes) {
        try await core.database.transaction(tenant) { tx in
            guard let file = try await core.fileRepository.file(id, on: tx) else { throw FileError(.notFound, "no file \(id)") }
            if let generation, generation != file.urlGeneration {
                throw FileError(.urlRevoked, "the URLs of file \(id) were revoked")
            }
            guard file.state.isServable else {
                throw FileError(.notServable, "file \(id) is \(file.state.rawValue) and cannot be downloaded")
            }
            let variants = core.variantRepository
            if variant == "original" {
                if let scrubbed = try await variants.variant(id, name: "scrubbed", on: tx) { return (file, scrubbed) }
                guard let size = file.size, let sha = file.sha256 else { throw FileError(.blobMissing, "file \(id) has no stored bytes") }
                return (file, StoredBytes(key: file.objectKey, contentType: file.contentType ?? "application/octet-stream", size: size, sha256: sha))
            }
            guard let stored = try await variants.variant(id, name: variant, on: tx) else {
                throw FileError(.notFound, "file \(id) has no variant '\(variant.prefix(32))'")
            }
            return (file, stored)
        }
    }

    /// Streams `range` (or all) of bytes that ``openForDownload(tenant:id:variant:generation:)`` allowed.
    public func read(_ bytes: StoredBytes, of file: FileRecord, range: Range<Int64>?) async throws -> AsyncThrowingStream<ByteBuffer, any Error> {
        try await core.blobs(of: file.tenant).read(bytes.key, range: range)
    }
}
