import Logging
import PostgresNIO

/// The leader task that returns running jobs whose lease expired (their worker died or lost the database)
/// to `retryable`, or `discarded` when out of attempts, recording why in their errors.
public struct Rescuer: LeaderTask {
    public let name = "rescue"
    public let interval: Duration
    /// Most jobs rescued per run. Default: 10 000.
    public let limit: Int
    let postgres: PostgresClient
    let logger: Logger

    public init(postgres: PostgresClient, interval: Duration = .seconds(15), limit: Int = 10_000, logger: Logger) {
        self.postgres = postgres
        self.interval = interval
        self.limit = max(1, limit)
        self.logger = logger
    }

    /// Rescues jobs with expired leases; returns how many were rescued.
    @discardableResult
    public func run() async throws -> Int {
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
}
