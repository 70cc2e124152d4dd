import Domain
import Foundation

/// A request to the object store that failed: the HTTP status and S3's error code and message when the server
/// answered, the transport's error when it did not. Callers never see it: it becomes the text of a
/// `STORAGE_FAILURE` ``FileError`` (503 with `Retry-After` in the API) once its retries are spent.
struct S3Error: Error, Sendable, CustomStringConvertible {
    /// What was attempted: `PUT tenants/acme/files/file_…/original`.
    var operation: String
    var status: UInt?
    var code: String?
    var message: String?
    /// The transport's failure (refused, reset, timed out) when no response came.
    var transport: String?

    init(operation: String, status: UInt, body: String) {
        self.operation = operation
        self.status = status
        self.code = S3XML.first("Code", in: body)
        self.message = S3XML.first("Message", in: body)
    }

    init(operation: String, transport error: any Error) {
        self.operation = operation
        self.transport = String(describing: error)
    }

    /// Worth another attempt: the server's own failures (5xx, `SlowDown`), request timeouts, throttling, and any
    /// failure of the transport (refused, reset, timed out). A 4xx is the request's fault and is final.
    var isRetryable: Bool {
        guard let status else { return true }
        return status >= 500 || status == 408 || status == 429 || code == "SlowDown" || code == "RequestTimeout"
    }

    var description: String {
        if let transport { return "\(operation): object store unreachable (\(transport.prefix(300)))" }
        return "\(operation): object store answered \(status ?? 0) \(code ?? "")\(message.map { " (\($0.prefix(300)))" } ?? "")"
    }

    /// The error a caller sees.
    var fileError: FileError { FileError(.storageFailure, description) }
}
