import ArgumentParser
import FilestoreConfig
import Foundation
import JobKit
import PostgresNIO
import Readiness
import Storage

/// `filestore readiness …`: the checklist (`SERVICE_READINESS.txt`) evaluated against the live deployment and the
/// repository (docs/READINESS.md). Alone it evaluates and prints without recording; `run` enqueues the recorded
/// revalidation; `history` and `findings` show what was recorded.
struct ReadinessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "readiness", abstract: "Evaluate the readiness checklist against this deployment; enqueue, list and inspect recorded revalidations.",
        subcommands: [Check.self, Run.self, History.self, Findings.self], defaultSubcommand: Check.self)

    /// Exit status of `readiness --require` below the required level.
    static let belowRequired: Int32 = 2

    struct Check: ConfiguredCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Evaluate every row and print id, title, status and evidence, then the level reached (exit 2 below --require).")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "The repository whose docs, runbooks, events, alert rules and dashboards are read ($FILESTORE_READINESS_REPO, default .).")
        var repo: String?
        @Option(help: "Exit 2 unless this level (L0-L4) is reached.") var require: String?
        @Flag(help: "Print JSON for scripts.") var json = false

        var flags: [String: String] { db.flags.adding(["FILESTORE_READINESS_REPO": repo].compactMapValues { $0 }) }

        func validate() throws {
            if let require, ReadinessLevel(parsing: require) == nil { throw ValidationError("--require takes a level L0-L4, got '\(require)'") }
        }

        func run(configuration: FilestoreConfiguration) async throws {
            let required = require.flatMap(ReadinessLevel.init(parsing:))
            let blobs = try makeBlobStore(configuration.blobs)
            let report = try await withJobClient(configuration.database) { client in
                try await withSystemDatabase(configuration) { system in
                    await ReadinessEvaluator(environment: ReadinessParts.environment(configuration, postgres: client.postgres, system: system,
                                                                                     blobs: blobs)).evaluate()
                }
            }
            if json {
                try printJSON(ReportOutput(report, required: required))
            } else {
                print(render(report, required: required))
            }
            if let required, report.level < required { throw ExitCode(ReadinessCommand.belowRequired) }
        }
    }

    struct Run: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Enqueue a recorded revalidation (the readiness.revalidate job, on queue maintenance).")
        @OptionGroup var db: DatabaseOptions
        @Flag(help: "Print JSON for scripts.") var json = false
        var flags: [String: String] { db.flags }

        func run(configuration: FilestoreConfiguration) async throws {
            let result = try await withJobClient(configuration.database) { try await $0.enqueue(ReadinessRevalidate()) }
            if json { try printJSON(EnqueueOutput(id: result.id, inserted: result == .inserted(result.id))); return }
            print("enqueued readiness.revalidate job \(result.id) on queue \(ReadinessRevalidate.defaultQueue); `filestore readiness history` shows its run")
        }
    }

    struct History: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Recorded revalidations, newest first.")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "At most this many runs.") var limit = 20
        @Flag(help: "Print JSON for scripts (with each run's rows).") var json = false
        var flags: [String: String] { db.flags }

        func run(configuration: FilestoreConfiguration) async throws {
            guard (1...1000).contains(limit) else { throw ValidationError("--limit is 1-1000") }
            let (limit, json) = (limit, json)
            let runs = try await withJobClient(configuration.database) { client in
                try await client.postgres.withConnection { c in
                    let repository = ReadinessRepository(logger: client.logger)
                    var out: [RunOutput] = []
                    for run in try await repository.runs(limit: limit, on: c) {
                        out.append(RunOutput(run, rows: json ? try await repository.rows(run: run.id, on: c).map(RecordedRow.init) : nil))
                    }
                    return out
                }
            }
            if json { try printJSON(runs); return }
            print(runs.isEmpty ? "no recorded revalidation (`filestore readiness run` enqueues one)" : renderTable(
                ["RUN", "FINISHED", "LEVEL", "PASS", "FAIL", "MANUAL", "N/A", "TRIGGER", "JOB"],
                runs.map { [String($0.id), shortTime($0.finishedAt), $0.level, String($0.passed), String($0.failed), String($0.manual),
                            String($0.notApplicable), $0.trigger, $0.jobId.map(String.init) ?? "-"] }))
        }
    }

    struct Findings: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Findings opened by failing rows (open ones; --all for closed too).")
        @OptionGroup var db: DatabaseOptions
        @Flag(help: "Closed findings too.") var all = false
        @Flag(help: "Print JSON for scripts.") var json = false
        var flags: [String: String] { db.flags }

        func run(configuration: FilestoreConfiguration) async throws {
            let openOnly = !all
            let found = try await withJobClient(configuration.database) { client in
                try await client.postgres.withConnection { c in
                    try await ReadinessRepository(logger: client.logger).findings(openOnly: openOnly, limit: 1000, on: c).map(FindingOutput.init)
                }
            }
            if json { try printJSON(found); return }
            guard !found.isEmpty else { print(openOnly ? "no open findings" : "no findings"); return }
            for f in found {
                print("\(f.id)  \(f.rowId)  \(f.closedAt == nil ? "open" : "closed \(shortTime(f.closedAt))")  opened \(shortTime(f.openedAt)) (run \(f.openedRunId)), last seen run \(f.lastSeenRunId)  \(f.title)")
                for line in f.evidence.prefix(8) { print("    \(line)") }
            }
        }
    }
}

