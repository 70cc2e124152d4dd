import Foundation

/// A stored schedule with its state: the definition, paused or not, built in or not, the next fire time, the
/// last fire and its job's state.
public struct ScheduleRecord: Sendable, Hashable, Encodable {
    public var name: String
    public var cron: String
    public var timeZone: String
    public var kind: String
    public var args: String
    public var queue: String
    public var priority: Int
    public var maxAttempts: Int
    public var misfire: String
    public var overlap: String
    public var paused: Bool
    public var builtin: Bool
    public var nextFireAt: Date?
    public var lastFireAt: Date?
    public var lastJobID: Int64?
    /// The state of the last fire's job (`nil` when it was pruned or there is none).
    public var lastJobState: String?
    public var lastSuccessAt: Date?
}

/// One ledger row: a planned fire time and what became of it.
public struct LedgerEntry: Sendable, Hashable, Encodable {
    public var schedule: String
    public var fireTime: Date
    /// `inserted` or `skipped`.
    public var outcome: String
    /// Why it was skipped (`paused`, `overlap`, `misfire`), or `trigger` for a manual run.
    public var reason: String?
    public var jobID: Int64?
    /// The job's state now (`nil` once pruned).
    public var jobState: String?
    public var plannedAt: Date
}
