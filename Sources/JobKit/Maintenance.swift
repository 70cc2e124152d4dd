import Foundation
import Logging
import PostgresNIO

/// The leader-only maintenance queries: staging, rescue and pruning. Each is one bounded statement,
/// safe to run concurrently with workers (and, by accident, with a second leader).
public struct Maintenance: Sendable {
    public let postgres: PostgresClient
    let logger: Logger

    public init(postgres: PostgresClient, logger: Logger) {
        self.postgres = postgres
        self.logger = logger
    }

    /// Makes scheduled and retryable jobs whose time has come `available`, and wakes their queues.
    /// Returns how many were staged.
    @discardableResult
    public func stage(limit: Int = 10_000) async throws -> Int {
        let rows = try await postgres.query("""
            WITH due AS (
              SELECT id FROM jobkit.jobs
              WHERE state IN ('scheduled', 'retryable') AND scheduled_at <= now()
              ORDER BY scheduled_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
            ), staged AS (
              UPDATE jobkit.jobs j SET state = 'available' FROM due WHERE j.id = due.id RETURNING j.queue
            ), per_queue AS (
              SELECT queue, count(*) AS n FROM staged GROUP BY queue
            )
            SELECT coalesce(sum(n), 0)::int8, count(pg_notify('jobkit_insert', queue)) FROM per_queue
            """, logger: logger)
        for try await (n, _) in rows.decode((Int64, Int64).self) { return Int(n) }
        return 0
    }

    /// Returns running jobs whose lease expired (their worker died or lost the database) to `retryable`,
    /// or `discarded` when out of attempts. Returns how many were rescued.
    @discardableResult
    public func rescue(limit: Int = 10_000) async throws -> Int {
        let rows = try await postgres.query("""
            WITH expired AS (
              SELECT id FROM jobkit.jobs
              WHERE state = 'running' AND lease_expires_at < now()
              ORDER BY lease_expires_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
            ), rescued AS (
              UPDATE jobkit.jobs j SET
                state = CASE WHEN j.attempt >= j.max_attempts THEN 'discarded' ELSE 'retryable' END::jobkit.job_state,
                finalized_at = CASE WHEN j.attempt >= j.max_attempts THEN now() END,
                scheduled_at = now(),
                lease_expires_at = NULL,
                errors = j.errors || jsonb_build_array(jsonb_build_object('at', now(), 'attempt', j.attempt,
                           'error', 'lease expired: worker ' || coalesce(j.attempted_by, '?') || ' stopped heartbeating'))
              FROM expired WHERE j.id = expired.id
              RETURNING j.id
            )
            SELECT count(*)::int8 FROM rescued
            """, logger: logger)
        for try await n in rows.decode(Int64.self) { return Int(n) }
        return 0
    }

    /// Deletes finished jobs older than their retention, at most `limit` per state per call.
    /// Returns how many were deleted.
    @discardableResult
    public func prune(completed: Duration, cancelled: Duration, discarded: Duration, limit: Int = 10_000) async throws -> Int {
        var total = 0
        for (state, keep) in [(JobState.completed, completed), (.cancelled, cancelled), (.discarded, discarded)] {
            let rows = try await postgres.query("""
                WITH old AS (
                  SELECT id FROM jobkit.jobs
                  WHERE state = \(state.rawValue)::jobkit.job_state
                    AND finalized_at < now() - \(keep.milliseconds) * interval '1 millisecond'
                  ORDER BY finalized_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
                ), gone AS (DELETE FROM jobkit.jobs j USING old WHERE j.id = old.id RETURNING 1)
                SELECT count(*)::int8 FROM gone
                """, logger: logger)
            for try await n in rows.decode(Int64.self) { total += Int(n) }
        }
        return total
    }
}
