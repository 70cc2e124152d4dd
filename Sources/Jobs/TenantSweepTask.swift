import Domain
import JobKit
import Storage

/// The leader task of a ``TenantSweep``: asks the system path (``SystemDatabase``) which tenants have work for it
/// and enqueues one per-tenant job each (unique while pending, at most ``SweepConfiguration/maxTenantsPerRun``
/// per run). The work is done by those jobs (``TenantSweepWorker``), in the tenant's own scope.
public struct TenantSweepTask<Sweep: TenantSweep>: LeaderTask {
    let system: SystemDatabase
    let fanOut: TenantFanOut

    /// The task's name (logs, metrics): the sweep's job kind.
    public var name: String { Sweep.kind }
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
        try await fanOut.run(tenants: { try await Sweep.tenants(system, after: $0, limit: $1) },
                             job: { try SweepJobs.insert(Sweep(), tenant: $0, configuration: fanOut.configuration) })
    }
}
