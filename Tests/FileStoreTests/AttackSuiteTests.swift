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

/// A seeded generator (SplitMix64), so a failing property run is replayed from the seed in its message.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Hostile text: random bytes (decoded leniently, so invalid UTF-8 becomes U+FFFD), control characters,
    /// separators and fragments of the formats the parsers expect, up to `maxLength` scalars.
    mutating func hostileText(maxLength: Int = 300) -> String {
        let fragments = ["bytes=", "-", ",", ";", "=", ":", " ", "\t", "\u{0}", "\r\n", "%00", "..", "/", "\\", "sha-256=:", "sha1 ",
                         "filename ", "AAAA", "====", "9223372036854775807", "-1", "18446744073709551616", "\u{202E}", "\u{FEFF}",
                         "\u{1F600}", "\"", "'", "<script>", "${jndi:x}", "%", "+", "*", "\u{7F}", "\u{85}", "\u{2028}"]
        var text = ""
        let length = Int.random(in: 0...maxLength, using: &self)
        while text.unicodeScalars.count < length {
            switch Int.random(in: 0..<4, using: &self) {
            case 0: text += fragments.randomElement(using: &self)!
            case 1:
                let bytes = (0..<Int.random(in: 1...12, using: &self)).map { _ in UInt8.random(in: 0...255, using: &self) }
                text += String(decoding: bytes, as: UTF8.self)
            case 2: text += String(Int64.random(in: Int64.min...Int64.max, using: &self))
            default: text += Data((0..<Int.random(in: 1...24, using: &self)).map { _ in UInt8.random(in: 0...255, using: &self) }).base64EncodedString()
            }
        }
        return text
    }
}

/// The project's own attack suite: cross-tenant probes over every route with an id, every token attack, path
/// and header injection, odd file names, oversized and malformed headers, and seeded property runs that feed
/// hostile text to every header and metadata parser. Nothing may answer 5xx; every refusal is the envelope.
@Suite struct AttackSuiteTests {
    static let tus = HTTPField.Name("Tus-Resumable")!

    /// A 4xx or success, never a 5xx; a 4xx in the envelope with a filestore code.
    static func expectNoServerError(_ response: TestResponse, _ what: @autoclosure () -> String) {
        #expect(response.status.code < 500, "\(what()): \(response.status) \(String(buffer: response.body).prefix(200))")
        if (400..<500).contains(response.status.code), response.status != .notModified {
            #expect(errorCode(response)?.hasPrefix("MELMASTOON.FILE.") == true, "\(what()): \(String(buffer: response.body).prefix(200))")
        }
    }

