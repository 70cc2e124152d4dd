import Foundation
import PostgresNIO

/// Operator search and bulk actions (the SRE console's): filters over every column an operator names, capped
/// in rows and in time; lenient transitions that skip jobs in the wrong state; batched bulk actions that never
/// wait on a row a worker holds; requeue as a copy.
extension JobClient {
    /// What an operator searches jobs by. Every field is optional; they combine with AND.
    public struct JobSearch: Sendable, Hashable, Codable {
        /// Jobs in any of these states (empty: any state).
        public var states: [JobState]
        public var queue: String?
        public var kind: String?
        /// Jobs carrying this tag.
        public var tag: String?
        /// Jobs of this tenant (`tenant_id`).
        public var tenant: String?
        public var id: Int64?
        /// A JSON object the job's args contain (`args @> argsContains`): `{"file_id": "med_1"}`, nested
        /// objects for paths.
        public var argsContains: String?
        /// Jobs whose last recorded error is exactly this text (the dead-letter queue's groups).
        public var lastError: String?

        public init(states: [JobState] = [], queue: String? = nil, kind: String? = nil, tag: String? = nil, tenant: String? = nil,
                    id: Int64? = nil, argsContains: String? = nil, lastError: String? = nil) {
            self.states = states
            self.queue = queue
            self.kind = kind
            self.tag = tag
            self.tenant = tenant
            self.id = id
            self.argsContains = argsContains
            self.lastError = lastError
        }

        /// Refuses args that are not one JSON object (``JobKitError/Code/invalidArgument``).
        public func validated() throws -> JobSearch {
            if let args = argsContains {
                guard let data = args.data(using: .utf8), (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
                    throw JobKitError(.invalidArgument, "args must be a JSON object, e.g. {\"file_id\": \"med_1\"}")
                }
            }
            for (name, value) in [("queue", queue), ("kind", kind), ("tag", tag), ("tenant", tenant), ("error", lastError)] {
                if let value, value.utf8.count > 1024 { throw JobKitError(.invalidArgument, "\(name) is longer than 1024 bytes") }
            }
            return self
        }
    }

    /// An action applied to jobs chosen by id or by a search.
    public enum BulkAction: String, Sendable, CaseIterable, Codable {
        /// Back to `available` now, with one more attempt if they ran out (not from `running`).
        case retry
        /// Discarded jobs back to `available` with fresh attempts (the dead-letter replay).
        case replay
        /// Queued or running jobs to `cancelled` (running handlers are told).
        case cancel
        /// Queued jobs to `discarded`.
        case discard

        /// The states a job may be in for the action to touch it.
        public var allowedFrom: [JobState] {
            switch self {
            case .retry: [.available, .scheduled, .retryable, .completed, .cancelled, .discarded]
            case .replay: [.discarded]
            case .cancel: [.available, .scheduled, .retryable, .running]
            case .discard: [.available, .scheduled, .retryable]
            }
        }
    }

