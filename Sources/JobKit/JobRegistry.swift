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

    /// Registers `worker` for its kind, replacing an earlier one.
    public mutating func register<W: JobWorker>(_ worker: W) {
        let decoder = JSONDecoder()
        entries[W.kind] = Entry(options: worker.options) { fetched, execution, logger in
            let args: W.Args
            do {
                args = try decoder.decode(W.Args.self, from: Data(fetched.argsJSON.utf8))
            } catch {
                throw JobKitError(.invalidArgs, "cannot decode args of '\(W.kind)' job: \(error)")
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
