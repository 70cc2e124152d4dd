import Domain
import FileCore
import JobKit

extension Job where Args: FileJobArgs {
    /// The tenant (the job row's `tenant_id`) and the file; malformed ones cancel the job (retrying cannot fix them).
    func fileIDs(_ step: String) throws -> (TenantID, PrefixedID) {
        guard let tenant = try? TenantID(tenantID ?? ""), let id = PrefixedID(parsing: args.fileID, as: .file) else {
            throw JobCancel("malformed \(step) job: tenant \(tenantID ?? "-"), file \(args.fileID)")
        }
        return (tenant, id)
    }

    /// Completes this job on the pipeline step's connection, inside the step's transaction.
    var commit: Pipeline.Commit { { try await self.complete(on: $0) } }
}

/// Runs a pipeline step of the job's file; a file that is gone or moved on meanwhile (deleted while it was
/// scanned, say) cancels the job instead of retrying it.
func cancellingIfMovedOn<T>(_ id: PrefixedID, _ step: String, _ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let error as FileError where error.code == .notFound || error.code == .illegalTransition {
        throw JobCancel("file \(id) cannot go through \(step) any more: \(error.message)")
    }
}
