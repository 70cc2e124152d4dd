import Foundation
import Synchronization

/// A job row as the fetch returns it, before its args are decoded.
struct FetchedJob: Sendable {
    var id: Int64
    var kind: String
    var queue: String
    var argsJSON: String
    var attempt: Int
    var maxAttempts: Int
    var priority: Int
    var tags: [String]
    var tenantID: String?
    var traceContext: String?
}

/// Shared between a running handler and its executor.
final class JobExecution: Sendable {
    let workerID: String
    private let completed = Atomic<Bool>(false)

    init(workerID: String) { self.workerID = workerID }

    func markCompletedInTransaction() { completed.store(true, ordering: .relaxed) }
    var completedInTransaction: Bool { completed.load(ordering: .relaxed) }
}
