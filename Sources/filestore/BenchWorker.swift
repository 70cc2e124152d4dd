import Foundation

/// A `filestore work --report-json` child of a benchmark: started with its stdout captured, stopped with
/// SIGTERM, and read for the report it prints on exit (handler calls, peak RSS, latencies).
final class BenchWorker {
    let process = Process()
    private let output = Pipe()
    private var report: [String: Any]?

    /// Starts `filestore work` with `arguments` (which should include `--report-json`) and `environment`.
    init(arguments: [String], environment: [String: String]) throws {
        process.executableURL = BenchSupport.executable
        process.arguments = ["work"] + arguments
        process.environment = environment
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// Sends SIGTERM (once), waits for the exit and returns the report (empty if none was printed).
    @discardableResult
    func stop() -> [String: Any] {
        if let report { return report }
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "{}"
        let parsed = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        report = parsed
        return parsed
    }
}
