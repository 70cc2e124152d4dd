import Domain
import Foundation
import JobKit
import PostgresNIO
import Storage

/// Data-subject erasure (GDPR Art. 17) and tenant offboarding. A request is recorded with its job in one
/// transaction; the job (``run(_:tenant:jobID:)``) erases the subject's files in batches — bytes first, then the
/// rows that describe them — and the subject's traces elsewhere (staged uploads, queue rows, idempotency records,
/// event payloads, webhook response excerpts, audit actors), keeps what a legal hold or an unexpired retention
/// class protects, and finishes with a receipt signed by the service. A failing store leaves the request
/// `running`; its job retries and goes on from the last finished batch.
public struct Erasure: Sendable {
    let core: FileCore

    var repository: ErasureRepository { ErasureRepository(logger: core.logger) }
    var auditRepository: AuditRepository { AuditRepository(logger: core.logger) }

    /// What a client asks for.
    public struct Request: Sendable {
        public var subjectID: String
        public var reason: String
        public var reference: String?
        public init(subjectID: String, reason: String, reference: String? = nil) {
            self.subjectID = subjectID
            self.reason = reason
            self.reference = reference
        }
    }

    /// Records an erasure request for one subject (compliance:admin) and queues its job; the same (subject,
    /// reference) again returns the first request (`created` false).
    public func request(_ r: Request, as identity: Identity, requestID: String?) async throws -> (ErasureRequestRecord, created: Bool) {
        try identity.require(.complianceAdmin)
        try Subjects.validate(r.subjectID)
        let reason = r.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.utf8.count <= 1000, !reason.contains("\0") else { throw FileError(.invalidRequest, "reason must be 1-1000 bytes") }
        if let reference = r.reference {
            guard !reference.isEmpty, reference.utf8.count <= 256, !reference.contains("\0") else {
                throw FileError(.invalidRequest, "reference must be 1-256 bytes")
            }
        }
        return try await record(tenant: identity.tenant, subject: r.subjectID, scope: .subject, reason: reason, reference: r.reference,
                                source: "api", requestedBy: identity.subject, dueAt: nil, requestID: requestID)
    }

    /// Records a request that arrived as a consumed `dsr.requested.v1` event (its `request_id` is the reference).
    public func requestFromEvent(tenant: TenantID, subject: String, reference: String, source: String,
                                 dueAt: Date?) async throws -> (ErasureRequestRecord, created: Bool) {
        try Subjects.validate(subject)
        return try await record(tenant: tenant, subject: subject, scope: .subject, reason: "dsr.requested.v1 from \(source)",
                                reference: reference, source: "inbox:\(source)", requestedBy: "inbox:\(source)", dueAt: dueAt, requestID: nil)
    }

    /// Records the offboarding of a whole tenant (a consumed `tenant.deleted.v1`, or `filestore tenants delete`).
    public func offboard(tenant: TenantID, reason: String, reference: String?, source: String) async throws -> (ErasureRequestRecord, created: Bool) {
        try await record(tenant: tenant, subject: "tenant:\(tenant.value)", scope: .tenant, reason: reason, reference: reference, source: source,
                         requestedBy: source, dueAt: nil, requestID: nil)
    }

    private func record(tenant: TenantID, subject: String, scope: ErasureRequestRecord.Scope, reason: String, reference: String?, source: String,
                        requestedBy: String, dueAt: Date?, requestID: String?) async throws -> (ErasureRequestRecord, created: Bool) {
        let keys = try core.configuration.compliance.requireKeys()
        let now = Date()
        let hash = keys.subjectHash(tenant: tenant.value, subject: subject)
        let record = ErasureRequestRecord(id: PrefixedID(.erasure), tenant: tenant, subjectID: subject, subjectHash: hash, scope: scope,
                                          reason: reason, reference: reference, source: source, requestedBy: requestedBy, receivedAt: now,
                                          dueAt: dueAt ?? now.addingTimeInterval(core.configuration.compliance.erasureDue))
        return try await core.database.transaction(tenant) { tx in
            try await core.tenantRepository.ensureTenant(tenant, on: tx)
            let (stored, created) = try await repository.insert(record, on: tx)
            if created {
                try await core.jobs.enqueue(EraseRequest(request_id: stored.id.description),
                                            options: InsertOptions(queue: core.configuration.compliance.queue, tenantID: tenant.value), on: tx)
                try await auditRepository.append(tenant: tenant, resource: stored.id.description, action: "erasure.requested", actor: requestedBy,
                                                 details: ["subject_hash": hash, "scope": scope.rawValue, "source": source], requestID: requestID, on: tx)
            }
            return (stored, created)
        }
    }

