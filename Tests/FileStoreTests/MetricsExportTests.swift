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
            // A small unauthenticated budget, so that refusals (429) have a series too.
            let api = try FilestoreBinary.start(["serve", "--api-port", "\(apiPort)"], database: env.config, log: dir.appendingPathComponent("serve.log"),
                                                env: ["FILESTORE_JWT_KEYS": key, "FILESTORE_URL_KEYS": key, "FILESTORE_BLOB_DIR": dir.path,
                                                      "FILESTORE_RATE_LIMITS": "unauthenticated=0.01/2"])
            let worker = try FilestoreBinary.start(["work", "--queues", "default", "--http-port", "\(opsPort)"], database: env.config,
                                                   log: dir.appendingPathComponent("work.log"), env: ["FILESTORE_BLOB_DIR": dir.path])
            defer { for p in [api, worker] where p.isRunning { kill(p.processIdentifier, SIGKILL) } }
            try await eventually("both processes answer", timeout: .seconds(60)) {
                let a = try? await scrape(apiPort, "/healthz"), w = try? await scrape(opsPort, "/healthz")
                return a == "ok\n" && w == "ok\n"
            }
            // A direct upload of 11 bytes and a tus upload of 5 + 4 bytes, counted by kind.
            let token = try await FilestoreBinary.run(["token", "issue", "--tenant", "acme", "--scope", "files:write", "files:read"],
                                                      database: env.config, env: ["FILESTORE_JWT_KEYS": key]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let auth = ["-H", "Authorization: Bearer \(token)", "-H", "X-Tenant-Id: acme"]
            let direct = try await runProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data-binary", "hello world",
                                                                "-H", "Content-Type: text/plain", "http://127.0.0.1:\(apiPort)/v1/files"] + auth)
            #expect(direct.stdout == "201", "direct upload: \(direct.stdout) \(direct.stderr)")
            let created = try await runProcess("/usr/bin/curl", ["-s", "-D", "-", "-o", "/dev/null", "-X", "POST", "-H", "Tus-Resumable: 1.0.0",
                                                                 "-H", "Upload-Length: 9", "-H", "Content-Type: application/offset+octet-stream",
                                                                 "--data-binary", "first", "http://127.0.0.1:\(apiPort)/v1/uploads"] + auth)
            let location = created.stdout.split(separator: "\r\n").first { $0.lowercased().hasPrefix("location:") }
                .map { $0.dropFirst("location:".count).trimmingCharacters(in: .whitespaces) } ?? ""
            #expect(location.hasPrefix("/v1/uploads/"), "tus creation: \(created.stdout)")
            let patched = try await runProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PATCH", "-H", "Tus-Resumable: 1.0.0",
                                                                 "-H", "Upload-Offset: 5", "-H", "Content-Type: application/offset+octet-stream",
                                                                 "--data-binary", "last", "http://127.0.0.1:\(apiPort)\(location)"] + auth)
            #expect(patched.stdout == "204", "tus PATCH: \(patched.stdout)")
            // Refused requests: three unauthenticated ones spend the budget of 2, the third is refused with 429.
            var codes: [String] = []
            for _ in 0..<3 {
                codes.append(try await runProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(apiPort)/v1/files"]).stdout)
            }
            #expect(codes.last == "429", "\(codes)")
            let apiText = try await scrape(apiPort)
            #expect(apiText.contains(#"filestore_upload_bytes_total{kind="direct"} 11"#), "\(apiText.split(separator: "\n").filter { $0.contains("upload_bytes") })")
            #expect(apiText.contains(#"filestore_upload_bytes_total{kind="tus"} 9"#), "\(apiText.split(separator: "\n").filter { $0.contains("upload_bytes") })")
            #expect(apiText.contains(#"filestore_rate_limited_total{class="unauthenticated"} 1"#), "\(apiText.split(separator: "\n").filter { $0.contains("rate_limited") })")
            // The worker leads maintenance alone: its queue gauges and leader-task metrics appear.
            try await eventually("the worker leads and reports", timeout: .seconds(60)) {
                let text = try await scrape(opsPort)
                return text.contains("jobkit_leader{leadership=\"maintenance\"} 1") && text.contains("jobkit_leader_task_runs_total")
            }
            let apiNames = try await check(try await scrape(apiPort), "serve")
            let workerNames = try await check(try await scrape(opsPort), "work")
            for name in ["http_server_requests_total", "http_server_request_duration_seconds", "filestore_build_info",
                         "filestore_upload_bytes_total", "filestore_rate_limited_total"] {
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

    /// A clean file and the EICAR test string through a real `dev` with a scan worker: each verdict is counted,
    /// the infected one as quarantined.
    @Test func scanVerdictsAreCountedByVerdictAndQuarantine() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdicts-\(UUID())")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let signatures = try ClamAVTests.signatureDirectory()
            defer { try? FileManager.default.removeItem(at: signatures) }
            let key = "k1=" + String(repeating: "v", count: 40)
            let port = try freePort()
            let dev = try FilestoreBinary.start(["dev", "--api-port", "\(port)"], database: env.config, log: dir.appendingPathComponent("dev.log"),
                                                env: ["FILESTORE_JWT_KEYS": key, "FILESTORE_URL_KEYS": key, "FILESTORE_BLOB_DIR": dir.appendingPathComponent("blobs").path,
                                                      "FILESTORE_QUEUES": "scan,default", "FILESTORE_CLAMAV_DB": signatures.path, "FILESTORE_RATE_LIMITS": "off"])
            defer { if dev.isRunning { kill(dev.processIdentifier, SIGKILL) } }
            try await eventually("dev answers", timeout: .seconds(90)) { (try? await scrape(port, "/readyz")) == "ready\n" }
            let token = try await FilestoreBinary.run(["token", "issue", "--tenant", "acme", "--scope", "files:write"],
                                                      database: env.config, env: ["FILESTORE_JWT_KEYS": key]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            for body in ["just some text", ClamAVTests.eicar] {
                let r = try await runProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data-binary", body,
                                                               "-H", "Content-Type: text/plain", "-H", "Authorization: Bearer \(token)", "-H", "X-Tenant-Id: acme",
                                                               "http://127.0.0.1:\(port)/v1/files"])
                #expect(r.stdout == "201", "upload: \(r.stdout) \(r.stderr)")
            }
            try await eventually("both scans counted", timeout: .seconds(60)) {
                let text = try await scrape(port)
                return text.contains(#"filestore_scan_verdicts_total{verdict="clean",quarantined="false"} 1"#)
                    && text.contains(#"filestore_scan_verdicts_total{verdict="infected",quarantined="true"} 1"#)
            }
            _ = try await check(try await scrape(port), "dev")
            kill(dev.processIdentifier, SIGTERM)
            dev.waitUntilExit()
        }
    }

    @Test func everyCatalogEntryIsDocumented() throws {
        let doc = try String(contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("docs/OBSERVABILITY.md"), encoding: .utf8)
        for name in MetricCatalog.help.keys.sorted() {
            #expect(doc.contains("`\(name)`"), "docs/OBSERVABILITY.md does not document \(name)")
        }
    }
}
