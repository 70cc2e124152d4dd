import Domain
import Foundation
import JobKit
import Logging
import PostgresNIO
import Storage

/// One relay run for one tenant (the `webhook.relay` job): publishes the tenant's unpublished outbox rows as
/// deliveries, then delivers what is due — each (endpoint, file)'s oldest pending event only, so a file's events
/// arrive in commit order and a failing file holds back nobody else — until nothing is due, and finally
/// schedules a wake-up for the next retry. Deliveries are leased while in flight: a run killed mid-batch
/// leaves them to be taken again when the lease lapses (at-least-once, same `webhook-id`).
public struct WebhookRelay: Sendable {
    let core: FileCore
    let sender: any WebhookSender
    /// Called once per attempt (metrics).
    let observe: @Sendable (AttemptObservation) -> Void

    /// One attempt, for metrics.
    public struct AttemptObservation: Sendable {
        public var outcome: String
        public var latency: Duration
        /// From the event's commit to this attempt's answer.
        public var sinceCommit: TimeInterval
        public var firstAttempt: Bool
    }

    /// What a run did.
    public struct Summary: Sendable, Hashable {
        public var published = 0
        public var attempts = 0
        public var delivered = 0
        public var failed = 0
        public var disabledEndpoints = 0
    }

    public init(core: FileCore, sender: any WebhookSender, observe: @escaping @Sendable (AttemptObservation) -> Void = { _ in }) {
        self.core = core
        self.sender = sender
        self.observe = observe
    }

    var configuration: WebhookConfiguration { core.configuration.webhooks }
    var repository: WebhookRepository { WebhookRepository(logger: core.logger) }

    /// The run; returns what it did. `maxRounds` bounds one run (a busy tenant's next job continues).
    public func run(tenant: TenantID, maxRounds: Int = 10_000) async throws -> Summary {
        var summary = Summary()
        let batch = max(1, configuration.batchSize)
        // 1. Outbox → deliveries, under the tenant's relay lock so two runs never interleave a file's events.
        while true {
            let n = try await core.database.transaction(tenant) { tx in
                try await repository.lockRelay(on: tx)
                return try await repository.fanOut(limit: batch * 5, on: tx)
            }
            summary.published += n
            if n < batch * 5 { break }
        }
        // 2. Deliver what is due, round by round: a delivered head makes the file's next event the head.
        let policy = DeliveryPolicy(schedule: configuration.retrySchedule, disableAfter: configuration.disableAfter)
        for _ in 0..<maxRounds {
            let claimed = try await core.database.transaction(tenant) { tx in
                try await repository.lockRelay(on: tx)
                return try await repository.claim(limit: batch, lease: configuration.lease, on: tx)
            }
            if claimed.isEmpty { break }
            try await withThrowingTaskGroup(of: AttemptTally.self) { group in
                var running = 0
                for delivery in claimed {
                    if running >= max(1, configuration.concurrency), let t = try await group.next() {
                        summary.add(t)
                        running -= 1
                    }
                    group.addTask { try await attempt(delivery, tenant: tenant, policy: policy) }
                    running += 1
                }
                for try await t in group { summary.add(t) }
            }
            // New events committed meanwhile join the next round.
            summary.published += try await core.database.transaction(tenant) { tx in
                try await repository.lockRelay(on: tx)
                return try await repository.fanOut(limit: batch * 5, on: tx)
            }
        }
        // 3. Wake up for the next retry (a scheduled job of its own; the leader task is the safety net).
        try await scheduleWakeUp(tenant: tenant)
        return summary
    }

    struct AttemptTally: Sendable { var delivered = 0, failed = 0, disabled = 0 }

