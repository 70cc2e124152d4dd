import Foundation
import Synchronization

/// What a `queue-worker` process tells the queue benchmark on exit: handler calls, its peak RSS and the
/// enqueue→start latencies of jobs that carried `sent_at`.
final class QueueWorkerReport: Sendable {
    private let calls = Atomic<Int>(0)
    private let latencies = Mutex<[Double]>([])

    /// Counts one handler start, with its latency in seconds when the job carried one.
    func record(latency: Double?) {
        calls.wrappingAdd(1, ordering: .relaxed)
        if let latency { latencies.withLock { $0.append(latency) } }
    }

    /// One JSON line: `{"handler_calls":N,"peak_rss_kb":K,"latencies_ms":[…]}`.
    func json() -> String {
        let lats = latencies.withLock { $0 }.map { String(format: "%.3f", $0 * 1000) }.joined(separator: ",")
        return "{\"handler_calls\":\(calls.load(ordering: .relaxed)),\"peak_rss_kb\":\(BenchSupport.peakRSS(getpid())),\"latencies_ms\":[\(lats)]}"
    }
}
