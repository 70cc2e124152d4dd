import Foundation

/// A process a benchmark starts and stops: `filestore serve`, `filestore work` or `filestore-bench
/// queue-worker`. Stopping reads the child's peak RSS from `/proc/<pid>/status` just before the SIGTERM, then
/// waits for the exit and, when its stdout is captured, parses the last line it printed as a JSON report.
final class BenchChild {
    let process = Process()
    private let output: Pipe?
    private var lastPeakRSS = 0
    private var stopped: Report?

    /// What a stopped child left behind.
    struct Report {
        /// VmHWM of the child just before it was told to stop, in KiB.
        var peakRSSKiB: Int
        /// The last line of its standard output as a JSON object (empty unless captured and printed).
        var json: [String: Any]
    }

    /// Starts `executable arguments…` with `environment`; `captureOutput` keeps its stdout for ``stop()``
    /// (otherwise it is discarded). Its stderr is this process's.
    init(_ executable: URL, _ arguments: [String], environment: [String: String], captureOutput: Bool = false) throws {
        output = captureOutput ? Pipe() : nil
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = FileHandle.standardError
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var isRunning: Bool { process.isRunning }
    var pid: Int32 { process.processIdentifier }

    /// The child's peak RSS so far (KiB); the last reading once it has exited.
    var peakRSSKiB: Int {
        if process.isRunning { lastPeakRSS = max(lastPeakRSS, BenchSupport.peakRSS(pid)) }
        return lastPeakRSS
    }

    /// Reads the peak RSS, then sends SIGTERM (once): lets several children shut down at the same time.
    func terminate() {
        guard stopped == nil, process.isRunning else { return }
        _ = peakRSSKiB
        kill(pid, SIGTERM)
    }

    /// Terminates the child (if it still runs), waits for its exit and returns its report.
    @discardableResult
    func stop() -> Report {
        if let stopped { return stopped }
        terminate()
        let data = output?.fileHandleForReading.readDataToEndOfFile() ?? Data()
        process.waitUntilExit()
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "{}"
        let json = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        let report = Report(peakRSSKiB: lastPeakRSS, json: json)
        stopped = report
        return report
    }
}
