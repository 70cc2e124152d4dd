import Domain
import Foundation
import JobKit
import Logging
import NIOCore
import PostgresNIO
import Storage

/// The file API's use cases: accept bytes, record them and enqueue the work, in one transaction.
public struct FileService: Sendable {
    public let database: TenantDatabase
    public let blobs: any ResumableBlobStore
    public let configuration: APIConfiguration
    let repository: FileRepository
    let jobs: JobClient

    public init(database: TenantDatabase, blobs: any ResumableBlobStore, configuration: APIConfiguration = APIConfiguration()) {
        self.database = database
        self.blobs = blobs
        self.configuration = configuration
        self.repository = FileRepository(logger: database.logger)
        self.jobs = JobClient(postgres: database.postgres, logger: database.logger)
    }

    /// What the caller sent along with the bytes.
    public struct UploadRequest: Sendable {
        public var declaredLength: Int64?
        public var declaredType: String?
        public var originalName: String?
        /// Lower-case hex SHA-256 the client computed, if it sent one.
        public var expectedSHA256: String?
        public var requestID: String?
        public var traceContext: String?
        public init(declaredLength: Int64? = nil, declaredType: String? = nil, originalName: String? = nil,
                    expectedSHA256: String? = nil, requestID: String? = nil, traceContext: String? = nil) {
            self.declaredLength = declaredLength
            self.declaredType = declaredType
            self.originalName = originalName
            self.expectedSHA256 = expectedSHA256
            self.requestID = requestID
            self.traceContext = traceContext
        }
    }

    /// Streams `body` to the blob store, verifies the checksum, then records the file as `uploaded`, its
    /// audit and outbox events and its scan job in one transaction. Nothing is kept if any step fails.
    public func upload<S: AsyncSequence & Sendable>(_ body: S, as identity: Identity, _ request: UploadRequest) async throws -> FileRecord
        where S.Element == ByteBuffer {
        try identity.require(.filesWrite)
        if let length = request.declaredLength, length > configuration.maxUploadBytes {
            throw FileError(.payloadTooLarge, "declared length \(length) exceeds the maximum of \(configuration.maxUploadBytes) bytes")
        }
        let tenant = identity.tenant
        // Quotas, first from the declared length before any byte is read…
        try await database.transaction(tenant) { tx in
            try await checkQuota(tenant, adding: request.declaredLength ?? 0, lock: false, on: tx)
        }
        let id = PrefixedID(.file)
        let key = try ObjectKey(tenant: tenant, file: id)
        let store = TenantBlobs(tenant: tenant, store: blobs)
        let info: BlobInfo
        do {
            info = try await store.put(key, body: body, limit: configuration.maxUploadBytes)
        } catch is BlobTooLarge {
            throw FileError(.payloadTooLarge, "body exceeds the maximum of \(configuration.maxUploadBytes) bytes")
        }
        do {
            if let length = request.declaredLength, length != info.size {
                throw FileError(.invalidRequest, "received \(info.size) bytes but Content-Length said \(length)")
            }
            if let expected = request.expectedSHA256, expected != info.sha256 {
                throw FileError(.checksumMismatch, "sha-256 of the bytes received is \(info.sha256), the client sent \(expected)")
            }
            try await record(id: id, key: key, info: info, identity: identity, originalName: request.originalName,
                             declaredType: request.declaredType, requestID: request.requestID, traceContext: request.traceContext,
                             extra: nil)
            return try await get(id, as: identity)
        } catch {
            try? await store.delete(key)
            throw error
        }
    }

