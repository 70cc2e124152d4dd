import ArgumentParser
import FilestoreConfig
import Foundation
import JobKit

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Inspect, enqueue, retry, cancel and discard jobs.",
        subcommands: [List.self, Show.self, Enqueue.self, Retry.self, Cancel.self, Discard.self])

    struct List: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs, newest first.")
        @OptionGroup var db: DatabaseOptions
        var flags: [String: String] { db.flags }
        @Option(help: "Only jobs in this state (\(JobState.allCases.map(\.rawValue).joined(separator: ", "))).") var state: String?
        @Option(help: "Only jobs of this queue.") var queue: String?
        @Option(help: "Only jobs of this kind.") var kind: String?
        @Option(help: "At most this many jobs.") var limit = 50
        @Flag(help: "Print JSON for scripts.") var json = false

        func validate() throws {
            if let state, JobState(name: state) == nil {
                throw ValidationError("unknown state '\(state)'; states are \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard limit > 0 else { throw ValidationError("--limit must be positive") }
        }

        func run(configuration: FilestoreConfiguration) async throws {
            let filter = JobClient.JobFilter(states: state.flatMap(JobState.init(name:)).map { [$0] } ?? [],
                                             queue: queue, kind: kind, limit: limit)
            let jobs = try await withJobClient(configuration.database) { try await $0.list(filter) }
            if json { try printJSON(jobs) } else { print(jobs.isEmpty ? "no jobs" : jobRows(jobs)) }
        }
    }

    struct Show: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Show one job with its args and every attempt's error.")
        @OptionGroup var db: DatabaseOptions
        var flags: [String: String] { db.flags }
        @Argument(help: "The job id.") var id: String
        @Flag(help: "Print JSON for scripts.") var json = false

        func run(configuration: FilestoreConfiguration) async throws {
            let id = try parseIDs([self.id])[0]
            let job = try await withJobClient(configuration.database) { try await $0.job(id: id) }
            if json { try printJSON(job); return }
            let fields: [(String, String)] = [
                ("id", String(job.id)), ("state", job.state.rawValue), ("queue", job.queue), ("kind", job.kind),
                ("args", job.argsJSON), ("priority", String(job.priority)), ("attempt", "\(job.attempt) of \(job.maxAttempts)"),
                ("created", shortTime(job.createdAt)), ("scheduled", shortTime(job.scheduledAt)),
                ("attempted", shortTime(job.attemptedAt)), ("attempted by", job.attemptedBy ?? "-"),
                ("lease until", shortTime(job.leaseExpiresAt)), ("finalized", shortTime(job.finalizedAt)),
                ("tags", job.tags.joined(separator: ", ")), ("unique key", job.uniqueKey ?? "-"),
                ("tenant", job.tenantID ?? "-"), ("trace", job.traceContext ?? "-"),
            ]
            for (k, v) in fields { print("\(k.padding(toLength: 13, withPad: " ", startingAt: 0)) \(v)") }
            print("errors (\(job.errors.count)):")
            for e in job.errors { print("  #\(e.attempt) \(shortTime(e.at))  \(e.error)") }
        }
    }

    struct Enqueue: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Enqueue jobs of a kind (e.g. noop for a drill).")
        @OptionGroup var db: DatabaseOptions
        var flags: [String: String] { db.flags }
        @Argument(help: "The job kind.") var kind: String
        @Option(help: "Args as a JSON object.") var args = "{}"
        @Option(help: "How many identical jobs (one round trip).") var count = 1
        @Option(help: "The queue.") var queue = "default"
        @Option(help: "Priority 0 (first) … 9.") var priority = 0
        @Option(name: .customLong("max-attempts"), help: "Attempts before the job is discarded.") var maxAttempts = 20
        @Option(name: .customLong("in"), help: "Run after this many seconds.") var delay: Double?
        @Option(name: .customLong("unique-key"), help: "Refuse a duplicate while a job with this key is pending or running.") var uniqueKey: String?
        @Flag(help: "Print JSON for scripts.") var json = false

        func run(configuration: FilestoreConfiguration) async throws {
            guard count > 0 else { throw ValidationError("--count must be positive") }
            let insert = JobInsert(kind: kind, argsJSON: args, queue: queue, priority: priority, maxAttempts: maxAttempts,
                                   scheduledAt: delay.map { Date().addingTimeInterval($0) }, uniqueKey: uniqueKey)
            do { try insert.validate() } catch let e as JobKitError { throw ValidationError(e.message) }
            if count == 1 {
                let result = try await withJobClient(configuration.database) { try await $0.enqueue(insert) }
                switch result {
                case .inserted(let id): if json { try printJSON(EnqueueOutput(id: id, inserted: true)) } else { print("enqueued job \(id)") }
                case .duplicate(let id): if json { try printJSON(EnqueueOutput(id: id, inserted: false)) } else { print("duplicate of job \(id); nothing enqueued") }
                }
            } else {
                let n = try await withJobClient(configuration.database) { try await $0.enqueueMany(Array(repeating: insert, count: count)) }
                if json { try printJSON(EnqueueManyOutput(inserted: n)) } else { print("enqueued \(n) job(s)") }
            }
        }
    }

    struct Retry: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Run jobs again now (any state but running).")
        @OptionGroup var db: DatabaseOptions
        var flags: [String: String] { db.flags }
        @Argument(help: "Job ids.") var ids: [String]
        @Flag(help: "Print JSON for scripts.") var json = false
        func run(configuration: FilestoreConfiguration) async throws {
            try await runAction("retried", ids, configuration, json: json) { try await $0.retry(ids: $1) }
        }
    }

    struct Cancel: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel queued or running jobs.")
        @OptionGroup var db: DatabaseOptions
        var flags: [String: String] { db.flags }
        @Argument(help: "Job ids.") var ids: [String]
        @Flag(help: "Print JSON for scripts.") var json = false
        func run(configuration: FilestoreConfiguration) async throws {
            try await runAction("cancelled", ids, configuration, json: json) { try await $0.cancel(ids: $1) }
        }
    }

    struct Discard: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Move queued jobs to the dead-letter queue.")
        @OptionGroup var db: DatabaseOptions
        var flags: [String: String] { db.flags }
        @Argument(help: "Job ids.") var ids: [String]
        @Flag(help: "Print JSON for scripts.") var json = false
        func run(configuration: FilestoreConfiguration) async throws {
            try await runAction("discarded", ids, configuration, json: json) { try await $0.discard(ids: $1) }
        }
    }
}

