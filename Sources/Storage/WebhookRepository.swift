import Domain
import Foundation
import Logging
import PostgresNIO

/// Webhook endpoints, their deliveries and the attempt log; always inside a tenant-scoped transaction
/// (``TenantDatabase``), so row-level security confines every statement to one tenant. Signing secrets are
/// sealed by ``sealer`` on the way in and opened on the way out (bound to their endpoint's id).
public struct WebhookRepository: Sendable {
    public let logger: Logger
    public let sealer: SecretSealer

    public init(logger: Logger, sealer: SecretSealer = .none) {
        self.logger = logger
        self.sealer = sealer
    }

    static let columns = """
        id, tenant_id, url, topics, description, enabled, disabled_reason, secret, previous_secret, previous_expires_at,
        failing_since, created_at, updated_at
        """

    // MARK: Endpoints

    public func insert(_ e: WebhookEndpointRecord, on tx: PostgresConnection) async throws {
        try await tx.query("""
            INSERT INTO webhook_endpoints (id, tenant_id, url, topics, description, enabled, secret)
            VALUES (\(e.id.description), \(e.tenant.value), \(e.url), \(e.topics), \(e.description), \(e.enabled),
                    \(try sealer.seal(e.secret, context: e.id.description)))
            """, logger: logger)
    }

    /// The tenant's endpoints in id order after `after`, at most `limit`.
    public func list(after: String?, limit: Int, on tx: PostgresConnection) async throws -> [WebhookEndpointRecord] {
        try await decode(tx.query("""
            SELECT \(unescaped: Self.columns) FROM webhook_endpoints
            WHERE (\(after)::text IS NULL OR id > \(after)) ORDER BY id LIMIT \(limit)
            """, logger: logger))
    }

    public func endpoint(_ id: PrefixedID, forUpdate: Bool = false, on tx: PostgresConnection) async throws -> WebhookEndpointRecord? {
        try await decode(tx.query("""
            SELECT \(unescaped: Self.columns) FROM webhook_endpoints WHERE id = \(id.description) \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """, logger: logger)).first
    }

    /// Writes the editable fields (url, topics, description, enabled, disabled reason, failing since).
    public func update(_ e: WebhookEndpointRecord, on tx: PostgresConnection) async throws {
        try await tx.query("""
            UPDATE webhook_endpoints SET url = \(e.url), topics = \(e.topics), description = \(e.description), enabled = \(e.enabled),
              disabled_reason = \(e.disabledReason), failing_since = \(e.failingSince), updated_at = now()
            WHERE id = \(e.id.description)
            """, logger: logger)
        try await refreshHeads(endpoint: e.id.description, on: tx)
    }

