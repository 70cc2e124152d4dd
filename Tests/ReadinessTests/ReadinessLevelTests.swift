@testable import Readiness
import Testing

/// How rows decide the level (§1), without a database.
@Suite struct ReadinessLevelTests {
    func row(_ id: String, _ level: ReadinessLevel, _ status: RowStatus) -> RowResult {
        RowResult(id: id, title: id, section: "s", level: level, status: status, evidence: [])
    }

    @Test func theLevelIsTheHighestWhoseRowsAllPassOrDoNotApply() {
        let rows = [row("DA2", .l1, .pass), row("O6", .l2, .pass), row("O5", .l3, .pass), row("DA5", .l2, .notApplicable), row("A2", .l2, .manual)]
        #expect(ReadinessLevels.reached(rows).level == .l3)
        #expect(ReadinessLevels.reached(rows).blockers == ["DA5 must pass for L4, not only not apply"])
        var withBackups = rows
        withBackups[3].status = .pass
        #expect(ReadinessLevels.reached(withBackups).level == .l4)
        var broken = rows
        broken[1].status = .fail
        #expect(ReadinessLevels.reached(broken) == (.l1, ["O6 fails"]))
        broken[0].status = .fail
        #expect(ReadinessLevels.reached(broken).level == .l0)
    }

    @Test func levelsParseAndEncodeAsTheChecklistWritesThem() {
        #expect(ReadinessLevel(parsing: "L2") == .l2)
        #expect(ReadinessLevel(parsing: "l3") == .l3)
        #expect(ReadinessLevel(parsing: "4") == .l4)
        #expect(ReadinessLevel(parsing: "L5") == nil)
        #expect(ReadinessLevel(parsing: "x") == nil)
        #expect(ReadinessLevel.l2.description == "L2")
    }

    @Test func combiningChecksFailsOnAnyFailure() {
        #expect(CheckOutcome.combined([.pass("a"), .fail("b")]).status == .fail)
        #expect(CheckOutcome.combined([.pass("a"), .notApplicable("b")]).status == .pass)
        #expect(CheckOutcome.combined([.notApplicable("a")]).status == .notApplicable)
        #expect(CheckOutcome.combined([.pass("a"), .fail("b")]).evidence == ["a", "b"])
    }

    @Test func everyChecklistRowIdIsUniqueAndFitsTheRecordedForm() throws {
        let ids = Checklist.rows.map(\.id)
        #expect(Set(ids).count == ids.count)
        let form = try Regex(#"^(§[0-9]{1,2}|[A-Z]{1,2}[0-9]{1,2})$"#)
        for id in ids { #expect(id.wholeMatch(of: form) != nil, "\(id)") }
        // Every section of the checklist (§2–§13) and §16, §17.
        for prefix in ["D1", "A1", "E1", "DA1", "S1", "O1", "F1", "SY1", "T1", "DE1", "CO1", "DC1", "§16", "§17"] { #expect(ids.contains(prefix)) }
    }

    @Test func dashboardExpressionsNameMetricsNotLabels() {
        let known: Set<String> = ["http_server_requests_total", "jobkit_job_duration_seconds", "jobkit_dlq_size"]
        let names = RepositoryChecks.metricNames(
            in: #"sum by (http_route) (rate(http_server_requests_total{http_response_status_code=~"5.."}[5m])) / histogram_quantile(0.99, sum by (le) (rate(jobkit_job_duration_seconds_bucket[5m]))) + jobkit_dlq_sizes"#,
            known: known)
        #expect(names == ["http_server_requests_total", "jobkit_job_duration_seconds", "jobkit_dlq_sizes"])
    }
}
