import TestSupport
import Foundation
@testable import JobKit
import PostgresNIO
import Synchronization
import Testing

/// Args whose fields are declared out of alphabetical order, with a default queue and options of their own.
struct Greeting: JobArgs {
    static let kind = "greet"
    static let defaultQueue = "mail"
    var zeta: Int = 1
    var alpha: String
    var insertOptions: InsertOptions { InsertOptions(priority: 4, uniqueKey: "greet:\(alpha)") }
}

/// Args with nothing but a number; handled by ``TenantProbeWorker``.
struct Plain: JobArgs {
    static let kind = "plain"
    var n: Int
}

/// Args that encode as a bare number: not a JSON object, so refused.
struct Bare: JobArgs {
    static let kind = "bare"
    init() {}
    init(from decoder: any Decoder) throws { _ = try decoder.singleValueContainer().decode(Int.self) }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(1)
    }
}

/// Records the args and tenant each job was run with.
struct TenantProbeWorker: JobWorker {
    typealias Args = Plain
    let seen: Seen
    func work(_ job: Job<Plain>) async throws { seen.map.withLock { $0[job.args.n] = job.tenantID ?? "-" } }
}

final class Seen: Sendable {
    let map = Mutex<[Int: String]>([:])
}

@Suite struct TypedJobTests {
    @Test func argsAreEncodedWithSortedKeys() throws {
        let insert = try JobInsert(Greeting(alpha: "ann"))
        #expect(insert.argsJSON == #"{"alpha":"ann","zeta":1}"#)
        #expect(insert.kind == "greet")
        #expect(insert.queue == "mail")
        #expect(insert.priority == 4)
        #expect(insert.maxAttempts == JobInsert.defaultMaxAttempts)
        #expect(insert.uniqueKey == "greet:ann")
        // Without options of its own: queue `default`, priority 0, no key.
        let plain = try JobInsert(Plain(n: 1))
        #expect(plain.queue == "default" && plain.priority == 0 && plain.uniqueKey == nil && plain.tenantID == nil)
        #expect(throws: JobKitError.self) { try JobInsert(Bare()).validate() }
    }

    @Test func theCallsOptionsWinOverTheArgsOwnWhichWinOverTheDefaults() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let later = Date().addingTimeInterval(600)
            let options = InsertOptions(maxAttempts: 3, scheduledAt: later, tags: ["t"], tenantID: "acme", traceContext: "00-a-b-01")
            let first = try await env.client.enqueue(Greeting(alpha: "ann"), options: options)
            let job = try await env.client.job(id: first.id)
            #expect(job.kind == "greet" && job.queue == "mail" && job.priority == 4 && job.maxAttempts == 3)
            #expect(job.state == .scheduled && job.tags == ["t"] && job.tenantID == "acme" && job.traceContext == "00-a-b-01")
            #expect(job.uniqueKey == "greet:ann")
            // The args' unique key refuses a second one while the first is pending.
            #expect(try await env.client.enqueue(Greeting(alpha: "ann")) == .duplicate(first.id))
            // The call's options override the args' own: another key, another queue and priority.
            let other = try await env.client.enqueue(Greeting(alpha: "ann"), options: InsertOptions(queue: "urgent", priority: 1, uniqueKey: "x"))
            let o = try await env.client.job(id: other.id)
            #expect(o.queue == "urgent" && o.priority == 1 && o.uniqueKey == "x")
            await #expect(throws: JobKitError.self) { try await env.client.enqueue(Bare()) }
        }
    }

    @Test func typedBulkAndTransactionalEnqueue() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let client = env.client
            #expect(try await client.enqueueMany((0..<500).map { Plain(n: $0) }, options: InsertOptions(queue: "bulk", tenantID: "acme")) == 500)
            #expect(try await env.count(.available, queue: "bulk") == 500)
            #expect(try await env.scalar("SELECT count(*)::int8 FROM jobkit.jobs WHERE tenant_id = 'acme' AND kind = 'plain'", as: Int64.self) == 500)
            struct Rollback: Error {}
            await #expect(throws: PostgresTransactionError.self) {
                try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                    try await client.enqueue(Plain(n: 1), options: InsertOptions(queue: "tx"), on: tx)
                    try await client.enqueueMany([Plain(n: 2)], options: InsertOptions(queue: "tx"), on: tx)
                    throw Rollback()
                }
            }
            #expect(try await env.count(queue: "tx") == 0)
            try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                try await client.enqueueMany([Plain(n: 1), Plain(n: 2)], options: InsertOptions(queue: "tx"), on: tx)
            }
            #expect(try await env.count(queue: "tx") == 2)
        }
    }

    /// Jobs queued before the tenant left the args (`{"n": 7, "tenant_id": …}`) still decode, and the handler
    /// reads the tenant from the row; the worker runs its kind from whatever queue the job is in.
    @Test func handlersGetTypedArgsAndTheTenantFromTheRowWhateverTheQueue() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let seen = Seen()
            var registry = JobRegistry()
            registry.register(TenantProbeWorker(seen: seen))
            #expect(registry.kinds == ["plain"])
            try await env.client.enqueue(JobInsert(kind: "plain", argsJSON: #"{"n": 7, "tenant_id": "stale-copy"}"#, queue: "elsewhere", tenantID: "acme"))
            try await env.client.enqueue(Plain(n: 8), options: InsertOptions(queue: "elsewhere", tenantID: "beta"))
            try await env.client.enqueue(Plain(n: 9), options: InsertOptions(queue: "third"))
            let queues = [QueueConfiguration("elsewhere"), QueueConfiguration("third")]
            try await env.withWorker(registry, TestEnv.fastWorker(queues: queues, maintenance: false)) { (_: JobWorkerService) async throws in
                try await eventually("all three ran") { try await env.count(.completed) == 3 }
            }
            #expect(seen.map.withLock { $0 } == [7: "acme", 8: "beta", 9: "-"])
        }
    }
}