    /// One request of the caller's tenant (compliance:admin).
    public func get(_ id: PrefixedID, as identity: Identity) async throws -> ErasureRequestRecord {
        try identity.require(.complianceAdmin)
        guard let r = try await core.database.transaction(identity.tenant, { try await repository.request(id, on: $0) }) else {
            throw FileError(.notFound, "no erasure request \(id)")
        }
        return r
    }

    /// The caller's requests, newest first (compliance:admin).
    public func list(after: PrefixedID?, limit: Int, as identity: Identity) async throws -> [ErasureRequestRecord] {
        try identity.require(.complianceAdmin)
        let n = min(max(1, limit), core.configuration.maxPageSize)
        return try await core.database.transaction(identity.tenant) { try await repository.list(after: after, limit: n, on: $0) }
    }

    /// The signed receipt of a finished request.
    public func receipt(of r: ErasureRequestRecord) throws -> ErasureReceipt? {
        guard let payload = r.receipt, let signature = r.receiptSignature, let keyID = r.receiptKeyID else { return nil }
        let keys = core.configuration.compliance.keys
        let publicKey = keys?.keys.first(where: { $0.id == keyID })?.publicKeyBase64 ?? ""
        return try ErasureReceipt(payload: payload, signature: signature, keyID: keyID, publicKey: publicKey)
    }

    // MARK: Running a request

    /// What one run did.
    public struct Outcome: Sendable, Hashable {
        public var state: ErasureRequestRecord.State
        public var erased: Int
        public var kept: Int
    }

    /// Runs the request to its end: batches of files, the subject's other traces, verification, the signed
    /// receipt, `dsr.completed.v1`. Safe to run again after a failure at any point: it goes on from the last
    /// finished batch, and a finished request is left as it is. `jobID`: the running job, spared when queue
    /// rows mentioning the subject are erased.
    @discardableResult
    public func run(_ id: PrefixedID, tenant: TenantID, jobID: Int64?) async throws -> Outcome {
        let keys = try core.configuration.compliance.requireKeys()
        guard let request = try await core.database.transaction(tenant, { tx -> ErasureRequestRecord? in
            guard let r = try await repository.request(id, on: tx, forUpdate: true) else { return nil }
            if !r.state.isFinished { try await repository.start(id, on: tx) }
            return r
        }) else { throw FileError(.notFound, "no erasure request \(id)") }
        if request.state.isFinished { return Outcome(state: request.state, erased: request.filesErased, kept: request.filesKept) }
        guard let subject = request.subjectID else { throw FileError(.illegalTransition, "erasure request \(id) lost its subject") }
        do {
            // Audit events written so far are sealed first: only sealed rows may have their actor redacted.
            try await core.audit.sealAll(tenant: tenant)
            while try await batch(request, subject: subject) {}
            try await traces(request, subject: subject, jobID: jobID)
            return try await finish(request, subject: subject, keys: keys)
        } catch {
            try? await core.database.transaction(tenant) { try await repository.recordFailure(id, error: Self.describe(error), on: $0) }
            throw error
        }
    }

    /// An attempt's failure as the request shows it: a database error by its SQLSTATE and server message.
    static func describe(_ error: any Error) -> String {
        if let e = error as? PSQLError {
            return "database error \(e.serverInfo?[.sqlState] ?? "?"): \(e.serverInfo?[.message] ?? "\(e.code)")"
        }
        if let e = error as? PostgresTransactionError, let inner = e.closureError ?? e.commitError ?? e.beginError { return describe(inner) }
        return "\(error)"
    }

