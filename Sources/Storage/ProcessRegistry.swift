import Foundation
import Logging
import PostgresNIO

/// The registry of running filestore processes (`readiness.processes`, migration 0016): each process inserts its
/// row at start, renews `heartbeat_at` while it runs, and deletes it on a clean stop. The readiness checks probe
/// the `/healthz`, `/readyz` and `/metrics` of every process whose heartbeat is recent.
public struct ProcessRegistry: Sendable {
    public let postgres: PostgresClient
    public let logger: Logger

    public init(postgres: PostgresClient, logger: Logger) {
        self.postgres = postgres
        self.logger = logger
    }

    /// A registered process.
    public struct Entry: Sendable, Hashable {
        public var instanceID: String
        public var command: String
        public var host: String
        public var pid: Int
        /// Where its ops endpoints answer (`http://host:port`), `nil` when it serves none.
        public var opsURL: String?
        public var version: String
        /// Seconds since its last heartbeat.
        public var heartbeatAge: Double

        public init(instanceID: String, command: String, host: String, pid: Int, opsURL: String?, version: String, heartbeatAge: Double = 0) {
            self.instanceID = instanceID
            self.command = command
            self.host = host
            self.pid = pid
            self.opsURL = opsURL
            self.version = version
            self.heartbeatAge = heartbeatAge
        }
    }

    /// Inserts (or replaces) the process's row with a fresh heartbeat.
    public func register(_ e: Entry) async throws {
        try await postgres.query("""
            INSERT INTO readiness.processes (instance_id, command, host, pid, ops_url, version)
            VALUES (\(e.instanceID), \(e.command), \(e.host), \(Int32(clamping: e.pid)), \(e.opsURL), \(e.version))
            ON CONFLICT (instance_id) DO UPDATE SET command = excluded.command, host = excluded.host, pid = excluded.pid,
              ops_url = excluded.ops_url, version = excluded.version, heartbeat_at = now()
            """, logger: logger)
    }

    /// Renews the heartbeat; returns `false` when the row is gone (someone removed it), so the caller re-registers.
    public func heartbeat(_ instanceID: String) async throws -> Bool {
        let rows = try await postgres.query("""
            UPDATE readiness.processes SET heartbeat_at = now() WHERE instance_id = \(instanceID) RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Removes the process's row (a clean stop).
    public func unregister(_ instanceID: String) async throws {
        try await postgres.query("DELETE FROM readiness.processes WHERE instance_id = \(instanceID)", logger: logger)
    }

    /// Every registered process, freshest first; rows stale for longer than `pruneAfter` seconds are deleted first.
    public func entries(pruneAfter: Double = 86_400) async throws -> [Entry] {
        try await postgres.query("""
            DELETE FROM readiness.processes WHERE heartbeat_at < now() - make_interval(secs => \(pruneAfter))
            """, logger: logger)
        let rows = try await postgres.query("""
            SELECT instance_id, command, host, pid, ops_url, version, extract(epoch FROM now() - heartbeat_at)::float8
            FROM readiness.processes ORDER BY heartbeat_at DESC, instance_id
            """, logger: logger)
        var out: [Entry] = []
        for try await r in rows.decode((String, String, String, Int32, String?, String, Double).self) {
            out.append(Entry(instanceID: r.0, command: r.1, host: r.2, pid: Int(r.3), opsURL: r.4, version: r.5, heartbeatAge: r.6))
        }
        return out
    }
}
