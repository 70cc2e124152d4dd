import ArgumentParser
import Foundation
import JobKit
import Logging
import PostgresNIO

/// Options every command that reaches the database takes.
struct DatabaseOptions: ParsableArguments {
    /// The URL used when `DATABASE_URL` is unset: the cluster that `scripts/pg.sh` starts.
    static let defaultURL = "postgres://filestore@127.0.0.1:5544/filestore"

    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (default: $DATABASE_URL, else \(DatabaseOptions.defaultURL)).")
    var databaseURL: String?

    func configuration() throws -> DatabaseConfiguration {
        let url = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? Self.defaultURL
        do { return try DatabaseConfiguration(url: url) } catch let error as JobKitError {
            throw ValidationError(error.message)
        }
    }

    /// The connection that applies migrations: the schema owner (`MIGRATE_DATABASE_URL`), which may differ
    /// from the service's own role (`DATABASE_URL`, `filestore_app` in production). Defaults to the latter.
    func migrationConfiguration() throws -> DatabaseConfiguration {
        guard databaseURL == nil, let url = ProcessInfo.processInfo.environment["MIGRATE_DATABASE_URL"] else { return try configuration() }
        do { return try DatabaseConfiguration(url: url) } catch let error as JobKitError {
            throw ValidationError("MIGRATE_DATABASE_URL: \(error.message)")
        }
    }

    /// Runs `body` with a running pool (on the migration connection when `migrating`), then shuts it down.
    func withClient<T: Sendable>(migrating: Bool = false, _ body: @Sendable (JobClient) async throws -> T) async throws -> T {
        let config = migrating ? try migrationConfiguration() : try configuration()
        // A one-shot command: the pool's background chatter (e.g. a lease requested a moment before run()
        // starts) is noise here; errors still reach the operator through the thrown error.
        var background = makeLogger("filestore.postgres")
        background.logLevel = .error
        let postgres = PostgresClient(configuration: config.clientConfiguration, backgroundLogger: background)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await postgres.run() }
            defer { group.cancelAll() }
            do {
                return try await body(JobClient(postgres: postgres, logger: makeLogger("filestore.cli")))
            } catch let error as JobKitError {
                throw CLIError(error.description)
            } catch let error as PSQLError {
                throw CLIError("database error: \(String(reflecting: error))")
            }
        }
    }
}

/// A failure reported to the operator as one line on stderr and exit code 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A logger whose level comes from `LOG_LEVEL` (default `info`).
func makeLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    return logger
}

/// Parses `2026-11-27T10:00:00Z`, or a relative `30m`, `2h`, `7d` ago.
func parseSince(_ text: String) throws -> Date {
    if let date = ISO8601DateFormatter().date(from: text) { return date }
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
    if let unit = text.last, let factor = units[unit], let n = Double(text.dropLast()), n >= 0 {
        return Date().addingTimeInterval(-n * factor)
    }
    throw ValidationError("--since takes an ISO-8601 time (2026-11-27T10:00:00Z) or an age such as 30m, 2h, 7d; got '\(text)'")
}

/// Parses job ids given on the command line.
func parseIDs(_ texts: [String]) throws -> [Int64] {
    try texts.map { text in
        guard let id = Int64(text), id > 0 else { throw ValidationError("'\(text)' is not a job id (a positive integer)") }
        return id
    }
}
