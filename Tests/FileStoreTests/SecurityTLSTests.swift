import API
import FileCore
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import TestSupport
import Testing

/// Runs a tool without blocking a concurrency thread; returns its status, stdout and stderr.
/// A throw-away PKI made with the openssl command line: two CAs, server certificates for 127.0.0.1, and client
/// certificates.
struct TestPKI {
    let dir: URL

    init() async throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("pki-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for ca in ["ca", "ca2"] {
            try await openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("\(ca).key"), "-out", path("\(ca).pem"),
                               "-days", "2", "-subj", "/O=filestore tests/CN=\(ca)"])
        }
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func openssl(_ args: [String]) async throws {
        let r = try await runProcess("/usr/bin/openssl", args)
        guard r.status == 0 else { throw TLSFileProblem("openssl \(args.first ?? ""): \(r.stderr)") }
    }

    /// A certificate `name.pem`/`name.key` for `subject`, signed by `ca`; server ones carry SANs for 127.0.0.1.
    func issue(_ name: String, subject: String, ca: String = "ca", server: Bool = false,
               names: String = "IP:127.0.0.1,DNS:localhost") async throws {
        try await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", subject])
        let ext = path("\(name).ext")
        try (server ? "subjectAltName=\(names)\nextendedKeyUsage=serverAuth\n" : "extendedKeyUsage=clientAuth\n")
            .write(toFile: ext, atomically: true, encoding: .utf8)
        try await openssl(["x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(ca).pem"), "-CAkey", path("\(ca).key"), "-CAcreateserial",
                           "-out", path("\(name).pem"), "-days", "2", "-extfile", ext])
    }

    /// Copies `name`'s certificate and key over `target`'s, as a deploy or cert-manager does.
    func replace(_ target: String, with name: String) throws {
        for ext in ["pem", "key"] {
            try Data(contentsOf: URL(fileURLWithPath: path("\(name).\(ext)"))).write(to: URL(fileURLWithPath: path("\(target).\(ext)")), options: .atomic)
        }
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }
}

struct TLSFileProblem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `curl` over TLS against 127.0.0.1:`port`: the status code, or `nil` when the handshake failed.
func curlStatus(_ port: Int, _ path: String, ca: String, cert: String? = nil, key: String? = nil) async throws -> Int? {
    var args = ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20", "--cacert", ca]
    if let cert, let key { args += ["--cert", cert, "--key", key] }
    let r = try await runProcess("/usr/bin/curl", args + ["https://127.0.0.1:\(port)\(path)"])
    if r.status != 0 { print("curl \(path) exit \(r.status): \(r.stderr)") }
    return r.status == 0 ? Int(r.stdout) : nil
}

