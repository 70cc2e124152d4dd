import Foundation
import Logging
import PostgresNIO

/// The recorded readiness revalidations (migration 0016): runs, their rows with evidence, and the findings failing
/// rows open. Statements run on the caller's transaction so that a run, its findings and their outbox events
/// commit together.
public struct ReadinessRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// One row of a run as it is stored; `evidenceJSON` is a JSON array of strings.
    public struct RowRecord: Sendable, Hashable, Codable {
        public var rowID: String
        public var title: String
        public var status: String
        public var level: Int
        public var evidenceJSON: String

        public init(rowID: String, title: String, status: String, level: Int, evidenceJSON: String) {
            self.rowID = rowID
            self.title = title
            self.status = status
            self.level = level
            self.evidenceJSON = evidenceJSON
        }
    }

    /// A recorded run.
    public struct RunRecord: Sendable, Hashable {
        public var id: Int64
        public var startedAt: Date
        public var finishedAt: Date
        public var level: Int
        public var passed: Int, failed: Int, manual: Int, notApplicable: Int
        public var trigger: String
        public var jobID: Int64?
    }

    /// A finding: a row that failed, open until a run in which it passes.
    public struct FindingRecord: Sendable, Hashable {
        public var id: Int64
        public var rowID: String
        public var title: String
        public var openedAt: Date
        public var openedRunID: Int64
        public var lastSeenRunID: Int64
        public var evidenceJSON: String
        public var closedAt: Date?
        public var closedRunID: Int64?
    }

    /// Serializes recordings until the transaction ends (a CLI run and the job at once would both open a finding).
    public func lockRecording(on tx: PostgresConnection) async throws {
        try await tx.query("SELECT pg_advisory_xact_lock(7470062)", logger: logger)
    }

    /// Records a run and its rows; returns the run's id.
    public func insertRun(startedAt: Date, level: Int, rows: [RowRecord], trigger: String, jobID: Int64?,
                          on tx: PostgresConnection) async throws -> Int64 {
        let count = { (status: String) in rows.filter { $0.status == status }.count }
        let inserted = try await tx.query("""
            INSERT INTO readiness.runs (started_at, level, passed, failed, manual, not_applicable, trigger, job_id)
            VALUES (\(startedAt), \(Int16(level)), \(Int32(count("pass"))), \(Int32(count("fail"))), \(Int32(count("manual"))),
                    \(Int32(count("not_applicable"))), \(trigger), \(jobID))
            RETURNING id
            """, logger: logger)
        var runID: Int64 = 0
        for try await id in inserted.decode(Int64.self) { runID = id }
        let json = String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)
        try await tx.query("""
            INSERT INTO readiness.run_rows (run_id, row_id, title, status, level, evidence)
            SELECT \(runID), r."rowID", r.title, r.status, r.level::int2, r."evidenceJSON"::jsonb
            FROM jsonb_to_recordset(\(json)::jsonb) AS r("rowID" text, title text, status text, level int, "evidenceJSON" text)
            """, logger: logger)
        return runID
    }

    /// The open findings, by row id.
    public func openFindings(on tx: PostgresConnection) async throws -> [String: FindingRecord] {
        let all = try await findings(openOnly: true, limit: 10_000, on: tx)
        return Dictionary(all.map { ($0.rowID, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Opens a finding for `row` (the unique index refuses a second open one).
    public func openFinding(_ row: RowRecord, run: Int64, on tx: PostgresConnection) async throws -> Int64 {
        let rows = try await tx.query("""
            INSERT INTO readiness.findings (row_id, title, opened_run_id, last_seen_run_id, evidence)
            VALUES (\(row.rowID), \(row.title), \(run), \(run), \(row.evidenceJSON)::jsonb) RETURNING id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        return 0
    }

    /// A run in which the finding's row still fails: the evidence of that run, and the run seen.
    public func touchFinding(_ id: Int64, run: Int64, evidenceJSON: String, on tx: PostgresConnection) async throws {
        try await tx.query("""
            UPDATE readiness.findings SET last_seen_run_id = \(run), evidence = \(evidenceJSON)::jsonb WHERE id = \(id)
            """, logger: logger)
    }

    /// The row passes again (or no longer applies): the finding is closed by `run`.
    public func closeFinding(_ id: Int64, run: Int64, on tx: PostgresConnection) async throws {
        try await tx.query("""
            UPDATE readiness.findings SET closed_at = now(), closed_run_id = \(run) WHERE id = \(id) AND closed_at IS NULL
            """, logger: logger)
    }

    /// Runs, newest first.
    public func runs(limit: Int, on tx: PostgresConnection) async throws -> [RunRecord] {
        let rows = try await tx.query("""
            SELECT id, started_at, finished_at, level, passed, failed, manual, not_applicable, trigger, job_id
            FROM readiness.runs ORDER BY id DESC LIMIT \(limit)
            """, logger: logger)
        var out: [RunRecord] = []
        for try await r in rows.decode((Int64, Date, Date, Int16, Int32, Int32, Int32, Int32, String, Int64?).self) {
            out.append(RunRecord(id: r.0, startedAt: r.1, finishedAt: r.2, level: Int(r.3), passed: Int(r.4), failed: Int(r.5),
                                 manual: Int(r.6), notApplicable: Int(r.7), trigger: r.8, jobID: r.9))
        }
        return out
    }

    /// The rows of one run.
    public func rows(run: Int64, on tx: PostgresConnection) async throws -> [RowRecord] {
        let rows = try await tx.query("""
            SELECT row_id, title, status, level, evidence::text FROM readiness.run_rows WHERE run_id = \(run) ORDER BY row_id
            """, logger: logger)
        var out: [RowRecord] = []
        for try await (id, title, status, level, evidence) in rows.decode((String, String, String, Int16, String).self) {
            out.append(RowRecord(rowID: id, title: title, status: status, level: Int(level), evidenceJSON: evidence))
        }
        return out
    }

    /// Findings, newest first; only the open ones with `openOnly`.
    public func findings(openOnly: Bool, limit: Int, on tx: PostgresConnection) async throws -> [FindingRecord] {
        let rows = try await tx.query("""
            SELECT id, row_id, title, opened_at, opened_run_id, last_seen_run_id, evidence::text, closed_at, closed_run_id
            FROM readiness.findings WHERE (NOT \(openOnly) OR closed_at IS NULL) ORDER BY id DESC LIMIT \(limit)
            """, logger: logger)
        var out: [FindingRecord] = []
        for try await r in rows.decode((Int64, String, String, Date, Int64, Int64, String, Date?, Int64?).self) {
            out.append(FindingRecord(id: r.0, rowID: r.1, title: r.2, openedAt: r.3, openedRunID: r.4, lastSeenRunID: r.5,
                                     evidenceJSON: r.6, closedAt: r.7, closedRunID: r.8))
        }
        return out
    }

    /// The level and failing rows of the latest run, for the gauges (`nil`: never run).
    public func latest(on tx: PostgresConnection) async throws -> (level: Int, failed: Int, age: Double)? {
        let rows = try await tx.query("""
            SELECT level, failed, extract(epoch FROM now() - finished_at)::float8 FROM readiness.runs ORDER BY id DESC LIMIT 1
            """, logger: logger)
        for try await (level, failed, age) in rows.decode((Int16, Int32, Double).self) { return (Int(level), Int(failed), age) }
        return nil
    }

    /// Makes sure the transaction's tenant has the readiness probe's quarantined file (`object_key` in the tenant's
    /// prefix, no bytes); returns its id. `newID` is used when the tenant has none yet.
    public func ensureQuarantinedProbe(tenant: String, newID: String, on tx: PostgresConnection) async throws -> String {
        let rows = try await tx.query("""
            WITH found AS (
              SELECT id FROM files WHERE tenant_id = \(tenant) AND original_name = 'readiness-probe' AND state = 'quarantined' LIMIT 1),
            made AS (
              INSERT INTO files (id, tenant_id, state, object_key, original_name, content_type, size, sha256, scan_signature)
              SELECT \(newID), \(tenant), 'quarantined', 'tenants/' || \(tenant) || '/files/' || \(newID) || '/original', 'readiness-probe',
                     'application/octet-stream', 0, repeat('0', 64), 'Readiness.Probe.Quarantined'
              WHERE NOT EXISTS (SELECT 1 FROM found) RETURNING id)
            SELECT id FROM found UNION ALL SELECT id FROM made
            """, logger: logger)
        for try await id in rows.decode(String.self) { return id }
        return newID
    }
}
