import API
import FileCore
import Crypto
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobKit
import JWTKit
import PostgresNIO
import Prometheus
import Storage
import TestSupport
import Testing

/// The file API through its router, against the real database as the service's role and a real blob store (a local
/// one unless `blobs` makes another: the S3 tests' store).
struct APIHarness: Sendable {
    let env: TestEnv
    let keys: TokenKeys
    let blobRoot: URL
    let core: FileCore

    static let secretA = "test-key-a-0123456789abcdef0123456789"
    static let secretB = "test-key-b-0123456789abcdef0123456789"
    static let urlSecretNew = "url-key-new-0123456789abcdef012345678"
    static let urlSecretOld = "url-key-old-0123456789abcdef012345678"

    static func with(configuration: APIConfiguration = APIConfiguration(), limiter: RateLimiter = RateLimiter(),
                     table: RouteTable = RouteTable(), testing: TestingSetup = .router,
                     blobs: (@Sendable () throws -> any BlobStore)? = nil,
                     _ body: @Sendable (APIHarness, any TestClientProtocol) async throws -> Void) async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            try await TestDatabase.withClient(TestDatabase.appRole(env.config)) { appPostgres in
                let root = FileManager.default.temporaryDirectory.appendingPathComponent("api-blobs-\(UUID())")
                defer { try? FileManager.default.removeItem(at: root) }
                // Two keys: "b" signs new tokens, "a" is still accepted (rotation).
                let keys = try await TokenKeys([("b", secretB), ("a", secretA)])
                let core = FileCore(database: TenantDatabase(postgres: appPostgres, logger: TestDatabase.logger),
                                    blobs: try blobs?() ?? LocalBlobStore(root: root), configuration: configuration.core)
                let harness = APIHarness(env: env, keys: keys, blobRoot: root, core: core)
                let signer = try URLSigner(keys: [("u2", urlSecretNew), ("u1", urlSecretOld)], maximumTTL: 600)
                let router = makeFileAPIRouter(core: core, configuration: configuration, keys: keys, signer: signer,
                                               ops: OpsRoutes(registry: PrometheusCollectorRegistry(), readiness: { nil }), limiter: limiter,
                                               table: table)
                try await Application(router: router).test(testing) { client in try await body(harness, client) }
            }
        }
    }

    func token(_ tenant: String = "acme", _ scopes: [Scope] = [.filesRead, .filesWrite], ttl: TimeInterval = 600) async throws -> String {
        try await keys.issue(TokenPayload(subject: "tester", tenant: TenantID(tenant), scopes: scopes, ttl: ttl))
    }

    func headers(_ token: String, tenant: String? = nil, _ extra: [HTTPField.Name: String] = [:]) -> HTTPFields {
        var h: HTTPFields = [.authorization: "Bearer \(token)"]
        if let tenant { h[HTTPField.Name("X-Tenant-Id")!] = tenant }
        for (k, v) in extra { h[k] = v }
        return h
    }

    /// Counts rows of `table` belonging to `tenant`, as the owner with the tenant set.
    func count(_ table: String, tenant: String = "acme", where clause: String = "true") async throws -> Int {
        try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
            try await tx.query("SELECT set_config('app.tenant_id', \(tenant), true)", logger: TestDatabase.logger)
            var n = 0
            for try await c in try await tx.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table) WHERE \(clause)"), logger: TestDatabase.logger).decode(Int64.self) { n = Int(c) }
            return n
        }
    }

    func blobFiles() -> [String] {
        let e = FileManager.default.enumerator(atPath: blobRoot.path)
        var files: [String] = []
        while let p = e?.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: blobRoot.appendingPathComponent(p).path, isDirectory: &isDir), !isDir.boolValue { files.append(p) }
        }
        return files
    }
}

func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return try decoder.decode(T.self, from: Data(buffer: response.body))
}

func errorCode(_ response: TestResponse) -> String? {
    try? decode(ErrorBody.self, response).error.code
}

let pngBytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 5000)

func sha256Digest(_ bytes: [UInt8]) -> String { "sha-256=:\(Data(SHA256.hash(data: bytes)).base64EncodedString()):" }

