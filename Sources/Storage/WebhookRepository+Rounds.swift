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
    public var attempt: Int
    public var statusCode: Int?
    public var latencyMilliseconds: Int
    public var responsePrefix: String?
    public var error: String?
    /// `delivered`, `retry`, `dead` or `disabled`.
    public var outcome: String
    /// When the next attempt is due (`retry` only).
    public var nextAttemptAt: Date?

    public init(id: Int64, endpointID: String, eventID: String, topic: String, attempt: Int, result: AttemptResult, outcome: String,
                nextAttemptAt: Date?) {
        self.id = id
        self.endpointID = endpointID
        self.eventID = eventID
        self.topic = topic
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
    /// again — at its next attempt time for `retry`, still due as it was for `disabled`) and its attempt-log row,
    /// in delivery order.
    public func record(_ attempts: [RecordedAttempt], on tx: PostgresConnection) async throws {
        guard !attempts.isEmpty else { return }
        let json = String(decoding: try JSONEncoder().encode(attempts), as: UTF8.self)
        try await tx.query("""
            WITH r AS (
              SELECT * FROM jsonb_to_recordset(\(json)::jsonb) AS r(id int8, endpoint_id text, event_id text, topic text, attempt int4,
                status_code int4, latency_ms int4, response_prefix text, error text, outcome text, state text, next_at float8)
            ), upd AS (
              UPDATE webhook_deliveries d SET state = r.state, attempts = r.attempt, locked_until = NULL,
                next_attempt_at = coalesce(to_timestamp(r.next_at), d.next_attempt_at),
                finished_at = CASE WHEN r.state = 'pending' THEN NULL ELSE now() END
              FROM r WHERE d.id = r.id RETURNING d.id, d.tenant_id
            )
            INSERT INTO webhook_attempts (tenant_id, endpoint_id, event_id, topic, attempt, status_code, latency_ms, response_prefix,
                                          error, outcome, next_attempt_at)
            SELECT upd.tenant_id, r.endpoint_id, r.event_id, r.topic, r.attempt, r.status_code, r.latency_ms, r.response_prefix, r.error,
                   r.outcome, to_timestamp(r.next_at)
            FROM upd JOIN r ON r.id = upd.id ORDER BY r.id
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
