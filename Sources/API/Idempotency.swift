import Domain
import FileCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `Idempotency-Key` on mutating endpoints: adapts a request to FileCore's ``IdempotencyStore`` (a plain
/// fingerprint in, a stored outcome out) and the outcome back to a response (`Idempotent-Replayed: true` when
/// replayed). Client errors (4xx) are answers and are stored in the error envelope; server errors are not.
///
/// The fingerprint is the method, the path and the request's describing headers (Content-Length,
/// Content-Type, Content-Digest, Upload-Filename) plus, for small JSON bodies, the body itself — an upload's
/// bytes are not hashed twice; send `Content-Digest` to bind the key to the content.
struct Idempotency: Sendable {
    let store: IdempotencyStore

    /// Runs `body` at most once per key; without a key, just runs it.
    func run(_ request: Request, identity: Identity, bodyBytes: ByteBuffer? = nil,
             _ body: () async throws -> IdempotencyStore.Outcome) async throws -> Response {
        let (outcome, replayed) = try await store.run(key: request.headers[.idempotencyKey], fingerprint: Self.fingerprint(request, body: bodyBytes),
                                                      tenant: identity.tenant, answer: Self.answer, body)
        return Self.response(outcome, replayed: replayed)
    }

    /// A client error is an answer too: the same request gets it again.
    static func answer(_ error: any Error) -> IdempotencyStore.Outcome? {
        guard let error = error as? FileError, FileErrorStatus.status(of: error.code) < 500 else { return nil }
        return .init(status: FileErrorStatus.status(of: error.code), contentType: APIJSON.contentType, location: nil,
                     body: ErrorEnvelope.body(error))
    }

    static func fingerprint(_ request: Request, body: ByteBuffer?) -> String {
        let headers = [HTTPField.Name.contentLength, .contentType, .contentDigest, .uploadFilename].map { request.headers[$0] ?? "" }
        return IdempotencyStore.fingerprint([request.method.rawValue, request.uri.path] + headers, body: body)
    }

    static func response(_ outcome: IdempotencyStore.Outcome, replayed: Bool) -> Response {
        var headers: HTTPFields = [.contentType: outcome.contentType]
        if let location = outcome.location { headers[.location] = location }
        if replayed { headers[.idempotentReplayed] = "true" }
        return Response(status: .init(code: outcome.status), headers: headers, body: .init(byteBuffer: outcome.body))
    }

    /// A JSON outcome (sorted keys, like every response).
    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, location: String? = nil) throws -> IdempotencyStore.Outcome {
        .init(status: status.code, contentType: APIJSON.contentType, location: location, body: ByteBuffer(data: try APIJSON.encoder().encode(value)))
    }
}

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
}
