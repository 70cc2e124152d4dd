import Foundation
import JobKit
import Logging
import Metrics
import PostgresNIO
import Storage

/// A maintenance-leader task that exports the latest recorded run as gauges, so the level survives restarts
/// between quarterly runs: `filestore_readiness_level` (0–4), `filestore_readiness_failing_rows`,
/// `filestore_readiness_open_findings`, `filestore_readiness_last_run_timestamp_seconds`. Nothing recorded yet:
/// no series (an alert on `absent()` says so).
public struct ReadinessGaugesTask: LeaderTask {
    public let name = "readiness.gauges"
    public let interval: Duration
    let postgres: PostgresClient
    let logger: Logger
    let level = Gauge(label: "filestore_readiness_level")
    let failing = Gauge(label: "filestore_readiness_failing_rows")
    let findings = Gauge(label: "filestore_readiness_open_findings")
    let lastRun = Gauge(label: "filestore_readiness_last_run_timestamp_seconds")

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
        level.record(latest.level)
        failing.record(latest.failed)
        findings.record(open)
        lastRun.record(Date().timeIntervalSince1970 - latest.age)
        return 0
    }
}
