import FileCore
import FilestoreConfig
import JobKit
import Jobs
import Logging
import PostgresNIO
import ServiceLifecycle
import Storage

/// The relay's parts of a worker process: the `webhook.relay` handler (when it works the `webhooks` queue) with
/// its HTTP client, which a service shuts down last, and the leader tasks (the leftover sweep, the gauges).
struct WebhookParts {
    var services: [any Service] = []
    var leaderTasks: [any LeaderTask] = []

    init(registry: inout JobRegistry, configuration: FilestoreConfiguration, postgres: PostgresClient, system: SystemDatabase?,
         queues: [String], blobs: any BlobStore) {
        let metrics = WebhookMetrics()
        let delivery = configuration.webhooks.delivery
        if queues.contains(OutboxRelayJob.queue) {
            let sender = AsyncHTTPWebhookSender(allowPrivate: delivery.allowPrivate, timeout: delivery.timeout,
                                                responsePrefixBytes: delivery.responsePrefixBytes, connectionsPerHost: delivery.concurrency)
            var core = FileCoreConfiguration()
            core.webhooks = delivery
            core.secretSealer = SecretSealer(configuration.keys.encryption.map(\.pair))
            registry.register(WebhookRelayWorker(core: FileCore(database: TenantDatabase(postgres: postgres, logger: makeLogger("filestore.webhooks")),
                                                                blobs: blobs, configuration: core),
                                                 sender: sender, metrics: metrics))
            services.append(SenderShutdown(sender: sender))
        }
        if let system {
            leaderTasks.append(WebhookRelayTask(system: system, jobs: JobClient(postgres: postgres, logger: makeLogger("filestore.webhooks")),
                                                interval: configuration.webhooks.sweepInterval,
                                                minAge: max(1, Double(configuration.webhooks.sweepInterval.components.seconds) / 2)))
            leaderTasks.append(WebhookStatsTask(system: system, metrics: metrics))
        }
    }

    /// Closes the relay's HTTP client when the process stops (after the workers drained: it is added before them).
    struct SenderShutdown: Service {
        let sender: AsyncHTTPWebhookSender
        func run() async throws {
            try? await gracefulShutdown()
            try await sender.shutdown()
        }
    }
}