@Suite struct FileAPITests {
    @Test func anUploadIsStoredRecordedAuditedAndQueuedForScanning() async throws {
        try await APIHarness.with { h, client in
            let token = try await h.token()
            let file = try await client.execute(uri: "/v1/files", method: .post,
                headers: h.headers(token, tenant: "acme", [.contentType: "application/octet-stream", HTTPField.Name("Upload-Filename")!: "../../etc/passwd",
                                                           HTTPField.Name("Content-Digest")!: sha256Digest(pngBytes)]),
                body: ByteBuffer(bytes: pngBytes)) { response -> FileResource in
                #expect(response.status == .created)
                return try decode(FileResource.self, response)
            }
            #expect(file.state == "uploaded")
            #expect(file.size == Int64(pngBytes.count))
            #expect(file.sha256 == Data(SHA256.hash(data: pngBytes)).map { String(format: "%02x", $0) }.joined())
            #expect(file.content_type == "image/png")           // sniffed from the bytes
            #expect(file.declared_content_type == "application/octet-stream")
            #expect(file.name == "../../etc/passwd")             // kept as data, never as a path
            #expect(h.blobFiles() == ["tenants/acme/files/\(file.id)/original"])
            #expect(try await h.count("audit_events", where: "action = 'file.uploaded' AND subject_id = '\(file.id)'") == 1)
            #expect(try await h.count("outbox_events", where: "topic = 'file.uploaded.v1' AND aggregate_id = '\(file.id)'") == 1)
            let jobs = try await h.env.client.list(.init(queue: "scan"))
            #expect(jobs.count == 1)
            #expect(jobs.first?.kind == "scan" && jobs.first?.tenantID == "acme" && jobs.first?.argsJSON.contains(file.id) == true)
            try await client.execute(uri: "/v1/files/\(file.id)", method: .get, headers: h.headers(token)) { (response: TestResponse) throws in
                #expect(response.status == .ok)
                #expect(try decode(FileResource.self, response) == file)
            }
        }
    }