/// Runs `body` with the system role's path (`filestore_system`), or `nil` when it cannot connect: the rows that
/// need it say so rather than the whole evaluation failing.
func withSystemDatabase<T: Sendable>(_ configuration: FilestoreConfiguration, _ body: @Sendable (SystemDatabase?) async throws -> T) async throws -> T {
    var background = makeLogger("filestore.postgres.system")
    background.logLevel = .error
    let postgres = PostgresClient(configuration: configuration.database.system.clientConfiguration, backgroundLogger: background)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await postgres.run() }
        defer { group.cancelAll() }
        return try await body(SystemDatabase(postgres: postgres, logger: makeLogger("filestore.system")))
    }
}

/// The text report: one block per row, then the level.
func render(_ report: ReadinessReport, required: ReadinessLevel?) -> String {
    var lines: [String] = []
    for row in report.rows {
        lines.append("\(row.id.padding(toLength: 4, withPad: " ", startingAt: 0))  \(row.status.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0))  \(row.title)  [\(row.level)+]")
        if row.status != .manual || row.evidence.count > 1 {
            for e in row.evidence { lines.append("        \(e)") }
        } else if let e = row.evidence.first { lines.append("        \(e)") }
    }
    lines.append("")
    lines.append("rows: \(report.count(.pass)) pass, \(report.count(.fail)) fail, \(report.count(.manual)) manual, \(report.count(.notApplicable)) not applicable")
    lines.append("level reached: \(report.level) (\(report.level.audience))")
    if !report.blockers.isEmpty { lines.append("next level blocked by: \(report.blockers.joined(separator: "; "))") }
    if let required { lines.append(report.level >= required ? "required \(required): met" : "required \(required): NOT met") }
    return lines.joined(separator: "\n")
}

/// `readiness --json`.
struct ReportOutput: Encodable {
    var level: ReadinessLevel
    var required: ReadinessLevel?
    var meetsRequired: Bool?
    var startedAt: Date
    var finishedAt: Date
    var counts: [String: Int]
    var blockers: [String]
    var rows: [RowResult]

    init(_ r: ReadinessReport, required: ReadinessLevel?) {
        level = r.level
        self.required = required
        meetsRequired = required.map { r.level >= $0 }
        startedAt = r.startedAt
        finishedAt = r.finishedAt
        counts = Dictionary(uniqueKeysWithValues: RowStatus.allCases.map { ($0.rawValue, r.count($0)) })
        blockers = r.blockers
        rows = r.rows
    }
}

/// A recorded row in `history --json`.
struct RecordedRow: Encodable {
    var id: String, title: String, status: String, level: String, evidence: [String]
    init(_ r: ReadinessRepository.RowRecord) {
        id = r.rowID
        title = r.title
        status = r.status
        level = "L\(r.level)"
        evidence = (try? JSONDecoder().decode([String].self, from: Data(r.evidenceJSON.utf8))) ?? []
    }
}

/// A run in `history`.
struct RunOutput: Encodable {
    var id: Int64, startedAt: Date, finishedAt: Date, level: String, passed: Int, failed: Int, manual: Int, notApplicable: Int
    var trigger: String, jobId: Int64?
    var rows: [RecordedRow]?

    init(_ r: ReadinessRepository.RunRecord, rows: [RecordedRow]?) {
        id = r.id
        startedAt = r.startedAt
        finishedAt = r.finishedAt
        level = "L\(r.level)"
        passed = r.passed
        failed = r.failed
        manual = r.manual
        notApplicable = r.notApplicable
        trigger = r.trigger
        jobId = r.jobID
        self.rows = rows
    }
}

/// A finding in `findings`.
struct FindingOutput: Encodable {
    var id: Int64, rowId: String, title: String, openedAt: Date, openedRunId: Int64, lastSeenRunId: Int64, evidence: [String]
    var closedAt: Date?, closedRunId: Int64?

    init(_ f: ReadinessRepository.FindingRecord) {
        id = f.id
        rowId = f.rowID
        title = f.title
        openedAt = f.openedAt
        openedRunId = f.openedRunID
        lastSeenRunId = f.lastSeenRunID
        evidence = (try? JSONDecoder().decode([String].self, from: Data(f.evidenceJSON.utf8))) ?? []
        closedAt = f.closedAt
        closedRunId = f.closedRunID
    }
}
