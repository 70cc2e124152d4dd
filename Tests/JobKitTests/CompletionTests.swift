import TestSupport
import Foundation
@testable import JobKit
import PostgresNIO
import Testing

/// Completes its job inside a transaction of its own (``Job/complete(on:)``), writing nothing else.
struct CompleteInTransactionWorker: JobWorker {
    struct Args: JobArgs { static let kind = "tx-complete" }
    let postgres: PostgresClient
    func work(_ job: Job<Args>) async throws {
        try await postgres.withTransaction(logger: job.logger) { tx in try await job.complete(on: tx) }
    }
}

/// Both ways a job is marked completed — the completer's batch and `complete(on:)` in a handler's
/// transaction — leave the same row: finished, and holding no lease.
@Suite struct CompletionTests {
    @Test func aCompletedJobHoldsNoLeaseWhicheverWayItCompleted() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            var registry = JobRegistry.probe(Recorder())
            registry.register(CompleteInTransactionWorker(postgres: env.postgres))
            try await env.client.enqueueMany((0..<50).map { _ in probe() })
            try await env.client.enqueueMany((0..<50).map { _ in JobInsert(kind: "tx-complete") })
            try await env.withWorker(registry, TestEnv.fastWorker(maintenance: false)) { (_: JobWorkerService) async throws in
                try await eventually("all completed") { try await env.count(.completed) == 100 }
            }
            for kind in ["probe", "tx-complete"] {
                let rows = try await env.postgres.query("""
                    SELECT count(*)::int8,
                           count(*) FILTER (WHERE lease_expires_at IS NULL AND finalized_at IS NOT NULL AND attempted_by IS NOT NULL)::int8
                    FROM jobkit.jobs WHERE state = 'completed' AND kind = \(kind)
                    """)
                for try await (all, clean) in rows.decode((Int64, Int64).self) {
                    #expect(all == 50, "\(kind)")
                    #expect(clean == all, "\(kind): every completed job has its lease cleared")
                }
            }
        }
    }
}
