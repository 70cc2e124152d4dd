import Foundation
import JobKit
import Logging

/// The scheduler's tick as a leader task: takes the due schedules (``ScheduleStore/tick(planner:limit:schedules:)``),
/// repeating at once while a tick finds a full batch, and records the metrics.
public struct SchedulerTask: LeaderTask {
    public let name = "scheduler.tick"
    public let interval: Duration
    let store: ScheduleStore
    let planner: SchedulePlanner
    let batchSize: Int
    let cache: ScheduleCache
    let metrics: SchedulerMetrics
    let logger: Logger

    public init(store: ScheduleStore, configuration: SchedulerConfiguration, metrics: SchedulerMetrics = SchedulerMetrics(),
                cache: ScheduleCache = ScheduleCache(), logger: Logger) {
        self.store = store
        self.interval = configuration.tickInterval
        self.planner = SchedulePlanner(misfireGrace: configuration.misfireGrace.seconds)
        self.batchSize = configuration.batchSize
        self.cache = cache
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws -> Int {
        var total = 0
        let clock = ContinuousClock()
        // Bounded: a backlog larger than 50 batches waits for the next run.
        for _ in 0..<50 {
            try Task.checkCancellation()
            let start = clock.now
            let r = try await store.tick(planner: planner, limit: batchSize, schedules: cache)
            metrics.record(r, duration: clock.now - start)
            if r.conflicts > 0 {
                logger.warning("fire times already planned by another scheduler (refused by the ledger)", metadata: ["count": "\(r.conflicts)"])
            }
            total += r.inserted.count
            if r.schedules < batchSize { break }
        }
        return total
    }
}

/// The scheduler's housekeeping as a leader task: declares the built-in schedules (first run), prunes the
/// ledger past its retention, refreshes the per-schedule success gauges.
public struct SchedulerMaintenanceTask: LeaderTask {
    public let name = "scheduler.maintenance"
    public let interval: Duration
    let store: ScheduleStore
    let builtins: [ScheduleDefinition]
    let retention: Duration
    let metrics: SchedulerMetrics
    let logger: Logger

    public init(store: ScheduleStore, builtins: [ScheduleDefinition], configuration: SchedulerConfiguration,
                metrics: SchedulerMetrics = SchedulerMetrics(), logger: Logger) {
        self.store = store
        self.builtins = builtins
        self.interval = configuration.maintenanceInterval
        self.retention = configuration.ledgerRetention
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws -> Int {
        try await store.declareBuiltins(builtins)
        var pruned = 0
        for _ in 0..<10 {
            let n = try await store.pruneLedger(olderThan: retention)
            pruned += n
            if n < 10_000 { break }
        }
        for s in try await store.refreshSuccess() {
            metrics.recordSuccess(schedule: s.name, lastSuccess: s.lastSuccess, period: s.paused ? nil : s.period)
        }
        return pruned
    }
}
