import AsyncHTTPClient
import Crypto
import Domain
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Blobs as objects in an S3-compatible bucket (AWS S3, Ceph's RADOS Gateway, MinIO), over async-http-client with
/// AWS Signature V4 (``S3Signer``). An object's key is ``S3Configuration/keyPrefix`` + its ``ObjectKey`` path.
///
/// - A body that ends within ``S3Configuration/partSize`` is one PUT whose signed payload hash the server checks;
///   a longer one is a multipart upload sent a part at a time (at most one part in flight while the next is
///   received), aborted when anything fails — a writer's memory is bounded by two parts whatever the size.
///   S3 makes either visible whole or not at all, and durable once it answers: the atomicity the protocol asks.
/// - Reads are ranged GETs streamed with backpressure; a read cut off midway resumes from where it stopped.
/// - Resumable uploads' parts, the copies handed to native engines and scratch files are local and disposable,
///   under ``S3Configuration/stagingDirectory`` (`FILESTORE_BLOB_DIR`): docs/STORAGE.md says why.
/// - A store that does not answer, or answers 5xx, is retried with backoff, then `STORAGE_FAILURE` (503 with
///   `Retry-After`): nothing is acknowledged that S3 did not acknowledge first.
public struct S3BlobStore: BlobStore {
    public let configuration: S3Configuration
    let client: HTTPClient
    let signer: S3Signer
    let pool: NIOThreadPool
    let logger: Logger
    /// Staged tus parts, engines' copies and scratch files.
    let staging: LocalBlobStore

    /// - Parameters:
    ///   - client: the HTTP client (``makeHTTPClient(_:)`` applies the configuration's timeouts); its owner shuts it down.
    ///   - pool: threads for the blocking file calls of staging and local copies.
    public init(configuration: S3Configuration, client: HTTPClient, pool: NIOThreadPool,
                logger: Logger = Logger(label: "filestore.s3")) throws {
        guard configuration.partSize >= 5 << 20 else { throw FileError(.storageFailure, "S3 parts must be at least 5 MiB") }
        self.configuration = configuration
        self.client = client
        self.signer = S3Signer(credentials: configuration.credentials, region: configuration.region)
        self.pool = pool
        self.logger = logger
        self.staging = try LocalBlobStore(root: configuration.stagingDirectory, pool: pool)
    }

    /// An HTTP client with the configuration's connect, read and idle timeouts, HTTP/1.1, no redirects, no retries of
    /// its own.
    public static func makeHTTPClient(_ configuration: S3Configuration) -> HTTPClient {
        func amount(_ d: Duration) -> TimeAmount { .nanoseconds(Int64(d.components.seconds) * 1_000_000_000 + d.components.attoseconds / 1_000_000_000) }
        var http = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                            timeout: .init(connect: amount(configuration.connectTimeout), read: amount(configuration.readTimeout)))
        http.connectionPool = .init(idleTimeout: amount(configuration.idleTimeout), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        // A refused or failed connection fails its request at once, and the store's own retries (with backoff) decide:
        // the client's default retries establishing it until the connect timeout, so a store that is down took
        // attempts × connect timeout (4 × 5 s) to answer 503.
        http.connectionPool.retryConnectionEstablishment = false
        http.httpVersion = .http1Only
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http)
    }

    // MARK: Objects

    public func put<S: AsyncSequence & Sendable>(_ key: ObjectKey, body: S, limit: Int64?) async throws -> BlobInfo
        where S.Element == ByteBuffer {
        var hasher = SHA256()
        var size: Int64 = 0
        var chunks = body.makeAsyncIterator()
        // The first part's worth is gathered in memory: a body that ends within it is one PUT.
        // Parts are exactly `partSize` (a chunk that crosses the boundary is split, its rest carried into the next
        // part), so a part's buffer never grows past it.
        var first = ByteBufferAllocator().buffer(capacity: 0)
        var carry: ByteBuffer?
        var ended = false
        while first.readableBytes < configuration.partSize {
            guard var chunk = try await chunks.next() else {
                ended = true
                break
            }
            size += Int64(chunk.readableBytes)
            if let limit, size > limit { throw BlobTooLarge(limit: limit) }
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            let room = configuration.partSize - first.readableBytes
            if chunk.readableBytes > room, var head = chunk.readSlice(length: room) {
                first.writeBuffer(&head)
                carry = chunk
            } else {
                first.writeBuffer(&chunk)
            }
        }
        let prefix = Array(first.readableBytesView.prefix(ContentSniffer.prefixLength))
        if ended {
            let sha = hasher.finalize().hexString
            // The whole object is the body: its SHA-256 is the payload hash signed.
            _ = try await send(.PUT, key.path, headers: [("x-amz-meta-sha256", sha)], body: first, payloadHash: sha, operation: "PUT \(key.path)")
            return BlobInfo(key: key, size: size, sha256: sha, prefix: prefix)
        }
        let sha = try await putMultipart(key, first: first, carry: carry, rest: &chunks, size: &size, hasher: &hasher, limit: limit)
        return BlobInfo(key: key, size: size, sha256: sha, prefix: prefix)
    }

    public func size(of key: ObjectKey) async throws -> Int64? {
        let response = try await send(.HEAD, key.path, accept: [200, 404], operation: "HEAD \(key.path)")
        guard response.status == 200 else { return nil }
        return response.headers.first(name: "content-length").flatMap { Int64($0) } ?? 0
    }

    public func read(_ key: ObjectKey, range: Range<Int64>?) async throws -> AsyncThrowingStream<ByteBuffer, any Error> {
        try await S3ObjectReader.open(store: self, key: key, range: range)
    }

    public func delete(_ key: ObjectKey) async throws {
        _ = try await send(.DELETE, key.path, accept: [200, 204, 404], operation: "DELETE \(key.path)")
    }

    // MARK: Native engines

    /// Downloads the object to a temporary file under the staging folder, runs `body` with its path, removes it.
    public func withLocalFile<T: Sendable>(_ key: ObjectKey, _ body: (String) async throws -> T) async throws -> T {
        let path = scratchPath(suffix: ".download")
        let pool = self.pool
        let fd = try await pool.runIfActive { () throws -> Int32 in
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw POSIXFailure("open", path) }
            return fd
        }
        do {
            do {
                for try await chunk in try await read(key, range: nil) {
                    try await pool.runIfActive { try LocalBlobStore.writeAll(fd, chunk, path: path) }
                }
                _ = try await pool.runIfActive { close(fd) }
            } catch {
                _ = try? await pool.runIfActive { close(fd) }
                throw error
            }
            let result = try await body(path)
            _ = try? await pool.runIfActive { unlink(path) }
            return result
        } catch {
            _ = try? await pool.runIfActive { unlink(path) }
            throw error
        }
    }

    public func scratchPath(suffix: String) -> String { staging.scratchPath(suffix: suffix) }

    /// Uploads the file at `path` (streamed from disk) as `key`, then removes it.
    public func importFile(_ path: String, as key: ObjectKey) async throws -> BlobInfo {
        let info = try await put(key, body: LocalFileChunks(paths: [path], pool: pool, chunkSize: configuration.fileChunkSize), limit: nil)
        _ = try? await pool.runIfActive { unlink(path) }
        return info
    }
}
