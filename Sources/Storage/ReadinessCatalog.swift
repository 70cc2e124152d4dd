import Foundation
import Logging
import PostgresNIO

/// The catalog questions of the readiness checks (Sources/Readiness): asked of `pg_catalog` and the product's own
/// tables, so that what is checked is what the database holds, never a list kept beside it. Read-only; the
/// service role (`filestore_app`) may ask all of them.
public struct ReadinessCatalog: Sendable {
    public let postgres: PostgresClient
    public let logger: Logger

    public init(postgres: PostgresClient, logger: Logger) {
        self.postgres = postgres
        self.logger = logger
    }

    /// Schemas that are PostgreSQL's own, never the product's.
    static let systemSchemas = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_%'"

    /// A table with a tenant column: one named `tenant_id`, or a foreign key to `public.tenants`, or the tenants
    /// table itself.
    public struct TenantTable: Sendable, Hashable {
        public var name: String
        public var rlsEnabled: Bool
        public var rlsForced: Bool
        public var policies: Int
        /// Why it counts as a tenant table (`tenant_id column`, `foreign key to public.tenants`, `the tenants table`).
        public var because: String
    }

    /// The SQL of ``tenantTables()``, shown in the evidence.
    public static let tenantTablesSQL = """
        SELECT n.nspname || '.' || c.relname, c.relrowsecurity, c.relforcerowsecurity,
               (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)::int8,
               EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND a.attnum > 0 AND NOT a.attisdropped),
               EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'f' AND k.confrelid = to_regclass('public.tenants')),
               c.oid = to_regclass('public.tenants')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND \(systemSchemas)
        ORDER BY 1
        """

    /// Every table with a tenant column, with its row-level-security flags.
    public func tenantTables() async throws -> [TenantTable] {
        let rows = try await postgres.query(PostgresQuery(unsafeSQL: Self.tenantTablesSQL), logger: logger)
        var out: [TenantTable] = []
        for try await (name, enabled, forced, policies, column, foreign, isTenants) in rows.decode((String, Bool, Bool, Int64, Bool, Bool, Bool).self) {
            let because = isTenants ? "the tenants table" : column ? "tenant_id column" : foreign ? "foreign key to public.tenants" : nil
            guard let because else { continue }
            out.append(TenantTable(name: name, rlsEnabled: enabled, rlsForced: forced, policies: Int(policies), because: because))
        }
        return out
    }

    /// An `id` column and the CHECK constraints on it.
    public struct IDColumn: Sendable, Hashable {
        public var table: String
        public var type: String
        /// `pg_get_constraintdef` of each CHECK constraint that names the column.
        public var checks: [String]
    }

    /// The SQL of ``idColumns()``, shown in the evidence.
    public static let idColumnsSQL = """
        SELECT n.nspname || '.' || c.relname, format_type(a.atttypid, a.atttypmod),
               coalesce((SELECT array_agg(pg_get_constraintdef(k.oid) ORDER BY k.conname) FROM pg_constraint k
                         WHERE k.conrelid = c.oid AND k.contype = 'c' AND a.attnum = ANY (k.conkey)), '{}')
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE a.attname = 'id' AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND \(systemSchemas)
        ORDER BY 1
        """

    /// Every column named `id` of every product table.
    public func idColumns() async throws -> [IDColumn] {
        let rows = try await postgres.query(PostgresQuery(unsafeSQL: Self.idColumnsSQL), logger: logger)
        var out: [IDColumn] = []
        for try await (table, type, checks) in rows.decode((String, String, [String]).self) {
            out.append(IDColumn(table: table, type: type, checks: checks))
        }
        return out
    }

    /// The exemptions of `check` (`rls`, `id_prefix`): relation → reason (migration 0016).
    public func exemptions(_ check: String) async throws -> [String: String] {
        let rows = try await postgres.query("SELECT relation, reason FROM readiness.exemptions WHERE check_name = \(check)", logger: logger)
        var out: [String: String] = [:]
        for try await (relation, reason) in rows.decode((String, String).self) { out[relation] = reason }
        return out
    }

    /// The applied migrations: version → checksum.
    public func appliedMigrations() async throws -> [Int: String] {
        let rows = try await postgres.query("SELECT version, checksum FROM public.schema_migrations", logger: logger)
        var out: [Int: String] = [:]
        for try await (version, checksum) in rows.decode((Int32, String).self) { out[Int(version)] = checksum }
        return out
    }

    /// The plan of `sql` as `EXPLAIN (FORMAT JSON)` gives it, in a transaction of `tenant` (RLS applies as for the
    /// service) with sequential scans discouraged (`enable_seqscan = off`), so the plan shows whether an index
    /// can serve the query at all, whatever the tables hold today (an empty table is read sequentially anyway).
    public func explain(_ sql: String, tenant: String) async throws -> String {
        try await postgres.withTransaction(logger: logger) { tx in
            try await tx.query("SELECT set_config('app.tenant_id', \(tenant), true)", logger: logger)
            try await tx.query("SET LOCAL enable_seqscan = off", logger: logger)
            let rows = try await tx.query(PostgresQuery(unsafeSQL: "EXPLAIN (FORMAT JSON) " + sql), logger: logger)
            var out = ""
            for try await text in rows.decode(String.self) { out += text }
            return out
        }
    }

