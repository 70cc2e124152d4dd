import Foundation

/// Decides, for one schedule at one tick, which fire times are due and what becomes of each — pure code,
/// no I/O and no clock (the tick passes `now`), so every policy is tested without a database.
public struct SchedulePlanner: Sendable {
    /// One due fire time and its outcome.
    public struct Decision: Sendable, Hashable {
        public enum Outcome: Sendable, Hashable {
            case insert
            case skip(SkipReason)
        }
        public var fireTime: Date
        public var outcome: Outcome
    }

    /// The plan for one schedule: the decisions (oldest first), whether the previous run must be cancelled
    /// first, and the next fire time not yet planned.
    public struct Plan: Sendable, Hashable {
        public var decisions: [Decision]
        public var cancelPrevious: Bool
        public var nextFireAt: Date?
        /// Due fire times beyond ``SchedulePlanner/maxLedgerRows`` that were skipped without a ledger row.
        public var unrecorded: Int
    }

    /// Fire times later than this after their time count as missed (the misfire policy applies).
    public var misfireGrace: TimeInterval
    /// At most this many ledger rows per schedule per tick (a scheduler down for a week with `@every 1s` misses
    /// 600 000 fire times: the oldest are counted, not recorded).
    public var maxLedgerRows: Int

    public init(misfireGrace: TimeInterval = 15, maxLedgerRows: Int = 1000) {
        self.misfireGrace = misfireGrace
        self.maxLedgerRows = maxLedgerRows
    }

    /// - Parameters:
    ///   - nextFireAt: the schedule's first fire time not yet planned (due when ≤ now).
    ///   - previousRunActive: whether the schedule's last inserted job is still queued or running.
    public func plan(schedule: CronSchedule, nextFireAt: Date, now: Date, paused: Bool, misfire: MisfirePolicy,
                     overlap: OverlapPolicy, previousRunActive: Bool) -> Plan {
        guard nextFireAt <= now else {
            return Plan(decisions: [], cancelPrevious: false, nextFireAt: nextFireAt, unrecorded: 0)
        }
        // The due times, oldest first, the latest `maxLedgerRows` of them; older ones are only counted.
        let (due, unrecorded) = dueTimes(schedule, from: nextFireAt, through: now)
        let last = due[due.count - 1]
        let cutoff = now.addingTimeInterval(-misfireGrace)
        let missed = due.filter { $0 < cutoff }
        let catchUp = misfire.runs(ofMissed: missed.count)
        var decisions: [Decision] = []
        decisions.reserveCapacity(due.count)
        for (i, t) in due.enumerated() {
            let runs = i >= missed.count || i >= missed.count - catchUp
            decisions.append(Decision(fireTime: t, outcome: runs ? .insert : .skip(.misfire)))
        }
        if paused {
            for i in decisions.indices where decisions[i].outcome == .insert { decisions[i].outcome = .skip(.paused) }
        }
        var cancelPrevious = false
        var active = previousRunActive
        for i in decisions.indices where decisions[i].outcome == .insert {
            switch overlap {
            case .allow:
                break
            case .skip:
                // Only the first insert can see the previous run; the runs of this tick overlap each other too.
                if active { decisions[i].outcome = .skip(.overlap) }
            case .cancel:
                // Only the run of an earlier tick is cancelled; of the runs of this tick only the newest is kept.
                if previousRunActive { cancelPrevious = true }
            }
            if decisions[i].outcome == .insert { active = true }
        }
        if overlap == .cancel {
            let inserts = decisions.indices.filter { decisions[$0].outcome == .insert }
            for i in inserts.dropLast() { decisions[i].outcome = .skip(.overlap) }
        }
        return Plan(decisions: decisions, cancelPrevious: cancelPrevious, nextFireAt: schedule.next(after: max(last, now)),
                    unrecorded: unrecorded)
    }

    /// The fire times in `[first, now]`, the latest ``maxLedgerRows`` of them, and how many older ones there were.
    func dueTimes(_ schedule: CronSchedule, from first: Date, through now: Date) -> ([Date], Int) {
        let keepAtMost = max(1, maxLedgerRows)
        if let every = schedule.expression.everySeconds {
            let count = Int64((now.timeIntervalSince1970 - first.timeIntervalSince1970) / Double(every)) + 1
            let keep = min(count, Int64(keepAtMost))
            let start = first.addingTimeInterval(Double((count - keep) * every))
            return ((0..<keep).map { start.addingTimeInterval(Double($0 * every)) }, Int(count - keep))
        }
        var ring: [Date] = [first]
        var head = 0
        var older = 0
        var t = first
        while let n = schedule.next(after: t), n <= now, older < 50_000_000 {
            ring.append(n)
            if ring.count - head > keepAtMost { head += 1; older += 1 }
            if head > 4096 { ring.removeFirst(head); head = 0 }
            t = n
        }
        return (Array(ring[head...]), older)
    }
}
