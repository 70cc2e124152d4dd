import API
import Console
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobKit
import NIOCore
import Scheduler
import ServiceLifecycle
import Storage
import Testing
import TestSupport

/// Live updates, throughput rollups, queue controls and schedules.
@Suite struct ConsoleLiveTests {
    @Test func manyLiveStreamsShareOneRefresherAndSeeTheDepthChange() async throws {
        try await TestDatabase.with { env in
            let keys = try await TokenKeys([("k1", String(repeating: "console-test-", count: 3))])
            let config = env.config
            let notifier = Notifier(connect: { try await config.connect(logger: TestDatabase.logger) }, logger: TestDatabase.logger)
            var configuration = ConsoleConfiguration()
            configuration.liveMinimumInterval = .milliseconds(100)
            configuration.liveMaximumInterval = .seconds(30)
            let console = try Console(postgres: env.postgres, keys: keys, notifier: notifier, configuration: configuration)
            let group = ServiceGroupRunner(services: [notifier] + console.services)
            try await group.run {
                try await eventually("notifier listening") { notifier.isListening }
                _ = try await env.client.enqueue(JobInsert(kind: "noop", queue: "live"))
                // Ten watchers at once.
                let streams = (0..<10).compactMap { _ in console.liveStream() }
                #expect(streams.count == 10)
                let before = console.liveRefreshCount
                // A job enqueued now reaches every stream (through the one LISTEN subscription), with the new depth.
                _ = try await env.client.enqueue(JobInsert(kind: "noop", queue: "live"))
                try await withThrowingTaskGroup(of: Int.self) { tasks in
                    for stream in streams {
                        tasks.addTask {
                            for await chunk in stream {
                                let text = String(buffer: chunk)
                                if text.contains("\"name\":\"live\""), text.contains("\"available\":2") { return 1 }
                            }
                            return 0
                        }
                    }
                    var seen = 0
                    for try await n in tasks { seen += n; if seen == streams.count { break } }
                    #expect(seen == 10)
                }
                // With the maximum interval at 30 s, only notifications cause refreshes: a handful, not one per client.
                #expect(console.liveRefreshCount - before <= 3)
            }
        }
    }

    @Test func tooManyLiveStreamsAreRefused() async throws {
        try await ConsoleHarness.with({ $0.liveMaximumClients = 2 }) { h, client in
            let a = h.console.liveStream(), b = h.console.liveStream()
            #expect(a != nil && b != nil)
            let browser = try await h.signIn(client, scopes: [.jobsRead])
            let r = try await client.execute(uri: "/admin/events", method: .get, headers: browser.headers)
            #expect(r.status == .tooManyRequests)
        }
    }

    @Test func finishedJobsAreRolledUpAndTheOverviewShowsHourAndWeek() async throws {
        try await ConsoleHarness.with { h, client in
            _ = try await h.env.client.enqueueMany((0..<5).map { _ in JobInsert(kind: "noop", queue: "roll") })
            _ = try await h.env.client.enqueueMany((0..<2).map { _ in JobInsert(kind: "noop", queue: "roll") })
            try await h.env.postgres.query("""
                UPDATE jobkit.jobs SET state = 'completed', finalized_at = now() - interval '10 minutes' WHERE id IN (SELECT id FROM jobkit.jobs ORDER BY id LIMIT 5)
                """)
            try await h.env.postgres.query("UPDATE jobkit.jobs SET state = 'discarded', finalized_at = now() - interval '2 days' WHERE state = 'available'")
            try await h.env.postgres.query("UPDATE console.rollup_watermark SET rolled_to = now() - interval '3 days'")
            let repository = ConsoleRepository(postgres: h.env.postgres)
            #expect(try await repository.rollUp(lag: .zero) == 7)
            #expect(try await repository.rollUp(lag: .zero) == 0, "nothing twice")
            // The rollups outlive the jobs (the pruner deletes finished ones).
            try await h.env.postgres.query("DELETE FROM jobkit.jobs")
            let hour = try await repository.throughput(since: Date().addingTimeInterval(-3600))
            let week = try await repository.throughput(since: Date().addingTimeInterval(-7 * 86400))
            #expect(hour["roll"]?.completed == 5 && hour["roll"]?.discarded == 0)
            #expect(week["roll"]?.completed == 5 && week["roll"]?.discarded == 2)
            let auth: HTTPFields = [.authorization: "Bearer \(try await h.token([.jobsRead]))"]
            let overview = try jsonObject(try await client.execute(uri: "/admin/api/overview", method: .get, headers: auth))
            let queues = try #require(overview["queues"] as? [[String: Any]])
            #expect(queues.allSatisfy { $0["name"] as? String != "roll" }, "no jobs left: the queue has no row, its figures stay in the rollups")
        }
    }

