import Foundation
import PostgresNIO

/// Operator actions: inspect, retry, cancel, discard, replay the dead-letter queue, control queues.
extension JobClient {
    /// A filter for listing jobs.
    public struct JobFilter: Sendable {
        public var states: [JobState]
        public var queue: String?
        public var kind: String?
        public var since: Date?
        public var limit: Int
        public init(states: [JobState] = [], queue: String? = nil, kind: String? = nil, since: Date? = nil, limit: Int = 50) {
            self.states = states
            self.queue = queue
            self.kind = kind
            self.since = since
            self.limit = limit
        }
    }

    static let recordColumns = """
        id, state::text, queue, kind, args::text, priority, attempt, max_attempts, created_at, scheduled_at,
        attempted_at, attempted_by, lease_expires_at, finalized_at, errors::text, tags, unique_key, tenant_id, trace_context
        """

    /// Jobs matching `filter`, newest first.
    public func list(_ filter: JobFilter) async throws -> [JobRecord] {
        let states = filter.states.map(\.rawValue)
        let rows = try await postgres.query("""
            SELECT \(unescaped: Self.recordColumns) FROM jobkit.jobs
            WHERE (cardinality(\(states)::text[]) = 0 OR state::text = ANY (\(states)::text[]))
              AND (\(filter.queue)::text IS NULL OR queue = \(filter.queue))
              AND (\(filter.kind)::text IS NULL OR kind = \(filter.kind))
              AND (\(filter.since)::timestamptz IS NULL OR coalesce(finalized_at, created_at) >= \(filter.since))
            ORDER BY id DESC LIMIT \(max(1, filter.limit))
            """, logger: logger)
        return try await Self.records(rows)
    }

    /// One job, or ``JobKitError/Code/jobNotFound``.
    public func job(id: Int64) async throws -> JobRecord {
        let rows = try await postgres.query(
            "SELECT \(unescaped: Self.recordColumns) FROM jobkit.jobs WHERE id = \(id)", logger: logger)
        guard let record = try await Self.records(rows).first else {
            throw JobKitError(.jobNotFound, "no job with id \(id)")
        }
        return record
    }

    /// Makes jobs that are not running `available` now, with fresh attempts if they ran out. Running
    /// jobs are refused. Returns the ids retried; unknown ids throw ``JobKitError/Code/jobNotFound``.
    @discardableResult
    public func retry(ids: [Int64]) async throws -> [Int64] {
        try await transition(ids: ids, allowedFrom: [.scheduled, .retryable, .completed, .cancelled, .discarded, .available], verb: "retry") { ids in
            """
            WITH r AS (
              UPDATE jobkit.jobs SET state = 'available', scheduled_at = now(), finalized_at = NULL,
                     max_attempts = greatest(max_attempts, attempt + 1)
              WHERE id = ANY (\(ids)::int8[]) AND state <> 'running'
              RETURNING id, queue
            ), n AS (SELECT pg_notify('jobkit_insert', queue) FROM (SELECT DISTINCT queue FROM r) q)
            SELECT id FROM r, (SELECT count(*) FROM n) c
            """
        }
    }

    /// Cancels queued or running jobs. A running job's handler is told through `jobkit_control` and sees
    /// Swift task cancellation; its completion can no longer be written. Finished jobs are refused.
    @discardableResult
    public func cancel(ids: [Int64]) async throws -> [Int64] {
        try await transition(ids: ids, allowedFrom: [.available, .scheduled, .retryable, .running], verb: "cancel") { ids in
            """
            WITH c AS (
              UPDATE jobkit.jobs SET state = 'cancelled', finalized_at = now(), lease_expires_at = NULL,
                     errors = errors || jsonb_build_array(jsonb_build_object('at', now(), 'attempt', attempt, 'error', 'cancelled by operator'))
              WHERE id = ANY (\(ids)::int8[]) AND state IN ('available', 'scheduled', 'retryable', 'running')
              RETURNING id
            )
            SELECT id FROM c, LATERAL (SELECT pg_notify('jobkit_control', 'cancel:' || c.id)) n
            """
        }
    }

