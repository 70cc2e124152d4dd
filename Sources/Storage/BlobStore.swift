import Domain
import Foundation
import NIOCore

/// What the blob store knows about a stored object.
public struct BlobInfo: Sendable, Hashable {
    public var key: ObjectKey
    public var size: Int64
    /// Lower-case hex SHA-256 of the bytes.
    public var sha256: String
    /// The object's first bytes (up to ``ContentSniffer/prefixLength``) when the store had them at hand while
    /// storing, so that sniffing the type needs no second read; `nil` otherwise.
    public var prefix: [UInt8]?

    public init(key: ObjectKey, size: Int64, sha256: String, prefix: [UInt8]? = nil) {
        self.key = key
        self.size = size
        self.sha256 = sha256
        self.prefix = prefix
    }
}

/// Where file bytes live: everything a route, a use case or a job handler needs of blobs. Implementations:
/// ``LocalBlobStore`` (a directory, the default) and, at scale, an S3-compatible store — a new backend is one
/// new type conforming to this protocol plus its run of the shared conformance tests. Callers go through a
/// ``TenantBlobs`` opened for one tenant, which refuses any key outside that tenant's prefix.
///
/// Nothing here needs append or in-place writes: resumable uploads are staged as immutable parts, one per
/// accepted chunk, and composed into the file's object when complete (an object store: a multipart upload).
public protocol BlobStore: Sendable {
    // MARK: Objects

    /// Stores the bytes of `body` under `key` atomically: readers see the whole object or nothing, and once
    /// this returns the bytes survive a crash. More than `limit` bytes: ``BlobTooLarge``, nothing stored.
    func put<S: AsyncSequence & Sendable>(_ key: ObjectKey, body: S, limit: Int64?) async throws -> BlobInfo
        where S.Element == ByteBuffer
    /// The object's size, or `nil` if it does not exist.
    func size(of key: ObjectKey) async throws -> Int64?
    /// Reads `range` (or everything) in chunks; a missing object is `BLOB_MISSING`.
    func read(_ key: ObjectKey, range: Range<Int64>?) async throws -> AsyncThrowingStream<ByteBuffer, any Error>
    /// Deletes the object; deleting a missing object is not an error.
    func delete(_ key: ObjectKey) async throws
    /// Deletes every object whose key starts with `prefix`, a folder ending in `/` (one file's folder,
    /// ``ObjectKey/folder``). Nothing under the prefix is not an error.
    func deleteAll(prefix: String) async throws

    /// Every object whose key starts with `prefix` (a tenant's `tenants/<tenant>/`, or a folder), in no particular
    /// order, with its size and when it was last written — for the consistency check of rows and blobs
    /// (`filestore blobs check`), never on a request path. Staged upload parts are not objects and are not listed.
    func list(prefix: String) -> AsyncThrowingStream<BlobListing, any Error>

    // MARK: Native engines (scanner, image processor)

    /// Runs `body` with the path of a local file holding `key`'s bytes. The local backend hands its own file;
    /// an object store downloads to a temporary file and removes it afterwards. `body` must only read it.
    func withLocalFile<T: Sendable>(_ key: ObjectKey, _ body: (String) async throws -> T) async throws -> T
    /// A path where an engine may write a file to be stored with ``importFile(_:as:)`` (the local backend: on
    /// the store's own filesystem, so the import is a rename). The caller removes it if it is not imported.
    func scratchPath(suffix: String) -> String
    /// ``scratchPath(suffix:)`` for bytes of `tenant`: a store that keeps tenants apart (``RegionalBlobStore``) puts
    /// it where that tenant's bytes may be. Default: ``scratchPath(suffix:)``.
    func scratchPath(suffix: String, tenant: TenantID) -> String
    /// Stores the finished file at `path` as `key` (atomic and durable, like ``put(_:body:limit:)``), consuming
    /// it, and returns its size and SHA-256.
    func importFile(_ path: String, as key: ObjectKey) async throws -> BlobInfo

    // MARK: Resumable uploads (tus)

    /// Stores one chunk of an upload as an immutable part starting at `offset`: at most `limit` bytes (more:
    /// ``BlobTooLarge``), verified against `checksum` (a mismatch: ``ChunkChecksumMismatch``, nothing kept). A
    /// client that goes away mid-chunk without a checksum keeps what arrived. The part is durable when this
    /// returns the number of bytes it holds (0: no part was stored); a part stored again at the same offset
    /// replaces the earlier one.
    func putPart<S: AsyncSequence & Sendable>(tenant: TenantID, upload: PrefixedID, at offset: Int64, body: S,
                                              limit: Int64?, checksum: ChunkChecksum?) async throws -> Int64
        where S.Element == ByteBuffer
    /// Composes the upload's parts — the chain from offset 0 up to `length` — into `key` (atomic, durable),
    /// drops the parts, and returns the object's size and SHA-256. Parts that do not add up: `BLOB_MISSING`.
    func composeParts(tenant: TenantID, upload: PrefixedID, length: Int64, to key: ObjectKey) async throws -> BlobInfo
    /// Drops every part of an upload (termination, expiry); none is not an error.
    func deletePartial(tenant: TenantID, upload: PrefixedID) async throws
}

extension BlobStore {
    /// The default: ``scratchPath(suffix:)``, for a store that holds every tenant in one place.
    public func scratchPath(suffix: String, tenant: TenantID) -> String { scratchPath(suffix: suffix) }
}

/// An object as ``BlobStore/list(prefix:)`` reports it.
public struct BlobListing: Sendable, Hashable {
    public var key: String
    public var size: Int64
    public var modified: Date

    public init(key: String, size: Int64, modified: Date) {
        self.key = key
        self.size = size
        self.modified = modified
    }
}

/// The body was longer than allowed; nothing was stored.
public struct BlobTooLarge: Error, Sendable {
    public var limit: Int64
    public init(limit: Int64) { self.limit = limit }
}
