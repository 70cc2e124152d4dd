import Domain
import Foundation
import PostgresNIO

/// One attempt's outcome as a relay round records it (``WebhookRepository/record(_:on:)``).
public struct RecordedAttempt: Sendable, Hashable, Encodable {
    /// The delivery (`webhook_deliveries.id`).
    public var id: Int64
    public var endpointID: String
    public var eventID: String
    public var topic: String
    /// The file (aggregate) the event is about: a head recorded delivered or dead hands the head to its next event.
    public var aggregateID: String
    public var attempt: Int
    public var statusCode: Int?
    public var latencyMilliseconds: Int
    public var responsePrefix: String?
    public var error: String?
    /// `delivered`, `retry`, `dead` or `disabled`.
    public var outcome: String
    /// When the next attempt is due (`retry` only).
    public var nextAttemptAt: Date?

    public init(id: Int64, endpointID: String, eventID: String, topic: String, aggregateID: String, attempt: Int, result: AttemptResult,
                outcome: String, nextAttemptAt: Date?) {
        self.id = id
        self.endpointID = endpointID
        self.eventID = eventID
        self.topic = topic
        self.aggregateID = aggregateID
        self.attempt = attempt
        self.statusCode = result.statusCode
        self.latencyMilliseconds = result.latencyMilliseconds
        self.responsePrefix = result.responsePrefix.map(Self.storable)
        self.error = result.error.map(Self.storable)
        self.outcome = outcome
        self.nextAttemptAt = nextAttemptAt
    }

    /// The delivery's state after this attempt.
    var state: String { switch outcome { case "delivered": "delivered"; case "dead": "dead"; default: "pending" } }

    /// PostgreSQL text holds no NUL character; a receiver's answer may.
    static func storable(_ text: String) -> String { text.contains("\u{0}") ? text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : text }

    enum CodingKeys: String, CodingKey {
        case id, endpointID = "endpoint_id", eventID = "event_id", topic, attempt, statusCode = "status_code",
             latencyMilliseconds = "latency_ms", responsePrefix = "response_prefix", error, outcome, state, nextAttemptAt = "next_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(endpointID, forKey: .endpointID)
        try c.encode(eventID, forKey: .eventID)
        try c.encode(topic, forKey: .topic)
        try c.encode(attempt, forKey: .attempt)
        try c.encodeIfPresent(statusCode, forKey: .statusCode)
        try c.encode(latencyMilliseconds, forKey: .latencyMilliseconds)
        try c.encodeIfPresent(responsePrefix, forKey: .responsePrefix)
        try c.encodeIfPresent(error, forKey: .error)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(state, forKey: .state)
        try c.encodeIfPresent(nextAttemptAt?.timeIntervalSince1970, forKey: .nextAttemptAt)
    }
}

