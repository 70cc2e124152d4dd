import ArgumentParser
import JobKit
import PostgresNIO

/// The one `filestore` binary: every process and operator command is a subcommand.
@main
struct Filestore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filestore",
        abstract: "Multi-tenant file storage whose asynchronous work runs as rows of a PostgreSQL job table.",
        subcommands: [
            DevCommand.self, ServeCommand.self, WorkCommand.self, MigrateCommand.self, TokenCommand.self, FilesCommand.self,
            JobsCommand.self, DLQCommand.self, QueuesCommand.self,
        ]
    )

    /// Installs the log handler (JSON lines by default), then parses and runs the command.
    static func main() async {
        bootstrapLogging()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Runs a long-running process and turns its failure into one clear line for the operator.
func runReportingErrors(_ body: () async throws -> Void) async throws {
    do { try await body() } catch let error as JobKitError {
        throw CLIError(error.description)
    } catch let error as PSQLError {
        throw CLIError("database error: \(String(reflecting: error))")
    }
}

/// The schema version this build needs; `migrations/` holds files up to it (a test checks they agree).
enum FilestoreSchema {
    static let requiredVersion = 7
}
