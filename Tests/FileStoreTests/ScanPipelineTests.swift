import API
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobKit
import Jobs
import NIOCore
import PostgresNIO
import Scanning
import Storage
import TestSupport
import Testing

/// Upload through the API, scan with real workers and libclamav, then try to download.
@Suite struct ScanPipelineTests {
    @Test func cleanFilesPassAndInfectedOnesAreQuarantinedAndNeverServed() async throws {
        let sigs = try ClamAVTests.signatureDirectory()
        defer { try? FileManager.default.removeItem(at: sigs) }
        let engine = try await ClamAVEngine.load(directory: sigs)
        try await APIHarness.with { h, client in
            let token = try await h.token()
            func upload(_ bytes: [UInt8]) async throws -> String {
                try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token), body: ByteBuffer(bytes: bytes)) {
                    try decode(FileResource.self, $0).id
                }
            }
            let clean = try await upload(Array("a perfectly ordinary file\n".utf8))
            let infected = try await upload(Array(ClamAVTests.eicar.utf8))
            var registry = JobRegistry()
            registry.register(ScanWorker(scanner: engine, blobs: try LocalBlobStore(root: h.blobRoot), database: h.service.database))
            try await h.env.withWorker(registry, TestEnv.fastWorker(queues: [.init("scan")])) { (_: JobWorkerService) async throws in
                try await eventually("both scanned", timeout: .seconds(30)) {
                    try await h.count("files", where: "state IN ('clean', 'quarantined')") == 2
                }
            }
            func file(_ id: String) async throws -> FileResource {
                try await client.execute(uri: "/v1/files/\(id)", method: .get, headers: h.headers(token)) { try decode(FileResource.self, $0) }
            }
            #expect(try await file(clean).state == "clean")
            #expect(try await file(infected).state == "quarantined")
            #expect(try await h.count("files", where: "id = '\(infected)' AND scan_signature = 'Filestore.Test.EICAR.UNOFFICIAL'") == 1)
            #expect(try await h.count("files", where: "id = '\(clean)' AND scan_signature IS NULL AND scanned_at IS NOT NULL") == 1)
            #expect(try await h.count("outbox_events", where: "topic = 'file.quarantined.v1' AND aggregate_id = '\(infected)'") == 1)
            #expect(try await h.count("outbox_events", where: "topic = 'file.scanned.v1' AND aggregate_id = '\(clean)'") == 1)
            #expect(try await h.count("audit_events", where: "action = 'file.scannedInfected' AND details->>'signature' = 'Filestore.Test.EICAR.UNOFFICIAL'") == 1)
            #expect(try await h.env.count(.completed, queue: "scan") == 2)
            // The quarantined file is never served, by a signed URL or with the token.
            let url = try await client.execute(uri: "/v1/files/\(infected)/urls", method: .post,
                                               headers: h.headers(token, [.contentType: "application/json"]), body: ByteBuffer(string: "{}")) {
                (try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any])?["url"] as? String ?? ""
            }
            try await client.execute(uri: url, method: .get) { (r: TestResponse) throws in
                #expect(r.status == .conflict)
                #expect(errorCode(r) == "MELMASTOON.FILE.NOT_SERVABLE")
            }
            try await client.execute(uri: "/v1/files/\(infected)/content", method: .get, headers: h.headers(token)) { #expect($0.status == .conflict) }
        }
    }

    @Test func aScanOfADeletedFileIsCancelledNotRetried() async throws {
        let sigs = try ClamAVTests.signatureDirectory()
        defer { try? FileManager.default.removeItem(at: sigs) }
        let engine = try await ClamAVEngine.load(directory: sigs)
        try await APIHarness.with { h, client in
            let token = try await h.token()
            let id = try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token), body: ByteBuffer(bytes: [1, 2, 3])) {
                try decode(FileResource.self, $0).id
            }
            try await client.execute(uri: "/v1/files/\(id)", method: .delete, headers: h.headers(token)) { #expect($0.status == .ok) }
            var registry = JobRegistry()
            registry.register(ScanWorker(scanner: engine, blobs: try LocalBlobStore(root: h.blobRoot), database: h.service.database))
            try await h.env.withWorker(registry, TestEnv.fastWorker(queues: [.init("scan")])) { (_: JobWorkerService) async throws in
                try await eventually("scan job cancelled") { try await h.env.count(.cancelled, queue: "scan") == 1 }
            }
            #expect(try await h.count("files", where: "state = 'deleted'") == 1)
        }
    }
}
