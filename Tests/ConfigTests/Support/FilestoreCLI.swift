import Foundation
import JobKit

/// Runs the built `filestore` binary with exactly the environment given (plus PATH and HOME), so that no
/// setting of the test runner leaks in.
enum FilestoreCLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var url: URL {
        if let explicit = ProcessInfo.processInfo.environment["FILESTORE_BIN"] { return URL(fileURLWithPath: explicit) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("filestore")
    }

    /// `DATABASE_URL` for `config`, without a password (the test cluster trusts loopback).
    static func databaseURL(_ config: DatabaseConfiguration) -> String {
        "postgres://\(config.username)@\(config.host):\(config.port)/\(config.database)"
    }

    /// Runs to completion (killed after `timeout`) and captures its output.
    static func run(_ arguments: [String], env: [String: String] = [:], timeout: Duration = .seconds(60)) async throws -> Result {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        var environment = ["LOG_LEVEL": "warning"]
        for name in ["PATH", "HOME"] { environment[name] = ProcessInfo.processInfo.environment[name] }
        process.environment = environment.merging(env) { $1 }
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
        async let o = Task.detached { out.fileHandleForReading.readDataToEndOfFile() }.value
        async let e = Task.detached { err.fileHandleForReading.readDataToEndOfFile() }.value
        let (od, ed) = await (o, e)
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        return Result(status: process.terminationStatus, stdout: String(decoding: od, as: UTF8.self), stderr: String(decoding: ed, as: UTF8.self))
    }
}