    /// Settings by name (`pg_settings`), e.g. `archive_mode`.
    public func settings(_ names: [String]) async throws -> [String: String] {
        let rows = try await postgres.query("SELECT name, setting FROM pg_settings WHERE name = ANY (\(names))", logger: logger)
        var out: [String: String] = [:]
        for try await (name, value) in rows.decode((String, String).self) { out[name] = value }
        return out
    }

    /// WAL archiving as `pg_stat_archiver` reports it.
    public struct Archiver: Sendable, Hashable {
        public var archivedCount: Int
        public var lastArchivedAge: Double?
        public var failedCount: Int
        public var lastFailedAge: Double?
    }

    public func archiver() async throws -> Archiver {
        let rows = try await postgres.query("""
            SELECT archived_count, extract(epoch FROM now() - last_archived_time)::float8, failed_count,
                   extract(epoch FROM now() - last_failed_time)::float8
            FROM pg_stat_archiver
            """, logger: logger)
        for try await (a, la, f, lf) in rows.decode((Int64, Double?, Int64, Double?).self) {
            return Archiver(archivedCount: Int(a), lastArchivedAge: la, failedCount: Int(f), lastFailedAge: lf)
        }
        return Archiver(archivedCount: 0, lastArchivedAge: nil, failedCount: 0, lastFailedAge: nil)
    }
}

extension ReadinessCatalog {
    /// The dead-letter queue of one queue: how many jobs, and the age of the oldest.
    public struct DeadLetters: Sendable, Hashable {
        public var queue: String
        public var count: Int
        public var oldestAge: Double
    }

    public static let deadLettersSQL = """
        SELECT queue, count(*)::int8, extract(epoch FROM now() - min(finalized_at))::float8
        FROM jobkit.jobs WHERE state = 'discarded' GROUP BY queue ORDER BY queue
        """

    /// Discarded jobs by queue (an index-only count: `jobs_discarded_queue`).
    public func deadLetters() async throws -> [DeadLetters] {
        let rows = try await postgres.query(PostgresQuery(unsafeSQL: Self.deadLettersSQL), logger: logger)
        var out: [DeadLetters] = []
        for try await (queue, n, age) in rows.decode((String, Int64, Double?).self) {
            out.append(DeadLetters(queue: queue, count: Int(n), oldestAge: age ?? 0))
        }
        return out
    }

    /// Paused queues (`jobkit.queues`).
    public func pausedQueues() async throws -> [String] {
        let rows = try await postgres.query("SELECT name FROM jobkit.queues WHERE paused ORDER BY name", logger: logger)
        var out: [String] = []
        for try await name in rows.decode(String.self) { out.append(name) }
        return out
    }

    /// A leadership row of `jobkit.leaders`.
    public struct Leadership: Sendable, Hashable {
        public var name: String
        public var leaderID: String
        /// Seconds until the lease ends (negative: expired).
        public var expiresIn: Double
    }

    public func leaderships() async throws -> [Leadership] {
        let rows = try await postgres.query("""
            SELECT name, leader_id, extract(epoch FROM expires_at - now())::float8 FROM jobkit.leaders ORDER BY name
            """, logger: logger)
        var out: [Leadership] = []
        for try await (name, id, left) in rows.decode((String, String, Double).self) { out.append(Leadership(name: name, leaderID: id, expiresIn: left)) }
        return out
    }

    /// A schedule as the health check sees it.
    public struct Schedule: Sendable, Hashable {
        public var name: String
        public var kind: String
        public var paused: Bool
        public var builtin: Bool
        /// Seconds since its last inserted run, if any.
        public var sinceLastSuccess: Double?
        public var periodSeconds: Double?
        /// Seconds since the schedule was created.
        public var age: Double
        /// Seconds until its next fire time (negative: overdue), if it has one.
        public var nextFireIn: Double?
    }

    public func schedules() async throws -> [Schedule] {
        let rows = try await postgres.query("""
            SELECT name, kind, paused, builtin, extract(epoch FROM now() - last_success_at)::float8, period_seconds,
                   extract(epoch FROM now() - created_at)::float8, extract(epoch FROM next_fire_at - now())::float8
            FROM scheduler.schedules ORDER BY name
            """, logger: logger)
        var out: [Schedule] = []
        for try await (name, kind, paused, builtin, since, period, age, next) in rows.decode((String, String, Bool, Bool, Double?, Double?, Double, Double?).self) {
            out.append(Schedule(name: name, kind: kind, paused: paused, builtin: builtin, sinceLastSuccess: since, periodSeconds: period,
                                age: age, nextFireIn: next))
        }
        return out
    }
}

extension ReadinessCatalog {
    /// The CHECK constraints of every table with an `object_key` column: table → definitions.
    public func objectKeyChecks() async throws -> [String: [String]] {
        let rows = try await postgres.query(PostgresQuery(unsafeSQL: """
            SELECT n.nspname || '.' || c.relname,
                   coalesce((SELECT array_agg(pg_get_constraintdef(k.oid)) FROM pg_constraint k
                             WHERE k.conrelid = c.oid AND k.contype = 'c' AND a.attnum = ANY (k.conkey)), '{}')
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE a.attname = 'object_key' AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND \(Self.systemSchemas)
            """), logger: logger)
        var out: [String: [String]] = [:]
        for try await (table, defs) in rows.decode((String, [String]).self) { out[table] = defs }
        return out
    }
}
