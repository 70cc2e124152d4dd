import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// A worker process's queue machinery as one `Service`: a producer per queue, the executor, the batched
/// completer and the lease keeper.
///
/// On graceful shutdown it stops fetching, lets running jobs finish within `shutdownGracePeriod`, then
/// cancels the rest and puts them back as `available` so another worker takes them at once; the last
/// outcomes are flushed before `run()` returns.
public final class JobWorkerService: Service, Sendable {
    public let configuration: JobWorkerConfiguration
    private let postgres: PostgresClient
    private let notifier: Notifier?
    private let running = RunningJobs()
    private let completer: Completer
    private let producers: [Producer]
    private let leaseKeeper: LeaseKeeper
    private let stopSignal = WakeSignal()
    private let logger: Logger

    /// - Parameters:
    ///   - postgres: the pool for completions, heartbeats and controls (durable commits).
    ///   - fetchPostgres: the pool fetches go through; default `postgres`. Give it a pool whose sessions
    ///     set `synchronous_commit = off` (``DatabaseConfiguration/fetchClientConfiguration``) to take a WAL
    ///     flush off every fetch: a fetch lost in a database crash only makes its jobs run again, which
    ///     at-least-once delivery allows, and every later durable commit flushes it anyway.
    ///   - notifier: wakes producers on NOTIFY; without one they only poll.
    public init(postgres: PostgresClient, fetchPostgres: PostgresClient? = nil, registry: JobRegistry, configuration: JobWorkerConfiguration,
                notifier: Notifier?, metrics: JobMetrics = JobMetrics(), logger: Logger = Logger(label: "jobkit.worker")) {
        var logger = logger
        logger[metadataKey: "worker_id"] = "\(configuration.workerID)"
        self.configuration = configuration
        self.postgres = postgres
        self.notifier = notifier
        self.logger = logger
        let producersBox = ProducersBox()
        let completer = Completer(postgres: postgres, workerID: configuration.workerID,
                                  batchSize: configuration.completerBatchSize, metrics: metrics, logger: logger,
                                  flushed: { producersBox.completerFlushed() })
        self.completer = completer
        let executor = Executor(registry: registry, running: running, completer: completer, metrics: metrics,
                                workerID: configuration.workerID, logger: logger)
        self.producers = configuration.queues.map {
            Producer(queue: $0, configuration: configuration, postgres: postgres, fetchPostgres: fetchPostgres ?? postgres, executor: executor,
                     completer: completer, metrics: metrics, logger: logger)
        }
        producersBox.set(self.producers)
        self.leaseKeeper = LeaseKeeper(postgres: postgres, running: running, configuration: configuration, logger: logger)
    }

    /// Jobs running in this process now.
    public var runningCount: Int { running.count }

    public func run() async throws {
        let token = notifier?.subscribe { [producers, running] channel, payload in
            Self.route(channel: channel, payload: payload, producers: producers, running: running)
        }
        defer { if let token { notifier?.unsubscribe(token) } }
        logger.info("worker started", metadata: ["queues": "\(configuration.queues.map { "\($0.name)=\($0.concurrency)" })"])
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { outer in
                outer.addTask { await self.completer.run() }
                await withTaskGroup(of: Void.self) { inner in
                    inner.addTask { await self.leaseKeeper.run() }
                    inner.addTask { await self.shutdownWatchdog() }
                    await withDiscardingTaskGroup { group in
                        for producer in self.producers { group.addTask { await producer.run() } }
                    }
                    inner.cancelAll()
                }
                self.completer.finish()
            }
        } onGracefulShutdown: {
            self.stop()
        }
        logger.info("worker stopped")
    }

    /// Stops fetching; running jobs get the grace period to finish.
    public func stop() {
        for producer in producers { producer.stop() }
        stopSignal.wake()
    }

    private func shutdownWatchdog() async {
        guard await stopSignal.wait(), !Task.isCancelled else { return }
        do { try await Task.sleep(for: configuration.shutdownGracePeriod) } catch { return }
        let n = running.count
        if n > 0 {
            logger.warning("grace period over: interrupting running jobs and putting them back", metadata: ["jobs": "\(n)"])
            running.interruptAll(.shutdown)
        }
    }

    static func route(channel: String, payload: String, producers: [Producer], running: RunningJobs) {
        if channel == Notifier.insertChannel {
            for p in producers where payload == "*" || p.queue == payload { p.poke() }
            return
        }
        guard channel == Notifier.controlChannel, let colon = payload.firstIndex(of: ":") else { return }
        let verb = payload[..<colon], arg = String(payload[payload.index(after: colon)...])
        switch verb {
        case "pause", "resume", "limit":
            for p in producers where p.queue == arg { p.controlsChanged() }
        case "cancel":
            if let id = Int64(arg) { running.interrupt(id, .lost) }
        default: break
        }
    }
}

/// Lets the completer reach the producers, which are built after it.
private final class ProducersBox: Sendable {
    private let producers = Mutex<[Producer]>([])
    func set(_ p: [Producer]) { producers.withLock { $0 = p } }
    func completerFlushed() { for p in producers.withLock({ $0 }) { p.completerFlushed() } }
}

import Synchronization
