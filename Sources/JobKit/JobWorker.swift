import Foundation
import Logging
import PostgresNIO

/// A handler for one kind of job.
///
/// Delivery is at least once: a handler may run again after a crash, so it is written to be idempotent,
/// or it finishes its job with ``Job/complete(on:)`` inside the transaction that writes its effects, which
/// makes those effects happen exactly once.
public protocol JobWorker: Sendable {
    /// The job's arguments, decoded from the row's JSON `args`; their type names the kind this worker runs.
    associatedtype Args: JobArgs
    /// Timeout, retry policy and the like. Default: ``JobWorkerOptions/init()``.
    var options: JobWorkerOptions { get }
    /// Does the work. Throw to fail the attempt (it is retried), ``JobSnooze`` to run again later
    /// without using an attempt, or ``JobCancel`` to stop for good.
    func work(_ job: Job<Args>) async throws
}

extension JobWorker {
    public var options: JobWorkerOptions { JobWorkerOptions() }
}

/// Per-kind execution options.
public struct JobWorkerOptions: Sendable, Hashable {
    /// The longest an attempt may run before it is cancelled and counted as failed. Default: 15 minutes.
    public var timeout: Duration
    /// Backoff between attempts. Default: ``RetryPolicy/default``.
    public var retryPolicy: RetryPolicy

    public init(timeout: Duration = .seconds(900), retryPolicy: RetryPolicy = .default) {
        self.timeout = timeout
        self.retryPolicy = retryPolicy
    }
}

/// Thrown by a handler to run the job again after `delay` without counting the attempt.
public struct JobSnooze: Error, Sendable {
    public var delay: Duration
    public init(_ delay: Duration) { self.delay = delay }
}

/// Thrown by a handler to cancel its job: it is not retried.
public struct JobCancel: Error, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// A job being worked, as its handler sees it.
public struct Job<Args: JobArgs>: Sendable {
    public let id: Int64
    public let kind: String
    public let queue: String
    public let args: Args
    /// This attempt's number, 1-based.
    public let attempt: Int
    public let maxAttempts: Int
    public let priority: Int
    public let tags: [String]
    /// The tenant the job works for (the row's `tenant_id`, set by ``InsertOptions/tenantID``), if any.
    public let tenantID: String?
    public let traceContext: String?
    let baseLogger: Logger
    let execution: JobExecution

    /// A logger with the job's id, kind, attempt and trace as metadata (built on use).
    public var logger: Logger {
        JobLogging.logger(baseLogger, id: id, kind: kind, attempt: attempt, traceContext: traceContext)
    }

    /// Marks this job completed on `connection`, inside the caller's transaction, so that the handler's
    /// writes and the job's completion commit together or not at all.
    ///
    /// Throws ``JobKitError/Code/jobNoLongerRunning`` if the job was cancelled or rescued meanwhile, which
    /// rolls the caller's transaction back.
    public func complete(on connection: PostgresConnection) async throws {
        var updated: Int64 = 0
        for try await n in try await connection.execute(CompleteStatement(ids: [id], workerID: execution.workerID), logger: logger) {
            updated = n
        }
        guard updated == 1 else {
            throw JobKitError(.jobNoLongerRunning, "job \(id) is no longer running under this worker")
        }
        execution.markCompletedInTransaction()
    }
}
