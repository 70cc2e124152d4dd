import Foundation

/// How webhooks are delivered and which endpoints are accepted. Every field has a documented default.
public struct WebhookConfiguration: Sendable, Hashable {
    /// Accept plain `http` URLs and loopback, private, link-local and metadata addresses
    /// (`FILESTORE_WEBHOOK_ALLOW_PRIVATE`; development and tests). Default: `false`.
    public var allowPrivate: Bool
    /// The retry schedule after a failed attempt. Default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, ±20 % jitter.
    public var retrySchedule: RetrySchedule
    /// How long one attempt may take (connect, send, answer). Default: 15 s.
    public var timeout: Duration
    /// An endpoint failing continuously for this long is disabled. Default: 5 days.
    public var disableAfter: TimeInterval
    /// How long the previous secret keeps signing after a rotation. Default: 24 h.
    public var rotationOverlap: TimeInterval
    /// How long a relay run holds the deliveries it took; a killed run's deliveries are taken again after it.
    /// Default: 60 s (more than ``timeout``).
    public var lease: TimeInterval
    /// Deliveries taken per round of a relay run. Default: 100.
    public var batchSize: Int
    /// Attempts in flight at once in one relay run. Default: 32.
    public var concurrency: Int
    /// Rounds a relay run has going at once (each claims, sends and records its own batch), so that one round's
    /// transactions overlap another's attempts. Default: 2.
    public var lanes: Int
    /// The response bytes kept in the attempt log. Default: 256.
    public var responsePrefixBytes: Int

    public init(allowPrivate: Bool = false, retrySchedule: RetrySchedule = RetrySchedule(), timeout: Duration = .seconds(15),
                disableAfter: TimeInterval = 5 * 86400, rotationOverlap: TimeInterval = 86400, lease: TimeInterval = 60,
                batchSize: Int = 100, concurrency: Int = 32, lanes: Int = 2, responsePrefixBytes: Int = 256) {
        self.allowPrivate = allowPrivate
        self.retrySchedule = retrySchedule
        self.timeout = timeout
        self.disableAfter = disableAfter
        self.rotationOverlap = rotationOverlap
        self.lease = lease
        self.batchSize = batchSize
        self.concurrency = concurrency
        self.lanes = lanes
        self.responsePrefixBytes = responsePrefixBytes
    }
}
