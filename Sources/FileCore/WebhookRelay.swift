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
    var repository: WebhookRepository { WebhookRepository(logger: core.logger, sealer: core.configuration.secretSealer) }

    /// The run; returns what it did. `maxRounds` bounds one run (a busy tenant's next job continues).
    public func run(tenant: TenantID, maxRounds: Int = 10_000) async throws -> Summary {
        var summary = Summary()
        let batch = max(1, configuration.batchSize)
        // 1. Outbox → deliveries, under the tenant's relay lock so two runs never interleave a file's events.
        while true {
            let n = try await core.database.transaction(tenant) { tx in
                try await repository.beginRelayRound(on: tx)
                return try await repository.fanOut(limit: batch * 5, on: tx)
            }
            summary.published += n
            if n < batch * 5 { break }
        }
        // 2. Deliver what is due, round by round: a delivered head makes the file's next event the head. A round
        //    is one transaction that publishes what was committed meanwhile and claims, the attempts, and one
        //    transaction that records them all. Several lanes run rounds at once, so one lane's transactions
        //    overlap another's attempts; order holds across lanes because a file's head in flight is leased and
        //    its next event becomes the head only when that attempt's round has committed.
        let policy = DeliveryPolicy(schedule: configuration.retrySchedule, disableAfter: configuration.disableAfter)
        let lanes = max(1, configuration.lanes)
        let roundsPerLane = max(1, maxRounds / lanes)
        summary.add(try await withThrowingTaskGroup(of: Summary.self) { group in
            for _ in 0..<lanes { group.addTask { try await lane(tenant: tenant, rounds: roundsPerLane, batch: batch, policy: policy) } }
            var total = Summary()
            for try await s in group { total.add(s) }
            return total
        })
        // 3. Wake up for the next retry (a scheduled job of its own; the leader task is the safety net).
        try await scheduleWakeUp(tenant: tenant)
        return summary
    }

    /// One lane of a run: rounds until nothing is due (or `rounds` rounds). Each round's attempts are recorded in
    /// the transaction that claims the next round, so a round costs one transaction.
    func lane(tenant: TenantID, rounds: Int, batch: Int, policy: DeliveryPolicy) async throws -> Summary {
        var summary = Summary()
        var sent: [SentAttempt] = []
        for round in 0...rounds {
            let claiming = round < rounds
            let (recorded, published, claimed) = try await core.database.transaction(tenant) { tx in
                try await repository.beginRelayRound(on: tx)
                let recorded = try await record(sent, tenant: tenant, policy: policy, on: tx)
                guard claiming else { return (recorded, 0, [ClaimedDelivery]()) }
                let published = round == 0 ? 0 : try await repository.fanOut(limit: batch * 5, on: tx)
                return (recorded, published, try await repository.claim(limit: batch, lease: configuration.lease, on: tx))
            }
            summary.add(report(sent, recorded))
            summary.published += published
            if claimed.isEmpty { break }
            sent = try await withThrowingTaskGroup(of: SentAttempt.self) { group in
                var out: [SentAttempt] = []
                out.reserveCapacity(claimed.count)
                var running = 0
                for delivery in claimed {
                    if running >= max(1, configuration.concurrency), let s = try await group.next() {
                        out.append(s)
                        running -= 1
                    }
                    group.addTask { await send(delivery) }
                    running += 1
                }
                for try await s in group { out.append(s) }
                return out
            }
        }
        return summary
    }

    /// One attempt made, not yet recorded.
    struct SentAttempt: Sendable {
        var delivery: ClaimedDelivery
        var response: WebhookResponse
        var elapsed: Duration
        var number: Int { delivery.attempts + 1 }
    }

    /// What a round recorded.
    struct RoundTally: Sendable { var attempts = 0, delivered = 0, failed = 0, disabled = 0 }

    /// Posts one delivery, signed, after checking its host's addresses again (SSRF); never throws.
    func send(_ d: ClaimedDelivery) async -> SentAttempt {
        let body = Self.body(d)
        let headers = WebhookSigner.headers(id: d.eventID, timestamp: Int(Date().timeIntervalSince1970), body: body, secrets: d.secrets)
            + [("content-type", "application/json"), ("user-agent", "filestore-webhooks/1")]
        let clock = ContinuousClock()
        let started = clock.now
        var response: WebhookResponse
        do {
            try await WebhookURLPolicy(allowPrivate: configuration.allowPrivate).checkResolved(d.url)
            response = await sender.send(url: d.url, headers: headers, body: body, timeout: configuration.timeout)
        } catch let error as FileError {
            response = WebhookResponse(status: nil, error: error.message)
        } catch {
            response = WebhookResponse(status: nil, error: "\(error)")
        }
        return SentAttempt(delivery: d, response: response, elapsed: clock.now - started)
    }

    /// A round's attempts as recorded: their rows, and how many endpoints the round disabled.
    struct Recorded: Sendable {
        var rows: [RecordedAttempt] = []
        var disabled = 0
    }

    /// Records a round's attempts in `tx` (under the relay lock): the endpoints' failure streaks (one statement
    /// for those that answered 2xx, one for those that did not), each delivery's decision and attempt-log row (one
    /// statement), and any endpoint the round disabled with its `webhook.endpoint_disabled.v1` event.
    func record(_ sent: [SentAttempt], tenant: TenantID, policy: DeliveryPolicy, on tx: PostgresConnection) async throws -> Recorded {
        guard !sent.isEmpty else { return Recorded() }
        func succeeded(_ s: SentAttempt) -> Bool { s.response.status.map { (200..<300).contains($0) } ?? false }
        // An endpoint that answered 2xx in this round is not failing continuously; one that also failed in it
        // starts a new streak now.
        try await repository.markHealthy(Array(Set(sent.filter(succeeded).map(\.delivery.endpointID))), on: tx)
        let since = try await repository.markFailing(Array(Set(sent.filter { !succeeded($0) }.map(\.delivery.endpointID))), on: tx)
        var rng = SystemRandomNumberGenerator()
        let now = Date()
        var recorded = Recorded()
        var disabling: [String: (url: String, reason: String)] = [:]
        for s in sent {
            let d = s.delivery
            let result = AttemptResult(statusCode: s.response.status, latencyMilliseconds: Self.milliseconds(s.elapsed),
                                       responsePrefix: s.response.bodyPrefix.map { String(decoding: Array($0.utf8.prefix(configuration.responsePrefixBytes)), as: UTF8.self) },
                                       error: s.response.error.map { String($0.prefix(512)) })
            let outcome: String
            var next: Date? = nil
            switch policy.decide(s.response, attempt: s.number, failingSince: since[d.endpointID], now: now, using: &rng) {
            case .delivered: outcome = "delivered"
            case .retry(let at): outcome = "retry"; next = at
            case .dead: outcome = "dead"
            case .disableEndpoint(let reason):
                // The delivery waits, pending, with this attempt counted and still due: the claim passes it over
                // while the endpoint is disabled and takes it as soon as it is enabled again (no retry step to sit
                // out after that). Attempts of the endpoint in flight at the same time meet the same 410 and end
                // here too; only the first disables the endpoint and records the event.
                outcome = "disabled"
                if disabling[d.endpointID] == nil { disabling[d.endpointID] = (d.url, reason) }
            }
            recorded.rows.append(RecordedAttempt(id: d.id, endpointID: d.endpointID, eventID: d.eventID, topic: d.topic,
                                                 aggregateID: d.aggregateID, attempt: s.number, result: result, outcome: outcome,
                                                 nextAttemptAt: next))
        }
        try await repository.record(recorded.rows, on: tx)
        for (endpoint, why) in disabling.sorted(by: { $0.key < $1.key }) where try await repository.disable(endpoint, reason: why.reason, on: tx) {
            try await recordDisabled(tenant: tenant, endpoint: endpoint, url: why.url, reason: why.reason, on: tx)
            recorded.disabled += 1
        }
        return recorded
    }

    /// After the commit: the metrics and the log lines of a recorded round, and its tally.
    func report(_ sent: [SentAttempt], _ recorded: Recorded) -> RoundTally {
        var tally = RoundTally(disabled: recorded.disabled)
        let now = Date()
        for (s, row) in zip(sent, recorded.rows) {
            tally.attempts += 1
            if row.outcome == "delivered" { tally.delivered += 1 } else { tally.failed += 1 }
            observe(AttemptObservation(outcome: row.outcome, latency: s.elapsed, sinceCommit: now.timeIntervalSince(s.delivery.occurredAt),
                                       firstAttempt: s.number == 1))
            if row.outcome != "delivered" {
                core.logger.notice("webhook attempt failed", metadata: [
                    "endpoint_id": "\(row.endpointID)", "event_id": "\(row.eventID)", "attempt": "\(row.attempt)", "outcome": "\(row.outcome)",
                    "status": "\(row.statusCode.map(String.init) ?? "none")", "error": "\(row.error ?? "")",
                ])
            }
        }
        return tally
    }

    static func milliseconds(_ d: Duration) -> Int {
        Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
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
        let type = String(decoding: try! JSONEncoder().encode(d.topic), as: UTF8.self)
        return Array("{\"type\":\(type),\"timestamp\":\"\(Self.timestamp(d.occurredAt))\",\"data\":\(d.payload)}".utf8)
    }

    /// RFC 3339 in UTC with milliseconds, to the nearest (`2026-12-04T18:45:30.123Z`), as `ISO8601DateFormatter`
    /// with fractional seconds writes it, without building a formatter per delivery.
    public static func timestamp(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var t = time_t(millis >= 0 ? millis / 1000 : (millis - 999) / 1000)
        let ms = Int(((millis % 1000) + 1000) % 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):"
            + "\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(ms), 3))Z"
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
    mutating func add(_ s: WebhookRelay.Summary) {
        published += s.published
        attempts += s.attempts
        delivered += s.delivered
        failed += s.failed
        disabledEndpoints += s.disabledEndpoints
    }


    mutating func add(_ t: WebhookRelay.RoundTally) {
        attempts += t.attempts
        delivered += t.delivered
        failed += t.failed
        disabledEndpoints += t.disabled
    }
}
