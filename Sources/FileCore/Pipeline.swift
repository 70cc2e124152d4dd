import Domain
import Foundation
import PostgresNIO
import Storage

/// The file pipeline's use cases — the steps the scan, optimize and purge jobs take. Each step that records an
/// outcome does it in one transaction with its audit and outbox events and with `commit`, which the job handler
/// passes to complete its job on the same connection: the outcome and the job's completion commit together or
/// not at all, so a retried step never records twice.
///
/// A file that is gone, or that moved on meanwhile (deleted while it was scanned, say), makes a step throw
/// `NOT_FOUND` or `ILLEGAL_TRANSITION`; the handler cancels its job then (retrying cannot help).
public struct Pipeline: Sendable {
    let core: FileCore

    /// Completes the caller's job on the step's connection, inside its transaction.
    public typealias Commit = @Sendable (PostgresConnection) async throws -> Void

    /// A variant made and stored by the optimize step.
    public struct StoredVariant: Sendable {
        public var name: String
        public var stored: BlobInfo
        public var contentType: String
        public var width: Int?
        public var height: Int?
        public init(name: String, stored: BlobInfo, contentType: String, width: Int?, height: Int?) {
            self.name = name
            self.stored = stored
            self.contentType = contentType
            self.width = width
            self.height = height
        }
    }

    /// Moves the file into a step's working state (`scanStarted`, `processingStarted`) and returns it.
    public func begin(_ id: PrefixedID, tenant: TenantID, _ event: FileEvent, actor: String, traceContext: String?) async throws -> FileRecord {
        try await core.database.transaction(tenant) { tx in
            try await core.fileRepository.transition(id, on: event, actor: actor, requestID: nil, traceContext: traceContext, tx: tx)
        }
    }

    /// Records a scan's verdict: `signature` is what matched (a limit hit included), `quarantine` whether the file
    /// is quarantined for it (the limit policy decides for limit hits). A clean file moves on to optimize.
    public func recordScan(_ id: PrefixedID, tenant: TenantID, signature: String?, quarantine: Bool, actor: String,
                           traceContext: String?, commit: Commit) async throws {
        let repository = core.fileRepository
        try await core.database.transaction(tenant) { tx in
            try await repository.recordScan(id, signature: signature, on: tx)
            if quarantine, let signature {
                try await repository.transition(id, on: .scannedInfected, actor: actor, requestID: nil, traceContext: traceContext,
                                                details: ["signature": signature], tx: tx)
            } else {
                try await repository.transition(id, on: .scannedClean, actor: actor, requestID: nil, traceContext: traceContext, tx: tx)
                try await core.jobs.enqueue(OptimizeFile(id), options: PipelineJobs.options(tenant: tenant, traceContext: traceContext), on: tx)
            }
            try await commit(tx)
        }
    }

    /// What the optimize step found in a file's metadata: the kinds of personal data the original carried, and
    /// whether what is served was scrubbed (re-encoded without metadata) or is the original as uploaded.
    public struct MetadataOutcome: Sendable, Hashable {
        public var found: [String]
        public var scrubbed: Bool
        public init(found: [String], scrubbed: Bool) {
            self.found = found
            self.scrubbed = scrubbed
        }
    }

    /// ``begin(_:tenant:_:actor:traceContext:)`` for the optimize step, also reading the tenant's policy for
    /// metadata the service cannot remove, in the same transaction.
    public func beginOptimize(_ id: PrefixedID, tenant: TenantID, actor: String, traceContext: String?)
        async throws -> (FileRecord, UnscrubbableMetadataPolicy) {
        let metadata = FileMetadataRepository(logger: core.database.logger)
        return try await core.database.transaction(tenant) { tx in
            let file = try await core.fileRepository.transition(id, on: .processingStarted, actor: actor, requestID: nil,
                                                                traceContext: traceContext, tx: tx)
            return (file, try await metadata.unscrubbablePolicy(on: tx))
        }
    }

    /// Records the optimize step's variants (and what it found in the file's metadata) and marks the file ready.
    public func recordProcessed(_ id: PrefixedID, tenant: TenantID, variants: [StoredVariant], metadata outcome: MetadataOutcome? = nil,
                                actor: String, traceContext: String?, commit: Commit) async throws {
        let repository = core.fileRepository, variantRows = core.variantRepository
        let metadata = FileMetadataRepository(logger: core.database.logger)
        try await core.database.transaction(tenant) { tx in
            if let outcome { try await metadata.record(id, found: outcome.found, scrubbed: outcome.scrubbed, on: tx) }
            for v in variants {
                try await variantRows.upsert(file: id, tenant: tenant, name: v.name, stored: v.stored, contentType: v.contentType,
                                             width: v.width, height: v.height, on: tx)
            }
            try await repository.transition(id, on: .processed, actor: actor, requestID: nil, traceContext: traceContext,
                                            details: ["variants": variants.map(\.name).joined(separator: ",")], tx: tx)
            try await commit(tx)
        }
    }

    /// Marks the file failed by the optimize step, with the reason in its audit event.
    public func recordProcessingFailed(_ id: PrefixedID, tenant: TenantID, reason: String, actor: String,
                                       traceContext: String?, commit: Commit) async throws {
        try await core.database.transaction(tenant) { tx in
            try await core.fileRepository.transition(id, on: .processingFailed, actor: actor, requestID: nil, traceContext: traceContext,
                                                     details: ["reason": String(reason.prefix(500))], tx: tx)
            try await commit(tx)
        }
    }

    /// Removes a deleted (or erased) file's bytes — its original, every variant and its folder — then drops the
    /// variant rows, records `purged_at` and the `file.purged` audit event. Blob removal is idempotent, so a purge
    /// that dies halfway simply runs again; the file's row stays for the audit trail. A live file is refused
    /// (`ILLEGAL_TRANSITION`): nothing is ever removed from it. Returns how many blobs it removed.
    @discardableResult
    public func purge(_ id: PrefixedID, tenant: TenantID, actor: String, traceContext: String?, commit: Commit) async throws -> Int {
        let repository = core.fileRepository, variantRows = core.variantRepository
        let (file, variants) = try await core.database.transaction(tenant) { tx in
            let file = try await repository.file(id, on: tx)
            return (file, try await variantRows.variants(of: [id], on: tx)[id] ?? [])
        }
        guard let file else { throw FileError(.notFound, "file \(id) does not exist") }
        guard file.state == .deleted || file.state == .erased else {
            throw FileError(.illegalTransition, "file \(id) is \(file.state.rawValue), not deleted: nothing is purged")
        }
        let keys = [file.objectKey] + (try variants.map { try ObjectKey(tenant: tenant, file: id, name: $0.name) })
        let store = core.blobs(of: tenant)
        for key in keys { try await store.delete(key) }
        try await store.deleteFolder(of: file.objectKey)
        try await core.database.transaction(tenant) { tx in
            try await variantRows.deleteAll(of: id, on: tx)
            try await repository.markPurged(id, on: tx)
            try await repository.audit(file, action: "file.purged", actor: actor, requestID: nil, traceContext: traceContext,
                                       details: ["blobs": "\(keys.count)"], on: tx)
            try await commit(tx)
        }
        return keys.count
    }
}
