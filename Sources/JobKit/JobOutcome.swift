import Foundation

/// What an attempt's end means for its row. Decided by pure code (``decide(_:)``) and written by the
/// ``Completer`` in batches.
enum JobOutcome: Sendable, Hashable {
    /// The handler returned: `completed`.
    case completed
    /// The handler failed with attempts left: `retryable` after `delay`.
    case retry(delay: Duration, error: String)
    /// The handler failed on its last attempt (or can never succeed): `discarded`, the dead-letter queue.
    case discard(error: String)
    /// The handler asked to run again after `delay` without using an attempt: `scheduled`.
    case snooze(delay: Duration)
    /// The handler cancelled its own job: `cancelled`.
    case cancel(reason: String)
    /// The worker is shutting down and interrupted the handler: `available` again at once, the
    /// interrupted attempt not counted, so another worker takes it immediately.
    case putBack(reason: String)
    /// Nothing to write: the handler completed the job in its own transaction, or the job was cancelled or
    /// rescued while it ran and is no longer this worker's.
    case none

    /// Why a handler's task was cancelled by JobKit, if it was.
    enum Interruption: Sendable, Hashable {
        /// The kind's timeout elapsed.
        case timeout(Duration)
        /// The job is no longer ours (cancelled by an operator, or rescued).
        case lost
        /// The process is shutting down past its grace period.
        case shutdown
    }

    /// The inputs of the decision.
    struct Attempt: Sendable {
        var attempt: Int
        var maxAttempts: Int
        var policy: RetryPolicy
        /// The error the handler threw, or `nil` if it returned.
        var error: (any Error)?
        /// Set when JobKit itself cancelled the handler.
        var interruption: Interruption?
        /// The handler completed the job inside its own transaction.
        var completedInTransaction: Bool
    }

    /// Decides the outcome of one attempt.
    static func decide<R: RandomNumberGenerator>(_ a: Attempt, using random: inout R) -> JobOutcome {
        switch a.interruption {
        case .lost: return .none
        case .shutdown: return .putBack(reason: "interrupted by worker shutdown")
        case .timeout(let limit):
            return failure("timed out after \(limit.seconds)s", a, &random)
        case nil: break
        }
        guard let error = a.error else {
            return a.completedInTransaction ? .none : .completed
        }
        if let snooze = error as? JobSnooze { return .snooze(delay: snooze.delay) }
        if let cancel = error as? JobCancel { return .cancel(reason: cancel.reason) }
        if let kitError = error as? JobKitError, kitError.code == .jobNoLongerRunning { return .none }
        if let kitError = error as? JobKitError, kitError.code == .unknownKind || kitError.code == .invalidArgs {
            // Retrying cannot fix args that do not decode; an unknown kind may be a rolling deploy, so retry it.
            if kitError.code == .invalidArgs { return .discard(error: kitError.description) }
        }
        return failure(String(describing: error), a, &random)
    }

    private static func failure<R: RandomNumberGenerator>(_ message: String, _ a: Attempt, _ random: inout R) -> JobOutcome {
        let text = String(message.prefix(2000))
        if a.attempt >= a.maxAttempts { return .discard(error: text) }
        return .retry(delay: a.policy.delay(afterAttempt: a.attempt, using: &random), error: text)
    }
}
