import API
import Crypto
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Imaging
import NIOCore
import Scanning
import Storage
import TestSupport
import Testing

/// The file API and the pipeline with their bytes in the tests' Ceph RADOS Gateway: tus uploads (resumed, and across
/// an outage of the store), direct uploads while the store is down (503 with `Retry-After` in the error envelope,
/// nothing recorded, nothing acknowledged lost), and upload → scan → optimize → download → purge.
@Suite(.enabled(if: S3TestEnvironment.isConfigured, S3TestEnvironment.skipReason))
struct S3APITests {
    static func name(_ s: String) -> HTTPField.Name { HTTPField.Name(s)! }

    /// A store on the gateway, and the same configuration (staging folder, key prefix) on a port nothing listens on.
    static func switchable() throws -> (SwitchableBlobStore, S3BlobStore) {
        let configuration = S3TestEnvironment.configuration()
        var unreachable = configuration
        unreachable.endpoint = URL(string: "http://127.0.0.1:9")!
        let up = try S3BlobStore(configuration: configuration, client: S3TestEnvironment.client, pool: S3TestEnvironment.pool)
        let down = try S3BlobStore(configuration: unreachable, client: S3TestEnvironment.client, pool: S3TestEnvironment.pool)
        return (SwitchableBlobStore(up: up, down: down), up)
    }

