import ArgumentParser
import FilestoreConfig
import Foundation
import JobKit
import PostgresNIO
import Scheduler

/// `filestore schedules …`: the operator's schedules, changed at run time (the running scheduler sees a change
/// at its next tick, within `FILESTORE_SCHEDULER_TICK_MS`), and the run ledger.
struct SchedulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedules", abstract: "List, add, change, pause, resume and trigger cron schedules; show their run ledger.",
        subcommands: [List.self, Show.self, Add.self, Update.self, Remove.self, Pause.self, Resume.self, Trigger.self])

    /// The fields of `add` and `update`.
    struct DefinitionOptions: ParsableArguments {
        @Argument(help: "The schedule's name (a-z 0-9 _ . : -).") var name: String
        @Option(help: "Cron expression: 5 fields, or 6 with leading seconds; @hourly … @yearly; @every 30s.") var cron: String
        @Option(help: "Job kind to enqueue.") var kind: String
        @Option(help: "Job args, a JSON object.") var args = "{}"
        @Option(help: "Queue of the jobs.") var queue = "default"
        @Option(help: "IANA time zone of the expression.") var tz = "UTC"
        @Option(help: "Missed fire times: skip, once or all:N.") var misfire = "skip"
        @Option(help: "While the previous run is queued or running: allow, skip or cancel.") var overlap = "allow"
        @Option(help: "Priority 0 (first) … 9.") var priority = 0
        @Option(name: .customLong("max-attempts"), help: "Attempts before a job is discarded.") var maxAttempts = 20

        func definition() throws -> ScheduleDefinition {
            do {
                let d = ScheduleDefinition(name: name, cron: cron, timeZone: tz, kind: kind, argsJSON: args, queue: queue, priority: priority,
                                           maxAttempts: maxAttempts, misfire: try MisfirePolicy(parsing: misfire),
                                           overlap: try OverlapPolicy(parsing: overlap))
                try d.validate(knownKinds: SchedulerParts.knownKinds)
                return d
            } catch let e as CronError { throw ValidationError(e.message) }
        }
    }

    struct List: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "List schedules: last fire and its job's state, next fire.")
        @OptionGroup var db: DatabaseOptions
        var flags: [String: String] { db.flags }
        @Flag(help: "Print JSON for scripts.") var json = false

        func run(configuration: FilestoreConfiguration) async throws {
            let all = try await withStore(configuration) { try await $0.list() }
            if json { try printJSON(all); return }
            print(all.isEmpty ? "no schedules" : renderTable(
                ["NAME", "CRON", "TZ", "KIND", "QUEUE", "STATE", "LAST FIRE", "LAST JOB", "NEXT FIRE"],
                all.map { s in
                    [s.name, s.cron, s.timeZone, s.kind, s.queue, s.paused ? "paused" : (s.builtin ? "builtin" : "active"),
                     shortTime(s.lastFireAt), s.lastJobID.map { "\($0) \(s.lastJobState ?? "pruned")" } ?? "-", shortTime(s.nextFireAt)]
                }))
        }
    }

    struct Show: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Show one schedule and its recent ledger (planned fire times and outcomes).")
        @OptionGroup var db: DatabaseOptions
        var flags: [String: String] { db.flags }
        @Argument(help: "The schedule's name.") var name: String
        @Option(help: "Ledger rows to show.") var limit = 20
        @Flag(help: "Print JSON for scripts.") var json = false

        struct Output: Encodable {
            var schedule: ScheduleRecord
            var ledger: [LedgerEntry]
        }

        func run(configuration: FilestoreConfiguration) async throws {
            guard limit > 0 else { throw ValidationError("--limit must be positive") }
            let (schedule, ledger) = try await withStore(configuration) { store in
                guard let s = try await store.schedule(named: name) else { throw CLIError("no schedule named '\(name)'") }
                return (s, try await store.ledger(schedule: name, limit: limit))
            }
            if json { try printJSON(Output(schedule: schedule, ledger: ledger)); return }
            let fields: [(String, String)] = [
                ("name", schedule.name), ("cron", schedule.cron), ("time zone", schedule.timeZone), ("kind", schedule.kind),
                ("args", schedule.args), ("queue", schedule.queue), ("misfire", schedule.misfire), ("overlap", schedule.overlap),
                ("paused", String(schedule.paused)), ("built in", String(schedule.builtin)), ("next fire", shortTime(schedule.nextFireAt)),
                ("last fire", shortTime(schedule.lastFireAt)), ("last success", shortTime(schedule.lastSuccessAt)),
            ]
            for (k, v) in fields { print("\(k.padding(toLength: 13, withPad: " ", startingAt: 0)) \(v)") }
            print("ledger (latest \(ledger.count)):")
            print(renderTable(["FIRE TIME", "OUTCOME", "REASON", "JOB", "JOB STATE"], ledger.map { e in
                [shortTime(e.fireTime), e.outcome, e.reason ?? "-", e.jobID.map(String.init) ?? "-", e.jobState ?? "-"]
            }))
        }
    }

    struct Add: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Add an operator schedule (effective at the scheduler's next tick).")
        @OptionGroup var db: DatabaseOptions
        var flags: [String: String] { db.flags }
        @OptionGroup var definition: DefinitionOptions
        @Flag(help: "Print JSON for scripts.") var json = false

        func run(configuration: FilestoreConfiguration) async throws {
            let d = try definition.definition()
            let added = try await withStore(configuration) { store in
                try await store.add(d, knownKinds: SchedulerParts.knownKinds)
                return try await store.schedule(named: d.name)
            }
            if json { try printJSON(added) } else { print("added schedule \(d.name); next fire \(shortTime(added?.nextFireAt))") }
        }
    }

    struct Update: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Replace an operator schedule's definition (its next fire time is recomputed).")
        @OptionGroup var db: DatabaseOptions
        var flags: [String: String] { db.flags }
        @OptionGroup var definition: DefinitionOptions
        @Flag(help: "Print JSON for scripts.") var json = false

        func run(configuration: FilestoreConfiguration) async throws {
            let d = try definition.definition()
            let updated = try await withStore(configuration) { store in
                guard let existing = try await store.schedule(named: d.name) else { throw CLIError("no schedule named '\(d.name)'") }
                if existing.builtin { throw CLIError("'\(d.name)' is a built-in schedule declared in code: it cannot be changed, only paused") }
                try await store.update(d, knownKinds: SchedulerParts.knownKinds)
                return try await store.schedule(named: d.name)
            }
            if json { try printJSON(updated) } else { print("updated schedule \(d.name); next fire \(shortTime(updated?.nextFireAt))") }
        }
    }

    /// What `remove`, `pause`, `resume` and `trigger` take: the database, a schedule's name, `--json`.
    struct Target: ParsableArguments {
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "The schedule's name.") var name: String
        @Flag(help: "Print JSON for scripts.") var json = false

        /// Runs `change` on the store, then says `verb` (`removed`, `paused`, …) as text or JSON.
        func act(_ verb: String, _ configuration: FilestoreConfiguration,
                 _ change: @Sendable (ScheduleStore, String) async throws -> Void) async throws {
            let name = name
            try await withStore(configuration) { try await change($0, name) }
            if json { try printJSON(ScheduleActionOutput(action: verb, schedule: name)) } else { print("\(verb) schedule \(name)") }
        }
    }

    struct Remove: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an operator schedule and its ledger.")
        @OptionGroup var target: Target
        var flags: [String: String] { target.db.flags }

        func run(configuration: FilestoreConfiguration) async throws {
            try await target.act("removed", configuration) { try await $0.remove(name: $1) }
        }
    }

    struct Pause: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Pause a schedule: its fire times are recorded as skipped (paused).")
        @OptionGroup var target: Target
        var flags: [String: String] { target.db.flags }

        func run(configuration: FilestoreConfiguration) async throws {
            try await target.act("paused", configuration) { try await $0.setPaused(true, name: $1) }
        }
    }

    struct Resume: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a paused schedule.")
        @OptionGroup var target: Target
        var flags: [String: String] { target.db.flags }

        func run(configuration: FilestoreConfiguration) async throws {
            try await target.act("resumed", configuration) { try await $0.setPaused(false, name: $1) }
        }
    }

    struct Trigger: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Enqueue one run of a schedule now (ledger reason: trigger).")
        @OptionGroup var target: Target
        var flags: [String: String] { target.db.flags }

        func run(configuration: FilestoreConfiguration) async throws {
            let name = target.name
            let id = try await withStore(configuration) { try await $0.trigger(name: name) }
            if target.json { try printJSON(ScheduleTriggerOutput(schedule: name, jobID: id)) } else { print("enqueued job \(id) for schedule \(name)") }
        }
    }
}

/// `schedules remove|pause|resume --json`.
struct ScheduleActionOutput: Encodable {
    var action: String
    var schedule: String
}

/// `schedules trigger --json`.
struct ScheduleTriggerOutput: Encodable {
    var schedule: String
    var jobID: Int64
}

/// Runs `body` with the scheduler's store on the service pool; a refused change (``CronError``) is one line for
/// the operator and exit 1.
func withStore<T: Sendable>(_ configuration: FilestoreConfiguration, _ body: @Sendable (ScheduleStore) async throws -> T) async throws -> T {
    try await withJobClient(configuration.database) { client in
        do {
            return try await body(ScheduleStore(postgres: client.postgres, logger: makeLogger("filestore.cli")))
        } catch let e as CronError {
            throw CLIError(e.message)
        }
    }
}
