import Foundation
import Logging
import PostgresNIO

/// The SRE console's tables (migration 0014): operator sessions, the audit of operator actions and the
/// throughput rollups of finished jobs. Not tenant data: no row-level security, no tenant transaction.
public struct ConsoleRepository: Sendable {
    public let postgres: PostgresClient
    let logger: Logger

    public init(postgres: PostgresClient, logger: Logger = Logger(label: "filestore.console")) {
        self.postgres = postgres
        self.logger = logger
    }

    // MARK: Sessions

    /// A stored session (the cookie's token is not stored, only its SHA-256).
    public struct SessionRow: Sendable, Hashable {
        public var subject: String
        public var tenant: String
        public var canAct: Bool
        public var csrfToken: String
        public var expiresAt: Date
        public init(subject: String, tenant: String, canAct: Bool, csrfToken: String, expiresAt: Date) {
            self.subject = subject
            self.tenant = tenant
            self.canAct = canAct
            self.csrfToken = csrfToken
            self.expiresAt = expiresAt
        }
    }

    /// Stores a session under `tokenHash` (hex SHA-256 of the cookie's token); sweeps expired ones.
    public func createSession(tokenHash: String, _ s: SessionRow) async throws {
        try await postgres.query("""
            WITH gone AS (DELETE FROM console.sessions WHERE expires_at < now() - interval '1 hour')
            INSERT INTO console.sessions (token_hash, subject, tenant, can_act, csrf_token, expires_at)
            VALUES (\(tokenHash), \(s.subject), \(s.tenant), \(s.canAct), \(s.csrfToken), \(s.expiresAt))
            """, logger: logger)
    }

    /// The unexpired session stored under `tokenHash`, or `nil`.
    public func session(tokenHash: String) async throws -> SessionRow? {
        let rows = try await postgres.query("""
            SELECT subject, tenant, can_act, csrf_token, expires_at FROM console.sessions
            WHERE token_hash = \(tokenHash) AND expires_at > now()
            """, logger: logger)
        for try await (subject, tenant, canAct, csrf, expires) in rows.decode((String, String, Bool, String, Date).self) {
            return SessionRow(subject: subject, tenant: tenant, canAct: canAct, csrfToken: csrf, expiresAt: expires)
        }
        return nil
    }

    /// Ends a session (sign-out).
    public func deleteSession(tokenHash: String) async throws {
        try await postgres.query("DELETE FROM console.sessions WHERE token_hash = \(tokenHash)", logger: logger)
    }

    // MARK: Audit

    /// One audited operator action.
    public struct AuditEntry: Sendable, Hashable, Codable {
        public var id: Int64
        public var at: Date
        public var actor: String
        public var action: String
        public var target: String?
        /// The search a bulk action took its jobs from (JSON), if any.
        public var filter: String?
        /// How many jobs the action matched (a dry run's count, a bulk run's total).
        public var matched: Int
        /// How many it changed so far.
        public var done: Int
        /// `running`, `done`, `failed` or `dry_run`.
        public var status: String
        public var detail: String?
    }

