import Foundation
import JobKit
import TestSupport

/// The `filestore work --queues webhooks` process of ``WebhookBenchmark``: the product's own relay, configured
/// only by its environment (the database as the service role, private addresses allowed for the local
/// receiver), started and stopped between the benchmark's phases.
final class RelayProcess: @unchecked Sendable {
    let database: DatabaseConfiguration
    let blobs: URL
    let opsPort: Int
    private var process: Process?

    init(database: DatabaseConfiguration, blobs: URL, opsPort: Int = Int(ProcessInfo.processInfo.environment["FILESTORE_WEBHOOK_BENCH_OPS_PORT"] ?? "") ?? 19464) {
        self.database = database
        self.blobs = blobs
        self.opsPort = opsPort
    }

    var logURL: URL { blobs.appendingPathComponent("work.log") }

    /// Starts the worker (unless it runs) and waits until its /readyz answers 200.
    func start() throws {
        if process?.isRunning == true { return }
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = FilestoreBinary.url
        p.arguments = ["work"]
        p.environment = FilestoreBinary.isolatedEnvironment([
            "DATABASE_URL": FilestoreBinary.databaseURL(database), "FILESTORE_QUEUES": "webhooks", "FILESTORE_WEBHOOK_ALLOW_PRIVATE": "true",
            "FILESTORE_BLOB_DIR": blobs.path, "FILESTORE_OPS_PORT": "\(opsPort)", "FILESTORE_SHUTDOWN_GRACE": "5",
        ])
        if !FileManager.default.fileExists(atPath: logURL.path) { FileManager.default.createFile(atPath: logURL.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: logURL)
        try handle.seekToEnd()
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if try runTool("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(opsPort)/readyz"]).output == "200" { return }
            guard p.isRunning else { break }
            usleep(50_000)
        }
        throw WorkerFailed(log: (try? String(contentsOf: logURL, encoding: .utf8)) ?? "")
    }

    /// SIGTERM and wait (SIGKILL after 15 s).
    func stop() {
        guard let p = process, p.isRunning else { return }
        p.terminate()
        let deadline = Date().addingTimeInterval(15)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
    }

    struct WorkerFailed: Error, CustomStringConvertible {
        var log: String
        var description: String { "filestore work did not become ready:\n\(log.suffix(4000))" }
    }
}

/// The receiver's access log: one line per request, `<unix seconds.ms> <webhook-id> <path>`.
struct ReceiverLog: Sendable {
    let url: URL

    struct Line: Sendable { var at: Double, id: String, path: String }

    /// The log's length in bytes now: a mark to read from.
    func size() throws -> UInt64 {
        (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// The complete lines written after byte `mark` that carry a `webhook-id`.
    func lines(after mark: UInt64) throws -> [Line] {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        try handle.seek(toOffset: mark)
        let text = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var complete = text.split(separator: "\n", omittingEmptySubsequences: true)
        if !text.hasSuffix("\n"), !complete.isEmpty { complete.removeLast() }
        return complete.compactMap { raw in
            let f = raw.split(separator: " ")
            guard f.count >= 3, let at = Double(f[0]), f[1] != "-" else { return nil }
            return Line(at: at, id: String(f[1]), path: String(f[2]))
        }
    }
}
