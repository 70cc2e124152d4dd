import Crypto
import Domain
import Foundation
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Blobs as files under a root directory. Writes are atomic and durable: the bytes go to a temporary file
/// in `<root>/.tmp`, which is fsynced, renamed into place, and the directory is fsynced — so an upload that
/// was acknowledged survives a crash, and a reader never sees half a file. Blocking calls run on a
/// `NIOThreadPool`, never on the Swift concurrency pool.
public struct LocalBlobStore: BlobStore {
    public let root: URL
    let pool: NIOThreadPool
    /// Size of the chunks `read` yields. Default: 256 KiB.
    public var readChunkSize = 256 * 1024
    /// Bytes gathered before one write on the thread pool. Default: 1 MiB.
    public var writeBatchSize = 1 << 20

    static func writeAll(_ fd: Int32, _ buffer: ByteBuffer, path: String) throws {
        try buffer.withUnsafeReadableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; throw POSIXFailure("write", path) }
                offset += n
            }
        }
    }

    public init(root: URL, pool: NIOThreadPool = .singleton) throws {
        self.root = root.standardizedFileURL
        self.pool = pool
        try FileManager.default.createDirectory(at: self.root.appendingPathComponent(".tmp"), withIntermediateDirectories: true)
    }

    func url(_ key: ObjectKey) -> URL { root.appendingPathComponent(key.path) }

    /// A scratch path inside the store (same filesystem, so ``importFile(_:as:)`` can rename it into place).
    public func scratchPath(suffix: String) -> String { root.appendingPathComponent(".tmp/\(UUID().uuidString)\(suffix)").path }

    /// Moves a finished scratch file to `key` (fsync, rename, fsync of the directory) and returns its size
    /// and SHA-256.
    public func importFile(_ path: String, as key: ObjectKey) async throws -> BlobInfo {
        let target = url(key)
        return try await pool.runIfActive {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw POSIXFailure("open", path) }
            defer { close(fd) }
            guard fsync(fd) == 0 else { throw POSIXFailure("fsync", path) }
            let dir = target.deletingLastPathComponent()
            try Self.makeDirectoryDurably(dir.path)
            guard rename(path, target.path) == 0 else { throw POSIXFailure("rename", target.path) }
            try fsyncDirectory(dir)
            return BlobInfo(key: key, size: Int64(data.count), sha256: SHA256.hash(data: data).hexString)
        }
    }

    /// The store's own file holding `key`'s bytes, for in-process engines that read files (the scanner,
    /// libvips). The caller must have the key from a tenant-scoped lookup.
    public func withLocalFile<T: Sendable>(_ key: ObjectKey, _ body: (String) async throws -> T) async throws -> T {
        try await body(url(key).path)
    }

    public func put<S: AsyncSequence & Sendable>(_ key: ObjectKey, body: S, limit: Int64?) async throws -> BlobInfo
        where S.Element == ByteBuffer {
        var hasher = SHA256()
        var size: Int64 = 0
        var chunks = body.makeAsyncIterator()
        // The first batch is gathered in memory: a body that ends within it (every small upload) is stored in
        // one trip to the thread pool, and its first bytes are kept for sniffing.
        var first = ByteBufferAllocator().buffer(capacity: 0)
        var ended = false
        while first.readableBytes < writeBatchSize {
            guard var chunk = try await chunks.next() else {
                ended = true
                break
            }
            size += Int64(chunk.readableBytes)
            if let limit, size > limit { throw BlobTooLarge(limit: limit) }
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            first.writeBuffer(&chunk)
        }
        let prefix = Array(first.readableBytesView.prefix(ContentSniffer.prefixLength))
        let target = url(key)
        if ended {
            let tmp = root.appendingPathComponent(".tmp/\(UUID().uuidString)").path
            try await pool.runIfActive { [first] in try Self.writeSmall(first, tmp: tmp, to: target) }
            return BlobInfo(key: key, size: size, sha256: hasher.finalize().hexString, prefix: prefix)
        }
        let (tmp, fd) = try await temporaryFile()
        do {
            // Chunks are gathered into batches of `writeBatchSize`; each batch is written on the thread pool
            // while the next one is received and hashed (at most one write in flight, so memory stays bounded).
            try await withThrowingTaskGroup(of: Void.self) { writes in
                var inFlight = false
                func flush(_ buffer: ByteBuffer) async throws {
                    if inFlight { try await writes.next() }
                    writes.addTask { try await pool.runIfActive { try Self.writeAll(fd, buffer, path: tmp.path) } }
                    inFlight = true
                }
                try await flush(first)
                var batch = ByteBufferAllocator().buffer(capacity: writeBatchSize)
                while var chunk = try await chunks.next() {
                    size += Int64(chunk.readableBytes)
                    if let limit, size > limit { throw BlobTooLarge(limit: limit) }
                    chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                    batch.writeBuffer(&chunk)
                    if batch.readableBytes >= writeBatchSize {
                        try await flush(batch)
                        batch = ByteBufferAllocator().buffer(capacity: writeBatchSize)
                    }
                }
                if batch.readableBytes > 0 { try await flush(batch) }
                try await writes.waitForAll()
            }
            try await pool.runIfActive { try Self.commit(fd, tmp, to: target) }
        } catch {
            try? await pool.runIfActive { close(fd); unlink(tmp.path) }
            throw error
        }
        return BlobInfo(key: key, size: size, sha256: hasher.finalize().hexString, prefix: prefix)
    }

    public func size(of key: ObjectKey) async throws -> Int64? {
        let path = url(key).path
        return try await pool.runIfActive {
            var st = stat()
            guard stat(path, &st) == 0 else {
                if errno == ENOENT { return nil }
                throw POSIXFailure("stat", path)
            }
            return Int64(st.st_size)
        }
    }

    public func read(_ key: ObjectKey, range: Range<Int64>?) async throws -> AsyncThrowingStream<ByteBuffer, any Error> {
        let path = url(key).path
        let pool = self.pool, chunkSize = readChunkSize
        let start = range?.lowerBound ?? 0
        let end = range?.upperBound
        let want: @Sendable (Int64) -> Int64 = { offset in end.map { min(Int64(chunkSize), $0 - offset) } ?? Int64(chunkSize) }
        // The open and the first read in one trip to the pool: a small object (or range) is then whole, and is
        // handed over without a task to stream it; the descriptor is closed in the same trip.
        let firstWant = want(start)
        let (fd, first) = try await pool.runIfActive { () throws -> (Int32, ByteBuffer) in
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ENOENT { throw FileError(.blobMissing, "no blob at \(key)") }
                throw POSIXFailure("open", path)
            }
            do {
                let buffer = try Self.readChunk(fd, at: start, want: firstWant, path: path)
                if Int64(buffer.readableBytes) < firstWant || (end.map { start + Int64(buffer.readableBytes) >= $0 } ?? false) {
                    close(fd)
                    return (-1, buffer)
                }
                return (fd, buffer)
            } catch {
                close(fd)
                throw error
            }
        }
        guard fd >= 0 else {
            return AsyncThrowingStream { continuation in
                if first.readableBytes > 0 { continuation.yield(first) }
                continuation.finish()
            }
        }
        return AsyncThrowingStream { continuation in
            let task = Task {
                var offset = start + Int64(first.readableBytes)
                defer { close(fd) }
                continuation.yield(first)
                do {
                    while !Task.isCancelled {
                        let want = want(offset)
                        if want <= 0 { break }
                        let at = offset
                        let buffer = try await pool.runIfActive { try Self.readChunk(fd, at: at, want: want, path: path) }
                        if buffer.readableBytes == 0 { break }
                        offset += Int64(buffer.readableBytes)
                        continuation.yield(buffer)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// One `pread` of at most `want` bytes at `offset` (fewer at the end of the file; none past it).
    static func readChunk(_ fd: Int32, at offset: Int64, want: Int64, path: String) throws -> ByteBuffer {
        guard want > 0 else { return ByteBuffer() }
        var buffer = ByteBufferAllocator().buffer(capacity: Int(want))
        _ = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Int(want)) { raw in
            let n = pread(fd, raw.baseAddress!, Int(want), off_t(offset))
            if n < 0 { throw POSIXFailure("pread", path) }
            return n
        }
        return buffer
    }

    public func delete(_ key: ObjectKey) async throws {
        let target = url(key)
        try await pool.runIfActive {
            if unlink(target.path) != 0 && errno != ENOENT { throw POSIXFailure("unlink", target.path) }
            try? fsyncDirectory(target.deletingLastPathComponent())
        }
    }
}

extension LocalBlobStore {
    /// Removes the folder `prefix` names (one file's `tenants/<t>/files/<id>/`, say) with everything in it — a
    /// variant no longer configured, or one stored by an attempt that failed later.
    public func deleteAll(prefix: String) async throws {
        guard prefix.hasSuffix("/"), !prefix.hasPrefix("/"), !prefix.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
            throw FileError(.invalidObjectKey, "not a folder prefix: \(prefix.prefix(200))")
        }
        try await Self.removeTree(root.appendingPathComponent(prefix), pool: pool)
    }

    /// The files under `prefix` (relative to the root; staging folders are not under a tenant's prefix), walked on
    /// the store's I/O pool and yielded as found.
    public func list(prefix: String) -> AsyncThrowingStream<BlobListing, any Error> {
        let (stream, continuation) = AsyncThrowingStream<BlobListing, any Error>.makeStream()
        guard !prefix.hasPrefix("/"), !prefix.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
            continuation.finish(throwing: FileError(.invalidObjectKey, "not a key prefix: \(prefix.prefix(200))"))
            return stream
        }
        let root = self.root
        // The folder the prefix is in, and the part of a name that must match below it.
        let slash = prefix.lastIndex(of: "/")
        let folder = slash.map { String(prefix[...$0]) } ?? ""
        let namePrefix = slash.map { String(prefix[prefix.index(after: $0)...]) } ?? prefix
        pool.submit { state in
            guard case .active = state else { continuation.finish(throwing: CancellationError()); return }
            /// Yields the file `key` or walks the folder `key`; `false` once the consumer has gone.
            func visit(_ key: String) -> Bool {
                var st = stat()
                guard lstat(root.appendingPathComponent(key).path, &st) == 0 else { return true }
                switch st.st_mode & S_IFMT {
                case S_IFDIR:
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(key).path)) ?? []
                    return names.allSatisfy { visit(key + "/" + $0) }
                case S_IFREG:
                    let modified = Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
                    if case .terminated = continuation.yield(BlobListing(key: key, size: Int64(st.st_size), modified: modified)) { return false }
                    return true
                default:
                    return true
                }
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)) ?? []
            _ = names.filter { $0.hasPrefix(namePrefix) }.allSatisfy { visit(folder + $0) }
            continuation.finish()
        }
        return stream
    }

    /// Removes a folder and everything under it, then fsyncs its parent; a missing folder is not an error.
    static func removeTree(_ folder: URL, pool: NIOThreadPool) async throws {
        try await pool.runIfActive {
            func remove(_ dir: URL) throws {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] {
                    let path = dir.appendingPathComponent(name)
                    var isDir: ObjCBool = false
                    if FileManager.default.fileExists(atPath: path.path, isDirectory: &isDir), isDir.boolValue {
                        try remove(path)
                    } else if unlink(path.path) != 0 && errno != ENOENT {
                        throw POSIXFailure("unlink", path.path)
                    }
                }
                if rmdir(dir.path) != 0 && errno != ENOENT { throw POSIXFailure("rmdir", dir.path) }
            }
            try remove(folder)
            try? fsyncDirectory(folder.deletingLastPathComponent())
        }
    }
}

