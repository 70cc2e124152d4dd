import API
import Console
import Domain
import FileCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import Storage
import Testing
import TestSupport

/// The erasure page of one tenant: its requests with state, progress and due date, and a finished request's
/// receipt with its stores and the exceptions' legal basis; another tenant's requests are never shown, the subject
/// only as its keyed hash, and a read-only session may look.
@Suite struct ConsoleErasureTests {
    @Test func aTenantsErasureRequestsAndAReceiptWithItsExceptionsAreShown() async throws {
        try await ConsoleHarness.with { h, client in
            try await TestDatabase.withClient(TestDatabase.appRole(h.env.config)) { app in
                let root = FileManager.default.temporaryDirectory.appendingPathComponent("console-erasure-\(UUID())")
                defer { try? FileManager.default.removeItem(at: root) }
                var configuration = FileCoreConfiguration()
                configuration.compliance.keys = try ComplianceKeys([("c1", String(repeating: "k", count: 40))])
                let core = FileCore(database: TenantDatabase(postgres: app, logger: TestDatabase.logger), blobs: try LocalBlobStore(root: root),
                                    configuration: configuration)
                let acme = try TenantID("acme"), globex = try TenantID("globex")
                let subject = "ivy.private@example.com"
                let who = Identity(subject: subject, tenant: acme, scopes: [.filesWrite])
                let dpo = Identity(subject: "dpo", tenant: acme, scopes: [.complianceAdmin])
                var files: [FileRecord] = []
                for i in 0..<3 {
                    files.append(try await core.uploads.upload(AsyncStream { $0.yield(ByteBuffer(string: "ivy \(i)")); $0.finish() }, as: who,
                                                               .init(originalName: "ivy-\(i).txt")))
                }
                _ = try await core.retention.legalHold(files[0].id, hold: true, reason: "litigation 2026-17", as: dpo, requestID: nil)
                let (done, _) = try await core.erasure.request(.init(subjectID: subject, reason: "Art. 17", reference: "t-1"), as: dpo, requestID: nil)
                try await core.erasure.run(done.id, tenant: acme, jobID: nil)
                let (open, _) = try await core.erasure.request(.init(subjectID: "someone-else", reason: "Art. 17"), as: dpo, requestID: nil)
                let (foreign, _) = try await core.erasure.request(.init(subjectID: "x", reason: "r"),
                                                                  as: Identity(subject: "dpo", tenant: globex, scopes: [.complianceAdmin]), requestID: nil)
                let browser = try await h.signIn(client, scopes: [.jobsRead])
                let page = String(buffer: try await client.execute(uri: "/admin/erasure?tenant=acme", method: .get, headers: browser.headers).body)
                #expect(page.contains(done.id.description) && page.contains(open.id.description) && !page.contains(foreign.id.description))
                #expect(page.contains("completed_with_exceptions") && page.contains("3 / 2 / 1") && page.contains("received"))
                #expect(!page.contains(subject), "the subject shows only as its keyed hash")
                #expect(page.contains("/admin/erasure/\(done.id)?tenant=acme"))
                let receipt = String(buffer: try await client.execute(uri: "/admin/erasure/\(done.id)?tenant=acme", method: .get, headers: browser.headers).body)
                #expect(receipt.contains("litigation 2026-17") && receipt.contains(files[0].id.description) && receipt.contains("blob:local"))
                #expect(receipt.contains("read: not found") && receipt.contains("signed by key <code>c1</code>"))
                // Another tenant's request is not found under acme; bad ids and tenants are refused with the envelope.
                let wrong = try await client.execute(uri: "/admin/api/erasure/\(foreign.id)?tenant=acme", method: .get, headers: browser.headers)
                #expect(wrong.status == .notFound)
                #expect(try await client.execute(uri: "/admin/api/erasure/dsr_nope?tenant=acme", method: .get, headers: browser.headers).status == .badRequest)
                #expect(try await client.execute(uri: "/admin/api/erasure?tenant=Not%20A%20Tenant", method: .get, headers: browser.headers).status == .badRequest)
                let api = try await client.execute(uri: "/admin/api/erasure?tenant=acme", method: .get, headers: browser.headers)
                #expect(api.status == .ok && String(buffer: api.body).contains(done.id.description))
            }
        }
    }
}
