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

@Suite struct ByteRangeTests {
    @Test func parsesSingleRangesAgainstTheSize() {
        #expect(ByteRange.parse(nil, size: 100) == .whole)
        #expect(ByteRange.parse("bytes=0-9", size: 100) == .partial(0..<10))
        #expect(ByteRange.parse("bytes=90-", size: 100) == .partial(90..<100))
        #expect(ByteRange.parse("bytes=-5", size: 100) == .partial(95..<100))
        #expect(ByteRange.parse("bytes=-500", size: 100) == .partial(0..<100))
        #expect(ByteRange.parse("bytes=50-5000", size: 100) == .partial(50..<100))
        #expect(ByteRange.parse("bytes=100-", size: 100) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=-0", size: 100) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=0-1,5-6", size: 100) == .whole)
        #expect(ByteRange.parse("bytes=9-3", size: 100) == .whole)
        #expect(ByteRange.parse("items=0-1", size: 100) == .whole)
    }

    @Test func contentDispositionIsSafeForAnyName() {
        #expect(ContentDisposition.attachment(filename: nil) == "attachment")
        #expect(ContentDisposition.attachment(filename: "report.pdf") == "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf")
        let tricky = ContentDisposition.attachment(filename: "../../r\u{e9}sum\u{e9} \"x\";\r\n.pdf")
        #expect(tricky == "attachment; filename=\"r_sum_ _x__.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22x%22%3B.pdf")
        #expect(!tricky.contains("\r") && !tricky.contains("\n") && !tricky.contains(".."))
    }
}

@Suite struct DownloadTests {
    static let content = Array(String(repeating: "0123456789", count: 100).utf8)

    /// Uploads `content` as acme and returns its id.
    func upload(_ h: APIHarness, _ client: some TestClientProtocol, name: String = "r\u{e9}sum\u{e9} 2026.txt") async throws -> String {
        let token = try await h.token()
        return try await client.execute(uri: "/v1/files", method: .post,
                                        headers: h.headers(token, [HTTPField.Name("Upload-Filename")!: name]),
                                        body: ByteBuffer(bytes: Self.content)) { try decode(FileResource.self, $0).id }
    }

