import Foundation
import JobKit
import PostgresNIO
@testable import Readiness
import Storage
import TestSupport
import Testing

/// The readiness checks on a real deployment (`filestore dev` on a fresh database): a healthy one passes every
/// automatic row (or says why a row does not apply here); breaking one row makes exactly that row fail with its
/// evidence, lowers the recorded level, opens one finding and emits one `readiness.degraded.v1`; fixing it closes
/// the finding with `readiness.restored.v1`.
@Suite(.serialized) struct ReadinessRevalidationTests {
    @Test func deadLettersOverTheThresholdFailF4AndAPausedRevalidationScheduleFailsSection17() async throws {
        try await ReadinessDeployment.with { d in
            // Three dead letters on a queue nobody works (`parked`), against a threshold of 2.
            var ids: [Int64] = []
            for _ in 0..<3 { ids.append(try await d.env.client.enqueue(Noop(), options: InsertOptions(queue: "parked")).id) }
            #expect(try await d.env.client.discard(ids: ids).count == 3)
            try await d.env.postgres.query("UPDATE scheduler.schedules SET paused = true WHERE name = 'readiness-revalidate'", logger: TestDatabase.logger)
            var environment = d.environment()
            environment.configuration.deadLetterMaxJobs = 2
            let report = await ReadinessEvaluator(environment: environment).evaluate()
            #expect(report.rows.filter { $0.status == .fail }.map(\.id) == ["F4", "§17"], "\(describe(report))")
            let f4 = try #require(report.rows.first { $0.id == "F4" })
            #expect(f4.evidence.contains { $0.contains("parked: 3 dead letters > 2") }, "\(f4.evidence)")
            let s17 = try #require(report.rows.first { $0.id == "§17" })
            #expect(s17.evidence.contains { $0.contains("readiness-revalidate is paused") }, "\(s17.evidence)")
            #expect(report.level == .l1)
        }
    }

    func describe(_ report: ReadinessReport) -> String {
        report.rows.filter { $0.status == .fail }.map { "\($0.id): \($0.evidence.joined(separator: " | "))" }.joined(separator: "\n")
    }