    @Test func queuesPauseResumeAndLimitFromTheConsole() async throws {
        try await ConsoleHarness.with { h, client in
            _ = try await h.enqueue(queue: "mail")
            let auth: HTTPFields = [.authorization: "Bearer \(try await h.token([.jobsAdmin]))", .contentType: "application/json"]
            #expect(try await client.execute(uri: "/admin/api/queues/mail/pause", method: .post, headers: auth).status == .ok)
            #expect(try await h.env.client.queues().first { $0.name == "mail" }?.paused == true)
            #expect(try await client.execute(uri: "/admin/api/queues/mail/limit", method: .post, headers: auth,
                                             body: ByteBuffer(string: #"{"limit": 3}"#)).status == .ok)
            #expect(try await h.env.client.queues().first { $0.name == "mail" }?.globalLimit == 3)
            #expect(try await client.execute(uri: "/admin/api/queues/mail/limit", method: .post, headers: auth,
                                             body: ByteBuffer(string: #"{"limit": null}"#)).status == .ok)
            #expect(try await h.env.client.queues().first { $0.name == "mail" }?.globalLimit == nil)
            #expect(try await client.execute(uri: "/admin/api/queues/mail/resume", method: .post, headers: auth).status == .ok)
            #expect(try await h.env.client.queues().first { $0.name == "mail" }?.paused == false)
            let n = try await h.env.scalar("SELECT count(*)::int8 FROM console.audit WHERE target = 'queue:mail'", as: Int64.self)
            #expect(n == 4)
        }
    }

    @Test func schedulesShowNextAndLastRunAndTriggerPauseResume() async throws {
        try await ConsoleHarness.with { h, client in
            let store = ScheduleStore(postgres: h.env.postgres)
            try await store.add(try ScheduleDefinition(name: "nightly.report", cron: "0 3 * * *", kind: "noop"), knownKinds: nil)
            let auth: HTTPFields = [.authorization: "Bearer \(try await h.token([.jobsAdmin]))"]
            let trigger = try await client.execute(uri: "/admin/api/schedules/nightly.report/trigger", method: .post, headers: auth)
            #expect(trigger.status == .ok)
            let jobID = try #require((try jsonObject(trigger)["new_job_id"] as? NSNumber)?.int64Value)
            #expect(try await h.env.client.job(id: jobID).kind == "noop")
            #expect(try await client.execute(uri: "/admin/api/schedules/nightly.report/pause", method: .post, headers: auth).status == .ok)
            #expect(try await store.schedule(named: "nightly.report")?.paused == true)
            let list = try await client.execute(uri: "/admin/api/schedules?ledger=nightly.report", method: .get, headers: auth)
            let entries = try #require(try jsonObject(list)["entries"] as? [[String: Any]])
            #expect(entries.contains { ($0["jobID"] as? NSNumber)?.int64Value == jobID })
            let browser = try await h.signIn(client, scopes: [.jobsRead])
            let page = try await client.execute(uri: "/admin/schedules/nightly.report", method: .get, headers: browser.headers)
            #expect(String(buffer: page.body).contains("nightly.report") && String(buffer: page.body).contains("/admin/jobs/\(jobID)"))
        }
    }
}

/// Runs services around a body and shuts them down after.
struct ServiceGroupRunner {
    var services: [any Service]
    func run(_ body: () async throws -> Void) async throws {
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: TestDatabase.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do { try await body() } catch { await group.triggerGracefulShutdown(); throw error }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
