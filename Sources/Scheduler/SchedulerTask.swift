import Foundation
import JobKit
import Logging

/// The scheduler's tick as a leader task: takes the due schedules (``ScheduleStore/tick(planner:limit:schedules:)``),
/// repeating at once while a tick finds a full batch — with ``SchedulerConfiguration/parallelism`` transactions at
/// once while the backlog lasts — and records the metrics.
public struct SchedulerTask: LeaderTask {
    public let name = "scheduler.tick"
    public let interval: Duration
    let store: ScheduleStore
    let planner: SchedulePlanner
    let batchSize: Int
    let parallelism: Int
    let cache: ScheduleCache
    let metrics: SchedulerMetrics
    let logger: Logger

    public init(store: ScheduleStore, configuration: SchedulerConfiguration, metrics: SchedulerMetrics = SchedulerMetrics(),
                cache: ScheduleCache = ScheduleCache(), logger: Logger) {
        self.store = store
        self.interval = configuration.tickInterval
        self.planner = SchedulePlanner(misfireGrace: configuration.misfireGrace.seconds)
        self.batchSize = configuration.batchSize
        self.parallelism = configuration.parallelism
        self.cache = cache
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws -> Int {
        try await drain { _, _ in }
    }

    /// One run: a tick, and while ticks find full batches, more of them, `parallelism` at once; at most 50
    /// batches (a larger backlog waits for the next run). `observe` sees every tick's result and duration (the
    /// benchmark's measurements), possibly from several tasks at once. Returns the jobs inserted.
    public func drain(_ observe: @escaping @Sendable (ScheduleStore.TickResult, Duration) -> Void) async throws -> Int {
        let first = try await tickOnce(observe)
        guard first.schedules >= batchSize else { return first.inserted.count }
        let lanes = parallelism
        let perLane = max(1, 49 / lanes)
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<lanes {
                group.addTask {
                    var inserted = 0
                    for _ in 0..<perLane {
                        try Task.checkCancellation()
                        let r = try await tickOnce(observe)
                        inserted += r.inserted.count
                        if r.schedules < batchSize { break }
                    }
                    return inserted
                }
            }
            return try await group.reduce(first.inserted.count, +)
        }
    }

    private func tickOnce(_ observe: @Sendable (ScheduleStore.TickResult, Duration) -> Void) async throws -> ScheduleStore.TickResult {
        let clock = ContinuousClock()
        let start = clock.now
        let r = try await store.tick(planner: planner, limit: batchSize, schedules: cache)
        let duration = clock.now - start
        metrics.record(r, duration: duration)
        observe(r, duration)
        if r.conflicts > 0 {
            logger.warning("fire times already planned by another scheduler (refused by the ledger)", metadata: ["count": "\(r.conflicts)"])
        }
        return r
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
