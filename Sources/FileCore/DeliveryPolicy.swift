import Foundation

/// What becomes of a delivery after an attempt: a pure decision over the answer, the attempt number and the
/// endpoint's failure streak (tested on its own).
public struct DeliveryPolicy: Sendable {
    public var schedule: RetrySchedule
    /// Continuous failure for this long disables the endpoint.
    public var disableAfter: TimeInterval
    /// The longest `Retry-After` honoured (longer values are cut to it). Default: the schedule's longest delay.
    public var maxRetryAfter: TimeInterval

    public init(schedule: RetrySchedule, disableAfter: TimeInterval) {
        self.schedule = schedule
        self.disableAfter = disableAfter
        self.maxRetryAfter = schedule.delays.max() ?? 3600
    }

    public enum Decision: Sendable, Hashable {
        /// A 2xx: done.
        case delivered
        /// Try again at this time.
        case retry(at: Date)
        /// Retries exhausted: the endpoint's dead letter.
        case dead
        /// Disable the endpoint (410 Gone, or failing for ``disableAfter``); the delivery waits, pending.
        case disableEndpoint(reason: String)
    }

    /// The decision after attempt number `attempt` (1-based) answered `response`, for an endpoint failing
    /// since `failingSince` (counting this failure).
    public func decide<R: RandomNumberGenerator>(_ response: WebhookResponse, attempt: Int, failingSince: Date?, now: Date,
                                                 using random: inout R) -> Decision {
        if let status = response.status, (200..<300).contains(status) { return .delivered }
        if response.status == 410 { return .disableEndpoint(reason: "the endpoint answered 410 Gone") }
        if let since = failingSince, now.timeIntervalSince(since) >= disableAfter {
            return .disableEndpoint(reason: "failing continuously since \(ISO8601DateFormatter().string(from: since))")
        }
        guard var delay = schedule.delay(after: attempt, using: &random) else { return .dead }
        if let status = response.status, status == 429 || status == 503, let after = response.retryAfter {
            delay = max(delay, min(after, maxRetryAfter))
        }
        return .retry(at: now.addingTimeInterval(delay))
    }
}
