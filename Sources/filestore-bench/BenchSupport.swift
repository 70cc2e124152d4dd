import Foundation
import JobKit
import Logging
import PostgresNIO

/// Helpers shared by the benchmarks: fresh databases, child commands, the peak-RSS reader, rounding.
enum BenchSupport {
    /// A logger that only reports errors.
    static var quietLogger: Logger {
        var l = Logger(label: "bench")
        l.logLevel = .error
        return l
    }

    /// This executable, for starting `queue-worker` children.
    static var executable: URL { URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath() }

    /// Drops and creates `name` on `server`, migrates it with the product's own migrator
    /// (`filestore migrate`, so the schema is exactly what the product applies), and returns its configuration.
    static func freshDatabase(_ name: String, on server: DatabaseConfiguration, product: URL) async throws -> DatabaseConfiguration {
        let connection = try await server.connect(logger: quietLogger)
        try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)"), logger: quietLogger)
        try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(name)\""), logger: quietLogger)
        try await connection.close()
        let db = server.with(database: name)
        var env = ProcessInfo.processInfo.environment
        env["LOG_LEVEL"] = "warning"
        try run(product.path, ["migrate", "--database-url", db.url], environment: env)
        return db
    }

    /// Runs `body` with a running pool on `config`, then shuts the pool down.
    static func withPostgres<T>(_ config: DatabaseConfiguration, _ body: (PostgresClient) async throws -> T) async throws -> T {
        let postgres = PostgresClient(configuration: config.clientConfiguration, backgroundLogger: quietLogger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await postgres.run() }
            defer { group.cancelAll() }
            return try await body(postgres)
        }
    }

    /// Runs `path args…` (standard output discarded), failing unless it exits 0.
    static func run(_ path: String, _ args: [String], environment: [String: String]? = nil) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        if let environment { p.environment = environment }
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw BenchError("\(path) \(args.joined(separator: " ")) failed (exit \(p.terminationStatus))") }
    }

    /// Runs `path args…` and returns its standard output, trimmed; fails unless it exits 0 when `check`.
    static func output(_ path: String, _ args: [String], environment: [String: String]? = nil, check: Bool = false) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        if let environment { p.environment = environment }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = check ? FileHandle.standardError : FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if check, p.terminationStatus != 0 { throw BenchError("\(path) \(args.first ?? "") failed (exit \(p.terminationStatus))") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A bearer token for tenant `bench` (files:read, files:write), minted by `filestore token issue` with the
    /// keys in `environment` (`FILESTORE_JWT_KEYS`).
    static func token(product: URL, environment: [String: String], ttl: String) throws -> String {
        try output(product.path, ["token", "issue", "--tenant", "bench", "--scope", "files:write", "files:read", "--ttl", ttl, "--subject", "bench"],
                   environment: environment, check: true)
    }

    /// Peak resident set (VmHWM, KiB) of process `pid` (this process: `getpid()`), or 0 once it is gone.
    static func peakRSS(_ pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
        }
        return 0
    }

    /// Waits until `url` answers 200 (curl), for at most `seconds`.
    static func waitUntilReady(_ url: String, seconds: Double = 30) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? output("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", url])) == "200" { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("\(url) did not become ready within \(Int(seconds)) s")
    }

    /// Prints a progress line on stderr.
    static func log(_ message: String) {
        FileHandle.standardError.write(Data("[bench] \(message)\n".utf8))
    }
}

func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }
func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }
func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
func round4(_ x: Double) -> Double { (x * 10000).rounded() / 10000 }
