import Domain
import Foundation
import NIOCore

/// A blob store opened for one tenant: the third layer of the tenant-prefix invariant. Every key and prefix
/// is checked against the tenant's before the store sees it.
public struct TenantBlobs: Sendable {
    public let tenant: TenantID
    public let store: any BlobStore

    public init(tenant: TenantID, store: any BlobStore) {
        self.tenant = tenant
        self.store = store
    }

    func check(_ key: ObjectKey) throws {
        guard key.tenant == tenant, key.path.hasPrefix(ObjectKey.prefix(of: tenant)) else {
            throw FileError(.invalidObjectKey, "key \(key) is outside tenant \(tenant)'s prefix")
        }
    }

    public func put<S: AsyncSequence & Sendable>(_ key: ObjectKey, body: S, limit: Int64? = nil) async throws -> BlobInfo
        where S.Element == ByteBuffer {
        try check(key)
        return try await store.put(key, body: body, limit: limit)
    }

    public func size(of key: ObjectKey) async throws -> Int64? {
        try check(key)
        return try await store.size(of: key)
    }

    public func read(_ key: ObjectKey, range: Range<Int64>? = nil) async throws -> AsyncThrowingStream<ByteBuffer, any Error> {
        try check(key)
        return try await store.read(key, range: range)
    }

    public func delete(_ key: ObjectKey) async throws {
        try check(key)
        try await store.delete(key)
    }

    /// Deletes everything in one file's folder (its original, variants, leftovers).
    public func deleteFolder(of key: ObjectKey) async throws {
        try check(key)
        try await store.deleteAll(prefix: key.folder)
    }

    public func withLocalFile<T: Sendable>(_ key: ObjectKey, _ body: (String) async throws -> T) async throws -> T {
        try check(key)
        return try await store.withLocalFile(key, body)
    }

    public func importFile(_ path: String, as key: ObjectKey) async throws -> BlobInfo {
        try check(key)
        return try await store.importFile(path, as: key)
    }

    public func scratchPath(suffix: String) -> String { store.scratchPath(suffix: suffix, tenant: tenant) }

    public func putPart<S: AsyncSequence & Sendable>(upload: PrefixedID, at offset: Int64, body: S, limit: Int64?,
                                                     checksum: ChunkChecksum?) async throws -> Int64 where S.Element == ByteBuffer {
        try await store.putPart(tenant: tenant, upload: upload, at: offset, body: body, limit: limit, checksum: checksum)
    }

    public func composeParts(upload: PrefixedID, length: Int64, to key: ObjectKey) async throws -> BlobInfo {
        try check(key)
        return try await store.composeParts(tenant: tenant, upload: upload, length: length, to: key)
    }

    public func deletePartial(upload: PrefixedID) async throws {
        try await store.deletePartial(tenant: tenant, upload: upload)
    }
}