    /// Records a file whose bytes are stored at `key`: sniffs its type, then in one transaction checks the
    /// quota, inserts it as `uploaded` with its audit and outbox events, queues its scan, and runs `extra`.
    func record(id: PrefixedID, key: ObjectKey, info: BlobInfo, identity: Identity, originalName: String?, declaredType: String?,
                requestID: String?, traceContext: String?, extra: (@Sendable (PostgresConnection) async throws -> Void)?) async throws {
        let tenant = identity.tenant
        let store = TenantBlobs(tenant: tenant, store: blobs)
        var prefix: [UInt8] = []
        for try await chunk in try await store.read(key, range: 0..<Int64(ContentSniffer.prefixLength)) {
            prefix += chunk.readableBytesView
        }
        let now = Date()
        let sniffed = ContentSniffer.sniff(prefix)
        let file = FileRecord(id: id, tenant: tenant, state: .uploaded, objectKey: key, originalName: originalName,
                              declaredType: declaredType, contentType: sniffed, size: info.size,
                              sha256: info.sha256, urlGeneration: 1, createdAt: now, updatedAt: now,
                              typeMismatch: !ContentTypes.agrees(declared: declaredType, sniffed: sniffed))
        let scanOptions = PipelineJobs.options(tenant: tenant, queue: configuration.scanQueue, traceContext: traceContext)
        try await database.transaction(tenant) { tx in
            try await repository.ensureTenant(tenant, on: tx)
            // The quota again, on the bytes received, serialized per tenant by the lock on its row.
            try await checkQuota(tenant, adding: info.size, lock: true, on: tx)
            try await repository.insertUploaded(file, on: tx)
            try await repository.audit(file, action: "file.uploaded", actor: identity.subject, requestID: requestID,
                                       traceContext: traceContext,
                                       details: ["size": "\(info.size)", "content_type": sniffed, "declared_type": declaredType ?? "",
                                                 "type_mismatch": "\(file.typeMismatch)"], on: tx)
            try await repository.outbox(file, topic: "file.uploaded.v1", traceContext: traceContext, on: tx)
            try await jobs.enqueue(ScanFile(id), options: scanOptions, on: tx)
            try await extra?(tx)
        }
    }

