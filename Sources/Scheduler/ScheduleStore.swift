import Foundation
import JobKit
import Logging
import PostgresNIO

/// The scheduler's storage layer for operators: the schedules in `scheduler.schedules` and their ledger
/// `scheduler.runs` (migration 0011). The tick's own statements are in ``ScheduleStore+Tick.swift``.
public struct ScheduleStore: Sendable {
    public let postgres: PostgresClient
    let logger: Logger

    public init(postgres: PostgresClient, logger: Logger = Logger(label: "scheduler.store")) {
        self.postgres = postgres
        self.logger = logger
    }

    static let columns = """
        s.name, s.cron, s.time_zone, s.kind, s.args::text, s.queue, s.priority::int4, s.max_attempts::int4, s.misfire, s.overlap,
        s.paused, s.builtin, s.next_fire_at, s.last_fire_at, s.last_job_id, j.state::text, s.last_success_at
        """

    static func record(_ row: PostgresRow) throws -> ScheduleRecord {
        let (name, cron, zone, kind, args, queue, priority, attempts, misfire, overlap) =
            try row.decode((String, String, String, String, String, String, Int32, Int32, String, String).self)
        var r = row.makeRandomAccess()
        return ScheduleRecord(name: name, cron: cron, timeZone: zone, kind: kind, args: args, queue: queue, priority: Int(priority),
                              maxAttempts: Int(attempts), misfire: misfire, overlap: overlap,
                              paused: try r[10].decode(Bool.self), builtin: try r[11].decode(Bool.self),
                              nextFireAt: try r[12].decode(Date?.self), lastFireAt: try r[13].decode(Date?.self),
                              lastJobID: try r[14].decode(Int64?.self), lastJobState: try r[15].decode(String?.self),
                              lastSuccessAt: try r[16].decode(Date?.self))
    }

    /// Every schedule, by name.
    public func list() async throws -> [ScheduleRecord] {
        let rows = try await postgres.query(PostgresQuery(unsafeSQL: """
            SELECT \(Self.columns) FROM scheduler.schedules s LEFT JOIN jobkit.jobs j ON j.id = s.last_job_id ORDER BY s.name
            """), logger: logger)
        var out: [ScheduleRecord] = []
        for try await row in rows { out.append(try Self.record(row)) }
        return out
    }

    /// One schedule, or nil.
    public func schedule(named name: String) async throws -> ScheduleRecord? {
        var q = PostgresQuery(unsafeSQL: """
            SELECT \(Self.columns) FROM scheduler.schedules s LEFT JOIN jobkit.jobs j ON j.id = s.last_job_id WHERE s.name = $1
            """)
        q.binds.append(name)
        for try await row in try await postgres.query(q, logger: logger) { return try Self.record(row) }
        return nil
    }

    /// The latest `limit` ledger rows of a schedule, newest first.
    public func ledger(schedule name: String, limit: Int = 50) async throws -> [LedgerEntry] {
        let rows = try await postgres.query("""
            SELECT r.schedule, r.fire_time, r.outcome, r.reason, r.job_id, j.state::text, r.planned_at
            FROM scheduler.runs r LEFT JOIN jobkit.jobs j ON j.id = r.job_id
            WHERE r.schedule = \(name) ORDER BY r.fire_time DESC LIMIT \(limit)
            """, logger: logger)
        var out: [LedgerEntry] = []
        for try await (s, f, o, reason, job, state, at) in rows.decode((String, Date, String, String?, Int64?, String?, Date).self) {
            out.append(LedgerEntry(schedule: s, fireTime: f, outcome: o, reason: reason, jobID: job, jobState: state, plannedAt: at))
        }
        return out
    }

    /// Adds a schedule (refused when the name exists) with its first fire time after now.
    public func add(_ d: ScheduleDefinition, knownKinds: Set<String>?, builtin: Bool = false) async throws {
        let schedule = try d.validate(knownKinds: knownKinds)
        let now = Date()
        let next = schedule.next(after: now)
        let period = schedule.approximatePeriod(near: now)
        let rows = try await postgres.query("""
            INSERT INTO scheduler.schedules (name, cron, time_zone, kind, args, queue, priority, max_attempts, misfire, overlap,
                                             builtin, next_fire_at, period_seconds)
            VALUES (\(d.name), \(d.cron), \(d.timeZone), \(d.kind), \(d.argsJSON)::jsonb, \(d.queue), \(Int16(d.priority)),
                    \(Int16(d.maxAttempts)), \(d.misfire.description), \(d.overlap.rawValue), \(builtin), \(next), \(period))
            ON CONFLICT (name) DO NOTHING RETURNING name
            """, logger: logger)
        for try await _ in rows { return }
        throw CronError("a schedule named '\(d.name)' exists already; use `schedules update`")
    }