    func attempt(_ d: ClaimedDelivery, tenant: TenantID, policy: DeliveryPolicy) async throws -> AttemptTally {
        let number = d.attempts + 1
        let body = Self.body(d)
        let now = Date()
        let headers = WebhookSigner.headers(id: d.eventID, timestamp: Int(now.timeIntervalSince1970), body: body, secrets: d.secrets)
            + [("content-type", "application/json"), ("user-agent", "filestore-webhooks/1")]
        let clock = ContinuousClock()
        let started = clock.now
        var response: WebhookResponse
        do {
            // The host's addresses again, after DNS resolution, before connecting (SSRF).
            try await WebhookURLPolicy(allowPrivate: configuration.allowPrivate).checkResolved(d.url)
            response = await sender.send(url: d.url, headers: headers, body: body, timeout: configuration.timeout)
        } catch let error as FileError {
            response = WebhookResponse(status: nil, error: error.message)
        }
        let elapsed = clock.now - started
        let ms = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        let result = AttemptResult(statusCode: response.status, latencyMilliseconds: ms,
                                   responsePrefix: response.bodyPrefix.map { String(decoding: Array($0.utf8.prefix(configuration.responsePrefixBytes)), as: UTF8.self) },
                                   error: response.error.map { String($0.prefix(512)) })
        var tally = AttemptTally()
        let outcome = try await core.database.transaction(tenant) { tx -> String in
            let success = response.status.map { (200..<300).contains($0) } ?? false
            var since: Date? = nil
            if success { try await repository.markHealthy(d.endpointID, on: tx) } else { since = try await repository.markFailing(d.endpointID, on: tx) }
            var rng = SystemRandomNumberGenerator()
            switch policy.decide(response, attempt: number, failingSince: since, now: Date(), using: &rng) {
            case .delivered:
                try await repository.record(d, attempt: number, result: result, outcome: "delivered", nextAttemptAt: nil, on: tx)
                return "delivered"
            case .retry(let at):
                try await repository.record(d, attempt: number, result: result, outcome: "retry", nextAttemptAt: at, on: tx)
                return "retry"
            case .dead:
                try await repository.record(d, attempt: number, result: result, outcome: "dead", nextAttemptAt: nil, on: tx)
                return "dead"
            case .disableEndpoint(let reason):
                // The delivery waits, pending, with this attempt counted and still due: the claim passes it over
                // while the endpoint is disabled and takes it as soon as it is enabled again (no retry step to sit
                // out after that). Attempts of the endpoint in flight at the same time meet the same 410 and end
                // here too; only the first disables the endpoint and records the event.
                try await repository.record(d, attempt: number, result: result, outcome: "disabled", nextAttemptAt: nil, on: tx)
                if try await repository.disable(d.endpointID, reason: reason, on: tx) {
                    try await recordDisabled(tenant: tenant, endpoint: d.endpointID, url: d.url, reason: reason, on: tx)
                    tally.disabled = 1
                }
                return "disabled"
            }
        }
        if outcome == "delivered" { tally.delivered = 1 } else { tally.failed = 1 }
        observe(AttemptObservation(outcome: outcome, latency: elapsed, sinceCommit: Date().timeIntervalSince(d.occurredAt),
                                   firstAttempt: number == 1))
        if outcome != "delivered" {
            core.logger.notice("webhook attempt failed", metadata: [
                "endpoint_id": "\(d.endpointID)", "event_id": "\(d.eventID)", "attempt": "\(number)", "outcome": "\(outcome)",
                "status": "\(response.status.map(String.init) ?? "none")", "error": "\(response.error ?? "")",
            ])
        }
        return tally
    }

    func recordDisabled(tenant: TenantID, endpoint: String, url: String, reason: String, on tx: PostgresConnection) async throws {
        let id = PrefixedID(.event).description
        let payload = WebhookEndpointDisabled(event_id: id, topic: WebhookEndpointDisabled.topic,
                                              occurred_at: ISO8601DateFormatter().string(from: Date()), tenant_id: tenant.value,
                                              endpoint_id: endpoint, url: url, reason: reason)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(payload), as: UTF8.self)
        try await repository.outbox(tenant: tenant, topic: WebhookEndpointDisabled.topic, aggregateID: endpoint, payloadJSON: json,
                                    eventID: id, on: tx)
    }

    /// The body: `{"type", "timestamp", "data"}` (Standard Webhooks), the same bytes on every attempt.
    static func body(_ d: ClaimedDelivery) -> [UInt8] {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let type = String(decoding: try! JSONEncoder().encode(d.topic), as: UTF8.self)
        let ts = String(decoding: try! JSONEncoder().encode(formatter.string(from: d.occurredAt)), as: UTF8.self)
        return Array("{\"type\":\(type),\"timestamp\":\(ts),\"data\":\(d.payload)}".utf8)
    }

    func scheduleWakeUp(tenant: TenantID) async throws {
        try await core.database.transaction(tenant) { tx in
            guard let due = try await repository.nextDue(on: tx) else { return }
            let at = max(due, Date())
            let second = Int(at.timeIntervalSince1970.rounded(.up))
            try await core.jobs.enqueue(RelayWebhooks(), options: InsertOptions(
                scheduledAt: Date(timeIntervalSince1970: Double(second)), uniqueKey: "\(RelayWebhooks.kind).at:\(tenant.value):\(second)",
                uniqueStates: [.scheduled, .available], tenantID: tenant.value), on: tx)
        }
    }
}

extension WebhookRelay.Summary {
    mutating func add(_ t: WebhookRelay.AttemptTally) {
        attempts += 1
        delivered += t.delivered
        failed += t.failed
        disabledEndpoints += t.disabled
    }
}
