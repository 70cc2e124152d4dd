import Foundation
import JobKit
import Logging
import PostgresNIO

/// Helpers shared by the benchmarks that drive real `filestore` processes and command-line tools.
enum BenchSupport {
    /// A logger that only reports errors.
    static var quietLogger: Logger {
        var l = Logger(label: "bench")
        l.logLevel = .error
        return l
    }

    /// This executable, for starting `serve` and `work` children.
    static var executable: URL { URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath() }

    /// Drops and creates `name` on `server`, migrates it, and returns its configuration.
    static func freshDatabase(_ name: String, on server: DatabaseConfiguration) async throws -> DatabaseConfiguration {
        let connection = try await server.connect(logger: quietLogger)
        try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)"), logger: quietLogger)
        try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(name)\""), logger: quietLogger)
        try await connection.close()
        let db = server.with(database: name)
        try await DatabaseOptions.run(db) { postgres in
            _ = try await Migrator(postgres: postgres, logger: quietLogger).migrate(try loadMigrations(nil))
        }
        return db
    }

    /// Runs `path args…`, failing unless it exits 0.
    static func run(_ path: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CLIError("\(path) \(args.joined(separator: " ")) failed (exit \(p.terminationStatus))") }
    }

    /// Runs `path args…` and returns its standard output, trimmed.
    static func output(_ path: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Peak resident set (VmHWM, KiB) of process `pid`, or 0 once it is gone.
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
        throw CLIError("\(url) did not become ready within \(Int(seconds)) s")
    }

    static func log(_ message: String) {
        FileHandle.standardError.write(Data("[bench] \(message)\n".utf8))
    }
}

func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }
func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }
func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
func round4(_ x: Double) -> Double { (x * 10000).rounded() / 10000 }
