import Foundation
import JobKit
import Logging

/// The job of the quarterly revalidation (built-in schedule `readiness-revalidate`, `0 3 1 1,4,7,10 *`) and of
/// `filestore readiness run`: evaluates every row and records the run, its findings and their events.
public struct ReadinessRevalidate: JobArgs, Hashable {
    public static let kind = "readiness.revalidate"
    public static let defaultQueue = "maintenance"
    public init() {}
}

/// The handler of ``ReadinessRevalidate``: one evaluation, recorded. The environment is built by the
/// composition root (pools, HTTP client, configuration) and shared by every run.
public struct ReadinessWorker: JobWorker {
    public typealias Args = ReadinessRevalidate

    let environment: ReadinessEnvironment
    public let options: JobWorkerOptions

    public init(environment: ReadinessEnvironment,
                options: JobWorkerOptions = JobWorkerOptions(timeout: .seconds(900), retryPolicy: RetryPolicy(base: .seconds(60)))) {
        self.environment = environment
        self.options = options
    }

    public func work(_ job: Job<Args>) async throws {
        let report = await ReadinessEvaluator(environment: environment).evaluate()
        let recorded = try await ReadinessRecorder(postgres: environment.postgres, operationsTenant: environment.configuration.operationsTenant,
                                                   logger: job.logger).record(report, trigger: "job", jobID: job.id)
        let open = report.count(.fail)   // one open finding per failing row, once recorded
        ReadinessGauges().record(level: report.level.rawValue, failing: report.count(.fail), openFindings: open,
                                 finishedAt: report.finishedAt.timeIntervalSince1970)
        let level: Logger.Level = recorded.opened.isEmpty && report.count(.fail) == 0 ? .info : .warning
        job.logger.log(level: level, "readiness revalidated", metadata: [
            "run_id": "\(recorded.runID)", "level": "\(report.level)", "failing": "\(report.rows.filter { $0.status == .fail }.map(\.id).joined(separator: ","))",
            "opened": "\(recorded.opened.joined(separator: ","))", "closed": "\(recorded.closed.joined(separator: ","))",
        ])
    }
}
