import JobKit
import Logging
import PostgresNIO
import Storage

extension JobRegistry {
    /// Registers the per-tenant sweep handlers (`uploads.sweep`, `idempotency_keys.sweep`, on
    /// ``SweepConfiguration/queue``) and returns the leader tasks that enqueue their jobs.
    ///
    /// - Parameters:
    ///   - postgres: the app pool (`filestore_app`): the handlers' tenant transactions and the enqueues.
    ///   - system: the system path (`filestore_system`), only read by the leader tasks.
    ///   - blobs: the store holding the uploads' partial data.
    public mutating func registerSweeps(postgres: PostgresClient, system: SystemDatabase, blobs: any ResumableBlobStore,
                                        logger: Logger, configuration: SweepConfiguration = SweepConfiguration()) -> SweepTasks {
        let database = TenantDatabase(postgres: postgres, logger: logger)
        register(SweepUploadsWorker(database: database, blobs: blobs, configuration: configuration))
        register(SweepIdempotencyKeysWorker(database: database, configuration: configuration))
        let jobs = JobClient(postgres: postgres, logger: logger)
        return SweepTasks(uploads: UploadSweepTask(system: system, jobs: jobs, configuration: configuration),
                          idempotencyKeys: IdempotencySweepTask(system: system, jobs: jobs, configuration: configuration))
    }
}
