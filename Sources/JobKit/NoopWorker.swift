/// The built-in `noop` kind (args: ``Noop``): sleeps and fails as its args say, for smoke tests and drills.
public struct NoopWorker: JobWorker {
    public typealias Args = Noop
    public let options: JobWorkerOptions

    /// Default options: a 60 s timeout, retries from 100 ms.
    public init(options: JobWorkerOptions = JobWorkerOptions(timeout: .seconds(60), retryPolicy: RetryPolicy(base: .milliseconds(100)))) {
        self.options = options
    }

    public func work(_ job: Job<Noop>) async throws {
        if let ms = job.args.sleepMS, ms > 0 { try await Task.sleep(for: .milliseconds(ms)) }
        if let failures = job.args.failTimes, job.attempt <= failures {
            throw NoopFailure(attempt: job.attempt, of: failures)
        }
    }

    struct NoopFailure: Error, CustomStringConvertible {
        var attempt: Int
        var of: Int
        var description: String { "noop failure \(attempt) of \(of) (fail_times)" }
    }
}
