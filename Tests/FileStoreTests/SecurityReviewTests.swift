import API
import Crypto
import Domain
import FileCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing

/// Hand-made compact JWS tokens, for the attacks JWTKit would never sign.
enum ForgedToken {
    static func b64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func json(_ object: [String: Any]) -> Data { try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) }

    /// Claims of a valid acme token, with `changes` applied (a `NSNull` value removes a claim).
    static func claims(_ changes: [String: Any] = [:], now: Date = Date()) -> [String: Any] {
        var c: [String: Any] = ["sub": "attacker", "tenant": "acme", "scope": "files:read files:write",
                                "iat": Int(now.timeIntervalSince1970), "exp": Int(now.timeIntervalSince1970) + 600]
        for (k, v) in changes { c[k] = v is NSNull ? nil : v }
        return c
    }

    /// `header.payload.signature`, HS256 over the first two with `secret` (no signature when `secret` is nil).
    static func make(header: [String: Any], claims: [String: Any], secret: String?) -> String {
        let signingInput = b64url(json(header)) + "." + b64url(json(claims))
        guard let secret else { return signingInput + "." }
        let mac = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return signingInput + "." + b64url(Data(mac))
    }
}

/// The four defect classes of the outside review, each with its siblings: a token verifies only with the key
/// its `kid` names, never before its time; bad bytes in headers and metadata answer 4xx, never 5xx; failed
/// authentication is charged to the client, never to the tenant in the path, and the limiter's memory is
/// bounded without resetting everyone; a taken port is named with the flag and setting that choose another.
@Suite struct SecurityReviewTests {
    static let failuresOff = RateLimiter(limits: [:])

