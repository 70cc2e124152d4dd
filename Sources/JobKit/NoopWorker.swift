import Foundation

/// The built-in `noop` kind, for smoke tests, drills and benchmarks.
///
/// Args (all optional): `sleep_ms` — how long to run; `fail_times` — fail the first N attempts;
/// `bench_ts` — the enqueuer's wall-clock time (seconds since 1970), handed to `onStart` as latency.
public struct NoopWorker: JobWorker {
    public struct Args: Codable, Sendable {
        public var sleep_ms: Int?
        public var fail_times: Int?
        public var bench_ts: Double?
        public init(sleep_ms: Int? = nil, fail_times: Int? = nil, bench_ts: Double? = nil) {
            self.sleep_ms = sleep_ms
            self.fail_times = fail_times
            self.bench_ts = bench_ts
        }
    }

    public static let kind = "noop"
    public let options: JobWorkerOptions
    /// Called first thing in every attempt with the job id and, when `bench_ts` is set, the seconds
    /// from enqueue to start.
    public let onStart: (@Sendable (Int64, Double?) -> Void)?

    public init(options: JobWorkerOptions = JobWorkerOptions(timeout: .seconds(60), retryPolicy: RetryPolicy(base: .milliseconds(100))),
                onStart: (@Sendable (Int64, Double?) -> Void)? = nil) {
        self.options = options
        self.onStart = onStart
    }

    public func work(_ job: Job<Args>) async throws {
        if let onStart {
            onStart(job.id, job.args.bench_ts.map { Date().timeIntervalSince1970 - $0 })
        }
        if let ms = job.args.sleep_ms, ms > 0 { try await Task.sleep(for: .milliseconds(ms)) }
        if let failures = job.args.fail_times, job.attempt <= failures {
            throw NoopFailure(attempt: job.attempt, of: failures)
        }
    }

    struct NoopFailure: Error, CustomStringConvertible {
        var attempt: Int
        var of: Int
        var description: String { "noop failure \(attempt) of \(of) (fail_times)" }
    }
}
