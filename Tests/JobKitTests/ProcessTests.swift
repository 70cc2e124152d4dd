import TestSupport
import Foundation
@testable import JobKit
import PostgresNIO
import Testing

/// Tests that run the real `filestore` binary: crash recovery and the SRE command line.
@Suite struct ProcessTests {
    @Test func aWorkerKilledWithSIGKILLMidJobLosesNothing() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let n = 20
            try await env.client.enqueueMany((0..<n).map { _ in JobInsert(kind: "noop", argsJSON: #"{"sleep_ms": 5000}"#, queue: "crash") })
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("filestore-crash-\(UUID()).log")
            let child = try FilestoreBinary.start(
                ["work", "--queues", "crash", "--concurrency", "\(n)", "--lease-seconds", "2", "--http-port", "0", "--no-maintenance"],
                database: env.config, log: log)
            defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
            try await eventually("the child runs every job", timeout: .seconds(30)) { try await env.count(.running, queue: "crash") == n }
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            #expect(child.terminationReason == .uncaughtSignal)
            #expect(try await env.count(.running, queue: "crash") == n) // still held by the dead worker's leases
            // A surviving worker (with maintenance) rescues the jobs after their leases expire and finishes them.
            var registry = JobRegistry()
            registry.register(NoopWorker())
            try await env.withWorker(registry, TestEnv.fastWorker(queues: [.init("crash", concurrency: n)])) { (_: JobWorkerService) async throws in
                try await eventually("all rescued and completed", timeout: .seconds(30)) { try await env.count(.completed, queue: "crash") == n }
            }
            let jobs = try await env.client.list(.init(queue: "crash", limit: 100))
            #expect(jobs.count == n)
            #expect(jobs.allSatisfy { $0.attempt == 2 && $0.errors.count == 1 && $0.errors[0].error.contains("lease expired") })
        }
    }

    @Test func sigtermDrainsTheWorkerProcess() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            // Long enough that a loaded machine cannot run it between two polls for "running".
            let id = try await env.client.enqueue(JobInsert(kind: "noop", argsJSON: #"{"sleep_ms": 4000}"#, queue: "term")).id
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("filestore-term-\(UUID()).log")
            let child = try FilestoreBinary.start(["work", "--queues", "term", "--http-port", "0", "--shutdown-grace", "10"],
                                                  database: env.config, log: log)
            defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
            try await eventually("running", timeout: .seconds(30)) { try await env.client.job(id: id).state == .running }
            kill(child.processIdentifier, SIGTERM)
            // Waited for by polling, not waitUntilExit(): the drain takes seconds, and a blocked thread of the
            // Swift concurrency pool would slow every other test running beside this one.
            try await eventually("the worker drained and exited", timeout: .seconds(30)) { !child.isRunning }
            #expect(child.terminationStatus == 0)
            // The running job finished inside the grace period, and its completion was flushed before exit.
            #expect(try await env.client.job(id: id).state == .completed)
        }
    }

    /// CPU seconds (user + system) the process `pid` has used, from /proc.
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    @Test func aWorkerWhoseDatabaseIsGoneWaitsQuietlyAndStillStops() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("filestore-gone-\(UUID()).log")
            let child = try FilestoreBinary.start(["work", "--queues", "quiet", "--http-port", "0", "--shutdown-grace", "1"],
                                                  database: env.config, log: log)
            defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
            try await eventually("it leads maintenance", timeout: .seconds(30)) {
                try await env.scalar("SELECT count(*)::int8 FROM jobkit.leaders", as: Int64.self) == 1
            }
            // The database goes away under the worker (retried: a connection being opened at that instant can
            // make one attempt fail).
            var dropped = false
            for attempt in 1...5 where !dropped {
                do {
                    try await TestDatabase.admin("DROP DATABASE \"\(env.config.database)\" WITH (FORCE)")
                    dropped = true
                } catch {
                    if attempt == 5 { Issue.record("cannot drop the database: \(String(reflecting: error))") }
                    try await Task.sleep(for: .milliseconds(300))
                }
            }
            try #require(dropped)
            // Past one election interval (5 s), when the old wake-up stopped sleeping and the loop spun.
            try await Task.sleep(for: .seconds(7))
            let before = Self.cpuSeconds(child.processIdentifier)
            try await Task.sleep(for: .seconds(4))
            let used = Self.cpuSeconds(child.processIdentifier) - before
            #expect(used < 0.4, "the worker used \(used) CPU seconds in 4 s with no database")
            #expect(child.isRunning)
            kill(child.processIdentifier, SIGTERM)
            // With no database the drain cannot finish (fetches and the last flush wait for a connection), so the
            // process stops at its drain deadline — the grace (1 s) + 15 s, measured at 16.2-16.3 s — by cancelling.
            // The wait leaves room for a loaded CI machine (it took over 30 s once with 8 tests at once on 2 cores).
            try await eventually("it stops", timeout: .seconds(45)) { !child.isRunning }
        }
    }

    @Test func theCommandLineServesOperatorsAndRefusesBadInput() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let db = env.config
            var r = try await FilestoreBinary.run(["jobs", "enqueue", "noop", "--count", "3", "--queue", "cli"], database: db)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("enqueued 3 job(s)"))
            r = try await FilestoreBinary.run(["jobs", "list", "--queue", "cli", "--json"], database: db)
            #expect(r.status == 0)
            let listed = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]
            #expect(listed?.count == 3)
            let id = (listed?.first?["id"] as? Int).map(String.init) ?? "?"
            r = try await FilestoreBinary.run(["jobs", "show", id], database: db)
            #expect(r.status == 0)
            #expect(r.stdout.contains("state         available"))
            r = try await FilestoreBinary.run(["jobs", "discard", id], database: db)
            #expect(r.status == 0)
            r = try await FilestoreBinary.run(["dlq", "list", "--json"], database: db)
            #expect(r.stdout.contains("\"id\":\(id)"))
            r = try await FilestoreBinary.run(["dlq", "replay", "--queue", "cli", "--dry-run"], database: db)
            #expect(r.stdout.contains("would replay 1 job(s): \(id)"))
            r = try await FilestoreBinary.run(["queues", "pause", "cli"], database: db)
            #expect(r.status == 0)
            r = try await FilestoreBinary.run(["queues", "list"], database: db)
            #expect(r.stdout.contains("cli") && r.stdout.contains("yes"))

            // Bad input: a clear message on stderr and a non-zero exit, and nothing changes.
            let bad: [([String], String)] = [
                (["jobs", "show", "999999"], "no job with id 999999"),
                (["jobs", "list", "--state", "dead"], "unknown state 'dead'"),
                (["jobs", "enqueue", "noop", "--args", "{bad"], "args must be a JSON object"),
                (["jobs", "cancel", "abc"], "'abc' is not a job id"),
                (["jobs", "retry", id, "424242"], "no job with id 424242"),
                (["jobs", "enqueue", "noop", "--queue", "Bad Queue"], "invalid queue name"),
                (["dlq", "replay", "--since", "yesterday"], "--since takes"),
                (["queues", "limit", "cli", "lots"], "limit must be"),
            ]
            for (args, message) in bad {
                let r = try await FilestoreBinary.run(args, database: db)
                #expect(r.status != 0, "\(args) should fail")
                #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
            }
            #expect(try await env.count(queue: "cli") == 3)
            #expect(try await env.client.job(id: Int64(id)!).state == .discarded) // the failed retry changed nothing
        }
    }

    @Test func operatorsReleaseOrConfirmAQuarantineFromTheCommandLine() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let id = "med_01JD2X4Y8ZQ3K5M7N9P1R3T5V7"
            try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
                try await tx.query("INSERT INTO tenants (id, name) VALUES ('acme', 'acme')", logger: TestDatabase.logger)
                try await tx.query("""
                    INSERT INTO files (id, tenant_id, state, object_key, scan_signature)
                    VALUES (\(id), 'acme', 'quarantined', 'tenants/acme/files/' || \(id) || '/original', 'Test.Sig')
                    """, logger: TestDatabase.logger)
            }
            var r = try await FilestoreBinary.run(["files", "release", id, "--tenant", "acme"], database: env.config)
            #expect(r.status != 0)
            #expect(r.stderr.contains("--reason"))
            r = try await FilestoreBinary.run(["files", "release", id, "--tenant", "globex", "--reason", "fp"], database: env.config)
            #expect(r.status != 0)
            #expect(r.stderr.contains("NOT_FOUND"))
            r = try await FilestoreBinary.run(["files", "release", id, "--tenant", "acme", "--reason", "false positive", "--actor", "sre-jane"], database: env.config)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("now clean"))
            r = try await FilestoreBinary.run(["files", "confirm", id, "--tenant", "acme", "--reason", "again"], database: env.config)
            #expect(r.status != 0)
            #expect(r.stderr.contains("ILLEGAL_TRANSITION"))
        }
    }

    @Test func aWorkerRefusesADatabaseThatIsBehind() async throws {
        let name = "filestore_empty_\(UInt32.random(in: 0...UInt32.max))"
        try await TestDatabase.admin("CREATE DATABASE \"\(name)\"")
        defer { Task { try? await TestDatabase.admin("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)") } }
        let r = try await FilestoreBinary.run(["work", "--http-port", "0"], database: TestDatabase.server.with(database: name))
        #expect(r.status != 0)
        #expect(r.stderr.contains("run `filestore migrate`"), "\(r.stderr)")
    }
}

