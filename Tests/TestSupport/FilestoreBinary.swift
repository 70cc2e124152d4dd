import Foundation
import JobKit

/// Runs the built `filestore` binary the way an operator does (`$FILESTORE_BIN`, else the one beside the test
/// bundle), for the tests of processes and of the command line.
public enum FilestoreBinary {
    public static var url: URL {
        if let explicit = ProcessInfo.processInfo.environment["FILESTORE_BIN"] { return URL(fileURLWithPath: explicit) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("filestore")
    }

    /// What a finished run printed and how it exited.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// `DATABASE_URL` for `config`, without a password (the test cluster trusts loopback).
    public static func databaseURL(_ config: DatabaseConfiguration) -> String {
        "postgres://\(config.username)@\(config.host):\(config.port)/\(config.database)"
    }

    /// The child's environment: ours, the database, and `extra` (never set with setenv: tests run in parallel).
    public static func environment(_ config: DatabaseConfiguration, _ extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = databaseURL(config)
        env["LOG_LEVEL"] = "warning"
        env.merge(extra) { $1 }
        return env
    }

    /// Only PATH and HOME of ours, `LOG_LEVEL=warning`, and `extra`: no setting of the test runner leaks in.
    public static func isolatedEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        var env = ["LOG_LEVEL": "warning"]
        for name in ["PATH", "HOME"] { env[name] = ProcessInfo.processInfo.environment[name] }
        return env.merging(extra) { $1 }
    }

    /// Runs to completion with exactly `environment` (killed after `timeout`) and captures its output.
    public static func run(_ arguments: [String], environment: [String: String], timeout: Duration = .seconds(120)) async throws -> Result {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        defer { watchdog.cancel() }
        // Read before waiting, so a large output cannot block the child.
        async let o = PipeReader.readToEnd(out)
        async let e = PipeReader.readToEnd(err)
        let (od, ed) = await (o, e)
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        return Result(status: process.terminationStatus, stdout: String(decoding: od, as: UTF8.self), stderr: String(decoding: ed, as: UTF8.self))
    }

    /// Runs to completion against `database`, with our environment and `extra`.
    public static func run(_ arguments: [String], database: DatabaseConfiguration, env extra: [String: String] = [:]) async throws -> Result {
        try await run(arguments, environment: environment(database, extra))
    }

    /// Starts a long-running subcommand (e.g. `work`), its output going to `log`.
    public static func start(_ arguments: [String], database: DatabaseConfiguration, log: URL, env extra: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = environment(database, extra)
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }
}
