import Domain
import FileCore
import JobKit
import Storage

/// `audit.seal`: seals one tenant's new audit events into its hash chain (``FileCore/AuditLog/seal(tenant:limit:)``).
/// A leader task fans it out to the tenants with unsealed events; it needs the compliance key (the actor digest).
public struct SealAudit: TenantSweep, Hashable {
    public static let kind = "audit.seal"
    public static let defaultQueue = "maintenance"
    public static let itemName = "events"
    public init() {}

    public static func tenants(_ system: SystemDatabase, after: TenantID?, limit: Int) async throws -> [TenantID] {
        try await system.tenantsWithUnsealedAudit(after: after, limit: limit)
    }

    public static func sweep(_ core: FileCore, tenant: TenantID, limit: Int) async throws -> Int {
        try await core.audit.seal(tenant: tenant, limit: limit)
    }
}

/// `retention.sweep`: the scheduled (daily, built-in schedule `retention-sweep`) sweep of expired retention. It
/// finds the tenants with live, unheld files past their retain-until date through the system path, and in each
/// deletes them (their purge queued) or flags them for review, in batches of short transactions
/// (``FileCore/Retention/sweep(tenant:limit:)``).
public struct SweepRetention: JobArgs, Hashable {
    public static let kind = "retention.sweep"
    public static let defaultQueue = "maintenance"
    public init() {}
}

/// The handler of ``SweepRetention``.
public struct RetentionSweepWorker: JobWorker {
    public typealias Args = SweepRetention

    let core: FileCore
    let system: SystemDatabase
    let configuration: SweepConfiguration
    public let options: JobWorkerOptions

    public init(core: FileCore, system: SystemDatabase, configuration: SweepConfiguration = SweepConfiguration(),
                options: JobWorkerOptions = JobWorkerOptions(timeout: .seconds(3600), retryPolicy: RetryPolicy(base: .seconds(30)))) {
        self.core = core
        self.system = system
        self.configuration = configuration
        self.options = options
    }

    public func work(_ job: Job<Args>) async throws {
        var after: TenantID?, tenants = 0, files = 0
        while tenants < configuration.maxTenantsPerRun {
            let page = try await system.tenantsWithExpiredRetention(after: after, limit: configuration.tenantPageSize)
            guard let last = page.last else { break }
            for tenant in page {
                files += try await SweepJobs.inBatches(configuration) { try await core.retention.sweep(tenant: tenant, limit: $0) }
            }
            tenants += page.count
            after = last
            if page.count < configuration.tenantPageSize { break }
        }
        job.logger.info("retention swept", metadata: ["tenants": "\(tenants)", "files": "\(files)"])
    }
}
