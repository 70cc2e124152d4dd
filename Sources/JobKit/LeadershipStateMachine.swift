/// The life of one leadership candidate — electing, following, leading, stepping down, re-electing,
/// resigning on shutdown — as a pure state machine (postgres-nio's style): every event is a
/// `mutating func` that returns the ``Action`` for ``LeaderService`` to carry out. No I/O, no clock, no
/// tasks here, so every transition is tested without a database.
///
/// ```
///   idle ──start──▶ electing ──won──▶ leading ──timer──▶ renewing ──won──▶ leading
///                      ▲  └─lost/error─▶ following        │ lost/error
///                      │                  │ timer/resign  ▼
///                      └──────────────────┘◀──stepped down── steppingDown
///   shutdown: leading/renewing ─▶ steppingDown(then resign) ─▶ resigning ─▶ finished
///             idle/electing/following ─▶ resigning ─▶ finished
/// ```
public struct LeadershipStateMachine: Sendable {
    /// Why a leader stops leading.
    public enum StepDownReason: Sendable, Hashable {
        /// Another candidate holds the leadership (our lease ran out before we renewed it).
        case lostToAnother
        /// The renewal could not be written (the database is unreachable): we cannot know we still lead.
        case renewalFailed
        /// The process is stopping.
        case shutdown
    }

    /// What the service does next.
    public enum Action: Sendable, Hashable {
        /// Try to take the leadership, then report ``electionSucceeded()``, ``electionLost()`` or ``electionFailed()``.
        case attemptElection
        /// We lead: say so (`isLeader`, gauge), start the tasks, then wait `renewAfter` and report ``timerFired()``.
        case startLeading(renewAfter: Duration)
        /// Still leading: wait `renewAfter`, then report ``timerFired()``.
        case waitForRenewal(renewAfter: Duration)
        /// Renew the leadership, then report ``electionSucceeded()``, ``electionLost()`` or ``electionFailed()``.
        case renew
        /// Follow: wait `retryAfter` (or until a resign notification), then report ``timerFired()``
        /// or ``resignNotified()``.
        case waitAndRetry(retryAfter: Duration)
        /// Stop leading: say so at once (`isLeader` false), then stop the tasks, wait for them, and report
        /// ``steppedDown()``.
        case stepDown(StepDownReason)
        /// Give the leadership up (delete our lease and notify the others), then stop.
        case resign
        /// Nothing to do for this event.
        case none
    }

    enum State: Sendable, Hashable {
        case idle
        case electing
        case following
        case leading
        case renewing
        case steppingDown(thenResign: Bool)
        case resigning
    }

    private(set) var state: State = .idle
    /// Between renewals, and between a follower's attempts.
    public let electionInterval: Duration

    public init(electionInterval: Duration) {
        self.electionInterval = electionInterval
    }

    /// Whether the machine considers this candidate the leader (the tasks may run).
    public var isLeading: Bool {
        switch state {
        case .leading, .renewing: return true
        default: return false
        }
    }

    /// The service starts.
    public mutating func start() -> Action {
        guard state == .idle else { return .none }
        state = .electing
        return .attemptElection
    }

    /// The election or renewal query says we lead.
    public mutating func electionSucceeded() -> Action {
        switch state {
        case .electing:
            state = .leading
            return .startLeading(renewAfter: electionInterval)
        case .renewing:
            state = .leading
            return .waitForRenewal(renewAfter: electionInterval)
        default:
            // A result after shutdown began: resigning covers it.
            return .none
        }
    }

    /// The election or renewal query says another candidate leads.
    public mutating func electionLost() -> Action {
        switch state {
        case .electing:
            state = .following
            return .waitAndRetry(retryAfter: electionInterval)
        case .renewing:
            state = .steppingDown(thenResign: false)
            return .stepDown(.lostToAnother)
        default:
            return .none
        }
    }

    /// The election or renewal query failed (the service logs the error).
    public mutating func electionFailed() -> Action {
        switch state {
        case .electing:
            state = .following
            return .waitAndRetry(retryAfter: electionInterval)
        case .renewing:
            state = .steppingDown(thenResign: false)
            return .stepDown(.renewalFailed)
        default:
            return .none
        }
    }

    /// The wait of ``Action/waitAndRetry(retryAfter:)``, ``Action/startLeading(renewAfter:)`` or
    /// ``Action/waitForRenewal(renewAfter:)`` is over.
    public mutating func timerFired() -> Action {
        switch state {
        case .following:
            state = .electing
            return .attemptElection
        case .leading:
            state = .renewing
            return .renew
        default:
            return .none
        }
    }

    /// The leader announced that it resigned: a follower tries at once instead of waiting out the interval.
    public mutating func resignNotified() -> Action {
        guard state == .following else { return .none }
        state = .electing
        return .attemptElection
    }

    /// The tasks of a leader that stepped down have stopped.
    public mutating func steppedDown() -> Action {
        guard case .steppingDown(let thenResign) = state else { return .none }
        if thenResign {
            state = .resigning
            return .resign
        }
        // Stand again at once, as a candidate: if another leads now, this loses and follows.
        state = .electing
        return .attemptElection
    }

    /// The process is shutting down.
    public mutating func shutdown() -> Action {
        switch state {
        case .idle, .electing, .following:
            // Resigning is harmless when not leading, and covers an election that was in flight.
            state = .resigning
            return .resign
        case .leading, .renewing:
            state = .steppingDown(thenResign: true)
            return .stepDown(.shutdown)
        case .steppingDown:
            state = .steppingDown(thenResign: true)
            return .none
        case .resigning:
            return .none
        }
    }
}
