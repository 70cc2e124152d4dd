import API
import Domain
import FileCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing

/// `POST /v1/inbox/{source}` through the router: Standard Webhooks verification per source, schema validation,
/// dedup by (source, event id) in the transaction of the effect.
@Suite struct InboxTests {
    static let secret = WebhookSigner.newSecret()
    static let oldSecret = WebhookSigner.newSecret()

    static func configuration() -> APIConfiguration {
        var c = APIConfiguration()
        c.inboxSecrets = ["billing": [secret, oldSecret], "platform": [secret]]
        return c
    }

    static func signed(_ type: String, _ data: String, id: String = "msg_\(UUID().uuidString)", secret: String = secret,
                       timestamp: Int = Int(Date().timeIntervalSince1970)) -> (HTTPFields, ByteBuffer, String) {
        let body = Array(#"{"type":"\#(type)","timestamp":"2026-12-02T10:00:00Z","data":\#(data)}"#.utf8)
        var fields: HTTPFields = [.contentType: "application/json"]
        for (name, value) in WebhookSigner.headers(id: id, timestamp: timestamp, body: body, secrets: [secret]) { fields[HTTPField.Name(name)!] = value }
        return (fields, ByteBuffer(bytes: body), id)
    }

    @Test func aPlanChangeSetsQuotasOnceAndADuplicateHasNoSecondEffect() async throws {
        try await APIHarness.with(configuration: Self.configuration()) { h, client in
            let (headers, body, _) = Self.signed("tenant.plan_changed.v1", #"{"tenant_id":"acme","plan":"pro","quota_bytes":5000,"quota_files":3}"#)
            try await client.execute(uri: "/v1/inbox/billing", method: .post, headers: headers, body: body) { (response: TestResponse) throws in
                #expect(response.status == .accepted)
            }
            #expect(try await h.count("tenants", where: "quota_bytes = 5000 AND quota_files = 3") == 1)
            // The same event again (a redelivery): 200, recorded once, no second effect even after the quota moved on.
            try await h.env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
                try await tx.query("UPDATE tenants SET quota_bytes = 7", logger: TestDatabase.logger)
            }
            try await client.execute(uri: "/v1/inbox/billing", method: .post, headers: headers, body: body) { (response: TestResponse) throws in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("duplicate"))
            }
            #expect(try await h.count("tenants", where: "quota_bytes = 7") == 1)
            #expect(try await h.count("inbox_events") == 1)
            // The old secret of a rotating source verifies too.
            let (h2, b2, _) = Self.signed("tenant.plan_changed.v1", #"{"tenant_id":"acme","plan":"free","quota_bytes":null,"quota_files":null}"#,
                                          secret: Self.oldSecret)
            try await client.execute(uri: "/v1/inbox/billing", method: .post, headers: h2, body: b2) { (response: TestResponse) throws in
                #expect(response.status == .accepted)
            }
            #expect(try await h.count("tenants", where: "quota_bytes IS NULL AND quota_files IS NULL") == 1)
        }
    }

    @Test func deletionsAndDataSubjectRequestsEnqueueTheirJobOnceInTheSameTransaction() async throws {
        try await APIHarness.with(configuration: Self.configuration()) { h, client in
            let (headers, body, id) = Self.signed("dsr.requested.v1", #"{"tenant_id":"acme","request_id":"r-1","subject_id":"user-7","kind":"erasure"}"#)
            for expected in [HTTPResponse.Status.accepted, .ok, .ok] {
                try await client.execute(uri: "/v1/inbox/platform", method: .post, headers: headers, body: body) { (response: TestResponse) throws in
                    #expect(response.status == expected)
                }
            }
            let jobs = try await h.env.client.list(.init(queue: "maintenance"))
            #expect(jobs.filter { $0.kind == "dsr.process" }.count == 1)
            #expect(jobs.first { $0.kind == "dsr.process" }?.argsJSON.contains(id) == true)
            #expect(jobs.first { $0.kind == "dsr.process" }?.tenantID == "acme")
            let (hd, bd, _) = Self.signed("tenant.deleted.v1", #"{"tenant_id":"acme","deleted_at":"2026-12-02T10:00:00Z"}"#)
            try await client.execute(uri: "/v1/inbox/platform", method: .post, headers: hd, body: bd) { (response: TestResponse) throws in
                #expect(response.status == .accepted)
            }
            #expect(try await h.env.client.list(.init(queue: "maintenance")).filter { $0.kind == "tenant.purge" }.count == 1)
        }
    }

    @Test func unsignedUnknownAndInvalidEventsAreRefusedWithTheEnvelopeAndCounted() async throws {
        try await APIHarness.with(configuration: Self.configuration()) { h, client in
            let good = #"{"tenant_id":"acme","plan":"pro","quota_bytes":1,"quota_files":1}"#
            var cases: [(String, HTTPFields, ByteBuffer, HTTPResponse.Status, String)] = []
            let (sh, sb, _) = Self.signed("tenant.plan_changed.v1", good, secret: WebhookSigner.newSecret())
            cases.append(("billing", sh, sb, .unauthorized, "EVENT_SIGNATURE_INVALID"))
            let (oh, ob, _) = Self.signed("tenant.plan_changed.v1", good, timestamp: Int(Date().timeIntervalSince1970) - 3600)
            cases.append(("billing", oh, ob, .unauthorized, "EVENT_SIGNATURE_INVALID"))
            let (uh, ub, _) = Self.signed("tenant.plan_changed.v1", good)
            cases.append(("nobody", uh, ub, .unauthorized, "EVENT_SIGNATURE_INVALID"))
            cases.append(("billing", [.contentType: "application/json"], ub, .unauthorized, "EVENT_SIGNATURE_INVALID"))
            var tampered = ub
            tampered.writeString(" ")
            cases.append(("billing", uh, tampered, .unauthorized, "EVENT_SIGNATURE_INVALID"))
            let (th, tb, _) = Self.signed("file.ready.v1", good)
            cases.append(("billing", th, tb, .unprocessableContent, "EVENT_TOPIC_UNKNOWN"))
            let (ih, ib, _) = Self.signed("tenant.plan_changed.v1", #"{"tenant_id":"acme","plan":"pro","quota_bytes":"lots","quota_files":1}"#)
            cases.append(("billing", ih, ib, .unprocessableContent, "EVENT_INVALID"))
            let (xh, xb, _) = Self.signed("tenant.plan_changed.v1", #"{"tenant_id":"../etc","plan":"pro","quota_bytes":1,"quota_files":1}"#)
            cases.append(("billing", xh, xb, .unprocessableContent, "EVENT_INVALID"))
            for (i, (source, headers, body, status, code)) in cases.enumerated() {
                try await client.execute(uri: "/v1/inbox/\(source)", method: .post, headers: headers, body: body) { (response: TestResponse) throws in
                    #expect(response.status == status, "case \(i)")
                    #expect(errorCode(response) == "MELMASTOON.FILE.\(code)", "case \(i)")
                }
            }
            #expect(try await h.count("inbox_events") == 0)
            #expect(try await h.count("tenants", where: "quota_bytes IS NOT NULL") == 0)
        }
    }
}
