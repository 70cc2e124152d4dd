import Foundation
import Logging
import PostgresNIO

/// Runs one fetched job: finds its handler, runs it in a task that can be cancelled (operator cancel,
/// timeout, shutdown), decides the outcome and hands it to the completer.
struct Executor: Sendable {
    let registry: JobRegistry
    let running: RunningJobs
    let completer: Completer
    let metrics: JobMetrics
    let workerID: String
    let logger: Logger

    func execute(_ job: FetchedJob) async {
        let clock = ContinuousClock()
        let start = clock.now
        let execution = JobExecution(workerID: workerID)
        var jobLogger = logger
        jobLogger[metadataKey: "job_id"] = "\(job.id)"
        jobLogger[metadataKey: "job_kind"] = "\(job.kind)"
        jobLogger[metadataKey: "attempt"] = "\(job.attempt)"
        if let trace = job.traceContext { jobLogger[metadataKey: "traceparent"] = "\(trace)" }
        let handlerLogger = jobLogger

        let entry = registry.entry(for: job.kind)
        let options = entry?.options ?? JobWorkerOptions()
        let task = Task<Void, any Error> {
            guard let entry else {
                throw JobKitError(.unknownKind, "no worker is registered for kind '\(job.kind)'")
            }
            try await entry.run(job, execution, handlerLogger)
        }
        running.insert(job.id, .init(task: task, startedAt: start, deadline: start + options.timeout, interruption: nil))
        let result = await withTaskCancellationHandler {
            await task.result
        } onCancel: {
            // The worker itself is being torn down: put the job back rather than count a failure.
            running.interrupt(job.id, .shutdown)
        }
        let interruption = running.remove(job.id)
        var rng = SystemRandomNumberGenerator()
        let error: (any Error)? = if case .failure(let e) = result { Self.unwrap(e) } else { nil }
        let outcome = JobOutcome.decide(.init(
            attempt: job.attempt, maxAttempts: job.maxAttempts, policy: options.retryPolicy,
            error: error, interruption: interruption,
            completedInTransaction: execution.completedInTransaction
        ), using: &rng)
        metrics.recordDuration(queue: job.queue, kind: job.kind, clock.now - start)
        metrics.recordOutcome(queue: job.queue, kind: job.kind, outcome: outcome, interruption: interruption)
        switch outcome {
        case .retry, .discard:
            jobLogger.warning("job attempt failed", metadata: ["error": "\(error.map { String(describing: $0) } ?? "\(String(describing: interruption))")"])
        default: break
        }
        completer.add(job.id, outcome)
    }

    /// A handler's own transaction wraps what its closure threw; decide on that.
    static func unwrap(_ error: any Error) -> any Error {
        if let tx = error as? PostgresTransactionError, let inner = tx.closureError { return unwrap(inner) }
        return error
    }
}
