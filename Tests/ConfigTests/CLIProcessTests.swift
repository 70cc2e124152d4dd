import Foundation
import JobKit
import PostgresNIO
import TestSupport
import Testing

/// The operator command line as a process: bad configuration stops it before it serves, `config` shows the
/// effective settings, `--json` is stable snake_case, and `migrate --status` is a deploy gate.
@Suite struct CLIProcessTests {
    static let keys = ["FILESTORE_JWT_KEYS": "k1=jwt-secret-0123456789abcdef0123456789",
                       "FILESTORE_URL_KEYS": "u1=url-secret-0123456789abcdef0123456789"]

    @Test func serveWithABadPortStopsBeforeItListens() async throws {
        var env = Self.keys
        env["FILESTORE_HTTP_PORT"] = "abc"
        // The database is unreachable too: the configuration is refused before anything connects.
        env["DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none"
        let r = try await FilestoreCLI.run(["serve"], env: env, timeout: .seconds(30))
        #expect(r.status == 64, "\(r.status) \(r.stderr)")
        #expect(r.stderr.contains("FILESTORE_HTTP_PORT") && r.stderr.contains("'abc'") && r.stderr.contains("1-65535"), "\(r.stderr)")
        for other in [["LOG_FORMAT": "xml"], ["FILESTORE_MAX_UPLOAD_BYTES": "5X"], ["FILESTORE_URL_KEYS_FILE": "/nonexistent/keys"]] {
            let r = try await FilestoreCLI.run(["serve"], env: Self.keys.merging(other) { $1 }, timeout: .seconds(30))
            #expect(r.status == 64 && r.stderr.contains(other.keys.first!), "\(other): \(r.stderr)")
        }
    }

    @Test func serveWithoutKeysStopsNamingThem() async throws {
        let r = try await FilestoreCLI.run(["serve"], env: ["DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"],
                                           timeout: .seconds(30))
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("FILESTORE_JWT_KEYS"), "\(r.stderr)")
    }

