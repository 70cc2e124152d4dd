import Domain
import Foundation
import NIOCore
import PostgresNIO
import Storage

/// Direct uploads: accept the bytes, record them and queue their scan, in one transaction.
public struct Uploads: Sendable {
    let core: FileCore

    /// What the caller sent along with the bytes.
    public struct Request: Sendable {
        public var declaredLength: Int64?
        /// The declared media type; a form type a tool sends by default counts as none (``ContentTypes/declared(_:)``).
        public var declaredType: String?
        public var originalName: String?
        /// Lower-case hex SHA-256 the client computed, if it sent one.
        public var expectedSHA256: String?
        public var requestID: String?
        public var traceContext: String?
        /// Data subjects the file concerns besides its uploader (`Upload-Subjects`).
        public var subjects: [String] = []
        /// The retention class (`Upload-Retention-Class`); `nil`: `standard`.
        public var retentionClass: String?
        public init(declaredLength: Int64? = nil, declaredType: String? = nil, originalName: String? = nil,
                    expectedSHA256: String? = nil, requestID: String? = nil, traceContext: String? = nil,
                    subjects: [String] = [], retentionClass: String? = nil) {
            self.subjects = subjects
            self.retentionClass = retentionClass
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
    public func upload<S: AsyncSequence & Sendable>(_ body: S, as identity: Identity, _ request: Request) async throws -> FileRecord
        where S.Element == ByteBuffer {
        try identity.require(.filesWrite)
        let max = core.configuration.maxUploadBytes
        if let length = request.declaredLength, length > max {
            throw FileError(.payloadTooLarge, "declared length \(length) exceeds the maximum of \(max) bytes")
        }
        let tenant = identity.tenant
        // Quotas, first from the declared length before any byte is read (a body that is not declared small:
        // refusing a small one before it arrives saves nothing, and the check in the recording transaction
        // refuses it all the same)…
        if (request.declaredLength ?? Int64.max) > Self.precheckAbove {
            try await core.database.transaction(tenant) { tx in
                try await core.quotas.check(tenant, adding: request.declaredLength ?? 0, lock: false, on: tx)
            }
        }
        let id = PrefixedID(.file)
        let key = try ObjectKey(tenant: tenant, file: id)
        let store = core.blobs(of: tenant)
        let info: BlobInfo
        do {
            info = try await store.put(key, body: body, limit: max)
        } catch is BlobTooLarge {
            throw FileError(.payloadTooLarge, "body exceeds the maximum of \(max) bytes")
        }
        do {
            if let length = request.declaredLength, length != info.size {
                throw FileError(.invalidRequest, "received \(info.size) bytes but Content-Length said \(length)")
            }
            if let expected = request.expectedSHA256, expected != info.sha256 {
                throw FileError(.checksumMismatch, "sha-256 of the bytes received is \(info.sha256), the client sent \(expected)")
            }
            return try await record(id: id, key: key, info: info, identity: identity, originalName: request.originalName,
                                    declaredType: request.declaredType, requestID: request.requestID, traceContext: request.traceContext,
                                    subjects: request.subjects, retentionClass: request.retentionClass, extra: nil)
        } catch {
            try? await store.delete(key)
            throw error
        }
    }

    /// Declared lengths up to this (1 MiB) skip the quota check before the body is read.
    static let precheckAbove: Int64 = 1 << 20

    /// Records a file whose bytes are stored at `key`: sniffs its type, then in one transaction checks the
    /// quota, inserts it as `uploaded` with its audit and outbox events, queues its scan, and runs `extra`.
    /// Returns the file as stored.
    @discardableResult
    func record(id: PrefixedID, key: ObjectKey, info: BlobInfo, identity: Identity, originalName: String?, declaredType: String?,
                requestID: String?, traceContext: String?, subjects: [String] = [], retentionClass: String? = nil,
                extra: (@Sendable (PostgresConnection) async throws -> Void)?) async throws -> FileRecord {
        let tenant = identity.tenant
        var prefix: [UInt8] = info.prefix ?? []
        if info.prefix == nil {
            for try await chunk in try await core.blobs(of: tenant).read(key, range: 0..<Int64(ContentSniffer.prefixLength)) {
                prefix += chunk.readableBytesView
            }
        }
        let now = Date()
        let sniffed = ContentSniffer.sniff(prefix)
        let declaredType = ContentTypes.declared(declaredType)
        let file = FileRecord(id: id, tenant: tenant, state: .uploaded, objectKey: key, originalName: originalName,
                              declaredType: declaredType, contentType: sniffed, size: info.size,
                              sha256: info.sha256, urlGeneration: 1, createdAt: now, updatedAt: now,
                              typeMismatch: !ContentTypes.agrees(declared: declaredType, sniffed: sniffed))
        let scan = PipelineJobs.options(tenant: tenant, queue: core.configuration.scanQueue, traceContext: traceContext)
        let repository = core.fileRepository
        return try await core.database.transaction(tenant) { tx in
            // The tenant's row and the quota again, on the bytes received, serialized per tenant by the lock on
            // its row when a quota applies.
            try await core.quotas.checkRecording(tenant, adding: info.size, on: tx)
            var stored = try await repository.insertUploaded(file, on: tx)
            // Its data subjects (the uploader and those named) and its retention class, in the same transaction.
            try await SubjectRepository(logger: core.logger).add([(identity.subject, .uploader)] + subjects.filter { $0 != identity.subject }.map { ($0, .named) },
                                                                 to: id, tenant: tenant, on: tx)
            if let retentionClass, retentionClass != "standard" {
                try await core.retention.apply(retentionClass, to: id, uploadedAt: stored.createdAt, on: tx)
                stored = try await repository.file(id, on: tx) ?? stored
            }
            try await repository.audit(file, action: "file.uploaded", actor: identity.subject, requestID: requestID,
                                       traceContext: traceContext,
                                       details: ["size": "\(info.size)", "content_type": sniffed, "declared_type": declaredType ?? "",
                                                 "type_mismatch": "\(file.typeMismatch)"], on: tx)
            try await repository.outbox(file, topic: "file.uploaded.v1", traceContext: traceContext, on: tx)
            try await core.jobs.enqueue(ScanFile(id), options: scan, on: tx)
            try await extra?(tx)
            return stored
        }
    }
}
