import Domain
import FileCore
import JobKit

/// The `file.purge` job: removes a deleted file's bytes — its original and every variant — and records it
/// (``FileCore/Pipeline/purge(_:tenant:actor:traceContext:commit:)``), completing the job in the same
/// transaction. A purge that dies halfway simply runs again. A file that is not deleted (or is gone) cancels the
/// job: nothing is ever removed from a live file.
public struct PurgeWorker: JobWorker {
    public typealias Args = PurgeFile

    let core: FileCore
    public let options: JobWorkerOptions

    public init(core: FileCore,
                options: JobWorkerOptions = JobWorkerOptions(timeout: .seconds(120), retryPolicy: RetryPolicy(base: .seconds(10)))) {
        self.core = core
        self.options = options
    }

    public func work(_ job: Job<Args>) async throws {
        let (tenant, id) = try job.fileIDs("purge")
        let blobs = try await cancellingIfMovedOn(id, "purge") {
            try await core.pipeline.purge(id, tenant: tenant, actor: "job:purge", traceContext: job.traceContext, commit: job.commit)
        }
        job.logger.info("purged", metadata: ["file_id": "\(id)", "blobs": "\(blobs)"])
    }
}