    @Test func configPrintsEverySettingWithItsSourceAndNoSecret() async throws {
        var env = Self.keys
        env["DATABASE_URL"] = "postgres://app:hunter2@db.internal:5432/files"
        env["FILESTORE_HTTP_HOST"] = "0.0.0.0"
        let r = try await FilestoreCLI.run(["config", "--json", "--api-port", "9001"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        for secret in ["jwt-secret", "url-secret", "hunter2"] { #expect(!r.stdout.contains(secret)) }
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let settings = object?["settings"] as? [[String: Any]] ?? []
        let byName = Dictionary(uniqueKeysWithValues: settings.map { ($0["variable"] as? String ?? "", $0) })
        #expect(byName["FILESTORE_HTTP_PORT"]?["source"] as? String == "flag")
        #expect(byName["FILESTORE_HTTP_PORT"]?["value"] as? String == "9001")
        #expect(byName["FILESTORE_HTTP_HOST"]?["source"] as? String == "env")
        #expect(byName["FILESTORE_BLOB_DIR"]?["source"] as? String == "default")
        #expect(byName["DATABASE_URL"]?["value"] as? String == "postgres://app:***@db.internal:5432/files")
        #expect(byName["FILESTORE_JWT_KEYS"]?["value"] as? String == "k1=<redacted>")
        #expect(settings.count >= 30)
        // Stable: keys in sorted order, snake_case, and the same bytes on a second run.
        #expect(r.stdout.hasPrefix(#"{"settings":[{"secret":"#), "\(r.stdout.prefix(80))")
        let again = try await FilestoreCLI.run(["config", "--json", "--api-port", "9001"], env: env)
        #expect(again.stdout == r.stdout)
        let text = try await FilestoreCLI.run(["config"], env: env)
        #expect(text.status == 0 && text.stdout.contains("FILESTORE_HTTP_PORT") && !text.stdout.contains("hunter2"))
    }

    @Test func jsonOutputIsSnakeCaseInAStableOrder() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let db = ["DATABASE_URL": FilestoreCLI.databaseURL(env.config)]
            var r = try await FilestoreCLI.run(["jobs", "enqueue", "noop", "--queue", "json", "--json"], env: db)
            #expect(r.status == 0, "\(r.stderr)")
            let id = try #require((try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["id"] as? Int)
            #expect(r.stdout == "{\"id\":\(id),\"inserted\":true}\n")
            r = try await FilestoreCLI.run(["jobs", "list", "--queue", "json", "--json"], env: db)
            #expect(r.stdout.contains("\"max_attempts\":") && r.stdout.contains("\"args_json\":") && !r.stdout.contains("maxAttempts"), "\(r.stdout)")
            let first = r.stdout
            #expect(try await FilestoreCLI.run(["jobs", "list", "--queue", "json", "--json"], env: db).stdout == first)
            r = try await FilestoreCLI.run(["jobs", "cancel", "\(id)", "--json"], env: db)
            #expect(r.stdout == "{\"action\":\"cancelled\",\"ids\":[\(id)]}\n", "\(r.stdout) \(r.stderr)")
            r = try await FilestoreCLI.run(["jobs", "retry", "\(id)", "--json"], env: db)
            #expect(r.stdout == "{\"action\":\"retried\",\"ids\":[\(id)]}\n", "\(r.stdout) \(r.stderr)")
            r = try await FilestoreCLI.run(["jobs", "discard", "\(id)", "--json"], env: db)
            #expect(r.stdout == "{\"action\":\"discarded\",\"ids\":[\(id)]}\n", "\(r.stdout) \(r.stderr)")
            r = try await FilestoreCLI.run(["dlq", "replay", "--queue", "json", "--json"], env: db)
            #expect(r.stdout == "{\"dry_run\":false,\"ids\":[\(id)]}\n", "\(r.stdout) \(r.stderr)")
            r = try await FilestoreCLI.run(["queues", "pause", "json", "--json"], env: db)
            #expect(r.stdout == "{\"paused\":true,\"queue\":\"json\"}\n", "\(r.stdout) \(r.stderr)")
            r = try await FilestoreCLI.run(["queues", "resume", "json", "--json"], env: db)
            #expect(r.stdout == "{\"paused\":false,\"queue\":\"json\"}\n")
            r = try await FilestoreCLI.run(["queues", "limit", "json", "5", "--json"], env: db)
            #expect(r.stdout == "{\"global_limit\":5,\"queue\":\"json\"}\n", "\(r.stdout) \(r.stderr)")
            r = try await FilestoreCLI.run(["queues", "limit", "json", "none", "--json"], env: db)
            #expect(r.stdout == "{\"global_limit\":null,\"queue\":\"json\"}\n")
            r = try await FilestoreCLI.run(["queues", "list", "--json"], env: db)
            #expect(r.stdout.contains("\"global_limit\"") || r.stdout.contains("\"paused\""), "\(r.stdout)")
            #expect(!r.stdout.contains("globalLimit") && !r.stdout.contains("oldestAvailable"), "\(r.stdout)")
        }
    }

    @Test func migrateStatusIsADeployGate() async throws {
        let migrations = TestDatabase.migrationsDirectory.path
        // Up to date: exit 0.
        try await TestDatabase.with { (env: TestEnv) async throws in
            let db = ["DATABASE_URL": FilestoreCLI.databaseURL(env.config)]
            var r = try await FilestoreCLI.run(["migrate", "--status", "--directory", migrations], env: db)
            #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
            #expect(r.stdout.contains("database is up to date"))
            // Ahead: a version this build does not know is recorded.
            try await env.postgres.query("INSERT INTO public.schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')",
                                         logger: TestDatabase.logger)
            r = try await FilestoreCLI.run(["migrate", "--status", "--directory", migrations], env: db)
            #expect(r.status == 4, "\(r.stdout) \(r.stderr)")
            #expect(r.stdout.contains("ahead"))
        }
        // Pending: an empty database; the pending migrations are named.
        let name = "filestore_status_\(UInt32.random(in: 0...UInt32.max))"
        try await TestDatabase.admin("CREATE DATABASE \"\(name)\"")
        defer { Task { try? await TestDatabase.admin("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)") } }
        let empty = ["DATABASE_URL": FilestoreCLI.databaseURL(TestDatabase.server.with(database: name))]
        var r = try await FilestoreCLI.run(["migrate", "--status", "--directory", migrations], env: empty)
        #expect(r.status == 3, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("\tpending") && r.stdout.contains("migration(s) pending:"), "\(r.stdout)")
        r = try await FilestoreCLI.run(["migrate", "--status", "--json", "--directory", migrations], env: empty)
        #expect(r.status == 3 && r.stdout.contains("\"up_to_date\":false") && r.stdout.contains("\"unknown_applied\":[]"), "\(r.stdout)")
        // Unreachable: its own code.
        r = try await FilestoreCLI.run(["migrate", "--status", "--directory", migrations], env: ["DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"])
        #expect(r.status == 5, "\(r.stdout) \(r.stderr)")
    }
}
