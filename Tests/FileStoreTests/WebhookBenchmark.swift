import Domain
import FileCore
import Foundation
import JobKit
import Jobs
import PostgresNIO
import Storage
import TestSupport
import Testing

/// The relay benchmark (run with `FILESTORE_WEBHOOK_BENCH=1 swift test --skip-build --filter WebhookBenchmark`;
/// `FILESTORE_WEBHOOK_BENCH_N` events, default 2000): events/s to one receiver endpoint and to 100 endpoints,
/// commit→delivery p50/p99 when idle, and the receiver's own ceiling under `wrk` with a signed request, in the same
/// run. Appends one JSON line to `perf/webhooks-results.jsonl`.
final class ResultBox: @unchecked Sendable { var values: [String: any Sendable] = [:] }

@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["FILESTORE_WEBHOOK_BENCH"] == "1"))
struct WebhookBenchmark {
    static var n: Int { Int(ProcessInfo.processInfo.environment["FILESTORE_WEBHOOK_BENCH_N"] ?? "") ?? 2000 }

    /// Writes `count` outbox events (as the upload transaction does, relay job included) in transactions of 100.
    static func writeEvents(_ h: RelayHarness, count: Int) async throws {
        let tenant = RelayHarness.writer.tenant
        let repo = FileRepository(logger: TestDatabase.logger)
        var left = count
        while left > 0 {
            let batch = min(100, left)
            try await h.core.database.transaction(tenant) { tx in
                try await TenantRepository(logger: TestDatabase.logger).ensureTenant(tenant, on: tx)
                for _ in 0..<batch {
                    let id = PrefixedID(.file)
                    let file = FileRecord(id: id, tenant: tenant, state: .uploaded, objectKey: try ObjectKey(tenant: tenant, file: id), originalName: nil,
                                          declaredType: nil, contentType: "text/plain", size: 10, sha256: String(repeating: "a", count: 64),
                                          urlGeneration: 1, createdAt: Date(), updatedAt: Date())
                    try await repo.outbox(file, topic: "file.uploaded.v1", traceContext: nil, on: tx)
                }
            }
            left -= batch
        }
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let s = values.sorted()
        guard !s.isEmpty else { return .nan }
        return s[min(s.count - 1, Int((Double(s.count) * p).rounded(.up)) - 1)]
    }

    static func loadAverage() -> String { (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?" }

    /// The receiver's ceiling: `wrk` POSTing one signed message (timestamp fresh for the run) for `seconds`.
    static func receiverCeiling(_ receiver: WebhookReceiver, secret: String, seconds: Int = 10) throws -> Double {
        let body = #"{"type":"file.uploaded.v1","timestamp":"2026-12-02T10:00:00Z","data":{"file_id":"med_bench"}}"#
        let headers = WebhookSigner.headers(id: "evt_bench", timestamp: Int(Date().timeIntervalSince1970), body: Array(body.utf8), secrets: [secret])
        var lua = "wrk.method = \"POST\"\nwrk.body = [[\(body)]]\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
        for (k, v) in headers { lua += "wrk.headers[\"\(k)\"] = \"\(v)\"\n" }
        let script = receiver.dir.appendingPathComponent("post.lua")
        try lua.write(to: script, atomically: true, encoding: .utf8)
        let (_, output) = try runTool("/usr/bin/wrk", ["-t2", "-c16", "-d\(seconds)s", "-s", script.path, receiver.url])
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }),
              let rate = Double(line.split(separator: " ").last ?? "") else { return .nan }
        return rate
    }

