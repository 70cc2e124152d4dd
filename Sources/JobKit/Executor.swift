import Foundation
import Logging
import PostgresNIO

/// Runs fetched jobs: one task per job, registered in ``RunningJobs`` so that an operator's cancel, a
/// timeout or shutdown can cancel exactly that handler. The task decides the outcome and hands it to the
/// completer.
struct Executor: Sendable {
    let registry: JobRegistry
    let running: RunningJobs
    let completer: Completer
    let metrics: JobMetrics
    let workerID: String
    let logger: Logger

    /// Starts `job` in a task of its own; `finished` runs after its outcome was handed to the completer.
    func start(_ job: FetchedJob, finished: @escaping @Sendable () -> Void) {
        let entry = registry.entry(for: job.kind)
        let options = entry?.options ?? JobWorkerOptions()
        let start = ContinuousClock.now
        running.start(job.id, startedAt: start, deadline: start + options.timeout) { [self] in
            let execution = JobExecution(workerID: workerID)
            let result: Result<Void, any Error>
            do {
                guard let entry else { throw JobKitError(.unknownKind, "no worker is registered for kind '\(job.kind)'") }
                try await entry.run(job, execution, logger)
                result = .success(())
            } catch {
                result = .failure(error)
            }
            finish(job, options: options, start: start, execution: execution, result: result)
            finished()
        }
    }

    private func finish(_ job: FetchedJob, options: JobWorkerOptions, start: ContinuousClock.Instant,
                        execution: JobExecution, result: Result<Void, any Error>) {
        let interruption = running.remove(job.id)
        var rng = SystemRandomNumberGenerator()
        let error: (any Error)? = if case .failure(let e) = result { Self.unwrap(e) } else { nil }
        let outcome = JobOutcome.decide(.init(
            attempt: job.attempt, maxAttempts: job.maxAttempts, policy: options.retryPolicy,
            error: error, interruption: interruption,
            completedInTransaction: execution.completedInTransaction
        ), using: &rng)
        metrics.recordDuration(queue: job.queue, kind: job.kind, ContinuousClock.now - start)
        metrics.recordOutcome(queue: job.queue, kind: job.kind, outcome: outcome, interruption: interruption)
        switch outcome {
        case .retry, .discard:
            JobLogging.logger(logger, for: job).warning("job attempt failed", metadata: [
                "error": "\(error.map { String(describing: $0) } ?? String(describing: interruption))"])
        default: break
        }
        completer.add(job.id, outcome)
    }

    /// A handler's own transaction wraps what its closure threw; decide on that. A `PSQLError` hides everything
    /// from its description; operators read job errors, so it is replaced by its code, SQLSTATE and the server's
    /// message (never its detail or query, which may carry tenant data).
    static func unwrap(_ error: any Error) -> any Error {
        if let tx = error as? PostgresTransactionError, let inner = tx.closureError { return unwrap(inner) }
        if let psql = error as? PSQLError { return DatabaseFailure(psql) }
        return error
    }

    struct DatabaseFailure: Error, CustomStringConvertible {
        let description: String
        init(_ error: PSQLError) {
            let state = error.serverInfo?[.sqlState].map { " \($0)" } ?? ""
            let message = error.serverInfo?[.message].map { ": \($0)" } ?? ""
            description = "database error (\(error.code.description)\(state))\(message)"
        }
    }
}
