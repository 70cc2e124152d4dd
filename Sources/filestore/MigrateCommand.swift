import ArgumentParser
import Foundation
import JobKit

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply JobKit's schema, then migrations/*.sql, in order.")
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

/// JobKit's own schema (``JobKitSchema``, versions from 1), then the product's `migrations/` folder.
func loadMigrations(_ directory: String?) throws -> [Migrator.Migration] {
    let env = ProcessInfo.processInfo.environment
    guard let dir = directory.map({ URL(fileURLWithPath: $0) }) ?? locateMigrationsDirectory(environment: env) else {
        throw CLIError("cannot find the migrations folder: run from the repository or set FILESTORE_MIGRATIONS_DIR")
    }
    do { return try Migrator.ordered(JobKitSchema.migrations + Migrator.load(directory: dir)) } catch let error as JobKitError {
        throw CLIError(error.description)
    }
}

/// Finds the `migrations` folder: `$FILESTORE_MIGRATIONS_DIR`, else `./migrations`, else next to the
/// repository the executable was built in.
func locateMigrationsDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
    if let explicit = environment["FILESTORE_MIGRATIONS_DIR"] { return URL(fileURLWithPath: explicit) }
    var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("migrations")]
    var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<5 {
        candidates.append(dir.appendingPathComponent("migrations"))
        dir = dir.deletingLastPathComponent()
    }
    return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
}
