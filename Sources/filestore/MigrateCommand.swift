import ArgumentParser
import Foundation
import JobKit

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply migrations/*.sql in order.")
    @OptionGroup var db: DatabaseOptions
    @Option(help: "The migrations folder (default: $FILESTORE_MIGRATIONS_DIR, ./migrations, or the build's repository).")
    var directory: String?
    @Flag(help: "Only print which migrations are pending.") var status = false

    func run() async throws {
        let migrations = try loadMigrations(directory)
        try await db.withClient(migrating: true) { client in
            let migrator = Migrator(postgres: client.postgres, logger: makeLogger("filestore.migrate"))
            if status {
                let applied = try await migrator.appliedVersions()
                for m in migrations { print("\(String(format: "%04d", m.version))_\(m.name)\t\(applied[m.version] == nil ? "pending" : "applied")") }
                return
            }
            let done = try await migrator.migrate(migrations)
            print(done.isEmpty ? "database is up to date" : "applied \(done.count) migration(s): \(done.map(String.init).joined(separator: ", "))")
        }
    }
}

func loadMigrations(_ directory: String?) throws -> [Migrator.Migration] {
    let env = ProcessInfo.processInfo.environment
    guard let dir = directory.map({ URL(fileURLWithPath: $0) }) ?? Migrator.locateDirectory(environment: env) else {
        throw CLIError("cannot find the migrations folder: run from the repository or set FILESTORE_MIGRATIONS_DIR")
    }
    do { return try Migrator.load(directory: dir) } catch let error as JobKitError { throw CLIError(error.description) }
}
