import Foundation
import JobKit
import Logging
import PostgresNIO

/// The scheduler tick's statements: claim the due schedules, write the ledger and the jobs in one
/// statement (exactly one job per (schedule, fire time): the ledger's primary key refuses the second), advance
/// the schedules. All in one transaction.
extension ScheduleStore {
    /// What one tick did.
    public struct TickResult: Sendable, Hashable {
        /// The schedules that were due.
        public var schedules = 0
        /// The (schedule, fire time, job id) inserted.
        public var inserted: [(String, Date, Int64)] = []
        /// Skipped fire times by reason (ledger rows, plus those counted but not recorded).
        public var skipped: [SkipReason: Int] = [:]
        /// Fire times another scheduler had already planned (ledger conflicts): 0 unless two replicas raced.
        public var conflicts = 0
        /// Due schedules whose stored expression no longer parses (their next fire time is cleared).
        public var broken = 0
        /// When the transaction committed (the process clock), for the lag fire → insert.
        public var committedAt = Date()

        public static func == (a: TickResult, b: TickResult) -> Bool {
            a.schedules == b.schedules && a.inserted.map(\.2) == b.inserted.map(\.2) && a.skipped == b.skipped
        }
        public func hash(into h: inout Hasher) { h.combine(schedules); h.combine(inserted.map(\.2)) }
    }

    /// One tick: at most `limit` due schedules (the oldest fire times first; rows locked by a racing replica
    /// are left to it).
    public func tick(planner: SchedulePlanner, limit: Int, schedules cache: ScheduleCache) async throws -> TickResult {
        var result = try await postgres.withTransaction(logger: logger) { connection in
            try await tick(on: connection, planner: planner, limit: limit, cache: cache)
        }
        result.committedAt = Date()
        return result
    }

    private struct Due {
        var name: String, cron: String, zone: String, misfire: String, overlap: String
        var paused: Bool, nextFireAt: Date, lastJobID: Int64?, previousActive: Bool, now: Date
    }

    private func tick(on connection: PostgresConnection, planner: SchedulePlanner, limit: Int, cache: ScheduleCache) async throws -> TickResult {
        let rows = try await connection.query("""
            SELECT s.name, s.cron, s.time_zone, s.misfire, s.overlap, s.paused, s.next_fire_at, s.last_job_id,
                   coalesce(j.state IN ('available', 'scheduled', 'running', 'retryable'), false), now()
            FROM scheduler.schedules s LEFT JOIN jobkit.jobs j ON j.id = s.last_job_id
            WHERE s.next_fire_at <= now()
            ORDER BY s.next_fire_at LIMIT \(limit)
            FOR UPDATE OF s SKIP LOCKED
            """, logger: logger)
        var due: [Due] = []
        for try await (name, cron, zone, misfire, overlap, paused, next, lastJob, active, now) in rows.decode(
            (String, String, String, String, String, Bool, Date, Int64?, Bool, Date).self) {
            due.append(Due(name: name, cron: cron, zone: zone, misfire: misfire, overlap: overlap, paused: paused, nextFireAt: next,
                           lastJobID: lastJob, previousActive: active, now: now))
        }
        var result = TickResult()
        result.schedules = due.count
        guard !due.isEmpty else { return result }

        var lNames: [String] = [], lFires: [Date] = [], lFireTexts: [String] = [], lInsert: [Bool] = [], lReasons: [String] = []
        var uNames: [String] = [], uOld: [Date] = [], uNext: [Date] = []
        var cancels: [Int64] = []
        let epoch = Date(timeIntervalSince1970: 0)
        for d in due {
            guard let schedule = cache.schedule(cron: d.cron, zone: d.zone),
                  let misfire = try? MisfirePolicy(parsing: d.misfire), let overlap = try? OverlapPolicy(parsing: d.overlap) else {
                logger.error("schedule no longer parses; it will not fire until updated", metadata: ["schedule": "\(d.name)", "cron": "\(d.cron)"])
                result.broken += 1
                uNames.append(d.name); uOld.append(d.nextFireAt); uNext.append(epoch)
                continue
            }
            let plan = planner.plan(schedule: schedule, nextFireAt: d.nextFireAt, now: d.now, paused: d.paused, misfire: misfire,
                                    overlap: overlap, previousRunActive: d.previousActive)
            if plan.cancelPrevious, let last = d.lastJobID { cancels.append(last) }
            if plan.unrecorded > 0 { result.skipped[d.paused ? .paused : .misfire, default: 0] += plan.unrecorded }
            for decision in plan.decisions {
                lNames.append(d.name)
                lFires.append(decision.fireTime)
                lFireTexts.append(Self.fireTimeText(decision.fireTime))
                switch decision.outcome {
                case .insert:
                    lInsert.append(true); lReasons.append("")
                case .skip(let reason):
                    lInsert.append(false); lReasons.append(reason.rawValue)
                }
            }
            uNames.append(d.name); uOld.append(d.nextFireAt); uNext.append(plan.nextFireAt ?? epoch)
        }

        if !cancels.isEmpty {
            try await connection.query("""
                WITH c AS (
                  UPDATE jobkit.jobs SET state = 'cancelled', finalized_at = now(), lease_expires_at = NULL,
                         errors = errors || jsonb_build_array(jsonb_build_object('at', now(), 'attempt', attempt,
                                  'error', 'cancelled by the scheduler: a newer run of its schedule started (overlap cancel)'))
                  WHERE id = ANY (\(cancels)::int8[]) AND state IN ('available', 'scheduled', 'retryable', 'running')
                  RETURNING id
                )
                SELECT count(*) FROM c, LATERAL (SELECT pg_notify('jobkit_control', 'cancel:' || c.id)) n
                """, logger: logger)
        }

        var lastJob: [String: (Date, Int64)] = [:]
        if !lNames.isEmpty {
            let rows = try await connection.query("""
                WITH u AS (
                  SELECT u.name, u.fire, u.fire_text, u.ins, nullif(u.reason, '') AS reason,
                         CASE WHEN u.ins THEN nextval(pg_get_serial_sequence('jobkit.jobs', 'id')) END AS job_id
                  FROM unnest(\(lNames)::text[], \(lFires)::timestamptz[], \(lFireTexts)::text[], \(lInsert)::bool[], \(lReasons)::text[])
                       AS u(name, fire, fire_text, ins, reason)
                ), led AS (
                  INSERT INTO scheduler.runs (schedule, fire_time, outcome, reason, job_id)
                  SELECT name, fire, CASE WHEN ins THEN 'inserted' ELSE 'skipped' END, reason, job_id FROM u
                  ON CONFLICT DO NOTHING
                  RETURNING schedule, fire_time, outcome, reason, job_id
                ), job AS (
                  INSERT INTO jobkit.jobs (id, queue, kind, args, priority, max_attempts, scheduled_at, tags)
                  SELECT led.job_id, s.queue, s.kind, s.args, s.priority, s.max_attempts, led.fire_time,
                         ARRAY['schedule:' || s.name, 'fire_time:' || u.fire_text]
                  FROM led JOIN u ON u.name = led.schedule AND u.fire = led.fire_time
                       JOIN scheduler.schedules s ON s.name = led.schedule
                  WHERE led.outcome = 'inserted'
                  RETURNING id
                )
                SELECT led.schedule, led.fire_time, led.outcome, coalesce(led.reason, ''), coalesce(led.job_id, 0),
                       (SELECT count(*) FROM job)::int8, (SELECT count(*) FROM u)::int8
                FROM led
                """, logger: logger)
            var written = 0, total = 0
            for try await (name, fire, outcome, reason, job, _, all) in rows.decode((String, Date, String, String, Int64, Int64, Int64).self) {
                written += 1
                total = Int(all)
                if outcome == "inserted" {
                    result.inserted.append((name, fire, job))
                    if let prev = lastJob[name], prev.0 > fire { continue }
                    lastJob[name] = (fire, job)
                } else if let r = SkipReason(rawValue: reason) {
                    result.skipped[r, default: 0] += 1
                }
            }
            result.conflicts = (total == 0 ? lNames.count : total) - written
        }

        var uLastFire: [Date] = [], uLastJob: [Int64] = []
        for name in uNames {
            let last = lastJob[name]
            uLastFire.append(last?.0 ?? epoch)
            uLastJob.append(last?.1 ?? 0)
        }
        try await connection.query("""
            UPDATE scheduler.schedules s
               SET next_fire_at = nullif(u.next, 'epoch'::timestamptz),
                   last_fire_at = coalesce(nullif(u.last_fire, 'epoch'::timestamptz), s.last_fire_at),
                   last_job_id = coalesce(nullif(u.last_job, 0), s.last_job_id)
            FROM unnest(\(uNames)::text[], \(uOld)::timestamptz[], \(uNext)::timestamptz[], \(uLastFire)::timestamptz[], \(uLastJob)::int8[])
                 AS u(name, old, next, last_fire, last_job)
            WHERE s.name = u.name AND s.next_fire_at = u.old
            """, logger: logger)
        return result
    }

