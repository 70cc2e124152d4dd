import ArgumentParser
import FilestoreConfig
import JobKit
import Jobs

struct DevCommand: ConfiguredCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Migrate, then run the file API and the workers (with maintenance) in one process.")
    @OptionGroup var db: DatabaseOptions
    @OptionGroup var options: WorkOptions
    @OptionGroup var serve: ServeOptions

    /// `--blob-dir` wins over `--worker-blob-dir`: one process, one store.
    var flags: [String: String] { db.flags.adding(options.flags).adding(serve.flags) }

    func run(configuration: FilestoreConfiguration) async throws {
        // Keys first: a missing one stops dev before it migrates anything.
        _ = try configuration.keys.requireJWT()
        _ = try configuration.keys.requireURL()
        let migrations = try loadMigrations(configuration.database.migrationsDirectory)
        try await withJobClient(configuration.database, migrating: true) { client in
            let done = try await Migrator(postgres: client.postgres, logger: makeLogger("filestore.migrate")).migrate(migrations)
            if !done.isEmpty { print("applied migrations \(done)") }
        }
        var process = FilestoreProcess(configuration: configuration, runsWorkers: true, servesAPI: true, registry: JobRegistry.filestore(),
                                       metrics: bootstrapMetrics())
        process.runsScheduler = true
        let http = configuration.http
        print("filestore dev: file API on http://\(http.host):\(http.port)/v1/files (health: /healthz); workers on \(configuration.worker.queues.map(\.name).joined(separator: ","))")
        try await reportingErrors { try await process.run() }
    }
}
