import FilestoreConfig
import Testing

/// The scheduler's settings (`FilestoreConfiguration+Scheduler.swift`): defaults, overrides, bad values.
extension ConfigurationTests {
    @Test func schedulerSettingsDefaultsAndBadValues() throws {
        let c = try load([:])
        #expect(!c.scheduler.hostInWorker && c.scheduler.tickMS == 200 && c.scheduler.leaseSeconds == 5)
        #expect(c.scheduler.misfireGraceSeconds == 15 && c.scheduler.ledgerRetentionDays == 7)
        let set = try load(["FILESTORE_SCHEDULER_LEDGER_DAYS": "0.5", "FILESTORE_SCHEDULER_LEASE_SECONDS": "2"], flags: ["FILESTORE_SCHEDULE": "true"])
        #expect(set.scheduler.hostInWorker && set.scheduler.ledgerRetentionDays == 0.5 && set.scheduler.leaseSeconds == 2)
        for (variable, value) in [("FILESTORE_SCHEDULE", "maybe"), ("FILESTORE_SCHEDULER_TICK_MS", "5"), ("FILESTORE_SCHEDULER_TICK_MS", "fast"),
                                  ("FILESTORE_SCHEDULER_LEASE_SECONDS", "0.5"), ("FILESTORE_SCHEDULER_LEASE_SECONDS", "301"),
                                  ("FILESTORE_SCHEDULER_MISFIRE_GRACE", "0"), ("FILESTORE_SCHEDULER_LEDGER_DAYS", "0"),
                                  ("FILESTORE_SCHEDULER_LEDGER_DAYS", "forever")] {
            let error = try failure([variable: value])
            #expect(error.kind == .invalidValue && error.variable == variable, "\(variable)=\(value): \(error)")
        }
    }
}