/// Parses the ids, applies `action` and reports which jobs it changed.
private func runAction(_ done: String, _ texts: [String], _ configuration: FilestoreConfiguration, json: Bool,
                       _ action: @escaping @Sendable (JobClient, [Int64]) async throws -> [Int64]) async throws {
    let ids = try parseIDs(texts)
    let changed = try await withJobClient(configuration.database) { try await action($0, ids) }
    if json { try printJSON(JobActionOutput(action: done, ids: changed)); return }
    print("\(done) \(changed.map(String.init).joined(separator: ", "))")
}

struct DLQCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dlq", abstract: "The dead-letter queue: discarded jobs.",
                                                    subcommands: [List.self, Replay.self])

    struct List: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "List discarded jobs.")
        @OptionGroup var db: DatabaseOptions
        var flags: [String: String] { db.flags }
        @Option(help: "Only this queue.") var queue: String?
        @Option(help: "Only this kind.") var kind: String?
        @Option(help: "Discarded since (ISO-8601 or 30m/2h/7d).") var since: String?
        @Option(help: "At most this many.") var limit = 50
        @Flag(help: "Print JSON for scripts.") var json = false
        func run(configuration: FilestoreConfiguration) async throws {
            let since = try self.since.map(parseSince)
            let jobs = try await withJobClient(configuration.database) {
                try await $0.list(.init(states: [.discarded], queue: queue, kind: kind, since: since, limit: limit))
            }
            if json { try printJSON(jobs) } else { print(jobs.isEmpty ? "the dead-letter queue is empty" : jobRows(jobs)) }
        }
    }

    struct Replay: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Run discarded jobs again with fresh attempts.")
        @OptionGroup var db: DatabaseOptions
        var flags: [String: String] { db.flags }
        @Option(help: "Only this queue.") var queue: String?
        @Option(help: "Only this kind.") var kind: String?
        @Option(help: "Discarded since (ISO-8601 or 30m/2h/7d).") var since: String?
        @Option(help: "At most this many.") var limit = 10_000
        @Flag(name: .customLong("dry-run"), help: "Only say what would be replayed.") var dryRun = false
        @Flag(help: "Print JSON for scripts.") var json = false
        func run(configuration: FilestoreConfiguration) async throws {
            let since = try self.since.map(parseSince)
            let ids = try await withJobClient(configuration.database) {
                try await $0.replayDeadLetters(queue: queue, kind: kind, since: since, limit: limit, dryRun: dryRun)
            }
            if json { try printJSON(ReplayOutput(dryRun: dryRun, ids: ids)); return }
            print("\(dryRun ? "would replay" : "replayed") \(ids.count) job(s)\(ids.isEmpty ? "" : ": " + ids.prefix(50).map(String.init).joined(separator: ", "))")
        }
    }
}

