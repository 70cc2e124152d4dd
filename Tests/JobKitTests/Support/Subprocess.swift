import TestSupport
import Foundation
import JobKit

/// Runs the built `filestore` binary, the way an operator does.
enum FilestoreBinary {
    static var url: URL {
        if let explicit = ProcessInfo.processInfo.environment["FILESTORE_BIN"] { return URL(fileURLWithPath: explicit) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("filestore")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The child's environment: ours, the database, and `extra` (never set with setenv: tests run in parallel).
    static func environment(_ config: DatabaseConfiguration, _ extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = "postgres://\(config.username)@\(config.host):\(config.port)/\(config.database)"
        env["LOG_LEVEL"] = "warning"
        env.merge(extra) { $1 }
        return env
    }

    /// Runs to completion and captures its output.
    static func run(_ arguments: [String], database: DatabaseConfiguration, env extra: [String: String] = [:]) async throws -> Result {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = environment(database, extra)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read before waiting, so a large output cannot block the child.
        async let o = Task.detached { out.fileHandleForReading.readDataToEndOfFile() }.value
        async let e = Task.detached { err.fileHandleForReading.readDataToEndOfFile() }.value
        let (od, ed) = await (o, e)
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: od, as: UTF8.self), stderr: String(decoding: ed, as: UTF8.self))
    }

    /// Starts a long-running subcommand (e.g. `work`), its output going to `log`.
    static func start(_ arguments: [String], database: DatabaseConfiguration, log: URL, env extra: [String: String] = [:]) throws -> Process {
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

/// Runs curl quietly; the output ends with a line holding the HTTP status.
func curl(_ args: [String]) throws -> String {
    try runTool("/usr/bin/curl", ["-s", "-w", "\n%{http_code}"] + args).output
}
