import API
import AsyncHTTPClient
import Domain
import FileCore
import Foundation
import JobKit
import PostgresNIO
@testable import Readiness
import Storage
import TestSupport
import Testing

/// A healthy test deployment: a fresh database, a real `filestore dev` process (API, workers with maintenance and
/// the relay, the scheduler) registered in `readiness.processes`, a copy of the repository's checked files (a git
/// repository of its own, so the secret scanner walks its tracked files), a fresh signature folder and key file.
struct ReadinessDeployment: Sendable {
    let env: TestEnv
    let app: PostgresClient
    let system: PostgresClient
    let repo: URL
    let signatures: URL
    let keyFile: URL
    let blobs: LocalBlobStore
    let port: Int
    let log: URL
    /// The `dev` process.
    let pid: Int32

    static let jwtSecret = String(repeating: "readiness-jwt-", count: 3)

    /// PATH with the test venv's tools (detect-secrets) first.
    static var toolPath: String {
        let venv = ProcessInfo.processInfo.environment["FILESTORE_TEST_PYTHON"].map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
            ?? TestDatabase.repositoryRoot.appendingPathComponent(".data/venv/bin").path
        return venv + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    }

    static var detectSecrets: String? {
        toolPath.split(separator: ":").map { "\($0)/detect-secrets" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The checks' configuration for this deployment.
    func configuration() -> ReadinessConfiguration {
        var c = ReadinessConfiguration(repository: repo, requiredSchemaVersion: 16)
        c.scanner = .libclamav(directory: signatures.path)
        c.signingKeys = [.init(name: "FILESTORE_URL_KEYS", count: 1, file: keyFile.path)]
        c.knownMetrics = Set(MetricCatalog.help.keys)
        c.detectSecrets = Self.detectSecrets
        c.probeToken = { tenant in
            try await TokenKeys([("k1", Self.jwtSecret)]).issue(TokenPayload(subject: "readiness-probe", tenant: try TenantID(tenant), scopes: [.filesRead], ttl: 60))
        }
        return c
    }

    func environment() -> ReadinessEnvironment {
        ReadinessEnvironment(postgres: app, system: SystemDatabase(postgres: system, logger: TestDatabase.logger), http: HTTPClient.shared,
                             blobs: blobs, configuration: configuration(), logger: TestDatabase.logger)
    }

    func evaluate() async -> ReadinessReport { await ReadinessEvaluator(environment: environment()).evaluate() }

    /// Evaluates and records, as the job does.
    func revalidate() async throws -> (ReadinessReport, ReadinessRecorder.Recorded) {
        let report = await evaluate()
        let recorded = try await ReadinessRecorder(postgres: app, operationsTenant: "ops", logger: TestDatabase.logger).record(report, trigger: "cli")
        return (report, recorded)
    }

    /// Outbox events of `topic` in the operations tenant, with their row ids.
    func events(_ topic: String) async throws -> [String] {
        try await TenantDatabase(postgres: env.postgres, logger: TestDatabase.logger).transaction(try .init("ops")) { tx in
            let rows = try await tx.query("SELECT payload->>'row_id' FROM outbox_events WHERE topic = \(topic) ORDER BY seq", logger: TestDatabase.logger)
            var out: [String] = []
            for try await id in rows.decode(String.self) { out.append(id) }
            return out
        }
    }

    /// The payloads of `topic`'s events, and the problems the committed schema finds in each (none expected).
    func schemaProblems(_ topic: String) async throws -> [String] {
        let schema = try String(contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("events/file-storage/\(topic).json"), encoding: .utf8)
        let validator = try JSONSchemaValidator(json: schema)
        return try await TenantDatabase(postgres: env.postgres, logger: TestDatabase.logger).transaction(try .init("ops")) { tx in
            let rows = try await tx.query("SELECT payload::text FROM outbox_events WHERE topic = \(topic)", logger: TestDatabase.logger)
            var out: [String] = []
            for try await text in rows.decode(String.self) {
                guard let value = JSONValue.parse(Array(text.utf8)) else { out.append("unparsable: \(text)"); continue }
                out += validator.problems(value)
            }
            return out
        }
    }

    /// Open findings' row ids.
    func openFindings() async throws -> [String] {
        try await app.withConnection { c in
            try await ReadinessRepository(logger: TestDatabase.logger).findings(openOnly: true, limit: 100, on: c).map(\.rowID).sorted()
        }
    }

    func serverLog() -> String { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").suffix(4000).description }

    /// Copies the files the repository rows read into `dir` and makes it a git repository with them tracked.
    static func copyRepository(to dir: URL) throws {
        let root = TestDatabase.repositoryRoot
        let fm = FileManager.default
        try fm.createDirectory(at: dir.appendingPathComponent("scripts"), withIntermediateDirectories: true)
        for path in ["docs", "runbooks", "events", "infra", "migrations", "openapi", "perf", ".secrets.baseline"] {
            try fm.copyItem(at: root.appendingPathComponent(path), to: dir.appendingPathComponent(path))
        }
        try fm.copyItem(at: root.appendingPathComponent("scripts/scan_secrets.py"), to: dir.appendingPathComponent("scripts/scan_secrets.py"))
        for args in [["init", "-q"], ["add", "-A"]] {
            let r = try runTool("/usr/bin/git", ["-C", dir.path] + args)
            guard r.status == 0 else { throw SetupFailed("git \(args) in \(dir.path)") }
        }
    }

    /// Sets `url`'s modification time `age` seconds in the past.
    static func age(_ url: URL, by age: Double) throws {
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: url.path)
    }

    static func with(_ body: (ReadinessDeployment) async throws -> Void) async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("readiness-\(UUID())")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            let repo = work.appendingPathComponent("repo")
            try copyRepository(to: repo)
            let signatures = work.appendingPathComponent("clamav")
            try FileManager.default.createDirectory(at: signatures, withIntermediateDirectories: true)
            // One MD5 signature (the EICAR test file's): a valid database for libclamav.
            try "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n".write(to: signatures.appendingPathComponent("readiness.hdb"), atomically: true, encoding: .utf8)
            let keyFile = work.appendingPathComponent("url-keys")
            try "u1=readiness-url-key-readiness-url-key-0\n".write(to: keyFile, atomically: true, encoding: .utf8)
            let blobs = try LocalBlobStore(root: work.appendingPathComponent("blobs"))
            let port = try freePort()
            let log = work.appendingPathComponent("dev.log")
            let settings = ["FILESTORE_JWT_KEYS": "k1=" + jwtSecret, "FILESTORE_URL_KEYS_FILE": keyFile.path,
                            "FILESTORE_BLOB_DIR": work.appendingPathComponent("blobs").path, "FILESTORE_QUEUES": "default,maintenance,webhooks",
                            "FILESTORE_RATE_LIMITS": "off", "FILESTORE_READINESS_REPO": repo.path, "FILESTORE_CLAMAV_DB": signatures.path,
                            "PATH": toolPath, "LOG_LEVEL": "warning"]
            let server = try FilestoreBinary.start(["dev", "--api-port", "\(port)"], database: env.config, log: log, env: settings)
            defer { kill(server.processIdentifier, SIGTERM); server.waitUntilExit() }
            try await TestDatabase.withClient(TestDatabase.appRole(env.config)) { app in
                try await TestDatabase.withClient(TestDatabase.systemRole(env.config)) { system in
                    let d = ReadinessDeployment(env: env, app: app, system: system, repo: repo, signatures: signatures, keyFile: keyFile,
                                                blobs: blobs, port: port, log: log, pid: server.processIdentifier)
                    try await eventually("dev is up, registered, and its scheduler leads with the built-in schedules", timeout: .seconds(120)) {
                        guard server.isRunning else { throw SetupFailed("dev exited: \(d.serverLog())") }
                        let registered = try await env.scalar("SELECT count(*)::int8 FROM readiness.processes WHERE command = 'dev'", as: Int64.self) ?? 0
                        let schedule = try await env.scalar("SELECT count(*)::int8 FROM scheduler.schedules WHERE name = 'readiness-revalidate'", as: Int64.self) ?? 0
                        let leader = try await env.scalar("SELECT count(*)::int8 FROM jobkit.leaders WHERE name = 'scheduler' AND expires_at > now()", as: Int64.self) ?? 0
                        return registered == 1 && schedule == 1 && leader == 1
                    }
                    try await body(d)
                }
            }
        }
    }
}

struct SetupFailed: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
