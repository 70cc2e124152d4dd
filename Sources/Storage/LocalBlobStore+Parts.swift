import Crypto
import Domain
import Foundation
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Resumable uploads as immutable parts next to the blobs: `<root>/.partial/<tenant>/<upload>/part-<offset>`,
/// each written to `.tmp`, fsynced and renamed into place — the way an object store without append holds them.
extension LocalBlobStore {
    func partsURL(tenant: TenantID, upload: PrefixedID) -> URL {
        root.appendingPathComponent(".partial/\(tenant.value)/\(upload)")
    }

    static func partName(_ offset: Int64) -> String { "part-" + String(offset) }

    public func putPart<S: AsyncSequence & Sendable>(tenant: TenantID, upload: PrefixedID, at offset: Int64, body: S,
                                                     limit: Int64?, checksum: ChunkChecksum?) async throws -> Int64
        where S.Element == ByteBuffer {
        guard upload.kind == .upload else { throw FileError(.invalidID, "\(upload) is not an upload id") }
        let folder = partsURL(tenant: tenant, upload: upload)
        let (tmp, fd) = try await temporaryFile()
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
                    try await pool.runIfActive { try Self.writeAll(fd, bytes, path: tmp.path) }
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
            let target = folder.appendingPathComponent(Self.partName(offset))
            let stored = written
            try await pool.runIfActive {
                guard stored > 0 else { close(fd); unlink(tmp.path); return }
                try Self.commit(fd, tmp, to: target)
            }
            return written
        } catch {
            // Nothing of this chunk counts: the upload stays at `offset`.
            try? await pool.runIfActive {
                close(fd)
                unlink(tmp.path)
            }
            throw error
        }
    }

    public func composeParts(tenant: TenantID, upload: PrefixedID, length: Int64, to key: ObjectKey) async throws -> BlobInfo {
        guard key.tenant == tenant else { throw FileError(.invalidObjectKey, "key \(key) is outside tenant \(tenant)'s prefix") }
        let chain = try await partChain(tenant: tenant, upload: upload, length: length)
        let (tmp, out) = try await temporaryFile()
        var hasher = SHA256()
        do {
            for part in chain {
                let input = try await pool.runIfActive { () throws -> Int32 in
                    let fd = open(part.path, O_RDONLY | O_CLOEXEC)
                    guard fd >= 0 else { throw POSIXFailure("open", part.path) }
                    return fd
                }
                defer { close(input) }
                while true {
                    let buffer = try await pool.runIfActive { () throws -> ByteBuffer in
                        var buffer = ByteBufferAllocator().buffer(capacity: writeBatchSize)
                        _ = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: writeBatchSize) { raw in
                            let n = Glibc.read(input, raw.baseAddress!, writeBatchSize)
                            if n < 0 { throw POSIXFailure("read", part.path) }
                            return n
                        }
                        if buffer.readableBytes > 0 { try Self.writeAll(out, buffer, path: tmp.path) }
                        return buffer
                    }
                    if buffer.readableBytes == 0 { break }
                    buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                }
            }
            let target = url(key)
            try await pool.runIfActive { try Self.commit(out, tmp, to: target) }
        } catch {
            try? await pool.runIfActive { close(out); unlink(tmp.path) }
            throw error
        }
        try? await deletePartial(tenant: tenant, upload: upload)
        return BlobInfo(key: key, size: length, sha256: hasher.finalize().hexString)
    }

    /// The chain of an upload's parts from offset 0 up to `length`, in order; parts that do not add up to it are
    /// `BLOB_MISSING`. A part left by an interrupted request past the acknowledged offset is not part of it.
    func partChain(tenant: TenantID, upload: PrefixedID, length: Int64) async throws -> [URL] {
        let folder = partsURL(tenant: tenant, upload: upload)
        let names = try await pool.runIfActive { Set((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []) }
        var chain: [URL] = []
        var offset: Int64 = 0
        while offset < length, names.contains(Self.partName(offset)) {
            let part = folder.appendingPathComponent(Self.partName(offset))
            let size = try await pool.runIfActive { () throws -> Int64 in
                var st = stat()
                guard stat(part.path, &st) == 0 else { throw POSIXFailure("stat", part.path) }
                return Int64(st.st_size)
            }
            chain.append(part)
            offset += size
        }
        guard offset == length else {
            throw FileError(.blobMissing, "the parts of upload \(upload) hold \(offset) of its \(length) bytes")
        }
        return chain
    }

    public func deletePartial(tenant: TenantID, upload: PrefixedID) async throws {
        let folder = partsURL(tenant: tenant, upload: upload)
        try await Self.removeTree(folder, pool: pool)
    }
}
