import Foundation
import Logging
import Metrics
import NIOCore
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// One LISTEN connection per process, fanning notifications out to subscribers.
///
/// Channels: `jobkit_insert` (payload: queue name; sent by the insert trigger and the stager) and
/// `jobkit_control` (payloads `pause:<queue>`, `resume:<queue>`, `limit:<queue>`, `cancel:<id>`,
/// `resign:<leadership>`). After a reconnect every subscriber is woken, since notifications sent while
/// the connection was down are lost; producers also poll, so a lost notification only delays a job.
public final class Notifier: Service, Sendable {
    public static let insertChannel = "jobkit_insert"
    public static let controlChannel = "jobkit_control"

    public typealias Handler = @Sendable (_ channel: String, _ payload: String) -> Void
    private let connect: @Sendable () async throws -> PostgresConnection
    private let logger: Logger
    private let subscribers = Mutex<[Int: Handler]>([:])
    private let nextID = Atomic<Int>(0)
    private let listening = Atomic<Bool>(false)
    private let extraChannels: [String]

    /// - Parameter connect: opens a dedicated connection (not from the pool: LISTEN holds it for good).
    /// - Parameter extraChannels: the application's own channels, listened to on the same connection and
    ///   delivered to the same subscribers (who look at the channel).
    public init(connect: @escaping @Sendable () async throws -> PostgresConnection, logger: Logger, extraChannels: [String] = []) {
        self.connect = connect
        self.logger = logger
        self.extraChannels = extraChannels
    }

    /// `jobkit_notifier_connected`: 1 while the LISTEN connection is up.
    private let connectedGauge = Gauge(label: "jobkit_notifier_connected")

    /// Whether the LISTEN connection is up.
    public var isListening: Bool { listening.load(ordering: .relaxed) }

    /// Registers `handler` for every notification; returns a token for ``unsubscribe(_:)``.
    @discardableResult
    public func subscribe(_ handler: @escaping Handler) -> Int {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        subscribers.withLock { $0[id] = handler }
        return id
    }

    public func unsubscribe(_ token: Int) { subscribers.withLock { _ = $0.removeValue(forKey: token) } }

    private func deliver(_ channel: String, _ payload: String) {
        for handler in subscribers.withLock({ Array($0.values) }) { handler(channel, payload) }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var delay = Duration.milliseconds(100)
            while !Task.isCancelled {
                do {
                    let connection = try await self.connect()
                    delay = .milliseconds(100)
                    // However listening ends, the connection is closed before it is let go.
                    do {
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            for channel in [Self.insertChannel, Self.controlChannel] + self.extraChannels {
                                group.addTask {
                                    try await connection.listen(on: channel) { notifications in
                                        if channel == Self.insertChannel { self.markListening() }
                                        for try await n in notifications { self.deliver(channel, n.payload) }
                                    }
                                }
                            }
                            defer { group.cancelAll() }
                            try await group.next()
                        }
                    } catch {
                        self.setListening(false)
                        try? await connection.close()
                        throw error
                    }
                    self.setListening(false)
                    try? await connection.close()
                } catch {
                    self.setListening(false)
                    if Task.isCancelled { break }
                    self.logger.warning("LISTEN connection lost; reconnecting", metadata: ["error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// Records the LISTEN connection's state, in ``isListening`` and the `jobkit_notifier_connected` gauge.
    private func setListening(_ up: Bool) {
        listening.store(up, ordering: .relaxed)
        connectedGauge.record(up ? 1 : 0)
    }

    private func markListening() {
        setListening(true)
        // Whatever was sent while we were not listening is lost: let everyone look.
        deliver(Self.insertChannel, "*")
    }
}
