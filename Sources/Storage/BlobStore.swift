import Domain
import Foundation
import NIOCore

/// What the blob store knows about a stored object.
public struct BlobInfo: Sendable, Hashable {
    public var key: ObjectKey
    public var size: Int64
    /// Lower-case hex SHA-256 of the bytes.
    public var sha256: String
}

/// Where file bytes live. Implementations: ``LocalBlobStore`` (a directory, the default) and, at scale, an
/// S3-compatible store. Every operation goes through a ``TenantBlobs`` opened for one tenant, which refuses
/// any key outside that tenant's prefix.
public protocol BlobStore: Sendable {
    /// Stores the bytes of `body` under `key` atomically: readers see the whole object or nothing, and once
    /// this returns the bytes survive a crash.
    func put<S: AsyncSequence & Sendable>(_ key: ObjectKey, body: S, limit: Int64?) async throws -> BlobInfo
        where S.Element == ByteBuffer
    /// The object's size, or `nil` if it does not exist.
    func size(of key: ObjectKey) async throws -> Int64?
    /// Reads `range` (or everything) in chunks.
    func read(_ key: ObjectKey, range: Range<Int64>?) async throws -> AsyncThrowingStream<ByteBuffer, any Error>
    /// Deletes the object; deleting a missing object is not an error.
    func delete(_ key: ObjectKey) async throws
}

/// A blob store opened for one tenant: the third layer of the tenant-prefix invariant.
public struct TenantBlobs: Sendable {
    public let tenant: TenantID
    let store: any BlobStore

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
}

/// The body was longer than allowed; nothing was stored.
public struct BlobTooLarge: Error, Sendable {
    public var limit: Int64
}
