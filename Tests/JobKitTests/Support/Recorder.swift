import TestSupport
import Foundation
import JobKit
import Synchronization

/// Thread-safe record of what handlers saw, for assertions.
final class Recorder: Sendable {
    private let state = Mutex<(runs: [Int64: Int], attempts: [Int64: [Int]], current: Int, peak: Int, cancelled: Set<Int64>, starts: [Int64: [ContinuousClock.Instant]])>(([:], [:], 0, 0, [], [:]))

    func started(_ id: Int64, attempt: Int) {
        state.withLock { s in
            s.runs[id, default: 0] += 1
            s.attempts[id, default: []].append(attempt)
            s.starts[id, default: []].append(ContinuousClock.now)
            s.current += 1
            s.peak = max(s.peak, s.current)
        }
    }
    func finished() { state.withLock { $0.current -= 1 } }
    func sawCancellation(_ id: Int64) { state.withLock { _ = $0.cancelled.insert(id) } }

    var runs: [Int64: Int] { state.withLock { $0.runs } }
    func attempts(_ id: Int64) -> [Int] { state.withLock { $0.attempts[id] ?? [] } }
    func starts(_ id: Int64) -> [ContinuousClock.Instant] { state.withLock { $0.starts[id] ?? [] } }
    var peak: Int { state.withLock { $0.peak } }
    var total: Int { state.withLock { $0.runs.values.reduce(0, +) } }
    var cancelled: Set<Int64> { state.withLock { $0.cancelled } }
}

/// A configurable test worker: sleeps, fails, snoozes or checks cancellation as its args say.
struct ProbeWorker: JobWorker {
    struct Args: JobArgs {
        static let kind = "probe"
        var sleep_ms: Int?
        var fail_times: Int?
        var snooze_ms: Int?
        var cancel_self: Bool?
    }
    let recorder: Recorder
    let options: JobWorkerOptions

    init(recorder: Recorder, timeout: Duration = .seconds(60), retry: RetryPolicy = RetryPolicy(base: .milliseconds(50), jitter: 0)) {
        self.recorder = recorder
        self.options = JobWorkerOptions(timeout: timeout, retryPolicy: retry)
    }

    func work(_ job: Job<Args>) async throws {
        recorder.started(job.id, attempt: job.attempt)
        defer { recorder.finished() }
        if job.args.cancel_self == true { throw JobCancel("not needed any more") }
        if let ms = job.args.snooze_ms, recorder.attempts(job.id).count == 1 { throw JobSnooze(.milliseconds(ms)) }
        if let ms = job.args.sleep_ms {
            do { try await Task.sleep(for: .milliseconds(ms)) } catch {
                recorder.sawCancellation(job.id)
                throw error
            }
        }
        if let n = job.args.fail_times, job.attempt <= n { throw ProbeFailure() }
    }
    struct ProbeFailure: Error, CustomStringConvertible { var description: String { "probe failure" } }
}

extension JobRegistry {
    static func probe(_ recorder: Recorder, timeout: Duration = .seconds(60)) -> JobRegistry {
        var r = JobRegistry()
        r.register(ProbeWorker(recorder: recorder, timeout: timeout))
        r.register(NoopWorker())
        return r
    }
}

func probe(_ args: String = "{}", queue: String = "default", maxAttempts: Int = 20) -> JobInsert {
    JobInsert(kind: "probe", argsJSON: args, queue: queue, maxAttempts: maxAttempts)
}
