import ArgumentParser
import FilestoreConfig
import Foundation
import Storage

/// The one `filestore` binary: every process and operator command is a subcommand.
@main
struct Filestore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filestore",
        abstract: "Multi-tenant file storage whose asynchronous work runs as rows of a PostgreSQL job table.",
        subcommands: [
            DevCommand.self, ServeCommand.self, WorkCommand.self, MigrateCommand.self, ConfigCommand.self, TokenCommand.self,
            FilesCommand.self, JobsCommand.self, DLQCommand.self, QueuesCommand.self,
            ScheduleCommand.self, SchedulesCommand.self,
            EventsCommand.self, WebhooksCommand.self, BlobsCommand.self, AuditCommand.self, ErasureCommand.self, TenantsCommand.self, ReadinessCommand.self,
        ]
    )

    /// Parses the command line, reads the configuration once (a bad value stops here: the message on stderr,
    /// exit 64), installs the log handler it names (JSON lines by default), then runs the command.
    static func main() async {
        MemoryTuning.apply()
        do {
            var command = try parseAsRoot()
            if let configured = command as? any ConfiguredCommand {
                let configuration = try FilestoreConfiguration.fromProcessEnvironment(flags: configured.flags)
                bootstrapLogging(configuration.logging)
                try await configured.run(configuration: configuration)
            } else {
                bootstrapLogging(try FilestoreConfiguration.loggingFromProcessEnvironment())
                if var asyncCommand = command as? any AsyncParsableCommand {
                    try await asyncCommand.run()
                } else {
                    try command.run()
                }
            }
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("filestore: \(error)\n".utf8))
            exit(withError: ExitCode.validationFailure)
        } catch {
            exit(withError: error)
        }
    }
}

/// The schema version this build needs; JobKit's schema (``JobKitSchema``) and `migrations/` hold versions up to it
/// (a test checks they agree).
enum FilestoreSchema {
    static let requiredVersion = 16
    /// What a database that is behind is told to do.
    static let migrateHint = "run `filestore migrate`"
}
