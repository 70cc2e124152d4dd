import Foundation
import JobKit
import Logging
import ServiceLifecycle
import Storage
import Synchronization

/// Runs bulk actions over a search in the background: batches of ``ConsoleConfiguration/bulkBatchSize``, newest
/// first, each one short statement that skips rows a worker holds (`FOR UPDATE SKIP LOCKED`), a pause of
/// ``ConsoleConfiguration/bulkBatchPause`` between two, progress written to the run's audit entry. The job table
/// is never locked as a whole and workers go on beside it. Runs stop with the process: their audit entry then
/// says `failed`, "stopped with the process", with how many jobs were done (run the rest again from the console).
public final class BulkRunner: Service, Sendable {
    /// One bulk run.
    struct Run: Sendable {
        var auditID: Int64
        var action: JobClient.BulkAction
        var search: JobClient.JobSearch
        /// The most jobs it changes (the dry run's count, capped).
        var limit: Int
    }

    let jobs: JobClient
    let repository: ConsoleRepository
    let configuration: ConsoleConfiguration
    let logger: Logger
    private let queue: (stream: AsyncStream<Run>, continuation: AsyncStream<Run>.Continuation)

    init(jobs: JobClient, repository: ConsoleRepository, configuration: ConsoleConfiguration, logger: Logger) {
        self.jobs = jobs
        self.repository = repository
        self.configuration = configuration
        self.logger = logger
        self.queue = AsyncStream.makeStream(of: Run.self)
    }

    /// Queues `run`; runs go one after the other.
    func start(_ run: Run) { queue.continuation.yield(run) }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            for await run in self.queue.stream {
                await self.execute(run)
                if Task.isCancelled { break }
            }
        }
    }

    /// Executes one run to its limit or until nothing matches.
    func execute(_ run: Run) async {
        var done = 0
        var before: Int64?
        do {
            while done < run.limit, !Task.isCancelled {
                let size = min(configuration.bulkBatchSize, run.limit - done)
                let (changed, next) = try await jobs.applyBatch(run.action, matching: run.search, before: before, batch: size)
                guard let next else { break }
                done += changed.count
                before = next
                if changed.count < size { break }  // the last batch: nothing more matched
                try await repository.updateAudit(id: run.auditID, done: done, status: "running")
                try await Task.sleep(for: configuration.bulkBatchPause)
            }
            try await repository.updateAudit(id: run.auditID, done: done, status: Task.isCancelled ? "failed" : "done",
                                             detail: Task.isCancelled ? "stopped with the process" : nil)
        } catch is CancellationError {
            try? await repository.updateAudit(id: run.auditID, done: done, status: "failed", detail: "stopped with the process")
        } catch {
            logger.warning("bulk run failed", metadata: ["audit_id": "\(run.auditID)", "error": "\(error)"])
            try? await repository.updateAudit(id: run.auditID, done: done, status: "failed", detail: "\(error)".prefix(500).description)
        }
    }
}