/// TLS on the listeners from certificate files, reloaded without a restart, and mutual TLS on `/metrics` with a
/// client CA and a subject allow-list — with certificates made in the test and curl as the client.
@Suite(.serialized) struct SecurityTLSTests {
    /// Runs an ops listener (the worker's: health and `/metrics`) over TLS from `store` on a free port.
    func withListener(_ store: TLSContextStore, metricsClients: [String], _ body: (Int) async throws -> Void) async throws {
        let router = Router(context: OpsRequestContext.self)
        OpsRoutes(registry: PrometheusCollectorRegistry(), readiness: { nil }).add(to: router, metricsClients: metricsClients)
        let port = AsyncStream<Int>.makeStream()
        let app = Application(router: router, server: .reloadingTLS(store), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in port.continuation.yield(channel.localAddress?.port ?? 0) },
                              logger: Logger(label: "tls-test"))
        let services = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "tls-test")))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = port.stream.makeAsyncIterator()
            let bound = try #require(await iterator.next())
            do { try await body(bound) } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }

    @Test func theListenerServesTLSAndReloadsItsCertificateWithoutARestart() async throws {
        let pki = try await TestPKI()
        defer { pki.remove() }
        try await pki.issue("server", subject: "/CN=127.0.0.1", server: true)
        try await pki.issue("server2", subject: "/CN=127.0.0.1", ca: "ca2", server: true)
        let store = try TLSContextStore(files: TLSFiles(certificate: pki.path("server.pem"), key: pki.path("server.key")))
        try await withListener(store, metricsClients: []) { (port: Int) async throws in
            #expect(try await curlStatus(port, "/healthz", ca: pki.path("ca.pem")) == 200)
            #expect(try await curlStatus(port, "/metrics", ca: pki.path("ca.pem")) == 200)
            // Plain HTTP on the TLS port gets no answer.
            let plain = try await runProcess("/usr/bin/curl", ["-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/healthz"])
            #expect(plain.stdout != "200")
            #expect(store.reloadIfChanged() == .unchanged)
            // A half-written key: the change does not load, the old certificate keeps serving.
            try Data("-----BEGIN PRIVATE KEY-----\ngarbage\n".utf8).write(to: URL(fileURLWithPath: pki.path("server.key")))
            guard case .failed = store.reloadIfChanged() else { Issue.record("a broken key must not load"); return }
            #expect(try await curlStatus(port, "/healthz", ca: pki.path("ca.pem")) == 200)
            // The new certificate (another CA) is served to new connections, without a restart.
            try pki.replace("server", with: "server2")
            #expect(store.reloadIfChanged() == .reloaded)
            #expect(try await curlStatus(port, "/healthz", ca: pki.path("ca2.pem")) == 200)
            #expect(try await curlStatus(port, "/healthz", ca: pki.path("ca.pem")) == nil)
        }
        // The reload service notices the change by itself.
        let service = TLSReloadService(store: store, interval: .milliseconds(200), logger: Logger(label: "tls-reload"))
        // The store serves server2 (from ca2) now; server3 comes from the first CA again.
        try await pki.issue("server3", subject: "/CN=127.0.0.1", server: true)
        #expect(store.reloadIfChanged() == .unchanged)
        let before = ObjectIdentifier(store.context)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            try pki.replace("server", with: "server3")
            // Only the service reloads here: the test looks at the context without asking for a reload.
            try await eventually("the service reloads the changed files", timeout: .seconds(20)) { ObjectIdentifier(store.context) != before }
            group.cancelAll()
        }
        try await withListener(store, metricsClients: []) { (port: Int) async throws in
            #expect(try await curlStatus(port, "/healthz", ca: pki.path("ca.pem")) == 200)
        }
    }

    @Test func metricsNeedAnAllowedClientCertificate() async throws {
        let pki = try await TestPKI()
        defer { pki.remove() }
        try await pki.issue("server", subject: "/CN=127.0.0.1", server: true)
        try await pki.issue("prometheus", subject: "/O=ops/CN=prometheus")
        try await pki.issue("intruder", subject: "/O=ops/CN=intruder")
        try await pki.issue("foreign", subject: "/O=ops/CN=prometheus", ca: "ca2")
        let store = try TLSContextStore(files: TLSFiles(certificate: pki.path("server.pem"), key: pki.path("server.key"), clientCA: pki.path("ca.pem")))
        try await withListener(store, metricsClients: ["CN=prometheus,O=ops"]) { port in
            let ca = pki.path("ca.pem")
            // Health stays open to any TLS client; /metrics needs the allowed subject.
            #expect(try await curlStatus(port, "/healthz", ca: ca) == 200)
            #expect(try await curlStatus(port, "/metrics", ca: ca) == 403)
            #expect(try await curlStatus(port, "/metrics", ca: ca, cert: pki.path("intruder.pem"), key: pki.path("intruder.key")) == 403)
            #expect(try await curlStatus(port, "/metrics", ca: ca, cert: pki.path("prometheus.pem"), key: pki.path("prometheus.key")) == 200)
            // The right name from a CA that is not configured: the handshake fails.
            #expect(try await curlStatus(port, "/metrics", ca: ca, cert: pki.path("foreign.pem"), key: pki.path("foreign.key")) == nil)
            let body = try await runProcess("/usr/bin/curl", ["-sS", "--max-time", "20", "--cacert", ca, "https://127.0.0.1:\(port)/metrics"])
            #expect(body.stdout.contains("MELMASTOON.FILE.FORBIDDEN"), "\(body.stdout)")
        }
        // A bare common name in the allow-list matches too.
        try await withListener(store, metricsClients: ["prometheus"]) { (port: Int) async throws in
            #expect(try await curlStatus(port, "/metrics", ca: pki.path("ca.pem"), cert: pki.path("prometheus.pem"), key: pki.path("prometheus.key")) == 200)
        }
    }

    @Test func theWorkerOpsPortServesTLSFromTheSettings() async throws {
        let pki = try await TestPKI()
        defer { pki.remove() }
        try await pki.issue("server", subject: "/CN=127.0.0.1", server: true)
        try await pki.issue("prometheus", subject: "/CN=prometheus")
        try await TestDatabase.with { (env: TestEnv) async throws in
            let taken = try OccupiedPort()
            let port = taken.port
            taken.release() // free it for the child (a small race with other tests, which mostly use port 0)
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("filestore-tls-\(UUID()).log")
            let child = try FilestoreBinary.start(["work", "--queues", "default", "--no-maintenance", "--http-port", "\(port)"], database: env.config, log: log,
                                                  env: ["FILESTORE_TLS_CERT_FILE": pki.path("server.pem"), "FILESTORE_TLS_KEY_FILE": pki.path("server.key"),
                                                        "FILESTORE_TLS_CLIENT_CA_FILE": pki.path("ca.pem"), "FILESTORE_TLS_METRICS_CLIENTS": "prometheus"])
            defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
            try await eventually("the ops port answers over TLS", timeout: .seconds(60)) {
                try await curlStatus(port, "/healthz", ca: pki.path("ca.pem")) == 200
            }
            #expect(try await curlStatus(port, "/metrics", ca: pki.path("ca.pem")) == 403)
            #expect(try await curlStatus(port, "/metrics", ca: pki.path("ca.pem"), cert: pki.path("prometheus.pem"), key: pki.path("prometheus.key")) == 200)
            kill(child.processIdentifier, SIGTERM)
            child.waitUntilExit()
        }
    }

    @Test func theInboxNeedsAnAllowedClientCertificateOnTheRealServe() async throws {
        let pki = try await TestPKI()
        defer { pki.remove() }
        try await pki.issue("server", subject: "/CN=127.0.0.1", server: true)
        try await pki.issue("billing", subject: "/O=platform/CN=billing")
        try await pki.issue("intruder", subject: "/O=platform/CN=intruder")
        try await TestDatabase.with { (env: TestEnv) async throws in
            let taken = try OccupiedPort()
            let port = taken.port
            taken.release()
            let secret = WebhookSigner.newSecret()
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("filestore-tls-inbox-\(UUID()).log")
            defer { try? FileManager.default.removeItem(at: log) }
            let child = try FilestoreBinary.start(["serve"], database: env.config, log: log,
                                                  env: ["FILESTORE_HTTP_PORT": "\(port)", "FILESTORE_BLOB_DIR": pki.path("blobs"),
                                                        "FILESTORE_TLS_CERT_FILE": pki.path("server.pem"), "FILESTORE_TLS_KEY_FILE": pki.path("server.key"),
                                                        "FILESTORE_TLS_CLIENT_CA_FILE": pki.path("ca.pem"), "FILESTORE_TLS_INBOX_CLIENTS": "CN=billing,O=platform",
                                                        "FILESTORE_INBOX_SECRETS": "billing=\(secret)",
                                                        "FILESTORE_JWT_KEYS": "k1=jwt-secret-0123456789abcdef-0123456789", "FILESTORE_URL_KEYS": "u1=url-secret-0123456789abcdef-0123456789"])
            defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
            do {
                try await eventually("serve answers over TLS", timeout: .seconds(60)) {
                    try await curlStatus(port, "/healthz", ca: pki.path("ca.pem")) == 200
                }
            } catch {
                Issue.record("serve's log: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
                throw error
            }
            func post(cert: String?) async throws -> (status: Int?, body: String) {
                let body = #"{"type":"tenant.plan_changed.v1","timestamp":"2026-12-02T10:00:00Z","data":{"tenant_id":"acme","plan":"pro","quota_bytes":5000,"quota_files":3}}"#
                var args = ["-sS", "--max-time", "20", "-w", "\n%{http_code}", "--cacert", pki.path("ca.pem"), "-X", "POST", "--data-binary", body,
                            "-H", "Content-Type: application/json"]
                for (name, value) in WebhookSigner.headers(id: "msg_\(UUID().uuidString)", timestamp: Int(Date().timeIntervalSince1970),
                                                           body: Array(body.utf8), secrets: [secret]) { args += ["-H", "\(name): \(value)"] }
                if let cert { args += ["--cert", pki.path("\(cert).pem"), "--key", pki.path("\(cert).key")] }
                let r = try await runProcess("/usr/bin/curl", args + ["https://127.0.0.1:\(port)/v1/inbox/billing"])
                return (r.status == 0 ? Int(r.stdout.split(separator: "\n").last ?? "") : nil, r.stdout)
            }
            // A correctly signed event without a certificate, or from a subject not on the list: refused in the envelope.
            let bare = try await post(cert: nil)
            #expect(bare.status == 403 && bare.body.contains("MELMASTOON.FILE.FORBIDDEN"), "\(bare)")
            #expect(try await post(cert: "intruder").status == 403)
            // The allowed service's certificate: the event is verified and taken.
            let allowed = try await post(cert: "billing")
            #expect(allowed.status == 202, "\(allowed)")
            kill(child.processIdentifier, SIGTERM)
            child.waitUntilExit()
        }
    }
}
