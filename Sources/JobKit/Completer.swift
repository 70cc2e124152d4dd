import Foundation
import Logging
import Metrics
import PostgresNIO
import Synchronization

/// Writes attempt outcomes in batches: one statement per flush, and only to rows that are still
/// `running` under this worker, so a job that was rescued or cancelled meanwhile is never overwritten.
///
/// Batching is adaptive, like a database's group commit: while one flush is in flight, new outcomes
/// gather, and the next flush takes them all. At low load every outcome is written at once.
final class Completer: Sendable {
    private let postgres: PostgresClient
    private let workerID: String
    private let batchSize: Int
    private let logger: Logger
    private let metrics: JobMetrics
    private let pending = Mutex<[(Int64, JobOutcome)]>([])
    private let signal = WakeSignal()
    private let flushed: @Sendable () -> Void
    /// `jobkit_completer_backlog` and `jobkit_completer_failures_total`.
    private let backlogGauge = Gauge(label: "jobkit_completer_backlog")
    private let failures = Counter(label: "jobkit_completer_failures_total")
    /// Attempts to write one batch before giving up on it (about a minute with the backoff).
    private let maxWriteAttempts = 20

    init(postgres: PostgresClient, workerID: String, batchSize: Int, metrics: JobMetrics, logger: Logger,
         flushed: @escaping @Sendable () -> Void) {
        self.postgres = postgres
        self.workerID = workerID
        self.batchSize = batchSize
        self.metrics = metrics
        self.logger = logger
        self.flushed = flushed
    }

    /// Outcomes waiting to be written.
    var backlog: Int { pending.withLock { $0.count } }

    func add(_ id: Int64, _ outcome: JobOutcome) {
        if case .none = outcome { return }
        let count = pending.withLock { items in
            items.append((id, outcome))
            return items.count
        }
        backlogGauge.record(count)
        signal.wake()
    }

    /// Writes outcomes until `finish()` is called and nothing is left.
    func run() async {
        while true {
            let more = await signal.wait()
            await flushAll()
            if !more { return }
        }
    }

    /// Stops `run()` after a last flush.
    func finish() { signal.finish() }

    private func flushAll() async {
        while true {
            let batch: [(Int64, JobOutcome)] = pending.withLock { items in
                let n = min(items.count, batchSize)
                let head = Array(items.prefix(n))
                items.removeFirst(n)
                return head
            }
            backlogGauge.record(backlog)
            if batch.isEmpty { return }
            var delay = Duration.milliseconds(50)
            for attempt in 1...maxWriteAttempts {
                do {
                    try await write(batch)
                    break
                } catch {
                    failures.increment()
                    // The database is unreachable: keep the outcomes and try again. If they cannot be written
                    // at all, give up: the jobs' leases run out and the rescuer returns them (at-least-once).
                    if attempt == maxWriteAttempts {
                        logger.error("completer gave up on a batch; its jobs will be rescued and run again",
                                     metadata: ["error": "\(String(reflecting: error))", "jobs": "\(batch.count)"])
                        break
                    }
                    logger.warning("completer flush failed, retrying", metadata: ["error": "\(String(reflecting: error))", "jobs": "\(batch.count)"])
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(5))
                }
            }
            flushed()
        }
    }

    private func write(_ batch: [(Int64, JobOutcome)]) async throws {
        if batch.allSatisfy({ $0.1 == .completed }) {
            for try await _ in try await postgres.execute(CompleteStatement(ids: batch.map(\.0), workerID: workerID), logger: logger) {}
            return
        }
        var ids: [Int64] = [], states: [String] = [], delays: [Int64] = [], errors: [String] = [], deltas: [Int16] = []
        for (id, outcome) in batch {
            let (state, delay, error, delta): (JobState, Int64, String, Int16)
            switch outcome {
            case .completed: (state, delay, error, delta) = (.completed, -1, "", 0)
            case .retry(let d, let e): (state, delay, error, delta) = (.retryable, d.milliseconds, e, 0)
            case .discard(let e): (state, delay, error, delta) = (.discarded, -1, e, 0)
            case .snooze(let d): (state, delay, error, delta) = (.scheduled, d.milliseconds, "", -1)
            case .cancel(let r): (state, delay, error, delta) = (.cancelled, -1, "cancelled: \(r)", 0)
            case .putBack(let r): (state, delay, error, delta) = (.available, 0, "", -1); _ = r
            case .none: continue
            }
            ids.append(id); states.append(state.rawValue); delays.append(delay); errors.append(error); deltas.append(delta)
        }
        // Jobs put back by a shutting-down worker are announced, so another worker takes them at once.
        try await postgres.query("""
            WITH written AS (
            UPDATE jobkit.jobs j SET
              state = u.state::jobkit.job_state,
              finalized_at = CASE WHEN u.state IN ('completed', 'cancelled', 'discarded') THEN now() END,
              scheduled_at = CASE WHEN u.delay_ms >= 0 THEN now() + u.delay_ms * interval '1 millisecond' ELSE j.scheduled_at END,
              errors = CASE WHEN u.error <> '' THEN j.errors || jsonb_build_array(jsonb_build_object(
                         'at', now(), 'attempt', j.attempt, 'error', u.error)) ELSE j.errors END,
              attempt = j.attempt + u.delta,
              lease_expires_at = NULL
            FROM unnest(\(ids)::int8[], \(states)::text[], \(delays)::int8[], \(errors)::text[], \(deltas)::int2[])
                 AS u(id, state, delay_ms, error, delta)
            WHERE j.id = u.id AND j.state = 'running' AND j.attempted_by = \(workerID)
            RETURNING j.queue, j.state
            )
            SELECT pg_notify('jobkit_insert', queue) FROM (SELECT DISTINCT queue FROM written WHERE state = 'available') q
            """, logger: logger)
    }
}