    func setState(_ h: APIHarness, _ id: String, _ state: String) async throws {
        try await h.env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
            try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
            // A quarantined file always carries the signature that put it there (a CHECK holds that).
            try await tx.query("""
                UPDATE files SET state = \(state)::file_state,
                       scan_signature = CASE WHEN \(state) = 'quarantined' THEN 'Test.Signature' ELSE scan_signature END
                WHERE id = \(id)
                """, logger: TestDatabase.logger)
        }
    }

    func signedURL(_ h: APIHarness, _ client: some TestClientProtocol, _ id: String, ttl: Double = 60) async throws -> String {
        let token = try await h.token()
        return try await client.execute(uri: "/v1/files/\(id)/urls", method: .post, headers: h.headers(token, [.contentType: "application/json"]),
                                        body: ByteBuffer(string: "{\"ttl_seconds\": \(ttl)}")) { (response: TestResponse) throws -> String in
            #expect(response.status == .created)
            let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            return json?["url"] as? String ?? ""
        }
    }

    @Test func onlyReadyFilesAreServedWhateverTheURL() async throws {
        try await APIHarness.with { h, client in
            let id = try await upload(h, client)
            let url = try await signedURL(h, client, id)
            for state in ["uploaded", "scanning", "clean", "processing", "quarantined", "failed", "deleted"] {
                try await setState(h, id, state)
                try await client.execute(uri: url, method: .get) { (response: TestResponse) throws in
                    #expect(response.status == .conflict, "\(state)")
                    #expect(errorCode(response) == "MELMASTOON.FILE.NOT_SERVABLE")
                    #expect(response.body.readableBytes < 400) // an error document, never the bytes
                }
                let token = try await h.token()
                try await client.execute(uri: "/v1/files/\(id)/content", method: .get, headers: h.headers(token)) { #expect($0.status == .conflict) }
            }
            try await setState(h, id, "ready")
            try await client.execute(uri: url, method: .get) { (response: TestResponse) throws in
                #expect(response.status == .ok)
                #expect(Array(buffer: response.body) == Self.content)
                #expect(response.headers[.contentType] == "text/plain")
                #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                #expect(response.headers[.acceptRanges] == "bytes")
                #expect(response.headers[.contentDisposition] == "attachment; filename=\"r_sum_ 2026.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9%202026.txt")
                #expect(response.headers[.eTag]?.count == 66)
            }
        }
    }

    @Test func rangesConditionalsAndHead() async throws {
        try await APIHarness.with { h, client in
            let id = try await upload(h, client)
            try await setState(h, id, "ready")
            let url = try await signedURL(h, client, id)
            let etag = try await client.execute(uri: url, method: .head) { (response: TestResponse) throws -> String in
                #expect(response.status == .ok)
                #expect(response.headers[.contentLength] == "1000")
                #expect(response.body.readableBytes == 0)
                return response.headers[.eTag] ?? ""
            }
            try await client.execute(uri: url, method: .get, headers: [.range: "bytes=10-19"]) { (response: TestResponse) throws in
                #expect(response.status == .partialContent)
                #expect(response.headers[.contentRange] == "bytes 10-19/1000")
                #expect(Array(buffer: response.body) == Array(Self.content[10..<20]))
            }
            try await client.execute(uri: url, method: .get, headers: [.range: "bytes=-5"]) { (response: TestResponse) throws in
                #expect(response.status == .partialContent)
                #expect(Array(buffer: response.body) == Array(Self.content[995..<1000]))
            }
            try await client.execute(uri: url, method: .get, headers: [.range: "bytes=1000-"]) { (response: TestResponse) throws in
                #expect(response.status == .rangeNotSatisfiable)
                #expect(response.headers[.contentRange] == "bytes */1000")
                #expect(errorCode(response) == "MELMASTOON.FILE.RANGE_NOT_SATISFIABLE")
            }
            try await client.execute(uri: url, method: .get, headers: [.ifNoneMatch: etag]) { (response: TestResponse) throws in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: url, method: .get, headers: [.ifNoneMatch: "\"other\""]) { #expect($0.status == .ok) }
        }
    }

    @Test func tamperedExpiredRevokedAndUnknownKeyURLsAreRefused() async throws {
        try await APIHarness.with { h, client in
            let id = try await upload(h, client)
            try await setState(h, id, "ready")
            let url = try await signedURL(h, client, id)
            #expect(url.hasPrefix("/v1/download/acme/\(id)/original?"))
            func code(_ uri: String) async throws -> String? {
                try await client.execute(uri: uri, method: .get) { (r: TestResponse) throws -> String? in
                    #expect(r.status == .forbidden || r.status == .ok, "\(uri)")
                    return r.status == .ok ? nil : errorCode(r)
                }
            }
            #expect(try await code(url) == nil)
            let sig = url.components(separatedBy: "sig=")[1]
            let flipped = String(sig.first == "A" ? "B" : "A") + sig.dropFirst()
            #expect(try await code(url.replacingOccurrences(of: "sig=" + sig, with: "sig=" + flipped)) == "MELMASTOON.FILE.SIGNATURE_INVALID")
            #expect(try await code(url.replacingOccurrences(of: "/acme/", with: "/globex/")) == "MELMASTOON.FILE.SIGNATURE_INVALID")
            let exp = url.components(separatedBy: "exp=")[1].prefix(while: { $0.isNumber })
            #expect(try await code(url.replacingOccurrences(of: "exp=\(exp)", with: "exp=\(Int(exp)! + 1000)")) == "MELMASTOON.FILE.SIGNATURE_INVALID")
            #expect(try await code(url.replacingOccurrences(of: "&sig=", with: "&nosig=")) == "MELMASTOON.FILE.SIGNATURE_INVALID")
            // Signed by the previous key, still configured: accepted. By a retired key: refused.
            let fileID = try #require(PrefixedID(parsing: id, as: .file))
            let old = try URLSigner(keys: [("u1", APIHarness.urlSecretOld)]).sign(tenant: TenantID("acme"), file: fileID, variant: "original", generation: 1, ttl: 60)
            #expect(try await code(old.path) == nil)
            let retired = try URLSigner(keys: [("u0", "retired-url-key-0123456789abcdef0123")]).sign(tenant: TenantID("acme"), file: fileID, variant: "original", generation: 1, ttl: 60)
            #expect(try await code(retired.path) == "MELMASTOON.FILE.SIGNATURE_INVALID")
            // Expired: issued by the current key two minutes ago for one minute.
            let expired = try URLSigner(keys: [("u2", APIHarness.urlSecretNew)]).sign(tenant: TenantID("acme"), file: fileID, variant: "original",
                                                                                      generation: 1, ttl: 60, now: Date().addingTimeInterval(-120))
            #expect(try await code(expired.path) == "MELMASTOON.FILE.URL_EXPIRED")
            // Revoked: every URL issued before the revocation stops working; a new one works.
            let token = try await h.token()
            try await client.execute(uri: "/v1/files/\(id)/urls/revoke", method: .post, headers: h.headers(token)) { #expect($0.status == .ok) }
            #expect(try await code(url) == "MELMASTOON.FILE.URL_REVOKED")
            #expect(try await code(old.path) == "MELMASTOON.FILE.URL_REVOKED")
            #expect(try await code(try await signedURL(h, client, id)) == nil)
            #expect(try await h.count("audit_events", where: "action = 'file.urls_revoked'") == 1)
        }
    }

    @Test func urlLifetimesAreCappedAndBearerDownloadsStayInTheirTenant() async throws {
        try await APIHarness.with { h, client in
            let id = try await upload(h, client)
            try await setState(h, id, "ready")
            let url = try await signedURL(h, client, id, ttl: 999_999)
            let exp = Double(url.components(separatedBy: "exp=")[1].prefix(while: { $0.isNumber }))!
            #expect(exp <= Date().timeIntervalSince1970 + 601) // capped at the configured 600 s
            let acme = try await h.token(), globex = try await h.token("globex")
            try await client.execute(uri: "/v1/files/\(id)/content", method: .get, headers: h.headers(acme)) { (r: TestResponse) throws in
                #expect(r.status == .ok)
                #expect(Array(buffer: r.body) == Self.content)
            }
            try await client.execute(uri: "/v1/files/\(id)/content", method: .get, headers: h.headers(globex)) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/files/\(id)/urls", method: .post, headers: h.headers(globex, [.contentType: "application/json"]),
                                     body: ByteBuffer(string: "{}")) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/files/\(id)/urls", method: .post, headers: h.headers(acme, [.contentType: "application/json"]),
                                     body: ByteBuffer(string: "{not json")) { (r: TestResponse) throws in
                #expect(r.status == .badRequest)
                #expect(errorCode(r) == "MELMASTOON.FILE.INVALID_REQUEST")
            }
        }
    }
}
