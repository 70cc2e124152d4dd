import Foundation
import JobKit
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// Publishes the queue gauges every `interval`: `jobkit_jobs{queue,state}`,
/// `jobkit_queue_oldest_available_age_seconds{queue}`, `jobkit_dlq_size{queue}` and `jobkit_queue_paused{queue}`.
///
/// Counting the job table is not free, so only the process for which `isActive` holds (the maintenance
/// leader) counts. Every other process exports none of these series (a follower's zeros would read as an
/// empty queue), and a process that loses leadership removes its own: whatever a query aggregates over, only
/// the leader's figures are there. Dashboards and alerts still use `max by (queue, …)` for the hand-over.
public struct QueueStatsReporter: Service {
    let client: JobClient
    let interval: Duration
    let isActive: @Sendable () -> Bool
    let logger: Logger

    public init(client: JobClient, interval: Duration = .seconds(15), isActive: @escaping @Sendable () -> Bool = { true }, logger: Logger) {
        self.client = client
        self.interval = interval
        self.isActive = isActive
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var seen: Set<[String]> = []
            while !Task.isCancelled {
                do {
                    let queues = isActive() ? try await client.queues() : []
                    var now: Set<[String]> = []
                    for q in queues {
                        for state in JobState.allCases {
                            Gauge(label: "jobkit_jobs", dimensions: [("queue", q.name), ("state", state.rawValue)])
                                .record(q.counts[state.rawValue] ?? 0)
                            now.insert([q.name, state.rawValue])
                        }
                        Gauge(label: "jobkit_queue_oldest_available_age_seconds", dimensions: [("queue", q.name)])
                            .record(q.oldestAvailableAgeSeconds ?? 0)
                        Gauge(label: "jobkit_dlq_size", dimensions: [("queue", q.name)])
                            .record(q.counts[JobState.discarded.rawValue] ?? 0)
                        Gauge(label: "jobkit_queue_paused", dimensions: [("queue", q.name)]).record(q.paused ? 1 : 0)
                    }
                    // Queues gone, or leadership lost: their series go (not zeros).
                    for gone in seen.subtracting(now) {
                        Gauge(label: "jobkit_jobs", dimensions: [("queue", gone[0]), ("state", gone[1])]).destroy()
                        if !now.contains(where: { $0[0] == gone[0] }) {
                            Gauge(label: "jobkit_queue_oldest_available_age_seconds", dimensions: [("queue", gone[0])]).destroy()
                            Gauge(label: "jobkit_dlq_size", dimensions: [("queue", gone[0])]).destroy()
                            Gauge(label: "jobkit_queue_paused", dimensions: [("queue", gone[0])]).destroy()
                        }
                    }
                    seen = now
                } catch {
                    logger.warning("queue stats failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
