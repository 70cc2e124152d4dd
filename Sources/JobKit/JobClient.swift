import Foundation
import Logging
import PostgresNIO

/// The entry point to the queue for producers and operators: enqueue, inspect, retry, cancel.
///
/// It holds no state of its own beyond the injected `PostgresClient`, so it is cheap to copy and share.
/// Every enqueue call also exists in a form that takes a `PostgresConnection`, to enqueue inside the
/// caller's own transaction: the job then exists exactly when the business write commits.
public struct JobClient: Sendable {
    /// The connection pool. Its `run()` must be running (as a service of the process's `ServiceGroup`).
    public let postgres: PostgresClient
    public let logger: Logger

    public init(postgres: PostgresClient, logger: Logger = Logger(label: "jobkit.client")) {
        self.postgres = postgres
        self.logger = logger
    }

    /// Runs `body` in a transaction; a ``JobKitError`` thrown inside reaches the caller unwrapped.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await postgres.withTransaction(logger: logger) { try await body($0) }
        } catch let error as PostgresTransactionError {
            if let inner = error.closureError as? JobKitError { throw inner }
            throw error
        }
    }

    // MARK: Enqueue typed jobs

    /// Enqueues `args` on the pool, in a transaction of its own. Options not given come from the args
    /// (``JobArgs/insertOptions``, ``JobArgs/defaultQueue``), then from JobKit's defaults.
    @discardableResult
    public func enqueue<A: JobArgs>(_ args: A, options: InsertOptions = InsertOptions()) async throws -> EnqueueResult {
        try await enqueue(try JobInsert(args, options: options))
    }

    /// Enqueues `args` on `connection`, which may be inside the caller's transaction: the job then exists
    /// exactly when the caller's writes commit.
    @discardableResult
    public func enqueue<A: JobArgs>(_ args: A, options: InsertOptions = InsertOptions(),
                                    on connection: PostgresConnection) async throws -> EnqueueResult {
        try await enqueue(try JobInsert(args, options: options), on: connection)
    }

    /// Enqueues many jobs of one kind in one statement on the pool, each with `options`. Returns how many
    /// were inserted; jobs refused by their unique key are skipped.
    @discardableResult
    public func enqueueMany<A: JobArgs>(_ args: [A], options: InsertOptions = InsertOptions()) async throws -> Int {
        try await enqueueMany(try Self.inserts(args, options: options))
    }

    /// Enqueues many jobs of one kind in one statement on `connection`, which may be inside the caller's
    /// transaction.
    @discardableResult
    public func enqueueMany<A: JobArgs>(_ args: [A], options: InsertOptions = InsertOptions(),
                                        on connection: PostgresConnection) async throws -> Int {
        try await enqueueMany(try Self.inserts(args, options: options), on: connection)
    }

    static func inserts<A: JobArgs>(_ args: [A], options: InsertOptions) throws -> [JobInsert] {
        let encoder = JobArgsCoding.encoder()
        return try args.map { try JobInsert($0, options: options, encoder: encoder) }
    }

    // MARK: Enqueue rows

    /// Enqueues one job row on the pool, in a transaction of its own.
    @discardableResult
    public func enqueue(_ job: JobInsert) async throws -> EnqueueResult {
        try await postgres.withConnection { try await enqueue(job, on: $0) }
    }

    /// Enqueues one job on `connection`, which may be inside the caller's transaction.
    @discardableResult
    public func enqueue(_ job: JobInsert, on connection: PostgresConnection) async throws -> EnqueueResult {
        try job.validate()
        let rows = try await connection.execute(EnqueueStatement(job: job), logger: logger)
        for try await id in rows { return .inserted(id) }
        // Refused by the unique index: report the job that holds the key.
        guard let key = job.uniqueKey else {
            throw JobKitError(.invalidState, "insert of a '\(job.kind)' job returned no row")
        }
        let existing = try await connection.query("""
            SELECT id FROM jobkit.jobs WHERE unique_key = \(key) AND state = ANY (unique_states) LIMIT 1
            """, logger: logger)
        for try await id in existing.decode(Int64.self) { return .duplicate(id) }
        // The holder finished between the two statements: try once more.
        return try await enqueue(job, on: connection)
    }

    /// Enqueues many jobs in one statement on the pool. Returns how many were inserted; jobs refused by
    /// their unique key are skipped.
    @discardableResult
    public func enqueueMany(_ jobs: [JobInsert]) async throws -> Int {
        try await postgres.withConnection { try await enqueueMany(jobs, on: $0) }
    }

    /// Enqueues many jobs in one statement (one round trip, `unnest` of column arrays) on `connection`,
    /// which may be inside the caller's transaction.
    @discardableResult
    public func enqueueMany(_ jobs: [JobInsert], on connection: PostgresConnection) async throws -> Int {
        guard !jobs.isEmpty else { return 0 }
        var inserted = 0
        // PostgreSQL binds at most 65535 parameters, but arrays count as one: chunk only to bound memory.
        for chunk in jobs.chunked(into: 50_000) {
            inserted += try await insertChunk(chunk, on: connection)
        }
        return inserted
    }

    private func insertChunk(_ jobs: ArraySlice<JobInsert>, on connection: PostgresConnection) async throws -> Int {
        let separator = "\u{1F}"
        var queues: [String] = [], kinds: [String] = [], args: [String] = []
        var priorities: [Int16] = [], maxAttempts: [Int16] = [], scheduled: [Date] = [], immediate: [Bool] = []
        var tags: [String] = [], uniqueKeys: [String] = [], uniqueStates: [String] = []
        var tenants: [String] = [], traces: [String] = []
        let n = jobs.count
        queues.reserveCapacity(n); kinds.reserveCapacity(n); args.reserveCapacity(n)
        priorities.reserveCapacity(n); maxAttempts.reserveCapacity(n); scheduled.reserveCapacity(n)
        immediate.reserveCapacity(n); tags.reserveCapacity(n); uniqueKeys.reserveCapacity(n)
        uniqueStates.reserveCapacity(n); tenants.reserveCapacity(n); traces.reserveCapacity(n)
        var anyOptional = false
        let epoch = Date(timeIntervalSince1970: 0)
        var validator = JobInsert.Validator()
        for job in jobs {
            try validator.check(job)
            queues.append(job.queue)
            kinds.append(job.kind)
            args.append(job.argsJSON)
            priorities.append(Int16(job.priority))
            maxAttempts.append(Int16(job.maxAttempts))
            scheduled.append(job.scheduledAt ?? epoch)
            immediate.append(job.scheduledAt == nil)
            tags.append(job.tags.joined(separator: separator))
            uniqueKeys.append(job.uniqueKey ?? "")
            uniqueStates.append(job.uniqueKey == nil ? "" : job.uniqueStates.map(\.rawValue).joined(separator: separator))
            tenants.append(job.tenantID ?? "")
            traces.append(job.traceContext ?? "")
            if !job.tags.isEmpty || job.uniqueKey != nil || job.tenantID != nil || job.traceContext != nil || job.scheduledAt != nil {
                anyOptional = true
            }
        }
        let rows: PostgresRowSequence
        if anyOptional {
            rows = try await connection.query("""
                WITH ins AS (
                  INSERT INTO jobkit.jobs (state, queue, kind, args, priority, max_attempts, scheduled_at, tags,
                                           unique_key, unique_states, tenant_id, trace_context)
                  SELECT CASE WHEN NOT u.now_ AND u.at > now() THEN 'scheduled' ELSE 'available' END::jobkit.job_state,
                         u.queue, u.kind, u.args::jsonb, u.priority, u.max_attempts,
                         CASE WHEN u.now_ THEN now() ELSE u.at END,
                         coalesce(string_to_array(nullif(u.tags, ''), E'\\x1f'), '{}'),
                         nullif(u.ukey, ''), string_to_array(nullif(u.ustates, ''), E'\\x1f')::jobkit.job_state[],
                         nullif(u.tenant, ''), nullif(u.trace, '')
                  FROM unnest(\(queues)::text[], \(kinds)::text[], \(args)::text[], \(priorities)::int2[],
                              \(maxAttempts)::int2[], \(scheduled)::timestamptz[], \(immediate)::bool[], \(tags)::text[],
                              \(uniqueKeys)::text[], \(uniqueStates)::text[], \(tenants)::text[], \(traces)::text[])
                       AS u(queue, kind, args, priority, max_attempts, at, now_, tags, ukey, ustates, tenant, trace)
                  ON CONFLICT DO NOTHING
                  RETURNING 1
                ) SELECT count(*)::int8 FROM ins
                """, logger: logger)
        } else {
            // The common bulk case: no optional columns, so let the column defaults do the work.
            rows = try await connection.query("""
                WITH ins AS (
                  INSERT INTO jobkit.jobs (queue, kind, args, priority, max_attempts)
                  SELECT u.queue, u.kind, u.args::jsonb, u.priority, u.max_attempts
                  FROM unnest(\(queues)::text[], \(kinds)::text[], \(args)::text[], \(priorities)::int2[],
                              \(maxAttempts)::int2[]) AS u(queue, kind, args, priority, max_attempts)
                  RETURNING 1
                ) SELECT count(*)::int8 FROM ins
                """, logger: logger)
        }
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }
}

extension Collection {
    func chunked(into size: Int) -> [SubSequence] {
        var result: [SubSequence] = []
        var start = startIndex
        while start != endIndex {
            let end = index(start, offsetBy: size, limitedBy: endIndex) ?? endIndex
            result.append(self[start..<end])
            start = end
        }
        return result
    }
}
