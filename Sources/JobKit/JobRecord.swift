import Foundation

/// One failed attempt, as stored in the job's `errors`.
public struct JobAttemptError: Sendable, Hashable, Codable {
    /// When the attempt failed.
    public var at: Date
    /// The attempt number (1-based).
    public var attempt: Int
    /// What went wrong.
    public var error: String
}

/// A job row as operators see it (`jobs show`, `jobs list`).
public struct JobRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var state: JobState
    public var queue: String
    public var kind: String
    public var argsJSON: String
    public var priority: Int
    public var attempt: Int
    public var maxAttempts: Int
    public var createdAt: Date
    public var scheduledAt: Date
    public var attemptedAt: Date?
    public var attemptedBy: String?
    public var leaseExpiresAt: Date?
    public var finalizedAt: Date?
    public var errors: [JobAttemptError]
    public var tags: [String]
    public var uniqueKey: String?
    public var tenantID: String?
    public var traceContext: String?
}
