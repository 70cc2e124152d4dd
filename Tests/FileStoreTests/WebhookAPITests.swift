import API
import FileCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing

/// `/v1/webhooks` through the router, on the real database as the service's role.
@Suite struct WebhookAPITests {
    static func configuration(allowPrivate: Bool) -> APIConfiguration {
        var c = APIConfiguration()
        c.core.webhooks.allowPrivate = allowPrivate
        return c
    }

    static func json(_ object: [String: Any]) -> ByteBuffer {
        ByteBuffer(data: try! JSONSerialization.data(withJSONObject: object))
    }

    @Test func endpointsAreCreatedListedChangedRotatedAndDeletedWithTheirScope() async throws {
        try await APIHarness.with(configuration: Self.configuration(allowPrivate: true)) { h, client in
            let admin = try await h.token("acme", [.webhooksAdmin])
            let created = try await client.execute(uri: "/v1/webhooks", method: .post, headers: h.headers(admin, [.contentType: "application/json"]),
                                                   body: Self.json(["url": "http://127.0.0.1:9/hook", "topics": ["file.*"], "description": "ci"])) {
                response -> WebhookResource in
                #expect(response.status == .created)
                return try decode(WebhookResource.self, response)
            }
            #expect(created.id.hasPrefix("whk_") && created.enabled && created.topics == ["file.*"])
            let secret = try #require(created.secret)
            #expect(secret.hasPrefix("whsec_") && (WebhookSigner.key(of: secret)?.count ?? 0) >= 24)
            // The secret is shown once: reads never carry it.
            try await client.execute(uri: "/v1/webhooks/\(created.id)", method: .get, headers: h.headers(admin)) { (response: TestResponse) throws in
                #expect(response.status == .ok)
                let read = try decode(WebhookResource.self, response)
                #expect(read.secret == nil && read.url == "http://127.0.0.1:9/hook" && read.description == "ci")
            }
            try await client.execute(uri: "/v1/webhooks", method: .get, headers: h.headers(admin)) { (response: TestResponse) throws in
                #expect(try decode(WebhookPage.self, response).webhooks.map(\.id) == [created.id])
            }
            // PATCH: topics, disable, clear the description.
            try await client.execute(uri: "/v1/webhooks/\(created.id)", method: .patch, headers: h.headers(admin, [.contentType: "application/json"]),
                                     body: ByteBuffer(string: #"{"topics": ["file.ready.v1", "webhook.endpoint_disabled.v1"], "enabled": false, "description": null}"#)) { (response: TestResponse) throws in
                #expect(response.status == .ok)
                let e = try decode(WebhookResource.self, response)
                #expect(e.topics == ["file.ready.v1", "webhook.endpoint_disabled.v1"] && !e.enabled && e.description == nil && e.disabled_reason != nil)
            }
            // Rotation: a new secret, the old one still signing for the overlap.
            try await client.execute(uri: "/v1/webhooks/\(created.id)/rotate-secret", method: .post, headers: h.headers(admin)) { (response: TestResponse) throws in
                #expect(response.status == .ok)
                let e = try decode(WebhookResource.self, response)
                #expect(e.secret != nil && e.secret != secret)
                let until = try #require(e.previous_secret_expires_at)
                #expect(abs(until.timeIntervalSinceNow - 86400) < 120)
            }
            try await client.execute(uri: "/v1/webhooks/\(created.id)/deliveries", method: .get, headers: h.headers(admin)) { (response: TestResponse) throws in
                #expect(response.status == .ok)
                #expect(try decode(WebhookAttemptPage.self, response).deliveries.isEmpty)
            }
            try await client.execute(uri: "/v1/webhooks/\(created.id)/replay", method: .post, headers: h.headers(admin, [.contentType: "application/json"]),
                                     body: ByteBuffer(string: #"{"topic": "file.ready.v1"}"#)) { (response: TestResponse) throws in
                #expect(response.status == .accepted)
                #expect(try decode(WebhookReplayResult.self, response).replayed == 0)
            }
            // Another tenant sees nothing of it (row-level security), a files token may not touch it.
            let other = try await h.token("globex", [.webhooksAdmin])
            try await client.execute(uri: "/v1/webhooks/\(created.id)", method: .get, headers: h.headers(other)) { (response: TestResponse) throws in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/v1/webhooks", method: .get, headers: h.headers(other)) { (response: TestResponse) throws in
                #expect(try decode(WebhookPage.self, response).webhooks.isEmpty)
            }
            let files = try await h.token("acme", [.filesAdmin])
            try await client.execute(uri: "/v1/webhooks", method: .get, headers: h.headers(files)) { (response: TestResponse) throws in
                #expect(response.status == .forbidden)
                #expect(errorCode(response) == "MELMASTOON.FILE.FORBIDDEN")
            }
            try await client.execute(uri: "/v1/webhooks/\(created.id)", method: .delete, headers: h.headers(admin)) { (response: TestResponse) throws in
                #expect(response.status == .noContent)
            }
            try await client.execute(uri: "/v1/webhooks/\(created.id)", method: .get, headers: h.headers(admin)) { (response: TestResponse) throws in
                #expect(response.status == .notFound)
            }
            #expect(try await h.count("webhook_endpoints") == 0)
        }
    }

    @Test func hostileInputIsRefusedWithTheEnvelope() async throws {
        try await APIHarness.with(configuration: Self.configuration(allowPrivate: false)) { h, client in
            let admin = try await h.token("acme", [.webhooksAdmin])
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"url": "http://hooks.example.com/x", "topics": ["file.*"]}"#, .unprocessableContent, "WEBHOOK_URL_REFUSED"),
                (#"{"url": "https://127.0.0.1/x", "topics": ["file.*"]}"#, .unprocessableContent, "WEBHOOK_URL_REFUSED"),
                (#"{"url": "https://169.254.169.254/latest/meta-data", "topics": ["file.*"]}"#, .unprocessableContent, "WEBHOOK_URL_REFUSED"),
                (#"{"url": "https://[::1]/x", "topics": ["file.*"]}"#, .unprocessableContent, "WEBHOOK_URL_REFUSED"),
                (#"{"url": "https://localhost/x", "topics": ["file.*"]}"#, .unprocessableContent, "WEBHOOK_URL_REFUSED"),
                (#"{"url": "https://93.184.216.34/x", "topics": ["nope.v1"]}"#, .badRequest, "INVALID_REQUEST"),
                (#"{"url": "https://93.184.216.34/x", "topics": []}"#, .badRequest, "INVALID_REQUEST"),
                (#"{"url": "https://93.184.216.34/x"}"#, .badRequest, "INVALID_REQUEST"),
                (#"{"url": 5, "topics": ["file.*"]}"#, .badRequest, "INVALID_REQUEST"),
                ("not json", .badRequest, "INVALID_REQUEST"),
            ]
            for (body, status, code) in cases {
                try await client.execute(uri: "/v1/webhooks", method: .post, headers: h.headers(admin, [.contentType: "application/json"]),
                                         body: ByteBuffer(string: body)) { (response: TestResponse) throws in
                    #expect(response.status == status, "\(body)")
                    #expect(errorCode(response) == "MELMASTOON.FILE.\(code)", "\(body)")
                }
            }
            for uri in ["/v1/webhooks/nope", "/v1/webhooks/med_01JD2X0000000000000000000A/deliveries"] {
                try await client.execute(uri: uri, method: .get, headers: h.headers(admin)) { (response: TestResponse) throws in
                    #expect(response.status == .badRequest)
                    #expect(errorCode(response) == "MELMASTOON.FILE.INVALID_ID")
                }
            }
            #expect(try await h.count("webhook_endpoints") == 0)
        }
    }
}
