import Foundation
import TestSupport

/// The Python receiver (`Tests/webhook-receiver/receiver.py`, verifying with PyPI's `standardwebhooks`) as a child
/// process: its port, what it logged, and its answer (`status(…)` writes the file it reads per request).
final class WebhookReceiver: @unchecked Sendable {
    let process: Process
    let port: Int
    let logURL: URL
    let statusURL: URL
    let dir: URL

    struct Entry: Decodable, Sendable {
        var id: String?
        var type: String?
        var file_id: String?
        var verified: [Int]
        var signatures: Int
        var status: Int
        var at: Double
    }

    static var python: String {
        ProcessInfo.processInfo.environment["FILESTORE_TEST_PYTHON"] ?? TestDatabase.repositoryRoot.appendingPathComponent(".data/venv/bin/python").path
    }

    init(secrets: [String], noVerify: Bool = false) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("receiver-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        logURL = dir.appendingPathComponent("log.jsonl")
        statusURL = dir.appendingPathComponent("status")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.python)
        p.arguments = [TestDatabase.repositoryRoot.appendingPathComponent("Tests/webhook-receiver/receiver.py").path,
                       "--secrets", secrets.joined(separator: ","), "--log", logURL.path, "--status-file", statusURL.path]
            + (noVerify ? ["--no-verify"] : [])
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("port "), let port = Int(text.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            p.terminate()
            throw ReceiverFailed(output: text)
        }
        self.port = port
    }

    struct ReceiverFailed: Error { var output: String }

    var url: String { "http://127.0.0.1:\(port)/hook" }

    /// Answers `status` from now on (`nil`: 204 again); `"429:5"` adds `Retry-After: 5`.
    func answer(_ status: String?) throws {
        if let status { try status.write(to: statusURL, atomically: true, encoding: .utf8) } else { try? FileManager.default.removeItem(at: statusURL) }
    }

    func entries() throws -> [Entry] {
        let text = try String(contentsOf: logURL, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Entry.self, from: Data($0.utf8)) }
    }

    /// Stops the receiver: SIGTERM, then SIGKILL if it has not gone within 2 s (a receiver stuck in a handler
    /// once kept a whole test run waiting), so that this never blocks for long.
    func stop() {
        if process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let killed = Date().addingTimeInterval(2)
        while process.isRunning && Date() < killed { usleep(20_000) }
        try? FileManager.default.removeItem(at: dir)
    }

    deinit { if process.isRunning { process.terminate() } }
}