    static func random(_ count: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &g) }
    }

    static func hex(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).hexString }

    @Test func aTusUploadResumesAcrossAnOutageOfTheStoreWithoutResendingAcknowledgedBytes() async throws {
        let (store, s3) = try Self.switchable()
        defer { try? FileManager.default.removeItem(at: s3.configuration.stagingDirectory) }
        // Over one 5 MiB part: the composed file is a multipart upload.
        let data = Self.random(7 << 20)
        let split = 3 << 20
        try await APIHarness.with(blobs: { store }) { h, client in
            let token = try await h.token()
            let tus: ([HTTPField.Name: String]) -> HTTPFields = { extra in
                var headers = h.headers(token, extra)
                headers[Self.name("Tus-Resumable")] = "1.0.0"
                return headers
            }
            let location = try await client.execute(uri: "/v1/uploads", method: .post, headers: tus([Self.name("Upload-Length"): "\(data.count)"])) {
                #expect($0.status == .created)
                return $0.headers[.location] ?? ""
            }
            var sent = 0
            func patch(_ range: Range<Int>) async throws -> TestResponse {
                try await client.execute(uri: location, method: .patch,
                                         headers: tus([.contentType: "application/offset+octet-stream", Self.name("Upload-Offset"): "\(range.lowerBound)"]),
                                         body: ByteBuffer(bytes: data[range])) { response in
                    if response.status == .noContent { sent += range.count }
                    return response
                }
            }
            #expect(try await patch(0..<split).status == .noContent)
            // The store goes down: the last chunk cannot become the file — 503, Retry-After, the error envelope.
            store.isDown.withLock { $0 = true }
            let refused = try await patch(split..<data.count)
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers[.retryAfter] == "5")
            #expect(errorCode(refused) == "MELMASTOON.FILE.STORAGE_FAILURE")
            // What was acknowledged is kept; the refused chunk does not count.
            try await client.execute(uri: location, method: .head, headers: tus([:])) {
                #expect($0.headers[Self.name("Upload-Offset")] == "\(split)")
                #expect($0.headers[Self.name("Filestore-File-Id")] == nil)
            }
            #expect(try await h.count("files") == 0)
            // The store is back: the client resumes from the offset the server reports, sending only the rest.
            store.isDown.withLock { $0 = false }
            let resumeAt = try await client.execute(uri: location, method: .head, headers: tus([:])) { Int($0.headers[Self.name("Upload-Offset")] ?? "") ?? -1 }
            let done = try await patch(resumeAt..<data.count)
            #expect(done.status == .noContent)
            #expect(done.headers[Self.name("Upload-Offset")] == "\(data.count)")
            #expect(sent == data.count, "the client sent \(sent) bytes in acknowledged requests for \(data.count)")
            let fileID = try await client.execute(uri: location, method: .head, headers: tus([:])) { $0.headers[Self.name("Filestore-File-Id")] ?? "" }
            let file = try await client.execute(uri: "/v1/files/\(fileID)", method: .get, headers: h.headers(token)) { try decode(FileResource.self, $0) }
            #expect(file.size == Int64(data.count) && file.sha256 == Self.hex(data))
            // The object in the bucket is the file, and the staged parts are gone.
            let key = try ObjectKey(parsing: "tenants/acme/files/\(fileID)/original")
            #expect(try await collect(s3.read(key, range: nil)) == data)
            let partial = s3.configuration.stagingDirectory.appendingPathComponent(".partial/acme")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: partial.path)) ?? []).isEmpty)
        }
    }

    @Test func aDirectUploadWhileTheStoreIsDownIs503WithRetryAfterAndRecordsNothing() async throws {
        let (store, s3) = try Self.switchable()
        defer { try? FileManager.default.removeItem(at: s3.configuration.stagingDirectory) }
        let bytes = Self.random(200_000)
        try await APIHarness.with(blobs: { store }) { h, client in
            let token = try await h.token()
            store.isDown.withLock { $0 = true }
            for _ in 0..<3 {
                try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token, [.contentType: "application/octet-stream"]),
                                         body: ByteBuffer(bytes: bytes)) { (r: TestResponse) throws in
                    #expect(r.status == .serviceUnavailable)
                    #expect(r.headers[.retryAfter] == "5")
                    #expect(errorCode(r) == "MELMASTOON.FILE.STORAGE_FAILURE")
                    #expect(r.headers[APIHarnessHeaders.requestID] != nil)
                }
            }
            #expect(try await h.count("files") == 0)
            #expect(try await h.env.count(queue: "scan") == 0)
            // Reads of a stored file fail the same way while it is down, and come back with it.
            store.isDown.withLock { $0 = false }
            let file = try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token, [.contentType: "application/octet-stream"]),
                                                body: ByteBuffer(bytes: bytes)) { (r: TestResponse) throws -> FileResource in
                #expect(r.status == .created)
                return try decode(FileResource.self, r)
            }
            #expect(file.sha256 == Self.hex(bytes))
            let key = try ObjectKey(parsing: "tenants/acme/files/\(file.id)/original")
            #expect(try await s3.size(of: key) == Int64(bytes.count))
            #expect(try await h.count("files") == 1)
        }
    }

    @Test func theWholePipelineRunsOnS3UploadScanOptimizeDownloadPurge() async throws {
        let sigs = try ClamAVTests.signatureDirectory()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("s3-proof-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: sigs); try? FileManager.default.removeItem(at: work) }
        let engine = try await ClamAVEngine.load(directory: sigs, limits: ScanLimits(maxFileSize: 8 << 20))
        let jpeg = [UInt8](try Data(contentsOf: try await ImagingTests.photo(in: work, as: "jpg")))
        let (s3, cleanup) = try S3TestEnvironment.open()
        defer { cleanup() }
        try await APIHarness.with(blobs: { s3 }) { h, client in
            let token = try await h.token()
            let direct = try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token, [.contentType: "image/jpeg"]),
                                                  body: ByteBuffer(bytes: jpeg)) { try decode(FileResource.self, $0).id }
            let byTus = try await PipelineProofTests.tusUpload(jpeg, filename: "tus.jpg", h: h, token: token, client: client)
            let eicar = try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token), body: ByteBuffer(string: ClamAVTests.eicar)) {
                try decode(FileResource.self, $0).id
            }
            try await PipelineProofTests.runPipeline(h, engine: engine, until: 3)
            func file(_ id: String) async throws -> FileResource {
                try await client.execute(uri: "/v1/files/\(id)", method: .get, headers: h.headers(token)) { try decode(FileResource.self, $0) }
            }
            #expect(try await file(eicar).state == "quarantined")
            for id in [direct, byTus] {
                let resource = try await file(id)
                #expect(resource.state == "ready" && resource.scan.status == "clean", "\(id)")
                #expect(resource.variants.map(\.name) == ["preview", "scrubbed", "thumb"], "\(resource.variants)")
                // Every variant is an object in the bucket, served from it.
                #expect(try await s3.count(prefix: "tenants/acme/files/\(id)/") == 4)
                let original = try await client.execute(uri: "/v1/files/\(id)/content", method: .get, headers: h.headers(token)) { (r: TestResponse) throws -> [UInt8] in
                    #expect(r.status == .ok)
                    return Array(buffer: r.body)
                }
                // An image's original is served as its scrubbed variant (no metadata), read from the bucket; the
                // original object holds the bytes uploaded.
                let scrubbed = try ObjectKey(parsing: "tenants/acme/files/\(id)/scrubbed")
                let stored = try await collect(s3.read(scrubbed, range: nil))
                #expect(original == stored && !stored.isEmpty)
                #expect(try await collect(s3.read(ObjectKey(parsing: "tenants/acme/files/\(id)/original"), range: nil)) == jpeg)
                let range = try await client.execute(uri: "/v1/files/\(id)/content", method: .get, headers: h.headers(token, [.range: "bytes=10-19"])) {
                    (r: TestResponse) throws -> [UInt8] in
                    #expect(r.status == .partialContent)
                    return Array(buffer: r.body)
                }
                #expect(range == Array(stored[10..<20]))
                let url = try await client.execute(uri: "/v1/files/\(id)/urls", method: .post, headers: h.headers(token, [.contentType: "application/json"]),
                                                   body: ByteBuffer(string: "{\"variant\": \"thumb\"}")) {
                    (try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any])?["url"] as? String ?? ""
                }
                try await client.execute(uri: url, method: .get) { (r: TestResponse) throws in
                    #expect(r.status == .ok && r.headers[.contentType] == "image/webp")
                    #expect(MetadataInspector.inspect(Data(buffer: r.body)).isClean)
                }
            }
            // A delete purges the file's folder from the bucket.
            try await client.execute(uri: "/v1/files/\(byTus)", method: .delete, headers: h.headers(token)) { #expect($0.status == .ok) }
            try await PipelineProofTests.runPipeline(h, engine: engine, until: 3) {
                try await h.count("files", where: "id = '\(byTus)' AND purged_at IS NOT NULL") == 1
            }
            #expect(try await s3.count(prefix: "tenants/acme/files/\(byTus)/") == 0)
            #expect(try await s3.count(prefix: "tenants/acme/files/\(direct)/") == 4)
            #expect(try await h.env.count(.discarded) == 0)
        }
    }
}

enum APIHarnessHeaders {
    static let requestID = HTTPField.Name("X-Request-Id")!
}