struct QueuesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queues", abstract: "List, pause, resume and limit queues.",
                                                    subcommands: [List.self, Pause.self, Resume.self, Limit.self])

    struct List: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Queues with their controls and job counts.")
        @OptionGroup var db: DatabaseOptions
        var flags: [String: String] { db.flags }
        @Flag(help: "Print JSON for scripts.") var json = false
        func run(configuration: FilestoreConfiguration) async throws {
            let queues = try await withJobClient(configuration.database) { try await $0.queues() }
            if json { try printJSON(queues); return }
            let states: [JobState] = [.available, .scheduled, .running, .retryable, .completed, .cancelled, .discarded]
            let header = ["QUEUE", "PAUSED", "LIMIT"] + states.map { $0.rawValue.uppercased() } + ["OLDEST AVAILABLE"]
            var rows: [[String]] = []
            for q in queues {
                var row: [String] = [q.name, q.paused ? "yes" : "no", q.globalLimit.map(String.init) ?? "-"]
                for s in states { row.append(String(q.counts[s.rawValue] ?? 0)) }
                row.append(q.oldestAvailableAgeSeconds.map { String(format: "%.1fs", $0) } ?? "-")
                rows.append(row)
            }
            print(renderTable(header, rows))
        }
    }

    struct Pause: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Stop every worker fetching from a queue.")
        @OptionGroup var db: DatabaseOptions
        var flags: [String: String] { db.flags }
        @Argument var queue: String
        @Flag(help: "Print JSON for scripts.") var json = false
        func run(configuration: FilestoreConfiguration) async throws {
            try await withJobClient(configuration.database) { try await $0.setPaused(true, queue: queue) }
            if json { try printJSON(QueuePausedOutput(queue: queue, paused: true)) } else { print("paused \(queue)") }
        }
    }

    struct Resume: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a paused queue.")
        @OptionGroup var db: DatabaseOptions
        var flags: [String: String] { db.flags }
        @Argument var queue: String
        @Flag(help: "Print JSON for scripts.") var json = false
        func run(configuration: FilestoreConfiguration) async throws {
            try await withJobClient(configuration.database) { try await $0.setPaused(false, queue: queue) }
            if json { try printJSON(QueuePausedOutput(queue: queue, paused: false)) } else { print("resumed \(queue)") }
        }
    }

    struct Limit: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Limit how many of a queue's jobs run at once across all workers.")
        @OptionGroup var db: DatabaseOptions
        var flags: [String: String] { db.flags }
        @Argument var queue: String
        @Argument(help: "The limit, or `none` to remove it.") var limit: String
        @Flag(help: "Print JSON for scripts.") var json = false
        func run(configuration: FilestoreConfiguration) async throws {
            let value: Int?
            if limit == "none" { value = nil } else {
                guard let n = Int(limit), n >= 0 else { throw ValidationError("limit must be a non-negative integer or 'none'") }
                value = n
            }
            try await withJobClient(configuration.database) { try await $0.setGlobalLimit(value, queue: queue) }
            if json { try printJSON(QueueLimitOutput(queue: queue, globalLimit: value)); return }
            print(value.map { "queue \(queue) limited to \($0) running jobs" } ?? "queue \(queue) unlimited")
        }
    }
}
