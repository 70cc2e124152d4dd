import Crypto
import Domain
import Foundation
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// A chunk checksum a client sent (tus checksum extension).
public struct ChunkChecksum: Sendable, Hashable {
    public enum Algorithm: String, Sendable, CaseIterable { case sha1, sha256 }
    public var algorithm: Algorithm
    public var digest: Data
    public init(algorithm: Algorithm, digest: Data) {
        self.algorithm = algorithm
        self.digest = digest
    }
}

/// The chunk's bytes did not match its checksum; the chunk was discarded.
public struct ChunkChecksumMismatch: Error, Sendable {}

/// A blob store that can also hold the partial data of resumable uploads until they are complete.
public protocol ResumableBlobStore: BlobStore {
    func appendPartial<S: AsyncSequence & Sendable>(tenant: TenantID, upload: PrefixedID, at offset: Int64, body: S,
                                                    limit: Int64?, checksum: ChunkChecksum?) async throws -> Int64
        where S.Element == ByteBuffer
    func completePartial(tenant: TenantID, upload: PrefixedID, to key: ObjectKey) async throws -> BlobInfo
    func deletePartial(tenant: TenantID, upload: PrefixedID) async throws
}

/// The partial data of resumable uploads, kept next to the blobs (`<root>/.partial/<tenant>/<upload>`).
extension LocalBlobStore: ResumableBlobStore {
    func partialURL(tenant: TenantID, upload: PrefixedID) -> URL {
        root.appendingPathComponent(".partial/\(tenant.value)/\(upload)")
    }

    /// Appends `body` at `offset` (dropping anything past `offset` left by an interrupted request), at most
    /// `limit` bytes, verifying `checksum` over the chunk. The data is fsynced before this returns, so the
    /// new offset may be acknowledged. Returns the new size.
    public func appendPartial<S: AsyncSequence & Sendable>(tenant: TenantID, upload: PrefixedID, at offset: Int64, body: S,
                                                           limit: Int64?, checksum: ChunkChecksum?) async throws -> Int64
        where S.Element == ByteBuffer {
        guard upload.kind == .upload else { throw FileError(.invalidID, "\(upload) is not an upload id") }
        let url = partialURL(tenant: tenant, upload: upload)
        let path = url.path
        let fd = try await pool.runIfActive { () throws -> Int32 in
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw POSIXFailure("open", path) }
            guard ftruncate(fd, off_t(offset)) == 0, lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
                close(fd)
                throw POSIXFailure("ftruncate", path)
            }
            return fd
        }
        var sha1 = Insecure.SHA1(), sha256 = SHA256()
        var written: Int64 = 0
        do {
            var streamError: (any Error)?
            do {
                for try await chunk in body {
                    written += Int64(chunk.readableBytes)
                    if let limit, written > limit { throw BlobTooLarge(limit: limit) }
                    if let checksum {
                        chunk.withUnsafeReadableBytes { raw in
                            switch checksum.algorithm {
                            case .sha1: sha1.update(bufferPointer: raw)
                            case .sha256: sha256.update(bufferPointer: raw)
                            }
                        }
                    }
                    let bytes = chunk
                    try await pool.runIfActive { try Self.writeAll(fd, bytes, path: path) }
                }
            } catch let error as BlobTooLarge {
                throw error
            } catch let error as POSIXFailure {
                throw error
            } catch {
                // The client went away mid-chunk. Without a checksum, what arrived is kept (tus: accept as much
                // as possible) and the upload resumes from there; with one, the chunk cannot be verified.
                streamError = error
            }
            if let streamError, checksum != nil { throw streamError }
            if let checksum {
                let digest: Data = switch checksum.algorithm {
                case .sha1: Data(sha1.finalize())
                case .sha256: Data(sha256.finalize())
                }
                if digest != checksum.digest { throw ChunkChecksumMismatch() }
            }
            try await pool.runIfActive {
                defer { close(fd) }
                guard fsync(fd) == 0 else { throw POSIXFailure("fsync", path) }
            }
            return offset + written
        } catch {
            // Keep exactly what was acknowledged before this request.
            try? await pool.runIfActive {
                _ = ftruncate(fd, off_t(offset))
                _ = fsync(fd)
                close(fd)
            }
            throw error
        }
    }

    /// Moves a complete upload's data to `key` (atomic, durable) and returns its size and SHA-256.
    public func completePartial(tenant: TenantID, upload: PrefixedID, to key: ObjectKey) async throws -> BlobInfo {
        guard key.tenant == tenant else { throw FileError(.invalidObjectKey, "key \(key) is outside tenant \(tenant)'s prefix") }
        let source = partialURL(tenant: tenant, upload: upload)
        var hasher = SHA256()
        var size: Int64 = 0
        let fd = open(source.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(.blobMissing, "no data for upload \(upload)") }
        defer { close(fd) }
        let chunk = 1 << 20
        while true {
            let data: [UInt8] = try await pool.runIfActive {
                var buffer = [UInt8](repeating: 0, count: chunk)
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, chunk) }
                if n < 0 { throw POSIXFailure("read", source.path) }
                return Array(buffer.prefix(n))
            }
            if data.isEmpty { break }
            size += Int64(data.count)
            hasher.update(data: data)
        }
        let target = url(key)
        try await pool.runIfActive {
            let dir = target.deletingLastPathComponent()
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            guard rename(source.path, target.path) == 0 else { throw POSIXFailure("rename", target.path) }
            try fsyncDirectory(dir)
        }
        return BlobInfo(key: key, size: size, sha256: hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    /// Deletes an upload's partial data (termination, expiry); a missing file is not an error.
    public func deletePartial(tenant: TenantID, upload: PrefixedID) async throws {
        let path = partialURL(tenant: tenant, upload: upload).path
        try await pool.runIfActive {
            if unlink(path) != 0 && errno != ENOENT { throw POSIXFailure("unlink", path) }
        }
    }
}
