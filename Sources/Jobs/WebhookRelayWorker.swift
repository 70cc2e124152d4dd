import Domain
import FileCore
import JobKit

/// The `webhook.relay` job (queue `webhooks`): one relay run for the job's tenant (``FileCore/WebhookRelay``).
/// Enqueued in the transaction of every outbox insert, by ``WebhookRelayTask`` for leftovers, and as the
/// scheduled wake-up for the next retry. A run that dies leaves its deliveries leased; they are taken again
/// when the lease lapses.
public struct WebhookRelayWorker: JobWorker {
    public typealias Args = RelayWebhooks

    let relay: WebhookRelay
    public let options: JobWorkerOptions

    public init(core: FileCore, sender: any WebhookSender, metrics: WebhookMetrics = WebhookMetrics(),
                options: JobWorkerOptions = JobWorkerOptions(timeout: .seconds(600), retryPolicy: RetryPolicy(base: .seconds(2)))) {
        self.relay = WebhookRelay(core: core, sender: sender, observe: { metrics.observe($0) })
        self.options = options
    }

    public func work(_ job: Job<Args>) async throws {
        guard let text = job.tenantID, let tenant = try? TenantID(text) else {
            throw JobCancel("webhook.relay job \(job.id) names no valid tenant")
        }
        let s = try await relay.run(tenant: tenant)
        if s.published + s.attempts > 0 {
            job.logger.info("relayed", metadata: ["tenant_id": "\(tenant)", "published": "\(s.published)", "attempts": "\(s.attempts)",
                                                  "delivered": "\(s.delivered)", "failed": "\(s.failed)"])
        }
    }
}
