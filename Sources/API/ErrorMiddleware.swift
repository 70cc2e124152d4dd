import Domain
import Foundation
import HTTPTypes
import Hummingbird
import PostgresNIO

/// Turns every error into the envelope (``ErrorBody``). Errors that render it themselves (``EnvelopedError``:
/// domain errors with their code's status, 416, 429, 412…) answer as they say; the framework's own errors are
/// put in the envelope with the code of their status; a value PostgreSQL refuses as data (SQLSTATE class 22:
/// a NUL byte, a number out of range, text too long — input no route check caught) is 400
/// `MELMASTOON.FILE.INVALID_REQUEST`; anything else becomes `MELMASTOON.FILE.INTERNAL` without leaking its text.
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any EnvelopedError {
            return try error.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            let message = (error as? HTTPError)?.body ?? error.status.reasonPhrase
            return ErrorEnvelope.response(FileError(FileErrorStatus.code(for: error.status), message), requestID: context.id, status: error.status)
        } catch let error as PSQLError where error.serverInfo?[.sqlState]?.hasPrefix("22") == true {
            context.logger.warning("request data refused by the database", metadata: [
                "sqlstate": "\(error.serverInfo?[.sqlState] ?? "")", "error": "\(error.serverInfo?[.message] ?? "")",
            ])
            return ErrorEnvelope.response(FileError(.invalidRequest, "a value in the request cannot be stored"), requestID: context.id)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return ErrorEnvelope.response(FileError(.internalError, "internal error"), requestID: context.id)
        }
    }
}
