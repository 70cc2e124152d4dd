import PostgresNIO

/// The server's WAL and transaction counters, read before and after a phase to give its per-job cost.
struct DatabaseCounters {
    var walRecords = 0, walFPI = 0, walBytes = 0, walSyncs = 0
    /// Commits and rollbacks in the current database.
    var commits = 0, rollbacks = 0

    static func read(_ postgres: PostgresClient) async throws -> DatabaseCounters {
        var c = DatabaseCounters()
        for try await (r, f, b, s) in try await postgres.query("SELECT wal_records, wal_fpi, wal_bytes::int8, wal_sync FROM pg_stat_wal").decode((Int64, Int64, Int64, Int64).self) {
            (c.walRecords, c.walFPI, c.walBytes, c.walSyncs) = (Int(r), Int(f), Int(b), Int(s))
        }
        for try await (x, y) in try await postgres.query("SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = current_database()").decode((Int64, Int64).self) {
            (c.commits, c.rollbacks) = (Int(x), Int(y))
        }
        return c
    }
}
