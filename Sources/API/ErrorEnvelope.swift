import Domain
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An error that answers in the error envelope itself (``ErrorEnvelope``); ``ErrorMiddleware`` hands it its
/// request and context, whatever its type.
public protocol EnvelopedError: HTTPResponseError {}

/// The JSON of every error response: `{"error": {"code", "message", "request_id"}}`.
public struct ErrorBody: Codable, Sendable {
    public struct Inner: Codable, Sendable {
        public var code: String
        public var message: String
        public var request_id: String
    }
    public var error: Inner
}

/// Renders errors in the envelope.
enum ErrorEnvelope {
    /// `Retry-After` of a 503: long enough for the store's own retries to have been spent, short enough for an
    /// outage of seconds to pass unnoticed by a client that honours it.
    static let retryAfterSeconds = 5

    /// The error document (without a request id: stored for idempotent replays).
    static func body(_ error: FileError, requestID: String = "") -> ByteBuffer {
        let body = ErrorBody(error: .init(code: error.code.qualified, message: error.message, request_id: requestID))
        return ByteBuffer(data: (try? APIJSON.encoder().encode(body)) ?? Data())
    }

    /// The response for `error`, with its code's status unless `status` says otherwise.
    static func response(_ error: FileError, requestID: String, status: HTTPResponse.Status? = nil) -> Response {
        var headers: HTTPFields = [.contentType: APIJSON.contentType, .requestID: requestID]
        if error.code == .unauthenticated { headers[.wwwAuthenticate] = "Bearer" }
        // A dependency that is down (the object store, a region's store): the client is told when to try again.
        if (status ?? error.status) == .serviceUnavailable { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: status ?? error.status, headers: headers, body: .init(byteBuffer: body(error, requestID: requestID)))
    }
}

/// JSON as the API writes it: sorted keys (a stable order from call to call), slashes unescaped (`image/jpeg`,
/// `https://…`, as a person reads them), ISO-8601 times.
enum APIJSON {
    static let contentType = "application/json; charset=utf-8"

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension HTTPField.Name {
    static let tenantID = Self("X-Tenant-Id")!
    static let requestID = Self("X-Request-Id")!
    static let traceparent = Self("traceparent")!
    static let contentDigest = Self("Content-Digest")!
    static let uploadFilename = Self("Upload-Filename")!
    /// Data subjects the upload concerns besides its uploader, comma-separated.
    static let uploadSubjects = Self("Upload-Subjects")!
    /// The upload's retention class.
    static let uploadRetentionClass = Self("Upload-Retention-Class")!
}
