import Foundation
import Synchronization

/// Parsed schedules by (expression, zone), so a tick over thousands of schedules that share an expression
/// parses each once. Bounded; thread-safe.
public final class ScheduleCache: Sendable {
    private let entries = Mutex<[String: CronSchedule]>([:])
    private let capacity: Int

    public init(capacity: Int = 10_000) { self.capacity = capacity }

    /// The parsed schedule, or nil if the stored text does not parse.
    public func schedule(cron: String, zone: String) -> CronSchedule? {
        let key = zone + "\u{1F}" + cron
        if let hit = entries.withLock({ $0[key] }) { return hit }
        guard let expression = try? CronExpression(cron), let parsed = try? CronSchedule(expression: expression, timeZoneName: zone) else {
            return nil
        }
        entries.withLock {
            if $0.count >= capacity { $0.removeAll(keepingCapacity: true) }
            $0[key] = parsed
        }
        return parsed
    }
}
