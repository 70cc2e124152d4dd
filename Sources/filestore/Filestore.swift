import ArgumentParser

/// The one `filestore` binary: every process and operator command is a subcommand.
@main
struct Filestore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filestore",
        abstract: "Multi-tenant file storage whose asynchronous work runs as rows of a PostgreSQL job table.",
        subcommands: [
            DevCommand.self, WorkCommand.self, MigrateCommand.self,
            JobsCommand.self, DLQCommand.self, QueuesCommand.self, BenchCommand.self,
        ]
    )
}

/// The schema version this build needs; `migrations/` holds files up to it (a test checks they agree).
enum FilestoreSchema {
    static let requiredVersion = 2
}
