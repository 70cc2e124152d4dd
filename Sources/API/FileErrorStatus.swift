import Domain
import HTTPTypes
import Hummingbird

/// The HTTP status of every error code: the one table of the mapping (`docs/ERROR_CODES.md` lists it; a test
/// keeps the two in step). Domain errors carry no status of their own.
public enum FileErrorStatus {
    /// Every code with its status.
    public static let statuses: [FileError.Code: Int] = [
        .illegalTransition: 409,
        .invalidObjectKey: 400,
        .invalidID: 400,
        .invalidTenant: 400,
        .notFound: 404,
        .blobMissing: 500,
        .storageFailure: 503,
        .unauthenticated: 401,
        .forbidden: 403,
        .tenantMismatch: 403,
        .invalidRequest: 400,
        .payloadTooLarge: 413,
        .checksumMismatch: 422,
        .internalError: 500,
        .signatureInvalid: 403,
        .urlExpired: 403,
        .urlRevoked: 403,
        .notServable: 409,
        .rangeNotSatisfiable: 416,
        .idempotencyKeyReused: 422,
        .rateLimited: 429,
        .quotaExceeded: 409,
        .uploadOffsetMismatch: 409,
        .uploadLocked: 423,
        .uploadExpired: 410,
        .uploadFinished: 409,
        .tusVersionUnsupported: 412,
        .unsupportedMediaType: 415,
        .chunkChecksumMismatch: 460,
        .idempotencyInProgress: 409,
        .webhookURLRefused: 422,
        .eventSignatureInvalid: 401,
        .eventInvalid: 422,
        .eventTopicUnknown: 422,
        .retained: 409,
        .legalHold: 409,
        .complianceNotConfigured: 503,
        .regionUnavailable: 503,
    ]

    /// The status `code` answers with (500 for a code missing from the table, which a test forbids).
    public static func status(of code: FileError.Code) -> Int { statuses[code] ?? 500 }

    /// The code a bare HTTP status stands for (the framework's own errors, such as an unknown route).
    static func code(for status: HTTPResponse.Status) -> FileError.Code {
        switch status.code {
        case 404: .notFound
        case 413: .payloadTooLarge
        case 401: .unauthenticated
        case 403: .forbidden
        case 400..<500: .invalidRequest
        default: .internalError
        }
    }
}

/// A domain error is answered in the error envelope with its code's status.
extension FileError: HTTPResponseError, EnvelopedError {
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: FileErrorStatus.status(of: code)) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        ErrorEnvelope.response(self, requestID: context.id)
    }
}
