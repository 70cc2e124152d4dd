import Crypto
import Foundation

/// One audit event as the chain sees it: the content the hash covers, and the chain fields. The actor itself is
/// not covered — its keyed digest is — so that erasure can redact the actor without breaking the chain.
public struct AuditChainRow: Sendable, Hashable, Codable {
    public var id: String
    public var tenant_id: String
    /// `nil` once redacted by an erasure.
    public var actor: String?
    public var actor_digest: String?
    public var action: String
    public var subject_id: String
    /// The details object as PostgreSQL renders it (`details::text`): the exact text the hash covers.
    public var details: String
    public var request_id: String?
    public var trace_context: String?
    /// The event's time, UTC with microseconds (`2026-12-04T02:00:00.123456Z`).
    public var at: String
    public var chain_seq: Int64?
    public var prev_hash: String?
    public var hash: String?

    public init(id: String, tenant_id: String, actor: String?, actor_digest: String?, action: String, subject_id: String, details: String,
                request_id: String?, trace_context: String?, at: String, chain_seq: Int64? = nil, prev_hash: String? = nil, hash: String? = nil) {
        self.id = id
        self.tenant_id = tenant_id
        self.actor = actor
        self.actor_digest = actor_digest
        self.action = action
        self.subject_id = subject_id
        self.details = details
        self.request_id = request_id
        self.trace_context = trace_context
        self.at = at
        self.chain_seq = chain_seq
        self.prev_hash = prev_hash
        self.hash = hash
    }
}

/// The per-tenant hash chain of the audit log: pure functions, shared by the sealer, `filestore audit verify` and
/// the verification of an export.
public enum AuditChain {
    /// The `prev_hash` of a tenant's first event.
    public static let genesis = String(repeating: "0", count: 64)

    /// The hash of `row` at `chainSeq` after `prevHash`: SHA-256 (hex) of the previous hash, a newline, and a
    /// JSON array of the covered fields in a fixed order.
    public static func hash(_ row: AuditChainRow, chainSeq: Int64, prevHash: String, actorDigest: String) -> String {
        let fields: [String?] = [String(chainSeq), prevHash, row.id, row.tenant_id, actorDigest, row.action, row.subject_id, row.details,
                                 row.request_id, row.trace_context, row.at]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let json = (try? encoder.encode(fields)) ?? Data()
        var input = Data((prevHash + "\n").utf8)
        input.append(json)
        return SHA256.hash(data: input).map { String(format: "%02x", $0) }.joined()
    }

    /// What a walk of a chain found.
    public struct Report: Sendable, Hashable, Codable {
        public var tenant: String
        public var rows: Int
        /// The first row that does not verify, and why; `nil`: the chain is intact.
        public var brokenAt: String?
        public var problem: String?
        public var lastChainSeq: Int64?
        public var lastHash: String?
        public var ok: Bool { brokenAt == nil }
        public init(tenant: String, rows: Int) {
            self.tenant = tenant
            self.rows = rows
        }
    }

    /// Walks sealed rows in chain order, checking each one's sequence number, link and hash. `start` is the
    /// link the first row must continue (`nil`: take the first row's own `prev_hash`, as an export from a date on
    /// does; a walk from the tenant's first row passes ``genesis`` with sequence 0).
    public struct Walker: Sendable {
        public private(set) var report: Report
        var expectedSeq: Int64?
        var expectedPrev: String?
        /// Checks the actor against its digest when the digest function is at hand (the compliance key).
        let digest: (@Sendable (String, String) -> String)?

        public init(tenant: String, start: (seq: Int64, hash: String)?, digest: (@Sendable (_ tenant: String, _ actor: String) -> String)? = nil) {
            report = Report(tenant: tenant, rows: 0)
            expectedSeq = start.map { $0.seq + 1 }
            expectedPrev = start?.hash
            self.digest = digest
        }

        /// Checks the next row; returns `false` once the chain is broken (further rows are not looked at).
        public mutating func check(_ row: AuditChainRow) -> Bool {
            guard report.ok else { return false }
            report.rows += 1
            guard let seq = row.chain_seq, let prev = row.prev_hash, let hash = row.hash, let actorDigest = row.actor_digest else {
                return fail(row, "not sealed")
            }
            if let expectedSeq, seq != expectedSeq { return fail(row, "chain_seq \(seq), expected \(expectedSeq): a row is missing or out of order") }
            if let expectedPrev, prev != expectedPrev { return fail(row, "prev_hash does not match the previous row's hash") }
            if AuditChain.hash(row, chainSeq: seq, prevHash: prev, actorDigest: actorDigest) != hash {
                return fail(row, "hash does not match the row's content: the row was changed")
            }
            if let digest, let actor = row.actor, digest(row.tenant_id, actor) != actorDigest {
                return fail(row, "actor does not match its sealed digest: the actor was changed")
            }
            expectedSeq = seq + 1
            expectedPrev = hash
            report.lastChainSeq = seq
            report.lastHash = hash
            return true
        }

        private mutating func fail(_ row: AuditChainRow, _ problem: String) -> Bool {
            report.brokenAt = row.id
            report.problem = problem
            return false
        }
    }
}
