import Domain
import Foundation
import NIOCore
import Synchronization

/// Data residency: one blob store per region, the tenant's region (`tenants.region`) choosing which one holds its
/// bytes — originals, variants, staged upload parts, scratch files. A tenant whose region has no store is refused
/// (`REGION_UNAVAILABLE`): its bytes are never written to another region's store. The region of a tenant is read
/// once per process (`lookup`) and kept: moving a tenant to another region is a migration of its bytes, not a
/// setting (docs/COMPLIANCE.md).
public final class RegionalBlobStore: BlobStore {
    /// The stores by region name.
    public let stores: [String: any BlobStore]
    let lookup: @Sendable (TenantID) async throws -> String?
    let cache = Mutex<[TenantID: String]>([:])

    /// - Parameters:
    ///   - stores: one store per region (`FILESTORE_BLOB_REGIONS`).
    ///   - lookup: the tenant's region (its row's `region`); `nil` for a tenant without a row yet, which is in the
    ///     default region `local` until it is provisioned (not remembered, so the provisioned region takes over).
    public init(stores: [String: any BlobStore], lookup: @escaping @Sendable (TenantID) async throws -> String?) {
        self.stores = stores
        self.lookup = lookup
    }

    /// The store of `tenant`'s region.
    public func store(for tenant: TenantID) async throws -> any BlobStore {
        let region: String
        if let known = cache.withLock({ $0[tenant] }) {
            region = known
        } else if let found = try await lookup(tenant) {
            region = found
            cache.withLock { $0[tenant] = found }
        } else {
            region = "local"
        }
        guard let store = stores[region] else {
            throw FileError(.regionUnavailable, "tenant \(tenant)'s region '\(region)' has no blob store here (regions: \(stores.keys.sorted().joined(separator: ", ")))")
        }
        return store
    }

    public func put<S: AsyncSequence & Sendable>(_ key: ObjectKey, body: S, limit: Int64?) async throws -> BlobInfo where S.Element == ByteBuffer {
        try await store(for: key.tenant).put(key, body: body, limit: limit)
    }

    public func size(of key: ObjectKey) async throws -> Int64? { try await store(for: key.tenant).size(of: key) }

    public func read(_ key: ObjectKey, range: Range<Int64>?) async throws -> AsyncThrowingStream<ByteBuffer, any Error> {
        try await store(for: key.tenant).read(key, range: range)
    }

    public func delete(_ key: ObjectKey) async throws { try await store(for: key.tenant).delete(key) }

    public func deleteAll(prefix: String) async throws {
        // A folder prefix is `tenants/<tenant>/…`: its tenant picks the store.
        let parts = prefix.split(separator: "/")
        guard parts.count >= 2, parts[0] == "tenants", let tenant = try? TenantID(String(parts[1])) else {
            throw FileError(.invalidObjectKey, "prefix \(prefix) names no tenant")
        }
        try await store(for: tenant).deleteAll(prefix: prefix)
    }

    public func withLocalFile<T: Sendable>(_ key: ObjectKey, _ body: (String) async throws -> T) async throws -> T {
        try await store(for: key.tenant).withLocalFile(key, body)
    }

    /// The objects under `prefix` (which names a tenant) in that tenant's region's store.
    public func list(prefix: String) -> AsyncThrowingStream<BlobListing, any Error> {
        let parts = prefix.split(separator: "/")
        let (stream, continuation) = AsyncThrowingStream<BlobListing, any Error>.makeStream()
        let task = Task {
            do {
                guard parts.count >= 2, parts[0] == "tenants", let tenant = try? TenantID(String(parts[1])) else {
                    throw FileError(.invalidObjectKey, "prefix \(prefix) names no tenant")
                }
                for try await item in try await store(for: tenant).list(prefix: prefix) { continuation.yield(item) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Scratch space outside any tenant's region is never used for a tenant's bytes: see ``scratchPath(suffix:tenant:)``.
    public func scratchPath(suffix: String) -> String {
        NSTemporaryDirectory() + "filestore-no-region-scratch-\(UUID().uuidString)\(suffix)"
    }

    /// Scratch space in the store of `tenant`'s region (known once any of its bytes were read or written here).
    public func scratchPath(suffix: String, tenant: TenantID) -> String {
        guard let region = cache.withLock({ $0[tenant] }), let store = stores[region] else { return scratchPath(suffix: suffix) }
        return store.scratchPath(suffix: suffix, tenant: tenant)
    }

    public func importFile(_ path: String, as key: ObjectKey) async throws -> BlobInfo { try await store(for: key.tenant).importFile(path, as: key) }

    public func putPart<S: AsyncSequence & Sendable>(tenant: TenantID, upload: PrefixedID, at offset: Int64, body: S, limit: Int64?,
                                                     checksum: ChunkChecksum?) async throws -> Int64 where S.Element == ByteBuffer {
        try await store(for: tenant).putPart(tenant: tenant, upload: upload, at: offset, body: body, limit: limit, checksum: checksum)
    }

    public func composeParts(tenant: TenantID, upload: PrefixedID, length: Int64, to key: ObjectKey) async throws -> BlobInfo {
        try await store(for: tenant).composeParts(tenant: tenant, upload: upload, length: length, to: key)
    }

    public func deletePartial(tenant: TenantID, upload: PrefixedID) async throws {
        try await store(for: tenant).deletePartial(tenant: tenant, upload: upload)
    }
}
