import Foundation

/// The payload of `readiness.degraded.v1`: a readiness revalidation found a checklist row failing that passed (or
/// was never recorded) before, and opened a finding for it. Aggregate: `readiness/<row id>`. Emitted in the
/// operations tenant's outbox (docs/READINESS.md).
public struct ReadinessDegraded: Codable, Sendable {
    public static let topic = "readiness.degraded.v1"
    public var topic: String = Self.topic
    public var event_id: String
    public var occurred_at: String
    public var tenant_id: String
    public var run_id: Int64
    public var finding_id: Int64
    public var row_id: String
    public var title: String
    /// The level the run recorded (`L0`…`L4`), and the one recorded by the run before (`null`: none).
    public var level: String
    public var previous_level: String?
    public var evidence: [String]

    public init(event_id: String, occurred_at: String, tenant_id: String, run_id: Int64, finding_id: Int64, row_id: String, title: String,
                level: String, previous_level: String?, evidence: [String]) {
        self.event_id = event_id
        self.occurred_at = occurred_at
        self.tenant_id = tenant_id
        self.run_id = run_id
        self.finding_id = finding_id
        self.row_id = row_id
        self.title = title
        self.level = level
        self.previous_level = previous_level
        self.evidence = evidence
    }
}

/// The payload of `readiness.restored.v1`: a row with an open finding passes again (or no longer applies); the
/// finding is closed. Aggregate: `readiness/<row id>`.
public struct ReadinessRestored: Codable, Sendable {
    public static let topic = "readiness.restored.v1"
    public var topic: String = Self.topic
    public var event_id: String
    public var occurred_at: String
    public var tenant_id: String
    public var run_id: Int64
    public var finding_id: Int64
    public var row_id: String
    public var title: String
    public var level: String
    public var opened_at: String

    public init(event_id: String, occurred_at: String, tenant_id: String, run_id: Int64, finding_id: Int64, row_id: String, title: String,
                level: String, opened_at: String) {
        self.event_id = event_id
        self.occurred_at = occurred_at
        self.tenant_id = tenant_id
        self.run_id = run_id
        self.finding_id = finding_id
        self.row_id = row_id
        self.title = title
        self.level = level
        self.opened_at = opened_at
    }
}

extension JSONEncoder {
    /// Sorted keys, slashes unescaped: the form every outbox payload is written in.
    public static var outboxPayload: JSONEncoder { eventsSorted }
}
