import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Leader election on a row of `jobkit.leaders`: whoever holds an unexpired row is the leader and renews
/// it; anyone may take it once it expires. A leader that stops cleanly deletes its row and notifies, so a
/// follower takes over at once; a leader that dies is replaced within one TTL plus one interval.
public struct LeaderElector: Sendable {
    public let postgres: PostgresClient
    public let name: String
    public let candidateID: String
    public let ttl: Duration
    let logger: Logger

    public init(postgres: PostgresClient, name: String, candidateID: String, ttl: Duration, logger: Logger) {
        self.postgres = postgres
        self.name = name
        self.candidateID = candidateID
        self.ttl = ttl
        self.logger = logger
    }

    /// Takes or renews the leadership. Returns whether this candidate is the leader now.
    public func attempt() async throws -> Bool {
        let rows = try await postgres.query("""
            INSERT INTO jobkit.leaders AS l (name, leader_id, elected_at, expires_at)
            VALUES (\(name), \(candidateID), now(), now() + \(ttl.milliseconds) * interval '1 millisecond')
            ON CONFLICT (name) DO UPDATE
              SET leader_id = excluded.leader_id,
                  elected_at = CASE WHEN l.leader_id = excluded.leader_id THEN l.elected_at ELSE now() END,
                  expires_at = excluded.expires_at
              WHERE l.leader_id = excluded.leader_id OR l.expires_at < now()
            RETURNING leader_id
            """, logger: logger)
        var leader = false
        for try await id in rows.decode(String.self) { leader = id == candidateID }
        return leader
    }

    /// Gives the leadership up (on shutdown) and tells the others. Gives up after `limit` — with the database
    /// unreachable the query would wait for a connection for good, and a stopping process must not — leaving
    /// the lease to expire instead.
    public func resign(within limit: Duration = .seconds(3)) async {
        let (postgres, name, candidateID, logger) = (self.postgres, self.name, self.candidateID, self.logger)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await postgres.query("""
                        WITH gone AS (DELETE FROM jobkit.leaders WHERE name = \(name) AND leader_id = \(candidateID) RETURNING name)
                        SELECT pg_notify('jobkit_control', 'resign:' || name) FROM gone
                        """, logger: logger)
                }
                group.addTask {
                    try await Task.sleep(for: limit)
                    throw JobKitError(.timeout, "no answer from the database within \(limit)")
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        } catch {
            logger.warning("cannot resign leadership; it expires with its lease", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    /// The current leader's id, if the leadership is held.
    public func currentLeader() async throws -> String? {
        let rows = try await postgres.query(
            "SELECT leader_id FROM jobkit.leaders WHERE name = \(name) AND expires_at > now()", logger: logger)
        for try await id in rows.decode(String.self) { return id }
        return nil
    }
}