    /// Moves queued jobs to the dead-letter queue by hand.
    @discardableResult
    public func discard(ids: [Int64]) async throws -> [Int64] {
        try await transition(ids: ids, allowedFrom: [.available, .scheduled, .retryable], verb: "discard") { ids in
            """
            UPDATE jobkit.jobs SET state = 'discarded', finalized_at = now(),
                   errors = errors || jsonb_build_array(jsonb_build_object('at', now(), 'attempt', attempt, 'error', 'discarded by operator'))
            WHERE id = ANY (\(ids)::int8[]) AND state IN ('available', 'scheduled', 'retryable')
            RETURNING id
            """
        }
    }

    private func transition(ids: [Int64], allowedFrom: [JobState], verb: String,
                            _ sql: ([Int64]) -> PostgresQuery) async throws -> [Int64] {
        guard !ids.isEmpty else { throw JobKitError(.invalidArgument, "no job ids given") }
        return try await transaction { connection in
            var found: [Int64: JobState] = [:]
            let rows = try await connection.query(
                "SELECT id, state::text FROM jobkit.jobs WHERE id = ANY (\(ids)::int8[]) FOR UPDATE", logger: logger)
            for try await (id, state) in rows.decode((Int64, String).self) { found[id] = JobState(rawValue: state) }
            if let missing = ids.first(where: { found[$0] == nil }) {
                throw JobKitError(.jobNotFound, "no job with id \(missing)")
            }
            if let bad = ids.first(where: { !allowedFrom.contains(found[$0]!) }) {
                throw JobKitError(.invalidState, "cannot \(verb) job \(bad): it is \(found[bad]!.rawValue)")
            }
            var done: [Int64] = []
            for try await id in try await connection.query(sql(ids), logger: logger).decode(Int64.self) { done.append(id) }
            return done.sorted()
        }
    }

    /// Puts discarded jobs matching the filter back to `available` with fresh attempts. With `dryRun`,
    /// returns what would be replayed without changing anything.
    public func replayDeadLetters(queue: String? = nil, kind: String? = nil, since: Date? = nil,
                                  limit: Int = 10_000, dryRun: Bool = false) async throws -> [Int64] {
        let filter = DeadLetterFilter(queue: queue, kind: kind, since: since, limit: limit)
        let rows: PostgresRowSequence
        if dryRun {
            rows = try await postgres.query("\(deadLetters: filter)", logger: logger)
        } else {
            rows = try await postgres.query("""
                WITH r AS (
                  UPDATE jobkit.jobs SET state = 'available', scheduled_at = now(), finalized_at = NULL, attempt = 0
                  WHERE id IN (\(deadLetters: filter) FOR UPDATE)
                  RETURNING id, queue
                ), n AS (SELECT pg_notify('jobkit_insert', queue) FROM (SELECT DISTINCT queue FROM r) q)
                SELECT id FROM r, (SELECT count(*) FROM n) c
                """, logger: logger)
        }
        var ids: [Int64] = []
        for try await id in rows.decode(Int64.self) { ids.append(id) }
        return ids.sorted()
    }

    // MARK: Queues

    /// A queue as operators see it: controls and counts by state.
    public struct QueueSummary: Sendable, Hashable, Codable {
        public var name: String
        public var paused: Bool
        public var globalLimit: Int?
        public var counts: [String: Int]
        public var oldestAvailableAgeSeconds: Double?
    }

    /// Every queue that has jobs or controls.
    public func queues() async throws -> [QueueSummary] {
        var byName: [String: QueueSummary] = [:]
        let controls = try await postgres.query("SELECT name, paused, global_limit FROM jobkit.queues", logger: logger)
        for try await (name, paused, limit) in controls.decode((String, Bool, Int32?).self) {
            byName[name] = QueueSummary(name: name, paused: paused, globalLimit: limit.map(Int.init), counts: [:])
        }
        let counts = try await postgres.query("""
            SELECT queue, state::text, count(*)::int8,
                   extract(epoch FROM now() - min(scheduled_at) FILTER (WHERE state = 'available'))::float8
            FROM jobkit.jobs GROUP BY queue, state
            """, logger: logger)
        for try await (queue, state, n, age) in counts.decode((String, String, Int64, Double?).self) {
            var s = byName[queue] ?? QueueSummary(name: queue, paused: false, globalLimit: nil, counts: [:])
            s.counts[state] = Int(n)
            if let age { s.oldestAvailableAgeSeconds = age }
            byName[queue] = s
        }
        return byName.values.sorted { $0.name < $1.name }
    }

