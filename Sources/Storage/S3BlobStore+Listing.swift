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

    /// Every object under `prefix` (keys without the store's key prefix), a ListObjectsV2 page at a time.
    public func list(prefix: String) -> AsyncThrowingStream<BlobListing, any Error> {
        let (stream, continuation) = AsyncThrowingStream<BlobListing, any Error>.makeStream()
        let task = Task {
            do {
                guard !prefix.hasPrefix("/"), !prefix.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
                    throw FileError(.invalidObjectKey, "not a key prefix: \(prefix.prefix(200))")
                }
                let own = configuration.keyPrefix
                var token: String?
                repeat {
                    var query = [("list-type", "2"), ("prefix", own + prefix), ("max-keys", "1000")]
                    if let token { query.append(("continuation-token", token)) }
                    let response = try await send(.GET, "", query: query, operation: "ListObjectsV2 \(prefix)")
                    for block in Self.blocks("Contents", in: response.body) {
                        guard let key = S3XML.first("Key", in: block), key.hasPrefix(own),
                              let size = S3XML.first("Size", in: block).flatMap({ Int64($0) }) else { continue }
                        let modified = S3XML.first("LastModified", in: block).flatMap(Self.parseTime) ?? Date()
                        continuation.yield(BlobListing(key: String(key.dropFirst(own.count)), size: size, modified: modified))
                    }
                    token = S3XML.first("IsTruncated", in: response.body) == "true" ? S3XML.first("NextContinuationToken", in: response.body) : nil
                } while token != nil
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The raw inner text of every `<name>…</name>` (not decoded: the blocks are read again by element).
    static func blocks(_ name: String, in xml: String) -> [String] {
        var out: [String] = []
        var rest = xml[...]
        while let start = rest.range(of: "<\(name)>"), let end = rest.range(of: "</\(name)>", range: start.upperBound..<rest.endIndex) {
            out.append(String(rest[start.upperBound..<end.lowerBound]))
            rest = rest[end.upperBound...]
        }
        return out
    }

    /// S3's `LastModified` (`2026-12-04T19:55:10.000Z`, the fraction optional).
    static func parseTime(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
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
