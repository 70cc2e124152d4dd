import JobKit
import Storage

/// The args of the relay job (kind `webhook.relay`, queue `webhooks`): none — the tenant is the row's
/// `tenant_id`. Enqueued by every outbox insert (``Storage/OutboxRelayJob``), by the leader task that catches
/// leftovers, and as a scheduled wake-up for the next retry.
public struct RelayWebhooks: JobArgs, Hashable {
    public static var kind: String { OutboxRelayJob.kind }
    public static var defaultQueue: String { OutboxRelayJob.queue }
    public init() {}
}
