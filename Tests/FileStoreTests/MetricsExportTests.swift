import API
import Foundation
import TestSupport
import Testing

/// What the processes export on `/metrics`, scraped live from the real binary: Prometheus' own linter
/// (`promtool check metrics`) finds nothing, every metric has HELP text and is in ``MetricCatalog`` (so the
/// catalog cannot drift from the code), every catalog entry is documented in docs/OBSERVABILITY.md, and
/// Hummingbird's HTTP metrics come out under conventional names.
@Suite struct MetricsExportTests {
    static let promtool = "/usr/bin/promtool"

    /// `# TYPE` names of a scrape with their types, and the names that have a `# HELP` line.
    func parse(_ text: String) -> (types: [String: String], helped: Set<String>) {
        var types: [String: String] = [:], helped: Set<String> = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
            if parts.count >= 4, parts[0] == "#", parts[1] == "TYPE" { types[parts[2]] = parts[3] }
            if parts.count >= 4, parts[0] == "#", parts[1] == "HELP", !parts[3].isEmpty { helped.insert(parts[2]) }
        }
        return (types, helped)
    }

    func scrape(_ port: Int, _ path: String = "/metrics") async throws -> String {
        let r = try await runProcess("/usr/bin/curl", ["-sS", "--max-time", "10", "http://127.0.0.1:\(port)\(path)"])
        guard r.status == 0 else { throw TLSFileProblem("curl \(path): \(r.stderr)") }
        return r.stdout
    }

    func freePort() throws -> Int {
        let taken = try OccupiedPort()
        defer { taken.release() }
        return taken.port
    }

    /// Checks one scrape; returns its metric names.
    func check(_ text: String, _ process: String) async throws -> Set<String> {
        let lint = try await runProcess(Self.promtool, ["check", "metrics"], input: text)
        #expect(lint.status == 0 && lint.stdout.isEmpty && lint.stderr.isEmpty,
                "promtool on \(process)'s /metrics: \(lint.stdout)\(lint.stderr)")
        let (types, helped) = parse(text)
        for (name, type) in types {
            #expect(helped.contains(name), "\(process): \(name) has no HELP text")
            #expect(MetricCatalog.help[name] != nil, "\(process): \(name) is exported but not in MetricCatalog")
            if type == "counter" { #expect(name.hasSuffix("_total"), "\(process): counter \(name) does not end in _total") }
            #expect(!name.contains("."), "\(process): \(name)")
        }
        return Set(types.keys)
    }

    @Test func everyExportedMetricIsConventionalDocumentedAndLinted() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID())")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let key = "k1=" + String(repeating: "s", count: 40)
            let apiPort = try freePort(), opsPort = try freePort()
            let api = try FilestoreBinary.start(["serve", "--api-port", "\(apiPort)"], database: env.config, log: dir.appendingPathComponent("serve.log"),
                                                env: ["FILESTORE_JWT_KEYS": key, "FILESTORE_URL_KEYS": key, "FILESTORE_BLOB_DIR": dir.path])
            let worker = try FilestoreBinary.start(["work", "--queues", "default", "--http-port", "\(opsPort)"], database: env.config,
                                                   log: dir.appendingPathComponent("work.log"), env: ["FILESTORE_BLOB_DIR": dir.path])
            defer { for p in [api, worker] where p.isRunning { kill(p.processIdentifier, SIGKILL) } }
            try await eventually("both processes answer", timeout: .seconds(60)) {
                let a = try? await scrape(apiPort, "/healthz"), w = try? await scrape(opsPort, "/healthz")
                return a == "ok\n" && w == "ok\n"
            }
            // A refused request and a health check, so that the HTTP metrics have series.
            _ = try await runProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "http://127.0.0.1:\(apiPort)/v1/files"])
            // The worker leads maintenance alone: its queue gauges and leader-task metrics appear.
            try await eventually("the worker leads and reports", timeout: .seconds(60)) {
                let text = try await scrape(opsPort)
                return text.contains("jobkit_leader{leadership=\"maintenance\"} 1") && text.contains("jobkit_leader_task_runs_total")
            }
            let apiNames = try await check(try await scrape(apiPort), "serve")
            let workerNames = try await check(try await scrape(opsPort), "work")
            for name in ["http_server_requests_total", "http_server_request_duration_seconds", "filestore_build_info"] {
                #expect(apiNames.contains(name), "serve does not export \(name): \(apiNames.sorted())")
            }
            for name in ["jobkit_leader", "jobkit_leader_task_runs_total", "jobkit_leader_task_duration_seconds",
                         "jobkit_notifier_connected", "jobkit_completer_backlog", "filestore_build_info"] {
                #expect(workerNames.contains(name), "work does not export \(name): \(workerNames.sorted())")
            }
            // Duration histograms reach ten minutes, so that long jobs fall in a bucket of their own.
            #expect(try await scrape(opsPort).contains("jobkit_leader_task_duration_seconds_bucket{leadership=\"maintenance\",task=\"stage\",le=\"600.0\"}"))
            for p in [api, worker] { kill(p.processIdentifier, SIGTERM); p.waitUntilExit() }
        }
    }

    @Test func everyCatalogEntryIsDocumented() throws {
        let doc = try String(contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("docs/OBSERVABILITY.md"), encoding: .utf8)
        for name in MetricCatalog.help.keys.sorted() {
            #expect(doc.contains("`\(name)`"), "docs/OBSERVABILITY.md does not document \(name)")
        }
    }
}
