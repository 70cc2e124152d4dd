import ArgumentParser
import Foundation
import JobKit

/// The upload benchmark: one large streaming upload (peak server RSS and throughput against `dd … conv=fsync`
/// to the same disk, in the same run) and many small uploads from 16 concurrent clients. It starts a real
/// `filestore serve` on a fresh database and drives it with curl. Prints one JSON line. Server RSS is its
/// VmHWM (peak) read from `/proc` before the run, after the large upload and at the end.
struct BenchUploadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "upload", abstract: "Upload throughput, memory and small-file rate (one JSON line).")

    @Option(name: .customLong("size-mib"), help: "Size of the large upload in MiB.") var sizeMiB = 1024
    @Option(name: .customLong("small-files"), help: "How many small files.") var smallFiles = 2000
    @Option(name: .customLong("small-kib"), help: "Size of each small file in KiB.") var smallKiB = 4
    @Option(help: "Concurrent clients for the small files.") var clients = 16
    @Option(help: "Where blobs (and the dd baseline) are written.") var dir = ".data/bench-upload"
    @Option(name: .customLong("dsn-base"), help: "Server URL without database (default: the cluster of scripts/pg.sh).")
    var dsnBase = "postgres://filestore@127.0.0.1:\(ProcessInfo.processInfo.environment["FILESTORE_PG_PORT"] ?? "5544")"
    @Option(help: "API port for the benchmark server.") var port = 18080
    @OptionGroup var product: ProductOptions

    func run() async throws {
        let product = try self.product.executable()
        let server = try DatabaseConfiguration(url: dsnBase + "/postgres")
        let db = try await BenchSupport.freshDatabase("filestore_bench_upload", on: server, product: product)
        let root = URL(fileURLWithPath: dir).standardizedFileURL
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }

        // The disk's own pace: dd with an fsync at the end, same size, same folder.
        let ddStart = Date()
        try BenchSupport.run("/bin/dd", ["if=/dev/zero", "of=\(root.path)/dd.bin", "bs=1M", "count=\(sizeMiB)", "conv=fsync", "status=none"])
        let ddSeconds = Date().timeIntervalSince(ddStart)
        try? FileManager.default.removeItem(at: root.appendingPathComponent("dd.bin"))

        let jwtKey = "bench=" + String(repeating: "b", count: 40)
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = db.url
        env["FILESTORE_JWT_KEYS"] = jwtKey
        env["FILESTORE_URL_KEYS"] = "bench=" + String(repeating: "u", count: 40)
        env["FILESTORE_BLOB_DIR"] = root.appendingPathComponent("blobs").path
        env["LOG_LEVEL"] = "error"
        let serve = try BenchChild(product, ["serve", "--api-port", "\(port)", "--max-upload-bytes", "\(Int64(sizeMiB + 1) << 20)", "--rate-limits", "off"],
                                   environment: env)
        defer { serve.stop() }
        let token = try BenchSupport.token(product: product, environment: env, ttl: "1h")
        let base = "http://127.0.0.1:\(port)"
        try await BenchSupport.waitUntilReady(base + "/readyz")
        let rssBefore = serve.peakRSSKiB

        // One large upload, streamed from /dev/zero through curl (chunked, no Content-Length).
        let bigStart = Date()
        let code = try BenchSupport.output("/bin/sh", ["-c", "head -c \(sizeMiB)M /dev/zero | /usr/bin/curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer \(token)' -H 'Content-Type: application/octet-stream' -T - \(base)/v1/files"])
        let bigSeconds = Date().timeIntervalSince(bigStart)
        guard code == "201" else { throw BenchError("large upload answered \(code)") }
        let rssAfterBig = serve.peakRSSKiB

        // Many small uploads: curl's parallel mode, `clients` transfers at a time.
        let small = root.appendingPathComponent("small.bin")
        try Data((0..<(smallKiB * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: small)
        var config = ""
        for i in 0..<smallFiles {
            if i > 0 { config += "next\n" }
            config += "url = \"\(base)/v1/files\"\nsilent\nrequest = \"POST\"\nheader = \"Authorization: Bearer \(token)\"\n"
                + "data-binary = \"@\(small.path)\"\noutput = \"/dev/null\"\nwrite-out = \"%{http_code}\\\\n\"\n"
        }
        let configFile = root.appendingPathComponent("small.curl")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        let smallStart = Date()
        let codes = try BenchSupport.output("/usr/bin/curl", ["-s", "--parallel", "--parallel-max", "\(clients)", "--config", configFile.path])
        let smallSeconds = Date().timeIntervalSince(smallStart)
        let created = codes.split(separator: "\n").filter { $0 == "201" }.count
        let rssPeak = serve.peakRSSKiB

        let mib = Double(sizeMiB)
        let result: [String: Any] = [
            "bench": "upload", "size_mib": sizeMiB,
            "dd_fsync_s": round3(ddSeconds), "dd_fsync_mib_per_s": round1(mib / ddSeconds),
            "upload_s": round3(bigSeconds), "upload_mib_per_s": round1(mib / bigSeconds),
            "upload_vs_dd": round3(ddSeconds / bigSeconds),
            "server_rss_kib_before": rssBefore, "server_peak_rss_kib_after_large": rssAfterBig, "server_peak_rss_kib": rssPeak,
            "small_files": smallFiles, "small_kib": smallKiB, "clients": clients, "small_created": created,
            "small_s": round3(smallSeconds), "small_uploads_per_s": round1(Double(created) / smallSeconds),
        ]
        let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