    @Test func aHealthyDeploymentPassesEveryAutomaticRow() async throws {
        try await ReadinessDeployment.with { d in
            let report = await d.evaluate()
            let failing = report.rows.filter { $0.status == .fail }
            #expect(failing.isEmpty, "failing rows:\n\(describe(report))\nserver log:\n\(d.serverLog())")
            // Only DA5 may not apply here (the test cluster archives no WAL), and it says why.
            let notApplicable = report.rows.filter { $0.status == .notApplicable }
            #expect(notApplicable.map(\.id) == ["DA5"], "\(notApplicable.map { "\($0.id): \($0.evidence)" })")
            #expect(notApplicable.first?.evidence.joined().contains("archive_mode=off") == true)
            // The machine's level: L3 (L4 needs WAL archiving: DA5 must pass).
            #expect(report.level == .l3)
            #expect(report.blockers == ["DA5 must pass for L4, not only not apply"])
            // Every automatic row carries evidence naming what it asked.
            let automatic = Set(Checklist.rows.filter { if case .automatic = $0.evaluation { true } else { false } }.map(\.id))
            #expect(automatic.count >= 25)
            for row in report.rows where automatic.contains(row.id) { #expect(!row.evidence.isEmpty, "\(row.id)") }
            let byID = Dictionary(uniqueKeysWithValues: report.rows.map { ($0.id, $0) })
            #expect(byID["DA2"]?.evidence.contains { $0.contains("jobkit.jobs: exempt by design") } == true, "\(byID["DA2"]?.evidence ?? [])")
            #expect(byID["DA2"]?.evidence.contains { $0.contains("public.files") } == true)
            #expect(byID["O1"]?.evidence.contains { $0.contains("GET http://127.0.0.1:\(d.port)/readyz (dev) → 200") } == true, "\(byID["O1"]?.evidence ?? [])")
            #expect(byID["S5"]?.evidence.contains { $0.contains("refused: MELMASTOON.FILE.NOT_SERVABLE") } == true, "\(byID["S5"]?.evidence ?? [])")
            // …and over HTTP, on the running API, with a token.
            #expect(byID["S5"]?.evidence.contains { $0.contains("/content (dev) → 409") && $0.contains("NOT_SERVABLE") } == true, "\(byID["S5"]?.evidence ?? [])")
            #expect(byID["DA4"]?.evidence.contains { $0.contains("Index") } == true)
            #expect(byID["S1"]?.evidence.first?.contains("exit 0") == true, "\(byID["S1"]?.evidence ?? [])")
            #expect(byID["A2"]?.status == .manual && byID["A2"]?.evidence.first?.contains("coverage") == true)

            // Recorded: a run with every row, no finding, no event.
            let (_, recorded) = try await d.revalidate()
            #expect(recorded.opened.isEmpty && recorded.closed.isEmpty)
            #expect(try await d.openFindings().isEmpty)
            #expect(try await d.events("readiness.degraded.v1").isEmpty)
            let rows = try await d.app.withConnection { try await ReadinessRepository(logger: TestDatabase.logger).rows(run: recorded.runID, on: $0) }
            #expect(rows.count == Checklist.rows.count)

            // The quarterly built-in schedule, declared by dev's scheduler leader.
            let schedule = try await d.env.postgres.query("""
                SELECT cron, kind, queue, builtin, paused, to_char(next_fire_at AT TIME ZONE 'UTC', 'DD HH24:MI'),
                       extract(month FROM next_fire_at AT TIME ZONE 'UTC')::int8 FROM scheduler.schedules WHERE name = 'readiness-revalidate'
                """, logger: TestDatabase.logger)
            var found = 0
            for try await (cron, kind, queue, builtin, paused, at, month) in schedule.decode((String, String, String, Bool, Bool, String, Int64).self) {
                found += 1
                #expect(cron == "0 3 1 1,4,7,10 *" && kind == "readiness.revalidate" && queue == "maintenance" && builtin && !paused)
                #expect(at == "01 03:00" && [1, 4, 7, 10].contains(month), "next fire \(at) month \(month)")
            }
            #expect(found == 1)

            // The process registered its ops URL; a graceful stop removes the row.
            let url = try await d.env.scalar("SELECT ops_url FROM readiness.processes WHERE command = 'dev'", as: String.self)
            #expect(url == "http://127.0.0.1:\(d.port)")
            kill(d.pid, SIGTERM)
            try await eventually("dev unregistered on SIGTERM", timeout: .seconds(60)) {
                try await d.env.scalar("SELECT count(*)::int8 FROM readiness.processes", as: Int64.self) == 0
            }
        }
    }

    /// Breaks one row with `breakIt`, revalidates, checks the failure, the finding and the event; repairs it with
    /// `fix`, revalidates again and checks the finding closed with one restored event.
    func breakAndFix(_ d: ReadinessDeployment, row: String, evidence: String, levelAtMost: ReadinessLevel,
                     break breakIt: () async throws -> Void, fix: () async throws -> Void) async throws {
        let (healthy, first) = try await d.revalidate()
        #expect(healthy.rows.filter { $0.status == .fail }.isEmpty, "before breaking \(row):\n\(describe(healthy))")
        try await breakIt()
        let (broken, second) = try await d.revalidate()
        let failing = broken.rows.filter { $0.status == .fail }
        #expect(failing.map(\.id) == [row], "only \(row) fails:\n\(describe(broken))")
        #expect(failing.first?.evidence.contains { $0.contains(evidence) } == true, "\(row) evidence: \(failing.first?.evidence ?? [])")
        #expect(broken.level < healthy.level && broken.level <= levelAtMost, "level \(healthy.level) → \(broken.level)")
        #expect(second.level == broken.level && second.previousLevel == first.level)
        #expect(second.opened == [row])
        #expect(try await d.openFindings() == [row])
        #expect(try await d.events("readiness.degraded.v1") == [row])
        // Still broken at the next run: the same finding, no second event.
        let (_, third) = try await d.revalidate()
        #expect(third.opened.isEmpty && third.stillFailing == [row])
        #expect(try await d.openFindings() == [row])
        #expect(try await d.events("readiness.degraded.v1") == [row])
        let lastSeen = try await d.app.withConnection {
            try await ReadinessRepository(logger: TestDatabase.logger).findings(openOnly: true, limit: 10, on: $0).first?.lastSeenRunID
        }
        #expect(lastSeen == third.runID)
        // Fixed: the finding is closed by the next run, with one restored event; the level is back.
        try await fix()
        let (fixed, fourth) = try await d.revalidate()
        #expect(fixed.rows.filter { $0.status == .fail }.isEmpty, "after fixing \(row):\n\(describe(fixed))")
        #expect(fourth.closed == [row] && fourth.level == healthy.level)
        #expect(try await d.openFindings().isEmpty)
        #expect(try await d.events("readiness.restored.v1") == [row])
        // Both events validate against their committed schemas.
        #expect(try await d.schemaProblems("readiness.degraded.v1").isEmpty)
        #expect(try await d.schemaProblems("readiness.restored.v1").isEmpty)
        let all = try await d.app.withConnection { try await ReadinessRepository(logger: TestDatabase.logger).findings(openOnly: false, limit: 10, on: $0) }
        #expect(all.count == 1 && all.first?.closedRunID == fourth.runID && all.first?.openedRunID == second.runID)
    }

    @Test func rowLevelSecurityNotForcedFailsDA2() async throws {
        try await ReadinessDeployment.with { d in
            try await breakAndFix(d, row: "DA2", evidence: "public.files (tenant_id column): RLS not forced", levelAtMost: .l0,
                                  break: { try await d.env.postgres.query("ALTER TABLE files NO FORCE ROW LEVEL SECURITY", logger: TestDatabase.logger) },
                                  fix: { try await d.env.postgres.query("ALTER TABLE files FORCE ROW LEVEL SECURITY", logger: TestDatabase.logger) })
        }
    }

    @Test func aRemovedRunbookFailsDC3() async throws {
        try await ReadinessDeployment.with { d in
            let book = d.repo.appendingPathComponent("runbooks/database.md")
            let saved = try Data(contentsOf: book)
            try await breakAndFix(d, row: "DC3", evidence: "runbooks/database.md: linked by", levelAtMost: .l1,
                                  break: { try FileManager.default.removeItem(at: book) },
                                  fix: { try saved.write(to: book) })
        }
    }

    @Test func aStaleSignatureFolderFailsS5() async throws {
        try await ReadinessDeployment.with { d in
            let db = d.signatures.appendingPathComponent("readiness.hdb")
            try await breakAndFix(d, row: "S5", evidence: "signatures are stale", levelAtMost: .l0,
                                  break: { try ReadinessDeployment.age(db, by: 2 * 86_400) },
                                  fix: { try ReadinessDeployment.age(db, by: 0) })
        }
    }

    @Test func aPausedRelayQueueFailsE1() async throws {
        try await ReadinessDeployment.with { d in
            try await breakAndFix(d, row: "E1", evidence: "the relay's queue 'webhooks' is paused", levelAtMost: .l1,
                                  break: { try await d.env.client.setPaused(true, queue: "webhooks") },
                                  fix: { try await d.env.client.setPaused(false, queue: "webhooks") })
        }
    }

    @Test func signingKeysOlderThanTheRotationPeriodFailS4AndAStaleProcessIsNamedNotProbed() async throws {
        try await ReadinessDeployment.with { d in
            try ReadinessDeployment.age(d.keyFile, by: 91 * 86_400)
            try await d.env.postgres.query("""
                INSERT INTO readiness.processes (instance_id, command, host, pid, ops_url, version, heartbeat_at)
                VALUES ('work-gone-1', 'work', 'gone', 1, 'http://127.0.0.1:1', 'x', now() - interval '10 minutes')
                """, logger: TestDatabase.logger)
            let report = await d.evaluate()
            #expect(report.rows.filter { $0.status == .fail }.map(\.id) == ["S4"], "\(describe(report))")
            let o1 = try #require(report.rows.first { $0.id == "O1" })
            #expect(o1.status == RowStatus.pass, "\(o1)")
            #expect(o1.evidence.contains { $0.contains("stale, not probed: work work-gone-1") }, "\(o1.evidence)")
        }
    }
}
