import Foundation
import Logging

/// The set of job kinds a worker process can run.
public struct JobRegistry: Sendable {
    struct Entry: Sendable {
        var options: JobWorkerOptions
        var run: @Sendable (FetchedJob, JobExecution, Logger) async throws -> Void
    }
    private(set) var entries: [String: Entry] = [:]

    public init() {}

    /// Registers `worker` for the kind of its `Args` (``JobArgs/kind``), replacing an earlier one. The kind is
    /// what matters, not the queue: a process runs a job of any registered kind from any queue it works.
    public mutating func register<W: JobWorker>(_ worker: W) {
        let decoder = JSONDecoder()
        entries[W.Args.kind] = Entry(options: worker.options) { fetched, execution, logger in
            let args: W.Args
            do {
                args = try decoder.decode(W.Args.self, from: Data(fetched.argsJSON.utf8))
            } catch {
                throw JobKitError(.invalidArgs, "cannot decode args of '\(W.Args.kind)' job: \(error)")
            }
            let job = Job(
                id: fetched.id, kind: fetched.kind, queue: fetched.queue, args: args,
                attempt: fetched.attempt, maxAttempts: fetched.maxAttempts, priority: fetched.priority,
                tags: fetched.tags, tenantID: fetched.tenantID, traceContext: fetched.traceContext,
                baseLogger: logger, execution: execution
            )
            try await worker.work(job)
        }
    }

    /// The kinds registered, sorted.
    public var kinds: [String] { entries.keys.sorted() }

    func entry(for kind: String) -> Entry? { entries[kind] }
}
