import Domain
import JobKit
import Storage

/// The args every pipeline job carries.
public struct FileJobArgs: Codable, Sendable {
    public var file_id: String
    public var tenant_id: String

    /// The tenant and file; malformed args cancel the job (retrying cannot fix them).
    func ids(_ step: String) throws -> (TenantID, PrefixedID) {
        guard let tenant = try? TenantID(tenant_id), let id = PrefixedID(parsing: file_id, as: .file) else {
            throw JobCancel("malformed \(step) args: \(tenant_id)/\(file_id)")
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

    static func begin(_ job: Job<FileJobArgs>, _ event: FileEvent, step: String, database: TenantDatabase) async throws -> PipelineStep {
        let (tenant, id) = try job.args.ids(step)
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