    /// Pauses or resumes a queue for every worker.
    public func setPaused(_ paused: Bool, queue: String) async throws {
        guard QueueName.isValid(queue) else { throw JobKitError(.invalidArgument, "invalid queue name '\(queue)'") }
        try await postgres.query("""
            WITH up AS (
              INSERT INTO jobkit.queues (name, paused) VALUES (\(queue), \(paused))
              ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, updated_at = now() RETURNING name)
            SELECT pg_notify('jobkit_control', \(paused ? "pause:" : "resume:") || name) FROM up
            """, logger: logger)
    }

    /// Sets (or with `nil` removes) the queue's concurrency limit across all workers.
    public func setGlobalLimit(_ limit: Int?, queue: String) async throws {
        guard QueueName.isValid(queue) else { throw JobKitError(.invalidArgument, "invalid queue name '\(queue)'") }
        if let limit, limit < 0 { throw JobKitError(.invalidArgument, "a global limit cannot be negative") }
        let value = limit.map(Int32.init)
        try await postgres.query("""
            WITH up AS (
              INSERT INTO jobkit.queues (name, global_limit) VALUES (\(queue), \(value))
              ON CONFLICT (name) DO UPDATE SET global_limit = excluded.global_limit, updated_at = now() RETURNING name)
            SELECT pg_notify('jobkit_control', 'limit:' || name) FROM up
            """, logger: logger)
    }

    static func records(_ rows: PostgresRowSequence) async throws -> [JobRecord] {
        var result: [JobRecord] = []
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { d in
            let text = try d.singleValueContainer().decode(String.self)
            return Self.parseTimestamp(text) ?? Date(timeIntervalSince1970: 0)
        }
        for try await row in rows {
            let c = try row.decode((Int64, String, String, String, String, Int16, Int16, Int16, Date, Date,
                                    Date?, String?, Date?, Date?, String, [String], String?, String?, String?).self)
            let errors = (try? decoder.decode([JobAttemptError].self, from: Data(c.14.utf8))) ?? []
            result.append(JobRecord(
                id: c.0, state: JobState(rawValue: c.1) ?? .available, queue: c.2, kind: c.3, argsJSON: c.4,
                priority: Int(c.5), attempt: Int(c.6), maxAttempts: Int(c.7), createdAt: c.8, scheduledAt: c.9,
                attemptedAt: c.10, attemptedBy: c.11, leaseExpiresAt: c.12, finalizedAt: c.13, errors: errors,
                tags: c.15, uniqueKey: c.16, tenantID: c.17, traceContext: c.18))
        }
        return result
    }

    /// Parses PostgreSQL's JSON timestamp text (`2026-11-27T07:00:00.123456+00:00`).
    static func parseTimestamp(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }
}

/// Which discarded jobs a dead-letter replay takes: the one definition, for the dry run and the replay.
struct DeadLetterFilter: Sendable {
    var queue: String?
    var kind: String?
    var since: Date?
    var limit: Int
}

extension PostgresQuery.StringInterpolation {
    /// `SELECT id FROM jobkit.jobs WHERE state = 'discarded' AND <filter> ORDER BY id LIMIT <limit>`, with bindings.
    mutating func appendInterpolation(deadLetters f: DeadLetterFilter) {
        appendLiteral("SELECT id FROM jobkit.jobs WHERE state = 'discarded' AND (")
        appendInterpolation(f.queue)
        appendLiteral("::text IS NULL OR queue = ")
        appendInterpolation(f.queue)
        appendLiteral(") AND (")
        appendInterpolation(f.kind)
        appendLiteral("::text IS NULL OR kind = ")
        appendInterpolation(f.kind)
        appendLiteral(") AND (")
        appendInterpolation(f.since)
        appendLiteral("::timestamptz IS NULL OR finalized_at >= ")
        appendInterpolation(f.since)
        appendLiteral(") ORDER BY id LIMIT ")
        appendInterpolation(f.limit)
    }
}
