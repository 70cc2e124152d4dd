import AsyncHTTPClient
import Crypto
import Domain
import Foundation
import NIOCore
import NIOHTTP1

/// One response to a request whose body is small (XML, or none), read whole.
struct S3Response: Sendable {
    var status: UInt
    var headers: HTTPHeaders
    var body: String
}

/// The requests: signed, sent, retried with backoff while the failure is worth it (``S3Error/isRetryable``), then
/// turned into a `STORAGE_FAILURE` ``FileError``. Every body sent is in memory (a single PUT's, one part's, an XML
/// document), so a retry sends the same bytes again.
extension S3BlobStore {
    /// The longest response body read whole (a page of 1000 listed keys is about 300 KiB).
    static let maximumResponseBytes = 8 << 20

    /// Sends a request and reads its response; a status outside `accept` is an error (retried when retryable).
    /// `payloadHash`: the body's SHA-256 when the caller computed it while gathering the bytes (one pass less).
    func send(_ method: HTTPMethod, _ objectPath: String, query: [(String, String)] = [], headers: [(String, String)] = [],
              body: ByteBuffer? = nil, payloadHash: String? = nil, accept: Set<UInt> = [200], operation: String) async throws -> S3Response {
        let payloadHash = payloadHash ?? body.map { SHA256.hash(data: $0.readableBytesView).hexString } ?? S3Signer.emptyPayloadHash
        return try await withRetries(operation) {
            let response = try await execute(method, objectPath, query: query, headers: headers, body: body, payloadHash: payloadHash,
                                             operation: operation)
            let text: String
            do {
                let bytes = try await response.body.collect(upTo: Self.maximumResponseBytes)
                text = String(buffer: bytes)
            } catch {
                throw S3Error(operation: operation, transport: error)
            }
            guard accept.contains(response.status.code) else { throw S3Error(operation: operation, status: response.status.code, body: text) }
            // CompleteMultipartUpload and DeleteObjects can answer 200 with an error document.
            if response.status.code == 200, text.contains("<Error>"), S3XML.first("Code", in: text) != nil, !text.contains("<DeleteResult") {
                throw S3Error(operation: operation, status: 500, body: text)
            }
            return S3Response(status: response.status.code, headers: response.headers, body: text)
        }
    }

    /// Sends a request and hands over its response with the body unread (a GET's bytes); a status outside `accept`
    /// is an error, its body read.
    func open(_ method: HTTPMethod, _ objectPath: String, headers: [(String, String)] = [], accept: Set<UInt>,
              operation: String) async throws -> HTTPClientResponse {
        try await withRetries(operation) {
            let response = try await execute(method, objectPath, query: [], headers: headers, body: nil, payloadHash: S3Signer.emptyPayloadHash,
                                             operation: operation)
            guard accept.contains(response.status.code) else {
                let bytes = try? await response.body.collect(upTo: 1 << 20)
                throw S3Error(operation: operation, status: response.status.code, body: bytes.map { String(buffer: $0) } ?? "")
            }
            return response
        }
    }

    /// Runs `attempt` up to ``S3Configuration/maxAttempts`` times while it fails with a retryable ``S3Error``,
    /// sleeping `base × 2ⁿ` plus jitter between attempts; the last failure becomes a ``FileError``.
    func withRetries<T>(_ operation: String, _ attempt: () async throws -> T) async throws -> T {
        var tries = 0
        while true {
            tries += 1
            do {
                return try await attempt()
            } catch let error as S3Error {
                guard error.isRetryable, tries < configuration.maxAttempts else { throw error.fileError }
                logger.debug("retrying an object store request", metadata: ["operation": "\(operation)", "attempt": "\(tries)", "error": "\(error)"])
                try await Task.sleep(for: backoff(tries))
            }
        }
    }

    /// The delay after the `tries`-th failed attempt.
    func backoff(_ tries: Int) -> Duration {
        let base = configuration.retryBaseDelay * (1 << min(tries - 1, 10))
        return base + base * Double.random(in: 0..<0.5)
    }

    /// One signed attempt; a failure of the transport is a retryable ``S3Error``, cancellation stays cancellation.
    func execute(_ method: HTTPMethod, _ objectPath: String, query: [(String, String)], headers: [(String, String)],
                 body: ByteBuffer?, payloadHash: String, operation: String) async throws -> HTTPClientResponse {
        let location = configuration.location(of: objectPath.isEmpty ? "" : configuration.keyPrefix + objectPath)
        let queryText = S3Signer.canonicalQuery(query)
        var request = HTTPClientRequest(url: location.url + (queryText.isEmpty ? "" : "?" + queryText))
        request.method = method
        request.headers.add(name: "Host", value: location.host)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        for (name, value) in signer.sign(method: method.rawValue, host: location.host, path: location.path, query: query,
                                         headers: headers, payloadHash: payloadHash) {
            request.headers.add(name: name, value: value)
        }
        if let body {
            request.body = .bytes(body)
        } else if method == .PUT || method == .POST {
            request.headers.add(name: "Content-Length", value: "0")
        }
        do {
            return try await client.execute(request, timeout: .minutes(30))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw S3Error(operation: operation, transport: error)
        }
    }
}