    /// Replaces an operator schedule's definition; the next fire time is recomputed from now.
    public func update(_ d: ScheduleDefinition, knownKinds: Set<String>?) async throws {
        let schedule = try d.validate(knownKinds: knownKinds)
        let now = Date()
        let rows = try await postgres.query("""
            UPDATE scheduler.schedules SET cron = \(d.cron), time_zone = \(d.timeZone), kind = \(d.kind), args = \(d.argsJSON)::jsonb,
                   queue = \(d.queue), priority = \(Int16(d.priority)), max_attempts = \(Int16(d.maxAttempts)),
                   misfire = \(d.misfire.description), overlap = \(d.overlap.rawValue), next_fire_at = \(schedule.next(after: now)),
                   period_seconds = \(schedule.approximatePeriod(near: now)), updated_at = now()
            WHERE name = \(d.name) RETURNING builtin
            """, logger: logger)
        for try await _ in rows { return }
        throw CronError("no schedule named '\(d.name)'")
    }

    /// Removes an operator schedule and its ledger. Built-in schedules are refused (pause them instead).
    public func remove(name: String) async throws {
        let rows = try await postgres.query("""
            WITH d AS (DELETE FROM scheduler.schedules WHERE name = \(name) AND NOT builtin RETURNING 1)
            SELECT (SELECT count(*) FROM d)::int8, (SELECT count(*) FROM scheduler.schedules WHERE name = \(name))::int8
            """, logger: logger)
        for try await (deleted, left) in rows.decode((Int64, Int64).self) {
            if deleted == 1 { return }
            if left == 1 { throw CronError("'\(name)' is a built-in schedule declared in code: pause it instead") }
        }
        throw CronError("no schedule named '\(name)'")
    }

    /// Pauses or resumes. Fire times that come while paused are recorded as skipped (`paused`).
    public func setPaused(_ paused: Bool, name: String) async throws {
        let rows = try await postgres.query("""
            UPDATE scheduler.schedules SET paused = \(paused), updated_at = now() WHERE name = \(name) RETURNING 1
            """, logger: logger)
        for try await _ in rows { return }
        throw CronError("no schedule named '\(name)'")
    }

    /// Enqueues one run now, outside the schedule's times (ledger reason `trigger`). Returns the job id.
    public func trigger(name: String) async throws -> Int64 {
        let rows = try await postgres.query("""
            WITH s AS (SELECT * FROM scheduler.schedules WHERE name = \(name)),
            id AS (SELECT nextval(pg_get_serial_sequence('jobkit.jobs', 'id')) AS id, clock_timestamp() AS at),
            job AS (
              INSERT INTO jobkit.jobs (id, queue, kind, args, priority, max_attempts, scheduled_at, tags)
              SELECT id.id, s.queue, s.kind, s.args, s.priority, s.max_attempts, id.at,
                     ARRAY['schedule:' || s.name, 'fire_time:' || to_char(id.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'trigger']
              FROM s, id RETURNING id
            ), led AS (
              INSERT INTO scheduler.runs (schedule, fire_time, outcome, reason, job_id)
              SELECT s.name, id.at, 'inserted', 'trigger', id.id FROM s, id
            ), upd AS (
              UPDATE scheduler.schedules SET last_job_id = (SELECT id FROM id), last_fire_at = (SELECT at FROM id) WHERE name = \(name)
            )
            SELECT id FROM job
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw CronError("no schedule named '\(name)'")
    }

    /// Declares the built-in schedules: inserted if missing, their definition replaced if it changed (the
    /// next fire time recomputed then); their paused flag is the operator's and kept.
    public func declareBuiltins(_ definitions: [ScheduleDefinition]) async throws {
        for d in definitions {
            let schedule = try d.validate()
            let now = Date()
            try await postgres.query("""
                INSERT INTO scheduler.schedules AS s (name, cron, time_zone, kind, args, queue, priority, max_attempts, misfire, overlap,
                                                      builtin, next_fire_at, period_seconds)
                VALUES (\(d.name), \(d.cron), \(d.timeZone), \(d.kind), \(d.argsJSON)::jsonb, \(d.queue), \(Int16(d.priority)),
                        \(Int16(d.maxAttempts)), \(d.misfire.description), \(d.overlap.rawValue), true, \(schedule.next(after: now)),
                        \(schedule.approximatePeriod(near: now)))
                ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, time_zone = excluded.time_zone, kind = excluded.kind,
                       args = excluded.args, queue = excluded.queue, priority = excluded.priority, max_attempts = excluded.max_attempts,
                       misfire = excluded.misfire, overlap = excluded.overlap, builtin = true,
                       next_fire_at = CASE WHEN s.cron = excluded.cron AND s.time_zone = excluded.time_zone AND s.next_fire_at IS NOT NULL
                                           THEN s.next_fire_at ELSE excluded.next_fire_at END,
                       period_seconds = excluded.period_seconds, updated_at = now()
                WHERE (s.cron, s.time_zone, s.kind, s.args, s.queue, s.priority, s.max_attempts, s.misfire, s.overlap, s.builtin)
                      IS DISTINCT FROM (excluded.cron, excluded.time_zone, excluded.kind, excluded.args, excluded.queue, excluded.priority,
                                        excluded.max_attempts, excluded.misfire, excluded.overlap, true)
                """, logger: logger)
        }
    }
}
