import Domain
import Foundation
import Logging
import PostgresNIO

/// Erasure requests and their items, and the statements that erase a subject's traces from the tenant's tables,
/// inside a tenant-scoped transaction.
public struct ErasureRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    static let columns = """
        id, tenant_id, subject_id, subject_hash, scope, reason, reference, source, requested_by, state, received_at, due_at,
        started_at, finished_at, files_total, files_erased, files_kept, attempts, last_error, receipt, receipt_signature, receipt_key_id
        """

    /// Inserts the request unless one for the same (tenant, subject, scope, reference) exists; returns the stored
    /// request and whether it is new.
    public func insert(_ r: ErasureRequestRecord, on tx: PostgresConnection) async throws -> (ErasureRequestRecord, created: Bool) {
        let inserted = try await Self.decode(tx.query("""
            INSERT INTO erasure_requests (id, tenant_id, subject_id, subject_hash, scope, reason, reference, source, requested_by, due_at)
            VALUES (\(r.id.description), \(r.tenant.value), \(r.subjectID), \(r.subjectHash), \(r.scope.rawValue), \(r.reason), \(r.reference),
                    \(r.source), \(r.requestedBy), \(r.dueAt))
            ON CONFLICT DO NOTHING
            RETURNING \(unescaped: Self.columns)
            """, logger: logger))
        if let first = inserted.first { return (first, true) }
        let existing = try await Self.decode(tx.query("""
            SELECT \(unescaped: Self.columns) FROM erasure_requests
            WHERE subject_hash = \(r.subjectHash) AND scope = \(r.scope.rawValue) AND reference IS NOT DISTINCT FROM \(r.reference)
            """, logger: logger))
        guard let found = existing.first else { throw FileError(.notFound, "erasure request vanished after a conflicting insert") }
        return (found, false)
    }

    /// One request of the transaction's tenant.
    public func request(_ id: PrefixedID, on tx: PostgresConnection, forUpdate: Bool = false) async throws -> ErasureRequestRecord? {
        try await Self.decode(tx.query("""
            SELECT \(unescaped: Self.columns) FROM erasure_requests WHERE id = \(id.description) \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """, logger: logger)).first
    }

    /// The tenant's requests, newest first, after `after`, at most `limit`.
    public func list(after: PrefixedID?, limit: Int, on tx: PostgresConnection) async throws -> [ErasureRequestRecord] {
        try await Self.decode(tx.query("""
            SELECT \(unescaped: Self.columns) FROM erasure_requests
            WHERE (\(after?.description)::text IS NULL OR id < \(after?.description)) ORDER BY id DESC LIMIT \(limit)
            """, logger: logger))
    }

    /// Marks the request running (first start: `started_at`) and counts the attempt.
    public func start(_ id: PrefixedID, on tx: PostgresConnection) async throws {
        try await tx.query("""
            UPDATE erasure_requests SET state = 'running', started_at = coalesce(started_at, now()), attempts = attempts + 1
            WHERE id = \(id.description) AND state IN ('received', 'running')
            """, logger: logger)
    }

    /// Records why the last attempt failed (the request stays `running`; its job retries).
    public func recordFailure(_ id: PrefixedID, error: String, on tx: PostgresConnection) async throws {
        try await tx.query("UPDATE erasure_requests SET last_error = \(String(error.prefix(2000))) WHERE id = \(id.description)", logger: logger)
    }

    /// Adds to the request's counters.
    public func progress(_ id: PrefixedID, total: Int, erased: Int, kept: Int, on tx: PostgresConnection) async throws {
        try await tx.query("""
            UPDATE erasure_requests SET files_total = files_total + \(total), files_erased = files_erased + \(erased),
              files_kept = files_kept + \(kept) WHERE id = \(id.description)
            """, logger: logger)
    }

    /// Appends items of the request's receipt.
    public func add(_ items: [ErasureItem], request: PrefixedID, tenant: TenantID, on tx: PostgresConnection) async throws {
        guard !items.isEmpty else { return }
        try await tx.query("""
            INSERT INTO erasure_items (request_id, tenant_id, store, item, method, basis, verification, at)
            SELECT \(request.description), \(tenant.value), s, i, m, nullif(b, ''), v, a
            FROM unnest(\(items.map(\.store))::text[], \(items.map(\.item))::text[], \(items.map(\.method.rawValue))::text[],
                        \(items.map { $0.basis ?? "" })::text[], \(items.map(\.verification))::text[], \(items.map(\.at))::timestamptz[])
                 AS x (s, i, m, b, v, a)
            """, logger: logger)
    }

    /// The request's items in the order they were recorded.
    public func items(of request: PrefixedID, on tx: PostgresConnection) async throws -> [ErasureItem] {
        let rows = try await tx.query("""
            SELECT store, item, method, basis, verification, at FROM erasure_items WHERE request_id = \(request.description) ORDER BY seq
            """, logger: logger)
        var out: [ErasureItem] = []
        for try await (store, item, method, basis, verification, at) in rows.decode((String, String, String, String?, String, Date).self) {
            out.append(ErasureItem(store: store, item: item, method: ErasureItem.Method(rawValue: method) ?? .deleted, basis: basis,
                                   verification: verification, at: at))
        }
        return out
    }

    /// Finishes the request with its signed receipt; the subject's id goes, its keyed hash stays.
    public func finish(_ id: PrefixedID, state: ErasureRequestRecord.State, receipt: String, signature: String, keyID: String,
                       finishedAt: Date, on tx: PostgresConnection) async throws {
        try await tx.query("""
            UPDATE erasure_requests SET state = \(state.rawValue), finished_at = \(finishedAt), subject_id = NULL, last_error = NULL,
              receipt = \(receipt), receipt_signature = \(signature), receipt_key_id = \(keyID)
            WHERE id = \(id.description)
            """, logger: logger)
    }

    // MARK: Erasing traces

    /// Clears what an erased file's row said about it (name, declared type, size, digest, metadata found).
    public func scrubFileRow(_ file: PrefixedID, on tx: PostgresConnection) async throws {
        try await tx.query("""
            UPDATE files SET original_name = NULL, declared_type = NULL, size = NULL, sha256 = NULL, metadata_found = NULL,
              scan_signature = NULL, updated_at = now()
            WHERE id = \(file.description) AND state = 'erased'
            """, logger: logger)
    }

    /// Removes size and digest from the outbox payloads of `files` (delivered or not); returns how many.
    public func redactOutbox(files: [String], on tx: PostgresConnection) async throws -> Int {
        try await count(tx.query("""
            WITH f AS (SELECT DISTINCT unnest(\(files)::text[]) AS id),
            c AS (UPDATE outbox_events o SET payload = o.payload - 'sha256' - 'size' - 'name' FROM f
                  WHERE o.aggregate_id = f.id AND (o.payload ? 'sha256' OR o.payload ? 'size' OR o.payload ? 'name') RETURNING 1)
            SELECT count(*)::bigint FROM c
            """, logger: logger))
    }

    /// Clears the response excerpts and errors of webhook attempts that delivered events of `files`.
    public func redactWebhookAttempts(files: [String], on tx: PostgresConnection) async throws -> Int {
        try await count(tx.query("""
            WITH f AS (SELECT DISTINCT unnest(\(files)::text[]) AS id),
            e AS (SELECT o.id FROM outbox_events o JOIN f ON o.aggregate_id = f.id),
            c AS (UPDATE webhook_attempts a SET response_prefix = NULL, error = NULL FROM e
                  WHERE a.event_id = e.id AND (a.response_prefix IS NOT NULL OR a.error IS NOT NULL) RETURNING 1)
            SELECT count(*)::bigint FROM c
            """, logger: logger))
    }

    /// Deletes idempotency records whose stored response or location names any of `files` (file ids, `med_…`, as
    /// every stored file answer does); returns how many. One pass over the tenant's records, the ids hash-joined.
    public func deleteIdempotencyRecords(mentioning files: [String], on tx: PostgresConnection) async throws -> Int {
        try await count(tx.query("""
            WITH f AS (SELECT DISTINCT unnest(\(files)::text[]) AS id),
            named AS (
              SELECT k.key, m[1] AS id FROM idempotency_keys k,
                LATERAL regexp_matches(coalesce(k.location, '') || ' ' || coalesce(convert_from(k.body, 'UTF8'), ''),
                                       '(med_[0-7][0-9A-HJKMNP-TV-Z]{25})', 'g') AS m),
            c AS (DELETE FROM idempotency_keys k USING named n JOIN f ON f.id = n.id WHERE k.key = n.key RETURNING 1)
            SELECT count(*)::bigint FROM c
            """, logger: logger))
    }

    /// Upload rows (tus) of `files`, or unfinished ones of `subject`: their ids (to drop staged parts) — deleted.
    public func deleteUploads(files: [String], subject: String?, on tx: PostgresConnection) async throws -> [(id: PrefixedID, unfinished: Bool)] {
        let rows = try await tx.query("""
            DELETE FROM uploads u WHERE u.file_id IN (SELECT unnest(\(files)::text[]))
              OR (\(subject)::text IS NOT NULL AND \(subject) = ANY(u.subjects))
            RETURNING id, completed_at IS NULL
            """, logger: logger)
        var out: [(id: PrefixedID, unfinished: Bool)] = []
        for try await (id, unfinished) in rows.decode((String, Bool).self) {
            if let id = PrefixedID(parsing: id, as: .upload) { out.append((id, unfinished)) }
        }
        return out
    }

    /// Every upload row of the tenant (offboarding): deleted, their ids returned.
    public func deleteAllUploads(on tx: PostgresConnection) async throws -> [(id: PrefixedID, unfinished: Bool)] {
        let rows = try await tx.query("DELETE FROM uploads RETURNING id, completed_at IS NULL", logger: logger)
        var out: [(id: PrefixedID, unfinished: Bool)] = []
        for try await (id, unfinished) in rows.decode((String, Bool).self) {
            if let id = PrefixedID(parsing: id, as: .upload) { out.append((id, unfinished)) }
        }
        return out
    }

    /// Redacts the actor of every sealed audit event the subject wrote (its keyed digest stays in the chain);
    /// returns how many.
    public func redactAuditActor(_ subject: String, on tx: PostgresConnection) async throws -> Int {
        try await count(tx.query("""
            WITH c AS (UPDATE audit_events SET actor = NULL WHERE actor = \(subject) AND hash IS NOT NULL RETURNING 1)
            SELECT count(*)::bigint FROM c
            """, logger: logger))
    }

    /// Audit events still naming `subject` as their actor.
    public func auditEventsNaming(_ subject: String, on tx: PostgresConnection) async throws -> Int {
        try await count(tx.query("SELECT count(*)::bigint FROM audit_events WHERE actor = \(subject)", logger: logger))
    }

    /// Deletes the tenant's webhook endpoints (offboarding; their deliveries and attempts go with them).
    public func deleteWebhookEndpoints(on tx: PostgresConnection) async throws -> Int {
        try await count(tx.query("WITH c AS (DELETE FROM webhook_endpoints RETURNING 1) SELECT count(*)::bigint FROM c", logger: logger))
    }

    /// Deletes the tenant's idempotency records (offboarding).
    public func deleteAllIdempotencyRecords(on tx: PostgresConnection) async throws -> Int {
        try await count(tx.query("WITH c AS (DELETE FROM idempotency_keys RETURNING 1) SELECT count(*)::bigint FROM c", logger: logger))
    }

    /// Redacts every sealed audit actor of the tenant (offboarding).
    public func redactAllAuditActors(on tx: PostgresConnection) async throws -> Int {
        try await count(tx.query("""
            WITH c AS (UPDATE audit_events SET actor = NULL WHERE actor IS NOT NULL AND hash IS NOT NULL RETURNING 1)
            SELECT count(*)::bigint FROM c
            """, logger: logger))
    }

    /// Removes size and digest from every outbox payload of the tenant and clears every webhook response excerpt.
    public func redactAllEvents(on tx: PostgresConnection) async throws -> Int {
        try await tx.query("UPDATE webhook_attempts SET response_prefix = NULL, error = NULL WHERE response_prefix IS NOT NULL OR error IS NOT NULL",
                           logger: logger)
        return try await count(tx.query("""
            WITH c AS (UPDATE outbox_events SET payload = payload - 'sha256' - 'size' - 'name'
                       WHERE payload ? 'sha256' OR payload ? 'size' OR payload ? 'name' RETURNING 1)
            SELECT count(*)::bigint FROM c
            """, logger: logger))
    }

    private func count(_ rows: PostgresRowSequence) async throws -> Int {
        for try await n in rows.decode(Int64.self) { return Int(n) }
        return 0
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [ErasureRequestRecord] {
        var out: [ErasureRequestRecord] = []
        for try await c in rows.decode((String, String, String?, String, String, String, String?, String, String, String, Date, Date,
                                         Date?, Date?, Int32, Int32, Int32, Int32, String?, String?, String?, String?).self) {
            guard let id = PrefixedID(parsing: c.0, as: .erasure) else { throw FileError(.invalidID, "corrupt erasure request row \(c.0)") }
            out.append(ErasureRequestRecord(
                id: id, tenant: try TenantID(c.1), subjectID: c.2, subjectHash: c.3, scope: .init(rawValue: c.4) ?? .subject, reason: c.5,
                reference: c.6, source: c.7, requestedBy: c.8, state: .init(rawValue: c.9) ?? .received, receivedAt: c.10, dueAt: c.11,
                startedAt: c.12, finishedAt: c.13, filesTotal: Int(c.14), filesErased: Int(c.15), filesKept: Int(c.16), attempts: Int(c.17),
                lastError: c.18, receipt: c.19, receiptSignature: c.20, receiptKeyID: c.21))
        }
        return out
    }
}

extension ErasureRepository {
    /// The files this request erased so far (their `postgres:files` items), for the once-per-request passes.
    public func erasedFiles(of request: PrefixedID, on tx: PostgresConnection) async throws -> [String] {
        let rows = try await tx.query("""
            SELECT item FROM erasure_items WHERE request_id = \(request.description) AND store = 'postgres:files' AND method = 'overwritten'
            """, logger: logger)
        var out: [String] = []
        for try await id in rows.decode(String.self) { out.append(id) }
        return out
    }

    /// The last file id a finished batch of the request dealt with.
    public func cursor(of id: PrefixedID, on tx: PostgresConnection) async throws -> PrefixedID? {
        let rows = try await tx.query("SELECT cursor FROM erasure_requests WHERE id = \(id.description)", logger: logger)
        for try await c in rows.decode(String?.self) { return c.flatMap { PrefixedID(parsing: $0, as: .file) } }
        return nil
    }

    /// Moves the request's cursor past a finished batch.
    public func setCursor(_ id: PrefixedID, to file: PrefixedID, on tx: PostgresConnection) async throws {
        try await tx.query("UPDATE erasure_requests SET cursor = \(file.description) WHERE id = \(id.description)", logger: logger)
    }
}
