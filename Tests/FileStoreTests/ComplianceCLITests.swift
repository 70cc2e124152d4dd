import Domain
import FileCore
import Foundation
import NIOCore
import PostgresNIO
import Storage
import TestSupport
import Testing

/// The operator's compliance commands, as processes: `filestore erasure verify` on a real receipt (and on one
/// altered, or checked against another key), `filestore audit verify` and `export` on a real chain (and after a row
/// was changed), `filestore tenants delete`.
@Suite struct ComplianceCLITests {
    static let key = "c1=\(ErasureProofTests.complianceSecret)"

    @Test func receiptsAndTheAuditChainVerifyOfflineAndTamperingExitsOne() async throws {
        try await ComplianceFlowTests.withApp { env, app, root in
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID())")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let core = try ComplianceFlowTests.core(app, blobs: try LocalBlobStore(root: root))
            for i in 0..<3 {
                _ = try await core.uploads.upload(ComplianceFlowTests.bytes("h\(i)"), as: ComplianceFlowTests.person("hana"), .init(originalName: "h\(i)"))
            }
            let (request, _) = try await core.erasure.request(.init(subjectID: "hana", reason: "Art. 17"), as: ComplianceFlowTests.dpo, requestID: nil)
            try await core.erasure.run(request.id, tenant: ComplianceFlowTests.acme, jobID: nil)
            let done = try await core.erasure.get(request.id, as: ComplianceFlowTests.dpo)
            let receipt = try #require(try core.erasure.receipt(of: done))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let receiptFile = dir.appendingPathComponent("receipt.json"), keysFile = dir.appendingPathComponent("keys.json")
            try encoder.encode(receipt).write(to: receiptFile)
            try encoder.encode(["keys": try ComplianceFlowTests.keys().published]).write(to: keysFile)
            let isolated = FilestoreBinary.isolatedEnvironment()
            var r = try await FilestoreBinary.run(["erasure", "verify", receiptFile.path, "--keys", keysFile.path], environment: isolated)
            #expect(r.status == 0 && r.stdout.contains("verified: \(request.id)"), "\(r.stdout) \(r.stderr)")
            // Against another key, and altered: exit 1 with the reason.
            r = try await FilestoreBinary.run(["erasure", "verify", receiptFile.path, "--public-key", "c1=\(Curve25519PublicKeyOfOtherKey.value)"],
                                              environment: isolated)
            #expect(r.status == 1 && r.stderr.contains("NOT VERIFIED"), "\(r.stderr)")
            var altered = receipt
            altered.receipt.state = "completed"
            altered.receipt.items.removeLast()
            try encoder.encode(altered).write(to: receiptFile)
            r = try await FilestoreBinary.run(["erasure", "verify", receiptFile.path, "--keys", keysFile.path], environment: isolated)
            #expect(r.status == 1 && r.stderr.contains("NOT VERIFIED"), "\(r.stderr)")
            try Data("{}".utf8).write(to: receiptFile)
            r = try await FilestoreBinary.run(["erasure", "verify", receiptFile.path], environment: isolated)
            #expect(r.status != 0 && r.stderr.contains("no erasure receipt"), "\(r.stderr)")

            // The audit chain through the service's role.
            let settings = ["FILESTORE_COMPLIANCE_KEYS": Self.key, "FILESTORE_BLOB_DIR": root.path]
            let appDB = TestDatabase.appRole(env.config)
            try await core.audit.sealAll(tenant: ComplianceFlowTests.acme)
            r = try await FilestoreBinary.run(["audit", "verify", "--tenant", "acme"], database: appDB, env: settings)
            #expect(r.status == 0 && r.stdout.contains("acme: ok"), "\(r.stdout) \(r.stderr)")
            let export = dir.appendingPathComponent("audit.jsonl")
            r = try await FilestoreBinary.run(["audit", "export", "--tenant", "acme", "--format", "jsonl", "--output", export.path], database: appDB, env: settings)
            #expect(r.status == 0)
            let lines = try String(contentsOf: export, encoding: .utf8).split(separator: "\n")
            #expect(lines.count >= 6)
            r = try await FilestoreBinary.run(["audit", "verify", "--file", export.path], environment: isolated)
            #expect(r.status == 0 && r.stdout.contains("ok, \(lines.count) rows"), "\(r.stdout) \(r.stderr)")
            // A line changed in the export, then a row changed in the database: exit 1 naming it.
            var edited = lines.map(String.init)
            edited[2] = edited[2].replacingOccurrences(of: "\"action\":\"", with: "\"action\":\"x")
            try (edited.joined(separator: "\n") + "\n").write(to: export, atomically: true, encoding: .utf8)
            r = try await FilestoreBinary.run(["audit", "verify", "--file", export.path], environment: isolated)
            let brokenID = try JSONDecoder().decode(AuditChainRow.self, from: Data(lines[2].utf8)).id
            #expect(r.status == 1 && r.stdout.contains("BROKEN at \(brokenID)"), "\(r.stdout)")
            try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
                try await tx.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_guard", logger: TestDatabase.logger)
                try await tx.query("UPDATE audit_events SET action = 'file.nothing_to_see' WHERE id = \(brokenID)", logger: TestDatabase.logger)
                try await tx.query("ALTER TABLE audit_events ENABLE TRIGGER audit_events_guard", logger: TestDatabase.logger)
            }
            r = try await FilestoreBinary.run(["audit", "verify", "--tenant", "acme", "--json"], database: appDB, env: settings)
            #expect(r.status == 1 && r.stdout.contains(brokenID), "\(r.stdout) \(r.stderr)")

            // Offboarding from the command line: recorded once per reference; without the key it says what to set.
            r = try await FilestoreBinary.run(["tenants", "delete", "acme", "--reason", "contract ended", "--reference", "C-7", "--json"], database: appDB, env: settings)
            #expect(r.status == 0 && r.stdout.contains("\"created\":true"), "\(r.stdout) \(r.stderr)")
            r = try await FilestoreBinary.run(["tenants", "delete", "acme", "--reason", "contract ended", "--reference", "C-7", "--json"], database: appDB, env: settings)
            #expect(r.status == 0 && r.stdout.contains("\"created\":false"), "\(r.stdout)")
            r = try await FilestoreBinary.run(["tenants", "delete", "acme", "--reason", "x"], database: appDB, env: ["FILESTORE_BLOB_DIR": root.path])
            #expect(r.status != 0 && r.stderr.contains("FILESTORE_COMPLIANCE_KEYS"), "\(r.stderr)")
            r = try await FilestoreBinary.run(["tenants", "delete", "Not A Tenant", "--reason", "x"], database: appDB, env: settings)
            #expect(r.status != 0 && r.stderr.contains("invalid tenant"), "\(r.stderr)")
        }
    }
}
