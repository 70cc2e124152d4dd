/// Every topic this service emits and consumes; `events/file-storage/REGISTRY.md` lists the same (a test checks both ways).
public enum EventTopics {
    /// Written to the outbox and delivered to webhooks.
    public static let emitted: Set<String> = [
        "file.uploaded.v1", "file.scanned.v1", "file.quarantined.v1", "file.ready.v1", "file.failed.v1", "file.deleted.v1",
        "file.erased.v1", WebhookEndpointDisabled.topic, DataSubjectRequestCompleted.topic,
        ReadinessDegraded.topic, ReadinessRestored.topic,
    ]
    /// Accepted by the inbox (`POST /v1/inbox/{source}`).
    public static let consumed: Set<String> = ["tenant.deleted.v1", "dsr.requested.v1", "tenant.plan_changed.v1"]
}

/// The payload of `webhook.endpoint_disabled.v1`.
public struct WebhookEndpointDisabled: Codable, Sendable {
    public static let topic = "webhook.endpoint_disabled.v1"
    public var event_id: String
    public var topic: String
    public var occurred_at: String
    public var tenant_id: String
    public var endpoint_id: String
    public var url: String
    public var reason: String
}