/// The file API as a real process: `filestore token issue`, then `filestore serve`, driven by curl.
@Suite struct ServeProcessTests {
    @Test func serveAcceptsAnUploadWithAnIssuedToken() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let app = TestDatabase.appRole(env.config)
            let key = "FILESTORE_JWT_KEYS=k1=serve-test-key-0123456789abcdef0123"
            let blobs = FileManager.default.temporaryDirectory.appendingPathComponent("serve-blobs-\(UUID())")
            defer { try? FileManager.default.removeItem(at: blobs) }
            let env_: [String: String] = ["FILESTORE_JWT_KEYS": String(key.dropFirst("FILESTORE_JWT_KEYS=".count)),
                                          "FILESTORE_BLOB_DIR": blobs.path, "FILESTORE_URL_KEYS": "u1=serve-url-key-0123456789abcdef01234"]
            let token = try await FilestoreBinary.run(["token", "issue", "--tenant", "demo", "--scope", "files:read", "files:write", "--ttl", "10m"],
                                                      database: app, env: env_)
            #expect(token.status == 0, "\(token.stderr)")
            let bad = try await FilestoreBinary.run(["token", "issue", "--tenant", "demo", "--scope", "files:everything"], database: app, env: env_)
            #expect(bad.status != 0)
            #expect(bad.stderr.contains("unknown scope 'files:everything'"))
            let port = Int.random(in: 20000...40000)
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID()).log")
            let server = try FilestoreBinary.start(["serve", "--api-port", "\(port)"], database: app, log: log, env: env_)
            defer { kill(server.processIdentifier, SIGTERM); server.waitUntilExit() }
            try await eventually("serve is up", timeout: .seconds(30)) { try curl(["http://127.0.0.1:\(port)/readyz"]).hasSuffix("200") }
            let jwt = token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let upload = try curl(["-X", "POST", "-H", "Authorization: Bearer \(jwt)", "-H", "Upload-Filename: hello.txt",
                                         "--data-binary", "hello, filestore", "http://127.0.0.1:\(port)/v1/files"])
            #expect(upload.hasSuffix("201"), "\(upload)")
            #expect(upload.contains("\"content_type\":\"text\\/plain\"") || upload.contains("\"content_type\":\"text/plain\""))
            let unauthorized = try curl(["http://127.0.0.1:\(port)/v1/files"])
            #expect(unauthorized.hasSuffix("401"))
            #expect(unauthorized.contains("MELMASTOON.FILE.UNAUTHENTICATED"))
            #expect(try await env.count(queue: "scan") == 1)
        }
    }
}

