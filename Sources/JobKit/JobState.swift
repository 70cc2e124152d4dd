/// The life-cycle state of a job row.
///
/// ```
///   scheduled ──stager──▶ available ──fetch──▶ running ──▶ completed
///   retryable ──stager──▶     ▲                 │  ├──▶ retryable (error, attempts left)
///                             │                 │  ├──▶ discarded (error, out of attempts) — the dead-letter queue
///                             └── shutdown ─────┘  ├──▶ scheduled (snooze)
///                                                  └──▶ cancelled
/// ```
public enum JobState: String, Sendable, CaseIterable, Codable, Hashable {
    /// Ready to be fetched now.
    case available
    /// Waiting for its `scheduled_at`; the stager makes it `available`.
    case scheduled
    /// Held by a worker; `attempted_by` names it and `lease_expires_at` bounds it.
    case running
    /// Failed an attempt and waits for its backoff before it is staged again.
    case retryable
    /// Finished successfully.
    case completed
    /// Cancelled by an operator or by its handler; never runs again unless retried.
    case cancelled
    /// Out of attempts (or discarded by hand): the dead-letter queue.
    case discarded

    /// States in which a job is done and can be pruned.
    public static let finalized: [JobState] = [.completed, .cancelled, .discarded]
    /// States in which a job still waits to run.
    public static let pending: [JobState] = [.available, .scheduled, .retryable]
    /// The default states in which an earlier job with the same unique key refuses a new one.
    public static let defaultUniqueStates: [JobState] = [.available, .scheduled, .running, .retryable]

    /// Whether the job has reached an end state.
    public var isFinalized: Bool { Self.finalized.contains(self) }

    /// Parses a state name as an operator types it; `nil` for an unknown name.
    public init?(name: String) {
        self.init(rawValue: name.lowercased())
    }
}
