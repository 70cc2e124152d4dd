import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Storage

/// Registers this process in `readiness.processes` with the address of its ops endpoints, renews the heartbeat
/// every `interval`, and removes the row on a graceful stop (a crashed process's row goes stale). Failures are
/// logged and retried at the next beat: registration never stops a process.
public struct ProcessRegistration: Service {
    public var registry: ProcessRegistry
    public var entry: ProcessRegistry.Entry
    public var interval: Duration

    public init(registry: ProcessRegistry, entry: ProcessRegistry.Entry, interval: Duration = .seconds(10)) {
        self.registry = registry
        self.entry = entry
        self.interval = interval
    }

    /// The entry of this process: a unique instance id, the command, and its ops URL (`nil` without one). A
    /// wildcard listen address is advertised as the host name.
    /// `advertise` (`FILESTORE_ADVERTISE_HOST`) wins over the listen address.
    public static func entry(command: String, host: String?, port: Int?, tls: Bool, version: String, advertise: String? = nil) -> ProcessRegistry.Entry {
        let name = ProcessInfo.processInfo.hostName
        let pid = Int(getpid())
        var url: String?
        if let host, let port, port > 0 {
            let advertised = advertise ?? (["0.0.0.0", "::", ""].contains(host) ? name : host)
            let bracketed = advertised.contains(":") ? "[\(advertised)]" : advertised
            url = "\(tls ? "https" : "http")://\(bracketed):\(port)"
        }
        let instance = "\(command)-\(name)-\(pid)-\(UInt32.random(in: 0...UInt32.max))"
            .map { $0.isLetter || $0.isNumber || "._:-".contains($0) ? $0 : "-" }
        return ProcessRegistry.Entry(instanceID: String(String(instance).prefix(200)), command: command, host: name, pid: pid, opsURL: url, version: version)
    }

    public func run() async throws {
        let (registry, entry, interval) = (registry, entry, interval)
        let logger = registry.logger
        // The loop ends on graceful shutdown; then the row is removed. Every statement is bounded in time: with the
        // database gone, a query waits for a connection that never comes, and registration must never hold up a
        // process that is stopping (the drain deadline is the other services').
        await cancelWhenGracefulShutdown {
            var registered = false
            while !Task.isCancelled {
                let known = registered
                let done = await Self.bounded(interval) {
                    let alive = known ? try await registry.heartbeat(entry.instanceID) : false
                    if !alive { try await registry.register(entry) }
                }
                switch done {
                case .success: registered = true
                case .failure(let error): logger.warning("process registration failed (retried)", metadata: ["error": "\(String(reflecting: error))"])
                case nil: logger.warning("process registration timed out (retried)")
                }
                try? await Task.sleep(for: interval)
            }
        }
        if case .failure(let error)? = await Self.bounded(.seconds(2), { try await registry.unregister(entry.instanceID) }) {
            logger.warning("process unregistration failed (the row goes stale)", metadata: ["error": "\(error)"])
        }
    }

    /// Runs `operation` in a task of its own and waits at most `limit` for it: its result, or `nil` when it took
    /// longer (it is cancelled and left to finish on its own).
    static func bounded(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> Void) async -> Result<Void, any Error>? {
        let once = Once()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, any Error>?, Never>) in
            let work = Task {
                let result: Result<Void, any Error>
                do { try await operation(); result = .success(()) } catch { result = .failure(error) }
                if once.take() { continuation.resume(returning: result) }
            }
            Task {
                try? await Task.sleep(for: limit)
                if once.take() {
                    work.cancel()
                    continuation.resume(returning: nil)
                }
            }
        }
    }
}

/// A flag that can be taken once, from any task.
final class Once: Sendable {
    private let taken = Mutex(false)
    func take() -> Bool { taken.withLock { was in defer { was = true }; return !was } }
}
