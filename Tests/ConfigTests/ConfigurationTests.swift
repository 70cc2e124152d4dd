import Configuration
import FilestoreConfig
import Foundation
import JobKit
import TestSupport
import Testing

/// The configuration's parsing on in-memory providers: every kind of mistake stops the load with an error that
/// names the variable, friendly forms are accepted, flags beat the environment, secrets never show.
@Suite struct ConfigurationTests {
    static let jwt = "k1=jwt-secret-0123456789abcdef0123456789"
    static let url = "u1=url-secret-0123456789abcdef0123456789"

    func load(_ env: [String: String], flags: [String: String] = [:]) throws -> FilestoreConfiguration {
        try FilestoreConfiguration.load(environment: FilestoreConfiguration.provider(env), flags: flags)
    }

    /// The error a load with `env` fails with (a test fails if it loads).
    func failure(_ env: [String: String], flags: [String: String] = [:]) throws -> ConfigurationError {
        do {
            _ = try load(env, flags: flags)
        } catch let error as ConfigurationError {
            return error
        }
        Issue.record("\(env) loaded without an error")
        return ConfigurationError(.missing, variable: "", message: "")
    }

    @Test func everyDefaultParsesAndIsTheDocumentedOne() throws {
        let c = try load([:])
        #expect(c.database.service.url == "postgres://filestore@127.0.0.1:5544/filestore")
        #expect(c.database.migration == c.database.service)
        #expect(c.database.migrationsDirectory == nil)
        #expect(c.http.host == "127.0.0.1" && c.http.port == 8080)
        #expect(c.http.maxUploadBytes == 5 << 30)
        #expect(c.http.publicURL == nil)
        #expect(c.http.rateLimits.count == 5 && c.http.rateLimits[.unauthenticated]?.burst == 20)
        #expect(c.tls.files == nil && c.tls.metricsClients.isEmpty && c.tls.reloadSeconds == 10)
        #expect(c.blobs.directory == ".data/blobs")
        #expect(c.keys.jwt.isEmpty && c.keys.url.isEmpty && c.keys.urlMaximumTTL == 3600)
        #expect(c.worker.queues.map(\.name) == ["default", "scan", "optimize", "maintenance", "webhooks"])
        #expect(c.worker.queues.allSatisfy { $0.concurrency == 10 })
        #expect(c.worker.opsPort == 9464 && c.worker.maintenance && !c.worker.durableFetch)
        #expect(c.pipeline.maxPixels == 100_000_000)
        #expect(c.pipeline.variants.map(\.name) == ["thumb", "preview", "scrubbed"])
        #expect(c.scanner.backend == .libclamav && c.scanner.signatureDirectory == "/var/lib/clamav")
        #expect(c.scanner.limits.maxFileSize == 100 << 20 && c.scanner.limits.maxScanTimeMS == 120_000)
        #expect(c.scanner.reloadSeconds == 60)
        #expect(c.logging.level == .info && c.logging.format == .json)
        #expect(c.entries.allSatisfy { $0.source == .default })
        #expect(Set(c.entries.map(\.variable)).count == c.entries.count)
    }

    @Test func theSystemPathDefaultsToTheServiceDatabaseAsTheSystemRole() throws {
        let c = try load(["DATABASE_URL": "postgres://filestore_app:pw@db.internal:5432/files"])
        #expect(c.database.system.username == "filestore_system" && c.database.system.password == nil)
        #expect(c.database.system.host == "db.internal" && c.database.system.port == 5432 && c.database.system.database == "files")
        #expect(c.database.system.maximumConnections == 2)
        let own = try load(["SYSTEM_DATABASE_URL": "postgres://sys:secret@other:6543/files"])
        #expect(own.database.system.username == "sys" && own.database.system.host == "other")
        // Its password is a secret like the others.
        let shown = own.entries.first { $0.variable == "SYSTEM_DATABASE_URL" }
        #expect(shown?.value?.contains("secret") == false)
        #expect(try failure(["SYSTEM_DATABASE_URL": "mysql://x"]).variable == "SYSTEM_DATABASE_URL")
    }

