import API
import Domain
import FileCore
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The console inside a real `filestore serve`: mounted under /admin, and an open live stream does not hold
/// up a graceful shutdown (the live feed stops before the listener and ends its streams).
@Suite struct ConsoleProcessTests {
    @Test(.timeLimit(.minutes(3))) func serveMountsTheConsoleAndStopsPromptlyWithALiveStreamOpen() async throws {
        try await TestDatabase.with { env in
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("console-serve-\(UUID())")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            let key = String(repeating: "console-serve-", count: 3)
            let settings = ["FILESTORE_JWT_KEYS": "k1=\(key)", "FILESTORE_URL_KEYS": "u1=" + String(repeating: "console-url-", count: 3),
                            "FILESTORE_BLOB_DIR": work.appendingPathComponent("blobs").path]
            let port = try freePort()
            let server = try FilestoreBinary.start(["serve", "--api-port", "\(port)"], database: TestDatabase.appRole(env.config),
                                                   log: work.appendingPathComponent("serve.log"), env: settings)
            defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
            let base = "http://127.0.0.1:\(port)"
            try await eventually("serve is up", timeout: .seconds(60)) { try await runProcess("/usr/bin/curl", ["-sf", "\(base)/readyz"]).status == 0 }
            let token = try await TokenKeys([("k1", key)]).issue(TokenPayload(subject: "sre", tenant: TenantID("ops"), scopes: [.jobsRead], ttl: 600))
            // The pages are served by serve, as the app role (the console's tables are granted to it).
            let overview = try await runProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(token)", "\(base)/admin"])
            #expect(overview.stdout == "200")
            let login = try await runProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "\(base)/admin/login"])
            #expect(login.stdout == "200")
            // An open event stream...
            let events = work.appendingPathComponent("events.txt")
            FileManager.default.createFile(atPath: events.path, contents: nil)
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-sN", "-H", "Authorization: Bearer \(token)", "\(base)/admin/events"]
            curl.standardOutput = try FileHandle(forWritingTo: events)
            try curl.run()
            defer { if curl.isRunning { curl.terminate() } }
            try await eventually("the first event") { ((try? String(contentsOf: events, encoding: .utf8)) ?? "").contains("event: queues") }
            // ...and SIGTERM: the process ends well within its drain budget, the stream ended by the server.
            let stopped = ContinuousClock.now
            kill(server.processIdentifier, SIGTERM)
            try await eventually("serve exited", timeout: .seconds(10)) { !server.isRunning }
            #expect(ContinuousClock.now - stopped < .seconds(8))
            #expect(server.terminationStatus == 0)
            try await eventually("the stream ended", timeout: .seconds(5)) { !curl.isRunning }
        }
    }
}