    @Test func relayThroughputLatencyAndTheReceiversCeiling() async throws {
        let box = ResultBox()
        box.values = ["at": ISO8601DateFormatter().string(from: Date()), "n": Self.n, "loadavg_before": Self.loadAverage()]
        try await RelayHarness.with(schedule: [1, 1, 1], concurrency: 32) { h in
            // 1. One endpoint.
            let one = try await h.core.webhooks.create(url: "http://127.0.0.1:1/x", topics: ["file.*"], description: nil, as: RelayHarness.writer)
            let receiver = try WebhookReceiver(secrets: [one.secret])
            defer { receiver.stop() }
            _ = try await h.core.webhooks.update(one.id, .init(url: receiver.url), as: RelayHarness.writer)
            try await Self.writeEvents(h, count: Self.n)
            let started = Date()
            try await h.withRelay {
                try await eventually("\(Self.n) events at one endpoint", timeout: .seconds(600)) { try receiver.entries().delivered.count >= Self.n }
            }
            let oneRate = Double(Self.n) / Date().timeIntervalSince(started)
            box.values["one_endpoint_events_per_s"] = (oneRate * 10).rounded() / 10
            // 2. The receiver's ceiling, same receiver, same machine, right after.
            let ceiling = try Self.receiverCeiling(receiver, secret: one.secret)
            box.values["receiver_ceiling_requests_per_s"] = (ceiling * 10).rounded() / 10
            box.values["one_endpoint_vs_ceiling"] = ((oneRate / ceiling) * 1000).rounded() / 1000
            // 3. Idle commit→delivery: one upload at a time, the relay waiting.
            var latencies: [Double] = []
            try await h.withRelay {
                try await Task.sleep(for: .seconds(1))
                for i in 0..<50 {
                    let before = try receiver.entries().count
                    _ = try await h.upload(1)
                    let committed = Date().timeIntervalSince1970
                    try await eventually("idle delivery \(i)", timeout: .seconds(30)) { try receiver.entries().count > before }
                    if let at = try receiver.entries().last?.at { latencies.append((at - committed) * 1000) }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            box.values["idle_commit_to_delivery_p50_ms"] = (Self.percentile(latencies, 0.5) * 100).rounded() / 100
            box.values["idle_commit_to_delivery_p99_ms"] = (Self.percentile(latencies, 0.99) * 100).rounded() / 100
            // 4. 100 endpoints (paths of the same receiver, each its own endpoint and secret verified by the receiver).
            try await h.execute("DELETE FROM webhook_endpoints")
            var secrets: [String] = []
            var ids: [PrefixedID] = []
            for i in 0..<100 {
                let e = try await h.core.webhooks.create(url: "http://127.0.0.1:1/\(i)", topics: ["file.*"], description: nil, as: RelayHarness.writer)
                secrets.append(e.secret)
                ids.append(e.id)
            }
            let many = try WebhookReceiver(secrets: secrets)
            defer { many.stop() }
            for (i, id) in ids.enumerated() { _ = try await h.core.webhooks.update(id, .init(url: "\(many.url)/\(i)"), as: RelayHarness.writer) }
            let events = max(1, Self.n / 100)
            try await Self.writeEvents(h, count: events)
            let manyStarted = Date()
            try await h.withRelay {
                try await eventually("\(events * 100) deliveries to 100 endpoints", timeout: .seconds(900)) {
                    try many.entries().delivered.count >= events * 100
                }
            }
            let manyRate = Double(events * 100) / Date().timeIntervalSince(manyStarted)
            box.values["hundred_endpoints_deliveries_per_s"] = (manyRate * 10).rounded() / 10
            box.values["hundred_endpoints_events"] = events
            #expect(try many.entries().allSatisfy { !$0.verified.isEmpty })
        }
        box.values["loadavg_after"] = Self.loadAverage()
        box.values["machine"] = "\(ProcessInfo.processInfo.activeProcessorCount) cores, shared (see loadavg)"
        let data = try JSONSerialization.data(withJSONObject: box.values.mapValues { $0 as Any }, options: [.sortedKeys])
        let url = TestDatabase.repositoryRoot.appendingPathComponent("perf/webhooks-results.jsonl")
        if !FileManager.default.fileExists(atPath: url.path) { FileManager.default.createFile(atPath: url.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        try handle.write(contentsOf: data + Data("\n".utf8))
        try handle.close()
        print("webhook benchmark: \(String(decoding: data, as: UTF8.self))")
    }
}
