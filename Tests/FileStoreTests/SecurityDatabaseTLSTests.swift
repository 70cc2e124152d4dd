import Foundation
import JobKit
import Logging
import PostgresNIO
import TestSupport
import Testing

/// PostgreSQL over TLS: `sslmode` and `sslrootcert` in the database URL, against a throw-away cluster started with
/// `ssl=on` and a certificate made in the test, and against the plain test cluster (never a silent downgrade).
@Suite(.serialized) struct SecurityDatabaseTLSTests {
    static let pgBin = "/usr/lib/postgresql/15/bin"
    static let logger = Logger(label: "db-tls-test")

    @Test func theURLTakesLibpqsTLSModes() throws {
        let full = try DatabaseConfiguration(url: "postgres://app@db.internal:5432/filestore?sslmode=verify-full")
        #expect(full.sslMode == .verifyFull && full.tlsConfiguration?.certificateVerification == .fullVerification)
        #expect(try DatabaseConfiguration(url: "postgres://app@h/db?sslmode=verify-ca").tlsConfiguration?.certificateVerification == .noHostnameVerification)
        #expect(try DatabaseConfiguration(url: "postgres://app@h/db?sslmode=require").tlsConfiguration?.certificateVerification == CertificateVerification.none)
        #expect(try DatabaseConfiguration(url: "postgres://app@h/db").tlsConfiguration == nil)
        #expect(try DatabaseConfiguration(url: "postgres://app@h/db?sslmode=disable").sslMode == .disable)
        for bad in ["postgres://app@h/db?sslmode=verify_full", "postgres://app@h/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
                    "postgres://app@h/db?sslmode=require&sslrootcert=/etc/hostname"] {
            #expect(throws: JobKitError.self, "\(bad)") { try DatabaseConfiguration(url: bad) }
        }
    }

    func query(_ config: DatabaseConfiguration) async throws -> Int {
        try await TestDatabase.withClient(config) { client in
            var n = 0
            for try await v in try await client.query("SELECT 1 + 1", logger: Self.logger).decode(Int.self) { n = v }
            return n
        }
    }

    func connectFails(_ config: DatabaseConfiguration) async -> Bool {
        do {
            let connection = try await config.connect(logger: Self.logger)
            try? await connection.close()
            return false
        } catch { return true }
    }

    @Test func verifyFullRefusesAServerWithoutTLSInsteadOfGoingPlain() async throws {
        let plain = try DatabaseConfiguration(url: FilestoreBinary.databaseURL(TestDatabase.server))
        var full = plain
        full.sslMode = .verifyFull
        #expect(await connectFails(full))
        var prefer = plain
        prefer.sslMode = .prefer
        #expect(try await query(prefer) == 2)
    }

    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "\(pgBin)/initdb"), "needs root (to run postgres as its user) and PostgreSQL 15"))
    func verifyFullConnectsToATLSServerWithTheRightCA() async throws {
        let pki = try await TestPKI()
        defer { pki.remove() }
        try await pki.issue("pg", subject: "/CN=localhost", server: true, names: "DNS:localhost")
        let data = pki.dir.appendingPathComponent("pgdata")
        _ = try await runProcess("/usr/bin/chown", ["-R", "postgres", pki.dir.path])
        _ = try await runProcess("/usr/bin/chmod", ["755", pki.dir.path])
        _ = try await runProcess("/usr/bin/chmod", ["600", pki.path("pg.key")])
        let initdb = try await runProcess("/usr/sbin/runuser", ["-u", "postgres", "--", "\(Self.pgBin)/initdb", "-D", data.path, "-A", "trust", "-U", "postgres"])
        try #require(initdb.status == 0, "\(initdb.stderr)")
        let taken = try OccupiedPort()
        let port = taken.port
        taken.release()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        server.arguments = ["-u", "postgres", "--", "\(Self.pgBin)/postgres", "-D", data.path, "-p", "\(port)", "-k", pki.dir.path,
                            "-c", "listen_addresses=127.0.0.1", "-c", "ssl=on", "-c", "ssl_cert_file=\(pki.path("pg.pem"))",
                            "-c", "ssl_key_file=\(pki.path("pg.key"))", "-c", "fsync=off"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let base = "postgres://postgres@localhost:\(port)/postgres", byAddress = "postgres://postgres@127.0.0.1:\(port)/postgres"
        let full = try DatabaseConfiguration(url: "\(base)?sslmode=verify-full&sslrootcert=\(pki.path("ca.pem"))")
        try await eventually("the TLS cluster accepts connections", timeout: .seconds(60)) { !(await connectFails(full)) }
        #expect(try await query(full) == 2)
        // The server really speaks TLS on this connection.
        let ssl = try await TestDatabase.withClient(full) { client in
            var on = false
            for try await v in try await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: Self.logger).decode(Bool.self) { on = v }
            return on
        }
        #expect(ssl)
        // Another CA: refused, with both verify modes.
        for mode in ["verify-full", "verify-ca"] {
            #expect(await connectFails(try DatabaseConfiguration(url: "\(base)?sslmode=\(mode)&sslrootcert=\(pki.path("ca2.pem"))")), "\(mode)")
        }
        // The right CA but not the name in the certificate (it names localhost, not 127.0.0.1): verify-full refuses,
        // verify-ca and require accept.
        #expect(await connectFails(try DatabaseConfiguration(url: "\(byAddress)?sslmode=verify-full&sslrootcert=\(pki.path("ca.pem"))")))
        #expect(try await query(try DatabaseConfiguration(url: "\(byAddress)?sslmode=verify-ca&sslrootcert=\(pki.path("ca.pem"))")) == 2)
        #expect(try await query(try DatabaseConfiguration(url: "\(byAddress)?sslmode=require")) == 2)
    }
}
