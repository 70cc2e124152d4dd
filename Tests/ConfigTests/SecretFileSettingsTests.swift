import FilestoreConfig
import Foundation
import Testing

/// Database URLs carry passwords, so each may come from a file (`DATABASE_URL_FILE`, …) — a Kubernetes or
/// systemd secret mounted read-only — instead of the environment.
@Suite struct SecretFileSettingsTests {
    let config = ConfigurationTests()

    func file(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID())")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func everyDatabaseURLIsReadFromItsFileWithThePasswordNeverShown() throws {
        let service = try file("postgres://app:pw-service@db:5432/files?pool_max=7\n")
        let owner = try file("  postgres://owner:pw-owner@db/files  \n")
        let system = try file("postgres://filestore_system:pw-system@db/files")
        defer { for f in [service, owner, system] { try? FileManager.default.removeItem(at: f) } }
        let c = try config.load(["DATABASE_URL_FILE": service.path, "MIGRATE_DATABASE_URL_FILE": owner.path,
                                 "SYSTEM_DATABASE_URL_FILE": system.path])
        #expect(c.database.service.password == "pw-service" && c.database.service.host == "db")
        #expect(c.database.migration.username == "owner" && c.database.migration.password == "pw-owner")
        #expect(c.database.system.username == "filestore_system" && c.database.system.password == "pw-system")
        let shown = c.entries.map { "\($0.variable)=\($0.value ?? "")" }.joined(separator: "\n")
        for secret in ["pw-service", "pw-owner", "pw-system"] { #expect(!shown.contains(secret), "\(shown)") }
        #expect(shown.contains("DATABASE_URL=postgres://app:***@db:5432/files"), "\(shown)")
        #expect(shown.contains("DATABASE_URL_FILE=\(service.path)"), "\(shown)")
    }

    @Test func aMissingEmptyOrBadFileIsAnErrorNamingItWithoutTheSecret() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID())").path
        var error = try config.failure(["DATABASE_URL_FILE": missing])
        #expect(error.kind == .unreadableFile && error.variable == "DATABASE_URL_FILE" && error.message.contains(missing), "\(error)")
        let empty = try file("\n")
        let bad = try file("mysql://root:pw-bad@db/files")
        defer { try? FileManager.default.removeItem(at: empty); try? FileManager.default.removeItem(at: bad) }
        error = try config.failure(["SYSTEM_DATABASE_URL_FILE": empty.path])
        #expect(error.variable == "SYSTEM_DATABASE_URL_FILE" && error.message.contains("empty"), "\(error)")
        error = try config.failure(["MIGRATE_DATABASE_URL_FILE": bad.path])
        #expect(error.variable == "MIGRATE_DATABASE_URL_FILE" && !error.message.contains("pw-bad"), "\(error)")
    }

    @Test func theVariableAndItsFileTogetherAreRefusedButAFlagWins() throws {
        let service = try file("postgres://app:pw@db/files")
        defer { try? FileManager.default.removeItem(at: service) }
        let error = try config.failure(["DATABASE_URL": "postgres://other@db/files", "DATABASE_URL_FILE": service.path])
        #expect(error.variable == "DATABASE_URL" && error.message.contains("DATABASE_URL_FILE"), "\(error)")
        let c = try config.load(["DATABASE_URL_FILE": service.path], flags: ["DATABASE_URL": "postgres://flag@db2/files"])
        #expect(c.database.service.username == "flag" && c.database.service.host == "db2")
    }
}
