import JobKit
import Storage

/// The two sweep leader tasks: they find tenants with expired work through the system path and fan out one
/// per-tenant job each (``SweepUploadsWorker``, ``SweepIdempotencyKeysWorker``).
public struct SweepTasks: Sendable {
    /// Fans out `uploads.sweep` jobs.
    public let uploads: UploadSweepTask
    /// Fans out `idempotency_keys.sweep` jobs.
    public let idempotencyKeys: IdempotencySweepTask

    /// - Parameters:
    ///   - system: the system path (`filestore_system`), to find the tenants.
    ///   - jobs: a client on the app pool, to enqueue the per-tenant jobs.
    public init(system: SystemDatabase, jobs: JobClient, configuration: SweepConfiguration = SweepConfiguration()) {
        uploads = UploadSweepTask(system: system, jobs: jobs, configuration: configuration)
        idempotencyKeys = IdempotencySweepTask(system: system, jobs: jobs, configuration: configuration)
    }

    /// Both, for ``JobKit/LeaderService``'s open list of tasks.
    public var all: [any LeaderTask] { [uploads, idempotencyKeys] }
}
