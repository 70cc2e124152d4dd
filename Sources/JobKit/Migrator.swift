import Foundation
import Logging
import PostgresNIO

/// Applies migrations in order, each in its own transaction, and records them in `public.schema_migrations`.
/// Concurrent migrators serialize on an advisory lock. Migrations come from JobKit itself
/// (``JobKitSchema/migrations``) and from an application's `NNNN_name.sql` files (``load(directory:)``).
public struct Migrator: Sendable {
    /// One migration.
    public struct Migration: Sendable, Hashable {
        public var version: Int
        public var name: String
        public var sql: String
        /// FNV-1a of the SQL text, to notice an applied migration that was edited afterwards.
        public var checksum: String

        public init(version: Int, name: String, sql: String) {
            self.version = version
            self.name = name
            self.sql = sql
            self.checksum = Migrator.fnv1a(sql)
        }

        /// A migration whose text changed only where it cannot matter (a comment) after databases recorded it:
        /// it keeps the checksum they recorded, `recordedChecksum`, so they are not told it was edited.
        public init(version: Int, name: String, sql: String, recordedChecksum: String) {
            self.version = version
            self.name = name
            self.sql = sql
            self.checksum = recordedChecksum
        }
    }

    public let postgres: PostgresClient
    let logger: Logger

    public init(postgres: PostgresClient, logger: Logger = Logger(label: "jobkit.migrate")) {
        self.postgres = postgres
        self.logger = logger
    }

    /// Reads the `NNNN_name.sql` migrations of `directory`, sorted by version. Fails on a malformed name or a
    /// repeated version.
    public static func load(directory: URL) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        var result: [Migration] = []
        for file in files {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw JobKitError(.migrationFailed, "migration file '\(file)' is not named NNNN_name.sql")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            result.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        return try ordered(result)
    }

    /// `migrations` sorted by version (e.g. JobKit's and an application's together). Fails on a repeated version.
    public static func ordered(_ migrations: [Migration]) throws -> [Migration] {
        let result = migrations.sorted { $0.version < $1.version }
        for (a, b) in zip(result, result.dropFirst()) where a.version == b.version {
            throw JobKitError(.migrationFailed, "two migrations have version \(a.version) (\(a.name), \(b.name))")
        }
        return result
    }

    /// The versions recorded as applied.
    public func appliedVersions() async throws -> [Int: String] {
        try await ensureTable()
        var applied: [Int: String] = [:]
        let rows = try await postgres.query("SELECT version, checksum FROM public.schema_migrations", logger: logger)
        for try await (v, c) in rows.decode((Int32, String).self) { applied[Int(v)] = c }
        return applied
    }

    private func ensureTable() async throws {
        try await postgres.query("""
            CREATE TABLE IF NOT EXISTS public.schema_migrations (
              version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
              applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
    }

    /// Applies every migration not yet recorded. Returns the versions applied now.
    @discardableResult
    public func migrate(_ migrations: [Migration]) async throws -> [Int] {
        try await ensureTable()
        return try await postgres.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(7470061)", logger: logger)
            do {
                var applied: [Int: String] = [:]
                let rows = try await connection.query("SELECT version, checksum FROM public.schema_migrations", logger: logger)
                for try await (v, c) in rows.decode((Int32, String).self) { applied[Int(v)] = c }
                var done: [Int] = []
                for m in migrations {
                    if let checksum = applied[m.version] {
                        if checksum != m.checksum {
                            logger.warning("applied migration was edited afterwards", metadata: ["version": "\(m.version)", "name": "\(m.name)"])
                        }
                        continue
                    }
                    do {
                        try await connection.withTransaction(logger: logger) { tx in
                            for statement in SQLSplitter.split(m.sql) {
                                try await tx.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                            }
                            try await tx.query("""
                                INSERT INTO public.schema_migrations (version, name, checksum) VALUES (\(m.version), \(m.name), \(m.checksum))
                                """, logger: logger)
                        }
                    } catch {
                        throw JobKitError(.migrationFailed, "migration \(m.version)_\(m.name) failed and was rolled back: \(String(reflecting: error))")
                    }
                    logger.info("applied migration", metadata: ["version": "\(m.version)", "name": "\(m.name)"])
                    done.append(m.version)
                }
                try await connection.query("SELECT pg_advisory_unlock(7470061)", logger: logger)
                return done
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(7470061)", logger: logger)
                throw error
            }
        }
    }

    /// What a ``JobKitError/Code/databaseBehind`` error tells the operator to do, unless the caller says better.
    public static let defaultHint = "apply the migrations"

    /// Throws ``JobKitError/Code/databaseBehind`` unless every version up to `required` is applied; its message
    /// ends with `hint` (e.g. the command that migrates). Read-only, so a role that may not create tables can
    /// run it (`/readyz`).
    public func requireVersion(_ required: Int, hint: String = Migrator.defaultHint) async throws {
        let current = try await postgres.withConnection { try await Self.schemaVersion(on: $0, logger: logger) }
        try Self.check(current: current, required: required, hint: hint)
    }

    /// ``requireVersion(_:hint:)`` for the database behind `configuration`, on one short-lived connection, so
    /// that it can run before a pool starts.
    public static func requireVersion(_ required: Int, configuration: DatabaseConfiguration, hint: String = Migrator.defaultHint,
                                      logger: Logger) async throws {
        let connection = try await configuration.connect(logger: logger)
        let current: Int
        do {
            current = try await schemaVersion(on: connection, logger: logger)
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
        try check(current: current, required: required, hint: hint)
    }

    private static func check(current: Int, required: Int, hint: String) throws {
        guard current >= required else {
            throw JobKitError(.databaseBehind, "the database schema is at version \(current) but this build needs \(required): \(hint)")
        }
    }

    /// The highest applied migration version (0 on an empty database). Read-only. Two statements: one that
    /// named a missing table would fail at parse time, whatever its CASE says.
    static func schemaVersion(on connection: PostgresConnection, logger: Logger) async throws -> Int {
        var hasTable = false
        for try await b in try await connection.query("SELECT to_regclass('public.schema_migrations') IS NOT NULL",
                                                      logger: logger).decode(Bool.self) { hasTable = b }
        guard hasTable else { return 0 }
        var current = 0
        for try await v in try await connection.query("SELECT coalesce(max(version), 0) FROM public.schema_migrations",
                                                      logger: logger).decode(Int32.self) { current = Int(v) }
        return current
    }

    static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }
}
