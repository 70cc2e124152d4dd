import Foundation

/// An error a client of filestore can see: a stable `MELMASTOON.FILE.<CODE>` and a message. The error carries no
/// transport detail: the API maps each code to its HTTP status in one table (`FileErrorStatus` in `API`).
/// `docs/ERROR_CODES.md` lists every code with that status; a test keeps the three in step.
public struct FileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The catalogue of codes. An opaque struct (like `PSQLError.Code`), so codes can be added freely.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The part after `MELMASTOON.FILE.`.
        public let name: String
        /// One line for the error-code table.
        public let meaning: String

        init(_ name: String, _ meaning: String) {
            self.name = name
            self.meaning = meaning
        }

        /// `MELMASTOON.FILE.<NAME>`.
        public var qualified: String { "MELMASTOON.FILE.\(name)" }
        public var description: String { qualified }

        public static let illegalTransition = Code("ILLEGAL_TRANSITION", "The file's state does not allow this operation.")
        public static let invalidObjectKey = Code("INVALID_OBJECT_KEY", "An object key is malformed or outside the tenant's prefix.")
        public static let invalidID = Code("INVALID_ID", "An identifier is malformed or has the wrong prefix.")
        public static let invalidTenant = Code("INVALID_TENANT", "The tenant id is malformed.")
        public static let notFound = Code("NOT_FOUND", "No such resource for this tenant.")
        public static let blobMissing = Code("BLOB_MISSING", "The stored bytes of a file are missing.")
        public static let storageFailure = Code("STORAGE_FAILURE", "The blob store could not complete the operation (it is down or refused it); retry after Retry-After seconds.")

        public static let unauthenticated = Code("UNAUTHENTICATED", "No bearer token, or one that is malformed, expired or signed by an unknown key.")
        public static let forbidden = Code("FORBIDDEN", "The token lacks the scope this operation needs.")
        public static let tenantMismatch = Code("TENANT_MISMATCH", "X-Tenant-Id names another tenant than the token.")
        public static let invalidRequest = Code("INVALID_REQUEST", "A header, parameter or body is malformed.")
        public static let payloadTooLarge = Code("PAYLOAD_TOO_LARGE", "The body is larger than the configured maximum.")
        public static let checksumMismatch = Code("CHECKSUM_MISMATCH", "The bytes received do not match the checksum the client sent.")
        public static let internalError = Code("INTERNAL", "An unexpected failure; the request id finds it in the logs.")
        public static let signatureInvalid = Code("SIGNATURE_INVALID", "The signed URL is malformed, tampered with or signed by an unknown key.")
        public static let urlExpired = Code("URL_EXPIRED", "The signed URL has expired.")
        public static let urlRevoked = Code("URL_REVOKED", "The signed URL was revoked (the file's URLs were revoked after it was issued).")
        public static let notServable = Code("NOT_SERVABLE", "The file is not ready (not yet scanned clean, quarantined, failed or deleted) and is never served.")
        public static let rangeNotSatisfiable = Code("RANGE_NOT_SATISFIABLE", "The requested byte range lies outside the file.")
        public static let idempotencyKeyReused = Code("IDEMPOTENCY_KEY_REUSED", "The Idempotency-Key was used before with a different request.")
        public static let rateLimited = Code("RATE_LIMITED", "Too many requests for this tenant and endpoint; retry after Retry-After seconds.")
        public static let quotaExceeded = Code("QUOTA_EXCEEDED", "The upload would exceed the tenant's quota of bytes or files.")
        public static let uploadOffsetMismatch = Code("UPLOAD_OFFSET_MISMATCH", "Upload-Offset does not match the upload's current offset.")
        public static let uploadLocked = Code("UPLOAD_LOCKED", "Another request is writing to this upload; retry after it finishes.")
        public static let uploadExpired = Code("UPLOAD_EXPIRED", "The resumable upload expired and its data was dropped.")
        public static let uploadFinished = Code("UPLOAD_FINISHED", "The resumable upload is complete; it accepts no more data.")
        public static let tusVersionUnsupported = Code("TUS_VERSION_UNSUPPORTED", "Tus-Resumable is missing or names a version other than 1.0.0.")
        public static let unsupportedMediaType = Code("UNSUPPORTED_MEDIA_TYPE", "PATCH bodies must be application/offset+octet-stream.")
        public static let chunkChecksumMismatch = Code("CHUNK_CHECKSUM_MISMATCH", "The chunk does not match its Upload-Checksum; it was discarded.")
        public static let idempotencyInProgress = Code("IDEMPOTENCY_IN_PROGRESS", "A request with this Idempotency-Key is still being processed.")
        public static let webhookURLRefused = Code("WEBHOOK_URL_REFUSED", "The webhook URL is not https, or names or resolves to a loopback, private, link-local or metadata address.")
        public static let eventSignatureInvalid = Code("EVENT_SIGNATURE_INVALID", "The inbox event's Standard Webhooks signature or timestamp does not verify for its source.")
        public static let eventInvalid = Code("EVENT_INVALID", "The inbox event does not match its topic's JSON Schema.")
        public static let eventTopicUnknown = Code("EVENT_TOPIC_UNKNOWN", "The inbox does not consume this event topic.")
        public static let retained = Code("RETAINED", "The file is under an unexpired retention class: it cannot be deleted or erased, and its retain-until date only moves later.")
        public static let legalHold = Code("LEGAL_HOLD", "The file is under legal hold: it cannot be deleted, erased or swept until the hold is lifted.")
        public static let regionUnavailable = Code("REGION_UNAVAILABLE", "The tenant's data region has no blob store in this deployment; its bytes are never stored elsewhere.")
        public static let complianceNotConfigured = Code("COMPLIANCE_NOT_CONFIGURED", "Erasure needs the compliance key (FILESTORE_COMPLIANCE_KEYS), which this deployment has not set.")

        /// Every code, for documentation and tests.
        public static let all: [Code] = [
            illegalTransition, invalidObjectKey, invalidID, invalidTenant, notFound, blobMissing, storageFailure,
            unauthenticated, forbidden, tenantMismatch, invalidRequest, payloadTooLarge, checksumMismatch, internalError,
            signatureInvalid, urlExpired, urlRevoked, notServable, rangeNotSatisfiable, idempotencyKeyReused, idempotencyInProgress,
            rateLimited, quotaExceeded, uploadOffsetMismatch, uploadLocked, uploadExpired, uploadFinished,
            tusVersionUnsupported, unsupportedMediaType, chunkChecksumMismatch,
            webhookURLRefused, eventSignatureInvalid, eventInvalid, eventTopicUnknown,
            retained, legalHold, complianceNotConfigured, regionUnavailable,
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
