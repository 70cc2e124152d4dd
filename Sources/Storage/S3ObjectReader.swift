import AsyncHTTPClient
import Domain
import NIOCore
import NIOHTTP1

/// A GET of an object (or a range of it) as a stream that pulls from the response only as fast as its consumer
/// reads (backpressure: a slow client never makes the process hold the object), and that resumes with a ranged
/// GET from the last byte received when the connection breaks midway (up to the store's attempts).
final class S3ObjectReader: @unchecked Sendable {
    // Touched only from the stream's `unfolding` closure, which is never called concurrently.
    let store: S3BlobStore
    let key: ObjectKey
    var offset: Int64
    /// Exclusive end, when known (a range's upper bound, or the object's length from the first response).
    var end: Int64?
    var iterator: HTTPClientResponse.Body.AsyncIterator?
    var resumes = 0

    init(store: S3BlobStore, key: ObjectKey, offset: Int64, end: Int64?) {
        self.store = store
        self.key = key
        self.offset = offset
        self.end = end
    }

    /// Opens the first response (a missing object is `BLOB_MISSING` here, not while reading) and returns the stream.
    static func open(store: S3BlobStore, key: ObjectKey, range: Range<Int64>?) async throws -> AsyncThrowingStream<ByteBuffer, any Error> {
        let reader = S3ObjectReader(store: store, key: key, offset: range?.lowerBound ?? 0, end: range?.upperBound)
        if let range, range.isEmpty {
            guard try await store.size(of: key) != nil else { throw FileError(.blobMissing, "no blob at \(key)") }
            return AsyncThrowingStream { $0.finish() }
        }
        let complete = try await reader.request()
        if complete { return AsyncThrowingStream { $0.finish() } }
        return AsyncThrowingStream(unfolding: { try await reader.next() })
    }

    /// GETs from `offset`; `true` when there is nothing to read (a range past the end).
    func request() async throws -> Bool {
        var headers: [(String, String)] = []
        if offset > 0 || end != nil { headers.append(("Range", "bytes=\(offset)-\(end.map { String($0 - 1) } ?? "")")) }
        let response = try await store.open(.GET, key.path, headers: headers, accept: [200, 206, 404, 416], operation: "GET \(key.path)")
        switch response.status.code {
        case 404:
            throw FileError(.blobMissing, "no blob at \(key)")
        case 416:
            return true
        default:
            if end == nil, let length = response.headers.first(name: "content-length").flatMap(Int64.init) { end = offset + length }
            iterator = response.body.makeAsyncIterator()
            return false
        }
    }

    func next() async throws -> ByteBuffer? {
        while true {
            if let end, offset >= end { return nil }
            do {
                guard let chunk = try await iterator?.next() else {
                    // The response ended: short of the known end it was cut off.
                    if let end, offset < end { throw S3Error(operation: "GET \(key.path)", transport: ShortRead(received: offset, expected: end)) }
                    return nil
                }
                offset += Int64(chunk.readableBytes)
                return chunk
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                resumes += 1
                guard resumes < store.configuration.maxAttempts, !Task.isCancelled else {
                    throw (error as? S3Error ?? S3Error(operation: "GET \(key.path)", transport: error)).fileError
                }
                store.logger.info("object read cut off, resuming", metadata: ["key": "\(key)", "offset": "\(offset)", "error": "\(error)"])
                iterator = nil
                if try await request() { return nil }
            }
        }
    }

    struct ShortRead: Error, CustomStringConvertible {
        var received: Int64
        var expected: Int64
        var description: String { "the response ended at byte \(received) of \(expected)" }
    }
}