    /// One batch: the next files of the subject (or tenant) after the request's cursor. Returns whether there may be more.
    func batch(_ request: ErasureRequestRecord, subject: String) async throws -> Bool {
        let tenant = request.tenant, id = request.id
        let size = core.configuration.compliance.erasureBatchSize
        let subjects = SubjectRepository(logger: core.logger)
        let store = core.blobs(of: tenant)
        let blobStore = core.configuration.compliance.blobStoreName
        // Read the batch and mark the files to erase `deleted` (no longer served; a crash leaves them to this job).
        let (files, variants, kept, seen, uploads) = try await core.database.transaction(tenant) { tx in
            let cursor = try await repository.cursor(of: id, on: tx)
            let ids = request.scope == .tenant ? try await subjects.allFiles(after: cursor, limit: size, on: tx)
                : try await subjects.files(of: subject, after: cursor, limit: size, on: tx)
            var files: [FileRecord] = [], kept: [(FileRecord, String)] = []
            for fid in ids {
                guard let file = try await core.fileRepository.file(fid, on: tx, forUpdate: true), file.state != .erased else { continue }
                if let basis = file.retention.keptBasis() { kept.append((file, basis)); continue }
                if file.state != .deleted && file.state != .erased {
                    try await core.fileRepository.transition(fid, on: .deleted, actor: "job:dsr.erase", requestID: nil, traceContext: nil,
                                                              details: ["erasure_request": id.description], tx: tx)
                }
                files.append(file)
            }
            return (files, try await core.variantRepository.variants(of: files.map(\.id), on: tx), kept, ids,
                    try await UploadRepository(logger: core.logger).ids(ofFiles: files.map(\.id.description), on: tx))
        }
        guard let lastSeen = seen.last else { return false }
        // The bytes: original, every variant, the file's folder; each checked gone by a read that now fails.
        var items: [ErasureItem] = []
        // Eight files at a time: the deletes wait on the disk (or an object store's round trips), not on the CPU.
        items += try await withThrowingTaskGroup(of: [ErasureItem].self) { group in
            var next = files.makeIterator(), out: [ErasureItem] = []
            func add(_ file: FileRecord) {
                group.addTask {
                    let keys = [file.objectKey] + (variants[file.id] ?? []).compactMap { try? ObjectKey(tenant: tenant, file: file.id, name: $0.name) }
                    for key in keys { try await store.delete(key) }
                    try await store.deleteFolder(of: file.objectKey)
                    var done: [ErasureItem] = []
                    for key in keys {
                        guard try await store.size(of: key) == nil else { throw FileError(.storageFailure, "\(key.path) is still readable after its delete") }
                        done.append(ErasureItem(store: blobStore, item: key.path, method: .deleted, verification: "read: not found"))
                    }
                    return done
                }
            }
            for _ in 0..<8 { if let file = next.next() { add(file) } }
            while let done = try await group.next() {
                out += done
                if let file = next.next() { add(file) }
            }
            return out
        }
        for upload in uploads {
            try await store.deletePartial(upload: upload)
            items.append(ErasureItem(store: blobStore, item: "tenants/\(tenant.value)/uploads/\(upload)", method: .deleted, verification: "parts: none"))
        }
        // The rows: erased, described by nothing but their id and state (what else mentions them goes in one pass
        // per request, ``traces(_:subject:jobID:)``).
        try await core.database.transaction(tenant) { tx in
            for file in files {
                try await core.fileRepository.transition(file.id, on: .erased, actor: "job:dsr.erase", requestID: nil, traceContext: nil,
                                                          details: ["erasure_request": id.description], tx: tx)
                try await repository.scrubFileRow(file.id, on: tx)
                try await core.variantRepository.deleteAll(of: file.id, on: tx)
                try await subjects.removeAll(of: file.id, on: tx)
                try await core.fileRepository.markPurged(file.id, on: tx)
                items.append(ErasureItem(store: "postgres:files", item: file.id.description, method: .overwritten,
                                         verification: "row in state erased; name, types, size, digest, metadata: null"))
            }
            for (file, basis) in kept {
                items.append(ErasureItem(store: "postgres:files", item: file.id.description, method: .kept, basis: basis,
                                         verification: "kept: state \(file.state.rawValue)"))
                items.append(ErasureItem(store: blobStore, item: file.objectKey.path, method: .kept, basis: basis, verification: "kept"))
            }
            try await repository.add(items, request: id, tenant: tenant, on: tx)
            try await repository.progress(id, total: files.count + kept.count, erased: files.count, kept: kept.count, on: tx)
            try await repository.setCursor(id, to: lastSeen, on: tx)
        }
        return seen.count == size
    }

