import Foundation
import JobKit
import Logging
import Metrics
import PostgresNIO
import Storage

/// The readiness gauges: set by the job that records a run (at once) and by ``ReadinessGaugesTask`` (so the level
/// survives restarts between quarterly runs).
public struct ReadinessGauges: Sendable {
    let level = Gauge(label: "filestore_readiness_level")
    let failing = Gauge(label: "filestore_readiness_failing_rows")
    let findings = Gauge(label: "filestore_readiness_open_findings")
    let lastRun = Gauge(label: "filestore_readiness_last_run_timestamp_seconds")

    public init() {}

    public func record(level: Int, failing: Int, openFindings: Int, finishedAt: Double) {
        self.level.record(level)
        self.failing.record(failing)
        findings.record(openFindings)
        lastRun.record(finishedAt)
    }
}

/// A maintenance-leader task that exports the latest recorded run as gauges, so the level survives restarts
/// between quarterly runs: `filestore_readiness_level` (0–4), `filestore_readiness_failing_rows`,
/// `filestore_readiness_open_findings`, `filestore_readiness_last_run_timestamp_seconds`. Nothing recorded yet:
/// no series (an alert on `absent()` says so).
public struct ReadinessGaugesTask: LeaderTask {
    public let name = "readiness.gauges"
    public let interval: Duration
    let postgres: PostgresClient
    let logger: Logger
    let gauges = ReadinessGauges()

    public init(postgres: PostgresClient, logger: Logger, interval: Duration = .seconds(60)) {
        self.postgres = postgres
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws -> Int {
        let repository = ReadinessRepository(logger: logger)
        let (latest, open) = try await postgres.withConnection { c in
            (try await repository.latest(on: c), try await repository.findings(openOnly: true, limit: 1000, on: c).count)
        }
        guard let latest else { return 0 }
        gauges.record(level: latest.level, failing: latest.failed, openFindings: open, finishedAt: Date().timeIntervalSince1970 - latest.age)
        return 0
    }
}
