/// What to do with fire times missed while no scheduler ran (deploy, outage, leader change), i.e. fire times
/// found more than the misfire grace in the past.
public enum MisfirePolicy: Sendable, Hashable, CustomStringConvertible {
    /// Skip every missed time (recorded in the ledger as `misfire`); run at the next future time only. Default.
    case skip
    /// One catch-up run (for the latest missed time); the older ones are skipped.
    case once
    /// A run for each missed time, at most `n` (the latest ones); older ones are skipped.
    case all(Int)

    /// Parses `skip`, `once` or `all:N` (1 ≤ N ≤ 1000).
    public init(parsing text: String) throws {
        switch text {
        case "skip": self = .skip
        case "once": self = .once
        default:
            guard text.hasPrefix("all:"), let n = Int(text.dropFirst(4)), (1...1000).contains(n) else {
                throw CronError("unknown misfire policy '\(text)': use skip, once or all:N (N from 1 to 1000)")
            }
            self = .all(n)
        }
    }

    public var description: String {
        switch self {
        case .skip: return "skip"
        case .once: return "once"
        case .all(let n): return "all:\(n)"
        }
    }

    /// How many of `missed` fire times run.
    func runs(ofMissed missed: Int) -> Int {
        switch self {
        case .skip: return 0
        case .once: return min(1, missed)
        case .all(let n): return min(n, missed)
        }
    }
}

/// What to do when a fire time comes while the schedule's previous run is still queued or running.
public enum OverlapPolicy: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Insert the new run anyway. Default.
    case allow
    /// No new run (ledger: skipped, `overlap`).
    case skip
    /// Cancel the previous run, then insert the new one.
    case cancel

    public init(parsing text: String) throws {
        guard let p = OverlapPolicy(rawValue: text) else {
            throw CronError("unknown overlap policy '\(text)': use allow, skip or cancel")
        }
        self = p
    }

    public var description: String { rawValue }
}

/// Why a fire time was not run (the ledger's `reason`, a metric label).
public enum SkipReason: String, Sendable, Hashable, CaseIterable {
    /// The schedule was paused.
    case paused
    /// The previous run was still queued or running (overlap `skip`).
    case overlap
    /// Missed while no scheduler ran, and the misfire policy does not catch it up.
    case misfire
}
