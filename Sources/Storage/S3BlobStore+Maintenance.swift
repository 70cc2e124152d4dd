import Domain
import Foundation
import NIOHTTP1

/// A multipart upload the bucket still holds (started and neither completed nor aborted).
public struct PendingMultipartUpload: Sendable, Hashable {
    /// The full key, the store's key prefix included.
    public var key: String
    public var uploadID: String
    /// When it was started, as the server wrote it (ISO 8601).
    public var initiated: String
}

/// What operators and the maintenance tasks need besides the blob protocol: multipart uploads a dead process left
/// behind, and counting what is under a prefix.
extension S3BlobStore {
    /// Multipart uploads under the store's key prefix (one page, up to 1000).
    public func pendingMultipartUploads() async throws -> [PendingMultipartUpload] {
        let response = try await send(.GET, "", query: [("uploads", ""), ("prefix", configuration.keyPrefix + "tenants/")],
                                      operation: "ListMultipartUploads")
        return response.body.components(separatedBy: "<Upload>").dropFirst().compactMap { upload in
            guard let key = S3XML.first("Key", in: upload), let id = S3XML.first("UploadId", in: upload) else { return nil }
            return PendingMultipartUpload(key: key, uploadID: id, initiated: S3XML.first("Initiated", in: upload) ?? "")
        }
    }

    /// Aborts the multipart uploads started before `cutoff` (a process that died mid-upload leaves its parts; a
    /// bucket lifecycle rule `AbortIncompleteMultipartUpload` does the same on AWS). Returns how many.
    public func abortAbandonedUploads(startedBefore cutoff: Date) async throws -> Int {
        let parse = ISO8601DateFormatter()
        parse.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var aborted = 0
        for upload in try await pendingMultipartUploads() {
            let started = parse.date(from: upload.initiated) ?? ISO8601DateFormatter().date(from: upload.initiated)
            guard let started, started < cutoff, upload.key.hasPrefix(configuration.keyPrefix) else { continue }
            _ = try await send(.DELETE, String(upload.key.dropFirst(configuration.keyPrefix.count)), query: [("uploadId", upload.uploadID)],
                               accept: [200, 204, 404], operation: "AbortMultipartUpload \(upload.key)")
            aborted += 1
        }
        return aborted
    }

    /// How many objects are under `prefix` (relative to the store's key prefix).
    public func count(prefix: String) async throws -> Int {
        var token: String?, total = 0
        repeat {
            let page = try await list(prefix: configuration.keyPrefix + prefix, continuation: token)
            total += page.keys.count
            token = page.next
        } while token != nil
        return total
    }

    /// The object's `x-amz-meta-*` headers (names lower-cased); empty for a missing object.
    public func metadata(_ key: ObjectKey) async throws -> [String: String] {
        let response = try await send(.HEAD, key.path, accept: [200, 404], operation: "HEAD \(key.path)")
        var out: [String: String] = [:]
        for header in response.headers where header.name.lowercased().hasPrefix("x-amz-meta-") { out[header.name.lowercased()] = header.value }
        return out
    }
}

extension S3Configuration {
    /// The URL of the object at `path` (relative to the key prefix), as requests address it.
    public func objectURL(of path: String) -> String { location(of: keyPrefix + path).url }
}
