import Domain
import Foundation
import Storage

/// The file use cases of one tenant: read, list, delete, revoke and issue signed URLs.
public struct Files: Sendable {
    let core: FileCore

    /// A page of files, newest first, each with its stored variants.
    public struct Page: Sendable {
        public var files: [(file: FileRecord, variants: [VariantInfo])]
        /// The cursor of the next page; `nil` on the last page.
        public var nextCursor: PrefixedID?
    }

    /// One file of the caller's tenant; another tenant's file is `NOT_FOUND`, as is a missing one.
    public func get(_ id: PrefixedID, as identity: Identity) async throws -> FileRecord {
        try identity.require(.filesRead)
        guard let file = try await core.database.transaction(identity.tenant, { try await core.fileRepository.file(id, on: $0) }) else {
            throw FileError(.notFound, "no file \(id)")
        }
        return file
    }

    /// One file of the caller's tenant with its stored variants.
    public func details(_ id: PrefixedID, as identity: Identity) async throws -> (FileRecord, [VariantInfo]) {
        try identity.require(.filesRead)
        return try await core.database.transaction(identity.tenant) { tx in
            guard let file = try await core.fileRepository.file(id, on: tx) else { throw FileError(.notFound, "no file \(id)") }
            return (file, try await core.variantRepository.variants(of: [id], on: tx)[id] ?? [])
        }
    }

    /// A page of the caller's files after `cursor`, newest first, at most `limit` (capped at the configured
    /// page size).
    public func list(after cursor: PrefixedID?, state: FileState?, limit: Int, as identity: Identity) async throws -> Page {
        try identity.require(.filesRead)
        let n = min(max(1, limit), core.configuration.maxPageSize)
        let files = try await core.database.transaction(identity.tenant) { tx in
            let files = try await core.fileRepository.list(after: cursor, state: state, limit: n, on: tx)
            let variants = try await core.variantRepository.variants(of: files.map(\.id), on: tx)
            return files.map { (file: $0, variants: variants[$0.id] ?? []) }
        }
        return Page(files: files, nextCursor: files.count == n ? files.last?.file.id : nil)
    }

    /// A signed download URL (path and query) for one of the caller's files.
    public func signedURL(_ id: PrefixedID, variant: String, ttl: TimeInterval, signer: URLSigner, as identity: Identity)
        async throws -> (path: String, expires: Date) {
        try identity.require(.filesRead)
        guard variant.utf8.count <= 32, variant.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" || $0 == "-" }), !variant.isEmpty else {
            throw FileError(.invalidRequest, "variant must be original, thumb, preview or scrubbed")
        }
        let file = try await get(id, as: identity)
        return signer.sign(tenant: identity.tenant, file: id, variant: variant, generation: file.urlGeneration, ttl: ttl)
    }

    /// Revokes every signed URL issued so far for the file (bumps its URL generation).
    public func revokeURLs(_ id: PrefixedID, as identity: Identity, requestID: String?) async throws -> FileRecord {
        try identity.require(.filesWrite)
        return try await core.database.transaction(identity.tenant) { tx in
            let repository = core.fileRepository
            guard var file = try await repository.file(id, on: tx, forUpdate: true) else { throw FileError(.notFound, "no file \(id)") }
            file.urlGeneration = try await repository.bumpURLGeneration(id, on: tx)
            try await repository.audit(file, action: "file.urls_revoked", actor: identity.subject, requestID: requestID,
                                       traceContext: nil, details: ["generation": "\(file.urlGeneration)"], on: tx)
            return file
        }
    }

    /// Marks the file deleted (the guard refuses it from `erased`) and enqueues the purge of its blobs.
    public func delete(_ id: PrefixedID, as identity: Identity, requestID: String?, traceContext: String?) async throws -> FileRecord {
        try identity.require(.filesWrite)
        let purge = PipelineJobs.options(tenant: identity.tenant, queue: core.configuration.maintenanceQueue, traceContext: traceContext)
        return try await core.database.transaction(identity.tenant) { tx in
            let file = try await core.fileRepository.transition(id, on: .deleted, actor: identity.subject, requestID: requestID,
                                                                traceContext: traceContext, tx: tx)
            try await core.jobs.enqueue(PurgeFile(id), options: purge, on: tx)
            return file
        }
    }
}
