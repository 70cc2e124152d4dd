import Foundation
import Synchronization

/// The jobs this process is running: their tasks (to cancel one), deadlines (for timeouts) and start
/// times (so the heartbeat extends only leases that need it).
final class RunningJobs: Sendable {
    struct Entry: Sendable {
        var task: Task<Void, any Error>
        var startedAt: ContinuousClock.Instant
        var deadline: ContinuousClock.Instant
        var interruption: JobOutcome.Interruption?
    }
    private let state = Mutex<[Int64: Entry]>([:])

    var count: Int { state.withLock { $0.count } }

    /// Starts `body` in a task of its own, registered under `id` before it can run to its end.
    func start(_ id: Int64, startedAt: ContinuousClock.Instant, deadline: ContinuousClock.Instant,
               _ body: @escaping @Sendable () async -> Void) {
        state.withLock { jobs in
            // Created under the lock: the task's own `remove(id)` waits until the entry is in place.
            let task = Task<Void, any Error> { await body() }
            jobs[id] = Entry(task: task, startedAt: startedAt, deadline: deadline, interruption: nil)
        }
    }

    /// Removes the job and returns why JobKit interrupted it, if it did.
    func remove(_ id: Int64) -> JobOutcome.Interruption? {
        state.withLock { $0.removeValue(forKey: id)?.interruption }
    }

    /// Cancels one job's handler, remembering why.
    func interrupt(_ id: Int64, _ reason: JobOutcome.Interruption) {
        let task: Task<Void, any Error>? = state.withLock { jobs in
            guard var entry = jobs[id], entry.interruption == nil else { return nil }
            entry.interruption = reason
            jobs[id] = entry
            return entry.task
        }
        task?.cancel()
    }

    /// Cancels every handler (shutdown past its grace period).
    func interruptAll(_ reason: JobOutcome.Interruption) {
        for id in state.withLock({ Array($0.keys) }) { interrupt(id, reason) }
    }

    /// Cancels handlers past their deadline. Returns how many.
    @discardableResult
    func interruptOverdue(now: ContinuousClock.Instant) -> Int {
        let overdue: [(Int64, Duration)] = state.withLock { jobs in
            jobs.compactMap { id, e in
                e.interruption == nil && e.deadline <= now ? (id, e.deadline - e.startedAt) : nil
            }
        }
        for (id, limit) in overdue { interrupt(id, .timeout(limit)) }
        return overdue.count
    }

    /// Ids of jobs running for longer than `age`.
    func ids(runningLongerThan age: Duration, now: ContinuousClock.Instant) -> [Int64] {
        state.withLock { jobs in jobs.compactMap { id, e in now - e.startedAt >= age ? id : nil } }
    }
}
