import Foundation
import Logging
import ServiceLifecycle
import Storage

/// Rolls finished jobs up into `console.job_rollups` every ``ConsoleConfiguration/rollupInterval`` (one process at a
/// time: an advisory lock), so the overview's hour and week survive restarts and the pruning of old jobs; drops
/// rollups older than eight days.
public struct RollupService: Service, Sendable {
    let repository: ConsoleRepository
    let interval: Duration
    let logger: Logger

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await repository.rollUp()
                    try await repository.pruneRollups(olderThan: Date().addingTimeInterval(-8 * 86400))
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("console rollup failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
