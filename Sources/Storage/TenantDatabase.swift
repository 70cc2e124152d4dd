import Domain
import Foundation
import Logging
import PostgresNIO

/// The database as one tenant sees it: every transaction first sets `app.tenant_id`, which the
/// row-level-security policies of every tenant table read. Connect it as the service's role
/// (`filestore_app`), which cannot bypass those policies.
public struct TenantDatabase: Sendable {
    public let postgres: PostgresClient
    public let logger: Logger

    public init(postgres: PostgresClient, logger: Logger) {
        self.postgres = postgres
        self.logger = logger
    }

    /// Runs `body` in a transaction scoped to `tenant`. Errors thrown by `body` reach the caller unwrapped.
    public func transaction<T: Sendable>(_ tenant: TenantID, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await postgres.withTransaction(logger: logger) { tx in
                try await tx.query("SELECT set_config('app.tenant_id', \(tenant.value), true)", logger: logger)
                return try await body(tx)
            }
        } catch let error as PostgresTransactionError {
            if let inner = error.closureError { throw Self.guardRefusal(inner) ?? inner }
            throw error
        } catch {
            throw Self.guardRefusal(error) ?? error
        }
    }

    /// The compliance guards of migration 0013 refuse with their own SQLSTATEs: `FSR01` (retention), `FSH01`
    /// (legal hold), `FSA01` (the audit log); as domain errors they reach clients as 409s with their message.
    static func guardRefusal(_ error: any Error) -> FileError? {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return nil }
        let message = error.serverInfo?[.message] ?? "refused by a compliance guard"
        switch state {
        case "FSR01": return FileError(.retained, message)
        case "FSH01": return FileError(.legalHold, message)
        case "FSA01": return FileError(.illegalTransition, message)
        default: return nil
        }
    }
}