    @Test func flagsOverrideTheEnvironmentAndEntriesSayWhere() throws {
        let c = try load(["FILESTORE_HTTP_PORT": "9000", "FILESTORE_HTTP_HOST": "0.0.0.0"], flags: ["FILESTORE_HTTP_PORT": "9100"])
        #expect(c.http.port == 9100 && c.http.host == "0.0.0.0")
        let source = Dictionary(uniqueKeysWithValues: c.entries.map { ($0.variable, $0.source) })
        #expect(source["FILESTORE_HTTP_PORT"] == .flag)
        #expect(source["FILESTORE_HTTP_HOST"] == .env)
        #expect(source["FILESTORE_BLOB_DIR"] == .default)
        // The order of entries is the same on every load.
        #expect(try load([:]).entries.map(\.variable) == c.entries.map(\.variable))
    }

    @Test func aBadNumberNamesTheVariableAndWhatItAccepts() throws {
        for (variable, value) in [("FILESTORE_CONCURRENCY", "ten"), ("FILESTORE_MAX_PIXELS", "-5"), ("FILESTORE_NATIVE_THREADS", "999"),
                                  ("FILESTORE_CLAMAV_RELOAD_SECONDS", "1.5"), ("FILESTORE_URL_MAX_TTL", "soon"), ("FILESTORE_LEASE_SECONDS", "0")] {
            let error = try failure([variable: value])
            #expect(error.kind == .invalidValue && error.variable == variable)
            #expect(error.message.contains(variable) && error.message.contains("'\(value)'") && error.message.contains("expected"), "\(error)")
        }
    }

    @Test func sizesTakeFriendlyFormsAndRejectTheRest() throws {
        for (text, bytes) in [("5G", Int64(5) << 30), ("5GiB", 5 << 30), ("512MiB", 512 << 20), ("1048576", 1 << 20), ("100 KB", 100 << 10)] {
            #expect(try load(["FILESTORE_MAX_UPLOAD_BYTES": text]).http.maxUploadBytes == bytes, "\(text)")
        }
        for text in ["5X", "G", "0", "-1G", "1.5G", "99999999999T"] {
            let error = try failure(["FILESTORE_MAX_UPLOAD_BYTES": text])
            #expect(error.variable == "FILESTORE_MAX_UPLOAD_BYTES" && error.message.contains("512MiB"), "\(text): \(error)")
        }
    }

    @Test func enumerationsAcceptAnyCaseAndRejectOtherValues() throws {
        #expect(try load(["LOG_LEVEL": "INFO"]).logging.level == .info)
        #expect(try load(["LOG_LEVEL": "Debug", "LOG_FORMAT": "TEXT"]).logging.format == .text)
        #expect(try load(["FILESTORE_SCANNER": "clamd"]).scanner.backend == .clamd)
        let cases: [(String, String, String)] = [
            ("LOG_FORMAT", "xml", "json or text"), ("LOG_LEVEL", "loud", "warning"), ("FILESTORE_SCANNER", "sophos", "libclamav or clamd"),
            ("FILESTORE_TYPE_MISMATCH_POLICY", "ignore", "sniffed or fail"), ("FILESTORE_SCAN_LIMIT_POLICY", "drop", "quarantine or allow"),
            ("FILESTORE_MAINTENANCE", "maybe", "true or false"),
        ]
        for (variable, value, accepts) in cases {
            let error = try failure([variable: value])
            #expect(error.variable == variable && error.message.contains(accepts), "\(error)")
        }
    }

    @Test func portsMustBe1To65535() throws {
        for value in ["abc", "0", "65536", "-1", "80.5"] {
            let error = try failure(["FILESTORE_HTTP_PORT": value])
            #expect(error.variable == "FILESTORE_HTTP_PORT" && error.message.contains("1-65535"), "\(value): \(error)")
        }
        // The ops port takes 0 (none); a flag's bad value names the variable too.
        #expect(try load(["FILESTORE_OPS_PORT": "0"]).worker.opsPort == nil)
        let error = try failure([:], flags: ["FILESTORE_HTTP_PORT": "http"])
        #expect(error.variable == "FILESTORE_HTTP_PORT" && error.message.contains("command line"))
    }