    /// The status of `GET uri` with `token` (599 and a recorded issue when the request itself fails).
    func statusOf(_ client: any TestClientProtocol, _ token: String, uri: String = "/v1/files") async -> HTTPResponse.Status {
        do {
            return try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"]) { (response: TestResponse) throws in
                if response.status == .unauthorized {
                    #expect(errorCode(response) == "MELMASTOON.FILE.UNAUTHENTICATED")
                    #expect(response.headers[.wwwAuthenticate] == "Bearer")
                }
                return response.status
            }
        } catch {
            Issue.record("request failed: \(error)")
            return HTTPResponse.Status(code: 599)
        }
    }

    @Test func aTokenVerifiesOnlyWithTheKeyItsKidNames() async throws {
        try await APIHarness.with(limiter: Self.failuresOff) { h, client in
            let ok = ForgedToken.make(header: ["alg": "HS256", "typ": "JWT", "kid": "a"], claims: ForgedToken.claims(), secret: APIHarness.secretA)
            #expect(await statusOf(client, ok) == .ok)
            // Signed with a configured key, but the kid names no configured key (or a path): refused.
            for kid: Any in ["zzz", "../..", "../../etc/passwd", "", "a\u{0}", "A", " a", 1, NSNull()] {
                var header: [String: Any] = ["alg": "HS256", "typ": "JWT"]
                if !(kid is NSNull) { header["kid"] = kid }
                for secret in [APIHarness.secretA, APIHarness.secretB] {
                    let token = ForgedToken.make(header: header, claims: ForgedToken.claims(), secret: secret)
                    #expect(await statusOf(client, token) == .unauthorized, "kid \(kid)")
                }
            }
            // The kid names a configured key but the token is signed with the other one.
            let crossed = ForgedToken.make(header: ["alg": "HS256", "kid": "a"], claims: ForgedToken.claims(), secret: APIHarness.secretB)
            #expect(await statusOf(client, crossed) == .unauthorized)
            // alg none, another HMAC, an asymmetric alg name: refused whatever the signature.
            for alg in ["none", "None", "HS384", "HS512", "RS256", "ES256", ""] {
                #expect(await statusOf(client, ForgedToken.make(header: ["alg": alg, "kid": "a"], claims: ForgedToken.claims(), secret: nil)) == .unauthorized)
                #expect(await statusOf(client, ForgedToken.make(header: ["alg": alg, "kid": "a"], claims: ForgedToken.claims(), secret: APIHarness.secretA)) == .unauthorized, "\(alg)")
            }
        }
    }

    @Test func aTokenIsNotUsedBeforeItsTimeBeyondTheLeeway() async throws {
        try await APIHarness.with(limiter: Self.failuresOff) { h, client in
            let now = Int(Date().timeIntervalSince1970)
            func token(_ changes: [String: Any]) -> String {
                ForgedToken.make(header: ["alg": "HS256", "kid": "b"], claims: ForgedToken.claims(changes), secret: APIHarness.secretB)
            }
            #expect(await statusOf(client, token(["nbf": now + 3600])) == .unauthorized)
            #expect(await statusOf(client, token(["iat": now + 3600, "exp": now + 7200])) == .unauthorized)
            #expect(await statusOf(client, token(["nbf": now + Int(TokenKeys.clockLeeway) + 30])) == .unauthorized)
            // Within the documented leeway (60 s of clock skew): accepted.
            #expect(await statusOf(client, token(["nbf": now + 20, "iat": now + 20])) == .ok)
            #expect(await statusOf(client, token(["nbf": now - 10])) == .ok)
            // exp is required and checked.
            #expect(await statusOf(client, token(["exp": NSNull()])) == .unauthorized)
            #expect(await statusOf(client, token(["exp": now - 1])) == .unauthorized)
            #expect(await statusOf(client, token(["iat": NSNull()])) == .unauthorized)
            #expect(await statusOf(client, token(["exp": "tomorrow"])) == .unauthorized)
        }
        // The same through the API of the keys, with an explicit clock.
        let keys = try await TokenKeys([("k", String(repeating: "k", count: 32))])
        let issued = Date()
        let later = try await keys.issue(TokenPayload(subject: "s", tenant: TenantID("acme"), scopes: [.filesRead], issuedAt: issued, ttl: 600,
                                                       notBefore: issued.addingTimeInterval(300)))
        await #expect(throws: FileError.self) { try await keys.verify(later, now: issued) }
    }

    @Test func badBytesInTusMetadataAreRefusedNotA500() async throws {
        try await APIHarness.with { h, client in
            let token = try await h.token()
            func create(_ metadata: String) async throws -> TestResponse {
                try await client.execute(uri: "/v1/uploads", method: .post,
                                         headers: h.headers(token, [HTTPField.Name("Tus-Resumable")!: "1.0.0", HTTPField.Name("Upload-Length")!: "10",
                                                                    HTTPField.Name("Upload-Metadata")!: metadata])) { $0 }
            }
            func b64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }
            let hostile = ["filename \(b64("evil\u{0}.txt"))", "filename \(b64("a\u{0}"))", "note \(b64("x\u{0}y"))",
                           "filename \(b64("line\nbreak.txt"))", "filename \(b64("bell\u{7}.txt"))", "filename \(b64(String(repeating: "n", count: 256)))",
                           "filetype \(b64("text/plain\u{0}"))", "filename \(Data([0xFF, 0xFE, 0x00]).base64EncodedString())",
                           "filename !!!notbase64", "k \(b64("v")) extra", "\(String(repeating: "k", count: 300)) \(b64("v"))"]
            for metadata in hostile {
                let response = try await create(metadata)
                #expect(response.status == .badRequest, "\(metadata): \(response.status)")
                #expect(errorCode(response) == "MELMASTOON.FILE.INVALID_REQUEST", "\(metadata)")
                #expect(response.headers[HTTPField.Name("Tus-Resumable")!] == "1.0.0")
            }
            // Odd but storable names are data: accepted and given back as sent.
            let odd = "r\u{e9}sum\u{e9} \"quoted\" ../../etc/passwd \u{202E}txt.exe"
            let created = try await create("filename \(b64(odd)),note \(b64("tab\there"))")
            #expect(created.status == .created)
            let location = try #require(created.headers[.location])
            try await client.execute(uri: location, method: .head, headers: h.headers(token, [HTTPField.Name("Tus-Resumable")!: "1.0.0"])) {
                (response: TestResponse) throws in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("Upload-Metadata")!]?.contains(b64(odd)) == true)
            }
            #expect(try await h.count("uploads") == 1)
        }
    }

    @Test func badBytesInQueriesAndHeadersAreRefusedNotA500() async throws {
        try await APIHarness.with { h, client in
            let token = try await h.token()
            let id = try await DownloadTests().upload(h, client)
            let requests: [(String, HTTPRequest.Method, [HTTPField.Name: String])] = [
                ("/v1/files?name=a%00b", .post, [:]), ("/v1/files?name=%0D%0A", .post, [:]),
                ("/v1/files/\(id)/content?variant=%00", .get, [:]), ("/v1/files/\(id)/content?variant=%FF%FE", .get, [:]),
                ("/v1/files/\(id)/content?variant=\(String(repeating: "v", count: 5000))", .get, [:]),
                ("/v1/files?cursor=%00", .get, [:]), ("/v1/files?state=%00", .get, [:]), ("/v1/files?limit=%00", .get, [:]),
                ("/v1/files?limit=99999999999999999999", .get, [:]), ("/v1/files/med_%00", .get, [:]), ("/v1/files/%2e%2e%2f%2e%2e", .get, [:]),
                ("/v1/uploads/upl_%00", .delete, [HTTPField.Name("Tus-Resumable")!: "1.0.0"]),
                ("/v1/files", .post, [HTTPField.Name("Content-Digest")!: "sha-256=:\u{1}:"]),
                ("/v1/files", .post, [HTTPField.Name("Content-Digest")!: "sha-256=::"]),
                ("/v1/files", .post, [HTTPField.Name("Idempotency-Key")!: String(repeating: "k", count: 300)]),
            ]
            for (uri, method, extra) in requests {
                try await client.execute(uri: uri, method: method, headers: h.headers(token, extra), body: ByteBuffer(string: "x")) {
                    (response: TestResponse) throws in
                    #expect((400..<500).contains(response.status.code), "\(method) \(uri): \(response.status)")
                    #expect(errorCode(response)?.hasPrefix("MELMASTOON.FILE.") == true, "\(method) \(uri)")
                }
            }
        }
    }

    @Test func failedSignaturesAreChargedToTheClientNeverToTheTenant() async throws {
        // The review's case: download=1/5. Refill is slow enough that a loaded machine refills nothing.
        let limiter = RateLimiter(limits: [.download: .init(perSecond: 0.01, burst: 5), .unauthenticated: .init(perSecond: 0.01, burst: 10)])
        try await APIHarness.with(limiter: limiter) { h, client in
            let downloads = DownloadTests()
            let id = try await downloads.upload(h, client)
            try await downloads.setState(h, id, "ready")
            let url = try await downloads.signedURL(h, client, id)
            let junk = url.replacingOccurrences(of: "sig=", with: "sig=AAAA")
            var statuses: [Int] = []
            for _ in 0..<15 {
                statuses.append(try await client.execute(uri: junk, method: .get) { $0.status.code })
            }
            // Ten failures answer 403, then the client is limited; the tenant is not.
            #expect(statuses == Array(repeating: 403, count: 10) + Array(repeating: 429, count: 5), "\(statuses)")
            try await client.execute(uri: url, method: .get) { (response: TestResponse) throws in
                #expect(response.status == .ok)
                #expect(Array(response.body.readableBytesView) == DownloadTests.content)
            }
            // Junk bearer tokens against the tenant's routes go to the same client budget, and a valid token of that
            // tenant (from the same address) still works.
            try await client.execute(uri: "/v1/files", method: .get, headers: [.authorization: "Bearer junk", HTTPField.Name("X-Tenant-Id")!: "acme"]) {
                #expect($0.status == .tooManyRequests)
                #expect($0.headers[.retryAfter] != nil)
            }
            try await client.execute(uri: "/v1/files", method: .get, headers: h.headers(try await h.token())) { #expect($0.status == .ok) }
            // The tenant's own download budget is spent by valid downloads only: 1 so far, 4 more, then 429.
            for _ in 0..<4 { try await client.execute(uri: url, method: .get) { #expect($0.status == .ok) } }
            try await client.execute(uri: url, method: .get) { #expect($0.status == .tooManyRequests) }
        }
    }

    @Test func theLimiterBoundsItsMemoryWithoutResettingEveryone() throws {
        let limit = RateLimiter.Limit(perSecond: 0.001, burst: 2)
        var buckets = TokenBuckets(capacity: 1000)
        // A tenant spends its burst.
        #expect(buckets.take("acme", limit: limit, now: 0) == .admit && buckets.take("acme", limit: limit, now: 0) == .admit)
        #expect(buckets.take("acme", limit: limit, now: 0) != .admit)
        // A flood of fresh keys (one token each, so none is full) fills the table many times over.
        for i in 0..<20_000 {
            let now = 1 + Double(i) * 0.0001
            _ = buckets.take("flood-\(i)", limit: limit, now: now)
            if i % 97 == 0 { _ = buckets.take("acme", limit: limit, now: now) }
            #expect(buckets.count <= 1000)
        }
        // The tenant in use keeps its (empty) bucket: the flood did not reset its limit.
        #expect(buckets.take("acme", limit: limit, now: 3) != .admit)
        // Full buckets go first: an idle key that has refilled is dropped before anything recently used.
        var idle = TokenBuckets(capacity: 10)
        let fast = RateLimiter.Limit(perSecond: 1000, burst: 1)
        _ = idle.take("idle", limit: fast, now: 0)
        for i in 0..<9 { _ = idle.take("busy-\(i)", limit: limit, now: 1) }
        _ = idle.take("new", limit: limit, now: 2)
        #expect(idle.buckets["busy-0"] != nil && idle.buckets["idle"] == nil)
    }
}
