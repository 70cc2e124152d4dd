import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Runs in every worker process and stands for one leadership; while elected, it runs any number of
/// ``LeaderTask``s, each on its own interval. Election, renewal, stepping down and re-election are decided by
/// ``LeadershipStateMachine``; this service only carries its actions out.
///
/// Followers retry every `electionInterval`, and at once when the leader announces that it resigned. A leader
/// whose renewal fails, or that finds another in its place, says so at once (``isLeader`` is `false` before
/// its tasks' last queries end) and stands again. On graceful shutdown it stops its tasks and resigns
/// (within 3 s), so that a follower takes over without waiting for the lease to expire.
///
/// Metrics: `jobkit_leader{leadership}` (1 while leading), `jobkit_leader_task_runs_total{leadership,task,result}`
/// (`result`: `ok` or `error`), `jobkit_leader_task_duration_seconds{leadership,task}`.
public final class LeaderService: Service, Sendable {
    /// The tasks run while leading.
    public let tasks: [any LeaderTask]
    public let configuration: LeaderConfiguration
    private let elector: LeaderElector
    private let notifier: Notifier?
    private let logger: Logger
    private let leader = Atomic<Bool>(false)
    private let resignSignal = WakeSignal()
    private let gauge: Gauge
    private let meters: [TaskMeters]

    private struct TaskMeters: Sendable {
        var ok: Counter
        var failed: Counter
        var duration: Metrics.Timer
        /// `jobkit_leader_task_items_total`: the rows each run returned (jobs rescued, staged, pruned, …).
        var items: Counter
    }

    /// - Parameters:
    ///   - candidateID: this process's identity in `jobkit.leaders` (e.g. the worker id).
    ///   - tasks: what the leader runs; names should be distinct (they label logs and metrics).
    ///   - notifier: wakes followers on a resign notification; without one they only retry on their interval.
    public init(postgres: PostgresClient, candidateID: String, configuration: LeaderConfiguration = LeaderConfiguration(),
                tasks: [any LeaderTask], notifier: Notifier?, logger: Logger) {
        self.tasks = tasks
        self.configuration = configuration
        self.elector = LeaderElector(postgres: postgres, name: configuration.name, candidateID: candidateID,
                                     ttl: configuration.ttl, logger: logger)
        self.notifier = notifier
        self.logger = logger
        let leadership = configuration.name
        self.gauge = Gauge(label: "jobkit_leader", dimensions: [("leadership", leadership)])
        self.meters = tasks.map { task in
            TaskMeters(
                ok: Counter(label: "jobkit_leader_task_runs_total", dimensions: [("leadership", leadership), ("task", task.name), ("result", "ok")]),
                failed: Counter(label: "jobkit_leader_task_runs_total", dimensions: [("leadership", leadership), ("task", task.name), ("result", "error")]),
                duration: Metrics.Timer(label: "jobkit_leader_task_duration_seconds", dimensions: [("leadership", leadership), ("task", task.name)],
                                        preferredDisplayUnit: .seconds),
                items: Counter(label: "jobkit_leader_task_items_total", dimensions: [("leadership", leadership), ("task", task.name)]))
        }
    }

    /// JobKit's own maintenance leader: ``standardTasks(postgres:configuration:logger:)`` plus `extraTasks`,
    /// under the leadership and timing of `configuration`.
    public convenience init(postgres: PostgresClient, candidateID: String, maintenance configuration: MaintenanceConfiguration,
                            extraTasks: [any LeaderTask] = [], notifier: Notifier?, logger: Logger) {
        self.init(postgres: postgres, candidateID: candidateID, configuration: configuration.leadership,
                  tasks: Self.standardTasks(postgres: postgres, configuration: configuration, logger: logger) + extraTasks,
                  notifier: notifier, logger: logger)
    }

    /// The queue's own leader tasks: ``Stager``, ``Rescuer`` and ``Pruner`` with the intervals and retentions
    /// of `configuration`.
    public static func standardTasks(postgres: PostgresClient, configuration c: MaintenanceConfiguration, logger: Logger) -> [any LeaderTask] {
        [
            Stager(postgres: postgres, interval: c.stageInterval, logger: logger),
            Rescuer(postgres: postgres, interval: c.rescueInterval, logger: logger),
            Pruner(postgres: postgres, interval: c.pruneInterval, completed: c.completedRetention, cancelled: c.cancelledRetention,
                   discarded: c.discardedRetention, logger: logger),
        ]
    }

    /// Whether this process leads now.
    public var isLeader: Bool { leader.load(ordering: .relaxed) }

