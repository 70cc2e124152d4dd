import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Turns every error into `{"error": {"code", "message", "request_id"}}` with the code's status.
/// Unknown errors become `MELMASTOON.FILE.INTERNAL` without leaking their text.
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as FileError {
            var response = Self.response(error, requestID: context.id)
            if request.uri.path.hasPrefix("/v1/uploads") { response.headers[HTTPField.Name("Tus-Resumable")!] = "1.0.0" }
            return response
        } catch let error as RangeNotSatisfiable {
            return try error.response(from: request, context: context)
        } catch let error as RateLimited {
            return try error.response(from: request, context: context)
        } catch let error as TusVersionError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            let code: FileError.Code = switch error.status.code {
            case 404: .notFound
            case 413: .payloadTooLarge
            case 401: .unauthenticated
            case 403: .forbidden
            case 400..<500: .invalidRequest
            default: .internalError
            }
            return Self.response(FileError(code, error.body ?? error.status.reasonPhrase), requestID: context.id, status: error.status)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return Self.response(FileError(.internalError, "internal error"), requestID: context.id)
        }
    }

    /// The error document without a request id (stored for idempotent replays).
    static func errorBody(_ error: FileError, requestID: String = "") -> ByteBuffer {
        let body = ErrorBody(error: .init(code: error.code.qualified, message: error.message, request_id: requestID))
        return ByteBuffer(data: (try? JSONEncoder().encode(body)) ?? Data())
    }

    static func response(_ error: FileError, requestID: String, status: HTTPResponse.Status? = nil) -> Response {
        let data = errorBody(error, requestID: requestID)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .requestID: requestID]
        if error.code == .unauthenticated { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status ?? HTTPResponse.Status(code: error.code.status), headers: headers,
                        body: .init(byteBuffer: data))
    }
}

/// The JSON of every error response.
public struct ErrorBody: Codable, Sendable {
    public struct Inner: Codable, Sendable {
        public var code: String
        public var message: String
        public var request_id: String
    }
    public var error: Inner
}

extension HTTPField.Name {
    static let tenantID = Self("X-Tenant-Id")!
    static let requestID = Self("X-Request-Id")!
    static let traceparent = Self("traceparent")!
    static let contentDigest = Self("Content-Digest")!
    static let uploadFilename = Self("Upload-Filename")!
}
