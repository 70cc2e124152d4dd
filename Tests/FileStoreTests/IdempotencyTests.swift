import API
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import TestSupport
import Testing

@Suite struct IdempotencyTests {
    @Test func theSameKeyAndRequestReplaysTheFirstResponse() async throws {
        try await APIHarness.with { h, client in
            let token = try await h.token()
            let key = HTTPField.Name("Idempotency-Key")!
            let headers = h.headers(token, [key: "upload-1", HTTPField.Name("Content-Digest")!: sha256Digest(pngBytes)])
            let (first, firstLocation) = try await client.execute(uri: "/v1/files", method: .post, headers: headers, body: ByteBuffer(bytes: pngBytes)) {
                (response: TestResponse) throws -> (FileResource, String?) in
                #expect(response.status == .created)
                #expect(response.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
                return (try decode(FileResource.self, response), response.headers[.location])
            }
            // A retry (say, after a lost response) gets the same file, and nothing new is stored or queued.
            try await client.execute(uri: "/v1/files", method: .post, headers: headers, body: ByteBuffer(bytes: pngBytes)) { (response: TestResponse) throws in
                #expect(response.status == .created)
                #expect(response.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
                #expect(response.headers[.location] == firstLocation)
                #expect(try decode(FileResource.self, response) == first)
            }
            #expect(try await h.count("files") == 1)
            #expect(try await h.env.count(queue: "scan") == 1)
            // The same key with another request is refused.
            let other = h.headers(token, [key: "upload-1", HTTPField.Name("Content-Digest")!: sha256Digest([1, 2, 3])])
            try await client.execute(uri: "/v1/files", method: .post, headers: other, body: ByteBuffer(bytes: [1, 2, 3])) { (response: TestResponse) throws in
                #expect(response.status == .unprocessableContent)
                #expect(errorCode(response) == "MELMASTOON.FILE.IDEMPOTENCY_KEY_REUSED")
            }
            // Keys are per tenant: another tenant may use the same key for its own request.
            let globex = try await h.token("globex")
            try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(globex, [key: "upload-1"]), body: ByteBuffer(bytes: [1, 2, 3])) {
                #expect($0.status == .created)
            }
            #expect(try await h.count("files") == 1)
        }
    }

    @Test func clientErrorsReplayAndJSONBodiesArePartOfTheFingerprint() async throws {
        try await APIHarness.with { h, client in
            let token = try await h.token()
            let key = HTTPField.Name("Idempotency-Key")!
            let id = try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token), body: ByteBuffer(bytes: pngBytes)) {
                try decode(FileResource.self, $0).id
            }
            // Deleting twice with one key: the second call replays the first answer instead of a 409.
            for _ in 0..<2 {
                try await client.execute(uri: "/v1/files/\(id)", method: .delete, headers: h.headers(token, [key: "del-1"])) { (response: TestResponse) throws in
                    #expect(response.status == .ok)
                    #expect(try decode(FileResource.self, response).state == "deleted")
                }
            }
            #expect(try await h.count("audit_events", where: "action = 'file.deleted'") == 1)
            // A refused request is an answer too: replayed with its code.
            for _ in 0..<2 {
                try await client.execute(uri: "/v1/files/\(id)", method: .delete, headers: h.headers(token, [key: "del-2"])) { (response: TestResponse) throws in
                    #expect(response.status == .conflict)
                    #expect(errorCode(response) == "MELMASTOON.FILE.ILLEGAL_TRANSITION")
                }
            }
            // JSON bodies count: the same key with another ttl is another request.
            let json: HTTPFields = h.headers(token, [key: "url-1", .contentType: "application/json"])
            try await client.execute(uri: "/v1/files/\(id)/urls", method: .post, headers: json, body: ByteBuffer(string: "{\"ttl_seconds\": 60}")) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: "/v1/files/\(id)/urls", method: .post, headers: json, body: ByteBuffer(string: "{\"ttl_seconds\": 61}")) { (response: TestResponse) throws in
                #expect(errorCode(response) == "MELMASTOON.FILE.IDEMPOTENCY_KEY_REUSED")
            }
            try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token, [key: String(repeating: "k", count: 300)]),
                                     body: ByteBuffer(bytes: [1])) { (response: TestResponse) throws in
                #expect(response.status == .badRequest)
            }
        }
    }

    /// An expired key counts as never used: neither replayed nor refused as reused, whatever the request.
    @Test func anExpiredKeyIsNotReplayed() async throws {
        try await APIHarness.with { h, client in
            let token = try await h.token()
            let key = HTTPField.Name("Idempotency-Key")!
            let first = try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token, [key: "old-key"]),
                                                 body: ByteBuffer(bytes: pngBytes)) { try decode(FileResource.self, $0).id }
            try await h.env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
                try await tx.query("UPDATE idempotency_keys SET expires_at = now() - interval '1 second'", logger: TestDatabase.logger)
            }
            // The same request runs again…
            let second = try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token, [key: "old-key"]),
                                                  body: ByteBuffer(bytes: pngBytes)) { (r: TestResponse) throws -> String in
                #expect(r.status == .created)
                #expect(r.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
                return try decode(FileResource.self, r).id
            }
            #expect(second != first)
            #expect(try await h.count("files") == 2)
            // …and from now on the key is bound to it, for the full retention again.
            try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token, [key: "old-key"]), body: ByteBuffer(bytes: pngBytes)) {
                (r: TestResponse) throws in
                #expect(r.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
                #expect(try decode(FileResource.self, r).id == second)
            }
            #expect(try await h.count("idempotency_keys", where: "expires_at > now() + interval '23 hours'") == 1)
            // An expired key may also be taken by another request.
            try await h.env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
                try await tx.query("UPDATE idempotency_keys SET expires_at = now() - interval '1 second'", logger: TestDatabase.logger)
            }
            try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token, [key: "old-key"]), body: ByteBuffer(bytes: [1, 2, 3])) {
                #expect($0.status == .created)
            }
        }
    }
}
