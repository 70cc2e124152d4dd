import TestSupport
import Foundation
@testable import JobKit
import Testing

@Suite struct JobKitSchemaTests {
    /// Databases migrated before the schema moved into JobKit recorded version 1 as `0001_jobkit.sql` with this
    /// checksum (FNV-1a of the file's 4291 bytes, computed once from the file): version 1 keeps it. Only the header
    /// comment changed since (it named the application): the statements are the file's.
    @Test func version1KeepsTheVersionNameAndChecksumOfTheFileItReplaced() throws {
        let first = try #require(JobKitSchema.migrations.first)
        #expect(first.version == 1)
        #expect(first.name == "jobkit")
        #expect(first.checksum == "ca42eb124e6592ce")
        let oldComment = "-- Every asynchronous piece of work in filestore is a row here."
        let newComment = "-- Every asynchronous piece of work of the application is a row here."
        let original = first.sql.replacingOccurrences(of: newComment, with: oldComment)
        #expect(original.utf8.count == 4291)
        #expect(Migrator.fnv1a(original) == "ca42eb124e6592ce")
        #expect(!first.sql.lowercased().contains("filestore"))
    }

    @Test func theApplicationsMigrationsStartAfterJobKitsAndVersionsCannotRepeat() throws {
        let folder = try Migrator.load(directory: TestDatabase.migrationsDirectory)
        #expect(folder.first?.version == JobKitSchema.lastVersion + 1)
        #expect(!folder.contains { $0.name == "jobkit" })
        #expect(throws: JobKitError.self) { try Migrator.ordered(JobKitSchema.migrations + JobKitSchema.migrations) }
        let all = try TestDatabase.migrations()
        #expect(all.map(\.version) == Array(1...all.count))
    }

    /// A fresh database gets JobKit's schema from the library, and is then up to date for JobKit's version.
    @Test func theEmbeddedSchemaMigratesAnEmptyDatabase() async throws {
        let name = "jobkit_schema_\(UInt32.random(in: 0...UInt32.max))"
        try await TestDatabase.admin("CREATE DATABASE \"\(name)\"")
        do {
            try await TestDatabase.withClient(TestDatabase.server.with(database: name)) { postgres in
                let migrator = Migrator(postgres: postgres, logger: TestDatabase.logger)
                await #expect(throws: JobKitError.self) { try await migrator.requireVersion(JobKitSchema.lastVersion) }
                #expect(try await migrator.migrate(JobKitSchema.migrations) == [1])
                try await migrator.requireVersion(JobKitSchema.lastVersion)
                #expect(try await migrator.appliedVersions() == [1: "ca42eb124e6592ce"])
                _ = try await JobClient(postgres: postgres, logger: TestDatabase.logger).enqueue(Plain(n: 1))
            }
        } catch {
            try? await TestDatabase.admin("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)")
            throw error
        }
        try? await TestDatabase.admin("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)")
    }

    @Test func aBehindDatabaseIsToldWhatTheCallerSays() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let migrator = Migrator(postgres: env.postgres, logger: TestDatabase.logger)
            let plain = await #expect(throws: JobKitError.self) { try await migrator.requireVersion(999) }
            #expect(plain?.code == .databaseBehind)
            #expect(plain?.message.hasSuffix(Migrator.defaultHint) == true)
            let hinted = await #expect(throws: JobKitError.self) {
                try await Migrator.requireVersion(999, configuration: env.config, hint: "run `x migrate`", logger: TestDatabase.logger)
            }
            #expect(hinted?.message.hasSuffix("run `x migrate`") == true)
        }
    }
}
