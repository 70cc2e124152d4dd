import Crypto
import Domain
import Foundation
import NIOCore
import NIOHTTP1

/// Delete-by-prefix: ListObjectsV2 a page (up to 1000 keys) at a time, each page removed with one DeleteObjects
/// (which S3 wants with a `Content-MD5`), until the listing is exhausted.
extension S3BlobStore {
    public func deleteAll(prefix: String) async throws {
        guard prefix.hasSuffix("/"), !prefix.hasPrefix("/"), !prefix.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
            throw FileError(.invalidObjectKey, "not a folder prefix: \(prefix.prefix(200))")
        }
        var token: String?
        repeat {
            let page = try await list(prefix: configuration.keyPrefix + prefix, continuation: token)
            if !page.keys.isEmpty { try await deleteObjects(page.keys) }
            token = page.next
        } while token != nil
    }

    /// One page of keys under `prefix` (full keys, the store's key prefix included) and the token of the next.
    func list(prefix: String, continuation: String?) async throws -> (keys: [String], next: String?) {
        var query = [("list-type", "2"), ("prefix", prefix), ("max-keys", "1000")]
        if let continuation { query.append(("continuation-token", continuation)) }
        let response = try await send(.GET, "", query: query, operation: "ListObjectsV2 \(prefix)")
        let truncated = S3XML.first("IsTruncated", in: response.body) == "true"
        return (S3XML.all("Key", in: response.body), truncated ? S3XML.first("NextContinuationToken", in: response.body) : nil)
    }

    /// Removes up to 1000 objects by their full keys; a key the server could not remove is an error.
    func deleteObjects(_ keys: [String]) async throws {
        var xml = "<Delete><Quiet>true</Quiet>"
        for key in keys { xml += "<Object><Key>\(S3XML.escape(key))</Key></Object>" }
        xml += "</Delete>"
        let body = ByteBuffer(string: xml)
        let md5 = Data(Insecure.MD5.hash(data: body.readableBytesView)).base64EncodedString()
        let response = try await send(.POST, "", query: [("delete", "")], headers: [("Content-MD5", md5), ("Content-Type", "application/xml")],
                                      body: body, operation: "DeleteObjects (\(keys.count) keys)")
        if response.body.contains("<Error>") {
            let failed = S3XML.all("Key", in: response.body)
            throw FileError(.storageFailure, "DeleteObjects: \(failed.count) keys not removed (\(failed.prefix(3).joined(separator: ", ")) …): \(S3XML.first("Code", in: response.body) ?? "")")
        }
    }
}
