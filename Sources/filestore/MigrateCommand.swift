import ArgumentParser
import FilestoreConfig
import Foundation
import JobKit

struct MigrateCommand: ConfiguredCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply JobKit's schema, then migrations/*.sql, in order.",
        discussion: """
            With --status, nothing is applied and the exit code is a deploy gate: 0 when the database is up to date, \
            \(MigrationStatus.pendingExitCode) when migrations are pending, \(MigrationStatus.aheadExitCode) when the database \
            has migrations this build does not know (it is ahead), \(MigrationStatus.unreachableExitCode) when the database \
            cannot be reached.
            """)
    @OptionGroup var db: DatabaseOptions
    @Option(help: "The migrations folder ($FILESTORE_MIGRATIONS_DIR, else ./migrations, else the build's repository).")
    var directory: String?
    @Flag(help: "Only print which migrations are pending; the exit code says whether any are (see above).") var status = false
    @Flag(help: "Print JSON for scripts.") var json = false

    var flags: [String: String] { db.flags.adding(directory.map { ["FILESTORE_MIGRATIONS_DIR": $0] } ?? [:]) }

    func run(configuration: FilestoreConfiguration) async throws {
        let migrations = try loadMigrations(configuration.database.migrationsDirectory)
        if status { return try await reportStatus(migrations, configuration.database) }
        let done = try await withJobClient(configuration.database, migrating: true) { client in
            try await Migrator(postgres: client.postgres, logger: makeLogger("filestore.migrate")).migrate(migrations)
        }
        if json { try printJSON(MigrateResult(applied: done)); return }
        print(done.isEmpty ? "database is up to date" : "applied \(done.count) migration(s): \(done.map(String.init).joined(separator: ", "))")
    }

    private func reportStatus(_ migrations: [Migrator.Migration], _ database: FilestoreConfiguration.Database) async throws {
        let applied: [Int: String]
        do {
            // One direct connection first: a pool would keep retrying an unreachable server.
            try await database.migration.connect(logger: makeLogger("filestore.migrate")).close()
            applied = try await withJobClient(database, migrating: true) { client in
                try await Migrator(postgres: client.postgres, logger: makeLogger("filestore.migrate")).appliedVersions()
            }
        } catch {
            let reason = (error as? CLIError)?.description ?? String(reflecting: error)
            FileHandle.standardError.write(Data("filestore: cannot read the migration status: \(reason)\n".utf8))
            throw ExitCode(MigrationStatus.unreachableExitCode)
        }
        let report = MigrationStatus(migrations: migrations, applied: applied)
        if json {
            try printJSON(report)
        } else {
            for line in report.migrations { print("\(line.name)\t\(line.state.rawValue)") }
            for version in report.unknownApplied { print("\(String(format: "%04d", version))\tapplied, unknown to this build") }
            print(report.summary)
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}

struct MigrateResult: Encodable {
    var applied: [Int]
}

/// Where the database stands against this build's migrations, and the deploy gate's exit code.
struct MigrationStatus: Encodable {
    static let pendingExitCode: Int32 = 3
    static let aheadExitCode: Int32 = 4
    static let unreachableExitCode: Int32 = 5

    enum State: String, Encodable { case applied, pending, changed }
    struct Line: Encodable {
        var version: Int
        var name: String
        var state: State
    }

    var migrations: [Line]
    /// Versions recorded as applied that this build has no file for: the database is ahead.
    var unknownApplied: [Int]

    init(migrations: [Migrator.Migration], applied: [Int: String]) {
        self.migrations = migrations.map { m in
            let state: State = applied[m.version].map { $0 == m.checksum ? .applied : .changed } ?? .pending
            return Line(version: m.version, name: "\(String(format: "%04d", m.version))_\(m.name)", state: state)
        }
        let known = Set(migrations.map(\.version))
        unknownApplied = applied.keys.filter { !known.contains($0) }.sorted()
    }

    var pending: [Line] { migrations.filter { $0.state == .pending } }

    var exitCode: Int32 {
        if !unknownApplied.isEmpty { return Self.aheadExitCode }
        return pending.isEmpty ? 0 : Self.pendingExitCode
    }

    var summary: String {
        if !unknownApplied.isEmpty {
            return "the database is ahead of this build: applied \(unknownApplied.map(String.init).joined(separator: ", ")) unknown here"
        }
        if pending.isEmpty { return "database is up to date" }
        return "\(pending.count) migration(s) pending: \(pending.map(\.name).joined(separator: ", "))"
    }

    enum CodingKeys: String, CodingKey { case migrations, unknownApplied, pending, upToDate }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(migrations, forKey: .migrations)
        try c.encode(unknownApplied, forKey: .unknownApplied)
        try c.encode(pending.map(\.name), forKey: .pending)
        try c.encode(exitCode == 0, forKey: .upToDate)
    }
}

/// The migrations of `directory`, else of ``locateMigrationsDirectory()``.
func loadMigrations(_ directory: String?) throws -> [Migrator.Migration] {
    guard let dir = directory.map({ URL(fileURLWithPath: $0) }) ?? locateMigrationsDirectory() else {
        throw CLIError("cannot find the migrations folder: run from the repository or set FILESTORE_MIGRATIONS_DIR")
    }
    do { return try Migrator.ordered(JobKitSchema.migrations + Migrator.load(directory: dir)) } catch let error as JobKitError {
        throw CLIError(error.description)
    }
}

/// `./migrations`, else a `migrations` folder beside the executable or up to five folders above it (the
/// repository the binary was built in).
func locateMigrationsDirectory() -> URL? {
    var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("migrations")]
    var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<5 {
        candidates.append(dir.appendingPathComponent("migrations"))
        dir = dir.deletingLastPathComponent()
    }
    return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
}
