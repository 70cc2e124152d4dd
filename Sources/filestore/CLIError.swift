import JobKit
import PostgresNIO

/// A failure reported to the operator as one line on stderr and exit code 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` and turns the queue's and the database's errors into one clear line for the operator — the one
/// mapping of errors to the command line, used by the long-running processes and the one-shot commands alike.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let error as JobKitError {
        throw CLIError(error.description)
    } catch let error as PSQLError {
        throw CLIError("database error: \(String(reflecting: error))")
    }
}