/// Resumable uploads with the reference tus client (tuspy), interrupted in one process and resumed in another.
@Suite struct TuspyTests {
    @Test func anUploadInterruptedMidwayIsResumedFromAnotherProcess() async throws {
        guard let python = ProcessInfo.processInfo.environment["FILESTORE_TEST_PYTHON"] ?? Optional(TestDatabase.repositoryRoot.appendingPathComponent(".data/venv/bin/python").path),
              FileManager.default.isExecutableFile(atPath: python) else {
            Issue.record("no Python with tuspy: run the tests through scripts/test.sh")
            return
        }
        try await TestDatabase.with { (env: TestEnv) async throws in
            let app = TestDatabase.appRole(env.config)
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("tuspy-\(UUID())")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            let env_: [String: String] = ["FILESTORE_JWT_KEYS": "k1=tuspy-test-key-0123456789abcdef012345",
                                          "FILESTORE_URL_KEYS": "u1=tuspy-url-key-0123456789abcdef0123456",
                                          "FILESTORE_BLOB_DIR": work.appendingPathComponent("blobs").path]
            let token = try await FilestoreBinary.run(["token", "issue", "--tenant", "tus", "--scope", "files:read", "files:write"], database: app, env: env_)
            let jwt = token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let port = Int.random(in: 20000...40000)
            let server = try FilestoreBinary.start(["serve", "--api-port", "\(port)"], database: app, log: work.appendingPathComponent("serve.log"), env: env_)
            defer { kill(server.processIdentifier, SIGTERM); server.waitUntilExit() }
            let base = "http://127.0.0.1:\(port)"
            try await eventually("serve is up", timeout: .seconds(30)) { try curl([base + "/readyz"]).hasSuffix("200") }
            let data = Data((0..<700_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 8)) })
            let file = work.appendingPathComponent("payload.bin")
            try data.write(to: file)
            let script = TestDatabase.repositoryRoot.appendingPathComponent("Tests/tus/tuspy_client.py").path
            func py(_ args: [String]) throws -> [String] {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: python)
                p.arguments = [script] + args
                let out = Pipe(), err = Pipe()
                p.standardOutput = out
                p.standardError = err
                try p.run()
                let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                #expect(p.terminationStatus == 0, "\(String(decoding: e, as: UTF8.self))")
                return String(decoding: o, as: UTF8.self).split(separator: "\n").map(String.init)
            }
            // Process one sends about 300 KB, then stops (as if interrupted).
            let first = try py(["part", base, jwt, file.path, "300000"])
            #expect(first.count == 2)
            let url = first.first ?? ""
            #expect(url.contains("/v1/uploads/upl_"))
            let stoppedAt = Int(first.last ?? "") ?? 0
            #expect(stoppedAt >= 300_000 && stoppedAt < 700_000)
            // Process two asks the server where it stands and sends the rest.
            let second = try py(["resume", base, jwt, file.path, url])
            #expect(second.first == String(stoppedAt))
            #expect(second.last == "700000")
            // The upload is a file now, with the right bytes.
            var files: [(String, Int64?, String?)] = []
            try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                try await tx.query("SELECT set_config('app.tenant_id', 'tus', true)", logger: TestDatabase.logger)
                for try await row in try await tx.query("SELECT original_name, size, sha256 FROM files", logger: TestDatabase.logger).decode((String, Int64?, String?).self) {
                    files.append(row)
                }
            }
            #expect(files.count == 1)
            #expect(files.first?.0 == "tuspy.bin")
            #expect(files.first?.1 == 700_000)
            #expect(files.first?.2 == SHA256Hex.hex(data))
            #expect(try await env.count(queue: "scan") == 1)
        }
    }
}

/// SHA-256 through the system's sha256sum, so the test does not trust the code it checks.
enum SHA256Hex {
    static func hex(_ data: Data) -> String {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID())")
        try? data.write(to: tmp)
        defer { try? FileManager.default.removeItem(at: tmp) }
        return String(((try? runTool("/usr/bin/sha256sum", [tmp.path]))?.output ?? "").prefix(64))
    }
}
