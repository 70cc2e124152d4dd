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

@Suite struct LimitsTests {
    @Test func rateLimitsArePerTenantAndEndpointWithRetryAfter() async throws {
        // Refill so slow (one token per 100 s) that a loaded machine cannot refill a bucket during the test.
        let limiter = RateLimiter(limits: [.read: .init(perSecond: 0.01, burst: 3), .upload: .init(perSecond: 0.01, burst: 1)])
        try await APIHarness.with(limiter: limiter) { h, client in
            let acme = try await h.token(), globex = try await h.token("globex")
            for _ in 0..<3 {
                try await client.execute(uri: "/v1/files", method: .get, headers: h.headers(acme)) { #expect($0.status == .ok) }
            }
            try await client.execute(uri: "/v1/files", method: .get, headers: h.headers(acme)) { (response: TestResponse) throws in
                #expect(response.status == .tooManyRequests)
                #expect(errorCode(response) == "MELMASTOON.FILE.RATE_LIMITED")
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
            }
            // Another tenant, and another endpoint class of the same tenant, have their own budgets.
            try await client.execute(uri: "/v1/files", method: .get, headers: h.headers(globex)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(acme), body: ByteBuffer(bytes: [1])) { #expect($0.status == .created) }
            try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(acme), body: ByteBuffer(bytes: [1])) { #expect($0.status == .tooManyRequests) }
            #expect(try await h.count("files") == 1)
        }
    }

    @Test func quotasAreCheckedFromTheDeclaredLengthAndOnTheBytesReceived() async throws {
        try await APIHarness.with { h, client in
            let token = try await h.token()
            try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token), body: ByteBuffer(bytes: Array(repeating: 1, count: 600))) {
                #expect($0.status == .created)
            }
            try await h.env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
                try await tx.query("UPDATE tenants SET quota_bytes = 1000, quota_files = 2 WHERE id = 'acme'", logger: TestDatabase.logger)
            }
            // 600 + 500 > 1000 bytes: refused from Content-Length, before the body is read.
            try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token), body: ByteBuffer(bytes: Array(repeating: 2, count: 500))) {
                (response: TestResponse) throws in
                #expect(response.status == .conflict)
                #expect(errorCode(response) == "MELMASTOON.FILE.QUOTA_EXCEEDED")
            }
            // 600 + 400 fits, and then the file count (2) is reached.
            try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token), body: ByteBuffer(bytes: Array(repeating: 3, count: 400))) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token), body: ByteBuffer(bytes: [4])) { (response: TestResponse) throws in
                #expect(errorCode(response) == "MELMASTOON.FILE.QUOTA_EXCEEDED")
            }
            #expect(try await h.count("files") == 2)
            #expect(h.blobFiles().count == 2)
            // Another tenant is not affected.
            let globex = try await h.token("globex")
            try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(globex), body: ByteBuffer(bytes: [5])) { #expect($0.status == .created) }
        }
    }
}