    @Test func anotherTenantSeesNothingOnAnyRouteWithAnID() async throws {
        let table = RouteTable()
        try await APIHarness.with(limiter: RateLimiter(limits: [:]), table: table) { h, client in
            let acme = try await h.token("acme", [.filesRead, .filesWrite, .filesAdmin, .complianceAdmin])
            let fileID = try await DownloadTests().upload(h, client)
            try await DownloadTests().setState(h, fileID, "ready")
            let uploadID = try await client.execute(uri: "/v1/uploads", method: .post,
                                                    headers: h.headers(acme, [Self.tus: "1.0.0", HTTPField.Name("Upload-Length")!: "100"])) {
                try #require($0.headers[.location]).split(separator: "/").last.map(String.init) ?? ""
            }
            // An acme webhook endpoint, for the webhook routes' ids (written directly: its URL need not resolve).
            let webhookID = PrefixedID(.webhook).description
            try await h.env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
                try await tx.query("""
                    INSERT INTO webhook_endpoints (id, tenant_id, url, topics, secret)
                    VALUES (\(webhookID), 'acme', 'https://hooks.example.com/in', '{file.*}', 'whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0')
                    """, logger: TestDatabase.logger)
            }
            // An acme erasure request, for the erasure routes' ids.
            let requestID = PrefixedID(.erasure).description
            try await h.env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
                try await tx.query("""
                    INSERT INTO erasure_requests (id, tenant_id, subject_id, subject_hash, reason, source, requested_by, due_at)
                    VALUES (\(requestID), 'acme', 'person-1', 'h', 'r', 'api', 'dpo', now() + interval '30 days')
                    """, logger: TestDatabase.logger)
            }
            let globex = try await h.token("globex", Scope.allCases)
            let routes = table.routes.filter { $0.path.contains("{id}") }
            #expect(routes.count >= 9, "\(routes)")
            for route in routes {
                let id = route.path.hasPrefix("/v1/uploads") ? uploadID : route.path.hasPrefix("/v1/webhooks") ? webhookID
                    : route.path.hasPrefix("/v1/erasure-requests") ? requestID : fileID
                let uri = route.path.replacingOccurrences(of: "{id}", with: id)
                var extra: [HTTPField.Name: String] = [.contentType: "application/json", Self.tus: "1.0.0"]
                let tusPatch = route.method == "PATCH" && id == uploadID
                if tusPatch {
                    extra[.contentType] = "application/offset+octet-stream"
                    extra[HTTPField.Name("Upload-Offset")!] = "0"
                }
                let body = tusPatch ? ByteBuffer(string: "stolen") : ByteBuffer(string: #"{"reason": "probe", "ttl_seconds": 60, "enabled": false, "class": "standard", "subjects": []}"#)
                let method = HTTPRequest.Method(route.method)!
                // The other tenant's own token: the id does not exist for it.
                try await client.execute(uri: uri, method: method, headers: h.headers(globex, extra), body: body) { (response: TestResponse) throws in
                    #expect(response.status == .notFound, "\(route) as globex: \(response.status)")
                    if method != .head { #expect(errorCode(response) == "MELMASTOON.FILE.NOT_FOUND", "\(route)") }
                }
                // The other tenant's token naming acme in X-Tenant-Id: refused before anything is looked up.
                try await client.execute(uri: uri, method: method, headers: h.headers(globex, tenant: "acme", extra), body: body) {
                    #expect($0.status == .forbidden, "\(route) with X-Tenant-Id: acme")
                }
            }
            // Acme's file and upload are untouched, and still served to acme.
            try await client.execute(uri: "/v1/files/\(fileID)/content", method: .get, headers: h.headers(acme)) { (response: TestResponse) throws in
                #expect(response.status == .ok)
                #expect(Array(response.body.readableBytesView) == DownloadTests.content)
            }
            try await client.execute(uri: "/v1/uploads/\(uploadID)", method: .head, headers: h.headers(acme, [Self.tus: "1.0.0"])) {
                #expect($0.status == .ok && $0.headers[HTTPField.Name("Upload-Offset")!] == "0")
            }
            // A signed URL of acme's moved to globex's path, or to another file, fails its signature.
            let url = try await DownloadTests().signedURL(h, client, fileID)
            for forged in [url.replacingOccurrences(of: "/acme/", with: "/globex/"),
                           url.replacingOccurrences(of: fileID, with: "med_" + String(repeating: "0", count: 26)),
                           url.replacingOccurrences(of: "/original?", with: "/thumb?"),
                           url.replacingOccurrences(of: "gen=", with: "gen=1")] {
                try await client.execute(uri: forged, method: .get) { (response: TestResponse) throws in
                    #expect(response.status == .forbidden, "\(forged)")
                    #expect(errorCode(response) == "MELMASTOON.FILE.SIGNATURE_INVALID", "\(forged)")
                }
            }
            // The listing of the other tenant is empty.
            try await client.execute(uri: "/v1/files", method: .get, headers: h.headers(globex)) {
                #expect(String(buffer: $0.body).contains("\"files\":[]"))
            }
        }
    }