    @Test func anUnreadableKeyFileIsAnErrorNamingTheFile() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-keys-\(UUID())").path
        for variable in ["FILESTORE_URL_KEYS_FILE", "FILESTORE_JWT_KEYS_FILE"] {
            let error = try failure([variable: missing])
            #expect(error.kind == .unreadableFile && error.variable == variable && error.message.contains(missing), "\(error)")
        }
        // A readable file is read, beside the inline keys.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID())")
        try "f1=file-secret-0123456789abcdef0123456789\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let c = try load(["FILESTORE_JWT_KEYS": Self.jwt, "FILESTORE_JWT_KEYS_FILE": file.path])
        #expect(c.keys.jwt.map(\.kid) == ["k1", "f1"])
        // The file is remembered: its modification time dates the last rotation (readiness row S4).
        #expect(c.keys.jwtFile == file.path && c.keys.urlFile == nil)
    }

    @Test func theReadinessSettingsRefuseAMissingFolderAndABadTenant() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-repo-\(UUID())").path
        let repo = try failure(["FILESTORE_READINESS_REPO": missing])
        #expect(repo.variable == "FILESTORE_READINESS_REPO" && repo.message.contains("an existing folder"), "\(repo)")
        for value in ["Ops!", "-ops", String(repeating: "a", count: 65)] {
            let tenant = try failure(["FILESTORE_READINESS_TENANT": value])
            #expect(tenant.variable == "FILESTORE_READINESS_TENANT", "\(value): \(tenant)")
        }
        let c = try load(["FILESTORE_READINESS_TENANT": "platform-ops", "FILESTORE_READINESS_REPO": FileManager.default.temporaryDirectory.path])
        #expect(c.readiness.tenant == "platform-ops" && c.readiness.repository == FileManager.default.temporaryDirectory.path)
        #expect(try load([:]).readiness.tenant == "ops")
        #expect(try failure(["FILESTORE_ADVERTISE_HOST": "a host"]).variable == "FILESTORE_ADVERTISE_HOST")
        #expect(try load(["FILESTORE_ADVERTISE_HOST": "10.1.2.3"]).readiness.advertiseHost == "10.1.2.3")
        #expect(try load([:]).readiness.advertiseHost == nil)
    }

    @Test func aBadURLIsRefusedWithoutShowingItsPassword() throws {
        for (variable, value) in [("DATABASE_URL", "mysql://app:hunter2@db/files"), ("DATABASE_URL", "postgres://app:hunter2@db"),
                                  ("MIGRATE_DATABASE_URL", "postgres://:hunter2@db/files")] {
            let error = try failure([variable: value])
            #expect(error.variable == variable && error.message.contains("postgres://user"), "\(error)")
            #expect(!error.message.contains("hunter2"), "\(error)")
        }
        for value in ["ftp://files.example.com", "files.example.com", "https://files.example.com/?x=1"] {
            let error = try failure(["FILESTORE_PUBLIC_URL": value])
            #expect(error.variable == "FILESTORE_PUBLIC_URL", "\(value)")
        }
        #expect(try load(["FILESTORE_PUBLIC_URL": "https://files.example.com/"]).http.publicURL?.absoluteString == "https://files.example.com")
    }

    @Test func badListSyntaxIsRefused() throws {
        let cases: [(String, String)] = [
            ("FILESTORE_JWT_KEYS", "k1"), ("FILESTORE_JWT_KEYS", "k1=short"), ("FILESTORE_URL_KEYS", "bad id=url-secret-0123456789abcdef0123456789"),
            ("FILESTORE_JWT_KEYS", "\(Self.jwt),\(Self.jwt)"),
            ("FILESTORE_RATE_LIMITS", "upload=20"), ("FILESTORE_RATE_LIMITS", "uploads=20/40"),
            ("FILESTORE_QUEUES", "default,Bad Queue"), ("FILESTORE_QUEUES", "scan:zero"),
            ("FILESTORE_VARIANTS", "thumb:256:webp"), ("FILESTORE_SCAN_LIMITS", "file=big"),
        ]
        for (variable, value) in cases {
            let error = try failure([variable: value])
            #expect(error.kind == .invalidValue && error.variable == variable, "\(variable)=\(value): \(error)")
        }
        // Secrets are not repeated in the message.
        let short = try failure(["FILESTORE_JWT_KEYS": "k1=short-secret"])
        #expect(!short.message.contains("short-secret") && short.message.contains("32"), "\(short)")
        let limits = try load(["FILESTORE_RATE_LIMITS": "upload=5/10"]).http.rateLimits
        #expect(limits[.upload]?.perSecond == 5 && limits[.read]?.perSecond == 100)
        #expect(try load(["FILESTORE_RATE_LIMITS": "OFF"]).http.rateLimits.isEmpty)
        #expect(try load(["FILESTORE_QUEUES": "a,b:20", "FILESTORE_CONCURRENCY": "3"]).worker.queues.map(\.concurrency) == [3, 20])
    }

    @Test func serveRequiresItsSecrets() throws {
        let none = try load([:])
        #expect(throws: ConfigurationError.self) { try none.keys.requireJWT() }
        do { _ = try none.keys.requireJWT() } catch let error as ConfigurationError {
            #expect(error.kind == .missing && error.variable == "FILESTORE_JWT_KEYS" && error.message.contains("FILESTORE_JWT_KEYS_FILE"))
        }
        do { _ = try none.keys.requireURL() } catch let error as ConfigurationError {
            #expect(error.kind == .missing && error.variable == "FILESTORE_URL_KEYS")
        }
        let both = try load(["FILESTORE_JWT_KEYS": Self.jwt, "FILESTORE_URL_KEYS": Self.url])
        #expect(try both.keys.requireJWT().map(\.kid) == ["k1"])
        #expect(try both.keys.requireURL().map(\.kid) == ["u1"])
    }

    @Test func entriesRedactSecrets() throws {
        let c = try load(["FILESTORE_JWT_KEYS": Self.jwt, "FILESTORE_URL_KEYS": Self.url,
                          "DATABASE_URL": "postgres://app:hunter2@db:5432/files", "MIGRATE_DATABASE_URL": "postgres://owner:s3cret@db/files"])
        let shown = c.entries.map { "\($0.variable)=\($0.value ?? "")" }.joined(separator: "\n")
        for secret in ["jwt-secret", "url-secret", "hunter2", "s3cret"] { #expect(!shown.contains(secret), "\(shown)") }
        #expect(shown.contains("FILESTORE_JWT_KEYS=k1=<redacted>"))
        #expect(shown.contains("DATABASE_URL=postgres://app:***@db:5432/files"))
        #expect(c.database.service.password == "hunter2" && c.database.migration.username == "owner")
        #expect(c.keys.jwt.first?.description == "k1=<redacted>")
    }

    @Test func everySettingIsDocumentedAndEveryDocumentedSettingIsRead() throws {
        let doc = try String(contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("docs/CONFIGURATION.md"), encoding: .utf8)
        // The first cell of each table row in the "### <section>" tables of the binary's settings.
        let binarySection = doc.components(separatedBy: "### Outside the binary")[0]
        let documented = Set(binarySection.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return line.split(separator: "`")[1].description
        })
        let read = Set(try load([:]).entries.map(\.variable))
        #expect(read == documented, "read, not documented: \(read.subtracting(documented)); documented, not read: \(documented.subtracting(read))")
    }

    @Test func byteSizesFormatBack() {
        #expect(ByteSize.format(5 << 30) == "5GiB")
        #expect(ByteSize.format(1000) == "1000")
        #expect(ByteSize.parse(ByteSize.format(512 << 20)) == 512 << 20)
    }
}
