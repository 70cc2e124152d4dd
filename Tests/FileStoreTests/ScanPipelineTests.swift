import API
import Domain
import Foundation
import HTTPTypes
import Imaging
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
            registry.register(ScanWorker(scanner: engine, core: h.core))
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
            registry.register(ScanWorker(scanner: engine, core: h.core))
            try await h.env.withWorker(registry, TestEnv.fastWorker(queues: [.init("scan")])) { (_: JobWorkerService) async throws in
                try await eventually("scan job cancelled") { try await h.env.count(.cancelled, queue: "scan") == 1 }
            }
            #expect(try await h.count("files", where: "state = 'deleted'") == 1)
        }
    }
}

/// The whole pipeline through the API and real workers: upload → scan → optimize → ready → signed download.
@Suite struct OptimizePipelineTests {
    @Test func imagesAreServedWithoutMetadataWithVariantsAndBombsFail() async throws {
        let sigs = try ClamAVTests.signatureDirectory()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: sigs); try? FileManager.default.removeItem(at: work) }
        let engine = try await ClamAVEngine.load(directory: sigs)
        let photo = try await ImagingTests.photo(in: work, width: 2000, height: 1500)
        let bomb = work.appendingPathComponent("bomb.png")
        _ = try await ImagingTests.run("/usr/bin/vips", ["black", bomb.path, "9000", "9000"])
        try await APIHarness.with { h, client in
            let token = try await h.token()
            func upload(_ url: URL, name: String) async throws -> String {
                try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token, [HTTPField.Name("Upload-Filename")!: name]),
                                         body: ByteBuffer(bytes: [UInt8](try Data(contentsOf: url)))) { try decode(FileResource.self, $0).id }
            }
            let text = work.appendingPathComponent("notes.txt")
            try Data("plain notes\n".utf8).write(to: text)
            let image = try await upload(photo, name: "holiday.jpg"), note = try await upload(text, name: "notes.txt"),
                big = try await upload(bomb, name: "bomb.png")
            var registry = JobRegistry()
            let blobs = h.core.blobs
            registry.register(ScanWorker(scanner: engine, core: h.core))
            registry.register(OptimizeWorker(images: try ImageProcessor(maxPixels: 50_000_000), core: h.core))
            try await h.env.withWorker(registry, TestEnv.fastWorker(queues: [.init("scan"), .init("optimize")])) { (_: JobWorkerService) async throws in
                try await eventually("pipeline done", timeout: .seconds(60)) {
                    try await h.count("files", where: "state IN ('ready', 'failed')") == 3
                }
            }
            #expect(try await h.count("files", where: "id = '\(image)' AND state = 'ready'") == 1)
            #expect(try await h.count("files", where: "id = '\(note)' AND state = 'ready'") == 1)
            #expect(try await h.count("files", where: "id = '\(big)' AND state = 'failed'") == 1)
            #expect(try await h.count("file_variants", where: "file_id = '\(image)'") == 3)
            #expect(try await h.count("outbox_events", where: "topic = 'file.ready.v1'") == 2)
            func signed(_ id: String, _ variant: String) async throws -> String {
                try await client.execute(uri: "/v1/files/\(id)/urls", method: .post, headers: h.headers(token, [.contentType: "application/json"]),
                                         body: ByteBuffer(string: "{\"variant\": \"\(variant)\"}")) {
                    (try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any])?["url"] as? String ?? ""
                }
            }
            // The image's "original" is its scrubbed copy: no EXIF, no GPS, checked with exiftool on the served bytes.
            for (variant, type) in [("original", "image/jpeg"), ("thumb", "image/webp"), ("preview", "image/webp")] {
                let url = try await signed(image, variant)
                let served = try await client.execute(uri: url, method: .get) { (r: TestResponse) throws -> Data in
                    #expect(r.status == .ok, "\(variant)")
                    #expect(r.headers[.contentType] == type)
                    return Data(buffer: r.body)
                }
                let file = work.appendingPathComponent("served-\(variant)")
                try served.write(to: file)
                #expect(try await ImagingTests.metadata(file) == [], "\(variant) carries metadata")
            }
            // The text file is served as it was uploaded; the failed bomb is never served.
            try await client.execute(uri: try await signed(note, "original"), method: .get) { #expect(String(buffer: $0.body) == "plain notes\n") }
            try await client.execute(uri: try await signed(big, "original"), method: .get) { #expect($0.status == .conflict) }
            try await client.execute(uri: try await signed(image, "poster"), method: .get) { #expect($0.status == .notFound) }
        }
    }
}
