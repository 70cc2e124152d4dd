import Domain
import Foundation
import Storage

/// The compliance override of a quarantine: `release` (a false positive: quarantined → clean, then optimized)
/// or `confirm` (quarantined → deleted, bytes purged). The caller has checked the actor's right
/// (`compliance:admin` for the API; the operator's shell for the CLI); a reason is required and audited.
public struct QuarantineOverrides: Sendable {
    let core: FileCore

    /// Releases (`release: true`) or confirms the quarantine of file `id` of `tenant`.
    public func resolve(_ id: PrefixedID, release: Bool, reason: String, actor: String, tenant: TenantID,
                        requestID: String?, traceContext: String?) async throws -> FileRecord {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= 1000 else { throw FileError(.invalidRequest, "a reason of 1-1000 characters is required") }
        return try await core.database.transaction(tenant) { tx in
            let repository = core.fileRepository
            guard let file = try await repository.file(id, on: tx, forUpdate: true) else { throw FileError(.notFound, "no file \(id)") }
            guard file.state == .quarantined else {
                throw FileError(.illegalTransition, "file \(id) is \(file.state.rawValue), not quarantined")
            }
            let updated = try await repository.transition(id, on: release ? .released : .deleted, actor: actor, requestID: requestID,
                                                          traceContext: traceContext,
                                                          details: ["reason": reason, "override": release ? "release" : "confirm"], tx: tx)
            // A released file moves on to optimize; a confirmed one has its bytes purged.
            if release {
                try await core.jobs.enqueue(OptimizeFile(id), options: PipelineJobs.options(tenant: tenant, traceContext: traceContext), on: tx)
            } else {
                try await core.jobs.enqueue(PurgeFile(id), options: PipelineJobs.options(tenant: tenant, queue: core.configuration.maintenanceQueue,
                                                                                        traceContext: traceContext), on: tx)
            }
            return updated
        }
    }
}