    /// Records an action; returns its id.
    @discardableResult
    public func audit(actor: String, action: String, target: String?, filter: String?, matched: Int, done: Int, status: String,
                      detail: String? = nil) async throws -> Int64 {
        let rows = try await postgres.query("""
            INSERT INTO console.audit (actor, action, target, filter, matched, done, status, detail)
            VALUES (\(actor), \(action), \(target), \(filter)::jsonb, \(matched), \(done), \(status), \(detail))
            RETURNING id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        return 0
    }

    /// Updates a running bulk action's progress.
    public func updateAudit(id: Int64, done: Int, status: String, detail: String? = nil) async throws {
        try await postgres.query("""
            UPDATE console.audit SET done = \(done), status = \(status), detail = coalesce(\(detail), detail) WHERE id = \(id)
            """, logger: logger)
    }

    /// The newest audit entries (at most `limit`), optionally about one target (`job:42`).
    public func auditLog(limit: Int = 100, target: String? = nil) async throws -> [AuditEntry] {
        let rows = try await postgres.query("""
            SELECT id, at, actor, action, target, filter::text, matched, done, status, detail FROM console.audit
            WHERE (\(target)::text IS NULL OR target = \(target))
            ORDER BY id DESC LIMIT \(max(1, min(limit, 1000)))
            """, logger: logger)
        var result: [AuditEntry] = []
        for try await r in rows.decode((Int64, Date, String, String, String?, String?, Int32, Int32, String, String?).self) {
            result.append(AuditEntry(id: r.0, at: r.1, actor: r.2, action: r.3, target: r.4, filter: r.5, matched: Int(r.6),
                                     done: Int(r.7), status: r.8, detail: r.9))
        }
        return result
    }

    // MARK: Rollups

    /// Adds the jobs finished since the watermark and before `lag` ago to the per-minute rollups and moves the
    /// watermark, in one transaction, by one process at a time (an advisory lock; the others skip). Returns how
    /// many jobs were rolled up, or `nil` when another process holds the lock.
    public func rollUp(lag: Duration = .seconds(5)) async throws -> Int? {
        let lagSeconds = Double(lag.components.seconds)
        return try await postgres.withTransaction(logger: logger) { tx in
            let locked = try await tx.query("SELECT pg_try_advisory_xact_lock(hashtext('filestore.console.rollup'))", logger: logger)
            for try await ok in locked.decode(Bool.self) where !ok { return nil }
            let rows = try await tx.query("""
                WITH w AS (SELECT rolled_to, now() - make_interval(secs => \(lagSeconds)) AS upto FROM console.rollup_watermark FOR UPDATE),
                agg AS (
                  SELECT date_trunc('minute', j.finalized_at) AS bucket, j.queue, j.state::text AS state, count(*)::int8 AS n
                  FROM jobkit.jobs j, w
                  WHERE j.state IN ('completed', 'cancelled', 'discarded') AND j.finalized_at >= w.rolled_to AND j.finalized_at < w.upto
                  GROUP BY 1, 2, 3
                ), ins AS (
                  INSERT INTO console.job_rollups (bucket, queue, state, jobs) SELECT bucket, queue, state, n FROM agg
                  ON CONFLICT (bucket, queue, state) DO UPDATE SET jobs = console.job_rollups.jobs + excluded.jobs
                  RETURNING jobs
                ), mv AS (
                  UPDATE console.rollup_watermark SET rolled_to = (SELECT upto FROM w) WHERE (SELECT upto FROM w) > rolled_to RETURNING 1
                )
                SELECT coalesce((SELECT sum(n) FROM agg), 0)::int8, (SELECT count(*) FROM ins), (SELECT count(*) FROM mv)
                """, logger: logger)
            for try await (n, _, _) in rows.decode((Int64, Int64, Int64).self) { return Int(n) }
            return 0
        }
    }

    /// Finished jobs per queue and final state since `since`, from the rollups.
    public struct Throughput: Sendable, Hashable, Codable {
        public var queue: String
        public var completed: Int
        public var cancelled: Int
        public var discarded: Int
        /// Discarded among completed and discarded (0 when neither).
        public var failureRate: Double {
            completed + discarded == 0 ? 0 : Double(discarded) / Double(completed + discarded)
        }
    }

    /// Throughput per queue over the rollups since `since`.
    public func throughput(since: Date) async throws -> [String: Throughput] {
        let rows = try await postgres.query("""
            SELECT queue, state, sum(jobs)::int8 FROM console.job_rollups WHERE bucket >= \(since) GROUP BY 1, 2
            """, logger: logger)
        var result: [String: Throughput] = [:]
        for try await (queue, state, n) in rows.decode((String, String, Int64).self) {
            var t = result[queue] ?? Throughput(queue: queue, completed: 0, cancelled: 0, discarded: 0)
            switch state {
            case "completed": t.completed = Int(n)
            case "cancelled": t.cancelled = Int(n)
            default: t.discarded = Int(n)
            }
            result[queue] = t
        }
        return result
    }

    /// Drops rollups older than `olderThan` (the week the overview shows, with room).
    public func pruneRollups(olderThan: Date) async throws {
        try await postgres.query("DELETE FROM console.job_rollups WHERE bucket < \(olderThan)", logger: logger)
    }
}
