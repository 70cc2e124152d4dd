import Domain
import JobKit

/// The fan-out both sweep leader tasks share: pages through the tenants a system function names (keyset on
/// the tenant id) and enqueues one job per tenant on the app pool, at most `maxTenantsPerRun` per run. Jobs
/// refused by their unique key (a job for that tenant is still pending) are skipped.
struct TenantFanOut: Sendable {
    let jobs: JobClient
    let configuration: SweepConfiguration

    /// Returns how many jobs were newly enqueued.
    func run(tenants page: (TenantID?, Int) async throws -> [TenantID], job: (TenantID) throws -> JobInsert) async throws -> Int {
        var after: TenantID?
        var seen = 0, enqueued = 0
        while seen < configuration.maxTenantsPerRun {
            let tenants = try await page(after, min(configuration.tenantPageSize, configuration.maxTenantsPerRun - seen))
            guard let last = tenants.last else { break }
            enqueued += try await jobs.enqueueMany(try tenants.map(job))
            seen += tenants.count
            after = last
            if tenants.count < configuration.tenantPageSize { break }
        }
        return enqueued
    }
}
