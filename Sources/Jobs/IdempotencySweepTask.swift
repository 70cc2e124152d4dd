import Domain
import JobKit
import Storage

/// The leader task that sweeps expired idempotency keys: it asks the system path (``SystemDatabase``) which
/// tenants have a key past its expiry, and enqueues one ``SweepIdempotencyKeysWorker`` job per such tenant
/// (unique while pending). The deleting is done by those jobs, in the tenant's own scope.
public struct IdempotencySweepTask: LeaderTask {
    let system: SystemDatabase
    let fanOut: TenantFanOut

    /// The task's name (logs, metrics): `idempotency_keys.sweep`.
    public var name: String { SweepIdempotencyKeys.kind }
    /// How often it runs: ``SweepConfiguration/interval``.
    public let interval: Duration

    /// - Parameters:
    ///   - system: the system path, to find the tenants.
    ///   - jobs: a client on the app pool, to enqueue the per-tenant jobs.
    public init(system: SystemDatabase, jobs: JobClient, configuration: SweepConfiguration = SweepConfiguration()) {
        self.system = system
        self.fanOut = TenantFanOut(jobs: jobs, configuration: configuration)
        self.interval = configuration.interval
    }

    /// One run: returns how many per-tenant jobs it enqueued (tenants whose job is still pending count 0).
    public func run() async throws -> Int {
        try await fanOut.run(tenants: { try await system.tenantsWithExpiredIdempotencyKeys(after: $0, limit: $1) },
                             job: { try SweepJobs.idempotencyKeys($0, configuration: fanOut.configuration) })
    }
}
