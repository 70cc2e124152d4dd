import Domain
import NIOCore
import Storage
import Synchronization

/// Two real stores sharing their staging folder and key prefix — the tests' gateway, and the same configuration on a
/// port nothing listens on — and a switch between them: the object store going down and coming back, for one test,
/// without stopping the gateway every other test uses.
final class SwitchableBlobStore: BlobStore {
    let up: any BlobStore
    let down: any BlobStore
    let isDown = Mutex(false)

    init(up: any BlobStore, down: any BlobStore) {
        self.up = up
        self.down = down
    }

    var current: any BlobStore { isDown.withLock { $0 } ? down : up }

    func put<S: AsyncSequence & Sendable>(_ key: ObjectKey, body: S, limit: Int64?) async throws -> BlobInfo where S.Element == ByteBuffer {
        try await current.put(key, body: body, limit: limit)
    }
    func size(of key: ObjectKey) async throws -> Int64? { try await current.size(of: key) }
    func read(_ key: ObjectKey, range: Range<Int64>?) async throws -> AsyncThrowingStream<ByteBuffer, any Error> { try await current.read(key, range: range) }
    func delete(_ key: ObjectKey) async throws { try await current.delete(key) }
    func deleteAll(prefix: String) async throws { try await current.deleteAll(prefix: prefix) }
    func list(prefix: String) -> AsyncThrowingStream<BlobListing, any Error> { current.list(prefix: prefix) }
    func withLocalFile<T: Sendable>(_ key: ObjectKey, _ body: (String) async throws -> T) async throws -> T { try await current.withLocalFile(key, body) }
    func scratchPath(suffix: String) -> String { current.scratchPath(suffix: suffix) }
    func importFile(_ path: String, as key: ObjectKey) async throws -> BlobInfo { try await current.importFile(path, as: key) }
    func putPart<S: AsyncSequence & Sendable>(tenant: TenantID, upload: PrefixedID, at offset: Int64, body: S, limit: Int64?,
                                              checksum: ChunkChecksum?) async throws -> Int64 where S.Element == ByteBuffer {
        try await current.putPart(tenant: tenant, upload: upload, at: offset, body: body, limit: limit, checksum: checksum)
    }
    func composeParts(tenant: TenantID, upload: PrefixedID, length: Int64, to key: ObjectKey) async throws -> BlobInfo {
        try await current.composeParts(tenant: tenant, upload: upload, length: length, to: key)
    }
    func deletePartial(tenant: TenantID, upload: PrefixedID) async throws { try await current.deletePartial(tenant: tenant, upload: upload) }
}