    public func run() async throws {
        let name = configuration.name
        let token = notifier?.subscribe { [resignSignal] channel, payload in
            if channel == Notifier.controlChannel, payload == "resign:\(name)" { resignSignal.wake() }
        }
        defer { if let token { notifier?.unsubscribe(token) } }
        await cancelWhenGracefulShutdown { await self.candidacy() }
        // Outside the cancelled scope, so that the query can run. Harmless when not leading.
        await elector.resign()
    }

    /// Carries out the state machine's actions until it says to resign.
    private func candidacy() async {
        var machine = LeadershipStateMachine(electionInterval: configuration.electionInterval)
        var action = machine.start()
        while true {
            switch action {
            case .attemptElection, .renew:
                action = await attempt(&machine)
            case .waitAndRetry(let delay):
                action = await wait(delay, &machine, wakeOnResign: true)
            case .startLeading(let renewAfter):
                action = await lead(&machine, renewAfter: renewAfter)
            case .resign, .none:
                return
            case .waitForRenewal, .stepDown:
                // Only while leading, inside lead(); never here.
                assertionFailure("unexpected \(action) outside the leading phase")
                return
            }
        }
    }

    /// Leads: runs the tasks while renewing, until the machine steps down; returns its action after that.
    private func lead(_ machine: inout LeadershipStateMachine, renewAfter: Duration) async -> LeadershipStateMachine.Action {
        leader.store(true, ordering: .relaxed)
        gauge.record(1)
        logger.info("elected leader", metadata: ["leadership": "\(configuration.name)", "tasks": "\(tasks.map(\.name))"])
        return await withTaskGroup(of: Void.self) { group in
            for (task, meters) in zip(tasks, meters) {
                group.addTask { await self.repeatedly(task, meters) }
            }
            var action = LeadershipStateMachine.Action.waitForRenewal(renewAfter: renewAfter)
            while true {
                switch action {
                case .waitForRenewal(let delay):
                    action = await wait(delay, &machine, wakeOnResign: false)
                case .renew:
                    action = await attempt(&machine)
                case .stepDown(let reason):
                    // Say so before waiting for the tasks' last queries: once the lease runs out another may
                    // lead, and this process must never claim a leadership it may no longer hold.
                    leader.store(false, ordering: .relaxed)
                    group.cancelAll()
                    await group.waitForAll()
                    gauge.record(0)
                    if reason != .shutdown {
                        logger.info("lost leadership", metadata: ["leadership": "\(configuration.name)", "reason": "\(reason)"])
                    }
                    return machine.steppedDown()
                default:
                    assertionFailure("unexpected \(action) while leading")
                    leader.store(false, ordering: .relaxed)
                    group.cancelAll()
                    await group.waitForAll()
                    gauge.record(0)
                    return .resign
                }
            }
        }
    }

    /// Takes or renews the leadership and reports the result to the machine.
    private func attempt(_ machine: inout LeadershipStateMachine) async -> LeadershipStateMachine.Action {
        do {
            return try await elector.attempt() ? machine.electionSucceeded() : machine.electionLost()
        } catch {
            if Task.isCancelled { return machine.shutdown() }
            logger.warning("leader election failed", metadata: ["leadership": "\(configuration.name)", "error": "\(String(reflecting: error))"])
            return machine.electionFailed()
        }
    }

    /// Waits `delay` (a follower also wakes on a resign notification) and reports why it woke.
    private func wait(_ delay: Duration, _ machine: inout LeadershipStateMachine, wakeOnResign: Bool) async -> LeadershipStateMachine.Action {
        var resigned = false
        if wakeOnResign {
            resigned = await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try? await Task.sleep(for: delay)
                    return false
                }
                group.addTask { [resignSignal] in await resignSignal.wait() }
                defer { group.cancelAll() }
                return await group.next() ?? false
            }
        } else {
            try? await Task.sleep(for: delay)
        }
        if Task.isCancelled { return machine.shutdown() }
        return resigned ? machine.resignNotified() : machine.timerFired()
    }

    /// Runs `task` now and then every `task.interval` until cancelled.
    private func repeatedly(_ task: any LeaderTask, _ meters: TaskMeters) async {
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let start = clock.now
            do {
                let n = try await task.run()
                meters.ok.increment()
                if n > 0 { meters.items.increment(by: Int64(n)) }
                if n > 0 { logger.debug("leader task ran", metadata: ["task": "\(task.name)", "rows": "\(n)"]) }
            } catch {
                if Task.isCancelled { return }
                meters.failed.increment()
                logger.warning("leader task failed", metadata: ["task": "\(task.name)", "error": "\(String(reflecting: error))"])
            }
            meters.duration.recordNanoseconds((clock.now - start).nanoseconds)
            try? await Task.sleep(for: task.interval)
        }
    }
}