    /// The fire time as the job's tag writes it: ISO-8601 UTC with milliseconds.
    static func fireTimeText(_ date: Date) -> String {
        // By hand: a formatter per row costs more than the rest of the tick's Swift work.
        let totalMillis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let whole = CronSchedule.floorDiv(totalMillis, 1000)
        let millis = Int(totalMillis - whole * 1000)
        let c = CivilTime(secondsSinceEpoch: whole)
        let ms = String(millis)
        return "\(c.description.replacingOccurrences(of: " ", with: "T")).\(String(repeating: "0", count: 3 - ms.count))\(ms)Z"
    }

    /// Deletes ledger rows planned before `olderThan` ago, at most `batch` per call. Returns how many.
    public func pruneLedger(olderThan retention: Duration, batch: Int = 10_000) async throws -> Int {
        let rows = try await postgres.query("""
            WITH d AS (
              DELETE FROM scheduler.runs WHERE ctid = ANY (ARRAY(
                SELECT ctid FROM scheduler.runs WHERE planned_at < now() - \(retention.milliseconds) * interval '1 millisecond'
                LIMIT \(batch)))
              RETURNING 1
            ) SELECT count(*)::int8 FROM d
            """, logger: logger)
        for try await n in rows.decode(Int64.self) { return Int(n) }
        return 0
    }

    /// Copies the completion time of each schedule's last job to `last_success_at`; returns, per schedule, the
    /// last success and the period (for the metrics).
    public func refreshSuccess() async throws -> [(name: String, lastSuccess: Date?, period: Double?, paused: Bool)] {
        try await postgres.query("""
            UPDATE scheduler.schedules s SET last_success_at = j.finalized_at
            FROM jobkit.jobs j
            WHERE j.id = s.last_job_id AND j.state = 'completed' AND s.last_success_at IS DISTINCT FROM j.finalized_at
            """, logger: logger)
        let rows = try await postgres.query("SELECT name, last_success_at, period_seconds, paused FROM scheduler.schedules", logger: logger)
        var out: [(name: String, lastSuccess: Date?, period: Double?, paused: Bool)] = []
        for try await (n, s, p, paused) in rows.decode((String, Date?, Double?, Bool).self) { out.append((n, s, p, paused)) }
        return out
    }
}
