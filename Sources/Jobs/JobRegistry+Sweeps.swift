import FileCore
import JobKit
import Storage

extension JobRegistry {
    /// Registers the per-tenant sweep handlers (`uploads.sweep`, `idempotency_keys.sweep`, on
    /// ``SweepConfiguration/queue``) and returns the leader tasks that enqueue their jobs.
    ///
    /// - Parameters:
    ///   - core: the application layer on the app pool (`filestore_app`): the handlers' tenant transactions,
    ///     the enqueues, and the blob store holding the uploads' parts.
    ///   - system: the system path (`filestore_system`), only read by the leader tasks.
    public mutating func registerSweeps(core: FileCore, system: SystemDatabase,
                                        configuration: SweepConfiguration = SweepConfiguration()) -> SweepTasks {
        register(SweepUploadsWorker(core: core, configuration: configuration))
        register(SweepIdempotencyKeysWorker(core: core, configuration: configuration))
        let jobs = JobClient(postgres: core.database.postgres, logger: core.database.logger)
        return SweepTasks(uploads: UploadSweepTask(system: system, jobs: jobs, configuration: configuration),
                          idempotencyKeys: IdempotencySweepTask(system: system, jobs: jobs, configuration: configuration))
    }
}