    /// Deletes the endpoint with its deliveries and attempt log; `false` when there was none.
    public func delete(_ id: PrefixedID, on tx: PostgresConnection) async throws -> Bool {
        let rows = try await tx.query("DELETE FROM webhook_endpoints WHERE id = \(id.description) RETURNING id", logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Replaces the secret; the old one keeps signing until `previousUntil`.
    public func rotate(_ id: PrefixedID, newSecret: String, previousUntil: Date, on tx: PostgresConnection) async throws -> WebhookEndpointRecord? {
        try await decode(tx.query("""
            UPDATE webhook_endpoints SET previous_secret = secret, previous_expires_at = \(previousUntil),
              secret = \(try sealer.seal(newSecret, context: id.description)),
              updated_at = now()
            WHERE id = \(id.description) RETURNING \(unescaped: Self.columns)
            """, logger: logger)).first
    }

    /// Disables the endpoint (when enabled); `true` if this call disabled it.
    public func disable(_ id: String, reason: String, on tx: PostgresConnection) async throws -> Bool {
        let rows = try await tx.query("""
            UPDATE webhook_endpoints SET enabled = false, disabled_reason = \(reason), updated_at = now()
            WHERE id = \(id) AND enabled RETURNING id
            """, logger: logger)
        var disabled = false
        for try await _ in rows { disabled = true }
        if disabled { try await refreshHeads(endpoint: id, on: tx) }
        return disabled
    }

    // MARK: The relay

    /// Serializes the tenant's relay runs at the points where order matters (fan-out, claim, head changes), for
    /// the rest of `tx`.
    public func lockRelay(on tx: PostgresConnection) async throws {
        try await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('webhook.relay:' || current_tenant(), 0))", logger: logger)
    }

    /// ``lockRelay(on:)`` for a relay round's own transaction, which also commits without waiting for the WAL flush
    /// (`synchronous_commit = off` for this transaction only). Safe for the relay's bookkeeping alone: a crash may
    /// forget the last fraction of a second of claims and records — never part of one, a transaction stays atomic
    /// — and what is forgotten is sent again with the same `webhook-id` (at least once). Events themselves are
    /// written by the business transactions, durably; no API write uses this.
    public func beginRelayRound(on tx: PostgresConnection) async throws {
        try await tx.query("""
            SELECT pg_advisory_xact_lock(hashtextextended('webhook.relay:' || current_tenant(), 0)), set_config('synchronous_commit', 'off', true)
            """, logger: logger)
    }

    /// Turns up to `limit` unpublished outbox rows (in commit order per aggregate: `seq`) into one pending
    /// delivery per subscribed endpoint and marks them published. Unpublished rows are found by their flag, not
    /// by a cursor, so a row that committed after a younger one is still taken. A disabled endpoint gets its
    /// deliveries too: disabling pauses an endpoint, it never drops its events (they wait, pending, for
    /// ``claim(limit:lease:on:)`` to see it enabled again). Returns how many outbox rows it published.
    public func fanOut(limit: Int, on tx: PostgresConnection) async throws -> Int {
        // A new delivery is its file's head at that endpoint when the endpoint is enabled, it is the file's first
        // event in this batch, and no delivery of the file is pending there already.
        let rows = try await tx.query("""
            WITH ev AS (
              SELECT id, topic, aggregate_id, seq FROM outbox_events WHERE published_at IS NULL ORDER BY seq LIMIT \(limit) FOR UPDATE
            ), cand AS (
              SELECT e.id AS endpoint_id, e.enabled, ev.id AS event_id, ev.topic, ev.aggregate_id, ev.seq,
                     row_number() OVER (PARTITION BY e.id, ev.aggregate_id ORDER BY ev.seq) AS rn
              FROM ev JOIN webhook_endpoints e ON EXISTS (SELECT 1 FROM unnest(e.topics) p
                                                          WHERE p = ev.topic OR (right(p, 2) = '.*' AND starts_with(ev.topic, left(p, -1))))
            ), ins AS (
              INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, topic, aggregate_id, seq, head)
              SELECT current_tenant(), c.endpoint_id, c.event_id, c.topic, c.aggregate_id, c.seq,
                     c.enabled AND c.rn = 1 AND NOT EXISTS (
                       SELECT 1 FROM webhook_deliveries p
                       WHERE p.tenant_id = current_tenant() AND p.endpoint_id = c.endpoint_id AND p.aggregate_id = c.aggregate_id
                         AND p.state = 'pending')
              FROM cand c
              ON CONFLICT (endpoint_id, event_id) DO NOTHING
              RETURNING 1
            ), pub AS (
              UPDATE outbox_events o SET published_at = now() FROM ev WHERE o.id = ev.id RETURNING 1
            )
            SELECT (SELECT count(*) FROM pub)::int8, (SELECT count(*) FROM ins)::int8
            """, logger: logger)
        for try await (published, _) in rows.decode((Int64, Int64).self) { return Int(published) }
        return 0
    }

    /// Takes up to `limit` due deliveries under a lease of `lease` seconds, oldest due first: heads only (of each
    /// (endpoint, aggregate), the oldest pending one, of an enabled endpoint), so a file's events go out in order and
    /// a failing file's head, waiting for its retry, holds back that file only. Read from the index of unleased due
    /// heads (and the small one of leased heads, for leases a killed run left to lapse), so a claim costs the same
    /// whatever the backlog behind the heads or in flight.
    public func claim(limit: Int, lease: Double, on tx: PostgresConnection) async throws -> [ClaimedDelivery] {
        let rows = try await tx.query("""
            WITH picked AS (
              (SELECT d.id, d.next_attempt_at FROM webhook_deliveries d
               WHERE d.tenant_id = current_tenant() AND d.state = 'pending' AND d.head AND d.locked_until IS NULL
                 AND d.next_attempt_at <= now()
               ORDER BY d.next_attempt_at, d.id LIMIT \(limit))
              UNION ALL
              (SELECT d.id, d.next_attempt_at FROM webhook_deliveries d
               WHERE d.tenant_id = current_tenant() AND d.state = 'pending' AND d.head AND d.locked_until < now()
                 AND d.next_attempt_at <= now()
               ORDER BY d.locked_until LIMIT \(limit))
            ), chosen AS (
              SELECT id FROM picked ORDER BY next_attempt_at, id LIMIT \(limit)
            )
            UPDATE webhook_deliveries d SET locked_until = now() + make_interval(secs => \(lease))
            FROM webhook_endpoints e, outbox_events o
            -- By primary key (an array, not a join the planner may turn into a scan of every delivery ever made).
            WHERE d.id = ANY(ARRAY(SELECT id FROM chosen)) AND e.id = d.endpoint_id AND e.enabled AND o.id = d.event_id
            RETURNING d.id, d.endpoint_id, d.event_id, d.topic, d.aggregate_id, d.attempts, o.payload::text, o.created_at, e.url,
                      e.secret, CASE WHEN e.previous_expires_at > now() THEN e.previous_secret END, d.created_at
            """, logger: logger)
        var claimed: [ClaimedDelivery] = []
        for try await c in rows.decode((Int64, String, String, String, String, Int32, String, Date, String, String, String?, Date).self) {
            let secrets = try ([c.9] + (c.10.map { [$0] } ?? [])).map { try sealer.open($0, context: c.1) }
            claimed.append(ClaimedDelivery(id: c.0, endpointID: c.1, eventID: c.2, topic: c.3, aggregateID: c.4, attempts: Int(c.5),
                                           payload: c.6, occurredAt: c.7, url: c.8, secrets: secrets,
                                           createdAt: c.11))
        }
        return claimed.sorted { $0.id < $1.id }
    }

    /// When the next head (of an enabled endpoint) is due or its lease lapses (`nil`: none pending).
    public func nextDue(on tx: PostgresConnection) async throws -> Date? {
        let rows = try await tx.query("""
            SELECT min(greatest(d.next_attempt_at, coalesce(d.locked_until, d.next_attempt_at)))
            FROM webhook_deliveries d WHERE d.tenant_id = current_tenant() AND d.state = 'pending' AND d.head
            """, logger: logger)
        for try await at in rows.decode(Date?.self) { return at }
        return nil
    }

    /// Whether unpublished outbox rows remain.
    public func hasUnpublished(on tx: PostgresConnection) async throws -> Bool {
        let rows = try await tx.query("SELECT EXISTS (SELECT 1 FROM outbox_events WHERE published_at IS NULL)", logger: logger)
        for try await any in rows.decode(Bool.self) { return any }
        return false
    }

    // MARK: Log, dead letter, replay

    /// The endpoint's attempts, newest first, before attempt id `before`.
    public func attempts(_ endpoint: PrefixedID, before: Int64?, limit: Int, on tx: PostgresConnection) async throws -> [WebhookAttemptRecord] {
        let rows = try await tx.query("""
            SELECT id, endpoint_id, event_id, topic, attempt, at, status_code, latency_ms, response_prefix, error, outcome, next_attempt_at
            FROM webhook_attempts WHERE endpoint_id = \(endpoint.description) AND (\(before)::int8 IS NULL OR id < \(before))
            ORDER BY id DESC LIMIT \(limit)
            """, logger: logger)
        var out: [WebhookAttemptRecord] = []
        for try await c in rows.decode((Int64, String, String, String, Int32, Date, Int32?, Int32, String?, String?, String, Date?).self) {
            out.append(WebhookAttemptRecord(id: c.0, endpointID: c.1, eventID: c.2, topic: c.3, attempt: Int(c.4), at: c.5,
                                            statusCode: c.6.map(Int.init), latencyMilliseconds: Int(c.7), responsePrefix: c.8,
                                            error: c.9, outcome: c.10, nextAttemptAt: c.11))
        }
        return out
    }

    /// Deliveries in `state` (any when `nil`) of `endpoint` (any when `nil`), of `topic`, created since `since`,
    /// oldest first.
    public func deliveries(state: String?, endpoint: String?, topic: String?, since: Date?, limit: Int,
                           on tx: PostgresConnection) async throws -> [WebhookDeliveryRecord] {
        let rows = try await tx.query("""
            SELECT id, endpoint_id, event_id, topic, aggregate_id, state, attempts, next_attempt_at, created_at FROM webhook_deliveries
            WHERE (\(state)::text IS NULL OR state = \(state)) AND (\(endpoint)::text IS NULL OR endpoint_id = \(endpoint))
              AND (\(topic)::text IS NULL OR topic = \(topic)) AND (\(since)::timestamptz IS NULL OR created_at >= \(since))
            ORDER BY id LIMIT \(limit)
            """, logger: logger)
        var out: [WebhookDeliveryRecord] = []
        for try await c in rows.decode((Int64, String, String, String, String, String, Int32, Date, Date).self) {
            out.append(WebhookDeliveryRecord(id: c.0, endpointID: c.1, eventID: c.2, topic: c.3, aggregateID: c.4, state: c.5,
                                             attempts: Int(c.6), nextAttemptAt: c.7, createdAt: c.8))
        }
        return out
    }

    /// Puts deliveries back to pending, due now, with a fresh attempt count: the dead letters of `endpoint`
    /// (all endpoints when `nil`) matching the filters, or with `eventID` that one event whatever its state.
    /// Returns how many. With `dryRun`, changes nothing and returns how many it would.
    public func replay(endpoint: String?, since: Date?, topic: String?, eventID: String?, dryRun: Bool = false,
                       on tx: PostgresConnection) async throws -> Int {
        let rows: PostgresRowSequence
        if dryRun {
            rows = try await tx.query("""
                SELECT count(*)::int8 FROM webhook_deliveries
                WHERE (\(endpoint)::text IS NULL OR endpoint_id = \(endpoint)) AND (\(since)::timestamptz IS NULL OR created_at >= \(since))
                  AND (\(topic)::text IS NULL OR topic = \(topic))
                  AND (CASE WHEN \(eventID)::text IS NULL THEN state = 'dead' ELSE event_id = \(eventID) AND state <> 'pending' END)
                """, logger: logger)
        } else {
            rows = try await tx.query("""
                WITH r AS (
                  UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(), locked_until = NULL, finished_at = NULL
                  WHERE (\(endpoint)::text IS NULL OR endpoint_id = \(endpoint)) AND (\(since)::timestamptz IS NULL OR created_at >= \(since))
                    AND (\(topic)::text IS NULL OR topic = \(topic))
                    AND (CASE WHEN \(eventID)::text IS NULL THEN state = 'dead' ELSE event_id = \(eventID) AND state <> 'pending' END)
                  RETURNING 1
                ) SELECT count(*)::int8 FROM r
                """, logger: logger)
        }
        var n = 0
        for try await count in rows.decode(Int64.self) { n = Int(count) }
        if !dryRun && n > 0 { try await refreshHeads(endpoint: endpoint, on: tx) }
        return n
    }

    // MARK: Events about endpoints

    /// Writes an outbox event about an endpoint (`webhook.*`, aggregate = the endpoint) with its relay job.
    public func outbox(tenant: TenantID, topic: String, aggregateID: String, payloadJSON: String, eventID: String,
                       on tx: PostgresConnection) async throws {
        try await OutboxRelayJob.insertEvent(id: eventID, tenant: tenant, topic: topic, aggregateID: aggregateID, payloadJSON: payloadJSON,
                                             on: tx, logger: logger)
    }

    func decode(_ rows: PostgresRowSequence) async throws -> [WebhookEndpointRecord] {
        var out: [WebhookEndpointRecord] = []
        for try await c in rows.decode((String, String, String, [String], String?, Bool, String?, String, String?, Date?, Date?, Date, Date).self) {
            guard let id = PrefixedID(parsing: c.0, as: .webhook) else { throw FileError(.invalidID, "corrupt webhook row \(c.0)") }
            out.append(WebhookEndpointRecord(id: id, tenant: try TenantID(c.1), url: c.2, topics: c.3, description: c.4, enabled: c.5,
                                             disabledReason: c.6, secret: try sealer.open(c.7, context: c.0),
                                             previousSecret: try c.8.map { try sealer.open($0, context: c.0) }, previousExpiresAt: c.9,
                                             failingSince: c.10, createdAt: c.11, updatedAt: c.12))
        }
        return out
    }
}