    @Test func everyTokenAttackIsRefused() async throws {
        try await APIHarness.with(limiter: RateLimiter(limits: [:])) { h, client in
            let now = Int(Date().timeIntervalSince1970)
            let valid = try await h.token()
            let parts = valid.split(separator: ".").map(String.init)
            // The payload changed to another tenant, the original signature kept.
            let tamperedClaims = ForgedToken.b64url(ForgedToken.json(ForgedToken.claims(["tenant": "globex", "sub": "tester"])))
            let tampered = [parts[0], tamperedClaims, parts[2]].joined(separator: ".")
            let wrongKey = ForgedToken.make(header: ["alg": "HS256", "kid": "b"], claims: ForgedToken.claims(), secret: String(repeating: "x", count: 40))
            let attacks: [(String, String)] = [
                ("alg none", ForgedToken.make(header: ["alg": "none", "kid": "b"], claims: ForgedToken.claims(), secret: nil)),
                ("alg none, no kid", ForgedToken.make(header: ["alg": "none"], claims: ForgedToken.claims(), secret: nil)),
                ("wrong key", wrongKey),
                ("unknown kid", ForgedToken.make(header: ["alg": "HS256", "kid": "c"], claims: ForgedToken.claims(), secret: APIHarness.secretB)),
                ("kid traversal", ForgedToken.make(header: ["alg": "HS256", "kid": "../../b"], claims: ForgedToken.claims(), secret: APIHarness.secretB)),
                ("expired", ForgedToken.make(header: ["alg": "HS256", "kid": "b"], claims: ForgedToken.claims(["iat": now - 7200, "exp": now - 3600]),
                                             secret: APIHarness.secretB)),
                ("not yet valid", ForgedToken.make(header: ["alg": "HS256", "kid": "b"], claims: ForgedToken.claims(["nbf": now + 3600]),
                                                   secret: APIHarness.secretB)),
                ("issued in the future", ForgedToken.make(header: ["alg": "HS256", "kid": "b"],
                                                          claims: ForgedToken.claims(["iat": now + 3600, "exp": now + 7200]), secret: APIHarness.secretB)),
                ("tampered payload", tampered),
                ("signature stripped", parts[0] + "." + parts[1] + "."),
                ("signature of another token", parts[0] + "." + parts[1] + "." + wrongKey.split(separator: ".")[2]),
                ("invalid tenant", ForgedToken.make(header: ["alg": "HS256", "kid": "b"], claims: ForgedToken.claims(["tenant": "../other"]),
                                                    secret: APIHarness.secretB)),
                ("empty", ""), ("two parts", "a.b"), ("four parts", valid + ".x"), ("not base64", "%%%.%%%.%%%"),
                ("huge", String(repeating: "A", count: 20_000)),
                ("header not JSON", ForgedToken.b64url(Data("{{".utf8)) + "." + parts[1] + "." + parts[2]),
            ]
            for (name, token) in attacks {
                try await client.execute(uri: "/v1/files", method: .get, headers: [.authorization: "Bearer \(token)"]) { (response: TestResponse) throws in
                    #expect(response.status == .unauthorized, "\(name): \(response.status)")
                    #expect(errorCode(response) == "MELMASTOON.FILE.UNAUTHENTICATED", "\(name)")
                    #expect(!String(buffer: response.body).contains(APIHarness.secretB))
                }
            }
            for header in ["Basic YTpi", "Bearer", "Bearer ", "bearer", "Token \(valid)", valid] {
                try await client.execute(uri: "/v1/files", method: .get, headers: [.authorization: header]) { #expect($0.status == .unauthorized, "\(header.prefix(20))") }
            }
            try await client.execute(uri: "/v1/files", method: .get) { #expect($0.status == .unauthorized) }
            // Wrong tenant: a valid acme token naming globex.
            try await client.execute(uri: "/v1/files", method: .get, headers: h.headers(valid, tenant: "globex")) { (response: TestResponse) throws in
                #expect(response.status == .forbidden)
                #expect(errorCode(response) == "MELMASTOON.FILE.TENANT_MISMATCH")
            }
            // Missing scopes: a read-only token cannot write, a token without scopes cannot read, only compliance
            // admins override quarantine.
            let readOnly = try await h.token("acme", [.filesRead]), none = try await h.token("acme", [])
            try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(readOnly), body: ByteBuffer(string: "x")) {
                #expect($0.status == .forbidden && errorCode($0) == "MELMASTOON.FILE.FORBIDDEN")
            }
            try await client.execute(uri: "/v1/uploads", method: .post, headers: h.headers(readOnly, [Self.tus: "1.0.0", HTTPField.Name("Upload-Length")!: "1"])) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/v1/files", method: .get, headers: h.headers(none)) { #expect($0.status == .forbidden) }
            let id = try await DownloadTests().upload(h, client)
            for uri in ["/v1/files/\(id)", "/v1/files/\(id)/content"] {
                try await client.execute(uri: uri, method: .get, headers: h.headers(none)) { #expect($0.status == .forbidden, "\(uri)") }
            }
            try await client.execute(uri: "/v1/files/\(id)", method: .delete, headers: h.headers(readOnly)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/files/\(id)/quarantine/release", method: .post, headers: h.headers(valid, [.contentType: "application/json"]),
                                     body: ByteBuffer(string: #"{"reason": "mine"}"#)) { #expect($0.status == .forbidden) }
            #expect(try await h.count("files") == 1)
        }
    }

    @Test func oddFileNamesAreStoredAsDataAndServedSafely() async throws {
        try await APIHarness.with(limiter: RateLimiter(limits: [:])) { h, client in
            let token = try await h.token()
            let names = ["../../etc/passwd", "..\\..\\boot.ini", "a\"; filename=evil.exe", "\u{202E}gnp.exe", "\u{1F600}.png", "CON", ".", "..",
                         "name with spaces", String(repeating: "\u{e9}", count: 127), "%00.txt", "<script>alert(1)</script>.html",
                         "semi;colon,comma", "tab\tname", "\u{FEFF}bom"]
            for name in names {
                let id = try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token, [HTTPField.Name("Upload-Filename")!: name]),
                                                  body: ByteBuffer(string: "odd")) { (response: TestResponse) throws -> String in
                    Self.expectNoServerError(response, name)
                    return (try? decode(FileResource.self, response).id) ?? ""
                }
                if id.isEmpty { continue }
                try await DownloadTests().setState(h, id, "ready")
                try await client.execute(uri: "/v1/files/\(id)/content", method: .get, headers: h.headers(token)) { (response: TestResponse) throws in
                    #expect(response.status == .ok, "\(name)")
                    let disposition = response.headers[.contentDisposition] ?? ""
                    #expect(disposition.hasPrefix("attachment"), "\(name)")
                    #expect(!disposition.contains("\r") && !disposition.contains("\n") && disposition.unicodeScalars.allSatisfy(\.isASCII), "\(disposition)")
                    #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                }
            }
            // The blob store's keys never take the name: nothing outside the store's root was written.
            #expect(h.blobFiles().allSatisfy { !$0.contains("..") && !$0.contains("passwd") })
            for name in [String(repeating: "n", count: 256), "a\u{0}b", "line\nbreak"] {
                try await client.execute(uri: "/v1/files?name=\(name.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", method: .post,
                                         headers: h.headers(token), body: ByteBuffer(string: "odd")) {
                    #expect($0.status == .badRequest, "\(name.prefix(20))")
                }
            }
        }
    }

    @Test func oversizedAndMalformedHeadersAreRefusedNotA500() async throws {
        try await APIHarness.with(limiter: RateLimiter(limits: [:])) { h, client in
            let token = try await h.token()
            let id = try await DownloadTests().upload(h, client)
            try await DownloadTests().setState(h, id, "ready")
            let big = String(repeating: "A", count: 64 * 1024)
            let cases: [(String, HTTPRequest.Method, [HTTPField.Name: String])] = [
                ("/v1/uploads", .post, [Self.tus: "1.0.0", HTTPField.Name("Upload-Length")!: "10", HTTPField.Name("Upload-Metadata")!: "filename " + big]),
                ("/v1/uploads", .post, [Self.tus: "1.0.0", HTTPField.Name("Upload-Length")!: "-1"]),
                ("/v1/uploads", .post, [Self.tus: "1.0.0", HTTPField.Name("Upload-Length")!: "99999999999999999999999"]),
                ("/v1/uploads", .post, [Self.tus: "1.0.0", HTTPField.Name("Upload-Length")!: "1", HTTPField.Name("Upload-Defer-Length")!: "1"]),
                ("/v1/uploads", .post, [Self.tus: "0.2.0", HTTPField.Name("Upload-Length")!: "1"]),
                ("/v1/uploads", .post, [Self.tus: big, HTTPField.Name("Upload-Length")!: "1"]),
                ("/v1/uploads", .post, [Self.tus: "1.0.0", HTTPField.Name("Upload-Length")!: String(Int64.max)]),
                ("/v1/files", .post, [.contentLength: "abc"]), ("/v1/files", .post, [HTTPField.Name("Content-Digest")!: big]),
                ("/v1/files", .post, [HTTPField.Name("Upload-Filename")!: big]), ("/v1/files", .post, [HTTPField.Name("Idempotency-Key")!: big]),
                ("/v1/files", .post, [.contentType: big]),
                ("/v1/files/\(id)/content", .get, [.range: "bytes=99999999999999999999-"]),
                ("/v1/files/\(id)/content", .get, [.range: "bytes=-99999999999999999999"]), ("/v1/files/\(id)/content", .get, [.range: big]),
                ("/v1/files/\(id)/content", .get, [.ifNoneMatch: big]), ("/v1/files", .get, [HTTPField.Name("X-Tenant-Id")!: big]),
                ("/v1/files", .get, [HTTPField.Name("traceparent")!: big]),
            ]
            for (uri, method, extra) in cases {
                try await client.execute(uri: uri, method: method, headers: h.headers(token, extra), body: ByteBuffer(string: "body")) {
                    Self.expectNoServerError($0, "\(method) \(uri) \(extra.keys.map(\.rawName))")
                }
            }
            // Path injection in the signed download's path and in ids.
            for uri in ["/v1/download/..%2F..%2Fetc/\(id)/original?exp=1&gen=0&kid=u2&sig=x", "/v1/download/acme/\(id)/..%2F..%2Fpasswd?exp=9999999999&gen=0&kid=u2&sig=x",
                        "/v1/files/..%2F\(id)", "/v1/files/\(id)%00", "/v1/uploads/..%2F..%2F"] {
                try await client.execute(uri: uri, method: .get, headers: h.headers(token, [Self.tus: "1.0.0"])) { Self.expectNoServerError($0, uri) }
            }
        }
    }

    /// Seeded property runs: hostile text in every header and metadata value the service parses.
    @Test(arguments: [UInt64(0x5EC0_0001), 0x5EC0_0002, 0x5EC0_0003])
    func hostileHeaderValuesNeverReachA500(seed: UInt64) async throws {
        try await APIHarness.with(limiter: RateLimiter(limits: [:])) { h, client in
            var random = SeededRandom(seed: seed)
            let token = try await h.token()
            let id = try await DownloadTests().upload(h, client)
            try await DownloadTests().setState(h, id, "ready")
            let url = try await DownloadTests().signedURL(h, client, id)
            let uploadID = try await client.execute(uri: "/v1/uploads", method: .post,
                                                    headers: h.headers(token, [Self.tus: "1.0.0", HTTPField.Name("Upload-Length")!: "100000"])) {
                try #require($0.headers[.location]).split(separator: "/").last.map(String.init) ?? ""
            }
            let header = { (name: String) in HTTPField.Name(name)! }
            for round in 0..<8 {
                let v = random.hostileText()
                let what = "seed \(seed) round \(round) value \(v.debugDescription.prefix(120))"
                let requests: [(String, HTTPRequest.Method, HTTPFields, ByteBuffer?)] = [
                    ("/v1/uploads", .post, h.headers(token, [Self.tus: "1.0.0", header("Upload-Length"): "10", header("Upload-Metadata"): v]), nil),
                    ("/v1/uploads", .post, h.headers(token, [Self.tus: "1.0.0", header("Upload-Length"): "10",
                                                              header("Upload-Metadata"): "filename " + Data(v.utf8).base64EncodedString()]), nil),
                    ("/v1/uploads", .post, h.headers(token, [Self.tus: v, header("Upload-Length"): v, header("Upload-Defer-Length"): v]), nil),
                    ("/v1/uploads/\(uploadID)", .patch, h.headers(token, [Self.tus: "1.0.0", .contentType: "application/offset+octet-stream",
                                                                          header("Upload-Offset"): v, header("Upload-Checksum"): v]), ByteBuffer(string: "x")),
                    ("/v1/uploads/\(uploadID)", .patch, h.headers(token, [Self.tus: "1.0.0", .contentType: "application/offset+octet-stream",
                                                                          header("Upload-Offset"): "0", header("Upload-Checksum"): "sha1 " + v]), ByteBuffer(string: "x")),
                    ("/v1/uploads/\(uploadID)", .head, h.headers(token, [Self.tus: v]), nil),
                    ("/v1/files", .post, h.headers(token, [header("Upload-Filename"): v, header("Content-Digest"): v]), ByteBuffer(string: "p")),
                    ("/v1/files", .post, h.headers(token, [header("Content-Digest"): "sha-256=:" + v + ":", header("Idempotency-Key"): v]), ByteBuffer(string: "p")),
                    ("/v1/files/\(id)", .delete, h.headers(token, [header("Idempotency-Key"): v]), nil),
                    ("/v1/files/\(id)/content", .get, h.headers(token, [.range: v, .ifNoneMatch: v]), nil),
                    ("/v1/files/\(id)/content", .get, h.headers(token, [.range: "bytes=" + v]), nil),
                    ("/v1/files", .get, h.headers(token, tenant: v), nil),
                    ("/v1/files", .get, [.authorization: "Bearer " + v], nil),
                    ("/v1/files?cursor=\(Self.query(v))&state=\(Self.query(v))&limit=\(Self.query(v))", .get, h.headers(token), nil),
                    ("/v1/files/\(id)/content?variant=\(Self.query(v))", .get, h.headers(token), nil),
                    ("/v1/files/\(Self.query(v))", .get, h.headers(token), nil),
                    ("/v1/files?name=\(Self.query(v))", .post, h.headers(token), ByteBuffer(string: "q")),
                    (Self.replacing(url, "sig", Self.query(v)), .get, [:], nil), (Self.replacing(url, "exp", Self.query(v)), .get, [:], nil),
                    (Self.replacing(url, "gen", Self.query(v)), .get, [:], nil), (Self.replacing(url, "kid", Self.query(v)), .get, [:], nil),
                    (url + "&" + Self.query(v), .get, [.range: v], nil),
                    ("/v1/files/\(id)/urls", .post, h.headers(token, [.contentType: "application/json"]), ByteBuffer(string: #"{"variant": "\#(v.debugDescription)", "ttl_seconds": 1}"#)),
                    ("/v1/files/\(id)/urls", .post, h.headers(token, [.contentType: "application/json"]), ByteBuffer(string: v)),
                ]
                for (uri, method, headers, body) in requests {
                    try await client.execute(uri: uri, method: method, headers: headers, body: body) { Self.expectNoServerError($0, "\(method) \(uri.prefix(80)) \(what)") }
                }
            }
        }
    }

    static func query(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }

    /// `url` with the query parameter `name` set to `value` (already encoded).
    static func replacing(_ url: String, _ name: String, _ value: String) -> String {
        guard let q = url.firstIndex(of: "?") else { return url }
        let items = url[url.index(after: q)...].split(separator: "&").map { $0.hasPrefix("\(name)=") ? "\(name)=\(value)" : String($0) }
        return url[..<q] + "?" + items.joined(separator: "&")
    }
}
