import API
import Domain
import FileCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import TestSupport
import Testing

@Suite struct QuarantineOverrideTests {
    func quarantine(_ h: APIHarness, _ id: String) async throws {
        try await h.env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
            try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
            try await tx.query("UPDATE files SET state = 'quarantined', scan_signature = 'Test.Sig' WHERE id = \(id)", logger: TestDatabase.logger)
        }
    }

    @Test func complianceAdminsReleaseOrConfirmWithAReasonAndEveryoneElseIsRefused() async throws {
        try await APIHarness.with { h, client in
            let writer = try await h.token(), compliance = try await h.token("acme", [.complianceAdmin, .filesRead])
            func upload() async throws -> String {
                try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(writer), body: ByteBuffer(bytes: [7, 7])) {
                    try decode(FileResource.self, $0).id
                }
            }
            let a = try await upload(), b = try await upload(), c = try await upload()
            try await quarantine(h, a)
            try await quarantine(h, b)
            let json: [HTTPField.Name: String] = [.contentType: "application/json"]
            func post(_ path: String, _ token: String, _ body: String) async throws -> (HTTPResponse.Status, String?, FileResource?) {
                try await client.execute(uri: path, method: .post, headers: h.headers(token, json), body: ByteBuffer(string: body)) {
                    ($0.status, errorCode($0), try? decode(FileResource.self, $0))
                }
            }
            // files:write is not enough; a reason is required; only quarantined files can be overridden.
            #expect(try await post("/v1/files/\(a)/quarantine/release", writer, #"{"reason": "x"}"#).1 == "MELMASTOON.FILE.FORBIDDEN")
            #expect(try await post("/v1/files/\(a)/quarantine/release", compliance, #"{"reason": "  "}"#).1 == "MELMASTOON.FILE.INVALID_REQUEST")
            #expect(try await post("/v1/files/\(a)/quarantine/release", compliance, "{}").1 == "MELMASTOON.FILE.INVALID_REQUEST")
            #expect(try await post("/v1/files/\(c)/quarantine/release", compliance, #"{"reason": "x"}"#).1 == "MELMASTOON.FILE.ILLEGAL_TRANSITION")
            // Release: a false positive becomes clean. Confirm: deleted, bytes queued for purge.
            let released = try await post("/v1/files/\(a)/quarantine/release", compliance, #"{"reason": "vendor confirmed false positive"}"#)
            #expect(released.0 == .ok && released.2?.state == "clean")
            let confirmed = try await post("/v1/files/\(b)/quarantine/confirm", compliance, #"{"reason": "malware confirmed"}"#)
            #expect(confirmed.0 == .ok && confirmed.2?.state == "deleted")
            #expect(try await h.count("audit_events", where: "action = 'file.released' AND details->>'reason' = 'vendor confirmed false positive' AND actor = 'tester'") == 1)
            #expect(try await h.count("audit_events", where: "action = 'file.deleted' AND details->>'override' = 'confirm'") == 1)
            #expect(try await h.env.client.list(.init(queue: "maintenance")).map(\.kind) == ["file.purge"])
            // Another tenant's compliance admin cannot touch acme's files.
            let other = try await h.token("globex", [.complianceAdmin])
            #expect(try await post("/v1/files/\(c)/quarantine/confirm", other, #"{"reason": "x"}"#).0 == .notFound)
        }
    }
}
