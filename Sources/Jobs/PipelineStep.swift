import Domain
import JobKit
import Storage

extension Job where Args: FileJobArgs {
    /// The tenant (the job row's `tenant_id`) and the file; malformed ones cancel the job (retrying cannot fix them).
    func fileIDs(_ step: String) throws -> (TenantID, PrefixedID) {
        guard let tenant = try? TenantID(tenantID ?? ""), let id = PrefixedID(parsing: args.fileID, as: .file) else {
            throw JobCancel("malformed \(step) job: tenant \(tenantID ?? "-"), file \(args.fileID)")
        }
        return (tenant, id)
    }
}

/// The start of a pipeline step, shared by scan and optimize: parse the args, then move the file into the
/// step's working state. A file that was deleted or moved on meanwhile cancels the job instead of retrying it.
struct PipelineStep {
    let tenant: TenantID
    let file: FileRecord
    let repository: FileRepository
    let actor: String

    static func begin<A: FileJobArgs>(_ job: Job<A>, _ event: FileEvent, step: String, database: TenantDatabase) async throws -> PipelineStep {
        let (tenant, id) = try job.fileIDs(step)
        let repository = FileRepository(logger: job.logger)
        let actor = "job:\(step)"
        do {
            let file = try await database.transaction(tenant) { tx in
                try await repository.transition(id, on: event, actor: actor, requestID: nil, traceContext: job.traceContext, tx: tx)
            }
            return PipelineStep(tenant: tenant, file: file, repository: repository, actor: actor)
        } catch let error as FileError where error.code == .notFound || error.code == .illegalTransition {
            throw JobCancel("file \(id) cannot go through \(step) any more: \(error.message)")
        }
    }
}
