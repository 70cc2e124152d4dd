import Foundation
import TestSupport
import Testing

/// Key material is never logged: the real `serve`, at the most verbose log level, given keys from the
/// environment and from files and a database URL with a password, is driven through uploads, signed URLs, failed
/// logins and a bad request; its whole log, and `filestore config`'s output, hold none of the secrets.
@Suite struct SecuritySecretsTests {
    @Test func noConfiguredSecretAppearsInTheLogs() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let jwtSecret = "jwt-secret-0123456789abcdef-LOGCANARY-1", fileSecret = "jwt-file-secret-0123456789abcdef-LOGCANARY-2"
            let urlSecret = "url-secret-0123456789abcdef-LOGCANARY-3", dbPassword = "db-pass-LOGCANARY-4"
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID())")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let keyFile = dir.appendingPathComponent("jwt.keys")
            try "old=\(fileSecret)\n".write(to: keyFile, atomically: true, encoding: .utf8)
            let taken = try OccupiedPort()
            let port = taken.port
            taken.release()
            // The test cluster trusts loopback, so the password is carried but not needed.
            let url = "postgres://\(env.config.username):\(dbPassword)@\(env.config.host):\(env.config.port)/\(env.config.database)"
            let settings = ["DATABASE_URL": url, "LOG_LEVEL": "trace", "FILESTORE_JWT_KEYS": "k1=\(jwtSecret)", "FILESTORE_JWT_KEYS_FILE": keyFile.path,
                            "FILESTORE_URL_KEYS": "u1=\(urlSecret)", "FILESTORE_BLOB_DIR": dir.appendingPathComponent("blobs").path,
                            "FILESTORE_HTTP_PORT": "\(port)"]
            let log = dir.appendingPathComponent("serve.log")
            let child = try FilestoreBinary.start(["serve"], database: env.config, log: log, env: settings)
            defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
            let base = "http://127.0.0.1:\(port)"
            try await eventually("serve answers", timeout: .seconds(60)) {
                try await runProcess("/usr/bin/curl", ["-sf", "\(base)/healthz"]).status == 0
            }
            let issued = try await FilestoreBinary.run(["token", "issue", "--tenant", "acme", "--scope", "files:read", "files:write"],
                                                       environment: FilestoreBinary.environment(env.config, settings))
            let token = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(issued.status == 0 && token.split(separator: ".").count == 3, "\(issued.stderr)")
            let auth = ["-H", "Authorization: Bearer \(token)"]
            let upload = try await runProcess("/usr/bin/curl", ["-s", "-X", "POST", "--data-binary", "secret-free bytes", "-H", "Upload-Filename: a.txt"]
                                              + auth + ["\(base)/v1/files"])
            let id = try #require((try JSONSerialization.jsonObject(with: Data(upload.stdout.utf8)) as? [String: Any])?["id"] as? String, "\(upload.stdout)")
            let issuedURL = try await runProcess("/usr/bin/curl", ["-s", "-X", "POST", "-H", "Content-Type: application/json", "--data", #"{"ttl_seconds": 60}"#]
                                                 + auth + ["\(base)/v1/files/\(id)/urls"])
            let signedPath = try #require((try JSONSerialization.jsonObject(with: Data(issuedURL.stdout.utf8)) as? [String: Any])?["url"] as? String,
                                          "\(issuedURL.stdout)")
            let sig = try #require(URLComponents(string: signedPath)?.queryItems?.first { $0.name == "sig" }?.value)
            // The file is not ready (no worker runs here): 409, but the signature verified and named the tenant.
            _ = try await runProcess("/usr/bin/curl", ["-s", "\(base)\(signedPath)"])
            for bad in ["Bearer \(token)x", "Bearer \(jwtSecret)", "Basic \(Data("u:\(dbPassword)".utf8).base64EncodedString())"] {
                _ = try await runProcess("/usr/bin/curl", ["-s", "-H", "Authorization: \(bad)", "\(base)/v1/files"])
            }
            _ = try await runProcess("/usr/bin/curl", ["-s", "\(base)/v1/download/acme/\(id)/original?exp=1&gen=0&kid=u1&sig=AAAA"])
            kill(child.processIdentifier, SIGTERM)
            child.waitUntilExit()
            let config = try await FilestoreBinary.run(["config"], environment: FilestoreBinary.environment(env.config, settings))
            let text = try String(contentsOf: log, encoding: .utf8) + config.stdout + config.stderr
            #expect(text.count > 200, "the log is suspiciously short: \(text)")
            for secret in [jwtSecret, fileSecret, urlSecret, dbPassword, "LOGCANARY"] {
                #expect(!text.contains(secret), "\(secret) is in the logs")
            }
            // The bearer token itself is a credential too, and so is a signed URL's signature.
            #expect(!text.contains(token), "a bearer token is in the logs")
            #expect(!text.contains(sig), "a signed URL's sig is in the logs")
            // One access-log line per request, with the redacted path, the route, the status and the tenant.
            let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            let access = lines.filter { $0["msg"] as? String == "request" }
            #expect(access.count >= 8, "\(access.count) access lines")
            let download = try #require(access.first { ($0["path"] as? String)?.hasPrefix("/v1/download/") == true && ($0["path"] as? String)?.contains("sig=REDACTED") == true },
                                        "\(access)")
            #expect(download["tenant_id"] as? String == "acme" && download["status"] as? String == "409", "\(download)")
            #expect((download["route"] as? String)?.contains("download") == true && download["duration_ms"] != nil && download["request_id"] != nil, "\(download)")
            let uploadLine = try #require(access.first { $0["method"] as? String == "POST" && $0["path"] as? String == "/v1/files" })
            #expect(uploadLine["status"] as? String == "201" && uploadLine["tenant_id"] as? String == "acme" && uploadLine["client"] as? String == "127.0.0.1",
                    "\(uploadLine)")
            let refused = access.filter { $0["path"] as? String == "/v1/files" && $0["status"] as? String == "401" }
            #expect(refused.count >= 2, "the refused logins are logged: \(refused)")
        }
    }
}
