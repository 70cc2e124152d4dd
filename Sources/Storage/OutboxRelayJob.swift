import Domain
import Logging
import PostgresNIO

/// The relay job that every outbox insert also enqueues, in the same transaction (``enqueue(tenant:on:logger:)``):
/// kind `webhook.relay`, queue `webhooks`, one per tenant while it waits to start (unique key
/// `webhook.relay:<tenant>` in state `available` only, so a run already under way never absorbs a newer
/// event). FileCore's `RelayWebhooks` is its typed args; the handler is `Jobs/WebhookRelayWorker`.
public enum OutboxRelayJob {
    /// The job kind.
    public static let kind = "webhook.relay"
    /// The queue it runs on.
    public static let queue = "webhooks"

    /// The unique key of the tenant's waiting relay job.
    public static func uniqueKey(_ tenant: TenantID) -> String { "\(kind):\(tenant.value)" }

    /// Enqueues the tenant's relay job on `tx` (the transaction that just wrote outbox rows) unless one is
    /// already waiting. One statement, no read-back.
    public static func enqueue(tenant: TenantID, on tx: PostgresConnection, logger: Logger) async throws {
        try await tx.query("""
            INSERT INTO jobkit.jobs (queue, kind, args, unique_key, unique_states, tenant_id, max_attempts)
            VALUES (\(queue), \(kind), '{}'::jsonb, \(uniqueKey(tenant)), '{available}'::jobkit.job_state[], \(tenant.value), 20)
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// Writes one outbox event and enqueues the tenant's relay job (unless one is waiting) in a single
    /// statement on `tx`: every place that records an event calls this, so none can forget the relay job, and
    /// the request path pays one round trip per event, not two.
    public static func insertEvent(id: String, tenant: TenantID, topic: String, aggregateID: String, payloadJSON: String,
                                   traceContext: String? = nil, on tx: PostgresConnection, logger: Logger) async throws {
        try await tx.query("""
            WITH event AS (
              INSERT INTO outbox_events (id, tenant_id, topic, aggregate_id, payload, trace_context)
              VALUES (\(id), \(tenant.value), \(topic), \(aggregateID), \(payloadJSON)::jsonb, \(traceContext))
              RETURNING tenant_id)
            INSERT INTO jobkit.jobs (queue, kind, args, unique_key, unique_states, tenant_id, max_attempts)
            SELECT \(queue), \(kind), '{}'::jsonb, \(uniqueKey(tenant)), '{available}'::jobkit.job_state[], tenant_id, 20 FROM event
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }
}