    /// The subject's traces outside its files: unfinished uploads, queue rows, audit actors (tenant scope: all of the
    /// tenant's, with its webhook endpoints and idempotency records).
    func traces(_ request: ErasureRequestRecord, subject: String, jobID: Int64?) async throws {
        let tenant = request.tenant, id = request.id
        let store = core.blobs(of: tenant)
        let blobStore = core.configuration.compliance.blobStoreName
        let staged = try await core.database.transaction(tenant) { tx in
            request.scope == .tenant ? try await UploadRepository(logger: core.logger).allUnfinishedIDs(on: tx)
                : try await UploadRepository(logger: core.logger).unfinishedIDs(ofSubject: subject, on: tx)
        }
        var items: [ErasureItem] = []
        for upload in staged {
            try await store.deletePartial(upload: upload)
            items.append(ErasureItem(store: blobStore, item: "tenants/\(tenant.value)/uploads/\(upload)", method: .deleted, verification: "parts: none"))
        }
        try await core.audit.sealAll(tenant: tenant)
        try await core.database.transaction(tenant) { tx in
            // Everything that mentions the erased files, once per request (each a single pass, the ids hash-joined).
            let fileIDs = try await repository.erasedFiles(of: id, on: tx)
            if !fileIDs.isEmpty, request.scope == .subject {
                let outbox = try await repository.redactOutbox(files: fileIDs, on: tx)
                let attempts = try await repository.redactWebhookAttempts(files: fileIDs, on: tx)
                let keys = try await repository.deleteIdempotencyRecords(mentioning: fileIDs, on: tx)
                let uploadRows = try await repository.deleteUploads(files: fileIDs, subject: nil, on: tx)
                let jobs = try await core.jobs.eraseJobs(tenantID: tenant.value, argument: "file_id", in: fileIDs, except: jobID, on: tx)
                items.append(contentsOf: [
                    ErasureItem(store: "postgres:outbox_events", item: "event payloads of \(fileIDs.count) files: \(outbox)", method: .overwritten,
                                verification: "size, sha256: absent"),
                    ErasureItem(store: "postgres:webhook_attempts", item: "response excerpts: \(attempts)", method: .overwritten, verification: "null"),
                    ErasureItem(store: "postgres:idempotency_keys", item: "stored responses: \(keys)", method: .deleted, verification: "select: 0 rows"),
                    ErasureItem(store: "postgres:uploads", item: "upload rows: \(uploadRows.count)", method: .deleted, verification: "select: 0 rows"),
                    ErasureItem(store: "postgres:jobkit.jobs", item: "queue rows of the files: \(jobs)", method: .deleted, verification: "select: 0 rows"),
                ])
            }
            if request.scope == .tenant {
                let uploads = try await repository.deleteAllUploads(on: tx)
                let jobs = try await core.jobs.eraseAllJobs(tenantID: tenant.value, except: jobID, on: tx)
                let endpoints = try await repository.deleteWebhookEndpoints(on: tx)
                let keys = try await repository.deleteAllIdempotencyRecords(on: tx)
                let events = try await repository.redactAllEvents(on: tx)
                let actors = try await repository.redactAllAuditActors(on: tx)
                items += [
                    ErasureItem(store: "postgres:uploads", item: "upload rows: \(uploads.count)", method: .deleted, verification: "select: 0 rows"),
                    ErasureItem(store: "postgres:jobkit.jobs", item: "queue rows: \(jobs)", method: .deleted, verification: "select: 0 rows"),
                    ErasureItem(store: "postgres:webhook_endpoints", item: "endpoints: \(endpoints)", method: .deleted, verification: "select: 0 rows"),
                    ErasureItem(store: "postgres:idempotency_keys", item: "records: \(keys)", method: .deleted, verification: "select: 0 rows"),
                    ErasureItem(store: "postgres:outbox_events", item: "payloads: \(events)", method: .overwritten, verification: "size, sha256: absent"),
                    ErasureItem(store: "postgres:audit_events", item: "actors: \(actors)", method: .overwritten,
                                verification: "actor null; its keyed digest stays in the hash chain"),
                ]
            } else {
                let uploads = try await repository.deleteUploads(files: [], subject: subject, on: tx)
                let jobs = try await core.jobs.eraseJobs(tenantID: tenant.value, mentioning: [subject], except: jobID, on: tx)
                let actors = try await repository.redactAuditActor(subject, on: tx)
                let left = try await core.jobs.countJobs(tenantID: tenant.value, mentioning: [subject], on: tx)
                let named = try await repository.auditEventsNaming(subject, on: tx)
                // The running job's own row mentions only the request id; anything else left is a failure to erase.
                guard left == 0 || (jobID != nil && left == 1), named == 0 else {
                    throw FileError(.storageFailure, "after erasure \(left) queue rows and \(named) audit events still name the subject")
                }
                items += [
                    ErasureItem(store: "postgres:uploads", item: "unfinished uploads: \(uploads.count)", method: .deleted, verification: "select: 0 rows"),
                    ErasureItem(store: "postgres:jobkit.jobs", item: "queue rows naming the subject: \(jobs)", method: .deleted,
                                verification: "select: 0 rows"),
                    ErasureItem(store: "postgres:audit_events", item: "events the subject acted in: \(actors)", method: .overwritten,
                                verification: "actor null; its keyed digest stays in the hash chain; select: 0 rows"),
                ]
            }
            try await repository.add(items, request: id, tenant: tenant, on: tx)
        }
    }

