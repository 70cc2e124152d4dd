import Foundation
import NIOPosix

/// Runs blocking work (file reads, child processes) on NIO's blocking-I/O thread pool, never on the Swift
/// concurrency pool.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(body)
}

/// A finished child process: its status and output (stdout and stderr together, trimmed).
struct ToolRun: Sendable {
    var status: Int32
    var output: String

    /// Runs `arguments[0]` with the rest in `directory`, killed after `timeout` seconds. Blocking: call it through ``offPool(_:)``.
    static func run(_ arguments: [String], in directory: URL, timeout: Double = 300) throws -> ToolRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.currentDirectoryURL = directory
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("readiness-\(UUID().uuidString).out")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        let handle = try FileHandle(forWritingTo: out)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline { process.terminate() }
            usleep(20_000)
        }
        try? handle.close()
        let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        return ToolRun(status: process.terminationStatus, output: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The last `n` lines of the output, for the evidence.
    func tail(_ n: Int = 3) -> String {
        output.split(separator: "\n").suffix(n).joined(separator: " | ")
    }
}
