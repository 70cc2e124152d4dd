import Domain
import FileCore
import JobKit
import Storage

/// The relay's safety net (leader task `webhook.relay.sweep`): every ``interval`` it asks the system path which
/// tenants have outbox rows left unpublished for longer than ``minAge`` or deliveries due and not leased (a run
/// that died, a wake-up that was lost) and enqueues their relay job. Idle, it is one cheap query.
public struct WebhookRelayTask: LeaderTask {
    let system: SystemDatabase
    let jobs: JobClient
    public let interval: Duration
    /// Seconds an outbox row may wait for the relay job of its own transaction before the sweep steps in.
    let minAge: Double
    let maxTenantsPerRun: Int

    public var name: String { "webhook.relay.sweep" }

    public init(system: SystemDatabase, jobs: JobClient, interval: Duration = .seconds(10), minAge: Double = 5, maxTenantsPerRun: Int = 10_000) {
        self.system = system
        self.jobs = jobs
        self.interval = interval
        self.minAge = minAge
        self.maxTenantsPerRun = maxTenantsPerRun
    }

    public func run() async throws -> Int {
        var after: TenantID?
        var enqueued = 0, seen = 0
        while seen < maxTenantsPerRun {
            let tenants = try await system.tenantsWithWebhookWork(after: after, limit: 500, minAge: minAge)
            guard let last = tenants.last else { break }
            enqueued += try await jobs.enqueueMany(try tenants.map { tenant in
                try JobInsert(RelayWebhooks(), options: InsertOptions(uniqueKey: OutboxRelayJob.uniqueKey(tenant), uniqueStates: [.available],
                                                                     tenantID: tenant.value))
            })
            seen += tenants.count
            after = last
            if tenants.count < 500 { break }
        }
        return enqueued
    }
}

/// Sets the relay's gauges (``WebhookMetrics``) from the system path every ``interval`` (leader task
/// `webhook.stats`).
public struct WebhookStatsTask: LeaderTask {
    let system: SystemDatabase
    let metrics: WebhookMetrics
    public let interval: Duration
    public var name: String { "webhook.stats" }

    public init(system: SystemDatabase, metrics: WebhookMetrics, interval: Duration = .seconds(15)) {
        self.system = system
        self.metrics = metrics
        self.interval = interval
    }

    public func run() async throws -> Int {
        let s = try await system.webhookStats()
        metrics.lag.record(s.oldestUndeliveredAge)
        metrics.pending.record(s.pending)
        metrics.dead.record(s.dead)
        metrics.disabled.record(s.disabledEndpoints)
        return 0
    }
}