    @Test func aChecksumMismatchOrAnOversizedBodyStoresNothing() async throws {
        try await APIHarness.with(configuration: APIConfiguration(maxUploadBytes: 4096)) { h, client in
            let token = try await h.token()
            try await client.execute(uri: "/v1/files", method: .post,
                                     headers: h.headers(token, [HTTPField.Name("Content-Digest")!: sha256Digest([1, 2, 3])]),
                                     body: ByteBuffer(bytes: Array(pngBytes.prefix(1000)))) { (response: TestResponse) throws in
                #expect(response.status == .unprocessableContent)
                #expect(errorCode(response) == "MELMASTOON.FILE.CHECKSUM_MISMATCH")
            }
            try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token), body: ByteBuffer(bytes: pngBytes)) { (response: TestResponse) throws in
                #expect(response.status == .contentTooLarge)
                #expect(errorCode(response) == "MELMASTOON.FILE.PAYLOAD_TOO_LARGE")
            }
            try await client.execute(uri: "/v1/files", method: .post,
                                     headers: h.headers(token, [HTTPField.Name("Content-Digest")!: "sha-256=:not base64:"]),
                                     body: ByteBuffer(bytes: [1])) { (response: TestResponse) throws in
                #expect(response.status == .badRequest)
                #expect(errorCode(response) == "MELMASTOON.FILE.INVALID_REQUEST")
            }
            #expect(h.blobFiles().allSatisfy { $0.hasPrefix(".tmp") } )
            #expect(h.blobFiles().isEmpty)
            #expect(try await h.count("files") == 0)
            #expect(try await h.env.count(queue: "scan") == 0)
        }
    }

    @Test func authenticationAndAuthorizationFailuresHaveDistinctCodes() async throws {
        try await APIHarness.with { h, client in
            func status(_ headers: HTTPFields, method: HTTPRequest.Method = .get, uri: String = "/v1/files") async throws -> (HTTPResponse.Status, String?) {
                try await client.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(bytes: [1, 2, 3])) { ($0.status, errorCode($0)) }
            }
            #expect(try await status([:]) == (.unauthorized, "MELMASTOON.FILE.UNAUTHENTICATED"))
            #expect(try await status([.authorization: "Bearer not.a.token"]) == (.unauthorized, "MELMASTOON.FILE.UNAUTHENTICATED"))
            let expired = try await h.token(ttl: -60)
            #expect(try await status(h.headers(expired)) == (.unauthorized, "MELMASTOON.FILE.UNAUTHENTICATED"))
            // A token signed by a key that is no longer configured.
            let retired = try await TokenKeys([("old", "retired-key-0123456789abcdef012345678")])
                .issue(TokenPayload(subject: "x", tenant: TenantID("acme"), scopes: [.filesRead], ttl: 600))
            #expect(try await status(h.headers(retired)) == (.unauthorized, "MELMASTOON.FILE.UNAUTHENTICATED"))
            // A token signed by the previous key (still configured) is accepted.
            let previous = try await TokenKeys([("a", APIHarness.secretA)])
                .issue(TokenPayload(subject: "x", tenant: TenantID("acme"), scopes: [.filesRead], ttl: 600))
            #expect(try await status(h.headers(previous)).0 == .ok)
            let good = try await h.token()
            #expect(try await status(h.headers(good, tenant: "globex")) == (.forbidden, "MELMASTOON.FILE.TENANT_MISMATCH"))
            let readOnly = try await h.token("acme", [.filesRead])
            #expect(try await status(h.headers(readOnly), method: .post) == (.forbidden, "MELMASTOON.FILE.FORBIDDEN"))
            #expect(try await h.count("files") == 0)
        }
    }

    @Test func tenantsCannotSeeEachOthersFiles() async throws {
        try await APIHarness.with { h, client in
            let acme = try await h.token("acme"), globex = try await h.token("globex")
            let id = try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(acme), body: ByteBuffer(bytes: pngBytes)) {
                try decode(FileResource.self, $0).id
            }
            try await client.execute(uri: "/v1/files/\(id)", method: .get, headers: h.headers(globex)) { (response: TestResponse) throws in
                #expect(response.status == .notFound)
                #expect(errorCode(response) == "MELMASTOON.FILE.NOT_FOUND")
            }
            try await client.execute(uri: "/v1/files/\(id)", method: .delete, headers: h.headers(globex)) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/files", method: .get, headers: h.headers(globex)) { (response: TestResponse) throws in
                #expect(try decode(FilePage.self, response).files.isEmpty)
            }
            try await client.execute(uri: "/v1/files/\(id)", method: .get, headers: h.headers(acme)) { #expect($0.status == .ok) }
        }
    }

    @Test func listingPagesByCursorAndFiltersByState() async throws {
        try await APIHarness.with { h, client in
            let token = try await h.token()
            var ids: [String] = []
            for i in 0..<3 {
                ids.append(try await client.execute(uri: "/v1/files?name=f\(i)", method: .post, headers: h.headers(token), body: ByteBuffer(bytes: pngBytes)) {
                    try decode(FileResource.self, $0).id
                })
            }
            let first = try await client.execute(uri: "/v1/files?limit=2", method: .get, headers: h.headers(token)) { try decode(FilePage.self, $0) }
            #expect(first.files.map(\.id) == [ids[2], ids[1]])
            let cursor = try #require(first.next_cursor)
            let second = try await client.execute(uri: "/v1/files?limit=2&cursor=\(cursor)", method: .get, headers: h.headers(token)) { try decode(FilePage.self, $0) }
            #expect(second.files.map(\.id) == [ids[0]])
            #expect(second.next_cursor == nil)
            try await client.execute(uri: "/v1/files/\(ids[0])", method: .delete, headers: h.headers(token)) { (response: TestResponse) throws in
                #expect(response.status == .ok)
                #expect(try decode(FileResource.self, response).state == "deleted")
            }
            let deleted = try await client.execute(uri: "/v1/files?state=deleted", method: .get, headers: h.headers(token)) { try decode(FilePage.self, $0) }
            #expect(deleted.files.map(\.id) == [ids[0]])
            try await client.execute(uri: "/v1/files?state=gone", method: .get, headers: h.headers(token)) { (response: TestResponse) throws in
                #expect(response.status == .badRequest)
                #expect(errorCode(response) == "MELMASTOON.FILE.INVALID_REQUEST")
            }
            try await client.execute(uri: "/v1/files?limit=0", method: .get, headers: h.headers(token)) { #expect($0.status == .badRequest) }
        }
    }

    @Test func deletingRunsThroughTheLifecycleGuardAndQueuesThePurge() async throws {
        try await APIHarness.with { h, client in
            let token = try await h.token()
            let id = try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token), body: ByteBuffer(bytes: pngBytes)) {
                try decode(FileResource.self, $0).id
            }
            try await client.execute(uri: "/v1/files/\(id)", method: .delete, headers: h.headers(token)) { #expect($0.status == .ok) }
            // deleted → deleted is not a transition: the guard refuses it.
            try await client.execute(uri: "/v1/files/\(id)", method: .delete, headers: h.headers(token)) { (response: TestResponse) throws in
                #expect(response.status == .conflict)
                #expect(errorCode(response) == "MELMASTOON.FILE.ILLEGAL_TRANSITION")
            }
            let purges = try await h.env.client.list(.init(queue: "maintenance"))
            #expect(purges.map(\.kind) == ["file.purge"])
            #expect(try await h.count("audit_events", where: "action = 'file.deleted'") == 1)
            #expect(try await h.count("outbox_events", where: "topic = 'file.deleted.v1'") == 1)
        }
    }

    @Test func malformedIDsAreClearErrors() async throws {
        try await APIHarness.with { h, client in
            let token = try await h.token()
            for bad in ["upl_01ARZ3NDEKTSV4RRFFQ69G5FAV", "med_..%2F..%2Fetc", "123"] {
                try await client.execute(uri: "/v1/files/\(bad)", method: .get, headers: h.headers(token)) { (response: TestResponse) throws in
                    #expect(response.status == .badRequest)
                    #expect(errorCode(response) == "MELMASTOON.FILE.INVALID_ID")
                }
            }
        }
    }
}
