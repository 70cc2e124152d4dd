import Foundation
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Runs in every worker process; the one elected leader among them runs the maintenance loops
/// (stager, rescuer, pruner). Followers retry the election every `electionInterval`, and at once when
/// the leader resigns.
public final class MaintenanceService: Service, Sendable {
    private let elector: LeaderElector
    private let maintenance: Maintenance
    private let configuration: MaintenanceConfiguration
    private let notifier: Notifier?
    private let logger: Logger
    private let leader = Atomic<Bool>(false)
    private let signal = WakeSignal()

    public init(postgres: PostgresClient, candidateID: String, configuration: MaintenanceConfiguration,
                notifier: Notifier?, logger: Logger) {
        self.elector = LeaderElector(postgres: postgres, name: configuration.leadershipName, candidateID: candidateID,
                                     ttl: configuration.leaderTTL, logger: logger)
        self.maintenance = Maintenance(postgres: postgres, logger: logger)
        self.configuration = configuration
        self.notifier = notifier
        self.logger = logger
    }

    /// Whether this process leads maintenance now.
    public var isLeader: Bool { leader.load(ordering: .relaxed) }

    public func run() async throws {
        let name = configuration.leadershipName
        let token = notifier?.subscribe { [signal] channel, payload in
            if channel == Notifier.controlChannel, payload == "resign:\(name)" { signal.wake() }
        }
        defer { if let token { notifier?.unsubscribe(token) } }
        let gauge = Gauge(label: "jobkit_leader", dimensions: [("leadership", name)])
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                var elected = false
                do { elected = try await self.elector.attempt() } catch {
                    self.logger.warning("leader election failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                if elected {
                    self.leader.store(true, ordering: .relaxed)
                    gauge.record(1)
                    self.logger.info("elected maintenance leader")
                    await self.lead()
                    self.leader.store(false, ordering: .relaxed)
                    gauge.record(0)
                    if Task.isCancelled { break }
                    self.logger.info("lost maintenance leadership")
                } else {
                    await self.sleepOrWake(self.configuration.electionInterval)
                }
            }
        }
        // Resigning is harmless when not leading; it lets a follower take over without waiting for the TTL.
        await elector.resign()
    }

    private func sleepOrWake(_ duration: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: duration) }
            group.addTask { [signal] in _ = await signal.wait() }
            await group.next()
            // Stepping down starts now: say so before waiting for the other loops' last queries, so that this
            // process never claims a leadership another may already hold once its lease runs out.
            self.leader.store(false, ordering: .relaxed)
            group.cancelAll()
        }
    }

    /// Runs the maintenance loops until the leadership is lost or the task is cancelled.
    private func lead() async {
        let c = configuration
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.every(c.stageInterval, "stage") { try await self.maintenance.stage() } }
            group.addTask { await self.every(c.rescueInterval, "rescue") { try await self.maintenance.rescue() } }
            group.addTask {
                await self.every(c.pruneInterval, "prune") {
                    try await self.maintenance.prune(completed: c.completedRetention, cancelled: c.cancelledRetention,
                                                     discarded: c.discardedRetention)
                }
            }
            group.addTask {
                // Renew; return (ending the leadership) when renewal fails or someone else holds it.
                while !Task.isCancelled {
                    try? await Task.sleep(for: c.electionInterval)
                    if Task.isCancelled { return }
                    let still = (try? await self.elector.attempt()) ?? false
                    if !still { return }
                }
            }
            await group.next()
            // Stepping down starts now: say so before waiting for the other loops' last queries, so that this
            // process never claims a leadership another may already hold once its lease runs out.
            self.leader.store(false, ordering: .relaxed)
            group.cancelAll()
        }
    }

    private func every(_ interval: Duration, _ name: String, _ body: @Sendable () async throws -> Int) async {
        while !Task.isCancelled {
            do {
                let n = try await body()
                if n > 0 { logger.debug("maintenance", metadata: ["task": "\(name)", "rows": "\(n)"]) }
            } catch {
                if Task.isCancelled { return }
                logger.warning("maintenance task failed", metadata: ["task": "\(name)", "error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
