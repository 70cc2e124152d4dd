import Readiness
import Scheduler

/// The product's built-in schedules, declared in code beside the handlers they enqueue for (the scheduler leader
/// declares them at start; operators may pause them, not remove them).
public enum BuiltInSchedules {
    /// `retention-sweep`: daily at 02:30 UTC, `retention.sweep` (``SweepRetention``): expired retention is deleted or
    /// flagged for review (docs/COMPLIANCE.md). One catch-up run after downtime; never two at once.
    /// `readiness-revalidate`: quarterly, 03:00 UTC on the first of January, April, July and October,
    /// `readiness.revalidate` (``ReadinessRevalidate``): the checklist's revalidation (docs/READINESS.md, §17). One
    /// catch-up run after downtime; never two at once.
    public static let all: [ScheduleDefinition] = [
        // A constant of the code: a failure here is a programming error, which the schedule tests would catch at once.
        try! ScheduleDefinition(name: "retention-sweep", cron: "30 2 * * *", args: SweepRetention(), misfire: .once, overlap: .skip),
        try! ScheduleDefinition(name: "readiness-revalidate", cron: "0 3 1 1,4,7,10 *", args: ReadinessRevalidate(), misfire: .once, overlap: .skip),
    ]
}
