import Foundation

/// An error a client of filestore can see: a stable `MELMASTOON.FILE.<CODE>` and an HTTP status.
/// `docs/ERROR_CODES.md` lists every code; a test keeps the two in step.
public struct FileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The catalogue of codes. An opaque struct (like `PSQLError.Code`), so codes can be added freely.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The part after `MELMASTOON.FILE.`.
        public let name: String
        /// The HTTP status it maps to.
        public let status: Int
        /// One line for the error-code table.
        public let meaning: String

        init(_ name: String, _ status: Int, _ meaning: String) {
            self.name = name
            self.status = status
            self.meaning = meaning
        }

        /// `MELMASTOON.FILE.<NAME>`.
        public var qualified: String { "MELMASTOON.FILE.\(name)" }
        public var description: String { qualified }

        public static let illegalTransition = Code("ILLEGAL_TRANSITION", 409, "The file's state does not allow this operation.")
        public static let invalidObjectKey = Code("INVALID_OBJECT_KEY", 400, "An object key is malformed or outside the tenant's prefix.")
        public static let invalidID = Code("INVALID_ID", 400, "An identifier is malformed or has the wrong prefix.")
        public static let invalidTenant = Code("INVALID_TENANT", 400, "The tenant id is malformed.")
        public static let notFound = Code("NOT_FOUND", 404, "No such resource for this tenant.")
        public static let blobMissing = Code("BLOB_MISSING", 500, "The stored bytes of a file are missing.")
        public static let storageFailure = Code("STORAGE_FAILURE", 503, "The blob store could not complete the operation.")

        public static let unauthenticated = Code("UNAUTHENTICATED", 401, "No bearer token, or one that is malformed, expired or signed by an unknown key.")
        public static let forbidden = Code("FORBIDDEN", 403, "The token lacks the scope this operation needs.")
        public static let tenantMismatch = Code("TENANT_MISMATCH", 403, "X-Tenant-Id names another tenant than the token.")
        public static let invalidRequest = Code("INVALID_REQUEST", 400, "A header, parameter or body is malformed.")
        public static let payloadTooLarge = Code("PAYLOAD_TOO_LARGE", 413, "The body is larger than the configured maximum.")
        public static let checksumMismatch = Code("CHECKSUM_MISMATCH", 422, "The bytes received do not match the checksum the client sent.")
        public static let internalError = Code("INTERNAL", 500, "An unexpected failure; the request id finds it in the logs.")
        public static let signatureInvalid = Code("SIGNATURE_INVALID", 403, "The signed URL is malformed, tampered with or signed by an unknown key.")
        public static let urlExpired = Code("URL_EXPIRED", 403, "The signed URL has expired.")
        public static let urlRevoked = Code("URL_REVOKED", 403, "The signed URL was revoked (the file's URLs were revoked after it was issued).")
        public static let notServable = Code("NOT_SERVABLE", 409, "The file is not ready (not yet scanned clean, quarantined, failed or deleted) and is never served.")
        public static let rangeNotSatisfiable = Code("RANGE_NOT_SATISFIABLE", 416, "The requested byte range lies outside the file.")
        public static let idempotencyKeyReused = Code("IDEMPOTENCY_KEY_REUSED", 422, "The Idempotency-Key was used before with a different request.")
        public static let rateLimited = Code("RATE_LIMITED", 429, "Too many requests for this tenant and endpoint; retry after Retry-After seconds.")
        public static let quotaExceeded = Code("QUOTA_EXCEEDED", 409, "The upload would exceed the tenant's quota of bytes or files.")
        public static let uploadOffsetMismatch = Code("UPLOAD_OFFSET_MISMATCH", 409, "Upload-Offset does not match the upload's current offset.")
        public static let uploadLocked = Code("UPLOAD_LOCKED", 423, "Another request is writing to this upload; retry after it finishes.")
        public static let uploadExpired = Code("UPLOAD_EXPIRED", 410, "The resumable upload expired and its data was dropped.")
        public static let uploadFinished = Code("UPLOAD_FINISHED", 409, "The resumable upload is complete; it accepts no more data.")
        public static let tusVersionUnsupported = Code("TUS_VERSION_UNSUPPORTED", 412, "Tus-Resumable is missing or names a version other than 1.0.0.")
        public static let unsupportedMediaType = Code("UNSUPPORTED_MEDIA_TYPE", 415, "PATCH bodies must be application/offset+octet-stream.")
        public static let chunkChecksumMismatch = Code("CHUNK_CHECKSUM_MISMATCH", 460, "The chunk does not match its Upload-Checksum; it was discarded.")
        public static let idempotencyInProgress = Code("IDEMPOTENCY_IN_PROGRESS", 409, "A request with this Idempotency-Key is still being processed.")

        /// Every code, for documentation and tests.
        public static let all: [Code] = [
            illegalTransition, invalidObjectKey, invalidID, invalidTenant, notFound, blobMissing, storageFailure,
            unauthenticated, forbidden, tenantMismatch, invalidRequest, payloadTooLarge, checksumMismatch, internalError,
            signatureInvalid, urlExpired, urlRevoked, notServable, rangeNotSatisfiable, idempotencyKeyReused, idempotencyInProgress,
            rateLimited, quotaExceeded, uploadOffsetMismatch, uploadLocked, uploadExpired, uploadFinished,
            tusVersionUnsupported, unsupportedMediaType, chunkChecksumMismatch,
        ]
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.qualified): \(message)" }
}
