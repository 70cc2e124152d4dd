import FileCore
import Foundation
import Metrics
import Synchronization

/// The relay's metrics: `filestore_webhook_deliveries_total{outcome}` (delivered, retry, dead, disabled),
/// `filestore_webhook_attempt_duration_seconds`, `filestore_webhook_commit_to_delivery_seconds` (first attempts
/// that succeeded), and the gauges set by ``WebhookStatsTask``: `filestore_webhook_relay_lag_seconds` (age of the
/// oldest undelivered event), `filestore_webhook_pending_deliveries`, `filestore_webhook_dead_letters`,
/// `filestore_webhook_disabled_endpoints`.
public final class WebhookMetrics: Sendable {
    private let counters = Mutex<[String: Counter]>([:])
    let attemptDuration = Metrics.Timer(label: "filestore_webhook_attempt_duration_seconds", preferredDisplayUnit: .seconds)
    let commitToDelivery = Metrics.Timer(label: "filestore_webhook_commit_to_delivery_seconds", preferredDisplayUnit: .seconds)
    let lag = Gauge(label: "filestore_webhook_relay_lag_seconds")
    let pending = Gauge(label: "filestore_webhook_pending_deliveries")
    let dead = Gauge(label: "filestore_webhook_dead_letters")
    let disabled = Gauge(label: "filestore_webhook_disabled_endpoints")

    public init() {}

    /// Records one attempt.
    public func observe(_ o: WebhookRelay.AttemptObservation) {
        let counter = counters.withLock { c in
            if let existing = c[o.outcome] { return existing }
            let new = Counter(label: "filestore_webhook_deliveries_total", dimensions: [("outcome", o.outcome)])
            c[o.outcome] = new
            return new
        }
        counter.increment()
        attemptDuration.record(duration: o.latency)
        if o.outcome == "delivered" && o.firstAttempt { commitToDelivery.recordSeconds(max(0, o.sinceCommit)) }
    }
}
