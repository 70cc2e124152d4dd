import Domain
import Foundation
import FileCore
import JobKit

/// The `dsr.erase` job: runs one erasure request to its signed receipt (``FileCore/Erasure/run(_:tenant:jobID:)``).
/// A failing store (a blob delete, the database) fails the attempt; the request stays `running` with the error,
/// and the job retries with a capped backoff (100 attempts, up to 10 minutes apart), going on from the last
/// finished batch — no manual step after the fix.
public struct ErasureWorker: JobWorker {
    public typealias Args = EraseRequest

    let core: FileCore
    public let options: JobWorkerOptions

    public init(core: FileCore,
                options: JobWorkerOptions = JobWorkerOptions(timeout: .seconds(3600),
                                                             retryPolicy: RetryPolicy(base: .seconds(5), maximum: .seconds(600)))) {
        self.core = core
        self.options = options
    }

    public func work(_ job: Job<Args>) async throws {
        let tenant = try SweepJobs.tenant(of: job)
        guard let id = PrefixedID(parsing: job.args.request_id, as: .erasure) else { throw JobCancel("\(job.args.request_id) is not an erasure request id") }
        do {
            let outcome = try await core.erasure.run(id, tenant: tenant, jobID: job.id)
            job.logger.info("erasure finished", metadata: ["request_id": "\(id)", "state": "\(outcome.state.rawValue)",
                                                           "files_erased": "\(outcome.erased)", "files_kept": "\(outcome.kept)"])
        } catch let error as FileError where error.code == .notFound {
            throw JobCancel("\(error)")
        }
    }
}

/// The `dsr.process` job (a consumed `dsr.requested.v1`): records an erasure request for the subject, with the
/// event's `request_id` as its reference (so a redelivered event adds nothing), and its `dsr.erase` job.
/// `export` requests are not this service's to answer: the job is cancelled saying so.
public struct DataSubjectRequestWorker: JobWorker {
    public typealias Args = ProcessDataSubjectRequest

    let core: FileCore

    public init(core: FileCore) { self.core = core }

    public func work(_ job: Job<Args>) async throws {
        let tenant = try SweepJobs.tenant(of: job)
        guard job.args.request_kind == "erasure" else {
            throw JobCancel("dsr.requested.v1 of kind '\(job.args.request_kind)': filestore answers erasure requests only")
        }
        let due = job.args.due_at.flatMap { try? Date($0, strategy: .iso8601) }
        let (request, created) = try await core.erasure.requestFromEvent(tenant: tenant, subject: job.args.subject_id,
                                                                        reference: job.args.request_id, source: job.args.source, dueAt: due)
        job.logger.info("erasure request recorded", metadata: ["request_id": "\(request.id)", "created": "\(created)"])
    }
}

/// The `tenant.purge` job (a consumed `tenant.deleted.v1`): records the tenant's offboarding erasure, which erases
/// everything of the tenant the way a subject's erasure does, with a receipt.
public struct TenantPurgeWorker: JobWorker {
    public typealias Args = PurgeTenant

    let core: FileCore

    public init(core: FileCore) { self.core = core }

    public func work(_ job: Job<Args>) async throws {
        let tenant = try SweepJobs.tenant(of: job)
        let (request, created) = try await core.erasure.offboard(tenant: tenant, reason: "tenant.deleted.v1 from \(job.args.source)",
                                                                 reference: job.args.event_id, source: "inbox:\(job.args.source)")
        job.logger.info("tenant offboarding recorded", metadata: ["request_id": "\(request.id)", "created": "\(created)"])
    }
}
