import Crypto
import Domain
import Foundation
import NIOCore
import NIOHTTP1

/// Multipart uploads: CreateMultipartUpload, UploadPart (up to ``S3Configuration/partsInFlight`` parts sent at once
/// while the next is gathered), CompleteMultipartUpload, then a HEAD that checks the object's size (and reads its ETag: Ceph's RGW may
/// answer Complete with an empty one). Any failure aborts the upload, so no part is left behind by this process;
/// uploads abandoned by a process that died are removed by the bucket's lifecycle rule (docs/STORAGE.md).
extension S3BlobStore {
    /// Sends `first` (one whole part), `carry` (bytes already counted that follow it) and the rest of `chunks` as a
    /// multipart upload of `key`, in parts of exactly ``S3Configuration/partSize`` but the last; returns the bytes'
    /// SHA-256. `size` and `hasher` carry on from what `first` and `carry` already counted.
    func putMultipart<I: AsyncIteratorProtocol>(_ key: ObjectKey, first: ByteBuffer, carry: ByteBuffer?, rest chunks: inout I, size: inout Int64,
                                                hasher: inout SHA256, limit: Int64?) async throws -> String
        where I.Element == ByteBuffer {
        let uploadID = try await createMultipart(key)
        do {
            var etags: [Int: String] = [:]
            try await withThrowingTaskGroup(of: (Int, String).self) { sends in
                var inFlight = 0
                var number = 0
                let maxInFlight = max(1, configuration.partsInFlight)
                func send(_ part: ByteBuffer, hash: String? = nil) async throws {
                    if inFlight >= maxInFlight, let (n, etag) = try await sends.next() {
                        etags[n] = etag
                        inFlight -= 1
                    }
                    number += 1
                    let n = number
                    sends.addTask { (n, try await self.uploadPart(key, uploadID: uploadID, number: n, body: part, payloadHash: hash)) }
                    inFlight += 1
                }
                try await send(first)
                let partSize = configuration.partSize
                var part = ByteBufferAllocator().buffer(capacity: partSize)
                // Each part's payload hash is computed as its bytes arrive (no second pass over the part).
                var partHasher = SHA256()
                func append(_ chunk: inout ByteBuffer) async throws {
                    while chunk.readableBytes > 0 {
                        guard var slice = chunk.readSlice(length: min(partSize - part.readableBytes, chunk.readableBytes)) else { return }
                        slice.withUnsafeReadableBytes { partHasher.update(bufferPointer: $0) }
                        part.writeBuffer(&slice)
                        if part.readableBytes == partSize {
                            try await send(part, hash: partHasher.finalize().hexString)
                            part = ByteBufferAllocator().buffer(capacity: partSize)
                            partHasher = SHA256()
                        }
                    }
                }
                if var carry { try await append(&carry) }
                while var chunk = try await chunks.next() {
                    size += Int64(chunk.readableBytes)
                    if let limit, size > limit { throw BlobTooLarge(limit: limit) }
                    chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                    try await append(&chunk)
                }
                if part.readableBytes > 0 { try await send(part, hash: partHasher.finalize().hexString) }
                for try await (n, etag) in sends { etags[n] = etag }
            }
            try await completeMultipart(key, uploadID: uploadID, etags: etags.sorted { $0.key < $1.key }.map(\.value))
            let stored = try await self.size(of: key)
            guard stored == size else {
                throw FileError(.storageFailure, "multipart upload of \(key) holds \(stored.map(String.init) ?? "nothing") of \(size) bytes")
            }
            return hasher.finalize().hexString
        } catch {
            await abortMultipart(key, uploadID: uploadID)
            throw error
        }
    }

    func createMultipart(_ key: ObjectKey) async throws -> String {
        let response = try await send(.POST, key.path, query: [("uploads", "")], operation: "CreateMultipartUpload \(key.path)")
        guard let id = S3XML.first("UploadId", in: response.body), !id.isEmpty else {
            throw FileError(.storageFailure, "CreateMultipartUpload \(key.path): no UploadId in the answer")
        }
        return id
    }

    /// One part, its payload hash signed; returns its ETag.
    func uploadPart(_ key: ObjectKey, uploadID: String, number: Int, body: ByteBuffer, payloadHash: String? = nil) async throws -> String {
        let response = try await send(.PUT, key.path, query: [("partNumber", String(number)), ("uploadId", uploadID)], body: body,
                                      payloadHash: payloadHash, operation: "UploadPart \(number) \(key.path)")
        guard let etag = response.headers.first(name: "etag"), !etag.isEmpty else {
            throw FileError(.storageFailure, "UploadPart \(number) \(key.path): no ETag in the answer")
        }
        return etag
    }

    func completeMultipart(_ key: ObjectKey, uploadID: String, etags: [String]) async throws {
        var xml = "<CompleteMultipartUpload>"
        for (i, etag) in etags.enumerated() { xml += "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\(S3XML.escape(etag))</ETag></Part>" }
        xml += "</CompleteMultipartUpload>"
        _ = try await send(.POST, key.path, query: [("uploadId", uploadID)], headers: [("Content-Type", "application/xml")],
                           body: ByteBuffer(string: xml), operation: "CompleteMultipartUpload \(key.path)")
    }

    /// Best effort: a failed abort leaves the parts to the bucket's lifecycle rule.
    func abortMultipart(_ key: ObjectKey, uploadID: String) async {
        do {
            _ = try await send(.DELETE, key.path, query: [("uploadId", uploadID)], accept: [200, 204, 404],
                               operation: "AbortMultipartUpload \(key.path)")
        } catch {
            logger.warning("could not abort a multipart upload", metadata: ["key": "\(key)", "upload_id": "\(uploadID)", "error": "\(error)"])
        }
    }
}