    /// The newest jobs matching `search` (by id, descending), at most `limit`, older than `before` when given.
    /// The statement runs under `timeout`; a search that takes longer is refused with
    /// ``JobKitError/Code/timeout`` (narrow it), so a console cannot load the database with one.
    public func search(_ search: JobSearch, before: Int64? = nil, limit: Int = 50, timeout: Duration = .seconds(2)) async throws -> [JobRecord] {
        let s = try search.validated()
        let limit = max(1, min(limit, 1000))
        return try await capped(timeout) { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: Self.recordColumns) FROM jobkit.jobs
                WHERE \(jobSearch: s) AND (\(before)::int8 IS NULL OR id < \(before))
                ORDER BY id DESC LIMIT \(limit)
                """, logger: logger)
            return try await Self.records(rows)
        }
    }

    /// How many jobs match `search` for `action`, counting up to `cap` (a dry run): the count is exact when it
    /// is below `cap`, else `cap`.
    public func count(_ search: JobSearch, for action: BulkAction? = nil, cap: Int = 100_000, timeout: Duration = .seconds(5)) async throws -> Int {
        let s = try search.validated()
        let allowed = (action?.allowedFrom ?? JobState.allCases).map(\.rawValue)
        return try await capped(timeout) { connection in
            let rows = try await connection.query("""
                SELECT count(*)::int8 FROM (
                  SELECT 1 FROM jobkit.jobs WHERE \(jobSearch: s) AND state::text = ANY (\(allowed)::text[]) LIMIT \(max(1, cap))) m
                """, logger: logger)
            for try await n in rows.decode(Int64.self) { return Int(n) }
            return 0
        }
    }

    /// Applies `action` to the jobs with these ids that are in a state it allows, skipping the others and any row
    /// locked by a worker at this moment. Returns the ids changed.
    @discardableResult
    public func apply(_ action: BulkAction, ids: [Int64]) async throws -> [Int64] {
        guard !ids.isEmpty else { return [] }
        guard ids.count <= 10_000 else { throw JobKitError(.invalidArgument, "at most 10000 ids at once") }
        return try await Self.ids(try await postgres.query(Self.bulkStatement(action, chosen: .ids(ids)), logger: logger))
    }

    /// One batch of a bulk action over a search: the newest `batch` matching jobs below `before` (all when `nil`)
    /// that the action may touch and no one holds locked. Returns the ids changed and the lowest id looked at,
    /// where the next batch starts (`nil`: nothing was left).
    public func applyBatch(_ action: BulkAction, matching search: JobSearch, before: Int64?, batch: Int) async throws -> (changed: [Int64], next: Int64?) {
        let s = try search.validated()
        let statement = Self.bulkStatement(action, chosen: .search(s, before: before, batch: max(1, batch)))
        let changed = try await Self.ids(try await postgres.query(statement, logger: logger))
        return (changed, changed.min())
    }

    /// Inserts a copy of job `id` as a new `available` job — same kind, queue, priority, attempts limit, tenant
    /// and trace, tagged `requeued_from:<id>` — with `args` (a JSON object) instead of the original's when given.
    /// The original stays as it was: its history is kept. Returns the new job's id.
    public func requeueCopy(id: Int64, args: String? = nil) async throws -> Int64 {
        if let args {
            guard let data = args.data(using: .utf8), (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
                throw JobKitError(.invalidArgument, "args must be a JSON object")
            }
        }
        let rows = try await postgres.query("""
            INSERT INTO jobkit.jobs (queue, kind, args, priority, max_attempts, tags, tenant_id, trace_context)
            SELECT queue, kind, coalesce(\(args)::jsonb, args), priority, max_attempts,
                   array_append(array_remove(tags, 'requeued_from:' || id), 'requeued_from:' || id), tenant_id, trace_context
            FROM jobkit.jobs WHERE id = \(id)
            RETURNING id
            """, logger: logger)
        guard let new = try await Self.ids(rows).first else { throw JobKitError(.jobNotFound, "no job with id \(id)") }
        return new
    }

    /// A group of the dead-letter queue: discarded jobs of one kind whose last error is the same text.
    public struct DeadLetterGroup: Sendable, Hashable, Codable {
        public var kind: String
        public var queue: String
        public var lastError: String
        public var count: Int
        public var newest: Date
        public var newestID: Int64
    }

    /// The dead-letter queue by kind, queue and last error, largest groups first (at most `limit` groups).
    public func deadLetterGroups(limit: Int = 100, timeout: Duration = .seconds(5)) async throws -> [DeadLetterGroup] {
        try await capped(timeout) { connection in
            let rows = try await connection.query("""
                SELECT kind, queue, coalesce(errors -> -1 ->> 'error', ''), count(*)::int8, max(finalized_at), max(id)
                FROM jobkit.jobs WHERE state = 'discarded'
                GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 3 LIMIT \(max(1, limit))
                """, logger: logger)
            var groups: [DeadLetterGroup] = []
            for try await (kind, queue, error, n, newest, newestID) in rows.decode((String, String, String, Int64, Date, Int64).self) {
                groups.append(DeadLetterGroup(kind: kind, queue: queue, lastError: error, count: Int(n), newest: newest, newestID: newestID))
            }
            return groups
        }
    }

    // MARK: Helpers

    /// Runs `body` in a transaction whose statements are cancelled after `timeout` (SQLSTATE 57014 becomes
    /// ``JobKitError/Code/timeout``).
    func capped<T: Sendable>(_ timeout: Duration, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let ms = max(1, Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        do {
            return try await transaction { connection in
                try await connection.query("SELECT set_config('statement_timeout', \(String(ms)), true)", logger: logger)
                return try await body(connection)
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "57014" {
            throw JobKitError(.timeout, "the search took longer than \(ms) ms; narrow it (a queue, kind or state)")
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "22P02" {
            throw JobKitError(.invalidArgument, "args must be a JSON object")
        }
    }

    static func ids(_ rows: PostgresRowSequence) async throws -> [Int64] {
        var ids: [Int64] = []
        for try await id in rows.decode(Int64.self) { ids.append(id) }
        return ids.sorted()
    }

    /// Which rows a bulk statement takes.
    enum Chosen: Sendable {
        case ids([Int64])
        case search(JobSearch, before: Int64?, batch: Int)
    }

    /// The statement applying `action` to the `chosen` rows that are in a state it allows and that no one holds
    /// locked (`FOR UPDATE SKIP LOCKED`: a bulk action never waits on a worker), notifying workers as the
    /// single-job actions do. Returns the ids changed.
    static func bulkStatement(_ action: BulkAction, chosen: Chosen) -> PostgresQuery {
        let allowed = action.allowedFrom.map(\.rawValue)
        let set: String
        let wake = "SELECT id FROM u, (SELECT count(*) FROM (SELECT pg_notify('jobkit_insert', queue) FROM (SELECT DISTINCT queue FROM u) q) n) c"
        let notify: String
        switch action {
        case .retry:
            set = "state = 'available', scheduled_at = now(), finalized_at = NULL, lease_expires_at = NULL, max_attempts = greatest(max_attempts, attempt + 1)"
            notify = wake
        case .replay:
            set = "state = 'available', scheduled_at = now(), finalized_at = NULL, attempt = 0"
            notify = wake
        case .cancel:
            set = "state = 'cancelled', finalized_at = now(), lease_expires_at = NULL, errors = errors || jsonb_build_array(jsonb_build_object('at', now(), 'attempt', attempt, 'error', 'cancelled by operator'))"
            notify = "SELECT id FROM u, LATERAL (SELECT pg_notify('jobkit_control', 'cancel:' || u.id)) n"
        case .discard:
            set = "state = 'discarded', finalized_at = now(), errors = errors || jsonb_build_array(jsonb_build_object('at', now(), 'attempt', attempt, 'error', 'discarded by operator'))"
            notify = "SELECT id FROM u"
        }
        return """
            WITH u AS (
              UPDATE jobkit.jobs SET \(unescaped: set)
              WHERE id IN (\(chosen: chosen, allowed: allowed)) AND state::text = ANY (\(allowed)::text[])
              RETURNING id, queue
            ) \(unescaped: notify)
            """
    }
}

extension PostgresQuery.StringInterpolation {
    /// `SELECT id …` of the rows a bulk statement takes, locked, skipping rows others hold.
    mutating func appendInterpolation(chosen: JobClient.Chosen, allowed: [String]) {
        switch chosen {
        case .ids(let ids):
            appendLiteral("SELECT id FROM jobkit.jobs WHERE id = ANY (")
            appendInterpolation(ids)
            appendLiteral("::int8[])")
        case .search(let s, let before, let batch):
            appendLiteral("SELECT id FROM jobkit.jobs WHERE ")
            appendInterpolation(jobSearch: s)
            appendLiteral(" AND state::text = ANY (")
            appendInterpolation(allowed)
            appendLiteral("::text[]) AND (")
            appendInterpolation(before)
            appendLiteral("::int8 IS NULL OR id < ")
            appendInterpolation(before)
            appendLiteral(") ORDER BY id DESC LIMIT ")
            appendInterpolation(batch)
        }
        appendLiteral(" FOR UPDATE SKIP LOCKED")
    }

    /// The WHERE condition of a ``JobClient/JobSearch`` (every field optional), with bindings.
    mutating func appendInterpolation(jobSearch s: JobClient.JobSearch) {
        // The states inline, as literals of the closed enum (never caller text), so that the planner can prove a
        // partial index's predicate (`state = 'discarded'`) from them.
        let states = Set(s.states).map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")
        appendLiteral(states.isEmpty ? "true AND (" : "state IN (\(states)) AND (")
        appendInterpolation(s.queue)
        appendLiteral("::text IS NULL OR queue = ")
        appendInterpolation(s.queue)
        appendLiteral(") AND (")
        appendInterpolation(s.kind)
        appendLiteral("::text IS NULL OR kind = ")
        appendInterpolation(s.kind)
        appendLiteral(") AND (")
        appendInterpolation(s.tag)
        appendLiteral("::text IS NULL OR ")
        appendInterpolation(s.tag)
        appendLiteral(" = ANY (tags)) AND (")
        appendInterpolation(s.tenant)
        appendLiteral("::text IS NULL OR tenant_id = ")
        appendInterpolation(s.tenant)
        appendLiteral(") AND (")
        appendInterpolation(s.id)
        appendLiteral("::int8 IS NULL OR id = ")
        appendInterpolation(s.id)
        appendLiteral(") AND (")
        appendInterpolation(s.argsContains)
        appendLiteral("::jsonb IS NULL OR args @> ")
        appendInterpolation(s.argsContains)
        appendLiteral("::jsonb) AND (")
        appendInterpolation(s.lastError)
        appendLiteral("::text IS NULL OR errors -> -1 ->> 'error' = ")
        appendInterpolation(s.lastError)
        appendLiteral(")")
    }
}

extension JobClient {
    /// Every queue's depth as an overview needs it, without reading finished jobs: the waiting and running
    /// states (each through its partial index), the dead-letter queue (`discarded`, through the finished-jobs
    /// index), the oldest available job's age and the controls. `completed` and `cancelled` are not counted
    /// here (a busy table holds millions of them until pruned): throughput comes from the caller's rollups.
    public func queueDepths() async throws -> [QueueSummary] {
        var byName: [String: QueueSummary] = [:]
        let controls = try await postgres.query("SELECT name, paused, global_limit FROM jobkit.queues", logger: logger)
        for try await (name, paused, limit) in controls.decode((String, Bool, Int32?).self) {
            byName[name] = QueueSummary(name: name, paused: paused, globalLimit: limit.map(Int.init), counts: [:])
        }
        let rows = try await postgres.query("""
            SELECT queue, 'available', count(*)::int8, extract(epoch FROM now() - min(scheduled_at))::float8
              FROM jobkit.jobs WHERE state = 'available' GROUP BY queue
            UNION ALL
            SELECT queue, state::text, count(*)::int8, NULL FROM jobkit.jobs WHERE state IN ('scheduled', 'retryable') GROUP BY 1, 2
            UNION ALL
            SELECT queue, 'running', count(*)::int8, NULL FROM jobkit.jobs WHERE state = 'running' GROUP BY queue
            UNION ALL
            SELECT queue, 'discarded', count(*)::int8, NULL FROM jobkit.jobs WHERE state = 'discarded' GROUP BY queue
            """, logger: logger)
        for try await (queue, state, n, age) in rows.decode((String, String, Int64, Double?).self) {
            var s = byName[queue] ?? QueueSummary(name: queue, paused: false, globalLimit: nil, counts: [:])
            s.counts[state] = Int(n)
            if let age { s.oldestAvailableAgeSeconds = age }
            byName[queue] = s
        }
        return byName.values.sorted { $0.name < $1.name }
    }
}
