import TestSupport
import Foundation
@testable import JobKit
import PostgresNIO
import Testing

/// A handler whose query fails on the server.
struct DivideByZeroWorker: JobWorker {
    struct Args: JobArgs { static let kind = "divide" }
    let postgres: PostgresClient
    var options: JobWorkerOptions { JobWorkerOptions(retryPolicy: RetryPolicy(base: .milliseconds(10), jitter: 0)) }
    func work(_ job: Job<Args>) async throws { try await postgres.query("SELECT 1/0", logger: job.logger) }
}

@Suite struct FailureTests {
    @Test func aDatabaseErrorIsRecordedWithItsStateAndMessageForOperators() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let id = try await env.client.enqueue(JobInsert(kind: "divide", argsJSON: "{}", maxAttempts: 1)).id
            var registry = JobRegistry()
            registry.register(DivideByZeroWorker(postgres: env.postgres))
            try await env.withWorker(registry, TestEnv.fastWorker()) { (_: JobWorkerService) async throws in
                try await eventually("discarded") { try await env.client.job(id: id).state == .discarded }
            }
            let error = try #require(try await env.client.job(id: id).errors.first?.error)
            // Not PSQLError's "Generic description…": the SQLSTATE and the server's message.
            #expect(error.contains("22012") && error.contains("division by zero"), "\(error)")
        }
    }

    @Test func failuresRetryWithBackoffThenCompleteOrDiscard() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let recorder = Recorder()
            let recovers = try await env.client.enqueue(probe(#"{"fail_times": 2}"#, maxAttempts: 5)).id
            let dies = try await env.client.enqueue(probe(#"{"fail_times": 99}"#, maxAttempts: 3)).id
            try await env.withWorker(.probe(recorder), TestEnv.fastWorker()) { (_: JobWorkerService) async throws in
                try await eventually("recovers completes, dies is discarded") {
                    let a = try await env.client.job(id: recovers), b = try await env.client.job(id: dies)
                    return a.state == .completed && b.state == .discarded
                }
            }
            #expect(recorder.attempts(recovers) == [1, 2, 3])
            #expect(recorder.attempts(dies) == [1, 2, 3])
            let dead = try await env.client.job(id: dies)
            #expect(dead.errors.map(\.attempt) == [1, 2, 3])
            #expect(dead.errors.allSatisfy { $0.error == "probe failure" })
            #expect(dead.finalizedAt != nil)
            // Backoff: attempt n waits base * 2^(n-1) (50 ms, 100 ms; no jitter in the probe's policy).
            let gap = dead.errors[2].at.timeIntervalSince(dead.errors[1].at)
            #expect(gap >= 0.1)
        }
    }

    @Test func theDeadLetterQueueCanBeListedAndReplayed() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let recorder = Recorder()
            let ids = try await (0..<3).asyncMap { i in
                try await env.client.enqueue(probe(#"{"fail_times": 1}"#, queue: i == 2 ? "other" : "default", maxAttempts: 1)).id
            }
            try await env.withWorker(.probe(recorder), TestEnv.fastWorker(queues: [.init("default"), .init("other")])) { (_: JobWorkerService) async throws in
                try await eventually("all discarded") { try await env.count(.discarded) == 3 }
                let dlq = try await env.client.list(.init(states: [.discarded], queue: "default"))
                #expect(Set(dlq.map(\.id)) == Set(ids.prefix(2)))
                let dry = try await env.client.replayDeadLetters(queue: "default", dryRun: true)
                #expect(dry == Array(ids.prefix(2)))
                #expect(try await env.count(.discarded) == 3)
                let replayed = try await env.client.replayDeadLetters(queue: "default")
                #expect(replayed == Array(ids.prefix(2)))
                // Replayed with fresh attempts: attempt 1 fails again? fail_times 1 means only attempt 1 fails.
                // The replay resets attempt to 0, so the first new attempt is 1 and fails; max_attempts 1 discards again.
                try await eventually("replayed jobs ran") { recorder.runs[ids[0]] == 2 && recorder.runs[ids[1]] == 2 }
                try await eventually("they are discarded again") { try await env.count(.discarded) == 3 }
                // Retry by id with a fresh attempt budget: this time attempt 2 succeeds.
                try await env.client.retry(ids: [ids[0]])
                try await eventually("retried job completed") { try await env.client.job(id: ids[0]).state == .completed }
            }
            #expect(try await env.client.job(id: ids[2]).state == .discarded)
        }
    }

    @Test func aHandlerPastItsTimeoutIsCancelledAndRetried() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let recorder = Recorder()
            let id = try await env.client.enqueue(probe(#"{"sleep_ms": 30000}"#, maxAttempts: 2)).id
            try await env.withWorker(.probe(recorder, timeout: .milliseconds(300)), TestEnv.fastWorker()) { (_: JobWorkerService) async throws in
                try await eventually("discarded after two timeouts") { try await env.client.job(id: id).state == .discarded }
            }
            let job = try await env.client.job(id: id)
            #expect(job.errors.count == 2)
            #expect(job.errors.allSatisfy { $0.error.hasPrefix("timed out after 0.3") })
            #expect(recorder.cancelled.contains(id))
        }
    }

    @Test func snoozeRunsAgainLaterWithoutUsingAnAttempt() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let recorder = Recorder()
            let id = try await env.client.enqueue(probe(#"{"snooze_ms": 400}"#, maxAttempts: 1)).id
            try await env.withWorker(.probe(recorder), TestEnv.fastWorker()) { (_: JobWorkerService) async throws in
                try await eventually("completed after the snooze") { try await env.client.job(id: id).state == .completed }
            }
            // The second run came at least the snooze later (the transient `scheduled` state is not polled for:
            // a loaded machine could miss its 400 ms window).
            let starts = recorder.starts(id)
            #expect(starts.count == 2)
            if starts.count == 2 { #expect(starts[1] - starts[0] >= .milliseconds(390)) }
            let job = try await env.client.job(id: id)
            #expect(job.attempt == 1)
            #expect(job.errors.isEmpty)
            // Both runs were attempt 1: the snooze did not use the only attempt.
            #expect(recorder.attempts(id) == [1, 1])
        }
    }

    @Test func aHandlerCanCancelItsOwnJob() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let id = try await env.client.enqueue(probe(#"{"cancel_self": true}"#)).id
            try await env.withWorker(.probe(Recorder()), TestEnv.fastWorker(maintenance: false)) { (_: JobWorkerService) async throws in
                try await eventually("cancelled") { try await env.client.job(id: id).state == .cancelled }
            }
            #expect(try await env.client.job(id: id).errors.last?.error == "cancelled: not needed any more")
        }
    }

    @Test func cancellingARunningJobCancelsItsHandler() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let recorder = Recorder()
            let id = try await env.client.enqueue(probe(#"{"sleep_ms": 60000}"#)).id
            let queued = try await env.client.enqueue(JobInsert(kind: "probe", scheduledAt: Date().addingTimeInterval(3600))).id
            try await env.withWorker(.probe(recorder), TestEnv.fastWorker()) { (_: JobWorkerService) async throws in
                try await eventually("running") { recorder.runs[id] == 1 }
                #expect(try await env.client.cancel(ids: [id, queued]) == [id, queued].sorted())
                try await eventually("handler saw cancellation", timeout: .seconds(5)) { recorder.cancelled.contains(id) }
                try await Task.sleep(for: .milliseconds(300))
            }
            let job = try await env.client.job(id: id)
            #expect(job.state == .cancelled)
            #expect(try await env.client.job(id: queued).state == .cancelled)
            // Finished jobs cannot be cancelled; unknown ids are an error.
            await #expect(throws: JobKitError.self) { try await env.client.cancel(ids: [id]) }
            let unknown = await #expect(throws: JobKitError.self) { try await env.client.cancel(ids: [999_999]) }
            #expect(unknown?.code == .jobNotFound)
        }
    }

    @Test func anUnknownKindIsRetriedAndFinallyDiscarded() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let id = try await env.client.enqueue(JobInsert(kind: "nobody-handles-this", maxAttempts: 1)).id
            try await env.withWorker(.probe(Recorder()), TestEnv.fastWorker(maintenance: false)) { (_: JobWorkerService) async throws in
                try await eventually("discarded") { try await env.client.job(id: id).state == .discarded }
            }
            #expect(try await env.client.job(id: id).errors.first?.error.contains("UNKNOWN_KIND") == true)
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for e in self { result.append(try await transform(e)) }
        return result
    }
}
