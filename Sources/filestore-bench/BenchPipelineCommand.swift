import ArgumentParser
import Foundation
import JobKit
import PostgresNIO

/// The pipeline benchmark. It uploads a corpus (distinct JPEG photographs, random binaries, text) through a
/// real `filestore serve`, then times real `filestore work` processes through the `scan` and then the
/// `optimize` queue, each started with its queue paused and timed from the resume, so engine loading is not
/// counted. In the same run it times the references on the same bytes: a plain libclamav loop (one engine,
/// compiled once, `cl_scandesc` file after file) and `vipsthumbnail` making the same three outputs. Every
/// worker concurrency in `--concurrency` gets its own fresh upload of the corpus. Prints one JSON line. A
/// worker's peak RSS is its VmHWM read from `/proc` just before it is stopped.
struct BenchPipelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pipeline",
                                                    abstract: "Scan MB/s and optimized images/s against libclamav and vipsthumbnail (one JSON line).")

    @Option(help: "Distinct JPEG images in the corpus.") var images = 40
    @Option(help: "Image width in pixels.") var width = 3000
    @Option(help: "Image height in pixels.") var height = 2000
    @Option(help: "Random binary files in the corpus.") var binaries = 6
    @Option(name: .customLong("binary-mib"), help: "Size of each binary file in MiB.") var binaryMiB = 16
    @Option(help: "Text files in the corpus.") var texts = 4
    @Option(name: .customLong("text-mib"), help: "Size of each text file in MiB.") var textMiB = 4
    @Option(name: .customLong("clamav-db"), help: "Signature folder (default: a generated one with --signatures synthetic body signatures).")
    var clamavDB: String?
    @Option(help: "Synthetic signatures to generate when no --clamav-db is given.") var signatures = 100_000
    @Option(help: "Worker concurrencies to measure (jobs at once per queue), comma-separated.") var concurrency = "1,2"
    @Option(help: "Working folder (corpus, blobs, signatures); removed afterwards.") var dir = ".data/bench-pipeline"
    @Option(name: .customLong("dsn-base"), help: "Server URL without database (default: the cluster of scripts/pg.sh).")
    var dsnBase = "postgres://filestore@127.0.0.1:\(ProcessInfo.processInfo.environment["FILESTORE_PG_PORT"] ?? "5544")"
    @Option(help: "API port for the benchmark server.") var port = 18081
    @Option(name: .customLong("worker-port"), help: "Ops port of the benchmark workers.") var workerPort = 19464
    @Option(help: "Seconds a phase may take.") var timeout = 900.0
    @OptionGroup var product: ProductOptions

    func run() async throws {
        let concurrencies = try concurrency.split(separator: ",").map { part -> Int in
            guard let n = Int(part), n > 0 else { throw ValidationError("--concurrency takes positive integers, e.g. 1,2") }
            return n
        }
        let product = try self.product.executable()
        let server = try DatabaseConfiguration(url: dsnBase + "/postgres")
        let db = try await BenchSupport.freshDatabase("filestore_bench_pipeline", on: server, product: product)
        let root = URL(fileURLWithPath: dir).standardizedFileURL
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }

        BenchSupport.log("generating the corpus")
        let corpus = try BenchCorpus.generate(in: root.appendingPathComponent("corpus"), images: images, width: width, height: height,
                                              binaries: binaries, binaryMiB: binaryMiB, texts: texts, textMiB: textMiB)
        let signatureDir: URL
        if let clamavDB {
            signatureDir = URL(fileURLWithPath: clamavDB)
        } else {
            signatureDir = root.appendingPathComponent("signatures")
            try BenchCorpus.writeSignatures(in: signatureDir, count: signatures)
        }

        // References, on the corpus files (the same bytes the workers scan and optimize).
        BenchSupport.log("reference: plain libclamav loop")
        let loop = try PlainClamAVLoop.run(signatures: signatureDir, files: corpus.all)
        BenchSupport.log("reference: vipsthumbnail")
        let vipsSeconds = try BenchCorpus.vipsthumbnailReference(corpus.images, scratch: root.appendingPathComponent("vipsthumbnail"))

        // The product: API → scan worker → optimize worker.
        let blobs = root.appendingPathComponent("blobs")
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = db.url
        env["FILESTORE_JWT_KEYS"] = "bench=" + String(repeating: "b", count: 40)
        env["FILESTORE_URL_KEYS"] = "bench=" + String(repeating: "u", count: 40)
        env["FILESTORE_BLOB_DIR"] = blobs.path
        env["FILESTORE_CLAMAV_DB"] = signatureDir.path
        env["LOG_LEVEL"] = "error"
        let serve = try BenchChild(product, ["serve", "--api-port", "\(port)", "--rate-limits", "off"], environment: env)
        defer { serve.stop() }
        let base = "http://127.0.0.1:\(port)"
        try await BenchSupport.waitUntilReady(base + "/readyz")
        let token = try BenchSupport.token(product: product, environment: env, ttl: "2h")

        var runs: [[String: Any]] = []
        try await BenchSupport.withPostgres(db) { postgres in
            let client = JobClient(postgres: postgres, logger: BenchSupport.quietLogger)
            for c in concurrencies {
                try await client.setPaused(true, queue: "scan")
                try await client.setPaused(true, queue: "optimize")
                BenchSupport.log("concurrency \(c): uploading \(corpus.all.count) files")
                try upload(corpus.all, to: base, token: token, scratch: root)
                let scan = try await phase("scan", concurrency: c, expected: corpus.all.count, env: env, product: product, client: client, postgres: postgres)
                let optimize = try await phase("optimize", concurrency: c, expected: corpus.all.count, env: env, product: product, client: client, postgres: postgres)
                let ready = try await readyImages(postgres)
                let scanMBps = Double(corpus.totalBytes) / 1_000_000 / scan.seconds
                let imagesPerSecond = Double(corpus.images.count) / optimize.seconds
                runs.append([
                    "concurrency": c,
                    "scan_s": round3(scan.seconds), "scan_mb_per_s": round1(scanMBps),
                    "scan_vs_libclamav_loop": round3(scanMBps / loop.mbPerSecond(corpus.totalBytes)),
                    "scan_worker_peak_rss_kib": scan.peakRSSKiB,
                    "optimize_s": round3(optimize.seconds), "images_per_s": round2(imagesPerSecond),
                    "images_vs_vipsthumbnail": round3(imagesPerSecond / (Double(corpus.images.count) / vipsSeconds)),
                    "optimize_worker_peak_rss_kib": optimize.peakRSSKiB,
                    "images_with_three_variants": ready,
                ])
                BenchSupport.log("concurrency \(c): scan \(round1(scanMBps)) MB/s, optimize \(round2(imagesPerSecond)) images/s")
            }
        }
        let result: [String: Any] = [
            "bench": "pipeline",
            "corpus": ["images": corpus.images.count, "image_size": "\(width)x\(height)", "image_bytes": corpus.imageBytes,
                       "binaries": binaries, "binary_mib": binaryMiB, "texts": texts, "text_mib": textMiB, "total_bytes": corpus.totalBytes],
            "signatures": ["folder": clamavDB ?? "generated", "count": loop.signatures],
            "libclamav_loop": ["seconds": round3(loop.seconds), "mb_per_s": round1(loop.mbPerSecond(corpus.totalBytes)),
                               "threads": 1, "engine": "compiled once, cl_scandesc per file, same limits and options as the worker"],
            "vipsthumbnail": ["seconds": round3(vipsSeconds), "images_per_s": round2(Double(corpus.images.count) / vipsSeconds),
                              "outputs": "thumb 256 px WebP, preview 1600 px WebP, full-size JPEG, all [strip] (the worker's three variants)"],
            "runs": runs,
            "env": ["cpus": ProcessInfo.processInfo.activeProcessorCount],
        ]
        let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// Uploads every file with curl, four at a time; every answer must be 201.
    func upload(_ files: [URL], to base: String, token: String, scratch: URL) throws {
        var config = ""
        for (i, file) in files.enumerated() {
            if i > 0 { config += "next\n" }
            config += "url = \"\(base)/v1/files\"\nsilent\nrequest = \"POST\"\nheader = \"Authorization: Bearer \(token)\"\n"
                + "header = \"Upload-Filename: \(file.lastPathComponent)\"\n"
                + "data-binary = \"@\(file.path)\"\noutput = \"/dev/null\"\nwrite-out = \"%{http_code}\\\\n\"\n"
        }
        let configFile = scratch.appendingPathComponent("upload.curl")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        let codes = try BenchSupport.output("/usr/bin/curl", ["-s", "--parallel", "--parallel-max", "4", "--config", configFile.path])
        let created = codes.split(separator: "\n").filter { $0 == "201" }.count
        guard created == files.count else { throw BenchError("uploads answered \(codes.split(separator: "\n").joined(separator: ","))") }
    }

    struct Phase { var seconds: Double; var peakRSSKiB: Int }

    /// Starts a worker on `queue` (paused), waits until it is ready, resumes the queue and times it until
    /// `expected` more jobs of that kind have completed.
    func phase(_ queue: String, concurrency: Int, expected: Int, env: [String: String], product: URL, client: JobClient,
               postgres: PostgresClient) async throws -> Phase {
        let done = "SELECT count(*)::int8 FROM jobkit.jobs WHERE kind = '\(queue)' AND state = 'completed'"
        let before = try await postgres.scalarInt(done)
        let worker = try BenchChild(product, ["work", "--queues", "\(queue):\(concurrency)", "--http-port", "\(workerPort)", "--no-maintenance"],
                                    environment: env)
        defer { worker.stop() }
        try await BenchSupport.waitUntilReady("http://127.0.0.1:\(workerPort)/readyz", seconds: 120)
        let start = ContinuousClock.now
        try await client.setPaused(false, queue: queue)
        let deadline = Date().addingTimeInterval(timeout)
        while try await postgres.scalarInt(done) < before + expected {
            guard Date() < deadline, worker.isRunning else {
                let states = try await postgres.scalarText("SELECT string_agg(state || ':' || n, ', ') FROM (SELECT state, count(*) AS n FROM jobkit.jobs WHERE kind = '\(queue)' GROUP BY state) s")
                throw BenchError("\(queue) phase did not finish (jobs: \(states))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let seconds = (ContinuousClock.now - start).seconds
        try await client.setPaused(true, queue: queue)
        return Phase(seconds: seconds, peakRSSKiB: worker.stop().peakRSSKiB)
    }

    /// Images of the bench tenant that ended ready with their three variants.
    func readyImages(_ postgres: PostgresClient) async throws -> Int {
        try await postgres.withTransaction(logger: BenchSupport.quietLogger) { tx in
            try await tx.query("SELECT set_config('app.tenant_id', 'bench', true)", logger: BenchSupport.quietLogger)
            let rows = try await tx.query("""
                SELECT count(*)::int8 FROM files f WHERE f.state = 'ready'
                  AND (SELECT count(*) FROM file_variants v WHERE v.file_id = f.id) = 3
                """, logger: BenchSupport.quietLogger)
            for try await n in rows.decode(Int64.self) { return Int(n) }
            return 0
        }
    }
}