    /// Builds, signs and stores the receipt; emits `dsr.completed.v1`; drops the subject's id from the request.
    func finish(_ request: ErasureRequestRecord, subject: String, keys: ComplianceKeys) async throws -> Outcome {
        let tenant = request.tenant, id = request.id
        return try await core.database.transaction(tenant) { tx in
            guard let current = try await repository.request(id, on: tx, forUpdate: true) else { throw FileError(.notFound, "no erasure request \(id)") }
            if current.state.isFinished { return Outcome(state: current.state, erased: current.filesErased, kept: current.filesKept) }
            let items = try await repository.items(of: id, on: tx)
            let state: ErasureRequestRecord.State = current.filesKept > 0 ? .completedWithExceptions : .completed
            let now = Date()
            let body = ErasureReceipt.body(request: current, items: items, state: state, completedAt: now)
            let payload = try ErasureReceipt.canonical(body)
            let signature = try keys.sign(payload)
            try await repository.finish(id, state: state, receipt: String(decoding: payload, as: UTF8.self), signature: signature,
                                        keyID: keys.current.id, finishedAt: now, on: tx)
            let event = DataSubjectRequestCompleted(event_id: PrefixedID(.event).description, occurred_at: body.completed_at, tenant_id: tenant.value,
                                                    request_id: id.description, reference: current.reference, subject_hash: current.subjectHash,
                                                    scope: current.scope.rawValue, state: state.rawValue, files_erased: current.filesErased,
                                                    files_kept: current.filesKept)
            let json = String(decoding: try JSONEncoder.eventsSorted.encode(event), as: UTF8.self)
            try await OutboxRelayJob.insertEvent(id: event.event_id, tenant: tenant, topic: DataSubjectRequestCompleted.topic,
                                                 aggregateID: id.description, payloadJSON: json, on: tx, logger: core.logger)
            try await auditRepository.append(tenant: tenant, resource: id.description, action: "erasure.completed", actor: "job:dsr.erase",
                                             details: ["state": state.rawValue, "files_erased": "\(current.filesErased)", "files_kept": "\(current.filesKept)",
                                                       "subject_hash": current.subjectHash], on: tx)
            return Outcome(state: state, erased: current.filesErased, kept: current.filesKept)
        }
    }
}

/// The payload of `dsr.completed.v1`: an erasure request finished (so recipients can be told, Art. 19).
public struct DataSubjectRequestCompleted: Codable, Sendable {
    public static let topic = "dsr.completed.v1"
    public var topic: String = Self.topic
    public var event_id: String
    public var occurred_at: String
    public var tenant_id: String
    public var request_id: String
    public var reference: String?
    public var subject_hash: String
    public var scope: String
    public var state: String
    public var files_erased: Int
    public var files_kept: Int
}

extension JSONEncoder {
    static var eventsSorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}
