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
            if let inner = error.closureError { throw inner }
            throw error
        }
    }
}
