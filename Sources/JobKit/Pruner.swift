import Logging
import PostgresNIO

/// The leader task that deletes finished jobs older than their state's retention, in bounded batches.
public struct Pruner: LeaderTask {
    public let name = "prune"
    public let interval: Duration
    /// How long completed jobs are kept.
    public let completedRetention: Duration
    /// How long cancelled jobs are kept.
    public let cancelledRetention: Duration
    /// How long discarded jobs (the dead-letter queue) are kept.
    public let discardedRetention: Duration
    /// Most jobs deleted per state per run. Default: 10 000.
    public let limit: Int
    let postgres: PostgresClient
    let logger: Logger

    /// Defaults as in ``MaintenanceConfiguration``: every 60 s; completed 24 h, cancelled 7 days, discarded 30 days.
    public init(postgres: PostgresClient, interval: Duration = .seconds(60), completed: Duration = .seconds(24 * 3600),
                cancelled: Duration = .seconds(7 * 24 * 3600), discarded: Duration = .seconds(30 * 24 * 3600),
                limit: Int = 10_000, logger: Logger) {
        self.postgres = postgres
        self.interval = interval
        self.completedRetention = completed
        self.cancelledRetention = cancelled
        self.discardedRetention = discarded
        self.limit = max(1, limit)
        self.logger = logger
    }

    /// Deletes finished jobs past their retention; returns how many were deleted.
    @discardableResult
    public func run() async throws -> Int {
        var total = 0
        for (state, keep) in [(JobState.completed, completedRetention), (.cancelled, cancelledRetention), (.discarded, discardedRetention)] {
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
