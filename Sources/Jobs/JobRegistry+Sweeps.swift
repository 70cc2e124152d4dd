import FileCore
import JobKit
import Storage

extension JobRegistry {
    /// Registers the per-tenant sweep handlers (`uploads.sweep`, `idempotency_keys.sweep`, on
    /// ``SweepConfiguration/queue``) on the application layer of the app pool (`filestore_app`).
    public mutating func registerSweepHandlers(core: FileCore, configuration: SweepConfiguration = SweepConfiguration()) {
        register(TenantSweepWorker<SweepUploads>(core: core, configuration: configuration))
        register(TenantSweepWorker<SweepIdempotencyKeys>(core: core, configuration: configuration))
    }

    /// Registers the per-tenant sweep handlers and returns the leader tasks that enqueue their jobs.
    ///
    /// - Parameters:
    ///   - core: the application layer on the app pool (`filestore_app`): the handlers' tenant transactions,
    ///     the enqueues, and the blob store holding the uploads' parts.
    ///   - system: the system path (`filestore_system`), only read by the leader tasks.
    public mutating func registerSweeps(core: FileCore, system: SystemDatabase,
                                        configuration: SweepConfiguration = SweepConfiguration()) -> SweepTasks {
        registerSweepHandlers(core: core, configuration: configuration)
        return SweepTasks(system: system, jobs: JobClient(postgres: core.database.postgres, logger: core.database.logger),
                          configuration: configuration)
    }
}
