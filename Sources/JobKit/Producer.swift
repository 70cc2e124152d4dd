import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Takes jobs from one queue for this process: fetches only as many as it has free slots, in one
/// statement with `FOR UPDATE SKIP LOCKED`, and hands each to the executor.
///
/// It fetches when woken: by a NOTIFY for its queue, by its poll timer, or by freed slots while the
/// last fetch came back full (a backlog). With a backlog it waits until `refetchFraction` of its slots
/// are free, so that fetches stay large and the database sees few statements per job.
final class Producer: Sendable {
    let queue: String
    let concurrency: Int
    private let postgres: PostgresClient
    /// The pool fetches go through (its sessions may commit asynchronously; see `JobWorkerService.init`).
    private let fetchPostgres: PostgresClient
    private let configuration: JobWorkerConfiguration
    private let executor: Executor
    private let completer: Completer
    private let logger: Logger
    private let metrics: JobMetrics
    private let signal = WakeSignal()

    private struct State {
        var running = 0
        var backlog = false        // the last fetch was full
        var newWork = true         // a notification or poll asked us to look
        var controlsStale = true   // re-read jobkit.queues before the next fetch
        var stopping = false
        var control = QueueControl()
        var drained: CheckedContinuation<Void, Never>?  // resumed when running drops to 0 after stop
    }
    private let state = Mutex(State())

    init(queue: QueueConfiguration, configuration: JobWorkerConfiguration, postgres: PostgresClient, fetchPostgres: PostgresClient,
         executor: Executor, completer: Completer, metrics: JobMetrics, logger: Logger) {
        self.queue = queue.name
        self.concurrency = queue.concurrency
        self.configuration = configuration
        self.postgres = postgres
        self.fetchPostgres = fetchPostgres
        self.executor = executor
        self.completer = completer
        self.metrics = metrics
        var logger = logger
        logger[metadataKey: "queue"] = "\(queue.name)"
        self.logger = logger
    }

    /// New work may be waiting (a NOTIFY for this queue).
    func poke() {
        state.withLock { $0.newWork = true }
        signal.wake()
    }

    /// The poll tick: look for work, and re-read the queue's controls in case a notification was lost.
    private func tick() {
        state.withLock { $0.newWork = true; $0.controlsStale = true }
        signal.wake()
    }

    /// The completer caught up: if we held back because of it, look again.
    func completerFlushed() { signal.wake() }

    /// Re-reads the queue's controls before the next fetch.
    func controlsChanged() { tick() }

    /// Stops fetching; `run()` returns once every running job has finished.
    func stop() {
        state.withLock { $0.stopping = true }
        signal.wake()
        signal.finish()
    }

    var runningCount: Int { state.withLock { $0.running } }

    /// Fetches and runs jobs until ``stop()``; returns when the last running job has finished.
    func run() async {
        // Not awaited: cancelled (and awaited) when this scope ends, after the last job.
        async let poll: Void = pollLoop()
        await withTaskCancellationHandler {
            while await signal.wait() {
                if state.withLock({ $0.stopping }) { break }
                await fetchWhileUseful()
            }
            // Wait for the jobs still running.
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.running == 0 { return true }
                    s.drained = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            self.stop()
            self.interruptAll()
        }
    }

