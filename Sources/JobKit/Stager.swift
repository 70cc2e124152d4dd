import Logging
import PostgresNIO

/// The leader task that makes scheduled and retryable jobs whose time has come `available`, and wakes
/// their queues (one `pg_notify` per staged queue).
public struct Stager: LeaderTask {
    public let name = "stage"
    public let interval: Duration
    /// Most jobs staged per run. Default: 10 000.
    public let limit: Int
    let postgres: PostgresClient
    let logger: Logger

    public init(postgres: PostgresClient, interval: Duration = .seconds(1), limit: Int = 10_000, logger: Logger) {
        self.postgres = postgres
        self.interval = interval
        self.limit = max(1, limit)
        self.logger = logger
    }

    /// Stages due jobs; returns how many were staged.
    @discardableResult
    public func run() async throws -> Int {
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
}
