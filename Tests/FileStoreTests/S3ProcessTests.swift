import Crypto
import Domain
import Foundation
import Storage
import TestSupport
import Testing

/// `filestore serve` and `filestore work` as an operator runs them on two hosts with `FILESTORE_BLOB_STORE=s3`: each
/// with a blob folder of its own (nothing shared but PostgreSQL and the bucket), a photo uploaded to the API is scanned
/// and optimized by the worker, its variants land in the bucket, and the API serves them; the API's folder holds none
/// of the file's bytes.
@Suite(.enabled(if: S3TestEnvironment.isConfigured, S3TestEnvironment.skipReason))
struct S3ProcessTests {
    func freePort() throws -> Int {
        let taken = try OccupiedPort()
        defer { taken.release() }
        return taken.port
    }

    func curl(_ args: [String]) async throws -> String {
        let r = try await runProcess("/usr/bin/curl", ["-sS", "--max-time", "30"] + args)
        guard r.status == 0 else { throw TLSFileProblem("curl \(args): \(r.stderr)") }
        return r.stdout
    }

    @Test func serveAndWorkOnSeparateFoldersShareOnlyPostgreSQLAndTheBucket() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("s3-hosts-\(UUID())")
            let apiDir = root.appendingPathComponent("api"), workerDir = root.appendingPathComponent("worker")
            for dir in [apiDir, workerDir] { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
            let sigs = try ClamAVTests.signatureDirectory()
            defer { try? FileManager.default.removeItem(at: root); try? FileManager.default.removeItem(at: sigs) }
            let prefix = "runs/\(UUID().uuidString.lowercased())/"
            let s3: [String: String] = [
                "FILESTORE_BLOB_STORE": "s3", "FILESTORE_S3_ENDPOINT": S3TestEnvironment.endpoint.absoluteString,
                "FILESTORE_S3_BUCKET": S3TestEnvironment.bucket, "FILESTORE_S3_KEY_PREFIX": prefix,
                "AWS_ACCESS_KEY_ID": S3TestEnvironment.credentials.accessKeyID, "AWS_SECRET_ACCESS_KEY": S3TestEnvironment.credentials.secretAccessKey,
            ]
            let keys = ["FILESTORE_JWT_KEYS": "k1=" + String(repeating: "s", count: 40), "FILESTORE_URL_KEYS": "u1=" + String(repeating: "u", count: 40)]
            let apiPort = try freePort(), opsPort = try freePort()
            let api = try FilestoreBinary.start(["serve", "--api-port", "\(apiPort)"], database: env.config, log: root.appendingPathComponent("serve.log"),
                                                env: s3.merging(keys) { $1 }.merging(["FILESTORE_BLOB_DIR": apiDir.path]) { $1 })
            let worker = try FilestoreBinary.start(["work", "--queues", "scan,optimize,maintenance", "--http-port", "\(opsPort)"], database: env.config,
                                                   log: root.appendingPathComponent("work.log"),
                                                   env: s3.merging(["FILESTORE_BLOB_DIR": workerDir.path, "FILESTORE_CLAMAV_DB": sigs.path]) { $1 })
            defer { for p in [api, worker] where p.isRunning { kill(p.processIdentifier, SIGKILL) } }
            let issued = try await FilestoreBinary.run(["token", "issue", "--tenant", "acme", "--scope", "files:write", "files:read", "--ttl", "1h"],
                                                       database: env.config, env: keys)
            #expect(issued.status == 0, "\(issued.stderr)")
            let token = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try await eventually("serve and work answer", timeout: .seconds(60)) {
                let a = try? await curl(["http://127.0.0.1:\(apiPort)/readyz"]), w = try? await curl(["http://127.0.0.1:\(opsPort)/healthz"])
                return a?.isEmpty == false && w == "ok\n"
            }
            let photo = try await ImagingTests.photo(in: root, as: "jpg")
            let created = try await curl(["-X", "POST", "-H", "Authorization: Bearer \(token)", "-H", "Content-Type: image/jpeg",
                                          "--data-binary", "@\(photo.path)", "http://127.0.0.1:\(apiPort)/v1/files"])
            let id = try #require((try JSONSerialization.jsonObject(with: Data(created.utf8)) as? [String: Any])?["id"] as? String, "\(created)")
            try await eventually("the worker scans and optimizes it", timeout: .seconds(90)) {
                let file = try await curl(["-H", "Authorization: Bearer \(token)", "http://127.0.0.1:\(apiPort)/v1/files/\(id)"])
                return (try JSONSerialization.jsonObject(with: Data(file.utf8)) as? [String: Any])?["state"] as? String == "ready"
            }
            // The variants the worker made are objects in the bucket, read by the API.
            var configuration = S3TestEnvironment.configuration()
            configuration.keyPrefix = prefix
            let (store, cleanup) = try S3TestEnvironment.open(configuration)
            defer { cleanup() }
            #expect(try await store.count(prefix: "tenants/acme/files/\(id)/") == 4)
            let original = try await collect(store.read(ObjectKey(parsing: "tenants/acme/files/\(id)/original"), range: nil))
            #expect(original == [UInt8](try Data(contentsOf: photo)))
            let served = root.appendingPathComponent("served.jpg")
            _ = try await curl(["-o", served.path, "-H", "Authorization: Bearer \(token)", "http://127.0.0.1:\(apiPort)/v1/files/\(id)/content"])
            let scrubbed = try await collect(store.read(ObjectKey(parsing: "tenants/acme/files/\(id)/scrubbed"), range: nil))
            #expect([UInt8](try Data(contentsOf: served)) == scrubbed && !scrubbed.isEmpty)
            // Neither host's folder holds the file's bytes: only staging lives there.
            for dir in [apiDir, workerDir] {
                #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("tenants").path), "\(dir.path)")
            }
            for p in [api, worker] { kill(p.processIdentifier, SIGTERM); p.waitUntilExit() }
            #expect(api.terminationStatus == 0 && worker.terminationStatus == 0)
        }
    }
}