extension LocalBlobStore {
    /// A new, empty temporary file in `<root>/.tmp` (the store's filesystem, so it can be renamed into place),
    /// open for writing.
    func temporaryFile() async throws -> (URL, Int32) {
        let tmp = root.appendingPathComponent(".tmp/\(UUID().uuidString)")
        let fd = try await pool.runIfActive { () throws -> Int32 in
            let fd = open(tmp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw POSIXFailure("open", tmp.path) }
            return fd
        }
        return (tmp, fd)
    }

    /// Makes the temporary file `tmp` (open as `fd`, which this closes) the durable file `target`: fsync,
    /// rename into place, fsync of the directory. Readers see the whole file or none.
    /// A folder made on the way is made durably (its parent fsynced too, ``makeDirectoryDurably(_:)``).
    static func commit(_ fd: Int32, _ tmp: URL, to target: URL) throws {
        guard fsync(fd) == 0 else { throw POSIXFailure("fsync", tmp.path) }
        close(fd)
        let dir = target.deletingLastPathComponent()
        try makeDirectoryDurably(dir.path)
        guard rename(tmp.path, target.path) == 0 else { throw POSIXFailure("rename", target.path) }
        try fsyncDirectory(dir)
    }
}

func fsyncDirectory(_ dir: URL) throws {
    let fd = open(dir.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw POSIXFailure("open", dir.path) }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw POSIXFailure("fsync", dir.path) }
}

/// A failed system call, with errno's text.
struct POSIXFailure: Error, CustomStringConvertible {
    var call: String
    var path: String
    var code: Int32
    init(_ call: String, _ path: String) {
        self.call = call
        self.path = path
        self.code = errno
    }
    var description: String { "\(call)(\(path)): \(String(cString: strerror(code)))" }
}
