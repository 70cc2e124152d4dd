import FileCore
import JobKit
import Logging
import Storage

extension JobRegistry {
    /// Registers the compliance handlers on the application layer `core` (its ``FileCore/ComplianceConfiguration``
    /// holds the keys) and returns their leader tasks:
    /// - with the compliance keys: `dsr.erase` (``ErasureWorker``), `dsr.process`, `tenant.purge`, and `audit.seal`
    ///   (per tenant, fanned out every `sealInterval` by a leader task when `system` is given);
    /// - with the system path: `retention.sweep` (``RetentionSweepWorker``, enqueued daily by the built-in schedule)
    ///   and the erasure due-date gauges (``ErasureStatsTask``).
    /// Without the keys, erasure jobs wait in their queue and the log says why.
    public mutating func registerCompliance(core: FileCore, system: SystemDatabase?, sweeps: SweepConfiguration = SweepConfiguration(),
                                            sealInterval: Duration = .seconds(30), logger: Logger) -> [any LeaderTask] {
        var tasks: [any LeaderTask] = []
        if let system {
            register(RetentionSweepWorker(core: core, system: system, configuration: sweeps))
            tasks.append(ErasureStatsTask(system: system))
        }
        guard core.configuration.compliance.keys != nil else {
            logger.warning("no FILESTORE_COMPLIANCE_KEYS: erasure (dsr.erase, dsr.process, tenant.purge) and audit sealing jobs wait")
            return tasks
        }
        register(ErasureWorker(core: core))
        register(DataSubjectRequestWorker(core: core))
        register(TenantPurgeWorker(core: core))
        register(TenantSweepWorker<SealAudit>(core: core, configuration: sweeps))
        if let system {
            var seal = sweeps
            seal.interval = sealInterval
            tasks.append(TenantSweepTask<SealAudit>(system: system, jobs: JobClient(postgres: core.database.postgres, logger: logger),
                                                    configuration: seal))
        }
        return tasks
    }
}
