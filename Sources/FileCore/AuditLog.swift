import Domain
import Foundation
import Storage

/// The tamper-evident audit log of a tenant: events are sealed into a per-tenant hash chain shortly after they are
/// written (the `audit.seal` sweep, so that writers never wait on a chain head), verified by recomputing the chain,
/// and exported as JSON lines that verify on their own.
public struct AuditLog: Sendable {
    let core: FileCore

    var repository: AuditRepository { AuditRepository(logger: core.logger) }

    /// Seals up to `limit` of the tenant's unsealed events into its chain, in one transaction. Returns how many.
    @discardableResult
    public func seal(tenant: TenantID, limit: Int = 1000) async throws -> Int {
        let keys = try core.configuration.compliance.requireKeys()
        return try await core.database.transaction(tenant) { tx in
            var head = try await repository.lockHead(tenant, on: tx)
            var rows = try await repository.unsealed(limit: limit, on: tx)
            guard !rows.isEmpty else { return 0 }
            for i in rows.indices {
                let digest = keys.subjectHash(tenant: tenant.value, subject: rows[i].actor ?? "")
                let seq = head.seq + 1
                let hash = AuditChain.hash(rows[i], chainSeq: seq, prevHash: head.hash, actorDigest: digest)
                rows[i].actor_digest = digest
                rows[i].chain_seq = seq
                rows[i].prev_hash = head.hash
                rows[i].hash = hash
                head = (seq, hash)
            }
            try await repository.seal(rows, tenant: tenant, on: tx)
            return rows.count
        }
    }

    /// Seals everything of the tenant that is unsealed now.
    public func sealAll(tenant: TenantID) async throws {
        while try await seal(tenant: tenant) == 1000 {}
    }

    /// What `verify` found: the chain's report and how many events still wait to be sealed.
    public struct Verification: Sendable, Codable {
        public var chain: AuditChain.Report
        public var unsealed: Int
    }

    /// Recomputes the tenant's whole chain from its first event and names the first row that does not verify;
    /// with the compliance key it also checks every unredacted actor against its digest.
    public func verify(tenant: TenantID) async throws -> Verification {
        let keys = core.configuration.compliance.keys
        var walker = AuditChain.Walker(tenant: tenant.value, start: (0, AuditChain.genesis),
                                       digest: keys.map { k in { @Sendable t, a in k.subjectHash(tenant: t, subject: a) } })
        var after: Int64 = 0
        let (unsealed, head) = try await core.database.transaction(tenant) { tx in
            (try await repository.unsealedCount(on: tx), try await repository.head(on: tx))
        }
        pages: while true {
            let rows = try await core.database.transaction(tenant) { try await repository.chain(afterSeq: after, since: nil, limit: 1000, on: $0) }
            for row in rows where !walker.check(row) { break pages }
            guard let last = rows.last?.chain_seq, rows.count == 1000 else { break }
            after = last
        }
        var report = walker.report
        if report.ok, let head, head.seq != (report.lastChainSeq ?? 0) || head.hash != (report.lastHash ?? AuditChain.genesis) {
            report.brokenAt = "head"
            report.problem = "the chain ends at \(report.lastChainSeq ?? 0) but its head says \(head.seq): rows after it were removed"
        }
        return Verification(chain: report, unsealed: unsealed)
    }

    /// Writes the tenant's sealed events from `since` on, in chain order, one JSON object per call of `line`.
    public func export(tenant: TenantID, since: Date?, line: (AuditChainRow) throws -> Void) async throws -> Int {
        var after: Int64 = 0, count = 0
        while true {
            let rows = try await core.database.transaction(tenant) { try await repository.chain(afterSeq: after, since: since, limit: 1000, on: $0) }
            for row in rows { try line(row) }
            count += rows.count
            guard let last = rows.last?.chain_seq, rows.count == 1000 else { return count }
            after = last
        }
    }
}
