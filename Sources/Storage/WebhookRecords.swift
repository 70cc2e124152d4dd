import Domain
import Foundation

/// A tenant's webhook endpoint as stored (`webhook_endpoints`).
public struct WebhookEndpointRecord: Sendable, Hashable {
    public var id: PrefixedID
    public var tenant: TenantID
    public var url: String
    /// Exact topic names, or a prefix pattern such as `file.*`.
    public var topics: [String]
    public var description: String?
    public var enabled: Bool
    public var disabledReason: String?
    /// `whsec_<base64>`: signs every delivery.
    public var secret: String
    /// The secret before the last rotation, still signing until ``previousExpiresAt``.
    public var previousSecret: String?
    public var previousExpiresAt: Date?
    /// When the current run of consecutive failures began; `nil` while deliveries succeed.
    public var failingSince: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: PrefixedID, tenant: TenantID, url: String, topics: [String], description: String?, enabled: Bool,
                disabledReason: String?, secret: String, previousSecret: String?, previousExpiresAt: Date?,
                failingSince: Date?, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.tenant = tenant
        self.url = url
        self.topics = topics
        self.description = description
        self.enabled = enabled
        self.disabledReason = disabledReason
        self.secret = secret
        self.previousSecret = previousSecret
        self.previousExpiresAt = previousExpiresAt
        self.failingSince = failingSince
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The secrets that sign a delivery at `now`: the current one, and the previous one during its overlap.
    public func signingSecrets(at now: Date) -> [String] {
        if let previousSecret, let until = previousExpiresAt, until > now { return [secret, previousSecret] }
        return [secret]
    }
}

/// A delivery taken by a relay run: the event, where it goes, and its lease.
public struct ClaimedDelivery: Sendable, Hashable {
    public var id: Int64
    public var endpointID: String
    public var eventID: String
    public var topic: String
    public var aggregateID: String
    /// Attempts made before this one.
    public var attempts: Int
    /// The outbox payload (JSON text).
    public var payload: String
    /// When the event was committed.
    public var occurredAt: Date
    public var url: String
    public var secrets: [String]
    /// When this delivery's first attempt was made (`nil` before the first).
    public var createdAt: Date
}

/// One attempt as the tenant reads it (`GET /v1/webhooks/{id}/deliveries`).
public struct WebhookAttemptRecord: Sendable, Hashable {
    public var id: Int64
    public var endpointID: String
    public var eventID: String
    public var topic: String
    public var attempt: Int
    public var at: Date
    public var statusCode: Int?
    public var latencyMilliseconds: Int
    public var responsePrefix: String?
    public var error: String?
    /// `delivered`, `retry`, `dead` or `disabled`.
    public var outcome: String
    public var nextAttemptAt: Date?
}

/// One delivery (event × endpoint) for operators (`filestore events list`).
public struct WebhookDeliveryRecord: Sendable, Hashable {
    public var id: Int64
    public var endpointID: String
    public var eventID: String
    public var topic: String
    public var aggregateID: String
    /// `pending`, `delivered` or `dead`.
    public var state: String
    public var attempts: Int
    public var nextAttemptAt: Date
    public var createdAt: Date
}

/// The result of an attempt, as the relay records it.
public struct AttemptResult: Sendable, Hashable {
    public var statusCode: Int?
    public var latencyMilliseconds: Int
    public var responsePrefix: String?
    public var error: String?
    public init(statusCode: Int?, latencyMilliseconds: Int, responsePrefix: String?, error: String?) {
        self.statusCode = statusCode
        self.latencyMilliseconds = latencyMilliseconds
        self.responsePrefix = responsePrefix
        self.error = error
    }
}
