import Foundation
import Logging
import PostgresNIO

/// Extends the leases of this process's long-running jobs, enforces per-kind timeouts, and notices jobs
/// that are no longer ours (cancelled by an operator, or rescued) so their handlers are cancelled even
/// if the notification was lost.
struct LeaseKeeper: Sendable {
    let postgres: PostgresClient
    let running: RunningJobs
    let configuration: JobWorkerConfiguration
    let logger: Logger

    /// Runs until cancelled.
    func run() async {
        let clock = ContinuousClock()
        var nextHeartbeat = clock.now + configuration.heartbeatInterval
        let tick = min(Duration.milliseconds(100), configuration.heartbeatInterval)
        while !Task.isCancelled {
            do { try await Task.sleep(for: tick) } catch { return }
            running.interruptOverdue(now: clock.now)
            if clock.now >= nextHeartbeat {
                nextHeartbeat = clock.now + configuration.heartbeatInterval
                await heartbeat(now: clock.now)
            }
        }
    }

    /// Extends the lease of every job running for longer than one heartbeat interval; cancels the handlers
    /// of jobs that are no longer running under this worker.
    func heartbeat(now: ContinuousClock.Instant) async {
        let ids = running.ids(runningLongerThan: configuration.heartbeatInterval, now: now)
        guard !ids.isEmpty else { return }
        do {
            let rows = try await postgres.query("""
                UPDATE jobkit.jobs SET lease_expires_at = now() + \(configuration.leaseDuration.milliseconds) * interval '1 millisecond'
                WHERE id = ANY (\(ids)::int8[]) AND state = 'running' AND attempted_by = \(configuration.workerID)
                RETURNING id
                """, logger: logger)
            var mine = Set<Int64>()
            for try await id in rows.decode(Int64.self) { mine.insert(id) }
            for id in ids where !mine.contains(id) {
                logger.info("job is no longer ours; cancelling its handler", metadata: ["job_id": "\(id)"])
                running.interrupt(id, .lost)
            }
        } catch {
            logger.warning("heartbeat failed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
