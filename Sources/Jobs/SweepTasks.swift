import JobKit
import Storage

/// The two sweep leader tasks: they find tenants with expired work through the system path and fan out one
/// per-tenant job each (``TenantSweepWorker``).
public struct SweepTasks: Sendable {
    /// Fans out `uploads.sweep` jobs.
    public let uploads: TenantSweepTask<SweepUploads>
    /// Fans out `idempotency_keys.sweep` jobs.
    public let idempotencyKeys: TenantSweepTask<SweepIdempotencyKeys>

    /// - Parameters:
    ///   - system: the system path (`filestore_system`), to find the tenants.
    ///   - jobs: a client on the app pool, to enqueue the per-tenant jobs.
    public init(system: SystemDatabase, jobs: JobClient, configuration: SweepConfiguration = SweepConfiguration()) {
        uploads = TenantSweepTask(system: system, jobs: jobs, configuration: configuration)
        idempotencyKeys = TenantSweepTask(system: system, jobs: jobs, configuration: configuration)
    }

    /// Both, for ``JobKit/LeaderService``'s open list of tasks.
    public var all: [any LeaderTask] { [uploads, idempotencyKeys] }
}
