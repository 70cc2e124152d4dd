import TestSupport
import Foundation
@testable import JobKit
import PostgresNIO
import Synchronization
import Testing

@Suite struct ControlTests {
    @Test func pausedQueuesAreNotFetchedUntilResumed() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let recorder = Recorder()
            try await env.client.setPaused(true, queue: "default")
            try await env.client.enqueueMany((0..<5).map { _ in probe() })
            try await env.withWorker(.probe(recorder), TestEnv.fastWorker(maintenance: false)) { (_: JobWorkerService) async throws in
                try await Task.sleep(for: .milliseconds(800))
                #expect(recorder.total == 0)
                #expect(try await env.client.queues().first { $0.name == "default" }?.paused == true)
                try await env.client.setPaused(false, queue: "default")
                try await eventually("ran after resume") { recorder.total == 5 }
                // Pause while running: new jobs wait.
                try await env.client.setPaused(true, queue: "default")
                try await Task.sleep(for: .milliseconds(300))
                try await env.client.enqueue(probe())
                try await Task.sleep(for: .milliseconds(800))
                #expect(recorder.total == 5)
            }
        }
    }

    @Test func aGlobalLimitHoldsAcrossWorkers() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let recorder = Recorder()
            try await env.client.setGlobalLimit(2, queue: "limited")
            try await env.client.enqueueMany((0..<16).map { _ in probe(#"{"sleep_ms": 100}"#, queue: "limited") })
            let q = [QueueConfiguration("limited", concurrency: 5)]
            try await env.withWorker(.probe(recorder), TestEnv.fastWorker(queues: q)) { (_: JobWorkerService) async throws in
                try await env.withWorker(.probe(recorder), TestEnv.fastWorker(queues: q, maintenance: false)) { (_: JobWorkerService) async throws in
                    try await eventually("all done", timeout: .seconds(30)) { try await env.count(.completed) == 16 }
                }
            }
            #expect(recorder.peak <= 2)
            #expect(recorder.peak == 2)
            // Removing the limit lets both workers run their full concurrency.
            try await env.client.setGlobalLimit(nil, queue: "limited")
            #expect(try await env.client.queues().first { $0.name == "limited" }?.globalLimit == nil)
        }
    }

    @Test func gracefulShutdownLetsShortJobsFinishAndPutsLongOnesBack() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let recorder = Recorder()
            let short = try await env.client.enqueue(probe(#"{"sleep_ms": 500}"#)).id
            let long = try await env.client.enqueue(probe(#"{"sleep_ms": 60000}"#)).id
            // Timed from the moment the shutdown starts (the body returns), not from start-up, which a loaded
            // machine stretches.
            let shutdownStarted = Mutex<ContinuousClock.Instant?>(nil)
            try await env.withWorker(.probe(recorder), TestEnv.fastWorker(maintenance: false, grace: .seconds(2))) { (_: JobWorkerService) async throws in
                try await eventually("both running") { recorder.runs.count == 2 }
                shutdownStarted.withLock { $0 = .now }
            }
            // withWorker returned after a graceful shutdown: within the grace period (2 s) plus the put-back and
            // the final flush — far below the long job's 60 s. (7.0 s once in a loaded clean-clone run of the whole
            // suite on 2 cores, hence 10 s rather than 6.)
            let began = try #require(shutdownStarted.withLock { $0 })
            #expect(ContinuousClock.now - began < .seconds(10))
            #expect(try await env.client.job(id: short).state == .completed)
            let back = try await env.client.job(id: long)
            #expect(back.state == .available)
            #expect(back.attempt == 0)
            #expect(recorder.cancelled.contains(long))
            // Another worker takes it at once.
            let again = Recorder()
            try await env.client.postgres.query("UPDATE jobkit.jobs SET args = '{}' WHERE id = \(long)")
            try await env.withWorker(.probe(again), TestEnv.fastWorker(maintenance: false)) { (_: JobWorkerService) async throws in
                try await eventually("taken again") { try await env.client.job(id: long).state == .completed }
            }
        }
    }
}