    /// Throws `QUOTA_EXCEEDED` if one more file of `bytes` would pass the tenant's quotas.
    func checkQuota(_ tenant: TenantID, adding bytes: Int64, lock: Bool, on tx: PostgresConnection) async throws {
        var quotaBytes = configuration.defaultQuotaBytes, quotaFiles = configuration.defaultQuotaFiles
        let q = try await tx.query("""
            SELECT quota_bytes, quota_files FROM tenants WHERE id = \(tenant.value) \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: database.logger)
        for try await (b, f) in q.decode((Int64?, Int64?).self) {
            quotaBytes = b ?? quotaBytes
            quotaFiles = f ?? quotaFiles
        }
        guard quotaBytes != nil || quotaFiles != nil else { return }
        var usedBytes: Int64 = 0, usedFiles: Int64 = 0
        let u = try await tx.query("""
            SELECT coalesce(sum(size), 0)::int8, count(*)::int8 FROM files WHERE state NOT IN ('deleted', 'erased')
            """, logger: database.logger)
        for try await (b, f) in u.decode((Int64, Int64).self) { (usedBytes, usedFiles) = (b, f) }
        if let quotaBytes, usedBytes + bytes > quotaBytes {
            throw FileError(.quotaExceeded, "tenant \(tenant) uses \(usedBytes) of \(quotaBytes) bytes; \(bytes) more do not fit")
        }
        if let quotaFiles, usedFiles + 1 > quotaFiles {
            throw FileError(.quotaExceeded, "tenant \(tenant) has \(usedFiles) of \(quotaFiles) files")
        }
    }

    /// One file of the caller's tenant; another tenant's file is `NOT_FOUND`, as is a missing one.
    public func get(_ id: PrefixedID, as identity: Identity) async throws -> FileRecord {
        try identity.require(.filesRead)
        guard let file = try await database.transaction(identity.tenant, { try await repository.file(id, on: $0) }) else {
            throw FileError(.notFound, "no file \(id)")
        }
        return file
    }

    /// One file of the caller's tenant with its stored variants.
    public func details(_ id: PrefixedID, as identity: Identity) async throws -> (FileRecord, [VariantInfo]) {
        try identity.require(.filesRead)
        return try await database.transaction(identity.tenant) { tx in
            guard let file = try await repository.file(id, on: tx) else { throw FileError(.notFound, "no file \(id)") }
            return (file, try await repository.variants(of: [id], on: tx)[id] ?? [])
        }
    }

    /// A page of the caller's files, newest first, each with its stored variants.
    public func listWithVariants(after: PrefixedID?, state: FileState?, limit: Int, as identity: Identity) async throws -> [(FileRecord, [VariantInfo])] {
        try identity.require(.filesRead)
        let n = min(max(1, limit), configuration.maxPageSize)
        return try await database.transaction(identity.tenant) { tx in
            let files = try await repository.list(after: after, state: state, limit: n, on: tx)
            let variants = try await repository.variants(of: files.map(\.id), on: tx)
            return files.map { ($0, variants[$0.id] ?? []) }
        }
    }

    /// A signed download URL for one of the caller's files.
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
        return try await database.transaction(identity.tenant) { tx in
            guard var file = try await repository.file(id, on: tx, forUpdate: true) else { throw FileError(.notFound, "no file \(id)") }
            try await tx.query("UPDATE files SET url_generation = url_generation + 1, updated_at = now() WHERE id = \(id.description)",
                               logger: database.logger)
            file.urlGeneration += 1
            try await repository.audit(file, action: "file.urls_revoked", actor: identity.subject, requestID: requestID,
                                       traceContext: nil, details: ["generation": "\(file.urlGeneration)"], on: tx)
            return file
        }
    }

    /// The one download guard: the file exists for `tenant`, the URL's generation (if any) is current, and
    /// the file is servable — a file not yet scanned clean, quarantined, failed or deleted is never served.
    ///
    /// `original` of an image is served as its `scrubbed` variant: no served image carries its metadata.
    public func openForDownload(tenant: TenantID, id: PrefixedID, variant: String, generation: Int?) async throws -> (FileRecord, StoredBytes) {
        try await database.transaction(tenant) { tx in
            guard let file = try await repository.file(id, on: tx) else { throw FileError(.notFound, "no file \(id)") }
            if let generation, generation != file.urlGeneration {
                throw FileError(.urlRevoked, "the URLs of file \(id) were revoked")
            }
            guard file.state.isServable else {
                throw FileError(.notServable, "file \(id) is \(file.state.rawValue) and cannot be downloaded")
            }
            if variant == "original" {
                if let scrubbed = try await repository.variant(id, name: "scrubbed", on: tx) { return (file, scrubbed) }
                guard let size = file.size, let sha = file.sha256 else { throw FileError(.blobMissing, "file \(id) has no stored bytes") }
                return (file, StoredBytes(key: file.objectKey, contentType: file.contentType ?? "application/octet-stream", size: size, sha256: sha))
            }
            guard let stored = try await repository.variant(id, name: variant, on: tx) else {
                throw FileError(.notFound, "file \(id) has no variant '\(variant.prefix(32))'")
            }
            return (file, stored)
        }
    }

    /// The compliance override of a quarantine: `release` (a false positive: quarantined → clean) or
    /// `confirm` (quarantined → deleted, bytes purged). Needs `compliance:admin` and a reason; audited.
    public func resolveQuarantine(_ id: PrefixedID, release: Bool, reason: String, actor: String, tenant: TenantID,
                                  requestID: String?, traceContext: String?) async throws -> FileRecord {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= 1000 else { throw FileError(.invalidRequest, "a reason of 1-1000 characters is required") }
        return try await database.transaction(tenant) { tx in
            guard let file = try await repository.file(id, on: tx, forUpdate: true) else { throw FileError(.notFound, "no file \(id)") }
            guard file.state == .quarantined else {
                throw FileError(.illegalTransition, "file \(id) is \(file.state.rawValue), not quarantined")
            }
            let updated = try await repository.transition(id, on: release ? .released : .deleted, actor: actor, requestID: requestID,
                                                          traceContext: traceContext, details: ["reason": reason, "override": release ? "release" : "confirm"],
                                                          tx: tx)
            // A released file moves on to optimize; a confirmed one has its bytes purged.
            if release {
                try await jobs.enqueue(OptimizeFile(id), options: PipelineJobs.options(tenant: tenant, traceContext: traceContext), on: tx)
            } else {
                try await jobs.enqueue(PurgeFile(id), options: PipelineJobs.options(tenant: tenant, queue: configuration.maintenanceQueue,
                                                                                   traceContext: traceContext), on: tx)
            }
            return updated
        }
    }

    /// Marks the file deleted (the guard refuses it from `erased`) and enqueues the purge of its blobs.
    public func delete(_ id: PrefixedID, as identity: Identity, requestID: String?, traceContext: String?) async throws -> FileRecord {
        try identity.require(.filesWrite)
        let purgeOptions = PipelineJobs.options(tenant: identity.tenant, queue: configuration.maintenanceQueue, traceContext: traceContext)
        return try await database.transaction(identity.tenant) { tx in
            let file = try await repository.transition(id, on: .deleted, actor: identity.subject, requestID: requestID,
                                                       traceContext: traceContext, tx: tx)
            try await jobs.enqueue(PurgeFile(id), options: purgeOptions, on: tx)
            return file
        }
    }
}
