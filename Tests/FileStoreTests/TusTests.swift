import API
import Crypto
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing

@Suite struct TusTests {
    static let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }

    func tus(_ h: APIHarness, _ token: String, _ extra: [HTTPField.Name: String] = [:]) -> HTTPFields {
        var headers = h.headers(token, extra)
        headers[HTTPField.Name("Tus-Resumable")!] = "1.0.0"
        return headers
    }

    func name(_ s: String) -> HTTPField.Name { HTTPField.Name(s)! }

    @Test func optionsDescribesTheServerWithoutAToken() async throws {
        try await APIHarness.with { h, client in
            try await client.execute(uri: "/v1/uploads", method: .options) { (r: TestResponse) throws in
                #expect(r.status == .noContent)
                #expect(r.headers[name("Tus-Version")] == "1.0.0")
                #expect(r.headers[name("Tus-Extension")] == "creation,creation-with-upload,creation-defer-length,termination,checksum,expiration")
                #expect(r.headers[name("Tus-Checksum-Algorithm")] == "sha1,sha256")
            }
        }
    }

    @Test func createPatchInChunksHeadAndFinishIntoAFile() async throws {
        try await APIHarness.with { h, client in
            let token = try await h.token()
            let meta = "filename \(Data("data.bin".utf8).base64EncodedString()),filetype \(Data("application/x-test".utf8).base64EncodedString())"
            let location = try await client.execute(uri: "/v1/uploads", method: .post,
                                                    headers: tus(h, token, [name("Upload-Length"): "10000", name("Upload-Metadata"): meta])) {
                (r: TestResponse) throws -> String in
                #expect(r.status == .created)
                #expect(r.headers[name("Upload-Expires")]?.hasSuffix("GMT") == true)
                return r.headers[.location] ?? ""
            }
            #expect(location.hasPrefix("/v1/uploads/upl_"))
            // Three chunks, the second with a sha256 checksum, the third with sha1.
            let chunks = [0..<4000, 4000..<7000, 7000..<10_000]
            for (i, range) in chunks.enumerated() {
                let bytes = Array(Self.data[range])
                var extra: [HTTPField.Name: String] = [.contentType: "application/offset+octet-stream", name("Upload-Offset"): String(range.lowerBound)]
                if i == 1 { extra[name("Upload-Checksum")] = "sha256 " + Data(SHA256.hash(data: bytes)).base64EncodedString() }
                if i == 2 { extra[name("Upload-Checksum")] = "sha1 " + Data(Insecure.SHA1.hash(data: bytes)).base64EncodedString() }
                try await client.execute(uri: location, method: .patch, headers: tus(h, token, extra), body: ByteBuffer(bytes: bytes)) { (r: TestResponse) throws in
                    #expect(r.status == .noContent)
                    #expect(r.headers[name("Upload-Offset")] == String(range.upperBound))
                    #expect(r.headers[name("Tus-Resumable")] == "1.0.0")
                }
                if i == 0 {
                    try await client.execute(uri: location, method: .head, headers: tus(h, token)) { (r: TestResponse) throws in
                        #expect(r.status == .ok)
                        #expect(r.headers[name("Upload-Offset")] == "4000")
                        #expect(r.headers[name("Upload-Length")] == "10000")
                        #expect(r.headers[.cacheControl] == "no-store")
                        #expect(r.headers[name("Upload-Metadata")]?.contains("filename ") == true)
                    }
                }
            }
            // The finished upload is a file like a direct upload: recorded, queued for scanning.
            let fileID = try await client.execute(uri: location, method: .head, headers: tus(h, token)) { (r: TestResponse) throws -> String in
                #expect(r.headers[name("Upload-Offset")] == "10000")
                return r.headers[name("Filestore-File-Id")] ?? ""
            }
            let file = try await client.execute(uri: "/v1/files/\(fileID)", method: .get, headers: h.headers(token)) { try decode(FileResource.self, $0) }
            #expect(file.state == "uploaded")
            #expect(file.size == 10_000)
            #expect(file.name == "data.bin" && file.declared_content_type == "application/x-test")
            #expect(file.sha256 == Data(SHA256.hash(data: Self.data)).map { String(format: "%02x", $0) }.joined())
            #expect(try await h.env.count(queue: "scan") == 1)
            #expect(h.blobFiles() == ["tenants/acme/files/\(fileID)/original"])
            // A finished upload takes no more data.
            try await client.execute(uri: location, method: .patch, headers: tus(h, token, [.contentType: "application/offset+octet-stream", name("Upload-Offset"): "10000"]),
                                     body: ByteBuffer(bytes: [1])) { (r: TestResponse) throws in
                #expect(errorCode(r) == "MELMASTOON.FILE.UPLOAD_FINISHED")
            }
        }
    }

    @Test func protocolErrorsAreRefusedAndLoseNothing() async throws {
        try await APIHarness.with { h, client in
            let token = try await h.token()
            let location = try await client.execute(uri: "/v1/uploads", method: .post, headers: tus(h, token, [name("Upload-Length"): "100"])) {
                $0.headers[.location] ?? ""
            }
            let patch: [HTTPField.Name: String] = [.contentType: "application/offset+octet-stream", name("Upload-Offset"): "0"]
            try await client.execute(uri: location, method: .patch, headers: tus(h, token, patch), body: ByteBuffer(bytes: Array(repeating: 1, count: 40))) {
                #expect($0.status == .noContent)
            }
            // Wrong offset: 409; missing or wrong Tus-Resumable: 412; wrong content type: 415.
            var stale = patch
            stale[name("Upload-Offset")] = "0"
            try await client.execute(uri: location, method: .patch, headers: tus(h, token, stale), body: ByteBuffer(bytes: [2])) { (r: TestResponse) throws in
                #expect(r.status == .conflict)
                #expect(errorCode(r) == "MELMASTOON.FILE.UPLOAD_OFFSET_MISMATCH")
                // Errors of the tus routes carry Tus-Resumable too (the tus group's middleware).
                #expect(r.headers[name("Tus-Resumable")] == "1.0.0")
            }
            var noVersion = h.headers(token, patch)
            noVersion[name("Upload-Offset")] = "40"
            try await client.execute(uri: location, method: .patch, headers: noVersion, body: ByteBuffer(bytes: [2])) { (r: TestResponse) throws in
                #expect(r.status == .preconditionFailed)
                #expect(r.headers[name("Tus-Version")] == "1.0.0")
            }
            try await client.execute(uri: location, method: .patch, headers: tus(h, token, [.contentType: "application/json", name("Upload-Offset"): "40"]),
                                     body: ByteBuffer(bytes: [2])) { #expect($0.status == .unsupportedMediaType) }
            // A chunk with a wrong checksum is discarded (460), the offset stays.
            var bad = patch
            bad[name("Upload-Offset")] = "40"
            bad[name("Upload-Checksum")] = "sha256 " + Data(SHA256.hash(data: [9])).base64EncodedString()
            try await client.execute(uri: location, method: .patch, headers: tus(h, token, bad), body: ByteBuffer(bytes: Array(repeating: 3, count: 10))) {
                (r: TestResponse) throws in
                #expect(r.status.code == 460)
                #expect(errorCode(r) == "MELMASTOON.FILE.CHUNK_CHECKSUM_MISMATCH")
            }
            // More than Upload-Length: refused, offset unchanged.
            var over = patch
            over[name("Upload-Offset")] = "40"
            try await client.execute(uri: location, method: .patch, headers: tus(h, token, over), body: ByteBuffer(bytes: Array(repeating: 4, count: 61))) {
                #expect($0.status == .contentTooLarge)
            }
            try await client.execute(uri: location, method: .head, headers: tus(h, token)) { #expect($0.headers[name("Upload-Offset")] == "40") }
            // Another tenant cannot see or touch it.
            let globex = try await h.token("globex")
            try await client.execute(uri: location, method: .head, headers: tus(h, globex)) { #expect($0.status == .notFound) }
            try await client.execute(uri: location, method: .delete, headers: tus(h, globex)) { #expect($0.status == .notFound) }
            // Termination drops data and row.
            try await client.execute(uri: location, method: .delete, headers: tus(h, token)) { #expect($0.status == .noContent) }
            try await client.execute(uri: location, method: .head, headers: tus(h, token)) { #expect($0.status == .notFound) }
            #expect(h.blobFiles().filter { $0.hasPrefix(".partial/") && !$0.hasSuffix("/") }.isEmpty)
            #expect(try await h.count("files") == 0)
        }
    }

    @Test func deferredLengthCreationWithUploadAndExpiry() async throws {
        try await APIHarness.with { h, client in
            let token = try await h.token()
            // creation-with-upload and a deferred length.
            let (location, offset) = try await client.execute(uri: "/v1/uploads", method: .post,
                headers: tus(h, token, [name("Upload-Defer-Length"): "1", .contentType: "application/offset+octet-stream"]),
                body: ByteBuffer(bytes: Array(Self.data[0..<3000]))) { (r: TestResponse) throws -> (String, String?) in
                #expect(r.status == .created)
                #expect(r.headers[name("Upload-Defer-Length")] == "1")
                return (r.headers[.location] ?? "", r.headers[name("Upload-Offset")])
            }
            #expect(offset == "3000")
            try await client.execute(uri: location, method: .patch,
                                     headers: tus(h, token, [.contentType: "application/offset+octet-stream", name("Upload-Offset"): "3000", name("Upload-Length"): "5000"]),
                                     body: ByteBuffer(bytes: Array(Self.data[3000..<5000]))) { (r: TestResponse) throws in
                #expect(r.status == .noContent)
                #expect(r.headers[name("Filestore-File-Id")]?.hasPrefix("med_") == true)
            }
            // Both lengths, or neither: refused.
            try await client.execute(uri: "/v1/uploads", method: .post, headers: tus(h, token)) { #expect($0.status == .badRequest) }
            // An expired upload answers 410.
            let expiring = try await client.execute(uri: "/v1/uploads", method: .post, headers: tus(h, token, [name("Upload-Length"): "10"])) { $0.headers[.location] ?? "" }
            try await client.execute(uri: expiring, method: .patch,
                                     headers: tus(h, token, [.contentType: "application/offset+octet-stream", name("Upload-Offset"): "0"]),
                                     body: ByteBuffer(bytes: [1, 2, 3, 4])) { #expect($0.status == .noContent) }
            try await h.env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
                try await tx.query("UPDATE uploads SET expires_at = now() - interval '1 second' WHERE file_id IS NULL", logger: TestDatabase.logger)
            }
            try await client.execute(uri: expiring, method: .head, headers: tus(h, token)) { (r: TestResponse) throws in
                #expect(r.status == .gone)
                #expect(errorCode(r) == "MELMASTOON.FILE.UPLOAD_EXPIRED")
            }
            #expect(!h.blobFiles().filter { $0.hasPrefix(".partial/") }.isEmpty)
            // Requests no longer sweep (the tenant's sweep job does): creating another upload leaves it be…
            try await client.execute(uri: "/v1/uploads", method: .post, headers: tus(h, token, [name("Upload-Length"): "10"])) { #expect($0.status == .created) }
            #expect(try await h.count("uploads", where: "completed_at IS NULL") == 2)
            // …and the sweep drops the abandoned one, row and parts, and nothing else.
            #expect(try await h.core.tus.sweepExpired(tenant: TenantID("acme")) == 1)
            try await client.execute(uri: expiring, method: .head, headers: tus(h, token)) { #expect($0.status == .notFound) }
            #expect(try await h.count("uploads", where: "completed_at IS NULL") == 1)
            #expect(h.blobFiles().filter { $0.hasPrefix(".partial/") }.isEmpty)
        }
    }

    @Test func clientsRacingOnOneUploadCannotBothWrite() async throws {
        try await APIHarness.with { h, client in
            let token = try await h.token()
            // Several rounds: a race that is lost only sometimes must still never let two writers in.
            for _ in 0..<5 {
                let location = try await client.execute(uri: "/v1/uploads", method: .post, headers: tus(h, token, [name("Upload-Length"): "200000"])) {
                    $0.headers[.location] ?? ""
                }
                let headers = tus(h, token, [.contentType: "application/offset+octet-stream", name("Upload-Offset"): "0"])
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for i in 0..<4 {
                        group.addTask {
                            try await client.execute(uri: location, method: .patch, headers: headers,
                                                     body: ByteBuffer(bytes: Array(repeating: UInt8(i), count: 50_000))) { $0.status }
                        }
                    }
                    var all: [HTTPResponse.Status] = []
                    for try await s in group { all.append(s) }
                    return all
                }
                // Exactly one write at offset 0 wins; the others are refused as locked or at a stale offset.
                #expect(statuses.filter { $0 == .noContent }.count == 1, "\(statuses)")
                #expect(statuses.allSatisfy { $0 == .noContent || $0 == .conflict || $0.code == 423 })
                try await client.execute(uri: location, method: .head, headers: tus(h, token)) { #expect($0.headers[name("Upload-Offset")] == "50000") }
            }
        }
    }
}
