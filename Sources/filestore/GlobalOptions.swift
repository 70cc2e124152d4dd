import ArgumentParser
import FilestoreConfig
import Foundation
import JobKit
import Logging
import PostgresNIO

/// Options every command that reaches the database takes.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: "PostgreSQL URL (default: $DATABASE_URL, else \(FilestoreConfiguration.Database.defaultURL)); also used to migrate.")
    var databaseURL: String?

    /// `--database-url` overrides both the service's and the migration connection.
    var flags: [String: String] {
        databaseURL.map { ["DATABASE_URL": $0, "MIGRATE_DATABASE_URL": $0] } ?? [:]
    }

    /// For commands that do not take the configuration yet: reads it (with this flag) and runs `body` with a
    /// client, as ``withJobClient(_:migrating:_:)``.
    func withClient<T: Sendable>(migrating: Bool = false, _ body: @Sendable (JobClient) async throws -> T) async throws -> T {
        try await withJobClient(FilestoreConfiguration.fromProcessEnvironment(flags: flags).database, migrating: migrating, body)
    }
}

/// Runs `body` with a running pool (on the migration connection when `migrating`), then shuts it down; the
/// queue's and the database's errors become one line for the operator.
func withJobClient<T: Sendable>(_ database: FilestoreConfiguration.Database, migrating: Bool = false,
                                _ body: @Sendable (JobClient) async throws -> T) async throws -> T {
    let config = migrating ? database.migration : database.service
    // A one-shot command: the pool's background chatter (e.g. a lease requested a moment before run()
    // starts) is noise here; errors still reach the operator through the thrown error.
    var background = makeLogger("filestore.postgres")
    background.logLevel = .error
    let postgres = PostgresClient(configuration: config.clientConfiguration, backgroundLogger: background)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await postgres.run() }
        defer { group.cancelAll() }
        return try await reportingErrors { try await body(JobClient(postgres: postgres, logger: makeLogger("filestore.cli"))) }
    }
}

/// A logger; its level is the configuration's `LOG_LEVEL`, set on the handler when logging was bootstrapped.
func makeLogger(_ label: String) -> Logger {
    Logger(label: label)
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
