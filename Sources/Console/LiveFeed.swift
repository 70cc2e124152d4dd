import Foundation
import JobKit
import Logging
import NIOCore
import ServiceLifecycle
import Storage
import Synchronization

/// The overview's live updates as server-sent events. One per process: it subscribes once to the process's
/// LISTEN notifier, and one loop reads the queues — only while someone watches, at most every
/// ``ConsoleConfiguration/liveMinimumInterval`` when notifications say something changed, at the latest every
/// ``ConsoleConfiguration/liveMaximumInterval`` — and sends the same snapshot to every stream. A hundred open
/// pages cost one query, not a hundred.
public final class LiveFeed: Service, Sendable {
    struct State {
        var clients: [Int: AsyncStream<ByteBuffer>.Continuation] = [:]
        var next = 0
        var dirty = true
        var last: ByteBuffer?
    }

    let jobs: JobClient
    let configuration: ConsoleConfiguration
    let logger: Logger
    private let state = Mutex(State())
    private let refreshes = Atomic<Int>(0)

    init(jobs: JobClient, repository: ConsoleRepository, notifier: Notifier?, configuration: ConsoleConfiguration, logger: Logger) {
        self.jobs = jobs
        self.configuration = configuration
        self.logger = logger
        notifier?.subscribe { [weak self] channel, _ in
            if channel == Notifier.insertChannel || channel == Notifier.controlChannel { self?.state.withLock { $0.dirty = true } }
        }
    }

    /// How many snapshots were read so far (the tests check that many clients share them).
    public var refreshCount: Int { refreshes.load(ordering: .relaxed) }

    /// Streams connected now.
    public var clientCount: Int { state.withLock { $0.clients.count } }

    /// A new stream of events (`event: queues`, JSON data), starting with the latest snapshot; `nil` when
    /// ``ConsoleConfiguration/liveMaximumClients`` are connected.
    func subscribe() -> AsyncStream<ByteBuffer>? {
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingNewest(4))
        let id: Int? = state.withLock { s in
            guard s.clients.count < configuration.liveMaximumClients else { return nil }
            s.next += 1
            s.clients[s.next] = continuation
            s.dirty = true
            if let last = s.last { continuation.yield(last) }
            return s.next
        }
        guard let id else { return nil }
        continuation.yield(ByteBuffer(string: "retry: 2000\n: connected\n\n"))
        continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.clients.removeValue(forKey: id) } }
        return stream
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastRefresh = ContinuousClock.now - self.configuration.liveMaximumInterval
            while !Task.isCancelled {
                try? await Task.sleep(for: self.configuration.liveMinimumInterval)
                let (watched, dirty) = self.state.withLock { ($0.clients.isEmpty == false, $0.dirty) }
                guard watched else { continue }
                guard dirty || ContinuousClock.now - lastRefresh >= self.configuration.liveMaximumInterval else { continue }
                self.state.withLock { $0.dirty = false }
                lastRefresh = ContinuousClock.now
                do {
                    let event = try await self.snapshot()
                    self.refreshes.add(1, ordering: .relaxed)
                    let clients = self.state.withLock { s -> [AsyncStream<ByteBuffer>.Continuation] in
                        s.last = event
                        return Array(s.clients.values)
                    }
                    for c in clients { c.yield(event) }
                } catch {
                    self.logger.warning("console live refresh failed", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
            for c in self.state.withLock({ Array($0.clients.values) }) { c.finish() }
        }
    }

    /// One `queues` event: every queue's depth by state (``JobClient/queueDepths()``), oldest available age and controls.
    func snapshot() async throws -> ByteBuffer {
        let queues = try await jobs.queueDepths().map { Console.queueRow($0) }
        let json = jsonText(["queues": queues, "at": isoTime(Date())!])
        return ByteBuffer(string: "event: queues\ndata: \(json)\n\n")
    }
}
