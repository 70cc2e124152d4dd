import Foundation
import Hummingbird
import Storage

/// A webhook endpoint as the API returns it; `secret` only in the answers of create and rotate-secret.
public struct WebhookResource: ResponseCodable, Sendable, Hashable {
    public var id: String
    public var url: String
    public var topics: [String]
    public var description: String?
    public var enabled: Bool
    public var disabled_reason: String?
    public var failing_since: Date?
    /// `whsec_…`, shown once.
    public var secret: String?
    /// Until when the previous secret still signs (after a rotation).
    public var previous_secret_expires_at: Date?
    public var created_at: Date
    public var updated_at: Date

    init(_ e: WebhookEndpointRecord, showSecret: Bool = false) {
        id = e.id.description
        url = e.url
        topics = e.topics
        description = e.description
        enabled = e.enabled
        disabled_reason = e.disabledReason
        failing_since = e.failingSince
        secret = showSecret ? e.secret : nil
        previous_secret_expires_at = e.previousExpiresAt.flatMap { $0 > Date() ? $0 : nil }
        created_at = e.createdAt
        updated_at = e.updatedAt
    }
}

public struct WebhookPage: ResponseCodable, Sendable {
    public var webhooks: [WebhookResource]
    public var next_cursor: String?
}

/// One attempt of the delivery log.
public struct WebhookAttemptResource: Codable, Sendable, Hashable {
    public var id: Int64
    public var event_id: String
    public var topic: String
    public var attempt: Int
    public var at: Date
    public var status_code: Int?
    public var latency_ms: Int
    public var response: String?
    public var error: String?
    /// `delivered`, `retry`, `dead` (retries exhausted: the dead letter) or `disabled`.
    public var outcome: String
    public var next_attempt_at: Date?

    init(_ a: WebhookAttemptRecord) {
        id = a.id
        event_id = a.eventID
        topic = a.topic
        attempt = a.attempt
        at = a.at
        status_code = a.statusCode
        latency_ms = a.latencyMilliseconds
        response = a.responsePrefix
        error = a.error
        outcome = a.outcome
        next_attempt_at = a.nextAttemptAt
    }
}

public struct WebhookAttemptPage: ResponseCodable, Sendable {
    public var deliveries: [WebhookAttemptResource]
    public var next_cursor: String?
}

public struct WebhookReplayResult: ResponseCodable, Sendable {
    public var replayed: Int
}
