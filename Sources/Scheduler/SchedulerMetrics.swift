import Foundation
import Metrics

/// The scheduler's metrics:
/// - `scheduler_fire_lag_seconds` (timer): from a fire time to the commit of its job's insert;
/// - `scheduler_runs_total{outcome,reason}`: fire times inserted (`reason` `scheduled`) or skipped
///   (`paused`, `overlap`, `misfire`);
/// - `scheduler_conflicts_total`: fire times another replica had already planned (the ledger refused them);
/// - `scheduler_last_success_timestamp_seconds{schedule}` and `scheduler_period_seconds{schedule}` (gauges,
///   refreshed every maintenance interval; the alert compares them), `scheduler_tick_duration_seconds`.
public struct SchedulerMetrics: Sendable {
    let lag = Metrics.Timer(label: "scheduler_fire_lag_seconds", preferredDisplayUnit: .seconds)
    let tick = Metrics.Timer(label: "scheduler_tick_duration_seconds", preferredDisplayUnit: .seconds)
    let inserted = Counter(label: "scheduler_runs_total", dimensions: [("outcome", "inserted"), ("reason", "scheduled")])
    let skipped: [SkipReason: Counter] = Dictionary(uniqueKeysWithValues: SkipReason.allCases.map {
        ($0, Counter(label: "scheduler_runs_total", dimensions: [("outcome", "skipped"), ("reason", $0.rawValue)]))
    })
    let conflicts = Counter(label: "scheduler_conflicts_total")

    public init() {}

    func record(_ r: ScheduleStore.TickResult, duration: Duration) {
        tick.recordNanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        for (_, fire, _) in r.inserted {
            lag.recordNanoseconds(max(0, Int64(r.committedAt.timeIntervalSince(fire) * 1e9)))
        }
        if !r.inserted.isEmpty { inserted.increment(by: Int64(r.inserted.count)) }
        for (reason, n) in r.skipped where n > 0 { skipped[reason]?.increment(by: Int64(n)) }
        if r.conflicts > 0 { conflicts.increment(by: Int64(r.conflicts)) }
    }

    func recordSuccess(schedule: String, lastSuccess: Date?, period: Double?) {
        if let lastSuccess {
            Gauge(label: "scheduler_last_success_timestamp_seconds", dimensions: [("schedule", schedule)])
                .record(lastSuccess.timeIntervalSince1970)
        }
        if let period {
            Gauge(label: "scheduler_period_seconds", dimensions: [("schedule", schedule)]).record(period)
        }
    }
}
