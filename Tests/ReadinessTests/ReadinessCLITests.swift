import AsyncHTTPClient
import Foundation
import NIOCore
import JobKit
import TestSupport
import Testing

/// One GET's body, through the same HTTP client the probes use.
enum ProbeText {
    static func get(_ url: String) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        return String(buffer: try await response.body.collect(upTo: 4 << 20))
    }
}

/// `filestore readiness` as the operator runs it, against a running `dev` deployment: exit codes around
/// `--require`, the `--json` shape, and `run` → the job records a run that `history` and `findings` show.
@Suite(.serialized) struct ReadinessCLITests {
    func cli(_ d: ReadinessDeployment, _ args: [String]) async throws -> FilestoreBinary.Result {
        try await FilestoreBinary.run(["readiness"] + args, environment: FilestoreBinary.environment(d.env.config, [
            "FILESTORE_CLAMAV_DB": d.signatures.path, "FILESTORE_URL_KEYS_FILE": d.keyFile.path, "PATH": ReadinessDeployment.toolPath,
        ]), timeout: .seconds(180))
    }

    func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text.prefix(300))")
    }

    @Test func exitCodesFollowTheRequiredLevelAndTheJSONIsStable() async throws {
        try await ReadinessDeployment.with { d in
            let text = try await cli(d, ["--repo", d.repo.path])
            #expect(text.status == 0, "\(text.stderr)\n\(text.stdout.suffix(3000))")
            #expect(text.stdout.contains("DA2   pass") && text.stdout.contains("level reached: L3"), "\(text.stdout.suffix(3000))")

            let json = try await cli(d, ["--repo", d.repo.path, "--json", "--require", "L3"])
            #expect(json.status == 0, "\(json.stderr)")
            let report = try object(json.stdout)
            #expect(report["level"] as? String == "L3")
            #expect(report["required"] as? String == "L3" && report["meets_required"] as? Bool == true)
            #expect(Set(report.keys) == ["level", "required", "meets_required", "started_at", "finished_at", "counts", "blockers", "rows"])
            let rows = try #require(report["rows"] as? [[String: Any]])
            #expect(rows.count > 80)
            for row in rows {
                #expect(Set(row.keys) == ["id", "title", "section", "level", "status", "evidence"], "\(row.keys)")
                #expect(["pass", "fail", "manual", "not_applicable"].contains(row["status"] as? String ?? ""))
            }
            let counts = try #require(report["counts"] as? [String: Int])
            #expect(counts["fail"] == 0 && counts["not_applicable"] == 1 && (counts["pass"] ?? 0) >= 25, "\(counts)")
            #expect(json.stdout.hasPrefix(#"{"blockers":["#), "keys in sorted order: \(json.stdout.prefix(60))")

            // L4 needs WAL archiving (DA5 must pass): exit 2, the JSON says why.
            let l4 = try await cli(d, ["--repo", d.repo.path, "--json", "--require", "L4"])
            #expect(l4.status == 2, "\(l4.stderr)")
            #expect(try object(l4.stdout)["meets_required"] as? Bool == false)
            // A broken row lowers the level below the requirement: exit 2.
            try await d.env.postgres.query("ALTER TABLE uploads NO FORCE ROW LEVEL SECURITY", logger: TestDatabase.logger)
            let broken = try await cli(d, ["--repo", d.repo.path, "--require", "L2"])
            #expect(broken.status == 2 && broken.stdout.contains("public.uploads (tenant_id column): RLS not forced"), "\(broken.stdout.suffix(2000))")
            #expect(broken.stdout.contains("required L2: NOT met"))
            // Nothing was recorded by evaluating.
            let history = try await cli(d, ["history", "--json"])
            #expect(history.status == 0 && history.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(history.stdout)")
            // Bad input: refused before anything runs.
            let bad = try await cli(d, ["--require", "L9"])
            #expect(bad.status == 64 && bad.stderr.contains("--require"), "\(bad.status) \(bad.stderr)")
        }
    }

    @Test func runEnqueuesTheJobWhoseRecordedRunHistoryAndFindingsShow() async throws {
        try await ReadinessDeployment.with { d in
            let run = try await cli(d, ["run", "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            let job = try #require(try object(run.stdout)["id"] as? Int)
            try await eventually("the readiness.revalidate job completed", timeout: .seconds(120)) {
                try await d.env.scalar("SELECT state::text FROM jobkit.jobs WHERE id = \(Int64(job))", as: String.self) == "completed"
            }
            let history = try await cli(d, ["history", "--json"])
            #expect(history.status == 0, "\(history.stderr)")
            let runs = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
            #expect(runs.count == 1)
            let first = try #require(runs.first)
            #expect(first["trigger"] as? String == "job" && first["job_id"] as? Int == job)
            let rows = first["rows"] as? [[String: Any]] ?? []
            let failing = rows.filter { $0["status"] as? String == "fail" }
            #expect(failing.isEmpty, "\(failing)\n\(d.serverLog())")
            #expect(first["level"] as? String == "L3" && first["failed"] as? Int == 0)
            let findings = try await cli(d, ["findings", "--json"])
            #expect(findings.status == 0 && findings.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(findings.stdout)")
            // The worker that recorded the run exports it at once.
            let metrics = try await ProbeText.get("http://127.0.0.1:\(d.port)/metrics")
            #expect(metrics.contains("filestore_readiness_level 3") && metrics.contains("filestore_readiness_failing_rows 0"),
                    "\(metrics.split(separator: "\n").filter { $0.contains("readiness") })")
            let textual = try await cli(d, ["history"])
            #expect(textual.stdout.contains("L3") && textual.stdout.contains("job"), "\(textual.stdout)")
        }
    }
}
