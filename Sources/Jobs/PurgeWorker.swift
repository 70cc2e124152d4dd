import Domain
import Foundation
import JobKit
import Logging
import PostgresNIO
import Storage

/// The `file.purge` job: removes a deleted file's bytes — its original and every variant — from the blob
/// store, then in one transaction drops the variant rows, records `purged_at`, writes the `file.purged` audit
/// event and completes the job. Blob removal is idempotent, so a purge that dies halfway simply runs again.
/// The file's row stays (state `deleted`) for the audit trail. A file that is not deleted (or is gone) cancels
/// the job: nothing is ever removed from a live file.
public struct PurgeWorker: JobWorker {
    public typealias Args = PurgeFile

    let blobs: any BlobStore
    let database: TenantDatabase
    public let options: JobWorkerOptions

    public init(blobs: any BlobStore, database: TenantDatabase,
                options: JobWorkerOptions = JobWorkerOptions(timeout: .seconds(120), retryPolicy: RetryPolicy(base: .seconds(10)))) {
        self.blobs = blobs
        self.database = database
        self.options = options
    }

    public func work(_ job: Job<Args>) async throws {
        let (tenant, id) = try job.fileIDs("purge")
        let repository = FileRepository(logger: job.logger), variantRows = VariantRepository(logger: job.logger)
        let (file, variants) = try await database.transaction(tenant) { tx in
            let file = try await repository.file(id, on: tx)
            return (file, try await variantRows.variants(of: [id], on: tx)[id] ?? [])
        }
        guard let file else { throw JobCancel("file \(id) does not exist") }
        guard file.state == .deleted || file.state == .erased else {
            throw JobCancel("file \(id) is \(file.state.rawValue), not deleted: nothing is purged")
        }
        let keys = [file.objectKey] + (try variants.map { try ObjectKey(tenant: tenant, file: id, name: $0.name) })
        let store = TenantBlobs(tenant: tenant, store: blobs)
        for key in keys { try await store.delete(key) }
        try await store.deleteFolder(of: file.objectKey)
        try await database.transaction(tenant) { tx in
            try await variantRows.deleteAll(of: id, on: tx)
            try await repository.markPurged(id, on: tx)
            try await repository.audit(file, action: "file.purged", actor: "job:purge", requestID: nil, traceContext: job.traceContext,
                                       details: ["blobs": "\(keys.count)"], on: tx)
            try await job.complete(on: tx)
        }
        job.logger.info("purged", metadata: ["file_id": "\(id)", "blobs": "\(keys.count)"])
    }
}
