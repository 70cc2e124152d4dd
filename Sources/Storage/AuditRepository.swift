import Domain
import Foundation
import Logging
import PostgresNIO

/// The audit log's hash chain (`audit_events`, `audit_chain_heads`), inside a tenant-scoped transaction: the
/// sealer's reads and writes, and the chain in order for verification and export.
public struct AuditRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    static let columns = """
        id, tenant_id, actor, actor_digest, action, subject_id, details::text,
        request_id, trace_context, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), chain_seq, prev_hash, hash
        """

    /// The tenant's chain head, locked for this transaction (created at the genesis if missing).
    public func lockHead(_ tenant: TenantID, on tx: PostgresConnection) async throws -> (seq: Int64, hash: String) {
        try await tx.query("""
            INSERT INTO audit_chain_heads (tenant_id, chain_seq, hash) VALUES (\(tenant.value), 0, \(AuditChain.genesis))
            ON CONFLICT DO NOTHING
            """, logger: logger)
        let rows = try await tx.query("SELECT chain_seq, hash FROM audit_chain_heads WHERE tenant_id = \(tenant.value) FOR UPDATE", logger: logger)
        for try await (seq, hash) in rows.decode((Int64, String).self) { return (seq, hash) }
        throw FileError(.notFound, "no audit chain head for \(tenant)")
    }

    /// Up to `limit` unsealed events, in insertion order, locked.
    public func unsealed(limit: Int, on tx: PostgresConnection) async throws -> [AuditChainRow] {
        try await Self.decode(tx.query("""
            SELECT \(unescaped: Self.columns) FROM audit_events WHERE hash IS NULL ORDER BY seq LIMIT \(limit) FOR UPDATE
            """, logger: logger))
    }

    /// Writes the chain fields of sealed rows and moves the head.
    public func seal(_ rows: [AuditChainRow], tenant: TenantID, on tx: PostgresConnection) async throws {
        guard let last = rows.last, let seq = last.chain_seq, let hash = last.hash else { return }
        try await tx.query("""
            UPDATE audit_events a SET actor_digest = x.d, chain_seq = x.s, prev_hash = x.p, hash = x.h, sealed_at = now()
            FROM unnest(\(rows.map(\.id))::text[], \(rows.map { $0.actor_digest ?? "" })::text[], \(rows.map { $0.chain_seq ?? 0 })::bigint[],
                        \(rows.map { $0.prev_hash ?? "" })::text[], \(rows.map { $0.hash ?? "" })::text[]) AS x (id, d, s, p, h)
            WHERE a.id = x.id
            """, logger: logger)
        try await tx.query("""
            UPDATE audit_chain_heads SET chain_seq = \(seq), hash = \(hash), updated_at = now() WHERE tenant_id = \(tenant.value)
            """, logger: logger)
    }

    /// Sealed events after `afterSeq` in chain order (from `since` on, when given), at most `limit`.
    public func chain(afterSeq: Int64, since: Date?, limit: Int, on tx: PostgresConnection) async throws -> [AuditChainRow] {
        try await Self.decode(tx.query("""
            SELECT \(unescaped: Self.columns) FROM audit_events
            WHERE chain_seq > \(afterSeq) AND (\(since)::timestamptz IS NULL OR at >= \(since))
            ORDER BY chain_seq LIMIT \(limit)
            """, logger: logger))
    }

    /// The tenant's events not yet sealed.
    public func unsealedCount(on tx: PostgresConnection) async throws -> Int {
        let rows = try await tx.query("SELECT count(*)::bigint FROM audit_events WHERE hash IS NULL", logger: logger)
        for try await n in rows.decode(Int64.self) { return Int(n) }
        return 0
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [AuditChainRow] {
        var out: [AuditChainRow] = []
        for try await c in rows.decode((String, String, String?, String?, String, String, String, String?, String?, String, Int64?, String?, String?).self) {
            out.append(AuditChainRow(id: c.0, tenant_id: c.1, actor: c.2, actor_digest: c.3, action: c.4, subject_id: c.5, details: c.6,
                                     request_id: c.7, trace_context: c.8, at: c.9, chain_seq: c.10, prev_hash: c.11, hash: c.12))
        }
        return out
    }
}

extension AuditRepository {
    /// Appends an audit event about `resource` (a file, an erasure request…) of `tenant`.
    public func append(tenant: TenantID, resource: String, action: String, actor: String, details: [String: String] = [:],
                       requestID: String? = nil, traceContext: String? = nil, on tx: PostgresConnection) async throws {
        let json = String(decoding: try JSONEncoder().encode(details), as: UTF8.self)
        try await tx.query("""
            INSERT INTO audit_events (id, tenant_id, actor, action, subject_id, details, request_id, trace_context)
            VALUES (\(PrefixedID(.audit).description), \(tenant.value), \(actor), \(action), \(resource), \(json)::jsonb, \(requestID), \(traceContext))
            """, logger: logger)
    }
}

extension AuditRepository {
    /// The tenant's chain head, if it has one (not locked).
    public func head(on tx: PostgresConnection) async throws -> (seq: Int64, hash: String)? {
        let rows = try await tx.query("SELECT chain_seq, hash FROM audit_chain_heads", logger: logger)
        for try await (seq, hash) in rows.decode((Int64, String).self) { return (seq, hash) }
        return nil
    }
}
