import Metrics
import Synchronization

/// The queue's hot-path metrics, through swift-metrics (exported as Prometheus by the process).
///
/// Handles are created once per label set and cached, so recording is a dictionary look-up and an atomic
/// add. Names:
/// - `jobkit_jobs_executed_total{queue,kind,outcome}` — attempts by outcome (`completed`, `retry`,
///   `discarded`, `snoozed`, `cancelled`, `interrupted`, `lost`).
/// - `jobkit_job_duration_seconds{queue,kind}` — handler run time.
/// - `jobkit_jobs_fetched_total{queue}` — rows taken by fetches.
/// - `jobkit_jobs{queue,state}`, `jobkit_queue_oldest_available_age_seconds{queue}`,
///   `jobkit_dlq_size{queue}` — gauges from ``QueueStatsReporter``.
public final class JobMetrics: Sendable {
    private struct Key: Hashable { var queue: String; var kind: String; var outcome: String }
    private let counters = Mutex<[Key: Counter]>([:])
    private let timers = Mutex<[Key: Metrics.Timer]>([:])
    private let fetched = Mutex<[String: Counter]>([:])

    public init() {}

    func recordOutcome(queue: String, kind: String, outcome: JobOutcome, interruption: JobOutcome.Interruption?) {
        let name: String
        switch outcome {
        case .completed: name = "completed"
        case .retry: name = "retry"
        case .discard: name = "discarded"
        case .snooze: name = "snoozed"
        case .cancel: name = "cancelled"
        case .putBack: name = "interrupted"
        case .none: name = interruption == .lost ? "lost" : "completed"
        }
        let key = Key(queue: queue, kind: kind, outcome: name)
        let counter = counters.withLock { cache in
            if let c = cache[key] { return c }
            let c = Counter(label: "jobkit_jobs_executed_total", dimensions: [("queue", queue), ("kind", kind), ("outcome", name)])
            cache[key] = c
            return c
        }
        counter.increment()
    }

    func recordDuration(queue: String, kind: String, _ duration: Duration) {
        let key = Key(queue: queue, kind: kind, outcome: "")
        let timer = timers.withLock { cache in
            if let t = cache[key] { return t }
            let t = Metrics.Timer(label: "jobkit_job_duration_seconds", dimensions: [("queue", queue), ("kind", kind)], preferredDisplayUnit: .seconds)
            cache[key] = t
            return t
        }
        timer.recordNanoseconds(duration.nanoseconds)
    }

    func recordFetched(queue: String, count: Int) {
        guard count > 0 else { return }
        let counter = fetched.withLock { cache in
            if let c = cache[queue] { return c }
            let c = Counter(label: "jobkit_jobs_fetched_total", dimensions: [("queue", queue)])
            cache[queue] = c
            return c
        }
        counter.increment(by: count)
    }
}