    private func pollLoop() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: configuration.pollInterval) } catch { return }
            tick()
        }
    }

    private func freeSlots() -> Int? {
        let backlogLimited = completer.backlog >= configuration.completerBacklogLimit
        return state.withLock { s -> Int? in
            if s.stopping || backlogLimited { return nil }
            let free = concurrency - s.running
            guard free > 0 else { return nil }
            if s.newWork { return free }
            if s.backlog && Double(free) >= Double(concurrency) * configuration.refetchFraction { return free }
            return nil
        }
    }

    private func fetchWhileUseful() async {
        while let free = freeSlots() {
            let stale = state.withLock { s in
                defer { s.newWork = false; s.controlsStale = false }
                return s.controlsStale
            }
            if stale { await refreshControl() }
            let control = state.withLock { $0.control }
            if control.paused { return }
            let jobs: [FetchedJob]
            do {
                jobs = try await fetch(limit: free, control: control)
            } catch {
                logger.warning("fetch failed", metadata: ["error": "\(String(reflecting: error))"])
                state.withLock { $0.newWork = true }
                try? await Task.sleep(for: .milliseconds(200))
                return
            }
            metrics.recordFetched(queue: queue, count: jobs.count)
            state.withLock { s in
                s.running += jobs.count
                s.backlog = jobs.count == free
            }
            for job in jobs {
                executor.start(job) { self.jobFinished() }
            }
            if jobs.count < free { return }
        }
    }

    private func jobFinished() {
        let (wake, drained) = state.withLock { s -> (Bool, CheckedContinuation<Void, Never>?) in
            s.running -= 1
            if s.running == 0, let c = s.drained {
                s.drained = nil
                return (false, c)
            }
            return (s.backlog && !s.stopping, nil)
        }
        drained?.resume()
        if wake { signal.wake() }
    }

    /// The worker is torn down (task cancellation): interrupt every running job and put it back.
    private func interruptAll() { executor.running.interruptAll(.shutdown) }

    private func refreshControl() async {
        do {
            let rows = try await postgres.query(
                "SELECT paused, global_limit FROM jobkit.queues WHERE name = \(queue)", logger: logger)
            var control = QueueControl()
            for try await (paused, limit) in rows.decode((Bool, Int32?).self) {
                control = QueueControl(paused: paused, globalLimit: limit.map(Int.init))
            }
            state.withLock { $0.control = control }
        } catch {
            logger.warning("cannot read queue controls", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    private func fetch(limit: Int, control: QueueControl) async throws -> [FetchedJob] {
        let statement = FetchStatement(queue: queue, limit: Int64(limit), globalLimit: control.globalLimit.map(Int64.init),
                                       workerID: configuration.workerID, leaseMS: configuration.leaseDuration.milliseconds)
        guard control.globalLimit != nil else {
            return try await Self.decode(try await fetchPostgres.execute(statement, logger: logger), queue: queue)
        }
        // A limit across all workers: serialize this queue's fetches on an advisory lock, so the count of what
        // runs now and the fetch are one decision.
        return try await fetchPostgres.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('jobkit.queue'), hashtext(\(queue)))", logger: logger)
            return try await Self.decode(try await connection.execute(statement, logger: logger), queue: queue)
        }
    }

    /// The fetch: up to `limit` available jobs of `queue` (fewer under a global limit), marked running under
    /// this worker with a lease, in one statement. The running-jobs count is only evaluated with a limit.
    /// A prepared statement: each fetch connection parses and plans it once, not on every fetch.
    struct FetchStatement: PostgresPreparedStatement {
        static let sql = """
            WITH next AS (
              SELECT id FROM jobkit.jobs
              WHERE state = 'available' AND queue = $1
              ORDER BY priority, scheduled_at, id
              LIMIT CASE WHEN $3::int8 IS NULL THEN $2::int8
                         ELSE greatest(0, least($2::int8, $3::int8 -
                              (SELECT count(*) FROM jobkit.jobs WHERE state = 'running' AND queue = $1))) END
              FOR UPDATE SKIP LOCKED
            )
            UPDATE jobkit.jobs j SET state = 'running', attempt = j.attempt + 1, attempted_at = now(),
                   attempted_by = $4, lease_expires_at = now() + $5::int8 * interval '1 millisecond'
            FROM next WHERE j.id = next.id
            RETURNING j.id, j.kind, j.args::text, j.attempt, j.max_attempts, j.priority, j.tags, j.tenant_id, j.trace_context
            """
        typealias Row = (Int64, String, String, Int16, Int16, Int16, [String], String?, String?)

        var queue: String
        var limit: Int64
        var globalLimit: Int64?
        var workerID: String
        var leaseMS: Int64

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 5)
            bindings.append(queue)
            bindings.append(limit)
            if let globalLimit { bindings.append(globalLimit) } else { bindings.appendNull() }
            bindings.append(workerID)
            bindings.append(leaseMS)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    private static func decode<Rows: AsyncSequence>(_ rows: Rows, queue: String) async throws -> [FetchedJob]
        where Rows.Element == FetchStatement.Row {
        var jobs: [FetchedJob] = []
        for try await (id, kind, args, attempt, maxAttempts, priority, tags, tenant, trace) in rows {
            jobs.append(FetchedJob(id: id, kind: kind, queue: queue, argsJSON: args, attempt: Int(attempt),
                                   maxAttempts: Int(maxAttempts), priority: Int(priority), tags: tags,
                                   tenantID: tenant, traceContext: trace))
        }
        // Run in fetch order (the UPDATE returns rows in no particular order).
        jobs.sort { $0.id < $1.id }
        return jobs
    }
}
