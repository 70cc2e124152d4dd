import Foundation

extension FilestoreConfiguration {
    /// How the scheduler runs (`schedule`, `dev`, `work --schedule`); the composition root turns these into the
    /// Scheduler target's `SchedulerConfiguration`.
    public struct Scheduler: Sendable {
        /// `FILESTORE_SCHEDULE` (flag `work --schedule`): whether `work` also stands for scheduler leader.
        /// Default: `false` (`schedule` and `dev` always do).
        public var hostInWorker = false
        /// `FILESTORE_SCHEDULER_TICK_MS`: the pause between two ticks, 10-60000 ms. Default: 200.
        public var tickMS = 200
        /// `FILESTORE_SCHEDULER_PARALLELISM`: tick transactions at once while a backlog lasts (a minute boundary
        /// with thousands of schedules), 1-16; each holds a database connection. Default: 2.
        public var parallelism = 2
        /// `FILESTORE_SCHEDULER_LEASE_SECONDS`: the scheduler leadership's lease, 1-300 s (a dead leader is replaced
        /// within about this plus one second). Default: 5.
        public var leaseSeconds = 5.0
        /// `FILESTORE_SCHEDULER_MISFIRE_GRACE`: seconds after which a fire time counts as missed (misfire policy),
        /// ≥ 1. Default: 15.
        public var misfireGraceSeconds = 15.0
        /// `FILESTORE_SCHEDULER_LEDGER_DAYS`: how long the run ledger is kept, in days (fractions allowed), > 0.
        /// Default: 7.
        public var ledgerRetentionDays = 7.0

        public init() {}

        init(reading r: inout SettingsReader) throws {
            r.section = "scheduler"
            hostInWorker = try r.value("FILESTORE_SCHEDULE", default: "false", accepts: "true or false", Parse.bool)
            tickMS = try r.value("FILESTORE_SCHEDULER_TICK_MS", default: "200", accepts: "a whole number of milliseconds 10-60000") {
                Parse.int($0, in: 10...60_000)
            }
            parallelism = try r.value("FILESTORE_SCHEDULER_PARALLELISM", default: "2", accepts: "a whole number 1-16") {
                Parse.int($0, in: 1...16)
            }
            leaseSeconds = try r.value("FILESTORE_SCHEDULER_LEASE_SECONDS", default: "5", accepts: "a number of seconds 1-300") {
                Parse.seconds($0, minimum: 1).flatMap { $0 <= 300 ? $0 : nil }
            }
            misfireGraceSeconds = try r.value("FILESTORE_SCHEDULER_MISFIRE_GRACE", default: "15", accepts: "a number of seconds ≥ 1") {
                Parse.seconds($0, minimum: 1)
            }
            ledgerRetentionDays = try r.value("FILESTORE_SCHEDULER_LEDGER_DAYS", default: "7", accepts: "a number of days > 0") {
                Double($0.trimmingCharacters(in: .whitespaces)).flatMap { $0 > 0 && $0.isFinite ? $0 : nil }
            }
        }
    }
}
