import JobKit
import Metrics
import Storage

/// A leader task that publishes the erasure requests' due-date gauges (alerts `FilestoreErasureNearlyDue`,
/// `FilestoreErasureOverdue`): `filestore_erasure_requests_open`, `filestore_erasure_requests_due_soon` (open and
/// due within 5 days), `filestore_erasure_requests_overdue`.
public struct ErasureStatsTask: LeaderTask {
    let system: SystemDatabase
    let open = Gauge(label: "filestore_erasure_requests_open")
    let dueSoon = Gauge(label: "filestore_erasure_requests_due_soon")
    let overdue = Gauge(label: "filestore_erasure_requests_overdue")
    public let interval: Duration
    /// The window of "due soon". Default: 5 days.
    public let dueWithin: Double
    public var name: String { "erasure.stats" }

    public init(system: SystemDatabase, interval: Duration = .seconds(60), dueWithin: Double = 5 * 86_400) {
        self.system = system
        self.interval = interval
        self.dueWithin = dueWithin
    }

    public func run() async throws -> Int {
        let s = try await system.erasureStats(dueWithin: dueWithin)
        open.record(s.open)
        dueSoon.record(s.dueSoon)
        overdue.record(s.overdue)
        return 0
    }
}