extension WebhookRepository {
    /// Clears the failure streak of every endpoint in `ids` (a round's endpoints that answered 2xx).
    public func markHealthy(_ ids: [String], on tx: PostgresConnection) async throws {
        guard !ids.isEmpty else { return }
        try await tx.query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ANY(\(ids)) AND failing_since IS NOT NULL",
                           logger: logger)
    }

    /// Marks every endpoint in `ids` failing (from now, unless it already is); returns since when each has failed.
    public func markFailing(_ ids: [String], on tx: PostgresConnection) async throws -> [String: Date] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await tx.query("""
            UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now()) WHERE id = ANY(\(ids)) RETURNING id, failing_since
            """, logger: logger)
        var out: [String: Date] = [:]
        for try await (id, since) in rows.decode((String, Date).self) { out[id] = since }
        return out
    }

    /// Records a round's attempts in one statement: each delivery's new state (`delivered`, `dead`, or `pending`
    /// again — at its next attempt time for `retry`, still due as it was for `disabled`), its attempt-log row (in
    /// delivery order), and for each file whose head finished, its next pending delivery made the head (when the
    /// endpoint is enabled). Call it under the tenant's relay lock, so that fan-out (which decides whether a new
    /// delivery is a head) sees every head change committed.
    public func record(_ attempts: [RecordedAttempt], on tx: PostgresConnection) async throws {
        guard !attempts.isEmpty else { return }
        let json = String(decoding: try JSONEncoder().encode(attempts), as: UTF8.self)
        try await tx.query("""
            WITH r AS (
              SELECT * FROM jsonb_to_recordset(\(json)::jsonb) AS r(id int8, endpoint_id text, event_id text, topic text, attempt int4,
                status_code int4, latency_ms int4, response_prefix text, error text, outcome text, state text, next_at float8)
            ), upd AS (
              UPDATE webhook_deliveries d SET state = r.state, attempts = r.attempt, locked_until = NULL, head = d.head AND r.state = 'pending',
                next_attempt_at = coalesce(to_timestamp(r.next_at), d.next_attempt_at),
                finished_at = CASE WHEN r.state = 'pending' THEN NULL ELSE now() END
              -- Rows by primary key (the array), whatever the planner thinks of the table's size.
              FROM r WHERE d.id = ANY(ARRAY(SELECT id FROM r)) AND d.id = r.id
              RETURNING d.id, d.tenant_id, d.endpoint_id, d.aggregate_id, d.state
            ), nxt AS (
              -- The statement's snapshot still shows each finished head pending, first in its file's seq order (it
              -- was the head): the next one is the second.
              SELECT n.id FROM (SELECT DISTINCT endpoint_id, aggregate_id FROM upd WHERE state <> 'pending') f
              CROSS JOIN LATERAL (
                SELECT p.id FROM webhook_deliveries p
                WHERE p.tenant_id = current_tenant() AND p.endpoint_id = f.endpoint_id AND p.aggregate_id = f.aggregate_id
                  AND p.state = 'pending'
                ORDER BY p.tenant_id, p.endpoint_id, p.aggregate_id, p.seq OFFSET 1 LIMIT 1) n
            ), promoted AS (
              UPDATE webhook_deliveries d SET head = true FROM webhook_endpoints e
              WHERE d.id = ANY(ARRAY(SELECT id FROM nxt)) AND e.id = d.endpoint_id AND e.enabled RETURNING 1
            )
            INSERT INTO webhook_attempts (tenant_id, endpoint_id, event_id, topic, attempt, status_code, latency_ms, response_prefix,
                                          error, outcome, next_attempt_at)
            SELECT upd.tenant_id, r.endpoint_id, r.event_id, r.topic, r.attempt, r.status_code, r.latency_ms, r.response_prefix, r.error,
                   r.outcome, to_timestamp(r.next_at)
            FROM upd JOIN r ON r.id = upd.id ORDER BY r.id
            """, logger: logger)
    }

    /// Recomputes which pending deliveries are heads — of each (endpoint, aggregate) the one with the lowest `seq`
    /// when the endpoint is enabled, none when it is disabled — for one endpoint, or (`nil`) for the whole tenant.
    /// Takes the tenant's relay lock first, so a fan-out committed before is seen and one after sees the result.
    public func refreshHeads(endpoint: String?, on tx: PostgresConnection) async throws {
        try await lockRelay(on: tx)
        try await tx.query("""
            WITH scope AS (
              SELECT d.id, d.endpoint_id, d.aggregate_id, d.seq FROM webhook_deliveries d
              WHERE d.tenant_id = current_tenant() AND d.state = 'pending'
                AND (\(endpoint)::text IS NULL OR d.endpoint_id = \(endpoint))
            ), want AS (
              SELECT DISTINCT ON (s.endpoint_id, s.aggregate_id) s.id
              FROM scope s JOIN webhook_endpoints e ON e.id = s.endpoint_id AND e.enabled
              ORDER BY s.endpoint_id, s.aggregate_id, s.seq
            )
            UPDATE webhook_deliveries d SET head = (w.id IS NOT NULL)
            FROM scope s LEFT JOIN want w ON w.id = s.id
            WHERE d.id = s.id AND d.head <> (w.id IS NOT NULL)
            """, logger: logger)
    }
}

extension WebhookRepository {
    /// Seals with the current key every signing secret of the tenant that is not sealed with it (unsealed rows,
    /// rows of an older key); returns how many endpoints it changed. With `dryRun`, only counts them.
    public func reseal(dryRun: Bool, on tx: PostgresConnection) async throws -> Int {
        let rows = try await tx.query("SELECT id, secret, previous_secret FROM webhook_endpoints ORDER BY id FOR UPDATE", logger: logger)
        var stale: [(id: String, secret: String, previous: String?)] = []
        for try await (id, secret, previous) in rows.decode((String, String, String?).self)
        where !sealer.isCurrent(secret) || previous.map({ !sealer.isCurrent($0) }) == true {
            stale.append((id, secret, previous))
        }
        if dryRun { return stale.count }
        for row in stale {
            let secret = try sealer.seal(try sealer.open(row.secret, context: row.id), context: row.id)
            let previous = try row.previous.map { try sealer.seal(try sealer.open($0, context: row.id), context: row.id) }
            try await tx.query("UPDATE webhook_endpoints SET secret = \(secret), previous_secret = \(previous) WHERE id = \(row.id)", logger: logger)
        }
        return stale.count
    }
}
